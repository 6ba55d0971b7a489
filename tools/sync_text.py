"""Write each chapter's source as Markdown next to it, for review: `make sync`.

A notebook file holds its cells, their outputs and PNGs as JSON; its diff is
hard to read. notebooks/text/NN_name.md holds only the cells' source, as
jupytext writes it: a change to a chapter shows there as a readable diff.
tests/test_notebooks.py fails while a text is out of date.
"""

import pathlib
import sys

import jupytext

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"


def text_of(notebook: pathlib.Path) -> str:
    """The Markdown that stands for `notebook`: its cells, without outputs, and
    without a header naming jupytext's version (it would change with it)."""
    cells = jupytext.read(notebook)
    cells.metadata["jupytext"] = {"notebook_metadata_filter": "-all"}
    return jupytext.writes(cells, fmt="md")


def main() -> int:
    for notebook in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        target = NOTEBOOKS / "text" / f"{notebook.stem}.md"
        text = text_of(notebook)
        if not target.exists() or target.read_text() != text:
            target.write_text(text)
            print(f"wrote notebooks/text/{target.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
