"""Pool: tasks in, results out, crashed workers replaced.

A Pool starts `processes` workers (worker.py), each with its own task pipe
and result pipe, and one helper thread, the *result loop*, that does all
the work of the parent side. A task's path::

    pool.apply_async(f, (x,))          the caller's thread
      │  a task, in a Job, appended to the task_queue
      ▼
    result loop ── Job ──▶ task pipe ──▶ worker_loop: f(x)
      │                                      │
      │ ◀── Done(results) ◀── result pipe ◀──┘
      ▼
    result._deliver(ok, value)  →  result.get() returns in the caller

The result loop waits, with one poll(2), on every worker's result pipe and
every worker's sentinel (readable when the process has exited):

- a result pipe has a message: results are delivered, the worker gets its next job;
- a sentinel fires: the worker died. If it was running a job, that job's
  tasks fail with a WorkerDiedError that names the worker, its pid, how it
  died and the task it was running (its id is in a slot of shared memory the
  worker writes before each task); the jobs it had not started go back to
  the queue, and a new worker takes its place. Everything else goes on.

Unlike `multiprocessing.Pool`, which hangs for ever when a worker dies, a
crash fails only the tasks that were running; an exception that a task
raises (SystemExit included) comes back with the worker's traceback as its
cause; a result or argument that cannot be pickled fails its own task. A
worker that fails while starting (its initializer raised) stops the pool
with a WorkerStartError instead of being respawned in a loop.

A busy worker gets its next job before it has finished the one it runs if
that job is short (the last job of the same function took under 10 ms), so
that it never waits for the parent between jobs. Otherwise jobs go one at a
time, to free workers: sent ahead, a job could wait behind a long one while
another worker sits idle. (And a large
job, over 64 KiB, goes only to an idle worker: two processes each blocked
writing into a full pipe the other does not read would wait for ever.)

Limits: a Pool belongs to the process that created it; use it from any
thread of that process, but do not pass it to a child. `imap` reads its
whole iterable first. Callbacks run in the result loop's thread: a slow
callback delays every result.

Read next: `results.py`, what `apply_async` and `map_async` return;
`progress.py`, the bar of `map(..., progress=True)`; `futures.py`, the
same workers behind `concurrent.futures`.
"""

from __future__ import annotations

import collections
import itertools
import os
import select
import signal
import threading
import time
import weakref

from ..runtime import serialize
from ..runtime.connection import Pipe, wait
from .context import get_context
from ..runtime.cpus import cpu_count
from ..runtime.errors import PoolTerminatedError, RemoteTraceback, WorkerDiedError, WorkerStartError
from . import events
from .events import JobEnded, JobQueued, JobSent, WorkerExited, WorkerReady, WorkerStarted
from .progress import progress_bar
from .results import AsyncResult, FutureSink, IMapIterator, MapResult, TaskFuture
from ..runtime.sharedctypes import RawArray
from ..runtime.synchronize import _close
from .worker import Done, Job, Ready, StartFailed, Unreadable, _with_message, worker_loop

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable

__all__ = ["Pool"]

CHUNKS_PER_WORKER = 4  # map's default chunksize cuts the work into this many chunks per worker
SEND_AHEAD_LIMIT = 64 << 10  # a job is sent to a busy worker only if it is this small,
SEND_AHEAD_BELOW = 0.01  # and only if the last job of its function took less than this (seconds)
MAX_START_FAILURES = 3  # workers killed while starting, in a row, before the pool gives up
RUN, CLOSE, TERMINATE, BROKEN = "running", "closed", "terminated", "broken"

_next_id = 1  # task and call ids, unique in this process
_ids_lock = threading.Lock()
_worker_numbers = itertools.count(1)
_job_ids = itertools.count(1)  # unique in this process, so a trace of several pools can tell jobs apart
_pools: weakref.WeakSet = weakref.WeakSet()  # terminated when the program exits


class _Call:
    """One call of the API (an apply_async, a map): its function, where its
    results go (`sink`, a result object of results.py), the traces it feeds,
    its progress bar (progress.py) if it was asked for one."""

    def __init__(self, function: Callable, size: int, sink: Any = None, single: bool = False, keywords=None,
                 star: bool = True, progress: Any = False):
        if not callable(function):
            raise TypeError(f"func must be callable, not {type(function).__name__}")
        # Ids: the call's, then its tasks'; a single task's id is the call's.
        self.id = _new_ids(1 if single else size + 1)
        self.first_task = self.id if single else self.id + 1
        self.function = function
        self.name = getattr(function, "__qualname__", repr(function))
        self.sink = sink
        self.keywords = keywords or {}  # apply_async's kwds, submit's kwargs: for its one task
        self.star = star  # each task's arguments are an args tuple; False (map): one argument
        self.listeners = tuple(events.listeners)  # e.g. traces: they hear of its jobs
        self.progress = progress_bar(progress, size, self.name)  # moved on by _finish (and _pack)
        self._pickled: bytes | None = None

    def pickled_function(self) -> bytes:
        if self._pickled is None:  # once per call, not once per job
            self._pickled = serialize.dumps(self.function)
        return self._pickled


class _Job:
    """Tasks of one call that travel to a worker together, as one message.

    Its tasks are the call's tasks number `start`, `start + 1`, ... (their
    place in the map); it is pickled (`message`) when a worker takes it.
    """

    def __init__(self, job_id: int, call: _Call, start: int, arguments: list, futures: list | None):
        self.id, self.call, self.start = job_id, call, start
        self.arguments = arguments  # each task's args tuple (or map's one argument), until packed
        self.size = len(arguments)
        self.futures = futures  # submit() and the executor: a Future per task
        self.skip: set[int] = set()  # positions not sent: cancelled, or failed already
        self.traced_arguments = arguments if call.listeners else None  # for the traces' repr of them
        self.submitted = time.monotonic()
        self.message: bytes | None = None
        self.args_size = 0


class _Worker:
    """The pool's side of one worker: its process, its two pipes, the jobs it has."""

    def __init__(self, index: int, process: Any, task_pipe: Any, result_pipe: Any, started: float):
        self.index, self.process = index, process
        self.task_pipe, self.result_pipe = task_pipe, result_pipe  # our ends: we write, we read
        self.sentinel = process.sentinel
        self.jobs: collections.deque[_Job] = collections.deque()  # sent; the first is running
        self.jobs_sent = 0
        self.ready = False  # its initializer has run
        self.stopping = False  # told to exit (None sent)
        self.pipe_open = True  # the result pipe: False once it reported EOF
        self.started = started  # before process.start(): a forked worker can be ready before it returns
        self.ready_at: float | None = None
        self.head_since = 0.0  # when its first job reached it (it runs that one now)


class Pool:
    """A pool of worker processes; mirrors `multiprocessing.Pool`.

    `processes` defaults to `minimp.cpu_count()` (the CPUs this process may
    use). Leaving a `with Pool() as pool:` block calls `terminate()`, as in
    the standard library: wait for your results inside the block.
    """

    _crash_breaks_pool = False  # futures.py: a crash breaks the whole executor

    def __init__(
        self,
        processes: int | None = None,
        initializer: Callable | None = None,
        initargs: Iterable = (),
        maxtasksperchild: int | None = None,
        context: Any = None,
    ):
        if processes is None:
            processes = cpu_count()
        if not isinstance(processes, int) or isinstance(processes, bool):
            raise TypeError(f"Pool(processes={processes!r}): processes must be an int")
        if processes < 1:
            raise ValueError(f"Pool(processes={processes}): processes must be at least 1")
        if initializer is not None and not callable(initializer):
            raise TypeError(f"Pool(initializer={initializer!r}): initializer must be a callable")
        if maxtasksperchild is not None and (not isinstance(maxtasksperchild, int) or maxtasksperchild < 1):
            raise ValueError(
                f"Pool(maxtasksperchild={maxtasksperchild!r}): maxtasksperchild must be a positive int or None"
            )
        self._ctx = _minimp_context(context)
        self._processes = processes
        self._initializer, self._initargs = initializer, tuple(initargs)
        self._max_jobs = maxtasksperchild
        self._running = RawArray("q", processes)  # the id of the task each worker runs (0: none)
        self._lock = threading.Lock()  # guards task_queue and state, shared with callers
        self._task_queue: collections.deque[_Job] = collections.deque()  # jobs no worker has yet
        self._state = RUN
        self._error: BaseException | None = None  # why the pool broke
        self._start_failures = 0  # workers that died before they were ready
        self._watched_key: tuple | None = None  # see _poller()
        self._job_seconds: dict[str, float] = {}  # function name -> how long its last job took
        self._told: weakref.WeakSet = weakref.WeakSet()  # listeners told about our workers
        self._wakeup_read, self._wakeup_write = os.pipe()  # a byte here wakes the result loop
        os.set_blocking(self._wakeup_write, False)
        # Closed when the pool is garbage, but not by finalize's own exit hook,
        # which could run before _stop_pools_at_exit needs the pipe.
        weakref.finalize(self, _close, self._wakeup_read, self._wakeup_write).atexit = False
        self._workers: list[_Worker | None] = [None] * processes
        try:
            for index in range(processes):
                self._workers[index] = self._start_worker(index)
        except BaseException:
            self._kill_workers()
            raise
        self._loop = threading.Thread(target=self._result_loop, name=f"minimp-pool-{id(self):x}", daemon=True)
        self._loop.start()
        _pools.add(self)

    # -- the API: every call becomes Tasks in Jobs on the task_queue --------------------------

    def apply_async(self, func: Callable, args: tuple = (), kwds: dict = {}, callback=None, error_callback=None):
        """Run `func(*args, **kwds)` in a worker; return an AsyncResult at once."""
        call = _Call(func, 1, single=True, keywords=dict(kwds))
        call.sink = AsyncResult(self, call.id, callback, error_callback)
        self._queue(call, [tuple(args)], 1)
        return call.sink

    def apply(self, func: Callable, args: tuple = (), kwds: dict = {}) -> Any:
        """Run `func(*args, **kwds)` in a worker and wait for its result."""
        return self.apply_async(func, args, kwds).get()

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> TaskFuture:
        """Run `fn(*args, **kwargs)` in a worker; return a `concurrent.futures.Future`.

        Not in `multiprocessing.Pool` (the primer imagines it); it is what
        `ProcessPoolExecutor.submit` does. The future has the task's `id`.
        """
        [future] = self._futures(_Call(fn, 1, single=True, keywords=kwargs), [args], 1)
        return future

    def map_async(self, func, iterable, chunksize=None, callback=None, error_callback=None, *,
                  progress: bool | str = False) -> MapResult:
        """Like map(), but return a MapResult at once."""
        return self._map_async(func, list(iterable), chunksize, callback, error_callback, progress, star=False)

    def starmap_async(self, func, iterable, chunksize=None, callback=None, error_callback=None, *,
                      progress: bool | str = False) -> MapResult:
        """Like starmap(), but return a MapResult at once."""
        arguments = [tuple(args) for args in iterable]
        return self._map_async(func, arguments, chunksize, callback, error_callback, progress)

    def map(self, func: Callable, iterable: Iterable, chunksize: int | None = None, *,
            progress: bool | str = False) -> list:
        """`[func(item) for item in iterable]`, computed by the workers, in order.

        The items travel in chunks of `chunksize`. By default the work is cut
        into about 4 chunks per worker: few messages (each costs a pickle and
        a system call or two), yet enough chunks that a worker who finishes
        early can take another instead of waiting for a slow one (chapter 08
        measures it).

        Unlike `multiprocessing.Pool`, `progress=True` shows a progress bar
        (tasks ended, rate, time left; see progress.py) named after `func`,
        and `progress="a description"` names it; so do the other maps.
        """
        return self.map_async(func, iterable, chunksize, progress=progress).get()

    def starmap(self, func: Callable, iterable: Iterable, chunksize: int | None = None, *,
                progress: bool | str = False) -> list:
        """`[func(*args) for args in iterable]`, computed by the workers, in order."""
        return self.starmap_async(func, iterable, chunksize, progress=progress).get()

    def imap(self, func: Callable, iterable: Iterable, chunksize: int = 1, *,
             progress: bool | str = False) -> IMapIterator:
        """An iterator over `func(item)` for each item, in order, as results arrive."""
        return self._imap(func, iterable, chunksize, progress, ordered=True)

    def imap_unordered(self, func: Callable, iterable: Iterable, chunksize: int = 1, *,
                       progress: bool | str = False) -> IMapIterator:
        """An iterator over `func(item)` for each item, in the order they finish."""
        return self._imap(func, iterable, chunksize, progress, ordered=False)

    def _map_async(self, func, arguments: list, chunksize, callback, error_callback, progress,
                   star=True) -> MapResult:
        call = _Call(func, len(arguments), star=star, progress=progress)
        if chunksize is None:
            chunksize = max(1, -(-len(arguments) // (self._processes * CHUNKS_PER_WORKER)))
        call.sink = MapResult(self, call.id, len(arguments), callback, error_callback)
        self._queue(call, arguments, chunksize)
        if call.progress:
            call.progress.show()  # only now: a call refused by _queue() leaves no bar behind
        return call.sink

    def _imap(self, func, iterable, chunksize: int, progress, ordered: bool) -> IMapIterator:
        arguments = list(iterable)
        call = _Call(func, len(arguments), star=False, progress=progress)
        call.sink = IMapIterator(self, call.id, len(arguments), ordered)
        self._queue(call, arguments, chunksize)
        if call.progress:
            call.progress.show()
        return call.sink

    def _futures(self, call: _Call, arguments: list, chunksize: int) -> list[TaskFuture]:
        """Queue the call's tasks, a Future for each (submit, and the executor's map)."""
        futures = [TaskFuture(self, call.first_task + index) for index in range(len(arguments))]
        call.sink = FutureSink(futures)
        self._queue(call, arguments, chunksize, futures)
        return futures

    def _cancel_queued(self) -> None:
        """Cancel the futures of the tasks no worker has been sent yet."""
        with self._lock:
            jobs = list(self._task_queue)
        for job in jobs:
            for future in job.futures or ():
                future.cancel()

    def _queue(self, call: _Call, arguments: list, chunksize: int, futures: list | None = None) -> None:
        """Cut the call's tasks into jobs of `chunksize` and queue them for the workers."""
        if not isinstance(chunksize, int) or chunksize < 1:
            raise ValueError(f"chunksize must be an int of at least 1, not {chunksize!r}")
        jobs = [
            _Job(next(_job_ids), call, start, arguments[start : start + chunksize],
                 futures[start : start + chunksize] if futures else None)
            for start in range(0, len(arguments), chunksize)
        ]  # fmt: skip
        if call.listeners:
            self._introduce_workers(call.listeners)
            for job in jobs:
                _tell(call.listeners, JobQueued(job.id, call.id, call.name, call.first_task + job.start, job.size,
                                                job.submitted))
        with self._lock:
            self._check_running()
            self._task_queue.extend(jobs)
        self._wake()

    def _check_running(self) -> None:
        if self._state == RUN:
            return
        if self._state == BROKEN:
            raise self._error  # type: ignore[misc]
        raise ValueError(f"Pool not running: it was {self._state}; create a new Pool for more work")

    # -- closing -----------------------------------------------------------------------

    def close(self) -> None:
        """Accept no more work; the workers exit once the queued work is done."""
        with self._lock:
            if self._state == RUN:
                self._state = CLOSE
        self._wake()

    def terminate(self) -> None:
        """Stop now: kill the workers; unfinished tasks fail with PoolTerminatedError."""
        with self._lock:
            if self._state != BROKEN:
                self._state = TERMINATE
        if self._loop.is_alive():
            self._wake()
            if threading.current_thread() is not self._loop:
                self._loop.join()
        self._kill_workers()
        self._fail_all(PoolTerminatedError("the pool was terminated before this task finished"))
        _pools.discard(self)

    def join(self) -> None:
        """Wait for the workers to exit; call close() or terminate() first."""
        if self._state == RUN:
            raise ValueError("Pool is still running: call close() or terminate() before join()")
        if threading.current_thread() is not self._loop:
            self._loop.join()
        for worker in self._workers:
            if worker is not None:
                worker.process.join()
        _pools.discard(self)

    def __enter__(self) -> Pool:
        if self._state in (CLOSE, TERMINATE):
            self._check_running()
        return self  # broken: the first call inside says why

    def __exit__(self, *exc_info) -> None:
        self.terminate()

    def __repr__(self) -> str:
        return f"<minimp.Pool state={self._state} pool_size={self._processes}>"

    def _at_exit(self) -> None:
        """The program is ending: a Pool stops at once, as the standard library's does."""
        self.terminate()

    def _interrupted(self) -> None:
        """A caller waiting for results got KeyboardInterrupt (results.py)."""
        self.terminate()

    def _wake(self) -> None:
        """Tell the result loop something changed (it may be waiting in poll())."""
        try:
            os.write(self._wakeup_write, b"!")
        except OSError:
            pass  # full: it will wake anyway; closed: the interpreter is exiting

    # -- the result loop: the one helper thread ---------------------------------------------

    def _result_loop(self) -> None:
        """Send jobs to workers, deliver their outcomes, replace workers that die.

        The only thread that touches the workers; it runs until the pool is
        terminated, broken, or closed with all its work done.
        """
        while self._step():
            pass

    def _step(self) -> bool:
        if self._state in (TERMINATE, BROKEN):
            return False
        self._send_jobs()
        if self._state == CLOSE and not self._task_queue:
            for worker in self._live_workers():
                if not worker.jobs and not worker.stopping:
                    self._send(worker, None)
            if not self._live_workers():
                return False
        for fd, _ in self._poller().poll():
            kind, worker = self._watched[fd]
            if kind == "wakeup":
                os.read(self._wakeup_read, 4096)
            elif self._workers[worker.index] is not worker or self._state in (TERMINATE, BROKEN):
                continue  # gone since this poll() began
            elif kind == "pipe" and worker.pipe_open:
                self._receive(worker)
            elif kind == "exit":
                self._worker_exited(worker)
        return True

    def _poller(self) -> select.poll:
        """A poll object watching the wakeup pipe, each worker's pipe and each
        worker's sentinel; made again only when the workers change."""
        # (ids stay unique: self._watched holds on to the workers it watches)
        key = tuple((id(worker), worker.pipe_open) for worker in self._live_workers())
        if key != self._watched_key:
            self._watched = {self._wakeup_read: ("wakeup", None)}
            for worker in self._live_workers():
                if worker.pipe_open:
                    self._watched[worker.result_pipe.fileno()] = ("pipe", worker)
                self._watched[worker.sentinel] = ("exit", worker)
            self._poll = select.poll()
            for fd in self._watched:
                self._poll.register(fd, select.POLLIN)
            self._watched_key = key
        return self._poll

    def _live_workers(self) -> list[_Worker]:
        return [worker for worker in self._workers if worker is not None]

    def _send_jobs(self) -> None:
        """Give every idle worker a job; then each busy one a second, if it is short."""
        for depth in (1, 2):
            if depth == 2 and not all(worker.ready for worker in self._live_workers()):
                return  # a worker still starting will want a job soon: keep it for it
            for worker in self._live_workers():
                if not worker.ready or worker.stopping or len(worker.jobs) >= depth:
                    continue
                if self._max_jobs is not None and worker.jobs_sent >= self._max_jobs:
                    continue  # it will exit after these; a new worker replaces it
                if depth == 2 and not self._short_next_job():
                    return
                job = self._next_job()
                if job is None:
                    return
                if depth == 2 and len(job.message) > SEND_AHEAD_LIMIT:
                    with self._lock:
                        self._task_queue.appendleft(job)  # for the next free worker
                    return
                if not worker.jobs:
                    worker.head_since = time.monotonic()
                worker.jobs.append(job)
                worker.jobs_sent += 1
                if not self._send(worker, job.message):
                    worker.jobs.pop()
                    with self._lock:
                        self._task_queue.appendleft(job)
                elif job.call.listeners:
                    _tell(job.call.listeners, JobSent(job.id, worker.index, worker.process.pid, time.monotonic()))

    def _short_next_job(self) -> bool:
        """May the next job go to a busy worker, to wait in its task pipe? Only if
        the last job of the same function was short: then it will not wait long,
        and the worker will not have to wait for us. (Asked before the job is
        packed: packing marks its futures as running.)"""
        with self._lock:
            if not self._task_queue:
                return False
            name = self._task_queue[0].call.name
        recent = self._job_seconds.get(name)
        return recent is not None and recent < SEND_AHEAD_BELOW

    def _next_job(self) -> _Job | None:
        """The next job of the task_queue, packed; None if there is none."""
        while True:
            with self._lock:
                if not self._task_queue:
                    return None
                job = self._task_queue.popleft()
            if job.message is not None or self._pack(job):
                return job

    def _pack(self, job: _Job) -> bool:
        """Pickle the job for the pipe. Tasks whose futures were cancelled are
        skipped; tasks whose arguments cannot be pickled fail. False: none left."""
        if job.futures:
            for position, future in enumerate(job.futures):
                if not future.set_running_or_notify_cancel():
                    job.skip.add(position)
            if job.call.progress and job.skip:  # (all cancelled ones) they end here, never delivered
                job.call.progress.ended(len(job.skip))
        while len(job.skip) < job.size:
            # Skipped tasks travel as None: their arguments may be what failed to pickle.
            arguments = [None if p in job.skip else a for p, a in enumerate(job.arguments)] if job.skip else job.arguments
            try:
                job.message = serialize.dumps(
                    Job(job.id, job.call.pickled_function(), job.call.first_task + job.start, arguments,
                        job.call.star, job.call.keywords, frozenset(job.skip), bool(job.call.listeners))
                )  # fmt: skip
                break
            except Exception as error:
                self._fail_unpicklable(job, error)
        job.arguments = None  # they live in the message now
        if len(job.skip) == job.size:
            return False
        job.args_size = len(job.message) // (job.size - len(job.skip))
        return True

    def _fail_unpicklable(self, job: _Job, error: Exception) -> None:
        try:
            job.call.pickled_function()
        except Exception:
            bad = set(range(job.size)) - job.skip  # the function itself: every task fails
            reason = f"the function {job.call.name} could not be pickled"
        else:
            bad = {p for p, a in enumerate(job.arguments) if p not in job.skip and not _picklable(a)}
            bad = bad or set(range(job.size)) - job.skip  # no single culprit: fail them all
            reason = "its arguments could not be pickled"
        first = job.call.first_task + job.start
        failures = {p: _with_message(error, f"task {first + p} ({job.call.name}): {reason}: {error}") for p in bad}
        self._finish(job, [None] * job.size, failures, "error", skip=set(range(job.size)) - bad)
        job.skip |= bad

    def _send(self, worker: _Worker, message: bytes | None) -> bool:
        try:
            if message is None:
                worker.stopping = True
                worker.task_pipe.send(None)
            else:
                worker.task_pipe.send_bytes(message)
            return True
        except OSError:  # it died; its sentinel tells the rest
            worker.pipe_open = False
            return False

    def _receive(self, worker: _Worker) -> None:
        try:
            raw = worker.result_pipe.recv_bytes()
        except (EOFError, OSError):
            worker.pipe_open = False  # it exited; its sentinel tells the rest
            return
        try:
            message = serialize.loads(raw)
        except Exception as error:  # a result this process cannot unpickle
            self._unreadable_message(worker, error)
            return
        if isinstance(message, Done):
            job = worker.jobs.popleft()
            now = time.monotonic()
            self._job_seconds[job.call.name] = now - worker.head_since  # see _short_next_job
            worker.head_since = now
            failures = {p: _with_remote_traceback(*failure) for p, failure in message.failures.items()}
            self._finish(job, message.results, failures, "error", worker, message.times, len(raw))
        elif isinstance(message, Ready):
            worker.ready, worker.ready_at = True, message.time
            _tell(events.listeners, WorkerReady(worker.index, worker.process.pid, message.time))
            self._start_failures = 0
        elif isinstance(message, Unreadable):
            job = worker.jobs.popleft()
            error = _with_remote_traceback(message.error, message.traceback)
            self._finish(job, [None] * job.size, dict.fromkeys(range(job.size), error), "error", worker)
        elif isinstance(message, StartFailed):
            error = WorkerStartError(
                f"worker {worker.index} (pid {worker.process.pid}) failed to start: its initializer "
                f"raised {type(message.error).__name__}: {message.error}"
            )
            error.__cause__ = _with_remote_traceback(message.error, message.traceback)
            self._break(error)

    def _unreadable_message(self, worker: _Worker, error: Exception) -> None:
        """A message from `worker` could not be unpickled here: it held the
        results of its oldest job (the only messages with the user's objects)."""
        if not worker.jobs:
            self._break(WorkerStartError(f"worker {worker.index} sent a message this process cannot read: {error}"))
            return
        job = worker.jobs.popleft()
        failure = _with_message(error, f"the results of {job.call.name} could not be unpickled in the parent: {error}")
        self._finish(job, [None] * job.size, dict.fromkeys(range(job.size), failure), "error", worker)

    def _worker_exited(self, worker: _Worker) -> None:
        """A worker's sentinel fired: collect it, and see what it leaves behind."""
        while worker.pipe_open and worker.result_pipe.poll(0):
            self._receive(worker)  # what it sent before exiting comes first
        worker.process.join()
        worker.task_pipe.close()
        worker.result_pipe.close()
        self._workers[worker.index] = None
        self._trace_worker(worker)
        if self._state == BROKEN:
            return
        how = f"worker {worker.index} (pid {worker.process.pid}) {_describe(worker.process.exitcode)}"
        if not worker.ready:
            # Killed from outside while starting (the OOM killer, say): try
            # again, a few times. Failed by itself: another would fail alike.
            self._start_failures += 1
            exitcode = worker.process.exitcode
            if not (exitcode is not None and exitcode < 0) or self._start_failures >= MAX_START_FAILURES:
                self._break(WorkerStartError(f"{how} while starting, before it could run any task"))
                return
        if worker.jobs:
            crashed = worker.jobs.popleft()
            with self._lock:
                self._task_queue.extendleft(reversed(worker.jobs))  # never started: run them elsewhere
            for job in worker.jobs:
                if job.call.listeners:
                    _tell(job.call.listeners, JobQueued(job.id, job.call.id, job.call.name,
                                                        job.call.first_task + job.start, job.size, time.monotonic()))
            worker.jobs.clear()
            running = self._running[worker.index]
            self._running[worker.index] = 0
            if running:
                task_name = f"task {running} ({crashed.call.name})"
            else:  # a chunk run by map() in C (worker.py): one of its tasks
                first = crashed.call.first_task + crashed.start
                task_name = f"one of tasks {first}-{first + crashed.size - 1} ({crashed.call.name})"
            error = WorkerDiedError(f"{how} while running {task_name}")
            if self._crash_breaks_pool:
                self._break(error, crashed, worker)
                return
            self._finish(crashed, [None] * crashed.size, dict.fromkeys(range(crashed.size), error), "crashed", worker)
        if self._state == RUN or self._task_queue:
            self._workers[worker.index] = self._start_worker(worker.index)

    # -- workers ------------------------------------------------------------------------

    def _start_worker(self, index: int) -> _Worker:
        task_reader, task_writer = Pipe(duplex=False)
        result_reader, result_writer = Pipe(duplex=False)
        method = self._ctx.get_start_method().capitalize()
        process = self._ctx.Process(
            target=worker_loop,
            args=(task_reader, result_writer, index, self._running, self._initializer, self._initargs, self._max_jobs),
            name=f"{method}PoolWorker-{next(_worker_numbers)}",
            daemon=True,
        )
        started = time.monotonic()
        try:
            process.start()
        finally:
            task_reader.close()
            result_writer.close()
        _tell(events.listeners, WorkerStarted(index, process.pid, started))
        return _Worker(index, process, task_writer, result_reader, started)

    def _introduce_workers(self, listeners: tuple) -> None:
        """Tell listeners new to this pool which of its workers are alive already."""
        new = [listener for listener in listeners if listener not in self._told]
        for worker in self._live_workers() if new else ():
            _tell(new, WorkerStarted(worker.index, worker.process.pid, worker.started))
            if worker.ready:
                _tell(new, WorkerReady(worker.index, worker.process.pid, worker.ready_at))
        self._told.update(new)

    def _kill_workers(self) -> None:
        """Terminate every worker, wait a moment, kill what is left; collect them all."""
        workers = [worker for worker in self._workers if worker is not None]
        for worker in workers:
            if worker.process.exitcode is None:
                worker.process.terminate()
        deadline = time.monotonic() + 1.0
        for worker in workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.exitcode is None:
                worker.process.kill()
                worker.process.join()
            worker.task_pipe.close()
            worker.result_pipe.close()
            self._trace_worker(worker)
            with self._lock:  # its jobs wait with the others, for _fail_all
                self._task_queue.extendleft(reversed(worker.jobs))
            worker.jobs.clear()
            self._workers[worker.index] = None

    # -- outcomes ---------------------------------------------------------------------

    def _finish(self, job: _Job, results: list, failures: dict, status: str, worker=None, times=None, size=0, skip=None):
        """Deliver the outcomes of a job's tasks to its call's result, and to the traces.

        `failures` maps a position in the job to its exception; `status` is
        what a failure is called in the trace ("error", "crashed", ...).
        """
        skip = job.skip if skip is None else skip  # positions this delivery is not about
        if job.call.listeners:
            self._record(job, failures, status, worker, times, size, skip)
        if job.call.progress:  # before the results: once the caller has the last one, the bar is closed
            job.call.progress.ended(job.size - len(skip))
        job.call.sink._deliver_many(job.start, results, failures, skip)

    def _record(self, job: _Job, failures: dict, status: str, worker, times, size, skip) -> None:
        """Tell the call's listeners how the job ended; a trace makes its
        TaskRecords only when someone reads `trace.tasks`, so this costs little."""
        call = job.call
        _tell(call.listeners, JobEnded(
            job=job.id, call=call.id, function=call.name, first_task=call.first_task + job.start, start=job.start,
            arguments=job.traced_arguments, star=call.star, skip=frozenset(skip), failures=failures,
            status=status, submitted=job.submitted, times=times, ended=time.monotonic(),
            worker=worker.index if worker else None, pid=worker.process.pid if worker else None,
            args_size=job.args_size, result_size=size // max(1, job.size - len(skip)),
        ))  # fmt: skip

    def _break(self, error: BaseException, crashed: _Job | None = None, worker: _Worker | None = None) -> None:
        """Stop the pool for good: every task not yet finished fails with `error`."""
        with self._lock:
            self._state, self._error = BROKEN, error
        if crashed is not None:
            self._finish(crashed, [None] * crashed.size, dict.fromkeys(range(crashed.size), error), "crashed", worker)
        self._kill_workers()
        self._fail_all(error)

    def _fail_all(self, error: BaseException) -> None:
        with self._lock:
            jobs = list(self._task_queue)
            self._task_queue.clear()
        for worker in self._workers:
            if worker is not None:
                jobs.extend(worker.jobs)
                worker.jobs.clear()
        for job in jobs:
            self._finish(job, [None] * job.size, dict.fromkeys(range(job.size), error), "cancelled")

    def _trace_worker(self, worker: _Worker) -> None:
        _tell(events.listeners, WorkerExited(worker.index, worker.process.pid, worker.started, worker.ready_at,
                                             time.monotonic(), worker.process.exitcode))


# -- small helpers ------------------------------------------------------------------------


def _tell(listeners, event) -> None:
    for listener in listeners:
        listener.record(event)


def _new_ids(count: int) -> int:
    """Reserve `count` consecutive ids; return the first."""
    global _next_id
    with _ids_lock:
        first, _next_id = _next_id, _next_id + count
    return first


def _minimp_context(context: Any) -> Any:
    """minimp's context for `context`: None (the default), a minimp context, or the
    standard library's (its start method is what counts)."""
    if context is None:
        return get_context()
    return get_context(context.get_start_method())


def _describe(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        return f"was killed by signal {signal.Signals(-exitcode).name} (exit code {exitcode})"
    return f"exited with exit code {exitcode}"


def _with_remote_traceback(error: BaseException, text: str) -> BaseException:
    """Attach the worker's traceback to `error` as its cause, as multiprocessing.pool does."""
    error.__cause__ = RemoteTraceback(f'\n"""\n{text}"""')
    return error


def _picklable(obj: Any) -> bool:
    try:
        serialize.dumps(obj)
        return True
    except Exception:
        return False


def _stop_pools_at_exit() -> None:
    for pool in list(_pools):
        pool._at_exit()


# When the program ends, stop the pools first: before process.py's exit
# handler stops the children (a pool whose workers died under it would start
# new ones) and before weakref's exit hook closes the pipes the result loop
# waits on. threading's exit hooks run before any atexit handler; the
# standard library's concurrent.futures uses the same (private) hook.
threading._register_atexit(_stop_pools_at_exit)  # type: ignore[attr-defined]
