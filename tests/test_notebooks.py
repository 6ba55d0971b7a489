"""Every chapter has the parts a learner relies on, and is stored as it ran.

nbval (the README's test command) re-runs each notebook and compares its
outputs; these tests check what nbval does not: the chapter's structure,
that the stored outputs come from one run top to bottom, and that they
hold nothing of the machine that made them.
"""

import json
import pathlib
import re

import pytest

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
MOST_IGNORED_OUTPUTS = 2  # cells whose output nbval does not compare, per chapter
MACHINE_PATHS = re.compile(r"/(work|root|home|Users|tmp)/")


def cells(path):
    return json.loads(path.read_text())["cells"]


def source(cell):
    return "".join(cell["source"])


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


@pytest.fixture(params=NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def notebook(request):
    return request.param


def test_there_are_chapters():
    assert [path.name[:2] for path in NOTEBOOKS][:2] == ["00", "01"]


def test_a_chapter_opens_with_its_title_objectives_prerequisites_and_time(notebook):
    number = notebook.name[:2].lstrip("0") or "0"
    first = source(cells(notebook)[0])
    assert first.startswith(f"# Chapter {number} — "), first[:60]
    for part in ("**Learning objectives.**", "**Prerequisites.**", "**Estimated time.**"):
        assert part in first, f"{notebook.name}: the first cell has no {part}"


def test_a_chapter_ends_with_its_key_points(notebook):
    assert source(cells(notebook)[-1]).startswith("## Key points")


def test_a_chapter_has_two_exercises_each_checked_and_solved_in_a_hidden_cell(notebook):
    checks = {}
    for cell in cells(notebook):
        for name in re.findall(r"^(check_\w+)\(", source(cell), re.M):
            checks[name] = checks.get(name, 0) + 1
    assert len(checks) >= 2, f"{notebook.name}: exercises checked: {sorted(checks)}"
    hidden = [cell for cell in cells(notebook) if cell.get("metadata", {}).get("jupyter", {}).get("source_hidden")]
    assert len(hidden) >= 2, f"{notebook.name}: {len(hidden)} hidden solution cells"
    for name, count in checks.items():
        if name != "check_setup":  # chapter 0's setup check is no exercise
            assert count >= 2, f"{notebook.name}: {name} is called once: the solution must be checked too"


def test_the_stored_outputs_come_from_one_run_top_to_bottom(notebook):
    code = [cell for cell in cells(notebook) if cell["cell_type"] == "code"]
    counts = [cell["execution_count"] for cell in code]
    assert counts == list(range(1, len(code) + 1)), f"{notebook.name}: execution counts {counts}"


def test_no_cell_shows_an_error_unless_tagged_to(notebook):
    for number, cell in enumerate(cells(notebook)):
        errors = [output for output in cell.get("outputs", []) if output["output_type"] == "error"]
        assert not errors or "raises-exception" in tags(cell), f"{notebook.name}, cell {number}: {errors[0]['ename']}"


def test_stored_outputs_hold_no_path_of_this_machine(notebook):
    for number, cell in enumerate(cells(notebook)):
        text = json.dumps(cell.get("outputs", []))
        assert not MACHINE_PATHS.search(text), f"{notebook.name}, cell {number}: {MACHINE_PATHS.search(text)[0]}"


def test_few_outputs_go_uncompared_and_those_are_tagged(notebook):
    ignored = [cell for cell in cells(notebook) if "nbval-ignore-output" in tags(cell)]
    assert len(ignored) <= MOST_IGNORED_OUTPUTS, f"{notebook.name}: {len(ignored)} cells tagged nbval-ignore-output"
    for cell in cells(notebook):
        assert "NBVAL_IGNORE_OUTPUT" not in source(cell), "use the cell tag, not a comment learners must read"


def test_a_chapter_has_a_picture_stored_for_github(notebook):
    pictures = [output for cell in cells(notebook) for output in cell.get("outputs", [])
                if "image/png" in output.get("data", {})]  # fmt: skip
    assert pictures, f"{notebook.name}: no stored picture (a timeline or a view leaves a PNG)"


def test_the_chapters_text_for_review_is_up_to_date(notebook):
    # notebooks/text/NN_name.md is the chapter's source in Markdown, so that a
    # change to a chapter reads as a diff; `make sync` rewrites it.
    import importlib.util

    spec = importlib.util.spec_from_file_location("sync_text", notebook.parent.parent / "tools" / "sync_text.py")
    sync_text = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sync_text)
    text = notebook.parent / "text" / f"{notebook.stem}.md"
    assert text.exists() and text.read_text() == sync_text.text_of(notebook), (
        f"notebooks/text/{text.name} is out of date: run `make sync`"
    )


def test_progress_bars_are_stored_as_they_ended(notebook):
    """GitHub shows a widget's text: a bar stuck at 0 % under a finished map would mislead."""
    for index, cell in enumerate(cells(notebook)):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "application/vnd.jupyter.widget-view+json" in data:
                assert not re.search(r"\b0%\|", "".join(data.get("text/plain", ""))), f"cell {index}"


def test_a_progress_bar_is_stored_from_its_widgets_last_state():
    import importlib.util

    path = pathlib.Path(__file__).parent.parent / "tools" / "finish_notebook.py"
    spec = importlib.util.spec_from_file_location("finish_notebook", path)
    finish_notebook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(finish_notebook)
    widgets = {
        "box": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_left", "IPY_MODEL_bar", "IPY_MODEL_right"]}},
        "left": {"model_name": "HTMLModel", "state": {"value": "square:\u2007100%"}},
        "bar": {"model_name": "FloatProgressModel", "state": {"value": 200.0, "max": 200.0}},
        "right": {"model_name": "HTMLModel", "state": {"value": "\u2007200/200\u2007[00:00&lt;00:00,\u20075.1ktask/s]"}},
    }
    output = {"data": {"application/vnd.jupyter.widget-view+json": {"model_id": "box"}, "text/plain": ["0%|"]}}
    assert finish_notebook.final_progress(output, widgets) == "square: 100%|██████████| 200/200 [00:00<00:00, 5.1ktask/s]"
    assert finish_notebook.final_progress({"data": {"text/plain": ["4"]}}, widgets) is None
    timeline = {"data": {"application/vnd.jupyter.widget-view+json": {"model_id": "left"}}}
    assert finish_notebook.final_progress(timeline, widgets) is None
