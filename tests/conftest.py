"""Shared fixtures: the three start methods, and a check that nothing leaks.

Every test runs under a guard that fails it if it leaves a child process
(running or zombie) or an open file descriptor behind: the two leaks a
multiprocessing library is most likely to have, and the ones a user
notices last.
"""

import gc
import io
import multiprocessing
import os
import signal
import time

import pytest

import minimp
import minimp.runtime.arena
import minimp.runtime.forkserver
import minimp.runtime.start
from leaks import _wait_for, open_fds, os_children, the_forkserver  # noqa: F401 - tests import them from here too


@pytest.fixture(params=["fork", "spawn", "forkserver"])
def ctx(request):
    """minimp's API bound to one start method; tests using it run under each."""
    return minimp.get_context(request.param)


@pytest.fixture(params=["minimp", "stdlib"])
def mp(request):
    """minimp or the standard library: for tests where the original is the oracle."""
    return minimp if request.param == "minimp" else multiprocessing.get_context("fork")


# This process's "alive pipe" (start.py) is made when the first child starts
# and lives as long as the process; make it now so no test is blamed for it.
minimp.runtime.start.alive_read_end()
# Likewise the shared-memory arena (arena.py): one per process, for its Values and Locks.
minimp.runtime.arena.current_arena()
# Likewise the forkserver (forkserver.py): one server for the whole run, started
# before the first test, so that no test is blamed for its process or socket.
minimp.runtime.forkserver.ensure_running()


@pytest.fixture(scope="session", autouse=True)
def fonts_loaded():
    """matplotlib opens its font file the first time it draws text, and keeps
    it open for good: draw once before any test counts file descriptors."""
    from matplotlib.figure import Figure

    Figure().text(0, 0, "minimp").figure.savefig(io.BytesIO(), format="png")


@pytest.fixture(autouse=True)
def no_leaks():
    children_before, fds_before = os_children(), open_fds()
    yield
    # Children: a test must join what it starts. Give exiting ones a moment.
    def new_children():
        return os_children() - children_before - the_forkserver()[0]

    leaked = _wait_for(lambda: not new_children()) or new_children()
    if leaked is not True:
        for pid in leaked:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        pytest.fail(f"the test left child processes behind: {sorted(leaked)}")
    # File descriptors: whatever the test created must be closed once its
    # objects are gone (output-forwarding threads close theirs at the end).
    # Reference counting frees most at once; a full collection is slow here.
    def no_new_fds():
        return not (open_fds() - fds_before - the_forkserver()[1])

    def no_new_fds_once_collected():
        # A thread that ends meanwhile (a learner's recv() given its EOFError)
        # leaves its pipe in a reference cycle, through the exception's
        # traceback: only a collection after the thread ended closes it.
        gc.collect()
        return no_new_fds()

    if not no_new_fds() and not _wait_for(no_new_fds_once_collected):
        extra = open_fds() - fds_before - the_forkserver()[1]
        described = {fd: _describe(fd) for fd in sorted(extra)}
        pytest.fail(f"the test leaked file descriptors: {described}")


def _describe(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return "?"


@pytest.fixture(scope="session")
def wheel_python(tmp_path_factory):
    """The Python of a new virtual environment with minimp's built wheel and
    the course's extras installed, as a learner without Binder would:
    `pip install "minimp-….whl[course]"`. Slow (half a minute): used by
    tests/test_course.py and the browser test.

    Built once per run: under pytest-xdist (`make test`) the first worker to
    need it builds it in the folder the workers share, and the others wait
    for it."""
    import fcntl
    import shutil
    import subprocess
    import sys
    import venv
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent  # this run's folder, above each worker's own
    scratch = shared / "wheel"
    python = scratch / "venv" / "bin" / "python"
    with open(shared / "wheel.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (scratch / "built").exists():
            return python
        shutil.rmtree(scratch, ignore_errors=True)  # what a worker that failed left
        scratch.mkdir()
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", scratch, root],
                       check=True, capture_output=True)  # fmt: skip
        (wheel,) = scratch.glob("minimp-*.whl")
        venv.create(scratch / "venv", with_pip=True)
        subprocess.run([python, "-m", "pip", "install", "--quiet", f"{wheel}[course]"], check=True, capture_output=True)
        (scratch / "built").touch()
    return python


# -- Chromium, for the browser tests (tests/test_browser.py, tests/test_site.py) ----------------


@pytest.fixture(scope="module")
def chromium():
    """Debian's Chromium, headless, driven by Playwright: one per test module (browsers.py)."""
    from browsers import launch

    with launch() as browser:
        yield browser


# -- the fault suite's summary (tests/test_fault_suite.py) ------------------------------------
# Each test of the fault suite records its case's two outcomes as a user property. Under
# pytest-xdist, pytest_terminal_summary runs in the controller, not in the workers that ran
# the tests: the properties reach it with each test's reports, read here as they arrive.
# Without xdist the same hooks run in the one process.

import json  # noqa: E402 - this section's own
import re  # noqa: E402

_fault_rows: dict[str, dict] = {}  # nodeid: the case's row, and whether minimp passed it
_COLUMN = 48  # characters of an outcome shown in the table


def pytest_runtest_logreport(report):
    for key, value in report.user_properties:
        if key == "fault_case":
            row = _fault_rows.setdefault(report.nodeid, json.loads(value))
            if report.when == "call":
                row["passed"] = report.passed  # an expected failure (a minimp bug) is not a pass
            elif report.failed:  # a teardown's check for leaks failed
                row["passed"] = False


def pytest_terminal_summary(terminalreporter):
    if not _fault_rows:
        return
    rows = sorted(_fault_rows.values(), key=lambda row: row["index"])
    write = terminalreporter.write_line
    terminalreporter.section("fault suite: minimp beside the standard library")
    width = max(len(row["case"]) for row in rows)
    write(f"{'case':{width}}  {'minimp':{_COLUMN}}  {'stdlib':{_COLUMN}}  verdict")
    for row in rows:
        mark = "" if row.get("passed") else "  [xfail: minimp bug]" if row["bug"] else "  [FAILED]"
        minimp, stdlib = _shown(row["minimp"]), _shown(row["stdlib"])
        write(f"{row['case']:{width}}  {minimp:{_COLUMN}}  {stdlib:{_COLUMN}}  {row['verdict']}{mark}")

    ran = [row for row in rows if row["stdlib"]]
    passes, bugs = sum(bool(row.get("passed")) for row in rows), sum(bool(row["bug"]) for row in rows)
    hangs = sum(row["stdlib"]["kind"] == "hang" for row in ran)
    leaves = sum(bool(row["stdlib"]["left_behind"]) for row in ran)
    errors = sum(row["minimp"]["kind"] == "returned" and row["stdlib"]["kind"] in ("raised", "died") for row in ran)
    verdicts = {}
    for row in rows:
        verdicts[row["verdict"]] = verdicts.get(row["verdict"], 0) + 1
    write(f"{len(rows)} cases; minimp passes {passes} ({bugs} known minimp bugs, expected to fail)")
    write(f"stdlib: {hangs} hangs, {leaves} leave processes behind, {errors} errors where minimp returns")
    write(", ".join(f"{verdict} {count}" for verdict, count in sorted(verdicts.items())))


def _shown(outcome: dict | None, width: int = _COLUMN - 8) -> str:
    """An outcome in a column: its start, and how many processes it left behind."""
    if outcome is None:
        return "n/a"
    text = re.sub(r" \(pid \d+\)", "", f"{outcome['kind']} {outcome['detail']}".rstrip())  # room for the words
    text = text if len(text) <= width else text[: width - 1] + "…"
    return text + (f" +{len(outcome['left_behind'])} left" if outcome["left_behind"] else "")
