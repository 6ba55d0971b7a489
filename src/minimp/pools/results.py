"""Results: what a Pool call returns at once and fills in later.

`apply_async` returns an AsyncResult, `map_async` a MapResult, `imap` an
iterator, `submit` a `concurrent.futures.Future`: boxes that the pool's
thread (loop.py) fills in through one function, `job_ended`, while the
caller waits with `get()`, `wait()`, `next()` or `result()`::

    caller's thread                   the pool's thread
    r = pool.apply_async(f, (1,))
    r.get()  ... waits ...     ◀───── job_ended(job, [2], {}) → r._task_ended(0, True, 2)
    → 2

Each has the `id` a trace uses: the task's (`apply_async`, `submit`) or the
call's, which a map's tasks share. Unlike the standard library, every wait
is interruptible: an interrupt (Ctrl-C, the kernel's stop button) while you
wait cancels that call, so no worker goes on with work nobody waits for,
and re-raises KeyboardInterrupt, saying what it cancelled (`waiting`).

Read next: `pools/streaming.py`, imap's iterator, and its iterable read as you go.
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
import traceback
from typing import Any, Callable  # (events.py imports typing anyway)

from ..runtime.errors import TimeoutError
from ..runtime.extras import ExtraAttribute
from .events import JobEnded

__all__ = ["AsyncResult", "MapResult", "TaskFuture", "FutureSink", "job_ended", "job_failed", "waiting",
           "seconds"]


class AsyncResult:
    """The result of `apply_async`; mirrors `multiprocessing.pool.AsyncResult`."""

    _owner: Any = None  # the Pool, kept alive until the outcome is here (pool.py)
    id = ExtraAttribute("AsyncResult.id")  # minimp's: read by your code, it warns once (runtime/extras.py)

    def __init__(self, pool: Any, id: int, callback: Callable | None = None, error_callback: Callable | None = None,
                 label: str = "a task"):
        self._pool = pool
        self.id = id
        self._label = label  # "apply_async(f)": what a TimeoutError names
        self._callback, self._error_callback = callback, error_callback
        self._done = threading.Event()
        self._ok: bool | None = None
        self._value: Any = None

    def ready(self) -> bool:
        """Has the task finished (one way or the other)?"""
        return self._done.is_set()

    def successful(self) -> bool:
        """Did it finish without an exception? ValueError if it has not finished."""
        if not self.ready():
            raise ValueError(f"{self!r} not ready")
        return bool(self._ok)

    def wait(self, timeout: float | None = None) -> None:
        """Wait until it is ready, or `timeout` seconds have passed."""
        with waiting(self._pool, self.id, self._label, self.ready()):
            self._done.wait(timeout)

    def get(self, timeout: float | None = None) -> Any:
        """The return value; re-raises the task's exception; TimeoutError if not ready in time."""
        self.wait(timeout)
        if not self.ready():
            raise TimeoutError(f"no result from {self._label} within {seconds(timeout)}{self._unfinished()}")
        if self._ok:
            return self._value
        raise self._value

    def _unfinished(self) -> str:
        return ""

    def _task_ended(self, index: int, ok: bool, value: Any) -> None:
        """Task number `index` of the call has ended (see `job_ended`)."""
        self._deliver(ok, value)

    def _chunk_ok(self, start: int, values: list) -> None:
        """Tasks `start`, `start + 1`, ... all returned these values."""
        for index, value in enumerate(values, start):
            self._task_ended(index, True, value)

    def _deliver(self, ok: bool, value: Any) -> None:
        """The outcome is here: run the callback, then wake the waiters (as in the
        standard library: once get() returns, the callback has run)."""
        self._ok, self._value = ok, value
        _call(self._callback if ok else self._error_callback, value)
        self._done.set()
        self._owner = None

    def __repr__(self) -> str:
        state = "pending" if not self.ready() else "ok" if self._ok else "failed"
        return f"<{type(self).__name__} id={self.id} {state}>"


class MapResult(AsyncResult):
    """The result of `map_async`: a list, in order. Ready once every task has
    ended; if some failed, `get()` raises the first failure that arrived."""

    def __init__(self, pool: Any, id: int, arguments: list, callback=None, error_callback=None, label: str = "a map"):
        super().__init__(pool, id, callback, error_callback, label)
        # Each result takes its argument's place in the pool's own list of them: a fresh list
        # of the same size costs a map of 20,000 tiny tasks 5 % (glibc gives the memory
        # freed in between back to the OS, and the new list faults it in again).
        self._values = arguments
        self._missing = len(arguments)
        self._first_failure: BaseException | None = None
        if not arguments:  # nothing to wait for; as in the standard library, no callback
            self._ok, self._value = True, []
            self._done.set()

    def _task_ended(self, index: int, ok: bool, value: Any) -> None:
        if ok:
            self._values[index] = value
        elif self._first_failure is None:
            self._first_failure = value
        self._missing -= 1
        if self._missing == 0:
            self._all_ended()

    def _chunk_ok(self, start: int, values: list) -> None:
        # Not the lesson, a shortcut for the usual case, a whole chunk that went well: one slice
        # assignment, where a call per task makes a map of tiny tasks take 1.4 times as long.
        self._values[start : start + len(values)] = values
        self._missing -= len(values)
        if self._missing == 0:
            self._all_ended()

    def _unfinished(self) -> str:
        return f": {self._missing} of its {len(self._values)} items had not finished"

    def _all_ended(self) -> None:
        failed = self._first_failure is not None
        self._deliver(not failed, self._first_failure if failed else self._values)


class TaskFuture(concurrent.futures.Future):
    """A `concurrent.futures.Future` (so `as_completed` and `wait` accept it)
    with the task's `id`, whose waits cancel its call on an interrupt."""

    _owner: Any = None  # the Pool of submit(), kept alive until the outcome is here (pool.py)
    id = ExtraAttribute("Future.id")

    def __init__(self, pool: Any, id: int, call_id: int, label: str):
        super().__init__()
        self._pool = pool
        self.id = id
        self._call_id, self._label = call_id, label  # the call it is a task of: what an interrupt cancels

    def result(self, timeout: float | None = None) -> Any:
        with waiting(self._pool, self._call_id, self._label, self.done()):
            return super().result(timeout)

    def exception(self, timeout: float | None = None) -> BaseException | None:
        with waiting(self._pool, self._call_id, self._label, self.done()):
            return super().exception(timeout)

    def _deliver(self, ok: bool, value: Any) -> None:
        if self.done():
            return  # cancelled meanwhile
        if ok:
            self.set_result(value)
        else:
            self.set_exception(value)
        self._owner = None


class FutureSink:
    """Where the outcomes of futures' tasks go: one Future per task."""

    def __init__(self, futures: list[TaskFuture]):
        self._futures = futures

    def _task_ended(self, index: int, ok: bool, value: Any) -> None:
        self._futures[index]._deliver(ok, value)

    _chunk_ok = AsyncResult._chunk_ok


def job_ended(job: Any, results: list, failures: dict, status: str = "error", worker: Any = None,
              times: list | None = None, size: int = 0, skip: set | None = None, marks: list | None = None) -> None:
    """The one path by which tasks' outcomes reach the caller: `job` (jobs.py) ended.

    `results` by position; `failures` maps a position to its exception, called
    `status` in a trace ("error", "crashed", "cancelled"); positions in `skip`
    (default: the job's own) are not delivered. In order: the listeners hear a
    JobEnded event, the progress bar moves, the call's result gets each outcome.
    """
    call = job.call
    skip = job.skip if skip is None else skip
    if call.listeners:
        event = JobEnded(
            job.id, call.id, call.name, job.first_task, job.start, job.traced_arguments, call.star,
            frozenset(skip), failures, status, job.submitted, times, time.monotonic(),
            worker.index if worker else None, worker.pid if worker else None,
            job.args_size, size // max(1, job.size - len(skip)), job.sent, marks,
        )  # fmt: skip
        for listener in call.listeners:
            listener.record(event)
    if call.progress:  # before the results: once the caller has the last one, the bar is closed
        call.progress.ended(job.size - len(skip))
    if not failures and not skip:
        call.result._chunk_ok(job.start, results)
        return
    for position, value in enumerate(results):
        if position not in skip:
            failure = failures.get(position)
            call.result._task_ended(job.start + position, failure is None, value if failure is None else failure)


class waiting:
    """What every wait for a call's result goes through.

    It refuses to wait in the pool's own thread. A callback runs there (`callback=`,
    `error_callback=`, a future's `add_done_callback`), and that thread is the one that
    delivers results: a callback that waited for one not yet ready would wait for ever (in the
    standard library too), and the pool with it.

    And an interrupt (Ctrl-C, Jupyter's ■) while waiting cancels the call, not the pool: the
    pool's thread drops the call's queued tasks and stops the workers running its tasks, which
    it replaces (loop.py's cancel()); the KeyboardInterrupt goes on, saying what was cancelled.
    The pool is ready for the next call. (In the standard library, the interrupted call's
    queued tasks still run, and the next call waits behind them.)"""

    def __init__(self, pool: Any, call_id: int, label: str, ready: bool, stop_reading: Callable | None = None):
        self._pool, self._ready = pool, ready  # the pool's thread: a PoolLoop (loop.py)
        self._call_id, self._label, self._stop_reading = call_id, label, stop_reading

    def __enter__(self) -> None:
        if not self._ready and threading.current_thread() is self._pool:
            raise RuntimeError(WAIT_IN_CALLBACK)

    def __exit__(self, kind, error, tb) -> None:
        if kind is None or not issubclass(kind, KeyboardInterrupt):
            return
        cancelled = self._pool.cancel(self._call_id, self._label)
        if cancelled is None:  # the pool has stopped: nothing to cancel
            return
        if self._stop_reading is not None:
            self._stop_reading()  # an imap reads no more of its iterable
        error.args = (cancelled_message(self._label, cancelled, cancelled.done.wait(CANCEL_WAIT)),)


CANCEL_WAIT = 2.0  # seconds an interrupted caller waits for the pool's thread to cancel its call
WAIT_IN_CALLBACK = ("a callback waited for a result of its own pool: callbacks run in the pool's thread, which "
                    "is the one that delivers results, so it would wait for ever. Wait in your own code instead "
                    "(or, in a callback, look only at results that are ready())")


def cancelled_message(label: str, cancelled: Any, done: bool) -> str:
    """What the KeyboardInterrupt of a cancelled call says: 'map(f) cancelled: 3 tasks ...'."""
    if not done:
        return (f"{label} cancelled; the pool's thread is busy (in a long callback?): "
                "it drops the call's tasks once it is free")
    parts = []
    if cancelled.dropped:
        parts.append(f"{_count(cancelled.dropped, 'task')} not yet started dropped")
    if cancelled.stopped:
        parts.append(f"{_count(cancelled.stopped, 'worker')} running its tasks stopped and replaced")
    what = ", ".join(parts) or "none of its tasks was left to run"
    return f"{label} cancelled: {what}. The pool is ready for more work."


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def seconds(timeout: float) -> str:
    """'1 second', '0.2 seconds'."""
    return "1 second" if timeout == 1 else f"{timeout:g} seconds"


def _call(callback: Callable | None, value: Any) -> None:
    """Run a user's callback; an exception in it is printed, and the pool goes on
    (in the standard library it kills the pool's result thread, and the pool hangs)."""
    if callback is None:
        return
    try:
        callback(value)
    except Exception:
        traceback.print_exc()


def job_failed(job: Any, error: BaseException, status: str, worker: Any = None) -> None:
    """Every task of `job` failed with `error`."""
    job_ended(job, [None] * job.size, dict.fromkeys(range(job.size), error), status, worker)
