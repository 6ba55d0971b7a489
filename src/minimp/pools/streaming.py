"""Streaming imap: read the iterable as the results are taken, a bounded number ahead.

`pool.map` needs the whole list (it cuts it into chunks by its length), but
`imap` hands out results one by one, so it need not read more than it can
keep busy. A Stream reads the iterable in the caller's thread, a chunk at a
time, and keeps at most `buffersize` tasks read whose results the caller
has not taken yet::

    pool.imap(f, endless(), buffersize=8)     read 8 items, queue them (jobs.py)
    next(it)  ─▶ 8 read, not taken: wait for the first result (results.py)
    ...         4 left: read 4 more, queue them in one go

The results arrive in an IMapIterator, in order (imap) or as they come
(imap_unordered); a Stream is one that also reads. So `pool.imap(f,
open("huge.log"))` or an endless generator yields its first result at
once, and memory stays flat however long the iterable is.
An exception raised by the iterable reaches the caller at its position,
after the results before it; then the iteration ends.

Unlike `multiprocessing.Pool`, whose helper thread reads the whole iterable
as fast as it can (every task queued, every result kept until taken), a
Stream reads only as you iterate. `close()` reads the rest of the pool's
Streams first, so that close-then-join still runs every task, as in the
standard library (for an endless iterable it never returns, as the standard
library's join() never does). A Stream you drop unfinished (a `break` out
of a for loop, then nothing refers to it) is abandoned, as Python 3.14's
`Executor.map(buffersize=...)` abandons its iterator: the tasks read ahead
still run, the rest of the iterable is never read. To run every task
without taking the results, use `map`.

Read next: `pools/futures.py`, the same workers behind `concurrent.futures`.
"""

from __future__ import annotations

import collections
import itertools
import threading

from ..runtime.errors import TimeoutError
from ..runtime.extras import ExtraAttribute
from .jobs import Call, PendingJob, new_ids
from .results import seconds, waiting

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable

__all__ = ["IMapIterator", "Stream", "StreamIterator", "CHUNKS_AHEAD", "check_buffersize"]

CHUNKS_AHEAD = 16  # imap's default buffersize: this many chunks per worker


def check_buffersize(caller: str, buffersize: Any) -> None:
    if not isinstance(buffersize, int) or isinstance(buffersize, bool):
        raise TypeError(f"{caller}(buffersize={buffersize!r}): buffersize must be an int")
    if buffersize < 1:
        raise ValueError(f"{caller}(buffersize={buffersize}): buffersize must be at least 1")


class IMapIterator:
    """What `imap` (in order) and `imap_unordered` (as they finish) return. A failed task
    raises its exception when the iteration reaches it; `next(timeout)` may raise TimeoutError."""

    def __init__(self, pool: Any, id: int, size: int, ordered: bool, label: str = "a map"):
        self._pool = pool
        self.id = id
        self._label = label
        self._ordered = ordered
        self._arrived: dict[int, tuple] = {}  # index -> (ok, value), or (CHUNK, values) from there on
        self._order: collections.deque = collections.deque()  # indexes, as they arrived
        self._next_index = 0
        self._left = size  # not yet taken out of _arrived
        self._changed = threading.Condition()
        self._taking: collections.deque = collections.deque()  # the rest of a chunk taken out

    _stop_reading = None  # a stream's: when its call is cancelled (results.waiting)

    def __iter__(self) -> IMapIterator:
        return self

    def next(self, timeout: float | None = None) -> Any:
        if self._taking:  # a chunk's values: no lock, no wait (see _chunk_ok)
            return self._taking.popleft()
        # waiting() outside the lock: cancelling an interrupted call delivers its outcomes here
        with waiting(self._pool, self.id, self._label, self._left == 0 or self._has_next(), self._stop_reading):
            with self._changed:
                if self._left == 0:
                    raise StopIteration
                if not self._changed.wait_for(self._has_next, timeout):
                    which = f"item {self._next_index} of " if self._ordered else ""
                    raise TimeoutError(f"no result for {which}{self._label} within {seconds(timeout)}")
                ok, value = self._arrived.pop(self._next_index if self._ordered else self._order.popleft())
                taken = len(value) if ok is CHUNK else 1
                self._next_index += taken if self._ordered else 0
                self._left -= taken
                if ok is CHUNK:
                    self._taking.extend(value)
                    return self._taking.popleft()
        if ok:
            return value
        raise value

    __next__ = next  # next(iterator): next() with no timeout

    def _has_next(self) -> bool:
        return (self._next_index in self._arrived) if self._ordered else bool(self._order)

    def _task_ended(self, index: int, ok: bool, value: Any) -> None:
        with self._changed:
            self._arrived[index] = (ok, value)
            if not self._ordered:
                self._order.append(index)
            self._changed.notify_all()

    def _chunk_ok(self, start: int, values: list) -> None:
        # Not the lesson, a shortcut: a chunk that went well arrives as one entry, which
        # next() hands out value by value without the lock. One lock and one wake-up per
        # task made an imap of 10,000-task chunks 15 times slower than the standard library's.
        with self._changed:
            self._arrived[start] = (CHUNK, values)
            if not self._ordered:
                self._order.append(start)
            self._changed.notify_all()


CHUNK = object()  # in IMapIterator._arrived: (CHUNK, values) is a whole chunk's results


class Stream(IMapIterator):
    """The tasks of one imap, read from its iterable as the results are taken (module docstring).

    The pool's thread delivers the outcomes to it (it is the call's result); the caller
    holds only its `StreamIterator`, so that letting go of that abandons the reading.
    """

    def __init__(self, loop: Any, call: Call, iterable: Iterable, chunksize: int, buffersize: int, ordered: bool,
                 submit: Callable | None = None):
        super().__init__(loop, call.id, 0, ordered, call.label)  # _left: read, not yet taken
        self._call, self._chunksize, self._buffersize = call, chunksize, buffersize
        self._submit = submit or loop.queue  # the executor checks first that it is not shut down
        self._items = iter(iterable)  # None once read to its end
        self._read = 0  # tasks read so far: the next one's place in the call
        self._error: BaseException | None = None  # what ended the reading, raised in its place
        self._reading = threading.Lock()  # one reader at a time: the caller, or close()

    def next(self, timeout: float | None = None) -> Any:
        if self._left <= self._buffersize // 2:  # refill in batches: one wake of the pool's thread for many jobs
            self.read_ahead()
        if self._error is not None and self._left == 0 and not self._taking:  # every result before it taken
            error, self._error = self._error, None
            raise error
        return super().next(timeout)

    def read_ahead(self, limit: float | None = None) -> None:
        """Read until `buffersize` tasks wait to be taken (`limit`: more), and queue them."""
        limit = self._buffersize if limit is None else limit
        with self._reading:
            jobs, first = [], self._read
            try:
                while self._items is not None and self._left + self._read - first < limit:
                    chunk, ended, error = self._read_chunk()
                    if chunk:
                        jobs.append(PendingJob(self._call, self._read, chunk, None, first_task=new_ids(len(chunk))))
                        self._read += len(chunk)
                    if ended:
                        self._finish(error)
            finally:  # an interrupt while the iterable is read: what was read still runs
                if jobs:
                    self._queue(jobs, first)

    def _queue(self, jobs: list, first: int) -> None:
        with self._changed:
            self._left += self._read - first
        try:
            self._submit(jobs)
        except Exception as error:  # the pool was closed, terminated or broken meanwhile
            with self._changed:
                self._left -= self._read - first
            self._read = first
            self._finish(error)  # in the place of the tasks it refused

    def _read_chunk(self) -> tuple:
        """The next chunk of items; whether the iterable ended with it, and the error it raised."""
        chunk: list = []
        try:
            chunk.extend(itertools.islice(self._items, self._chunksize))
        except Exception as error:  # the items read before it run; the error comes after them
            return chunk, True, error
        return chunk, len(chunk) < self._chunksize, None

    def _stop_reading(self) -> None:
        """Its call was cancelled (its caller was interrupted): read no more of the iterable."""
        with self._reading:
            self._finish(None)

    def _finish(self, error: BaseException | None) -> None:
        """No more reading: the iterable ended (or raised `error`), or the pool refused more."""
        self._items, self._error = None, error
        if self._call.progress and self._call.progress.total != self._read:
            self._call.progress.set_total(self._read)


class StreamIterator:
    """What `imap` and `imap_unordered` return: `next()` the results of its Stream.
    The pool keeps only a weak reference to it: drop it, and the reading stops."""

    id = ExtraAttribute("imap iterator .id")  # minimp's (runtime/extras.py)

    def __init__(self, stream: Stream):
        self._stream, self._taking, self.id = stream, stream._taking, stream.id

    def __iter__(self) -> StreamIterator:
        return self

    def __next__(self) -> Any:
        if self._taking:  # the rest of a chunk (IMapIterator._chunk_ok): a `for` loop's fast path
            return self._taking.popleft()
        return self._stream.next()

    def next(self, timeout: float | None = None) -> Any:
        return self._stream.next(timeout)

    def read_to_the_end(self) -> None:
        """What close() does first: read and queue everything the iterable has left."""
        self._stream.read_ahead(limit=float("inf"))
