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


@pytest.fixture(params=["fork", "spawn", "forkserver"])
def ctx(request):
    """minimp's API bound to one start method; tests using it run under each."""
    return minimp.get_context(request.param)


@pytest.fixture(params=["minimp", "stdlib"])
def mp(request):
    """minimp or the standard library: for tests where the original is the oracle."""
    return minimp if request.param == "minimp" else multiprocessing.get_context("fork")


def os_children() -> set[int]:
    """The pids of this process's children, zombies included (Linux /proc)."""
    pids = set()
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children") as f:
                pids.update(int(pid) for pid in f.read().split())
        except FileNotFoundError:  # the thread ended meanwhile
            pass
    return pids


# This process's "alive pipe" (start.py) is made when the first child starts
# and lives as long as the process; make it now so no test is blamed for it.
minimp.runtime.start.alive_read_end()
# Likewise the shared-memory arena (arena.py): one per process, for its Values and Locks.
minimp.runtime.arena.current_arena()
# Likewise the forkserver (forkserver.py): one server for the whole run, started
# before the first test, so that no test is blamed for its process or socket.
minimp.runtime.forkserver.ensure_running()


def open_fds() -> set[int]:
    return {int(fd) for fd in os.listdir("/proc/self/fd")}


def _wait_for(condition, timeout=3.0):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


@pytest.fixture(scope="session", autouse=True)
def fonts_loaded():
    """matplotlib opens its font file the first time it draws text, and keeps
    it open for good: draw once before any test counts file descriptors."""
    from matplotlib.figure import Figure

    Figure().text(0, 0, "minimp").figure.savefig(io.BytesIO(), format="png")


def the_forkserver() -> tuple[set[int], set[int]]:
    """The forkserver's pid and our socket to it: the run's one server (started above, or again
    by a test that stopped it) is not a test's leak."""
    server, socket = minimp.runtime.forkserver._server, minimp.runtime.forkserver._socket
    return ({server.pid} if server else set()), ({socket.fileno()} if socket else set())


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
