"""Queue: many producers, many consumers, and no join deadlock.

A minimp Queue keeps its messages in a shared file (memory.py): a header of counters,
then each message framed by its length, as on a Pipe::

    [count|read_pos|write_pos|...][len|message][len|message][len|message]
                                   ^ read_pos                            ^ write_pos
    get() takes the message at read_pos          put() appends at write_pos

Every process maps the file, so a small message is copied in and out with no system
call. One lock guards the header: a robust mutex kept in the header (mutex.py), which
the kernel hands on if its holder dies (elsewhere a record lock on the file's first byte,
queuelock.py); two *bells*, let a get() sleep while the queue is empty, and
a put() while it is full (queuelock.py). A Queue costs two descriptors, its file and the
get()s' bell, and one more with a `maxsize`, for the put()s' bell.

Why not a pipe, as in the standard library? There, put() hands the object to a *feeder
thread* that writes it into a pipe, which holds 64 KiB, and a child exits only once that
thread is done: a parent that `join()`s a child before `get()`-ting its results waits
for ever, the "join before drain" deadlock. A minimp put() stores the message in the
queue's own memory and returns: there is no feeder thread, and a child can always exit.
**The deadlock is impossible by design.** (With a `maxsize`, put() waits for room: that
is what it asks.) Also unlike `multiprocessing.Queue`, put() pickles in the caller, so
an unpicklable object raises there (a feeder thread prints the error and loses the
item), and qsize() works on every platform.

Limits: unread messages use memory (an emptied queue cuts back a file grown beyond 16
MiB; a file mostly read is compacted). A process killed inside put() or get() leaves the
queue broken: every later put() or get() raises LockOwnerDiedError naming that process
(in the standard library the lock stays held for ever, and the data may be corrupted).

Read next: `runtime/mutex.py`, the Queue's lock.
"""

from __future__ import annotations

import ctypes
import os
import queue
import struct

from . import descriptors, serialize
from .memory import SharedBuffer, grow, map_shared, move_within, read_at, read_reused, write_at
from .mutex import MUTEX_SIZE, queue_lock, robust_mutexes
from .queuelock import Bell
from .synchronize import deadline_for, time_left

TYPE_CHECKING = False  # type names for readers and checkers; importing typing
if TYPE_CHECKING:  # would cost every spawned child several milliseconds
    from typing import Any

__all__ = ["Queue", "Empty", "Full"]

Empty = queue.Empty  # the exceptions of the standard library's queue module
Full = queue.Full

HEADER = struct.Struct("!QB")  # a message's length, and its kind:
PICKLED, RAW_BYTES = 0, 1  # a pickle; or a big bytes object itself (see _packed)
COPY_THROUGH_MAP = 64 << 10  # messages up to this size go through the map
GROW_STEP = 1 << 20  # for them, the file grows by whole MiBs
TIDY_ABOVE = 16 << 20  # cut back or compact the file once it holds this much
LOOKS_BEFORE_SLEEP = 300  # see _look_while_empty
NOT_EMPTY, NOT_FULL = 0, 1  # the two bells: the first wakes get()s, the second put()s


def _packed(obj: Any) -> tuple[list, int]:
    """The message for `obj`, and its kind. A fast path: a big `bytes` goes as it is, written from
    the caller's object, read back as the object get() returns: one copy each way, as in a pipe;
    pickled, two more (bench_queue.py, 1 MB items: 570 MB/s pickled, 1,300 so; a pipe 1,340)."""
    if type(obj) is bytes and len(obj) > COPY_THROUGH_MAP:
        return [obj], RAW_BYTES
    return serialize.dumps_parts(obj), PICKLED  # the big bytes inside it are not copied


def _look_while_empty(c: _Counters) -> None:
    """A fast path for a get() that finds the queue empty: look at the count ~20 µs before sleeping.
    A producer on another core is often that close to its next put(), and sleeping costs three
    system calls (clear, poll, ring) and two context switches: bench_core.py's "queue, small"
    went from 0.65-0.91x the standard library to 1.20-1.26x (1,500 looks: 1.03-1.09x)."""
    looks = LOOKS_BEFORE_SLEEP
    while not c.count and looks:
        looks -= 1


class _Counters(ctypes.Structure):
    """The header at the start of the shared file: what every process must agree on.

    `count` has a cache line (64 bytes) to itself, as a fast path: a get() that finds the queue
    empty looks at it again and again (_look_while_empty), and each look takes the line from the
    core that writes the rest of the header in put(). Kept apart, a put() loses only that line,
    once: bench_core.py's "queue, small" went from 3.6 to 3.2 µs an item."""

    _fields_ = [
        ("count", ctypes.c_int64),  # messages in the queue
        ("_own_line", ctypes.c_int64 * 7),  # the rest of count's cache line: see below
        ("read_pos", ctypes.c_int64),  # where the next get() reads
        ("write_pos", ctypes.c_int64),  # where the next put() writes
        ("file_size", ctypes.c_int64),  # how far the file has grown
        ("unfinished", ctypes.c_int64),  # JoinableQueue: put() minus task_done()
        ("rung", ctypes.c_int64 * 2),  # whether each bell is set (see _ring)
        ("busy", ctypes.c_int64),  # the pid of the process holding the lock (queuelock.py)
        ("broken_by", ctypes.c_int64),  # the pid of a process that died holding it, if one did
        ("mutex", ctypes.c_char * MUTEX_SIZE),  # the lock itself, where robust mutexes exist (mutex.py)
    ]


START = ctypes.sizeof(_Counters)  # where the messages begin


class Queue:
    """A process-safe FIFO queue; mirrors `multiprocessing.Queue` (`maxsize` <= 0: no
    limit; get() and put() raise the standard `queue.Empty` and `queue.Full`)."""

    def __init__(self, maxsize: int = 0):
        if not isinstance(maxsize, int):
            raise TypeError(f"Queue(maxsize={maxsize!r}): maxsize must be an int")
        self._maxsize = maxsize if maxsize > 0 else 0
        self._buffer = SharedBuffer(START)  # the file, its header mapped
        # NOT_EMPTY, NOT_FULL: only a put() into a queue with a maxsize ever waits for room.
        self._bells = (Bell(), Bell() if self._maxsize else None)
        self._closed_by: int | None = None  # the pid of a process that called close()
        self._robust = robust_mutexes()  # the kind of lock, the same in every process (mutex.py)
        self._map_counters(create=True)
        self._counters.read_pos = self._counters.write_pos = self._counters.file_size = START
        descriptors.hold(self, type(self).__name__, self._descriptors())

    def _descriptors(self) -> int: return 2 + bool(self._maxsize)  # the file, a bell or two  # fmt: skip

    def _map_counters(self, create: bool = False) -> None:
        self._file = memoryview(self._buffer.map).cast("B")  # this process's map, as bytes; see _mapped
        self._counters = _Counters.from_buffer(self._file)
        self._lock = queue_lock(self._buffer.fd, self._counters, type(self).__name__, self._robust, create)

    def _mapped(self, end: int) -> memoryview:
        """This process's map of the file, covering at least its first `end` bytes. Another
        process may have grown the file: then map it again (the old map goes with its last
        reference). A map larger than a file cut back since is fine: we stay below `file_size`."""
        if len(self._file) < end:
            self._file = memoryview(map_shared(self._buffer.fd, self._counters.file_size)).cast("B")
        return self._file

    def put(self, obj: Any, block: bool = True, timeout: float | None = None) -> None:
        """Put `obj` at the end of the queue; with a maxsize, wait for room."""
        self._check_open()
        message, kind = _packed(obj)  # before taking the lock: pickling may be slow
        deadline = deadline_for(block, timeout)
        c = self._counters
        while True:
            with self._lock:
                if not self._maxsize or c.count < self._maxsize:
                    self._append(message, kind)
                    return
                bell = self._clear(NOT_FULL)  # full: sleep until a get() makes room
            if not bell.wait(time_left(deadline)):
                raise Full

    def put_nowait(self, obj: Any) -> None: self.put(obj, block=False)  # fmt: skip

    def _append(self, message: list, kind: int) -> None:
        """With the lock held: store a message (its pieces, in order) at the end, update the counters."""
        c = self._counters
        size = sum(map(len, message))
        start, end = c.write_pos, c.write_pos + HEADER.size + size
        if size <= COPY_THROUGH_MAP:  # one piece: only data of 64 KiB or more is a piece of its own
            if end > c.file_size:
                c.file_size = grow(self._buffer.fd, c.file_size, -(-end // GROW_STEP) * GROW_STEP)
            file = self._mapped(end)
            HEADER.pack_into(file, start, size, kind)
            file[start + HEADER.size : end] = b"".join(message)
        else:  # one system call, and no page to fault in
            write_at(self._buffer.fd, [HEADER.pack(size, kind), *message], start)
            c.file_size = max(c.file_size, end)
        c.write_pos = end
        c.count += 1
        c.unfinished += 1
        self._ring(NOT_EMPTY)

    def get(self, block: bool = True, timeout: float | None = None) -> Any:
        """Remove and return the first message; wait for one if the queue is empty."""
        self._check_open()
        deadline = deadline_for(block, timeout)
        c = self._counters
        while True:
            if block:
                _look_while_empty(c)
            with self._lock:
                if c.count > 0:
                    message, kind = self._take()
                    break
                bell = self._clear(NOT_EMPTY)  # empty: sleep until a put() brings one
            if not bell.wait(time_left(deadline)):
                raise Empty
        return message if kind == RAW_BYTES else serialize.loads(message)  # after the lock: it may be slow

    def get_nowait(self) -> Any: return self.get(block=False)  # fmt: skip

    def _take(self) -> tuple[bytes, int]:
        """With the lock held: read the first message and its kind, update the counters."""
        c = self._counters
        start = c.read_pos + HEADER.size
        size, kind = HEADER.unpack_from(self._mapped(start), c.read_pos)
        if size <= COPY_THROUGH_MAP:
            message = bytes(self._mapped(start + size)[start : start + size])  # a copy: the lock goes next
        elif kind == RAW_BYTES:
            message = read_at(self._buffer.fd, size, start)  # the very bytes get() returns
        else:
            message = read_reused(self._buffer.fd, size, start)
        c.read_pos = start + size
        c.count -= 1
        if self._maxsize:
            self._ring(NOT_FULL)
        if c.count == 0:
            self._start_over()
        elif c.read_pos - START > max(TIDY_ABOVE, c.write_pos - c.read_pos):
            self._compact()
        return message, kind

    # -- the bells: a waiter clears its bell and sleeps; the other side rings it ----
    # Both with the lock held, so that no put() rings between a get()'s look at the count
    # and its clear() (nor a get() for a put()). `rung` mirrors each bell, so only a change
    # costs a system call (bench_core.py's small messages: 10% slower setting it each time).

    def _clear(self, bell: int) -> Bell:
        """Before sleeping on `bell`: clear it, so that the other side rings it."""
        if self._counters.rung[bell]:
            self._bells[bell].clear()
            self._counters.rung[bell] = 0
        return self._bells[bell]

    def _ring(self, bell: int) -> None:
        """After a put() or a get(): wake whoever sleeps on `bell`, if it was cleared."""
        if not self._counters.rung[bell]:
            self._bells[bell].set()
            self._counters.rung[bell] = 1

    # -- tidying the file ---------------------------------------------------------

    def _start_over(self) -> None:
        """The queue is empty: write from the start again, and give back memory."""
        c = self._counters
        c.read_pos = c.write_pos = START
        if c.file_size > TIDY_ABOVE:
            os.ftruncate(self._buffer.fd, START)
            c.file_size = START

    def _compact(self) -> None:
        """Most of the file has been read: move the unread messages to the start. They are
        fewer bytes than were read, so the ranges do not overlap, and each byte moves at most
        once per byte read before it. (In the kernel, memory.move_within: through the map,
        page faults and all, bench_core.py's 1 MiB messages were four times slower.)"""
        c = self._counters
        unread = c.write_pos - c.read_pos
        move_within(self._buffer.fd, unread, c.read_pos, START)
        c.read_pos, c.write_pos = START, START + unread

    def qsize(self) -> int:
        """The number of messages in the queue (it may change at once)."""
        return self._counters.count

    def empty(self) -> bool:
        return self._counters.count == 0

    def full(self) -> bool:
        return bool(self._maxsize) and self._counters.count >= self._maxsize

    def close(self) -> None:
        """This process will not use the queue any more: put() and get() now raise
        ValueError. Other processes, even children started later, are not affected."""
        self._closed_by = os.getpid()

    @property
    def _closed(self) -> bool:
        return self._closed_by == os.getpid()

    def _check_open(self) -> None:
        if self._closed_by is not None and self._closed:  # on every put() and get(): the cheap test first
            raise ValueError(f"Queue {self!r} is closed")

    def join_thread(self) -> None:
        """Nothing to wait for: a minimp Queue has no feeder thread."""
        if not self._closed:
            raise AssertionError(f"Queue {self!r} not closed")

    def cancel_join_thread(self) -> None:
        """Nothing to cancel: a minimp Queue has no feeder thread."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} at {id(self):#x} maxsize={self._maxsize}>"

    # A spawned child gets the same shared file and bells, and maps the file itself.
    def __getstate__(self) -> dict:
        serialize.assert_spawning(type(self).__name__)
        state = self.__dict__.copy()
        del state["_counters"], state["_file"], state["_lock"]  # this process's maps and lock
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._map_counters()
