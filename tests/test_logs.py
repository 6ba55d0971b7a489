"""Logging: get_logger() and log_to_stderr(), and what minimp says on stderr once asked.

Most stories run as small programs (tests/programs.py), once with minimp and
once with the standard library, because what a user sees is the program's
stderr, from its first line to its exit; the standard library's lines are the
oracle. A few look at the logger in this process, and put it back afterwards.
"""

import io
import logging
import multiprocessing
import sys
import textwrap
import unittest

import pytest

import minimp
from minimp.runtime import logs
from programs import run_program

WAIT = 30  # seconds a program may take: far more than it needs


@pytest.fixture
def fresh_logs(monkeypatch):
    """This process's minimp logger as a new program has it, given back as it was after the test."""
    logger = logging.getLogger(logs.LOGGER_NAME)
    saved = logger.handlers, logger.filters, logger.propagate, logger.level
    monkeypatch.setattr(logs, "_logger", None)
    monkeypatch.setattr(logs, "_stderr", None)
    logger.handlers, logger.filters, logger.propagate = [], [], True
    logger.setLevel(logging.NOTSET)
    yield logger
    logger.handlers, logger.filters, logger.propagate = saved[:3]
    logger.setLevel(saved[3])  # (setLevel, not `level =`: it forgets what isEnabledFor() remembered)


def run(source: str, tmp_path, lib: str) -> tuple[int, str, str]:
    """Run `source` with `mp` standing for minimp or the standard library; its exit code, stdout, stderr."""
    program = f"import sys, time, logging, multiprocessing\nimport {lib} as mp\n" + textwrap.dedent(source)
    ended = run_program(program, tmp_path, timeout=WAIT)
    assert ended != "hung", f"the {lib} program hung"
    return ended


def log_lines(stderr: str) -> list[str]:
    """The lines the logger wrote (a traceback's lines are not among them)."""
    return [line for line in stderr.splitlines() if line.startswith("[")]


def of(process: str, lines: list[str]) -> list[str]:
    """What one process said, in its order (lines of different processes interleave by chance)."""
    return [line.split("] ", 1)[1] for line in lines if line.split("/", 1)[1].startswith(process + "]")]


def is_subsequence(short: list, long: list) -> bool:
    rest = iter(long)
    return all(item in rest for item in short)


# --- the logger, before and after log_to_stderr() --------------------------------


@pytest.mark.timeout(60)
def test_the_logger_starts_silent_as_in_the_standard_library(tmp_path):
    source = """
        logger = mp.get_logger()
        print(logger.name, bool(logger.propagate), logger.handlers, logger.level)
    """
    # Named "minimp", so that it never mixes with the standard library's; the rest is alike.
    assert run(source, tmp_path, "minimp")[1].split() == ["minimp", "False", "[]", "0"]
    assert run(source, tmp_path, "multiprocessing")[1].split() == ["multiprocessing", "False", "[]", "0"]


def test_log_to_stderr_sets_the_level_returns_the_logger_and_adds_one_handler(fresh_logs):
    logger = minimp.log_to_stderr(logging.INFO)
    assert logger is minimp.get_logger() is fresh_logs
    assert (logger.level, len(logger.handlers)) == (logging.INFO, 1)
    assert minimp.log_to_stderr() is logger
    assert (logger.level, len(logger.handlers)) == (logging.INFO, 1)  # no level: kept; no second handler


@pytest.mark.timeout(60)
def test_the_standard_library_adds_a_second_handler_and_prints_each_line_twice(tmp_path):
    source = """
        mp.log_to_stderr(logging.INFO)
        mp.log_to_stderr()
        mp.get_logger().info("hello")
    """
    assert log_lines(run(source, tmp_path, "multiprocessing")[2]).count("[INFO/MainProcess] hello") == 2
    assert log_lines(run(source, tmp_path, "minimp")[2]).count("[INFO/MainProcess] hello") == 1


def test_lines_go_to_the_stderr_of_the_moment(fresh_logs, monkeypatch):
    # A forked child replaces sys.stderr (output.py): its lines must go to its own.
    minimp.log_to_stderr(logging.INFO)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    minimp.get_logger().info("written to the %s", "new one")
    assert sys.stderr.getvalue() == "[INFO/MainProcess] written to the new one\n"


def test_subdebug_and_subwarning_are_the_standard_librarys_numbers():
    assert (minimp.SUBDEBUG, minimp.SUBWARNING) == (multiprocessing.SUBDEBUG, multiprocessing.SUBWARNING) == (5, 25)
    assert logging.getLevelName(minimp.SUBDEBUG) == "Level 5"  # neither library renames logging's levels


def test_a_context_offers_the_same_two_functions():
    for method in ("fork", "spawn"):
        ctx = minimp.get_context(method)
        assert (ctx.get_logger, ctx.log_to_stderr) == (minimp.get_logger, minimp.log_to_stderr)


# --- what a child says: its start, its end, its exit code ------------------------

CHILD = """
    def work(how):
        if how == "exit(3)":
            sys.exit(3)
        if how == "raise":
            raise ValueError("the child fails")

    if __name__ == "__main__":
        mp.log_to_stderr(logging.INFO)
        child = mp.get_context({method!r}).Process(target=work, args=({how!r},), name="Worker-A")
        child.start()
        child.join()
"""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("how, exitcode", [("return", 0), ("exit(3)", 3), ("raise", 1)])
def test_a_forked_child_says_what_it_does_as_in_the_standard_library(tmp_path, how, exitcode):
    source = CHILD.format(method="fork", how=how)
    lines = log_lines(run(source, tmp_path, "minimp")[2])
    assert lines == ["[INFO/Worker-A] child process calling self.run()",
                     "[INFO/Worker-A] process shutting down",
                     f"[INFO/Worker-A] process exiting with exitcode {exitcode}",
                     "[INFO/MainProcess] process shutting down"]  # fmt: skip
    assert lines == log_lines(run(source, tmp_path, "multiprocessing")[2])


@pytest.mark.timeout(60)
def test_a_childs_lines_name_minimps_process_not_the_one_logging_finds(tmp_path):
    # logging takes %(processName)s from the standard library's current_process(), which in a
    # minimp child is still "MainProcess"; minimp's filter writes the minimp process's own name.
    source = """
        def work():
            print(multiprocessing.current_process().name, flush=True)
            mp.get_logger().info("hello")

        if __name__ == "__main__":
            mp.log_to_stderr(logging.INFO)
            child = mp.Process(target=work, name="Worker-A")
            child.start()
            child.join()
    """
    code, out, err = run(source, tmp_path, "minimp")
    assert (code, out) == (0, "MainProcess\n")
    assert "[INFO/Worker-A] hello" in log_lines(err)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_a_spawned_child_says_what_it_does_as_in_the_standard_library(tmp_path, method):
    source = CHILD.format(method=method, how="exit(3)")
    lines, stdlib_lines = (log_lines(run(source, tmp_path, lib)[2]) for lib in ("minimp", "multiprocessing"))
    assert "[INFO/Worker-A] process exiting with exitcode 3" in lines
    assert of("Worker-A", lines) == of("Worker-A", stdlib_lines)
    # The standard library's forkserver also makes a temporary directory, and its server says goodbye.
    assert is_subsequence(of("MainProcess", lines), of("MainProcess", stdlib_lines))


INHERITANCE = """
    def report():
        logger = mp.get_logger()
        logger.debug("the child logs at the parent's level")
        print(logger.getEffectiveLevel(), len(logger.handlers), flush=True)

    if __name__ == "__main__":
        mp.log_to_stderr(logging.DEBUG)
        child = mp.get_context({method!r}).Process(target=report, name="Child")
        child.start()
        child.join()
"""


@pytest.mark.timeout(60)
@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_a_child_inherits_the_level_and_the_stderr_handler(tmp_path, method):
    code, out, err = run(INHERITANCE.format(method=method), tmp_path, "minimp")
    assert (code, out) == (0, "10 1\n")  # DEBUG, and one handler
    assert "the child logs at the parent's level" in of("Child", log_lines(err))
    _, stdlib_out, stdlib_err = run(INHERITANCE.format(method=method), tmp_path, "multiprocessing")
    assert out == stdlib_out
    assert is_subsequence(of("Child", log_lines(err)), of("Child", log_lines(stdlib_err)))  # it has finalizers too


@pytest.mark.timeout(60)
def test_a_spawned_child_of_a_program_that_never_logs_never_imports_logging(tmp_path):
    # logging costs a child about 6 ms to import; the target lives in a module, not in __main__,
    # which cloudpickle (which imports logging) would pickle.
    (tmp_path / "probe.py").write_text("import sys\n\ndef report(): print('logging' in sys.modules)\n")
    source = """
        import probe
        if __name__ == "__main__":
            child = mp.get_context("spawn").Process(target=probe.report)
            child.start()
            child.join()
    """
    assert run(source, tmp_path, "minimp")[:2] == (0, "False\n")


# --- at the program's end: each child the main process stops -----------------------


@pytest.mark.timeout(60)
def test_at_exit_the_main_process_says_what_it_does_to_each_child(tmp_path):
    source = """
        def nap():
            time.sleep(0.3)

        if __name__ == "__main__":
            mp.log_to_stderr(logging.INFO)
            fork = mp.get_context("fork")
            fork.Process(target=nap, name="Napper").start()
            fork.Process(target=time.sleep, args=(60,), name="Sleeper", daemon=True).start()
    """  # neither is joined: the end of the program does it
    minimp_main = of("MainProcess", log_lines(run(source, tmp_path, "minimp")[2]))
    stdlib_main = of("MainProcess", log_lines(run(source, tmp_path, "multiprocessing")[2]))
    assert minimp_main[:2] == stdlib_main[:2] == ["process shutting down", "calling terminate() for daemon Sleeper"]
    # Then each child still running is joined, in no particular order; the daemon just terminated
    # may be gone already (in both libraries): only the others are sure to be joined.
    sleeper_joined = "calling join() for process Sleeper"
    for main in (minimp_main, stdlib_main):
        assert set(main) - {sleeper_joined} == {"process shutting down", "calling terminate() for daemon Sleeper",
                                                "calling join() for process Napper"}  # fmt: skip


# --- a pool: its workers, and how it ends ------------------------------------------

POOL = """
    if __name__ == "__main__":
        mp.log_to_stderr({level})
        with mp.get_context("fork").Pool(1) as pool:
            assert pool.map(abs, [-1, -2, -3], chunksize=1) == [1, 2, 3]
            pool.close()
            pool.join()
"""


@pytest.mark.timeout(60)
def test_a_pool_says_what_the_standard_library_says_about_its_workers_and_its_end(tmp_path):
    minimp_lines = log_lines(run(POOL.format(level="logging.DEBUG"), tmp_path, "minimp")[2])
    stdlib_lines = log_lines(run(POOL.format(level="logging.DEBUG"), tmp_path, "multiprocessing")[2])
    main, worker = of("MainProcess", minimp_lines), of("ForkPoolWorker-1", minimp_lines)
    assert main == ["added worker", "closing pool", "joining pool", "terminating pool", "process shutting down"]
    assert worker == ["child process calling self.run()", "worker exiting after 3 tasks",
                      "process shutting down", "process exiting with exitcode 0"]
    # Each line minimp writes, the standard library writes too, in the same order (it writes more:
    # its three threads, its semaphores and its finalizers have lines of their own).
    assert is_subsequence(main, of("MainProcess", stdlib_lines))
    assert is_subsequence(worker, of("ForkPoolWorker-1", stdlib_lines))


@pytest.mark.timeout(60)
def test_a_pool_left_open_is_stopped_at_exit_and_says_so_at_level_5(tmp_path):
    source = """
        if __name__ == "__main__":
            mp.log_to_stderr(mp.SUBDEBUG)
            pool = mp.get_context("fork").Pool(1)
            pool.apply(abs, (-1,))
    """
    lines = log_lines(run(source, tmp_path, "minimp")[2])
    main = of("MainProcess", lines)
    assert main[1].startswith("stopping minimp-pool-") and main[1].endswith(" at exit")
    assert main == ["added worker", main[1], "terminating pool", "process shutting down"]
    assert "[Level 5/MainProcess] " + main[1] in lines  # as the standard library's SUBDEBUG lines print


@pytest.mark.timeout(60)
def test_a_logger_nobody_configured_says_nothing(tmp_path):
    source = """
        if __name__ == "__main__":
            mp.get_logger()  # made, but given no handler and no level
            for method in ("fork", "spawn"):
                child = mp.get_context(method).Process(target=abs, args=(-1,))
                child.start()
                child.join()
                with mp.get_context(method).Pool(1) as pool:
                    pool.map(abs, [-1, -2])
    """
    assert run(source, tmp_path, "minimp") == (0, "", "")


# --- CPython's own logging tests, run against minimp ---------------------------------
#
# test._test_multiprocessing's _TestLogging asks `multiprocessing.get_logger()` by its module's
# name for the library: that name is minimp's for the test's length. Under fork, so that the
# child started by the test sees the same.

try:
    from test import _test_multiprocessing as cpython_tests
except ImportError:  # a Python built without its test suite
    cpython_tests = None


@pytest.fixture
def cpython_tests_on_minimp(monkeypatch, fresh_logs):
    monkeypatch.setattr(cpython_tests, "multiprocessing", minimp)


if cpython_tests is not None:
    fork = minimp.get_context("fork")

    @pytest.mark.timeout(60)
    @pytest.mark.usefixtures("cpython_tests_on_minimp")
    class TestCPythonLoggingTestsOnMinimp(cpython_tests._TestLogging, unittest.TestCase):
        TYPE = "processes"
        Process = fork.Process
