"""Event and Condition: wait until another process says so.

An `Event` is a flag: a pipe (synchronize.py) holding no byte (clear) or one (set).
`wait()` polls the pipe without reading, so every waiter sees the byte, and `set()`
wakes them all.

A `Condition` is a lock (a Lock or an RLock) and a way to sleep while not holding it:

    with condition:                          with condition:
        while not ready():                       make_ready()
            condition.wait()  # lock let go      condition.notify()
        use_it()              # and taken back

It is the standard library's algorithm on three semaphores: a sleeper counts itself in
`sleeping`, releases the lock and waits on `wake_up`; `notify(n)` releases `wake_up`
once per sleeper (at most n) and waits, on `woken`, until each has really woken. So a
notify reaches exactly the processes asleep when it is made: none is lost, none counts
twice, whichever process sleeps or notifies. Waiters wake in no particular order.

Limits: a Condition reaches a child only when the child is started, not through a
Queue later (RuntimeError).

Read next: `runtime/memory.py`, shared memory that such locks protect.
"""

from __future__ import annotations

import os
import sys

from . import serialize
from .connection import wait
from .synchronize import TOKEN, Lock, RLock, Semaphore, _Pipe, deadline_for, time_left

__all__ = ["Event", "Condition"]


class Event(_Pipe):
    """A flag processes can wait for: a pipe with no byte (clear) or one (set)."""

    def is_set(self) -> bool:
        return bool(wait([self._read], 0))

    def set(self) -> None:
        """Set the flag: every waiter, now and later, wakes up."""
        # Setting a set Event adds a byte: harmless, clear() empties the pipe
        # however many bytes it holds; and a full pipe is as set as can be.
        try:
            os.write(self._write, TOKEN)
        except BlockingIOError:
            pass

    def clear(self) -> None:
        try:
            while len(os.read(self._read, 4096)) == 4096:
                pass  # set thousands of times over: keep emptying
        except BlockingIOError:
            pass  # already clear

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the flag is set; return whether it is (False after a timeout)."""
        return bool(wait([self._read], timeout))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} at {id(self):#x} {'set' if self.is_set() else 'unset'}>"


class Condition:
    """Wait until another process says something changed; mirrors `multiprocessing.Condition`.
    `lock` is a Lock or an RLock (the default): both say how often the caller holds them."""

    def __init__(self, lock: Lock | RLock | None = None):
        self._lock = lock if lock is not None else RLock()
        self._sleeping = Semaphore(0)  # released once by each waiter going to sleep
        self._woken = Semaphore(0)  # released once by each waiter that woke up
        self._wake_up = Semaphore(0)  # a waiter sleeps on this

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        return self._lock.acquire(block, timeout)

    def release(self) -> None:
        self._lock.release()

    def __enter__(self) -> bool:
        return self._lock.__enter__()

    def __exit__(self, *exc_info) -> None:
        self._lock.__exit__(*exc_info)

    def wait(self, timeout: float | None = None) -> bool:
        """Release the lock, sleep until notified (or timeout), take the lock back."""
        depth = self._lock._count()  # an RLock may be held several times over
        if depth == 0:
            raise AssertionError("must acquire() condition before using wait()")
        self._sleeping.release()
        for _ in range(depth):
            self._lock.release()
        try:
            return self._wake_up.acquire(True, timeout)
        finally:
            self._woken.release()
            for _ in range(depth):
                self._lock.acquire()

    def wait_for(self, predicate, timeout: float | None = None):
        """Wait until predicate() is true; return its last value."""
        deadline = deadline_for(True, timeout)
        result = predicate()
        while not result and time_left(deadline) != 0:
            self.wait(time_left(deadline))
            result = predicate()
        return result

    def notify(self, n: int = 1) -> None:
        """Wake up to n waiting processes."""
        if self._lock._count() == 0:
            raise AssertionError("lock is not owned")
        # Waiters that timed out counted themselves asleep and awake: cancel
        # those pairs, so that only real sleepers are counted below.
        while self._woken.acquire(False):
            self._sleeping.acquire(False)
        woken = 0
        while woken < n and self._sleeping.acquire(False):
            self._wake_up.release()
            woken += 1
        for _ in range(woken):
            self._woken.acquire()  # wait until each one is really awake
        while self._wake_up.acquire(False):
            pass  # a sleeper timed out before taking its token: take it back

    def notify_all(self) -> None:
        self.notify(n=sys.maxsize)

    def __getstate__(self) -> dict:
        serialize.assert_spawning("Condition")
        return self.__dict__

    def __repr__(self) -> str:
        waiters = self._sleeping.get_value() - self._woken.get_value()
        return f"<{type(self).__name__}({self._lock}, {waiters})>"
