"""CPython's own Process tests (test._test_multiprocessing's _TestProcess and
_TestSubclassingProcess), run against minimp under fork.

The classes take the library they test from a mixin of names, as in
tests/test_barrier.py; a few of their tests also name the `multiprocessing`
module itself (`multiprocessing.Process.terminate`, `get_start_method()`,
`from multiprocessing.process import parent_process` in the child): minimp's
names stand in for those while a test runs. SKIPS lists what minimp does not
do, and why (none so far; CPython itself skips its forkserver tests and
test_child_fd_inflation under fork).
"""

import multiprocessing.process
import types
import unittest

import pytest

import minimp
import minimp.runtime.start

try:
    from test import _test_multiprocessing as cpython_tests
except ImportError:  # a Python built without its test suite
    cpython_tests = None

pytestmark = [pytest.mark.timeout(60),
              pytest.mark.skipif(cpython_tests is None, reason="this Python has no test suite")]

fork = minimp.get_context("fork")

# The `multiprocessing` module as the tests see it while they run: minimp's names, fork's Process.
minimp_as_multiprocessing = types.SimpleNamespace(**{
    **{name: getattr(minimp, name) for name in minimp.__all__},
    "Process": fork.Process, "get_start_method": fork.get_start_method,
    "queues": minimp.runtime.queues,  # close_queue(q): isinstance(q, multiprocessing.queues.Queue)
})

SKIPS = {}


@pytest.fixture
def cpython_tests_on_minimp(monkeypatch):
    monkeypatch.setattr(cpython_tests, "multiprocessing", minimp_as_multiprocessing)
    # Run in a forked child, `from multiprocessing.process import parent_process` must find minimp's.
    monkeypatch.setattr(multiprocessing.process, "parent_process", minimp.parent_process)
    # _UpperCaser subclasses multiprocessing.Process: the same class on minimp's Process.
    monkeypatch.setattr(cpython_tests, "_UpperCaser",
                        type("_UpperCaser", (fork.Process,), {key: value for key, value in vars(cpython_tests._UpperCaser).items()
                                                           if key not in ("__dict__", "__weakref__")}))
    monkeypatch.setattr(minimp.runtime.start, "_executable", minimp.runtime.start._executable)  # set_executable()


class MinimpProcessesMixin:
    TYPE = "processes"
    Process = fork.Process
    connection = minimp.connection
    current_process = staticmethod(fork.current_process)
    parent_process = staticmethod(fork.parent_process)
    active_children = staticmethod(fork.active_children)
    set_executable = staticmethod(fork.set_executable)
    Pipe = staticmethod(fork.Pipe)
    Queue = staticmethod(fork.Queue)
    JoinableQueue = staticmethod(fork.JoinableQueue)
    Lock = staticmethod(fork.Lock)
    RLock = staticmethod(fork.RLock)
    Semaphore = staticmethod(fork.Semaphore)
    BoundedSemaphore = staticmethod(fork.BoundedSemaphore)
    Condition = staticmethod(fork.Condition)
    Event = staticmethod(fork.Event)
    Barrier = staticmethod(fork.Barrier)
    Value = staticmethod(fork.Value)
    Array = staticmethod(fork.Array)
    RawValue = staticmethod(fork.RawValue)
    RawArray = staticmethod(fork.RawArray)


def skipping(cls):
    """Mark the tests named in SKIPS, each with its reason."""
    for name, reason in SKIPS.get(cls.__name__, {}).items():
        setattr(cls, name, unittest.skip(reason)(getattr(cls, name)))
    return cls


if cpython_tests is not None:

    @skipping
    @pytest.mark.usefixtures("cpython_tests_on_minimp")
    class TestCPythonProcessTestsOnMinimp(MinimpProcessesMixin, cpython_tests._TestProcess, unittest.TestCase):
        pass

    @skipping
    @pytest.mark.usefixtures("cpython_tests_on_minimp")
    class TestCPythonSubclassingProcessTestsOnMinimp(MinimpProcessesMixin, cpython_tests._TestSubclassingProcess,
                                                     unittest.TestCase):
        pass
