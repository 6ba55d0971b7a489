"""The code a chapter quotes from minimp is minimp's code, as it is now.

A chapter's markdown shows minimp's source in ```python blocks, and a quote
goes stale silently: the code changes, the quote does not. These tests hold
each quote to the source. A block is a quote when

- at least half of its non-blank lines occur, stripped, in one file under
  src/minimp, or
- one of its lines is a `def` or `class` of a name that src/minimp defines;

any other block is the learner's own code, and is not checked. A quote,
once its common indentation is removed, must equal a contiguous run of lines
of one file under src/minimp, every line indented alike (trailing whitespace
aside; a blank line matches a blank line), except that a line `...` alone,
at any indentation, stands for one or more source lines left out.

A chapter may teach a simplified version of real code on purpose: then the
paragraph that introduces the block, just before it in its cell, must say
so with the word "simplified", and only then is the block not held to the
source. Such a block must differ from the source, or the word would be the
stale one.
"""

import dataclasses
import json
import pathlib
import re
import textwrap

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOURCES = {
    path.relative_to(ROOT).as_posix(): [line.rstrip() for line in path.read_text().splitlines()]
    for path in sorted((ROOT / "src" / "minimp").rglob("*.py"))
}
STRIPPED = {name: {line.strip() for line in lines} for name, lines in SOURCES.items()}
WHERE: dict[str, list[tuple[str, int]]] = {}  # each stripped line: the files and line numbers (0-based) that hold it
for name, lines in SOURCES.items():
    for number, line in enumerate(lines):
        WHERE.setdefault(line.strip(), []).append((name, number))
DEFINITION = re.compile(r"\s*(?:async\s+)?(?:def|class)\s+(?P<name>\w+)")
DEFINED = {match["name"] for lines in SOURCES.values() for match in map(DEFINITION.match, lines) if match}
BLOCK = re.compile(r"^[ \t]*```python[ \t]*\n(?P<code>.*?)^[ \t]*```[ \t]*$", re.M | re.S)
ELISION = "..."


@dataclasses.dataclass
class Block:
    notebook: str
    cell: int
    lines: list[str]  # dedented, trailing whitespace stripped, no blank lines at either end
    introduction: str  # the paragraph just before the block in its cell

    def __str__(self):
        return f"{self.notebook}, cell {self.cell}, the block `{self.lines[0].strip()}`"


def blocks() -> list[Block]:
    found = []
    for notebook in NOTEBOOKS:
        for number, cell in enumerate(json.loads(notebook.read_text())["cells"]):
            if cell["cell_type"] != "markdown":
                continue
            text = "".join(cell["source"])
            for match in BLOCK.finditer(text):
                lines = [line.rstrip() for line in textwrap.dedent(match["code"]).splitlines()]
                while lines and not lines[-1]:
                    lines.pop()
                while lines and not lines[0]:
                    lines.pop(0)
                before = text[: match.start()].strip().split("\n\n")[-1]
                if lines:
                    found.append(Block(notebook.name, number, lines, before))
    return found


def is_a_quote(block: Block) -> bool:
    """The rule of the module's docstring."""
    code = [line.strip() for line in block.lines if line.strip() and line.strip() != ELISION]
    if any(2 * sum(line in stripped for line in code) >= len(code) for stripped in STRIPPED.values()):
        return True
    return any(match["name"] in DEFINED for match in map(DEFINITION.match, block.lines) if match)


def says_simplified(block: Block) -> bool:
    return "simplified" in block.introduction.lower()


@dataclasses.dataclass
class Mismatch:
    """Where a quote first leaves the source: the quote's line `index` (0-based), and the
    line `at` of the file at `path` that it was laid on; or, after a `...`, the line `after`
    which the file has no such line."""

    index: int
    path: str = ""
    at: int | None = None
    after: int | None = None


def lay(quote: list[str], path: str, start: int, indent: str) -> Mismatch | None:
    """Lay `quote` on the file at `path` from its line `start`, every line indented by `indent`
    (`...` skips ahead, to the first place where what follows it matches); None if it matches."""
    source = SOURCES[path]

    def same(line: str, at: int) -> bool:
        return at < len(source) and source[at] == (indent + line if line else "")

    at, index = start, 0
    while index < len(quote):
        if quote[index].strip() != ELISION:
            if not same(quote[index], at):
                return Mismatch(index, path, at if at < len(source) else None)
            at, index = at + 1, index + 1
            continue
        index += 1
        end = next((i for i in range(index, len(quote)) if quote[i].strip() == ELISION), len(quote))
        segment = quote[index:end]
        if not segment:  # `...` last (or twice): it still leaves out a line at least
            if at >= len(source):
                return Mismatch(index - 1, path)
            at += 1
            continue
        matched = {skip_to: next((i for i, line in enumerate(segment) if not same(line, skip_to + i)), len(segment))
                   for skip_to in range(at + 1, len(source))}
        best = max(matched, key=lambda skip_to: (matched[skip_to], -skip_to), default=None)
        if best is None or matched[best] == 0:
            return Mismatch(index, path, after=at)
        if matched[best] < len(segment):
            return Mismatch(index + matched[best], path, best + matched[best])
        at, index = best + len(segment), end
    return None


def first_difference(quote: list[str]) -> Mismatch | None:
    """None if `quote` matches a run of source lines; otherwise where the closest laying differs.
    It is laid wherever one of its first lines (those before any `...`) is, so that a quote
    whose first line changed is laid where its second line still is."""
    leading = quote[0].strip() == ELISION  # then at least one source line comes before
    body = quote[1:] if leading else quote
    lead = body[: next((i for i, line in enumerate(body) if line.strip() == ELISION), len(body))]
    closest = Mismatch(-1)
    for offset, quoted in enumerate(lead):
        for path, at in WHERE.get(quoted.strip(), []) if quoted else []:
            line, start = SOURCES[path][at], at - offset
            indent = line[: len(line) - len(quoted)]
            if start < leading or not line.endswith(quoted) or indent.strip():
                continue
            mismatch = lay(body, path, start, indent)
            if mismatch is None:
                return None
            mismatch.index += leading
            if mismatch.index > closest.index:
                closest = mismatch
    return closest if closest.index >= 0 else Mismatch(0)


def explain(block: Block, mismatch: Mismatch) -> str:
    said = block.lines[mismatch.index]
    if not mismatch.path:
        return f"{block}: its first lines are nowhere in src/minimp as quoted: it says\n    {said!r}"
    if mismatch.at is None:
        where = "at its end" if mismatch.after is None else f"after line {mismatch.after}, indented so"
        return f"{block}: its line {mismatch.index + 1} says\n    {said!r}\n  which {mismatch.path} does not have {where}"
    return (
        f"{block}: its line {mismatch.index + 1} says\n    {said!r}\n"
        f"  where {mismatch.path}:{mismatch.at + 1} says\n    {SOURCES[mismatch.path][mismatch.at]!r}"
    )


BLOCKS = blocks()
QUOTES = [block for block in BLOCKS if is_a_quote(block)]


def test_the_chapters_quote_minimp():
    assert len(QUOTES) >= 10, f"{len(QUOTES)} quotes found: is the rule still right?"


@pytest.mark.parametrize("notebook", [path.name for path in NOTEBOOKS])
def test_every_quote_of_minimp_is_its_code_as_it_is_now(notebook):
    stale = []
    for block in QUOTES:
        if block.notebook == notebook and not says_simplified(block):
            mismatch = first_difference(block.lines)
            if mismatch is not None:
                stale.append(explain(block, mismatch))
    assert not stale, "\n".join(stale)


@pytest.mark.parametrize("notebook", [path.name for path in NOTEBOOKS])
def test_a_block_introduced_as_simplified_is_not_the_code_itself(notebook):
    exact = [
        str(block)
        for block in QUOTES
        if block.notebook == notebook and says_simplified(block) and first_difference(block.lines) is None
    ]
    assert not exact, "introduced as simplified, but quoted exactly: " + "; ".join(exact)
