"""Write binder/requirements.txt: every package the course needs, pinned. `make binder-pins`

Binder builds its image from binder/ (repo2docker): runtime.txt picks the
Python, requirements.txt what pip installs into the one environment that
runs both JupyterLab and the kernel. Unpinned, a workshop link built next
month could get releases nobody tried, so every package is pinned here.

This script resolves the pins the way Binder will use them: in a new
virtual environment with the Python of binder/runtime.txt, it installs
minimp with the course's extras (`.[course]`: JupyterLab, ipykernel, Dask)
and writes what `pip freeze` found, then `.` (minimp itself, from the
repository's root: with a binder/ folder, repo2docker installs only what
requirements.txt names). tests/test_binder.py and `make test` install
exactly this file into a fresh environment and run the chapters with it.
"""

import pathlib
import re
import subprocess
import sys
import tempfile
import venv

ROOT = pathlib.Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"

HEADER = """\
# Binder's environment for the course, every package pinned.
# Written by tools/pin_binder.py (make binder-pins) for the Python in runtime.txt;
# `make test` installs exactly this file into a fresh environment and runs
# every chapter with it. The last line installs minimp itself from the
# repository's root.
"""


def main() -> int:
    wanted = BINDER.joinpath("runtime.txt").read_text().strip().removeprefix("python-")
    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if wanted != running:
        print(f"binder/runtime.txt asks for Python {wanted}; run this with python{wanted}, not {running}")
        return 1
    with tempfile.TemporaryDirectory() as scratch:
        venv.create(scratch, with_pip=True)
        python = str(pathlib.Path(scratch, "bin", "python"))
        subprocess.run([python, "-m", "pip", "install", "--quiet", f"{ROOT}[course]"], check=True)
        frozen = subprocess.run(
            [python, "-m", "pip", "freeze", "--all", "--exclude", "minimp", "--exclude", "pip", "--exclude", "setuptools"],
            check=True, capture_output=True, text=True,
        ).stdout
    pins = sorted((line for line in frozen.splitlines() if re.match(r"^[A-Za-z0-9_.-]+==", line)), key=str.lower)
    BINDER.joinpath("requirements.txt").write_text(HEADER + "\n".join(pins) + "\n.\n")
    print(f"binder/requirements.txt: {len(pins)} packages pinned, and minimp from the root")
    return 0


if __name__ == "__main__":
    sys.exit(main())
