"""Pool: tasks in, results out, crashed workers replaced.

A Pool starts `processes` workers, each a process running `worker_loop`
with a task pipe and a result pipe of its own, and one helper thread that
does all of the parent's work. A task's path, each file once::

    pool.submit(f, x)                 pool.py     the API: a Call, cut into jobs
      ├─ cut(), pack()                jobs.py     ids, chunks; pickled when a worker takes it
      ├─ PoolLoop.run(): send_jobs    loop.py     the helper thread gives it to an idle worker
      ├─ Worker.send ─▶ task pipe     worker.py   the parent's half of the conversation,
      │    worker_loop: f(x) ─▶ Done             the worker's half,
      │  ◀─ result pipe ◀─ Worker.receive        and back
      ├─ job_ended()                  results.py  the outcome reaches the Future; result() returns
      └─ JobEnded ─▶ trace.record()   events.py   a listening trace logs it (tracing/),
                                                  and a timeline draws a bar (views/)

Unlike `multiprocessing.Pool`, which hangs for ever when a worker dies, a crash
fails only the tasks that were running (WorkerDiedError: the worker, its pid,
how it died, the task) and a new worker takes its place; a task's exception
(SystemExit too) has the worker's traceback as its cause; a result or argument
that cannot be pickled fails its own task; an initializer that raises stops the
pool (WorkerStartError) instead of respawning workers for ever; `imap` reads its
iterable as you iterate, a bounded number of tasks ahead (streaming.py). `submit`
and task ids (`.id`) are minimp's.

Limits: a Pool belongs to the process that created it: use it from any of its
threads, never pass it to a child.
Callbacks run in the pool's thread: a slow callback delays every result.

Read next: `pools/jobs.py`, what a call becomes.
"""

from __future__ import annotations

import weakref

from ..runtime import start
from ..runtime.cpus import cpu_count
from ..runtime.extras import warn_extra
from .jobs import Call, check_chunksize, cut, default_chunksize
from .lifetime import kept, running, stopped, terminate_when_dropped
from .loop import CLOSE, RUN, TERMINATE, PoolLoop
from .results import AsyncResult, FutureSink, MapResult, TaskFuture
from .streaming import CHUNKS_AHEAD, Stream, StreamIterator, check_buffersize

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable

    from .stacks import Stacks

__all__ = ["Pool"]


class Pool:
    """A pool of worker processes; mirrors `multiprocessing.Pool`.

    `processes` defaults to `minimp.cpu_count()` (the CPUs this process may
    use). Leaving a `with Pool() as pool:` block calls `terminate()`, as in
    the standard library: wait for your results inside the block.
    """

    def __init__(self, processes: int | None = None, initializer: Callable | None = None, initargs: Iterable = (),
                 maxtasksperchild: int | None = None, context: Any = None):
        self._processes = processes = check_processes("Pool", "processes", processes)
        if initializer is not None and not callable(initializer):
            raise TypeError(f"Pool(initializer={initializer!r}): initializer must be a callable")
        if maxtasksperchild is not None and (not isinstance(maxtasksperchild, int) or maxtasksperchild < 1):
            raise ValueError(f"Pool(maxtasksperchild={maxtasksperchild!r}): "
                             "maxtasksperchild must be a positive int or None")
        self._streams = weakref.WeakSet()  # the imaps whose iterables are not read to the end (streaming.py)
        self._loop = running(PoolLoop(processes, start_method(context), initializer, tuple(initargs), maxtasksperchild))
        terminate_when_dropped(self, self._loop)  # a cell run again makes a new one (lifetime.py)

    # -- the API: every call becomes a Call, cut into jobs for the workers ----------------------

    def apply_async(self, func: Callable, args: tuple = (), kwds: dict = {}, callback=None, error_callback=None):
        """Run `func(*args, **kwds)` in a worker; return an AsyncResult at once."""
        call = Call(func, 1, single=True, keywords=dict(kwds), api="apply_async")
        call.result = kept(AsyncResult(self._loop, call.id, callback, error_callback, call.label), self)
        self._loop.queue(cut(call, [tuple(args)], 1))
        return call.result

    def apply(self, func: Callable, args: tuple = (), kwds: dict = {}) -> Any:
        """Run `func(*args, **kwds)` in a worker and wait for its result."""
        return self.apply_async(func, args, kwds).get()

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> TaskFuture:
        """Run `fn(*args, **kwargs)` in a worker; return a `concurrent.futures.Future`
        with the task's `id`. Not in `multiprocessing.Pool` (the primer imagines it)."""
        warn_extra("Pool.submit()")  # once: the standard library would refuse it (runtime/extras.py)
        [future] = submit_calls(self._loop, Call(fn, 1, single=True, keywords=kwargs, api="submit"), [args], 1)
        return kept(future, self)

    def map(self, func: Callable, iterable: Iterable, chunksize: int | None = None, *,
            progress: bool | str = False) -> list:
        """`[func(item) for item in iterable]`, computed by the workers, in order.

        The items travel in chunks of `chunksize`, by default about 4 chunks per
        worker: few messages (each costs a pickle and a system call or two), yet a
        worker who finishes early can take another instead of waiting (chapter 08).
        Unlike `multiprocessing.Pool`, `progress=True` (or a description) shows a
        progress bar (progress.py); so do the other maps.
        """
        return self.map_async(func, iterable, chunksize, progress=progress).get()

    def starmap(self, func: Callable, iterable: Iterable, chunksize: int | None = None, *,
                progress: bool | str = False) -> list:
        """`[func(*args) for args in iterable]`, computed by the workers, in order."""
        return self.starmap_async(func, iterable, chunksize, progress=progress).get()

    def map_async(self, func, iterable, chunksize=None, callback=None, error_callback=None, *,
                  progress: bool | str = False) -> MapResult:
        """Like map(), but return a MapResult at once."""
        return self._map(func, list(iterable), chunksize, progress, False, callback, error_callback)

    def starmap_async(self, func, iterable, chunksize=None, callback=None, error_callback=None, *,
                      progress: bool | str = False) -> MapResult:
        """Like starmap(), but return a MapResult at once."""
        return self._map(func, [tuple(args) for args in iterable], chunksize, progress, True, callback, error_callback)

    def imap(self, func: Callable, iterable: Iterable, chunksize: int = 1, *, buffersize: int | None = None,
             progress: bool | str = False) -> StreamIterator:
        """An iterator over `func(item)` for each item, in order, as results arrive.

        The iterable is read as you iterate, `buffersize` tasks ahead (by default 16
        chunks per worker), so an endless one works in bounded memory (streaming.py).
        """
        return self._stream(func, iterable, chunksize, buffersize, progress, ordered=True)

    def imap_unordered(self, func: Callable, iterable: Iterable, chunksize: int = 1, *,
                       buffersize: int | None = None, progress: bool | str = False) -> StreamIterator:
        """An iterator over `func(item)` for each item, in the order they finish; read as imap() reads."""
        return self._stream(func, iterable, chunksize, buffersize, progress, ordered=False)

    def _stream(self, func, iterable, chunksize, buffersize, progress, ordered: bool) -> StreamIterator:
        check_chunksize(chunksize)
        if buffersize is None:
            buffersize = CHUNKS_AHEAD * chunksize * self._processes
        else:
            warn_extra("Pool.imap(buffersize=)")
        check_buffersize("Pool.imap", buffersize)
        self._loop.check_running()
        call = Call(func, None, star=False, progress=progress, api="imap" if ordered else "imap_unordered")
        call.result = Stream(self._loop, call, iterable, chunksize, buffersize, ordered)
        call.result.read_ahead()
        if call.progress:
            call.progress.show()
        iterator = kept(StreamIterator(call.result), self)
        self._streams.add(iterator)
        return iterator

    def _map(self, func, arguments: list, chunksize, progress, star: bool, callback=None, error_callback=None):
        """Every map but imap: a MapResult."""
        call = Call(func, len(arguments), star=star, progress=progress, api="starmap" if star else "map")
        call.result = kept(MapResult(self._loop, call.id, arguments, callback, error_callback, call.label), self)
        if chunksize is None:
            chunksize = default_chunksize(len(arguments), self._processes)
        self._loop.queue(cut(call, arguments, chunksize))
        if call.progress:
            call.progress.show()  # only now: a call refused above leaves no bar behind
        return call.result

    # -- closing -----------------------------------------------------------------------

    def close(self) -> None:
        """Accept no more work; the workers exit once the queued work is done.
        An imap's iterable not read to its end yet is read now: its tasks are queued work."""
        for stream in list(self._streams):
            stream.read_to_the_end()
        self._loop.close()

    def terminate(self) -> None:
        """Stop now: kill the workers; unfinished tasks fail with PoolTerminatedError."""
        self._loop.terminate()
        stopped(self._loop)

    def join(self) -> None:
        """Wait for the workers to exit; call close() or terminate() first."""
        if self._loop.state == RUN:
            raise ValueError("Pool is still running: call close() or terminate() before join()")
        self._loop.wait_closed()
        stopped(self._loop)

    def stacks(self, timeout: float = 2.0) -> Stacks:
        """Where is each worker now? The Python stack of the task each one runs (minimp's own:
        the standard library's workers could not answer; pools/stacks.py). Print it."""
        return self._loop.stacks(timeout)

    def __enter__(self) -> Pool:
        if self._loop.state in (CLOSE, TERMINATE):
            self._loop.check_running()
        return self  # broken: the first call inside says why

    def __exit__(self, *exc_info) -> None:
        self.terminate()

    def __repr__(self) -> str:
        return f"<minimp.Pool state={self._loop.state} pool_size={self._processes}>"


# -- what the executor (futures.py) shares with Pool ---------------------------------------


def check_processes(caller: str, name: str, processes: int | None) -> int:
    """How many workers: `processes`, checked, or by default the CPUs we may use."""
    if processes is None:
        return cpu_count()
    if not isinstance(processes, int) or isinstance(processes, bool):
        raise TypeError(f"{caller}({name}={processes!r}): {name} must be an int")
    if processes < 1:
        raise ValueError(f"{caller}({name}={processes}): {name} must be at least 1")
    return processes


def start_method(context: Any) -> str:
    """The start method of `context`: None (the default), a minimp context or the standard library's."""
    return start.get_start_method() if context is None else start.check_method(context.get_start_method())


def submit_calls(loop: PoolLoop, call: Call, arguments: list, chunksize: int) -> list[TaskFuture]:
    """Queue the call's tasks with a Future for each (submit, and the executor's map)."""
    futures = [TaskFuture(loop, call.first_task + index, call.id, call.label) for index in range(len(arguments))]
    call.result = FutureSink(futures)
    loop.queue(cut(call, arguments, chunksize, futures))
    return futures
