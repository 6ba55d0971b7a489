"""minimp: multiprocessing you can read.

A small re-implementation of the core of Python's `multiprocessing`, written
to be read. Its public names mirror the standard library's, so

    import minimp as multiprocessing

works for everything listed in `__all__`. Each idea has its own module;
start with `process.py` and follow the "Read next" line at the bottom of
each module's docstring.
"""

from . import connection
from .connection import Pipe
from .context import get_context
from .cpus import cpu_count
from .errors import AuthenticationError, BufferTooShort, ProcessError, TimeoutError
from .process import Process, active_children, current_process, parent_process
from .queues import JoinableQueue, Queue, SimpleQueue
from .sharedctypes import Array, RawArray, RawValue, Value
from .start import get_all_start_methods, get_start_method, set_start_method
from .synchronize import BoundedSemaphore, Condition, Event, Lock, RLock, Semaphore

__version__ = "0.1.0"

__all__ = [
    "Process", "current_process", "parent_process", "active_children",
    "get_context", "get_start_method", "set_start_method", "get_all_start_methods",
    "Pipe", "connection", "Queue", "JoinableQueue", "SimpleQueue",
    "Lock", "RLock", "Semaphore", "BoundedSemaphore", "Event", "Condition",
    "Value", "Array", "RawValue", "RawArray", "cpu_count", "freeze_support",
    "ProcessError", "BufferTooShort", "TimeoutError", "AuthenticationError",
]  # fmt: skip


def freeze_support() -> None:
    """Does nothing, as in `multiprocessing` everywhere but frozen Windows programs."""
