"""Contexts: the whole API, bound to one start method.

`minimp.get_context("spawn")` returns an object with the same names as the
`minimp` module (Process, Queue, Lock, Value, ...) whose processes always
start with spawn, whatever the default. A library can use its own context
without changing the start method of the program that imports it:

    ctx = minimp.get_context("spawn")
    p = ctx.Process(target=work)     # a SpawnProcess
    q = ctx.Queue()

Only Process depends on the start method; queues, locks and shared memory
work under each. (ForkProcess, SpawnProcess and ForkServerProcess live in process.py, so that
a spawned child unpickling one imports only what a process needs.)

Read next: `pools/pool.py`, the Pool that `ctx.Pool()` makes.
"""

from __future__ import annotations

from ..runtime import start
from ..runtime.connection import Pipe
from ..runtime.cpus import cpu_count
from ..runtime import forkserver
from ..runtime.logs import get_logger, log_to_stderr
from ..runtime.process import (PROCESS_CLASSES, ForkProcess, ForkServerProcess, Process, SpawnProcess, active_children,
                               current_process, parent_process)
from ..runtime.joinable import JoinableQueue, SimpleQueue
from ..runtime.queues import Queue
from ..runtime.sharedctypes import Array, RawArray, RawValue, Value
from ..runtime.barrier import Barrier
from ..runtime.conditions import Condition, Event
from ..runtime.synchronize import BoundedSemaphore, Lock, RLock, Semaphore
from .pool import Pool

__all__ = ["Context", "ForkProcess", "SpawnProcess", "ForkServerProcess", "get_context"]


class Context:
    """minimp's API with a fixed start method; mirrors `multiprocessing.get_context()`."""

    Process: type[Process]

    Queue = Queue
    JoinableQueue = JoinableQueue
    SimpleQueue = SimpleQueue
    Lock = Lock
    RLock = RLock
    Semaphore = Semaphore
    BoundedSemaphore = BoundedSemaphore
    Event = Event
    Condition = Condition
    Barrier = Barrier
    Pipe = staticmethod(Pipe)
    Value = staticmethod(Value)
    Array = staticmethod(Array)
    RawValue = staticmethod(RawValue)
    RawArray = staticmethod(RawArray)
    cpu_count = staticmethod(cpu_count)
    get_logger = staticmethod(get_logger)
    log_to_stderr = staticmethod(log_to_stderr)
    current_process = staticmethod(current_process)
    parent_process = staticmethod(parent_process)
    active_children = staticmethod(active_children)
    get_all_start_methods = staticmethod(start.get_all_start_methods)
    set_executable = staticmethod(start.set_executable)
    set_forkserver_preload = staticmethod(forkserver.set_forkserver_preload)

    def __init__(self, method: str):
        self._name = start.check_method(method)
        self.Process = PROCESS_CLASSES[method]

    def Pool(self, processes=None, initializer=None, initargs=(), maxtasksperchild=None):  # noqa: N802
        """A Pool whose workers start with this context's method."""
        return Pool(processes, initializer, initargs, maxtasksperchild, context=self)

    def Manager(self):  # noqa: N802
        """A started SyncManager whose server process starts with this context's method."""
        from ..runtime.managers import SyncManager  # here: a program without managers never loads them

        manager = SyncManager(ctx=self)
        manager.start()
        return manager

    def get_context(self, method: str | None = None) -> Context:
        return get_context(method)

    def get_start_method(self, allow_none: bool = False) -> str:
        return self._name

    def set_start_method(self, method: str | None, force: bool = False) -> None:
        raise ValueError("cannot set start method of concrete context")

    def __repr__(self) -> str:
        return f"<minimp context {self._name!r}>"


_contexts = {method: Context(method) for method in start.METHODS}


def get_context(method: str | None = None) -> Context:
    """The context for `method` ('fork', 'spawn' or 'forkserver'), or for the current default."""
    if method is None:
        method = start.get_start_method()
    return _contexts[start.check_method(method)]
