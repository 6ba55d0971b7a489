"""ProcessPoolExecutor: the same workers as Pool, behind `concurrent.futures`.

    with minimp.ProcessPoolExecutor(max_workers=2) as executor:
        future = executor.submit(square, 5)      # a concurrent.futures.Future
        future.result()                          # 25
        list(executor.map(square, range(4)))     # [0, 1, 4, 9]

The standard `concurrent.futures.Executor` interface on a minimp Pool's
workers and helper thread (pool.py, loop.py), offered at the top level (the
standard library has it in `concurrent.futures`, not in `multiprocessing`,
where the primer puts it). Its futures are the standard class, so
`as_completed` and `wait` take them; each has the task's `id`. Where the
two pools differ, it follows `concurrent.futures`:

- a worker that dies *breaks the executor*: every pending future and every
  later `submit()` fail with `concurrent.futures.process.BrokenProcessPool`,
  naming the worker, its pid and how it died (a minimp Pool fails only the
  crashed tasks and starts a new worker);
- leaving a `with` block calls `shutdown(wait=True)`: the work finishes;
  so does dropping it: then its workers exit, unwaited for.

Unlike the standard library, `max_tasks_per_child` works with fork too, and
a Future cancelled before its task reached a worker never runs. Python 3.14's
additions (map's `buffersize`, `terminate_workers()`, `kill_workers()`) work on
every Python minimp runs on.

Read next: `pools/lifetime.py`, how a pool ends, whether or not you end it.
"""

from __future__ import annotations

import concurrent.futures
import time
import weakref
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Iterable, Iterator  # (events.py imports typing anyway)

from ..runtime import errors
from .jobs import Call
from .loop import BROKEN, TERMINATE, PoolLoop
from .lifetime import close_when_dropped, running, stopped
from .pool import check_processes, start_method, submit_calls
from .results import TaskFuture
from .streaming import Stream, check_buffersize

__all__ = ["ProcessPoolExecutor", "BrokenProcessPool"]


class ProcessPoolExecutor(concurrent.futures.Executor):
    """Run calls in worker processes; mirrors `concurrent.futures.ProcessPoolExecutor`."""

    def __init__(self, max_workers: int | None = None, mp_context: Any = None, initializer: Callable | None = None,
                 initargs: tuple = (), *, max_tasks_per_child: int | None = None):
        if max_workers is not None and (not isinstance(max_workers, int) or max_workers <= 0):
            raise ValueError(f"ProcessPoolExecutor(max_workers={max_workers!r}): max_workers must be greater than 0")
        if max_tasks_per_child is not None and (not isinstance(max_tasks_per_child, int) or max_tasks_per_child < 1):
            raise ValueError(f"ProcessPoolExecutor(max_tasks_per_child={max_tasks_per_child!r}): "
                             "max_tasks_per_child must be >= 1")
        if initializer is not None and not callable(initializer):
            raise TypeError(f"ProcessPoolExecutor(initializer={initializer!r}): initializer must be a callable")
        self._max_workers = check_processes("ProcessPoolExecutor", "max_workers", max_workers)
        # The same workers and thread as a Pool's, with concurrent.futures' rules:
        # a crash breaks the executor, and the program's end waits for its work.
        self._loop = running(PoolLoop(self._max_workers, start_method(mp_context), initializer, tuple(initargs),
                                      max_tasks_per_child, crash_breaks=True, broken=_broken))
        self._loop.wait_at_exit = True
        self._shutdown = False
        # Dropped without shutdown(): its work finishes, then its workers exit, as in concurrent.futures.
        close_when_dropped(self, self._loop)

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> TaskFuture:
        """Schedule `fn(*args, **kwargs)`; return a Future (with the task's `id`)."""
        self._check_open()
        [future] = submit_calls(self._loop, Call(fn, 1, single=True, keywords=kwargs, api="submit"), [args], 1)
        return future

    def map(self, fn: Callable, *iterables: Iterable, timeout: float | None = None, chunksize: int = 1,
            buffersize: int | None = None, progress: bool | str = False) -> Iterator:
        """Like `map(fn, *iterables)`, the calls run in the workers, `chunksize` per message.

        Returns the results in order: `next()` raises the call's exception, or TimeoutError
        once `timeout` seconds have passed since map() was called (the calls not yet run
        are then cancelled). With `buffersize` (Python 3.14's keyword), the iterables are
        read as you take the results, at most `buffersize` calls ahead (streaming.py); if you
        stop early, the calls already read still run. Unlike `concurrent.futures`,
        `progress=True` (or a description) shows a bar of the calls that ended (progress.py).
        """
        self._check_open()
        if not isinstance(chunksize, int) or chunksize < 1:
            raise ValueError(f"chunksize must be >= 1, not {chunksize!r}")
        deadline = None if timeout is None else time.monotonic() + timeout
        if buffersize is not None:
            check_buffersize("ProcessPoolExecutor.map", buffersize)
            call = Call(fn, None, progress=progress)
            call.result = stream = Stream(self._loop, call, zip(*iterables), chunksize, buffersize, True,
                                          submit=_weakly(self._queue_more))
            stream.read_ahead()
            results: Iterator = _results_streamed(stream, deadline)
        else:
            arguments = list(zip(*iterables))
            call = Call(fn, len(arguments), progress=progress)
            results = _results_in_order(submit_calls(self._loop, call, arguments, chunksize), deadline)
        if call.progress:
            call.progress.show()
        return results

    def _queue_more(self, jobs: list) -> None:
        """A streamed map's next jobs: refused, as submit() is, once the executor is shut down."""
        self._check_open()
        self._loop.queue(jobs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """No more submits; with `wait`, wait for the work and the workers to finish;
        `cancel_futures=True` cancels the calls no worker has been sent yet."""
        self._shutdown = True
        if cancel_futures:
            with self._loop.lock:
                jobs = list(self._loop.task_queue.jobs)
            for future in (future for job in jobs for future in job.futures or ()):
                future.cancel()
        self._loop.close()
        if wait:
            self._loop.wait_closed()
            stopped(self._loop)

    def stacks(self, timeout: float = 2.0) -> Any:
        """Where is each worker now? As `Pool.stacks()` (pools/stacks.py)."""
        return self._loop.stacks(timeout)

    def terminate_workers(self) -> None:
        """Stop the workers now (Python 3.14's): the calls not started are cancelled, those running
        fail with BrokenProcessPool, and the executor takes no more. Unlike the standard library's,
        which sends SIGTERM and returns, it waits for them (a second, then SIGKILL)."""
        self._stop_workers("terminate_workers", kill=False)

    def kill_workers(self) -> None:
        """The same as terminate_workers(), with SIGKILL: a worker cannot refuse (Python 3.14's)."""
        self._stop_workers("kill_workers", kill=True)

    def _stop_workers(self, how: str, kill: bool) -> None:
        self.shutdown(wait=False, cancel_futures=True)
        self._loop.terminate(_broken(errors.PoolTerminatedError(f"{how}() stopped its worker")), kill)
        stopped(self._loop)

    def _check_open(self) -> None:
        if self._loop.state == BROKEN:
            raise self._loop.error  # type: ignore[misc]
        if self._shutdown:
            raise RuntimeError("cannot schedule new futures after shutdown")
        if self._loop.state == TERMINATE:
            raise RuntimeError("cannot schedule new futures: the executor was terminated")


def _weakly(method: Callable) -> Callable:
    """`method` of the executor, without keeping the executor alive: a streamed map left unfinished
    must not keep a dropped executor running (lifetime.py closes it once nothing refers to it)."""
    reference = weakref.WeakMethod(method)

    def call(jobs: list) -> None:
        bound = reference()
        if bound is None:
            raise RuntimeError("cannot schedule new futures: the executor was garbage-collected")
        bound(jobs)

    return call


def _broken(error: BaseException) -> BrokenProcessPool:
    """A worker died or failed to start: the BrokenProcessPool every pending call fails with, cause attached."""
    broken = BrokenProcessPool(f"{error}; the executor is broken and takes no more work")
    broken.__cause__ = error
    return broken


def _results_streamed(stream: Stream, deadline: float | None) -> Iterator:
    while True:
        try:
            result = stream.next(None if deadline is None else max(0.0, deadline - time.monotonic()))
        except StopIteration:
            return
        except errors.TimeoutError as error:  # concurrent.futures raises the built-in one
            raise TimeoutError(str(error)) from None
        yield result


def _results_in_order(futures: list, deadline: float | None) -> Iterator:
    pending = futures[::-1]  # pop() from the end: each result is dropped once yielded
    try:
        while pending:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            yield pending.pop().result(timeout)
    finally:
        for future in pending:
            future.cancel()
