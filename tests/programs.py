"""Running a small program as a fresh Python process, for the tests that need
one: what happens when a program ends, or when a parent dies."""

import os
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"  # minimp, as the program imports it


def run_program(source: str, directory: Path, timeout: float = 5.0) -> tuple | str:
    """Run `source` as a program; its (exit code, stdout, stderr), or "hung" after `timeout` s."""
    (directory / "program.py").write_text(source)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), *filter(None, [os.environ.get("PYTHONPATH")])])}
    try:
        run = subprocess.run(
            [sys.executable, "program.py"], cwd=directory, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return "hung"  # subprocess.run killed it; its workers exit with it (worker.py's watchdog)
    return run.returncode, run.stdout, run.stderr
