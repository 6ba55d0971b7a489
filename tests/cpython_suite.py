"""CPython's own multiprocessing tests (test._test_multiprocessing), pointed at minimp.

Its test classes take the library they test from a mixin of names
(`self.Process`, `self.Queue`, `self.Pool`, ...); `MinimpProcessesMixin` is
CPython's ProcessesMixin with minimp's names, under fork. Some of their tests
also name the `multiprocessing` module itself (`multiprocessing.Process.terminate`,
`multiprocessing.TimeoutError`, `multiprocessing.get_start_method()`): the
fixture `cpython_tests_on_minimp` lends them `minimp_as_multiprocessing` instead
while a test runs. `skipping` marks the tests a file's SKIPS names, each with
its reason: the list of what minimp does not do.
"""

import types
import unittest

import minimp
import minimp.runtime.errors
import minimp.runtime.queues

try:
    from test import _test_multiprocessing as cpython_tests
except ImportError:  # a Python built without its test suite: the files using this skip
    cpython_tests = None

fork = minimp.get_context("fork")

# The `multiprocessing` module as CPython's tests see it while they run: minimp's names, fork's Process.
minimp_as_multiprocessing = types.SimpleNamespace(**{
    **{name: getattr(minimp, name) for name in minimp.__all__},
    "Process": fork.Process, "get_start_method": fork.get_start_method,
    "queues": minimp.runtime.queues,  # close_queue(q): isinstance(q, multiprocessing.queues.Queue)
    "pool": types.SimpleNamespace(RemoteTraceback=minimp.runtime.errors.RemoteTraceback),  # test_traceback
})


class MinimpProcessesMixin:
    """CPython's ProcessesMixin, with minimp's names."""

    TYPE = "processes"
    Process = fork.Process
    connection = minimp.connection
    current_process = staticmethod(fork.current_process)
    parent_process = staticmethod(fork.parent_process)
    active_children = staticmethod(fork.active_children)
    set_executable = staticmethod(fork.set_executable)
    Pool = staticmethod(fork.Pool)
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


def skipping(skips: dict[str, str]):
    """A class decorator: skip each test named in `skips`, with its reason."""

    def decorate(cls):
        for name, reason in skips.items():
            setattr(cls, name, unittest.skip(reason)(getattr(cls, name)))
        return cls

    return decorate
