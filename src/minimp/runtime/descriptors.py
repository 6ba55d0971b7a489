"""Descriptors: what minimp's objects cost in file descriptors, and what to say when they run out.

A process may hold only so many file descriptors at once: its *soft limit* (`ulimit -n`,
often 1024), which it may raise itself up to a *hard limit*. Past it, every call that would
make one (pipe, memfd_create, eventfd, socket, open) fails with EMFILE. minimp's objects
are made of descriptors, so they are what runs out first, long before memory::

    object                  descriptors    (the standard library's)
    Lock, RLock, Semaphore  2  a pipe      (0: a POSIX semaphore)
    Event                   2  a pipe      (0)
    Value, Array            2  its lock's pipe; the numbers sit in a shared arena (arena.py)
    RawValue, RawArray      0  a block of the arena (an Array above 1 MiB: its own file, 1)
    Queue, SimpleQueue      2  its file, an eventfd bell; 3 with a maxsize (2: a pipe)
    JoinableQueue           3  ... and an eventfd for "all done"
    Condition               8  its RLock, three semaphores; a count in the arena
    Pipe()                  2  one per Connection

`bench/bench_fds.py` measures that table. Each object records itself here (`hold`), so
that when the limit is reached anyway, the error can say what holds the descriptors and
how to raise the limit: still an `OSError` with errno EMFILE, which code catching it
expects, but with a message that names the culprits (`explain`).

Read next: `runtime/arena.py`, the shared memory that many small objects share.
"""

from __future__ import annotations

import collections
import errno
import os
import weakref

__all__ = ["hold", "explain", "open_count"]

# Each live object that owns descriptors: what to call it, and how many it owns. Weak keys:
# an object that is gone no longer counts. Outer objects take over the entries of the
# objects they are made of (a Value's lock is counted as the Value's).
_holders: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def hold(obj: object, kind: str, fds: int, parts: tuple = ()) -> None:
    """Note that `obj`, a `kind`, owns `fds` descriptors, including those of `parts`."""
    _holders[obj] = (kind, fds)
    for part in parts:
        _holders.pop(part, None)


def open_count() -> int:
    """How many descriptors this process has open (Linux: /proc/self/fd; elsewhere /dev/fd)."""
    for folder in ("/proc/self/fd", "/dev/fd"):
        try:
            return len(os.listdir(folder)) - 1  # listdir's own descriptor
        except OSError:
            continue
    return -1


def explain(error: OSError) -> OSError:
    """`error` itself, unless it says "too many open files": then an OSError(EMFILE) that also
    says what holds this process's descriptors and how to raise the limit."""
    if error.errno != errno.EMFILE:
        return error
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    counts: collections.Counter = collections.Counter()
    owned: dict = {}
    for kind, fds in list(_holders.values()):
        counts[kind] += 1
        owned[kind] = fds
    held = sum(counts[kind] * owned[kind] for kind in counts)
    parts = ", ".join(f"{counts[kind]} {kind} ({owned[kind]} each)" for kind, _ in counts.most_common())
    message = (f"{os.strerror(errno.EMFILE)}: this process has {open_count()} of its {soft} descriptors open; "
               f"minimp objects alive in it hold {held}{': ' + parts if parts else ''}. ")
    message += _how_to_raise(soft, hard)
    return OSError(errno.EMFILE, message)


def _how_to_raise(soft: int, hard: int) -> str:
    import resource

    fewer = "or make fewer objects: one Array instead of many Values, one Queue for many messages."
    unlimited = hard == resource.RLIM_INFINITY
    if not unlimited and soft >= hard:
        return (f"The hard limit is {hard} as well: only root can raise it (/etc/security/limits.conf, "
                f"or `ulimit -Hn` in a root shell); {fewer}")
    target = soft * 16 if unlimited else min(hard, soft * 16)
    ceiling = "resource.RLIM_INFINITY" if unlimited else hard
    return (f"Raise the limit: `ulimit -n {target}` in the shell before starting Python, or "
            f"`resource.setrlimit(resource.RLIMIT_NOFILE, ({target}, {ceiling}))` in the program "
            f"(the hard limit, {'unlimited' if unlimited else hard}, is as far as it goes); {fewer}")
