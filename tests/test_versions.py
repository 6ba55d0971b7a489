"""What minimp does on each Python it supports, told against what that Python's standard library does.

This machine may have one Python only. Where behaviour depends on the version, a test
puts this process in another version's shoes, changing just what minimp reads
(`sys.version_info`, the 3.13 interpreter's `sys._get_cpu_count_config()`, the 3.12
`os.fork()` warning), and asserts what that version's standard library documents. The
real thing is checked too where it can be: against this Python, with a real
interpreter started with the real flags.

- 3.12: `os.fork()` warns when the process has threads (DeprecationWarning).
- 3.13: `-X cpu_count=n` and `PYTHON_CPU_COUNT=n` override the CPU counts.
- 3.14: forkserver is Linux's default start method; `Process.interrupt()`; the
  executor's `terminate_workers()` and `kill_workers()` (and map's `buffersize`,
  tests/test_streaming.py).
"""

import concurrent.futures
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import threading
import time
import warnings

import pytest

import minimp
from minimp.pools.pool import check_processes
from minimp.runtime import cpus, start
from programs import SRC

WAIT = 30  # seconds: "for ever", so that a hang fails the test instead of stopping the run


def python(monkeypatch, version: tuple):
    """From here on, minimp believes it runs on `version`."""
    monkeypatch.setattr(sys, "version_info", (*version, 0, "final", 0)[:5])


# --- 3.13: -X cpu_count=n and PYTHON_CPU_COUNT=n ------------------------------------


@pytest.fixture
def eight_cores_one_and_a_half_granted(monkeypatch):
    """A container on an eight-core machine, granted 1.5 CPUs of time: minimp's own answer is 2."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    monkeypatch.setattr(cpus, "cgroup_cpu_limit", lambda: 1.5)


def started_with(monkeypatch, override: int):
    """A 3.13 interpreter started with -X cpu_count=`override` (-1: without)."""
    python(monkeypatch, (3, 13))
    monkeypatch.setattr(sys, "_get_cpu_count_config", lambda: override, raising=False)


def test_on_3_13_an_override_is_the_answer_as_os_cpu_count_gives_it(monkeypatch, eight_cores_one_and_a_half_granted):
    # There, os.cpu_count(), os.process_cpu_count() and multiprocessing.cpu_count() all return n:
    # the user has said how many, whatever the affinity and the quota.
    started_with(monkeypatch, 5)
    assert minimp.cpu_count() == 5
    assert check_processes("Pool", "processes", None) == 5  # a Pool's default size, as Pool() there


def test_on_3_13_without_an_override_minimp_counts_what_it_may_use(monkeypatch, eight_cores_one_and_a_half_granted):
    started_with(monkeypatch, -1)
    assert minimp.cpu_count() == 2


@pytest.mark.parametrize("version", [(3, 11), (3, 12)])
def test_before_3_13_there_is_no_override_to_read(monkeypatch, eight_cores_one_and_a_half_granted, version):
    python(monkeypatch, version)
    monkeypatch.delattr(sys, "_get_cpu_count_config", raising=False)  # not in those interpreters
    assert minimp.cpu_count() == 2


def counts_in_an_interpreter_started_with(*flags: str, env: dict) -> list[int]:
    """os.cpu_count(), multiprocessing.cpu_count() and minimp.cpu_count() in a new interpreter."""
    code = "import os, multiprocessing, minimp; print(os.cpu_count(), multiprocessing.cpu_count(), minimp.cpu_count())"
    environment = {key: value for key, value in os.environ.items() if key != "PYTHON_CPU_COUNT"}
    environment.update(PYTHONPATH=str(SRC), **env)
    run = subprocess.run([sys.executable, *flags, "-c", code], env=environment, capture_output=True, text=True,
                         timeout=WAIT, check=True)  # fmt: skip
    return [int(word) for word in run.stdout.split()]


@pytest.mark.timeout(60)
@pytest.mark.parametrize("flags, env", [((), {"PYTHON_CPU_COUNT": "1"}), (("-X", "cpu_count=1"), {})],
                         ids=["PYTHON_CPU_COUNT=1", "-X cpu_count=1"])
def test_this_python_and_minimp_agree_on_the_override(flags, env):
    plain = counts_in_an_interpreter_started_with(env={})
    overridden = counts_in_an_interpreter_started_with(*flags, env=env)
    if sys.version_info >= (3, 13):
        assert overridden == [1, 1, 1]  # everyone's answer is the user's
    else:
        assert overridden == plain  # 3.11 and 3.12 ignore both; so does minimp


# --- 3.12: os.fork() warns when the process has threads -----------------------------

FORK_WARNING = r"This process \(pid=\d+\) is multi-threaded, use of fork\(\) may lead to deadlocks in the child\."


@pytest.fixture
def fork_warns_as_on_3_12(monkeypatch):
    """os.fork() as 3.12 and later have it: in the parent of a process with other threads, a
    DeprecationWarning blamed on the code that called os.fork() (posixmodule.c, stack level 1)."""
    if sys.version_info >= (3, 12):
        return  # the real one
    real_fork = os.fork

    def fork():
        pid = real_fork()
        if pid != 0 and threading.active_count() > 1:
            warnings.warn(f"This process (pid={os.getpid()}) is multi-threaded, use of fork() may lead to "
                          f"deadlocks in the child.", DeprecationWarning, stacklevel=2)  # fmt: skip
        return pid

    monkeypatch.setattr(os, "fork", fork)


@pytest.fixture
def another_thread():
    """A thread that runs while the test forks, as a Jupyter kernel's do."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="another-thread")
    thread.start()
    yield thread
    stop.set()
    thread.join()


def warnings_of_a_forked_child(lib, filters: str | None) -> list[warnings.WarningMessage]:
    """Start and join a child with fork under `filters` ('always', or None: Python's defaults)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        if filters is None:  # what `python program.py` starts with (see the warnings module's docs)
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            warnings.filterwarnings("default", category=DeprecationWarning, module="__main__")
        else:
            warnings.simplefilter(filters)
        child = lib.get_context("fork").Process(target=abs, args=(-1,))
        child.start()
        child.join(WAIT)
    assert child.exitcode == 0
    return [w for w in caught if w.category is DeprecationWarning]


@pytest.mark.timeout(60)
def test_the_fork_warning_reaches_the_user_as_the_standard_librarys_does(fork_warns_as_on_3_12, another_thread):
    # minimp leaves Python's warning alone: the same words, the same category, blamed on the line
    # that calls os.fork(); only that line is minimp's instead of the standard library's.
    (ours,) = warnings_of_a_forked_child(minimp, "always")
    (theirs,) = warnings_of_a_forked_child(multiprocessing, "always")
    assert re.fullmatch(FORK_WARNING, str(ours.message))
    assert str(ours.message) == str(theirs.message)
    assert ours.filename.endswith(os.path.join("minimp", "runtime", "start.py"))
    assert theirs.filename.endswith(os.path.join("multiprocessing", "popen_fork.py"))


@pytest.mark.timeout(60)
def test_python_s_default_filters_hide_it_from_both(fork_warns_as_on_3_12, another_thread):
    # Shown only if blamed on __main__: a script (or a notebook cell) calling os.fork() itself
    # sees it, a program whose library forks does not; pytest and `python -W default` show both.
    assert warnings_of_a_forked_child(minimp, None) == warnings_of_a_forked_child(multiprocessing, None) == []


# --- 3.14: the default start method, Process.interrupt(), the executor's workers ----


@pytest.fixture
def fresh_start_method(monkeypatch):
    """As a new program: no start method chosen yet."""
    monkeypatch.setattr(start, "_method", None)


@pytest.mark.parametrize("version, platform, default", [
    pytest.param((3, 11), "linux", "fork", id="3.11-linux"), pytest.param((3, 13), "linux", "fork", id="3.13-linux"),
    pytest.param((3, 11), "darwin", "spawn", id="3.11-macos"), pytest.param((3, 14), "darwin", "spawn", id="3.14-macos"),
    pytest.param((3, 14), "linux", "forkserver", id="3.14-linux"),
])  # fmt: skip
def test_the_default_start_method_is_that_pythons(monkeypatch, fresh_start_method, version, platform, default):
    python(monkeypatch, version)
    monkeypatch.setattr(sys, "platform", platform)
    assert minimp.get_start_method() == default


@pytest.mark.parametrize("version, platform, methods", [
    pytest.param((3, 11), "linux", ["fork", "spawn", "forkserver"], id="3.11-linux"),
    pytest.param((3, 14), "linux", ["forkserver", "fork", "spawn"], id="3.14-linux"),
    pytest.param((3, 14), "darwin", ["spawn", "fork", "forkserver"], id="3.14-macos"),
])  # fmt: skip
def test_the_methods_come_in_that_pythons_order(monkeypatch, version, platform, methods):
    # get_all_start_methods(): the default, then the others (3.14: in the order fork, spawn, forkserver).
    python(monkeypatch, version)
    monkeypatch.setattr(sys, "platform", platform)
    assert minimp.get_all_start_methods() == methods


def wait_for_sigint(ready):
    ready.set()
    time.sleep(WAIT)


@pytest.mark.timeout(60)
def test_interrupt_is_ctrl_c_as_python_3_14s(ctx):
    # 3.14's Process.interrupt() sends SIGINT: the child's KeyboardInterrupt ends it with exitcode 1.
    ready = ctx.Event()
    child = ctx.Process(target=wait_for_sigint, args=(ready,))
    child.start()
    assert ready.wait(WAIT)
    child.interrupt()
    child.join(WAIT)
    assert child.exitcode == 1


@pytest.mark.timeout(60)
def test_the_standard_librarys_child_ends_alike_on_sigint():
    ready = multiprocessing.get_context("fork").Event()
    child = multiprocessing.get_context("fork").Process(target=wait_for_sigint, args=(ready,))
    child.start()
    assert ready.wait(WAIT)
    os.kill(child.pid, signal.SIGINT)  # what 3.14's interrupt() does
    child.join(WAIT)
    assert child.exitcode == 1


@pytest.mark.timeout(60)
@pytest.mark.parametrize("stop", ["terminate_workers", "kill_workers"])
def test_the_executor_stops_its_workers_as_python_3_14s(ctx, stop):
    # The call running fails with BrokenProcessPool, the one waiting is cancelled, and the
    # executor takes no more work: as after shutdown(), which 3.14's methods call.
    executor = minimp.ProcessPoolExecutor(1, mp_context=ctx)
    running = executor.submit(time.sleep, WAIT)
    while not running.running():
        time.sleep(0.01)
    waiting = executor.submit(time.sleep, WAIT)
    getattr(executor, stop)()
    assert isinstance(running.exception(WAIT), concurrent.futures.process.BrokenProcessPool)
    assert f"{stop}() stopped its worker" in str(running.exception())
    assert waiting.cancelled()
    with pytest.raises(RuntimeError, match="cannot schedule new futures after shutdown"):
        executor.submit(abs, -1)
    executor.shutdown()
