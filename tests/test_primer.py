"""The primer's code snippets, run as programs (notebooks/primer/).

minimp started from a short primer on `multiprocessing` (see the course's
seed). Its snippets are copied verbatim into `notebooks/primer/`, one file
per section; only `import multiprocessing` was added at the top of the one
that relied on an earlier block for it.

Each snippet runs as a fresh program, as a learner would run it, with its
import swapped for `import minimp as multiprocessing`: every one of them
must work, including the ones that use what the primer imagines (a
ProcessPoolExecutor in the package, `Pool.submit`, an `id` on results).

Then the same programs run, unchanged, on the real standard library, to
record what the primer gets wrong: those three lines fail there with an
AttributeError, and the notebooks must say so.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

SNIPPETS = Path(__file__).resolve().parent.parent / "notebooks" / "primer"  # chapter 9 runs them too
SRC = Path(__file__).resolve().parent.parent / "src"

WORKING = "Worker is working\nWorker is working\n"

# snippet: (exit code, what it prints), the same on minimp and on the standard library
BOTH_WORK = {
    "importing_the_module": (0, ""),
    "creating_a_new_process": (0, None),  # two workers in either order: checked below
    "using_pool": (0, "[1, 4, 9, 16]\n"),
    "sharing_data_between_processes": (0, "Worker has finished\n"),
    "exiting_a_process": (0, WORKING),
    "process_termination": (42, WORKING),
}

# snippet: (what minimp prints, the standard library's error)
ONLY_MINIMP_WORKS = {
    "using_processpoolexecutor": (
        r"\[1, 4, 9, 16\]\n",
        "AttributeError: module 'multiprocessing' has no attribute 'ProcessPoolExecutor'",
    ),
    "using_pool_apply_async": (r"Task started: \d+\n", "AttributeError: 'ApplyResult' object has no attribute 'id'"),
    "using_pool_submit": (r"Task started: \d+\n", "AttributeError: 'Pool' object has no attribute 'submit'"),
}
# snippet: the extras whose first use minimp warns about (runtime/extras.py), in order
EXTRAS_WARNED = {
    "using_processpoolexecutor": ["minimp.ProcessPoolExecutor"],
    "using_pool_apply_async": ["AsyncResult.id"],
    "using_pool_submit": ["Pool.submit()", "Future.id"],
}


def run_snippet(name: str, directory: Path, on_minimp: bool) -> subprocess.CompletedProcess:
    """Run notebooks/primer/<name>.py as a program in `directory`; on minimp, with its import swapped."""
    source = (SNIPPETS / f"{name}.py").read_text()
    if on_minimp:
        source = source.replace("import multiprocessing", "import minimp as multiprocessing")
    program = directory / f"{name}.py"
    program.write_text(source)
    paths = [str(SRC), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}
    # Buffered output, as in a terminal, where each print() reaches the screen in
    # one write. Unbuffered, the text and the newline of two processes'
    # prints can interleave ("Worker is workingWorker is working\n\n").
    env.pop("PYTHONUNBUFFERED", None)
    return subprocess.run(
        [sys.executable, program.name], cwd=directory, env=env, capture_output=True, text=True, timeout=30
    )


def test_every_snippet_has_a_story():
    assert {path.stem for path in SNIPPETS.glob("*.py")} == set(BOTH_WORK) | set(ONLY_MINIMP_WORKS)


@pytest.mark.parametrize("on_minimp", [True, False], ids=["minimp", "stdlib"])
@pytest.mark.parametrize("name", BOTH_WORK)
def test_snippet_runs_the_same_on_minimp_and_the_standard_library(name, on_minimp, tmp_path):
    exit_code, output = BOTH_WORK[name]
    run = run_snippet(name, tmp_path, on_minimp)
    assert (run.returncode, run.stderr) == (exit_code, "")
    if output is not None:
        assert run.stdout == output
    else:  # the two workers print in either order, and the parent after both
        lines = run.stdout.splitlines()
        assert sorted(lines[:2]) == ["Worker 1 is working", "Worker 2 is working"]
        assert lines[2:] == ["All workers have finished"]


@pytest.mark.parametrize("name", ONLY_MINIMP_WORKS)
def test_what_the_primer_imagines_works_on_minimp(name, tmp_path):
    expected, _ = ONLY_MINIMP_WORKS[name]
    run = run_snippet(name, tmp_path, on_minimp=True)
    assert run.returncode == 0
    assert re.fullmatch(expected, run.stdout)
    # ...and warns once for each extra, at the program's line, naming the portable spelling
    warnings = [line for line in run.stderr.splitlines() if line.strip() and not line.startswith("  ")]
    assert re.findall(r"MinimpExtraWarning: (.+?) is minimp's", run.stderr) == EXTRAS_WARNED[name]
    assert all(Path(line.split(":")[0]).name == f"{name}.py" and "Portable: " in line for line in warnings), run.stderr


@pytest.mark.parametrize("name", ONLY_MINIMP_WORKS)
def test_what_the_primer_imagines_fails_on_the_standard_library(name, tmp_path):
    _, error = ONLY_MINIMP_WORKS[name]
    run = run_snippet(name, tmp_path, on_minimp=False)
    assert run.returncode == 1
    assert run.stderr.splitlines()[-1] == error
