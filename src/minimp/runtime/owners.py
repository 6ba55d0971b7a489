"""Robust locks: who holds a Lock, and what a waiter does when that process dies.

A Lock is a token in a pipe (synchronize.py). A process that dies holding it takes the token
with it, and, in the standard library as in a plain pipe, the others wait for ever. POSIX
threads call the cure a *robust mutex* (`pthread_mutexattr_setrobust`): when its owner dies,
the next `pthread_mutex_lock` returns EOWNERDEAD instead of waiting. minimp does the same for
processes, with three things:

- The owner's *note*, in shared memory (a 64-byte block of the arena, arena.py): its pid, the
  time the kernel started it, and its name. `Lock.acquire` writes it after taking the token,
  `release` clears the pid before giving the token back: a few stores into memory.
- A waiter that must sleep opens a *pidfd* on the owner (`os.pidfd_open`, Linux 5.3): a
  descriptor that becomes readable when that process exits, reaped or not. It sleeps in
  poll(2) on the pipe *and* the pidfd, so it wakes at once when either the token comes back
  or the owner dies::

      waiter: poll([pipe, pidfd of 4242])      owner 4242: dies holding the token
              ... pidfd readable: 4242 is dead
              record lock on the note; still 4242?  yes: clear the note, put a token back
              raise LockOwnerDiedError("Process-3 (pid 4242) died holding ...")

- A pid may be reused: once 4242 is dead and reaped, the kernel may give its number to a new
  process. So the note keeps the owner's start time, and a waiter checks, with the pidfd
  open (which pins the process it names), that the process 4242 started when the note says.

Exactly one waiter may restore the token: the one that, under a record lock (`fcntl.lockf`)
on the note's bytes, still finds the dead owner's note there, clears it and writes the token
back. Every other waiter finds the note changed and waits again. The lock is then free, and
that one waiter gets `LockOwnerDiedError`: unlike POSIX, which hands the mutex to the waiter
that sees EOWNERDEAD, minimp does not make it the owner, since an error raised by `with lock:`
never reaches the `__exit__` that would release it. The data the lock guarded may be
half-written: the program should check it before going on.

Limits: a process that dies in the microsecond between reading the token and writing its note
(or between clearing its note and writing the token back) still takes the token with it. Where
there is no pidfd (macOS), a waiter looks every 0.1 s whether the owner still exists, and a
dead owner that is an unreaped zombie looks alive.

Read next: `runtime/conditions.py`, Event and Condition, made of the same pipes.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import threading

from .connection import wait
from .errors import LockOwnerDiedError

__all__ = ["Note", "identity", "sleep", "give_up"]


class Note(ctypes.Structure):
    """The owner's note, in shared memory. Each field is read and written whole: a waiter
    reading `pid` while the owner writes it sees the old or the new pid, never half of each
    (an aligned 8-byte load or store; a byte-wise copy did tear it). The owner writes `pid`
    last, so that a waiter that sees the pid sees the rest too."""

    _fields_ = [
        ("pid", ctypes.c_int64),  # the owner; 0: nobody
        ("named", ctypes.c_int64),  # whose start and name follow: rewritten only when it changes
        ("start", ctypes.c_int64),
        ("name", ctypes.c_char * 40),
    ]


CHECK_AFTER = 0.01  # seconds of sleep before a waiter checks that the pid is still its owner
LOOK_EVERY = 0.1  # seconds, where there is no pidfd

_identity: tuple | None = None  # this process's (pid, start, name), made at its first acquire()


def _forget_identity() -> None:
    global _identity
    _identity = None


os.register_at_fork(after_in_child=_forget_identity)


def identity() -> tuple:
    """What this process writes in a note: its pid, start time and name."""
    global _identity
    if _identity is None:
        from .family import current_process  # not at the top: family imports connection, as we do

        pid = os.getpid()
        _identity = pid, start_time(pid), getattr(current_process(), "name", "?").encode()[:39]
    return _identity


def start_time(pid: int) -> int:
    """When the kernel started process `pid`, in clock ticks since boot (0 if unknown)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return int(stat.read().rsplit(b")", 1)[1].split()[19])  # field 22: starttime
    except (OSError, IndexError, ValueError):
        return 0


def read_note(lock) -> tuple[int, int, str]:
    note = lock._note
    pid = note.pid  # first: the rest was written before it
    return pid, note.start, note.name.decode(errors="replace")


def sleep(lock, remaining: float | None) -> None:
    """Wait until `lock`'s token may be back (the caller tries again) or `remaining` seconds
    pass; raise LockOwnerDiedError if the owner died holding it."""
    pid, start, name = note = read_note(lock)
    if pid in (0, os.getpid()):  # not noted yet, or a thread of ours: look again later
        wait([lock._read], LOOK_EVERY if remaining is None else min(LOOK_EVERY, remaining))
        return
    try:
        watch = os.pidfd_open(pid)
    except ProcessLookupError:  # gone, and reaped already
        return _recover(lock, note)
    except (AttributeError, OSError):  # no pidfd here: look now and then
        return _look(lock, note, remaining)
    try:
        first = CHECK_AFTER if remaining is None else min(CHECK_AFTER, remaining)
        ready = wait([lock._read, watch], first)
        if not ready and start and start_time(pid) != start:  # pid 'pid' is someone else now
            return _recover(lock, note)
        if not ready and (remaining is None or remaining > first):
            ready = wait([lock._read, watch], None if remaining is None else remaining - first)
        if watch in ready:
            return _recover(lock, note)
    finally:
        os.close(watch)


def give_up(lock) -> bool:
    """acquire() found no token and may not wait: False, unless the owner died (then raise)."""
    pid, start, name = note = read_note(lock)
    if pid in (0, os.getpid()):
        return False
    if not _alive(pid, start):
        _recover(lock, note)
    return False


def _alive(pid: int, start: int) -> bool:
    try:
        watch = os.pidfd_open(pid)
    except ProcessLookupError:
        return False
    except (AttributeError, OSError):
        return _exists(pid)
    try:
        return not wait([watch], 0) and not (start and start_time(pid) != start)
    finally:
        os.close(watch)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True


def _look(lock, note: tuple, remaining: float | None) -> None:
    wait([lock._read], LOOK_EVERY if remaining is None else min(LOOK_EVERY, remaining))
    if not _exists(note[0]):
        _recover(lock, note)


# The record lock is per process; the threads of one process take this first.
_recovering = threading.Lock()


def _recover(lock, note: tuple) -> None:
    """The owner in `note` is dead. If its note is still there, this waiter is the one to clear
    it, give the token back, and raise; if not, someone released or recovered meanwhile."""
    block = lock._block
    with _recovering:
        fcntl.lockf(block.fd, fcntl.LOCK_EX, 1, block.offset)
        try:
            if read_note(lock)[:2] != note[:2]:
                return  # someone released or recovered meanwhile: the caller waits again
            lock._note.pid = 0
            lock._owner = None
            os.write(lock._write, b"\x01")
        finally:
            fcntl.lockf(block.fd, fcntl.LOCK_UN, 1, block.offset)
    pid, _start, name = note
    raise LockOwnerDiedError(
        f"{name or 'a process'} (pid {pid}) died holding this {type(lock).__name__}: the data it guarded may be "
        f"half-written. The lock is free again; check that data before going on.", pid, name)
