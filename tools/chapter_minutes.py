"""How long each chapter takes: the table of docs/instructor-guide.md, computed from the chapters.

    python tools/chapter_minutes.py                # print the table, as the guide's Markdown
    python tools/chapter_minutes.py --write        # write it into docs/instructor-guide.md
    python tools/chapter_minutes.py --run --write  # run each chapter first, to measure its run time

The guide's section "How long each chapter takes" states the rule, and this
tool applies it to notebooks/NN_*.ipynb as they are:

    minutes = words of the Markdown cells / 150 + lines of code / 20
              + the code cells' run time + 6 minutes per exercise

- **words**: the Markdown cells' source split at white space (a code span or
  a URL is one word, as it is one thing to read).
- **code cells**: every code cell, the hidden solutions included (a learner
  compares an answer with the solution).
- **code lines**: the code cells' non-blank lines, comment lines included (a
  comment is read like the code it explains); a blank line is not. Chapter 09
  prints programs of notebooks/primer/ as outputs (`run_both("name")`): their
  non-blank lines are added as "+ N".
- **run time**: the sum, over the code cells run top to bottom, from the
  moment the kernel takes a cell to its reply. Only `--run` measures it: it
  runs every chapter with nbclient, in notebooks/, on the kernel the tests use
  (nbval's --nbval-current-env: this Python, or MINIMP_KERNEL_PYTHON when that
  is set; see the Makefile's `test` target and notebooks/conftest.py), about
  two minutes for all; nothing is written to the notebooks. Without `--run`,
  the run times are those the guide's table holds.
- **exercises**, "E + P": each checker a chapter calls (a code cell line
  starting `check_...(`, called once on the learner's answer and once on the
  hidden solution, "Solution (hidden; click to show)") is one exercise, except
  chapter 00's `check_setup`, which checks the machine, not the learner. P
  counts those under a "### Predict, then run" heading (the nearest heading
  above the checker's first call), E the others. Both count 6 minutes each.
- **minutes, self-paced**: the rule above, rounded to the nearest minute.
- **reading the code**: the functions a chapter sends the learner to, in the
  form tests/test_chapter_reading.py holds true, "`PoolLoop.run()` in
  `src/minimp/pools/loop.py` (19 lines)": the stated lines of each distinct
  function, summed, at 12 lines a minute (rounded to the nearest minute). A
  citation inside quotation marks is an example of the form (chapter 00's),
  not something to read, and does not count.
- **chapter's own estimate**: read from the chapter's first cell,
  "**Estimated time.** 45–55 minutes, exercises included, and about 8 minutes
  reading the code (90 lines, ...)": the range, and "+ 8".
  tests/test_chapter_minutes.py holds the range to the self-paced minutes
  rounded to the nearest 5 (low <= that <= high), and "+ 8" and "(90 lines"
  to the reading column.
- **full day**, **half day**: decisions, not measurements: kept as the
  guide's table has them (tests/test_chapter_minutes.py holds them to the
  schedules below the table).

The "**all**" row adds the rows up: each row's rounded minutes, the run times
to the nearest second.
"""

import argparse
import dataclasses
import datetime
import os
import pathlib
import re
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
GUIDE = ROOT / "docs" / "instructor-guide.md"

WORDS_PER_MINUTE = 150
CODE_LINES_PER_MINUTE = 20
MINUTES_PER_EXERCISE = 6
READING_LINES_PER_MINUTE = 12
NO_EXERCISE = {"check_setup"}  # chapter 00's check of the machine

# As tests/test_chapter_reading.py reads a citation.
CITATION = re.compile(r"`(?P<name>[A-Za-z_][\w.]*)\(\)` in `(?P<path>src/minimp/[\w/]+\.py)` \((?P<lines>\d+) lines?\)")
CHECK_CALL = re.compile(r"^(check_\w+)\(", re.M)
PROGRAM = re.compile(r"""\brun_both\(\s*["'](\w+)["']""")
ESTIMATE = re.compile(
    r"\*\*Estimated time\.\*\* (?P<low>\d+)(?:–(?P<high>\d+))? minutes, exercises included"
    r"(?:, and about (?P<minutes>\d+) minutes? reading the code \((?P<lines>[\d,]+) lines(?P<where>[^)]*)\))?\."
)

HEADER = ("| chapter | words | code cells | code lines | run time (s) | exercises | minutes, self-paced "
          "| reading the code: lines, minutes | chapter's own estimate, + reading | full day | half day |")
COLUMNS = ("chapter", "words", "code cells", "code lines", "run time (s)", "exercises", "minutes, self-paced",
           "reading the code: lines, minutes", "chapter's own estimate, + reading", "full day", "half day")


@dataclasses.dataclass
class Estimate:
    """What a chapter's "**Estimated time.**" sentence says."""

    low: int
    high: int
    reading_minutes: int | None = None
    reading_lines: int | None = None

    def cell(self) -> str:
        span = f"{self.low}–{self.high}" if self.low != self.high else f"{self.low}"
        return span if self.reading_minutes is None else f"{span}, + {self.reading_minutes}"


@dataclasses.dataclass
class Row:
    chapter: str  # "05 Pools"
    words: int
    code_cells: int
    code_lines: int
    program_lines: int  # lines of the primer's programs a chapter prints (chapter 09)
    run_seconds: float | None
    exercises: int
    predictions: int  # "predict, then run" exercises
    reading_lines: int
    estimate: Estimate
    full_day: str = "–"
    half_day: str = "–"
    minutes: int | None = None  # set for the "all" row, which adds rounded minutes
    reading_minutes: int | None = None

    @property
    def number(self) -> str:
        return self.chapter[:2]

    def self_paced(self) -> int:
        if self.minutes is not None:
            return self.minutes
        if self.run_seconds is None:
            raise ValueError(f"chapter {self.chapter}: no run time; measure it with --run")
        return round_half_up(self.words / WORDS_PER_MINUTE
                             + (self.code_lines + self.program_lines) / CODE_LINES_PER_MINUTE
                             + self.run_seconds / 60
                             + MINUTES_PER_EXERCISE * (self.exercises + self.predictions))

    def reading(self) -> int:
        if self.reading_minutes is not None:
            return self.reading_minutes
        return round_half_up(self.reading_lines / READING_LINES_PER_MINUTE)

    def cells(self, total: bool = False) -> list[str]:
        bold = (lambda text: f"**{text}**") if total else (lambda text: text)
        both = lambda first, second: f"{first:,} + {second:,}" if second else f"{first:,}"  # noqa: E731
        return [
            "**all**" if total else self.chapter,
            f"{self.words:,}",
            f"{self.code_cells:,}",
            both(self.code_lines, self.program_lines),
            f"{self.run_seconds:.0f}" if total else f"{self.run_seconds:.1f}",
            both(self.exercises, self.predictions),
            bold(f"{self.self_paced():,}"),
            f"{self.reading_lines:,}, {bold(self.reading())}" if self.reading_lines else "–",
            self.estimate.cell(),
            self.full_day,
            self.half_day,
        ]


def round_half_up(value: float) -> int:
    return int(value + 0.5)


def chapters() -> list[pathlib.Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def non_blank(text: str) -> int:
    return sum(1 for line in text.splitlines() if line.strip())


def masked_code_spans(text: str) -> str:
    """`text` with each code span's inside blanked out, so that quotes inside one do not count."""
    return re.sub(r"`[^`]*`", lambda span: "`" + " " * (len(span[0]) - 2) + "`", text)


def reading(markdown: list[str]) -> dict[tuple[str, str], int]:
    """The functions the chapter sends the learner to read: (name, path) -> lines, as stated."""
    found = {}
    for source in markdown:
        for paragraph in source.split("\n\n"):
            quoted = [span.span() for span in re.finditer(r'"[^"]*"', masked_code_spans(paragraph))]
            for match in CITATION.finditer(paragraph):
                if any(start < match.start() < end for start, end in quoted):
                    continue  # an example of the form, not a function to read
                found[(match["name"], match["path"])] = int(match["lines"])
    return found


def reading_sections(markdown: list[str]) -> list[int]:
    """The sections ("## N.") whose text names a function to read, in order."""
    sections, section = [], None
    for source in markdown:
        for paragraph in source.split("\n\n"):
            heading = re.match(r"## (\d+)\.", paragraph)
            if heading:
                section = int(heading[1])
            if reading([paragraph]) and section not in sections:
                sections.append(section)
    return sections


def estimate_of(first_cell: str, name: str) -> Estimate:
    match = ESTIMATE.search(first_cell)
    if match is None:
        raise ValueError(f"{name}: no '**Estimated time.** N–M minutes, exercises included' in its first cell")
    low = int(match["low"])
    return Estimate(low, int(match["high"] or low),
                    int(match["minutes"]) if match["minutes"] else None,
                    int(match["lines"].replace(",", "")) if match["lines"] else None)


def exercises(notebook: nbformat.NotebookNode) -> tuple[list[str], list[str]]:
    """The checkers of the chapter's exercises and of its "predict, then run" cells, in order."""
    plain, predicted, heading = [], [], ""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            prose = re.sub(r"^```.*?^```", "", cell.source, flags=re.M | re.S)  # a `#` in a code block is no heading
            headings = re.findall(r"^#{1,6} .*", prose, re.M)
            heading = headings[-1] if headings else heading
            continue
        for name in CHECK_CALL.findall(cell.source):
            if name in NO_EXERCISE or name in plain or name in predicted:
                continue
            (predicted if re.match(r"#+ Predict, then run", heading) else plain).append(name)
    return plain, predicted


def title(first_cell: str, number: str) -> str:
    """"Welcome" from "# Chapter 0 — Welcome: why processes?"."""
    match = re.match(r"# Chapter \d+ — (.+)", first_cell)
    if match is None:
        raise ValueError(f"chapter {number}: its first cell does not start '# Chapter N — Title'")
    return f"{number} {match[1].split(':')[0].strip()}"


def measure(path: pathlib.Path, run_seconds: float | None = None) -> Row:
    """The row of the chapter at `path`, all but its run time and the schedules' minutes."""
    notebook = nbformat.read(path, 4)
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    code = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    programs = sorted({name for source in code for name in PROGRAM.findall(source)})
    plain, predicted = exercises(notebook)
    return Row(
        chapter=title(notebook.cells[0].source, path.name[:2]),
        words=sum(len(source.split()) for source in markdown),
        code_cells=len(code),
        code_lines=sum(non_blank(source) for source in code),
        program_lines=sum(non_blank((NOTEBOOKS / "primer" / f"{name}.py").read_text()) for name in programs),
        run_seconds=run_seconds,
        exercises=len(plain),
        predictions=len(predicted),
        reading_lines=sum(reading(markdown).values()),
        estimate=estimate_of(notebook.cells[0].source, path.name),
    )


def total(rows: list[Row]) -> Row:
    estimates = [row.estimate for row in rows]
    return Row(
        chapter="all",
        words=sum(row.words for row in rows),
        code_cells=sum(row.code_cells for row in rows),
        code_lines=sum(row.code_lines for row in rows),
        program_lines=sum(row.program_lines for row in rows),
        run_seconds=sum(row.run_seconds for row in rows),
        exercises=sum(row.exercises for row in rows),
        predictions=sum(row.predictions for row in rows),
        reading_lines=sum(row.reading_lines for row in rows),
        estimate=Estimate(sum(e.low for e in estimates), sum(e.high for e in estimates),
                          sum(e.reading_minutes or 0 for e in estimates)),
        full_day=f"{sum(leading_number(row.full_day) for row in rows)}",
        half_day=f"{sum(leading_number(row.half_day) for row in rows)}",
        minutes=sum(row.self_paced() for row in rows),
        reading_minutes=sum(row.reading() for row in rows),
    )


def leading_number(cell: str) -> int:
    """25 from "25", 5 from "5 (demo)", 0 from "–"."""
    match = re.match(r"\d+", cell)
    return int(match[0]) if match else 0


# The guide's table


def split_row(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def table_lines(guide: str) -> tuple[list[str], int, int]:
    """The guide's lines, and the span [start, end) of the table's rows, from the first chapter to "**all**"."""
    lines = guide.splitlines(keepends=True)
    try:
        header = next(i for i, line in enumerate(lines) if line.rstrip("\n") == HEADER)
        end = next(i for i in range(header, len(lines)) if lines[i].startswith("| **all** |")) + 1
    except StopIteration:
        raise ValueError(f"{GUIDE.relative_to(ROOT)}: no table from the header {HEADER!r} to its '| **all** |' row")
    return lines, header + 2, end


def guide_table(guide: str | None = None) -> dict[str, list[str]]:
    """The guide's table: its cells by chapter number ("05"), and "all"."""
    lines, start, end = table_lines(GUIDE.read_text() if guide is None else guide)
    rows = [split_row(line) for line in lines[start:end]]
    return {("all" if cells[0] == "**all**" else cells[0][:2]): cells for cells in rows}


def parse(cells: list[str]) -> Row:
    """A row of the guide's table, read back (for the test that its "all" row adds up)."""
    def pair(cell):
        first, _, second = cell.replace(",", "").partition(" + ")
        return int(first), int(second or 0)

    code_lines, programs = pair(cells[3])
    plain, predicted = pair(cells[5])
    reading_cell = re.fullmatch(r"([\d,]+), \**(\d+)\**", cells[7])
    reading_lines, reading_minutes = (0, 0)
    if reading_cell:
        reading_lines, reading_minutes = int(reading_cell[1].replace(",", "")), int(reading_cell[2])
    span, _, plus = cells[8].partition(", + ")
    low, _, high = span.partition("–")
    return Row(cells[0], int(cells[1].replace(",", "")), int(cells[2].replace(",", "")), code_lines, programs,
               float(cells[4]), plain, predicted, reading_lines,
               Estimate(int(low), int(high or low), int(plus) if plus else None),
               cells[9], cells[10], int(cells[6].replace("*", "").replace(",", "")), reading_minutes)


def rows(run_seconds: dict[str, float] | None = None, guide: str | None = None) -> list[Row]:
    """Each chapter's row: measured from its notebook; run times from `run_seconds` (by chapter
    number) or else from the guide's table; the schedules' minutes from the guide's table."""
    table = guide_table(guide)
    found = []
    for path in chapters():
        number = path.name[:2]
        old = table.get(number)
        seconds = (run_seconds or {}).get(number)
        if seconds is None and old is not None:
            seconds = float(old[4])
        row = measure(path, seconds)
        if old is not None:
            row.full_day, row.half_day = old[9], old[10]
        found.append(row)
    return found


def markdown(found: list[Row]) -> str:
    lines = [HEADER, "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in found]
    lines.append("| " + " | ".join(total(found).cells(total=True)) + " |")
    return "\n".join(lines) + "\n"


def write(found: list[Row]) -> bool:
    guide = GUIDE.read_text()
    lines, start, end = table_lines(guide)
    table = markdown(found).splitlines(keepends=True)[2:]  # the rows: the header and its rule stay as they are
    new = "".join(lines[:start]) + "".join(table) + "".join(lines[end:])
    if new != guide:
        GUIDE.write_text(new)
    return new != guide


# Measuring the run times


def kernel_python() -> str:
    """The Python the tests' kernel runs on (notebooks/conftest.py)."""
    return os.environ.get("MINIMP_KERNEL_PYTHON") or sys.executable


def run_time(path: pathlib.Path, timeout: int = 120) -> float:
    """Run the chapter top to bottom in a fresh kernel; the seconds its code cells took, summed."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    python = kernel_python()

    class Specs(KernelSpecManager):
        def get_kernel_spec(self, kernel_name):
            spec = super().get_kernel_spec(kernel_name)
            spec.argv = [python, *spec.argv[1:]]
            return spec

    notebook = nbformat.read(path, 4)
    manager = KernelManager(kernel_name="python3", kernel_spec_manager=Specs())
    client = NotebookClient(notebook, km=manager, timeout=timeout, record_timing=True,
                            resources={"metadata": {"path": str(path.parent)}})
    # As JupyterLab starts a kernel: not with pytest's variable (notebooks/conftest.py says why).
    env = {name: value for name, value in os.environ.items() if name != "PYTEST_CURRENT_TEST"}
    try:
        client.execute(env=env)
    finally:
        if client.kc is not None:
            client.kc.stop_channels()
        if manager.has_kernel:
            manager.shutdown_kernel(now=True)  # given a manager, nbclient leaves its kernel running
    seconds = 0.0
    for cell in notebook.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type == "code" and "iopub.execute_input" in timing:
            began = datetime.datetime.fromisoformat(timing["iopub.execute_input"])
            ended = datetime.datetime.fromisoformat(timing["shell.execute_reply"])
            seconds += (ended - began).total_seconds()
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="store_true", help="run every chapter to measure its run time (slow)")
    parser.add_argument("--write", action="store_true", help=f"write the table into {GUIDE.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    seconds = {}
    if args.run:
        for path in chapters():
            seconds[path.name[:2]] = run_time(path)
            print(f"{path.name}: {seconds[path.name[:2]]:.1f} s", file=sys.stderr)
    found = rows(seconds)
    if args.write:
        changed = write(found)
        print(f"{'wrote' if changed else 'unchanged:'} {GUIDE.relative_to(ROOT)}", file=sys.stderr)
    else:
        print(markdown(found), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
