"""Tidy notebooks after running them, before they are committed.

    python tools/finish_notebook.py notebooks/05_pools.ipynb ...

- shortens the paths of this machine in outputs, to the form the sanitize
  rules expect (notebooks/sanitize.cfg): .../minimp/process.py and
  .../ipykernel_PID/CELL.py;
- stores a progress bar as it ended (a tqdm bar's text is that of its
  first moment, "0%", while its widget shows where it got to), read from the
  widget models' state before that is dropped;
- drops what belongs to one run: the cells' execution timestamps and the
  widget models' state (each view leaves a PNG in its output instead);
- gives every cell an id, as nbformat 4.5 wants;
- warns about any machine path still left (tests/test_notebooks.py fails on it).
"""

import html
import json
import os
import pathlib
import re
import sys
import tempfile
import uuid

# Where a notebook ran shows as absolute paths: the folder that holds this
# checkout, the home folder, the temporary folder, or any user's home.
MACHINE_PATHS = tuple(
    {str(pathlib.Path(__file__).resolve().parents[2]), os.path.expanduser("~"), tempfile.gettempdir(),
     "/home/", "/Users/"}
)  # fmt: skip


def shorten(text: str) -> str:
    text = re.sub(r"[^\"\s']*/src/minimp/", ".../minimp/", text)
    return re.sub(r"[^\"\s']*/ipykernel_\d+/\d+\.py", ".../ipykernel_PID/CELL.py", text)


def final_progress(output: dict, widgets: dict) -> str | None:
    """The text of a tqdm bar shown by `output`, as its widgets ended; None if it is no such bar.

    tqdm draws a bar as a box of three widgets: the description and percentage,
    the bar, and the counts and rate ("square: 100%", 200 of 200, "200/200 [...]")."""
    view = output.get("data", {}).get("application/vnd.jupyter.widget-view+json", {})
    box = widgets.get(view.get("model_id"), {})
    children = [widgets.get(child.removeprefix("IPY_MODEL_"), {}) for child in box.get("state", {}).get("children", [])]
    kinds = [child.get("model_name") for child in children]
    if box.get("model_name") != "HBoxModel" or kinds not in (["HTMLModel", "FloatProgressModel", "HTMLModel"],
                                                             ["HTMLModel", "IntProgressModel", "HTMLModel"]):
        return None
    left, bar, right = (child["state"] for child in children)
    filled = round(10 * bar.get("value", 0) / bar["max"]) if bar.get("max") else 0
    text = f"{left.get('value', '')}|{'█' * filled}{' ' * (10 - filled)}|{right.get('value', '')}"
    return html.unescape(text).replace("\u2007", " ")  # tqdm's HTML pads with figure spaces


def finish(path: str) -> None:
    with open(path) as file:
        notebook = json.load(file)
    widgets = notebook["metadata"].get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    widgets = widgets.get("state", {})
    for cell in notebook["cells"]:
        cell.setdefault("id", uuid.uuid4().hex[:8])
        cell.get("metadata", {}).pop("execution", None)
        for output in cell.get("outputs", []):
            bar = final_progress(output, widgets)
            if bar is not None:
                output["data"]["text/plain"] = [bar]
            if "text" in output:
                output["text"] = shorten("".join(output["text"])).splitlines(keepends=True)
            for kind, value in output.get("data", {}).items():
                if kind.startswith("text/"):
                    output["data"][kind] = shorten("".join(value)).splitlines(keepends=True)
            if "traceback" in output:
                output["traceback"] = [shorten(line) for line in output["traceback"]]
    notebook["metadata"].pop("widgets", None)
    notebook["nbformat"], notebook["nbformat_minor"] = 4, max(notebook.get("nbformat_minor", 5), 5)
    with open(path, "w") as file:
        json.dump(notebook, file, indent=1, ensure_ascii=False, sort_keys=True)
        file.write("\n")
    with open(path) as file:
        text = file.read()
    for machine_path in MACHINE_PATHS:
        folder = machine_path.rstrip("/") + "/"  # a folder, not a word's start: "/work" is in "pools/worker.py"
        if folder in text:
            print(f"{path}: still holds {folder} ({text.count(folder)} times)")


if __name__ == "__main__":
    for path in sys.argv[1:]:
        finish(path)
