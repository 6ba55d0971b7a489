"""JoinableQueue and SimpleQueue: the standard library's two other queues, made of a Queue.

A `JoinableQueue` counts the tasks put and not yet done, in the queue's shared header
(`unfinished`), under the queue's lock; a third bell (queuelock.py) says "all done"::

    put(x)      unfinished 0 → 1: clear all_done
    get()       (unfinished stays 1: taken is not done)
    task_done() unfinished 1 → 0: set all_done, join() returns

A `SimpleQueue` is the smallest queue: put(), get(), empty() and close(), with no size
and no timeouts.

Read next: `runtime/synchronize.py`, the lock and the pipes they rest on.
"""

from __future__ import annotations

from . import descriptors, serialize
from .queuelock import Bell
from .queues import Queue

TYPE_CHECKING = False  # type names for readers and checkers; importing typing
if TYPE_CHECKING:  # would cost every spawned child several milliseconds
    from typing import Any

__all__ = ["JoinableQueue", "SimpleQueue"]


class JoinableQueue(Queue):
    """A Queue that counts unfinished tasks: consumers call `task_done()`
    after each get(), and `join()` waits until every task is done."""

    def __init__(self, maxsize: int = 0):
        self._all_done = Bell()
        self._all_done.set()
        super().__init__(maxsize)

    def _descriptors(self) -> int:
        return super()._descriptors() + 1  # the all-done bell

    def _append(self, message: list, kind: int) -> None:
        super()._append(message, kind)
        if self._counters.unfinished == 1:
            self._all_done.clear()

    def task_done(self) -> None:
        """Say that a task taken with get() is finished."""
        with self._lock:
            if self._counters.unfinished <= 0:
                raise ValueError("task_done() called too many times")
            self._counters.unfinished -= 1
            if self._counters.unfinished == 0:
                self._all_done.set()

    def join(self) -> None:
        """Wait until every message put has been marked with task_done()."""
        self._all_done.wait()


class SimpleQueue:
    """The smallest queue: a Queue inside. As in the standard library, a closed
    SimpleQueue raises OSError ("handle is closed") whatever you ask of it."""

    def __init__(self):
        self._queue = Queue()
        descriptors.hold(self, "SimpleQueue", 2, parts=(self._queue,))

    def put(self, obj: Any) -> None:
        self._open_queue().put(obj)

    def get(self) -> Any:
        return self._open_queue().get()

    def empty(self) -> bool:
        return self._open_queue().empty()

    def close(self) -> None:
        self._queue.close()

    def _open_queue(self) -> Queue:
        if self._queue._closed:
            raise OSError("handle is closed")
        return self._queue

    def __getstate__(self) -> dict:
        serialize.assert_spawning("SimpleQueue")
        return self.__dict__
