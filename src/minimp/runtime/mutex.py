"""A Queue's lock without a system call: a robust, process-shared pthread mutex in its header.

An uncontended lock should cost no trip into the kernel. A POSIX mutex made *process-shared*
lives in shared memory, in the queue's header (queues.py), and is taken with one atomic
instruction when nobody holds it; only a waiter sleeps in the kernel (a futex). Made *robust*,
it is also what the record lock of queuelock.py was chosen for: when its holder dies, the
kernel hands it to the next taker with the answer EOWNERDEAD instead of leaving it held for
ever. The holder writes its pid into the header (`busy`), so the next taker can say who died
(LockOwnerDiedError), and the queue refuses to be used again, as with the record lock.

The mutex is called through ctypes: `pthread_mutex_trylock` through `ctypes.PyDLL`, which
keeps the GIL (cheapest, and it never blocks); a held lock is waited for with
`pthread_mutex_timedlock` through `ctypes.CDLL`, which lets other threads run, a tenth of a
second at a time, so that Ctrl-C is seen. The mutex excludes threads as well as processes:
it belongs to a thread, not to a process, so no `threading.Lock` goes with it.

Limits: needs robust mutexes (Linux's glibc and musl; not macOS): `robust_mutexes()` says so, and
elsewhere a Queue uses queuelock.RecordLock. Like the record lock, it is not reentrant.

Read next: `runtime/queuelock.py`, the record lock it replaces where it is missing, and the
bells a Queue sleeps on.
"""

from __future__ import annotations

import ctypes
import errno
import os
import time

from . import family
from .errors import LockOwnerDiedError
from .queuelock import RecordLock

__all__ = ["RobustMutex", "robust_mutexes", "MUTEX_SIZE", "queue_lock"]

MUTEX_SIZE = 64  # bytes kept for a pthread_mutex_t (40 on Linux x86-64 and arm64)
SPIN_READS = 200  # looks at the header (about 10 µs) before sleeping on a held lock
WAIT_STEP = 0.1  # seconds of one timed wait: how soon Ctrl-C is seen
PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_ROBUST = 1, 1


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


def _functions():
    keep_gil, free_gil = ctypes.PyDLL(None), ctypes.CDLL(None)
    needed = ("pthread_mutexattr_init", "pthread_mutexattr_setpshared", "pthread_mutexattr_setrobust",
              "pthread_mutex_init", "pthread_mutex_trylock", "pthread_mutex_timedlock",
              "pthread_mutex_unlock", "pthread_mutex_consistent")
    if not all(hasattr(free_gil, name) for name in needed):
        return None
    trylock, unlock = keep_gil.pthread_mutex_trylock, keep_gil.pthread_mutex_unlock
    timedlock = free_gil.pthread_mutex_timedlock
    for function in (trylock, unlock, keep_gil.pthread_mutex_consistent):
        function.argtypes, function.restype = [ctypes.c_void_p], ctypes.c_int
    timedlock.argtypes, timedlock.restype = [ctypes.c_void_p, ctypes.POINTER(_Timespec)], ctypes.c_int
    return free_gil, trylock, timedlock, unlock, keep_gil.pthread_mutex_consistent


_found = _functions() if os.uname().sysname == "Linux" else None
_trylock, _unlock = (_found[1], _found[3]) if _found else (None, None)  # the two calls of every `with`


def robust_mutexes() -> bool:
    """Are there robust process-shared mutexes here? (A test may say no, to try the record lock.)"""
    return _found is not None


class RobustMutex:
    """The lock of the queue whose header is `header`, its mutex in the header's field `mutex`
    (and its `busy` and `broken_by` fields): `with lock:` around every look at the header.
    `create=True` (once, by the queue's maker) initialises the mutex."""

    def __init__(self, header, kind: str, create: bool = False):
        self._header, self._kind = header, kind
        self._mutex = ctypes.addressof(header) + type(header).mutex.offset
        if create:
            libc = _found[0]
            attr = ctypes.create_string_buffer(64)  # a pthread_mutexattr_t, with room to spare
            for call in (libc.pthread_mutexattr_init(attr), libc.pthread_mutexattr_setpshared(attr, PTHREAD_PROCESS_SHARED),
                         libc.pthread_mutexattr_setrobust(attr, PTHREAD_MUTEX_ROBUST),
                         libc.pthread_mutex_init(ctypes.c_void_p(self._mutex), attr)):
                if call != 0:
                    raise OSError(call, f"cannot make a {kind}'s lock: {os.strerror(call)}")

    def __enter__(self) -> None:
        try:
            answer = _trylock(self._mutex)  # the fast path: one atomic instruction when free
            if answer:
                self._not_free(answer)
            header = self._header
            if header.broken_by:
                self._refuse()
            header.busy = family.pid  # (remembered: getpid() twice per item of a Queue would cost 0.4 µs)
        except BaseException:
            # Ctrl-C (or any error) right after the lock was taken, before `with` could promise
            # to release it: release it here. Not taken? Then this unlock is refused (EPERM:
            # a robust mutex releases only for its owner), and changes nothing.
            _unlock(self._mutex)
            raise

    def __exit__(self, *exc_info) -> None:
        self._header.busy = 0
        _unlock(self._mutex)

    def _not_free(self, answer: int) -> None:
        """trylock did not simply take the lock: wait for it if it is held, take it over
        if its holder died, and raise on any other answer."""
        if answer == errno.EBUSY:
            answer = self._wait()
        if answer == errno.EOWNERDEAD:
            self._taken_from_the_dead()
        elif answer != 0:
            raise OSError(answer, f"the lock of a {self._kind}: {os.strerror(answer)}")

    def _wait(self) -> int:
        """The lock is held: look at the header a little (it is held a microsecond or two, and
        sleeping in the kernel costs far more), then sleep a tenth of a second at a time."""
        trylock, timedlock = _found[1:3]
        header, spins = self._header, 0
        while header.busy and spins < SPIN_READS:
            spins += 1
        answer = trylock(self._mutex)
        while answer in (errno.EBUSY, errno.ETIMEDOUT):
            until = time.time() + WAIT_STEP  # timedlock's clock is CLOCK_REALTIME
            answer = timedlock(self._mutex, _Timespec(int(until), int(until % 1 * 1e9)))
        return answer

    def _taken_from_the_dead(self) -> None:
        """EOWNERDEAD: we hold the lock, and its last holder died holding it. If it had written
        its pid, it was inside put() or get(): the header may be half-written. (If not, it died
        before looking at the header, which is whole.)"""
        header = self._header
        if header.busy and not header.broken_by:
            header.broken_by = header.busy
        header.busy = 0
        _found[4](self._mutex)  # consistent again: the next takers must be able to read broken_by

    def _refuse(self) -> None:
        dead = self._header.broken_by
        raise LockOwnerDiedError(
            f"process {dead} died inside put(), get() or task_done() of this {self._kind}, holding its lock: its "
            f"messages and counts may be half-written, so the {self._kind} refuses to be used again, in every "
            f"process. Make a new {self._kind}; and find out why process {dead} died (killed? os._exit()?).",
            dead, "")


def queue_lock(fd: int, header, kind: str, robust: bool, create: bool = False):
    """The lock of the queue whose file is `fd`: a RobustMutex if `robust` (chosen by the queue's
    maker, so that all its processes agree; uncontended, 1.3 µs to take and release, against 5.7
    for the record lock's two fcntl calls and its threading.Lock), else a RecordLock."""
    return RobustMutex(header, kind, create) if robust else RecordLock(fd, header, kind)
