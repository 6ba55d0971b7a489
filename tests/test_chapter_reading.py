"""A chapter sends the learner to functions, not files, and says how long each is.

A chapter's markdown names what to read as

    `PoolLoop.run()` in `src/minimp/pools/loop.py` (15 lines)

and these tests hold it to that: the file exists, it defines that function
(or method, `Class.method`), and the function is that many lines long,
from its `def` line to its last line. So a chapter cannot send a learner to
code that moved, or promise a short read that grew. Each chapter that reads
code names at least one function so; its time estimate counts the reading.
"""

import ast
import json
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CITATION = re.compile(r"`(?P<name>[A-Za-z_][\w.]*)\(\)` in `(?P<path>src/minimp/[\w/]+\.py)` \((?P<lines>\d+) lines?\)")
READS_NO_CODE = {"00", "09", "10"}  # the welcome, the primer corrected, beyond one machine (README's table)


def citations(notebook: pathlib.Path) -> list[re.Match]:
    cells = json.loads(notebook.read_text())["cells"]
    text = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
    return list(CITATION.finditer(text))


def definitions(path: pathlib.Path) -> dict[str, ast.AST]:
    """Every function and method of a module, by `name` or `Class.name`."""
    found = {}
    tree = ast.parse(path.read_text())
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            found[node.name] = node
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    found[f"{node.name}.{item.name}"] = item
    return found


def length(node: ast.AST) -> int:
    return node.end_lineno - node.lineno + 1


@pytest.fixture(params=NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def notebook(request):
    return request.param


def test_every_function_a_chapter_cites_exists_and_is_as_long_as_it_says(notebook):
    wrong = []
    for match in citations(notebook):
        path = ROOT / match["path"]
        if not path.is_file():
            wrong.append(f"{match[0]}: no such file")
            continue
        node = definitions(path).get(match["name"])
        if node is None:
            wrong.append(f"{match[0]}: {match['path']} defines no {match['name']}")
        elif length(node) != int(match["lines"]):
            wrong.append(f"{match[0]}: it is {length(node)} lines")
    assert not wrong, f"{notebook.name}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("notebook", [nb for nb in NOTEBOOKS if nb.name[:2] not in READS_NO_CODE],
                         ids=lambda nb: nb.name)
def test_a_chapter_that_reads_code_names_the_functions_to_read(notebook):
    assert citations(notebook), (
        f"{notebook.name} names no function to read in the form "
        "`Name()` in `src/minimp/<layer>/<module>.py` (N lines)"
    )
