"""Locks for processes, made of pipes: Semaphore, Lock, RLock.

A semaphore counts free places. minimp keeps that count in the kernel, as bytes in a
pipe, one byte ("token") per free place: the trick of GNU make's jobserver. `acquire()`
reads a token out of the pipe, `release()` writes one back, and a process that finds the
pipe empty sleeps in poll(2) until a token arrives::

    Semaphore(2)    pipe: [• •]
    acquire()             [•]       got one
    acquire()             [ ]       got one
    acquire()             [ ]       sleeps in poll() ...
    release() elsewhere   [•]       ... wakes up, reads it: [ ]

A lock made before `start()` works in the child, which shares the pipe: fork copies the
two descriptors, spawn passes them. `Lock` is one token that refuses a second release,
plus a note of who took it, kept in shared memory (a block of the arena, arena.py) so that
every process can read it. `RLock` is a Lock plus a depth, kept in the owner process:
only the owner can know it holds it, so only the owner needs to.

Unlike the standard library's POSIX semaphores, which cost nothing when uncontended,
every acquire and release is a system call (about a microsecond), waiters wake in no
particular order, and each object costs two file descriptors (descriptors.py). Also unlike
them, a Lock is *robust*: a process killed holding it does not leave it locked for ever; a
waiter notices and gets `LockOwnerDiedError` (owners.py). A Semaphore has no owner to
watch: a token taken by a process that dies is lost, as there.

Limits: a Semaphore holds at most as many tokens as a pipe holds bytes (64 KiB on Linux).
These objects reach a child only when it is started, not through a Queue later.

Read next: `runtime/owners.py`, how a waiter notices that a Lock's owner died.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import struct
import termios
import threading
import time
from weakref import finalize

from . import descriptors, family, owners, serialize
from .arena import allocate
from .connection import wait
from .process import current_process

__all__ = ["Semaphore", "BoundedSemaphore", "Lock", "RLock"]

# Failed tries (about a microsecond each) before acquire() sleeps: a lock such as a
# Queue's is held a microsecond or two, while falling asleep and being woken costs ten or
# more; without the spin, two processes sharing a busy Queue mostly wake each other up.
SPIN = 10
TOKEN = b"\x01"


def deadline_for(block: bool, timeout: float | None) -> float | None:
    """When to give up waiting, as the standard library reads (block, timeout): at
    once (not block: the timeout is ignored), never (None), or in `timeout` seconds."""
    if not block:
        return time.monotonic()
    return None if timeout is None else time.monotonic() + timeout


def time_left(deadline: float | None) -> float | None:
    """Seconds until `deadline` (never negative), or None for ever."""
    return None if deadline is None else max(0.0, deadline - time.monotonic())


class _Pipe:
    """What every object here is made of: a pipe whose ends never block (an
    empty read or a full write raises BlockingIOError, and the object decides)."""

    def __init__(self):
        try:
            self._read, self._write = os.pipe()
        except OSError as error:
            raise descriptors.explain(error) from None
        descriptors.hold(self, type(self).__name__, 2)
        os.set_blocking(self._read, False)
        os.set_blocking(self._write, False)
        self._close_when_gone()

    # Under spawn both descriptors travel under the same numbers, the rest as it is (a
    # Lock's note of its owner names another process: not the child's, as after fork).
    def __getstate__(self) -> dict:
        serialize.pass_fd(self._read, type(self).__name__)
        serialize.pass_fd(self._write, type(self).__name__)
        return self.__dict__

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._close_when_gone()

    def _close_when_gone(self) -> None:
        finalize(self, os.close, self._read)
        finalize(self, os.close, self._write)


class Semaphore(_Pipe):
    """A counter of free places, shared by processes; mirrors `multiprocessing.Semaphore`."""

    def __init__(self, value: int = 1):
        kind = type(self).__name__
        if not isinstance(value, int):
            raise TypeError(f"{kind}(value={value!r}): value must be an int")
        if value < 0:
            raise ValueError(f"{kind}(value={value}): value must be >= 0")
        super().__init__()
        # A non-blocking write into a pipe with too little room writes what fits.
        if value and os.write(self._write, TOKEN * value) < value:
            raise ValueError(f"{kind}(value={value}): a minimp semaphore holds at most "
                             f"{self.get_value()} tokens on this system")  # fmt: skip
        self._maxvalue: int | None = None  # no limit; BoundedSemaphore sets one

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        """Take a token; wait for one if there is none. False if none came in time."""
        deadline = deadline_for(block, timeout)
        tries = 0
        while True:
            try:
                os.read(self._read, 1)
                return True
            except BlockingIOError:  # no token: try again, and soon wait for one
                remaining = time_left(deadline)
                if remaining == 0:
                    return self._give_up()
                tries += 1
                if tries > SPIN:
                    self._sleep(remaining)

    def _give_up(self) -> bool:  # what acquire() returns when no token came in time
        return False

    def _sleep(self, remaining: float | None) -> None:  # until a token may be back
        wait([self._read], remaining)

    def release(self) -> None:
        """Put a token back, waking one waiter."""
        if self._maxvalue is not None and self.get_value() >= self._maxvalue:
            raise ValueError("semaphore or lock released too many times")
        try:
            os.write(self._write, TOKEN)
        except BlockingIOError:
            raise ValueError("semaphore value cannot grow beyond the pipe's capacity") from None

    def get_value(self) -> int:
        """The number of free places right now: the bytes in the pipe (the FIONREAD ioctl)."""
        return struct.unpack("i", fcntl.ioctl(self._read, termios.FIONREAD, b"\0\0\0\0"))[0]

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc_info) -> None:
        self.release()

    def __repr__(self) -> str:
        bound = "" if self._maxvalue is None else f", maxvalue={self._maxvalue}"
        return f"<{type(self).__name__}(value={self.get_value()}{bound})>"


class BoundedSemaphore(Semaphore):
    """A Semaphore that may not be released above its initial value (ValueError)."""

    def __init__(self, value: int = 1):
        super().__init__(value)
        self._maxvalue = value


def _me() -> tuple[int, int]:
    """Who is asking: this process and this thread."""
    return family.pid, threading.get_ident()


class Lock(Semaphore):
    """A lock for processes: one token, and a note of who took it. Releasing an unlocked
    Lock raises ValueError; as in the standard library, any process or thread may release it.
    If its owner dies holding it, acquire() raises LockOwnerDiedError, and the lock is free."""

    def __init__(self):
        super().__init__(1)
        self._owner: tuple[int, int] | None = None  # (pid, thread) that took the token
        self._block = allocate(ctypes.sizeof(owners.Note))  # the owner's note, for the other processes
        self._map_note()

    def _map_note(self) -> None:  # this process's view of the note
        self._note = owners.Note.from_buffer(self._block.map, self._block.offset)

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        got = Semaphore.acquire(self, block, timeout)  # take the token (super() costs 10% more) ...
        if got:
            self._owner = _me()  # ... and note who has it, here and for the others
            note, pid = self._note, family.pid
            if note.named != pid:  # another process's start and name: write ours
                note.named, note.start, note.name = owners._identity or owners.identity()
            note.pid = pid  # last: a waiter that sees it sees the rest (owners.Note)
        return got

    def _give_up(self) -> bool:
        return owners.give_up(self)  # False, or LockOwnerDiedError

    def _sleep(self, remaining: float | None) -> None:
        owners.sleep(self, remaining)  # until the token is back, or the owner is dead

    def release(self) -> None:
        # The owner knows the token is out of the pipe; anyone else asks the
        # kernel, which costs as much as the rest of release().
        if not self._is_mine() and self.get_value() == 1:
            raise ValueError("semaphore or lock released too many times")
        self._owner = None  # first: once the token is back, a thread of ours may take it
        self._note.pid = 0  # from now on a waiter does not watch us
        os.write(self._write, TOKEN)

    def __getstate__(self) -> dict:
        return {key: value for key, value in super().__getstate__().items() if key != "_note"}

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._map_note()

    def _is_mine(self) -> bool:
        return self._owner == _me()

    def _count(self) -> int:  # how many times the calling thread holds it (for Condition)
        return int(self._is_mine())

    def __repr__(self) -> str:
        return f"<{type(self).__name__}(owner={self._holder()})>"

    def _holder(self) -> str:
        """Who holds it, in the words of the standard library's repr."""
        if self.get_value() == 1:
            return "None"
        if self._is_mine():
            name = current_process().name
            if threading.current_thread() is not threading.main_thread():
                name += "|" + threading.current_thread().name
            return name
        if self._owner is not None and self._owner[0] == family.pid:
            return "SomeOtherThread"
        return "SomeOtherProcess"


class RLock(Lock):
    """A lock its owner may acquire again, free after as many releases. Only the owner
    (process and thread) may release it (AssertionError)."""

    def __init__(self):
        super().__init__()
        self._depth = 0  # how many times the owner has acquired it

    def acquire(self, block: bool = True, timeout: float | None = None) -> bool:
        if self._is_mine():  # already ours: just count
            self._depth += 1
            return True
        got = super().acquire(block, timeout)  # notes the owner
        if got:
            self._depth = 1
        return got

    def release(self) -> None:
        if not self._is_mine():
            raise AssertionError(self._not_yours())
        self._depth -= 1
        if self._depth == 0:
            super().release()

    def _not_yours(self) -> str:
        """What release() says to a thread that does not hold the lock."""
        holder = self._holder()
        if holder == "None":
            who = "nobody holds it, it is unlocked"
        elif holder == "SomeOtherThread":
            names = {thread.ident: thread.name for thread in threading.enumerate()}
            who = f"this process's thread {names.get(self._owner[1], '(ended)')!r} holds it"
        else:
            who = "another process holds it"
        return (f"attempt to release recursive lock not owned by thread: {who}. Release an RLock "
                "only in the thread that acquired it, once for each acquire()")  # fmt: skip

    def _count(self) -> int:
        return self._depth if self._is_mine() else 0

    def __repr__(self) -> str:
        owner = self._holder()
        depth = self._depth if self._is_mine() else 0 if owner == "None" else "nonzero"
        return f"<{type(self).__name__}({owner}, {depth})>"
