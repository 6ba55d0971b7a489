"""The instructor guide's "How long each chapter takes" tells the truth about the chapters.

tools/chapter_minutes.py computes each chapter's row of the guide's table
from its notebook, by the rule the guide states; these tests hold the table,
and each chapter's own "**Estimated time.**", to it. None runs a chapter:
the run times are the table's own (`python tools/chapter_minutes.py --run
--write` measures them again).
"""

import importlib.util
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
FIX = "run `python tools/chapter_minutes.py --write`"

_spec = importlib.util.spec_from_file_location("chapter_minutes", ROOT / "tools" / "chapter_minutes.py")
chapter_minutes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(chapter_minutes)

NOTEBOOKS = chapter_minutes.chapters()


@pytest.fixture(scope="module")
def guide():
    return chapter_minutes.GUIDE.read_text()


@pytest.fixture(scope="module")
def rows(guide):
    return {row.number: row for row in chapter_minutes.rows(guide=guide)}


def test_the_guides_table_is_what_the_chapters_give(guide, rows):
    table = chapter_minutes.guide_table(guide)
    computed = {number: row.cells() for number, row in rows.items()}
    computed["all"] = chapter_minutes.total(list(rows.values())).cells(total=True)
    wrong = [f"the table has no row for chapter {number}" for number in computed if number not in table]
    wrong += [f"the table has a row for chapter {number}, which has no notebook"
              for number in table if number not in computed]
    for number, cells in computed.items():
        where = "the **all** row" if number == "all" else f"chapter {number}"
        for column, says, is_ in zip(chapter_minutes.COLUMNS, table.get(number, cells), cells):
            if says != is_:
                wrong.append(f"{where}, column {column!r}: the guide says {says!r}, the chapters give {is_!r}")
    assert not wrong, "docs/instructor-guide.md, How long each chapter takes:\n" + "\n".join(wrong) + f"\n{FIX}"


def test_the_tables_all_row_adds_up(guide):
    table = chapter_minutes.guide_table(guide)
    rows = [chapter_minutes.parse(cells) for number, cells in table.items() if number != "all"]
    adds_up = chapter_minutes.total(rows).cells(total=True)
    wrong = [f"column {column!r}: the all row says {says!r}, its rows add up to {is_!r}"
             for column, says, is_ in zip(chapter_minutes.COLUMNS, table["all"], adds_up) if says != is_]
    assert not wrong, "docs/instructor-guide.md, the table's **all** row:\n" + "\n".join(wrong) + f"\n{FIX}"


def schedule(guide: str, heading: str) -> dict[str, int]:
    """The minutes a schedule of the guide gives each chapter (its rows whose "what" starts "NN ")."""
    section = guide.split(f"### {heading}", 1)[1].split("\n#", 1)[0]
    minutes = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 3 and re.match(r"\d\d ", cells[1]) and cells[2].isdigit():
            minutes[cells[1][:2]] = minutes.get(cells[1][:2], 0) + int(cells[2])
    return minutes


@pytest.mark.parametrize(("heading", "column"), [("Full day", "full_day"), ("Half day", "half_day")])
def test_the_tables_workshop_minutes_are_the_schedules(guide, rows, heading, column):
    planned = schedule(guide, heading)
    assert planned, f"no schedule under '### {heading}'"
    wrong = [f"chapter {number}: the table says {getattr(row, column)!r}, the schedule {planned.get(number, '–')}"
             for number, row in rows.items()
             if chapter_minutes.leading_number(getattr(row, column)) != planned.get(number, 0)]
    assert not wrong, f"docs/instructor-guide.md, the table's {heading.lower()} column:\n" + "\n".join(wrong)


@pytest.fixture(params=NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def chapter(request, rows):
    return request.param, rows[request.param.name[:2]]


def test_a_chapters_estimate_holds_its_self_paced_minutes(chapter):
    path, row = chapter
    minutes = row.self_paced()
    nearest_5 = 5 * chapter_minutes.round_half_up(minutes / 5)
    estimate = row.estimate
    assert estimate.low <= nearest_5 <= estimate.high, (
        f"{path.name}: its **Estimated time.** says {estimate.cell().split(',')[0]} minutes, but the rule of "
        f"docs/instructor-guide.md gives {minutes} (≈ {nearest_5}): change the chapter's estimate so that it "
        f"holds {nearest_5}, then `python tools/sync_text.py` and {FIX}"
    )


def test_a_chapters_reading_time_is_what_it_names_to_read(chapter):
    path, row = chapter
    estimate = row.estimate
    if not row.reading_lines:
        assert estimate.reading_minutes is None, (
            f"{path.name}: its **Estimated time.** counts minutes reading the code, but it names no function to read"
        )
        return
    said = (estimate.reading_minutes, estimate.reading_lines)
    assert said == (row.reading(), row.reading_lines), (
        f"{path.name}: its **Estimated time.** says about {said[0]} minutes reading the code ({said[1]} lines); "
        f"the functions it names add up to {row.reading_lines} lines, about {row.reading()} minutes at "
        f"{chapter_minutes.READING_LINES_PER_MINUTE} lines a minute"
    )


def test_a_chapter_says_where_its_reading_is(chapter):
    """"(130 lines, sections 2, 3 and 6)": the sections that name functions to read, no more, no fewer."""
    import nbformat

    path, row = chapter
    notebook = nbformat.read(path, 4)
    markdown = [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]
    where = chapter_minutes.ESTIMATE.search(notebook.cells[0].source)["where"] or ""
    listed = re.fullmatch(r", sections? ([\d, and]+)", where)
    if listed:
        said = [int(number) for number in re.findall(r"\d+", listed[1])]
        assert said == chapter_minutes.reading_sections(markdown), (
            f"{path.name}: its **Estimated time.** says the reading is in sections {said}; "
            f"the functions to read are named in {chapter_minutes.reading_sections(markdown)}"
        )
    for total in re.findall(r"\b([\d,]+) lines in all\b", "\n".join(markdown)):
        assert int(total.replace(",", "")) == row.reading_lines, (
            f"{path.name} says '{total} lines in all'; the functions it names add up to {row.reading_lines}"
        )


def test_the_guide_says_how_many_hours_the_course_takes(guide, rows):
    everything = chapter_minutes.total(list(rows.values()))
    self_paced = everything.self_paced()
    with_reading = self_paced + everything.reading()

    def hours(minutes):  # to the nearest half hour, as the guide writes it: "10½"
        halves = chapter_minutes.round_half_up(minutes / 30)
        return f"{halves // 2}{'½' if halves % 2 else ''}"

    sentence = re.search(r"The whole course takes about (\S+) hours self-paced, .*?\s+about (\S+) with the reading",
                         guide, re.S)
    assert sentence, "docs/instructor-guide.md: no 'The whole course takes about N hours self-paced'"
    assert (sentence[1], sentence[2]) == (hours(self_paced), hours(with_reading)), (
        f"docs/instructor-guide.md says the course takes about {sentence[1]} hours self-paced and {sentence[2]} "
        f"with the reading; its table adds up to {self_paced} and {with_reading} minutes, about "
        f"{hours(self_paced)} and {hours(with_reading)} hours"
    )
