"""What a Queue waits with: a record lock the kernel takes back, and bells of one descriptor.

A Queue (queues.py) needs a lock around its header and two *bells* to sleep on. Made of
Semaphores and Events, that was six descriptors besides its file; here it is two:

- **The lock is a record lock** (`fcntl.lockf`, POSIX `F_SETLKW`) on the first byte of the
  queue's own file: no descriptor of its own. The kernel keeps record locks per process, so
  the threads of one process first take a `threading.Lock` (a forked child makes itself a new
  one: the parent's may have been held by a thread that the child does not have). And the
  kernel releases a record lock when its process dies: a queue whose user was killed inside
  put() or get() does not stay locked for ever. Its header may be half-written, though: so
  the holder writes its pid into the header (`busy`) and clears it as it lets go; the next
  process to take the lock and find a pid there knows that process died inside, and raises
  LockOwnerDiedError naming it. The queue is then *broken* for every process, for good (a
  half-written count or position would hand out garbage): make a new one.
- **A bell is an eventfd** (Linux), a kernel counter behind one descriptor, where an Event
  (conditions.py) is a pipe, two: `ring` adds 1 and wakes whoever polls it; `clear` reads it
  back to 0. Elsewhere a bell is an Event.

Why not one pipe for both bells? A pipe, once rung, must be emptied by someone, and a sleeper
cannot know whether the byte it sees was meant for it or for a sleeper of the other kind that
has not woken yet: emptying it may lose that one's wake-up, leaving it may make every sleeper
spin. Two bells keep the Queue's simple rule: clear your own bell, sleep on it.

Read next: `runtime/joinable.py`, JoinableQueue and SimpleQueue, made of a Queue.
"""

from __future__ import annotations

import fcntl
import os
import threading
import weakref
from weakref import finalize

from . import descriptors, serialize
from .conditions import Event
from .connection import wait
from .errors import LockOwnerDiedError

__all__ = ["RecordLock", "Bell"]

SPIN_READS = 200  # looks at the header (about 10 µs) before sleeping on a held lock
_locks: weakref.WeakSet = weakref.WeakSet()  # this process's RecordLocks: renewed at fork


def _after_fork() -> None:
    for lock in list(_locks):
        lock._threads, lock._pid = threading.Lock(), os.getpid()


os.register_at_fork(after_in_child=_after_fork)


class RecordLock:
    """The lock of the queue whose file is `fd` and whose header is `header` (its `busy` and
    `broken_by` fields): `with lock:` around every look at the header."""

    def __init__(self, fd: int, header, kind: str):
        self._fd, self._header, self._kind = fd, header, kind
        self._threads = threading.Lock()
        self._pid = os.getpid()
        _locks.add(self)

    def __enter__(self) -> None:
        self._threads.acquire()
        try:
            # The lock is held a microsecond or two, and falling asleep in the kernel and being
            # woken costs far more: while the header says another process holds it, wait a little
            # reading memory, with no system call (bench_core.py's small-message queue was 45%
            # slower without it). Then take it, sleeping if need be.
            header, spins = self._header, 0
            while header.busy and spins < SPIN_READS:
                spins += 1
            fcntl.lockf(self._fd, fcntl.LOCK_EX, 1)
            if header.busy or header.broken_by:
                self._refuse()
            header.busy = self._pid
        except BaseException:
            # An error, or Ctrl-C right after the lock was taken: let go of it. (Unlocking a
            # record lock that this process does not hold changes nothing.)
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 1)
            self._threads.release()
            raise

    def __exit__(self, *exc_info) -> None:
        self._header.busy = 0
        fcntl.lockf(self._fd, fcntl.LOCK_UN, 1)
        self._threads.release()

    def _refuse(self) -> None:
        """Holding the lock, we found a pid in `busy`: that process died inside put() or get()."""
        header = self._header
        if not header.broken_by:
            header.broken_by, header.busy = header.busy, 0
        dead = header.broken_by  # __enter__ lets go of the lock
        raise LockOwnerDiedError(
            f"process {dead} died inside put(), get() or task_done() of this {self._kind}, holding its lock: its "
            f"messages and counts may be half-written, so the {self._kind} refuses to be used again, in every "
            f"process. Make a new {self._kind}; and find out why process {dead} died (killed? os._exit()?).",
            dead, "")


class _EventFdBell:
    """A bell: an eventfd, one descriptor, that is set (non-zero) or clear."""

    def __init__(self):
        try:
            self._fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        except OSError as error:
            raise descriptors.explain(error) from None
        finalize(self, os.close, self._fd)

    def set(self) -> None:
        os.eventfd_write(self._fd, 1)

    def clear(self) -> None:
        try:
            os.eventfd_read(self._fd)  # back to 0
        except BlockingIOError:
            pass  # clear already

    def wait(self, timeout: float | None = None) -> bool:
        return bool(wait([self._fd], timeout))

    def is_set(self) -> bool:
        return self.wait(0)

    def __getstate__(self) -> dict:
        return {"_fd": serialize.pass_fd(self._fd, "Queue")}

    def __setstate__(self, state: dict) -> None:
        self._fd = state["_fd"]
        finalize(self, os.close, self._fd)


Bell = _EventFdBell if hasattr(os, "eventfd") else Event
