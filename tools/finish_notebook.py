"""Tidy notebooks after running them, before they are committed.

    python tools/finish_notebook.py notebooks/05_pools.ipynb ...

- shortens the paths of this machine in outputs, to the form the sanitize
  rules expect (notebooks/sanitize.cfg): .../minimp/process.py and
  .../ipykernel_PID/CELL.py;
- drops what belongs to one run: the cells' execution timestamps and the
  widget models' state (each view leaves a PNG in its output instead);
- gives every cell an id, as nbformat 4.5 wants;
- warns about any machine path still left (tests/test_notebooks.py fails on it).
"""

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


def finish(path: str) -> None:
    with open(path) as file:
        notebook = json.load(file)
    for cell in notebook["cells"]:
        cell.setdefault("id", uuid.uuid4().hex[:8])
        cell.get("metadata", {}).pop("execution", None)
        for output in cell.get("outputs", []):
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
        if machine_path in text:
            print(f"{path}: still holds {machine_path} ({text.count(machine_path)} times)")


if __name__ == "__main__":
    for path in sys.argv[1:]:
        finish(path)
