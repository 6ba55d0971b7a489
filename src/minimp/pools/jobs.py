"""Calls and jobs: what the pool's API makes of your call, before any worker sees it.

    pool.map(f, range(10), chunksize=4)
      Call       f, 10 tasks, ids 12 ... 21, where the results go (results.py)
      cut()  ──▶ PendingJob(tasks 0-3)  PendingJob(4-7)  PendingJob(8-9)
      pack() ──▶ each one's Job message (worker.py), pickled when a worker takes it

A *call* is one use of the API (an `apply_async`, a `map`); a *job* is the tasks
of a call that travel to a worker as one message: one task (`apply_async`,
`submit`) or a chunk (`map`). Ids come from one counter per process: a call's
id, then its tasks' (a single task's id is the call's, so `apply_async(...).id`
is the task's id in a trace). Pickling waits until a worker takes the job: by
then a future may have been cancelled (that task is skipped), and an argument
that cannot be pickled fails its own task, not the whole call.

Read next: `pools/loop.py`, the thread that gives jobs to workers.
"""

from __future__ import annotations

import collections
import itertools
import threading
import time

from ..runtime import serialize
from . import events
from .progress import progress_bar
from .results import job_ended
from .failures import task_name, with_message

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

__all__ = ["Cancelled", "Call", "PendingJob", "TaskQueue", "cut", "check_chunksize", "new_ids", "pack", "default_chunksize", "CHUNKS_PER_WORKER"]

CHUNKS_PER_WORKER = 4  # map's default chunksize cuts the work into this many chunks per worker

_next_id = 1  # call and task ids, unique in this process
_ids_lock = threading.Lock()
_job_ids = itertools.count(1)  # unique in this process too: a trace of several pools tells jobs apart


def new_ids(count: int) -> int:
    """Reserve `count` consecutive ids; return the first."""
    global _next_id
    with _ids_lock:
        first, _next_id = _next_id, _next_id + count
    return first


class Call:
    """One call of the API: its function, its tasks' ids, where their outcomes
    go (`result`, set by the pool), who listens (traces), its progress bar."""

    def __init__(self, function: Callable, size: int, *, single: bool = False, keywords: dict | None = None,
                 star: bool = True, progress: Any = False, api: str = "map"):
        if not callable(function):
            raise TypeError(f"func must be callable, not {type(function).__name__}")
        self.id = new_ids(1 if single or size is None else size + 1)  # size None: a Stream (streaming.py)
        self.first_task = self.id if single else self.id + 1
        self.function = function
        self.name = getattr(function, "__qualname__", repr(function))
        self.label = f"{api}({self.name})"  # what the learner wrote, for errors: "map(square)"
        self.single = single  # one task (apply_async, submit), not an item of a map
        self.keywords = keywords or {}  # apply_async's kwds, submit's kwargs: for its one task
        self.star = star  # each task's arguments are an args tuple; False (map): one argument
        self.listeners = tuple(events.listeners)  # the traces recording now hear of its jobs
        self.progress = progress_bar(progress, size, self.name)
        self.result: Any = None  # an AsyncResult, MapResult or FutureSink (results.py), a Stream (streaming.py)
        self._pickled: bytes | None = None

    def pickled_function(self) -> bytes:
        if self._pickled is None:  # once per call, not once per job
            self._pickled = serialize.dumps(self.function)
        return self._pickled


class PendingJob:
    """Tasks of one call that go to a worker as one message, from being queued until their outcomes
    are delivered: the call's tasks number `start`, `start + 1`, ... (their place in a map)."""

    def __init__(self, call: Call, start: int, arguments: list, futures: list | None, first_task: int | None = None):
        self.id, self.call, self.start = next(_job_ids), call, start
        self.first_task = call.first_task + start if first_task is None else first_task
        self.arguments = arguments  # each task's args tuple (or map's one argument): errors name them
        self.size = len(arguments)
        self.futures = futures  # submit() and the executor: a Future per task
        self.skip: set[int] = set()  # positions not sent: cancelled, or failed already
        self.traced_arguments = arguments if call.listeners else None  # for the traces' repr of them
        self.submitted = time.monotonic()
        self.message: bytes | None = None
        self.args_size = 0  # bytes per task, once packed
        self.sent: float | None = None  # traced calls: when it was taken to be pickled and sent
        self.cancelled: Cancelled | None = None  # its call was cancelled once a worker had it (crew.stop_call)


def default_chunksize(tasks: int, workers: int) -> int:
    """map's chunksize: about CHUNKS_PER_WORKER chunks per worker (chapter 08 measures why)."""
    return max(1, -(-tasks // (workers * CHUNKS_PER_WORKER)))


def check_chunksize(chunksize: Any) -> None:
    if not isinstance(chunksize, int) or chunksize < 1:
        raise ValueError(f"chunksize must be an int of at least 1, not {chunksize!r}")


def cut(call: Call, arguments: list, chunksize: int, futures: list | None = None) -> list[PendingJob]:
    """The call's tasks, `chunksize` to a job."""
    check_chunksize(chunksize)
    return [
        PendingJob(call, start, arguments[start : start + chunksize],
                   futures[start : start + chunksize] if futures else None)
        for start in range(0, len(arguments), chunksize)
    ]  # fmt: skip


class Cancelled:
    """A call being cancelled, its caller interrupted (loop.py's cancel()): what became of it, once `done` is set."""

    def __init__(self, call_id: int, error: BaseException):
        self.call_id, self.error = call_id, error
        self.dropped = 0  # its tasks that were waiting for a worker
        self.stopped = 0  # workers stopped in the middle of one of its tasks
        self.done = threading.Event()


class TaskQueue:
    """The jobs no worker has yet, in order: the callers' threads put, the pool's
    thread takes. `lock` guards it, and the pool's state too (loop.py)."""

    def __init__(self) -> None:
        self.jobs: collections.deque[PendingJob] = collections.deque()
        self.lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.jobs)

    def put_back(self, jobs: list[PendingJob]) -> None:
        """Jobs that must go first: taken but not sent, or sent to a worker that died."""
        with self.lock:
            self.jobs.extendleft(reversed(jobs))

    def first_function(self) -> str | None:
        with self.lock:
            return self.jobs[0].call.name if self.jobs else None

    def take(self) -> PendingJob | None:
        """The next job, packed for a worker (see `pack`); None if there is none."""
        while True:
            with self.lock:
                if not self.jobs:
                    return None
                job = self.jobs.popleft()
            if job.call.listeners:  # its sending begins: pickled now, written next (views/segments.py)
                job.sent = time.monotonic()
            failed = pack(job) if job.message is None else None
            if failed:  # arguments that cannot be pickled fail their own tasks
                job_ended(job, [None] * job.size, failed, "error", skip=set(range(job.size)) - set(failed))
            if job.message is not None:
                return job
            if job.call.listeners:  # no task left to send (cancelled, or failed above): it is over
                job_ended(job, [None] * job.size, {}, "cancelled", skip=set(range(job.size)))

    def take_call(self, call_id: int) -> list[PendingJob]:
        """Take out the jobs of one call (it was cancelled), leaving the others in order."""
        with self.lock:
            taken = [job for job in self.jobs if job.call.id == call_id]
            if taken:
                self.jobs = collections.deque(job for job in self.jobs if job.call.id != call_id)
        return taken

    def take_all(self) -> list[PendingJob]:
        with self.lock:
            jobs = list(self.jobs)
            self.jobs.clear()
        return jobs


def pack(job: PendingJob) -> dict[int, BaseException]:
    """Pickle the job's message into `job.message` (None: no task left to send).
    Skips the tasks whose futures were cancelled (they end here, for the progress
    bar) and those that cannot be pickled: returns these, with the error of each."""
    if job.futures:
        cancelled = {p for p, future in enumerate(job.futures) if not future.set_running_or_notify_cancel()}
        job.skip |= cancelled
        if job.call.progress and cancelled:
            job.call.progress.ended(len(cancelled))
    failed: dict[int, BaseException] = {}
    while len(job.skip) < job.size:
        # Skipped tasks travel as None: their arguments may be what failed to pickle.
        arguments = [None if p in job.skip else a for p, a in enumerate(job.arguments)] if job.skip else job.arguments
        try:
            job.message = serialize.dumps(  # a worker.Job's fields, as a plain tuple: see worker_loop
                (job.id, job.call.pickled_function(), job.first_task, arguments, job.call.star,
                 job.call.keywords, frozenset(job.skip), bool(job.call.listeners))
            )  # fmt: skip
            break
        except Exception as error:
            failed.update(_unpicklable(job, error))
            job.skip.update(failed)
    if job.message is not None:
        job.args_size = len(job.message) // (job.size - len(job.skip))
    return failed


def _unpicklable(job: PendingJob, error: Exception) -> dict[int, BaseException]:
    """Which tasks made pickling fail, and the error each one fails with."""
    try:
        job.call.pickled_function()
    except Exception:
        bad = set(range(job.size)) - job.skip  # the function itself: every task fails
        reason = f"the function {job.call.name} could not be pickled"
    else:
        bad = {p for p, a in enumerate(job.arguments) if p not in job.skip and not _picklable(a)}
        bad = bad or set(range(job.size)) - job.skip  # no single culprit: fail them all
        reason = f"its argument{'s' if job.call.star else ''} could not be pickled"
    return {p: with_message(error, f"{task_name(job, p)}: {reason}: {error}") for p in bad}


def _picklable(obj: Any) -> bool:
    try:
        serialize.dumps(obj)
        return True
    except Exception:
        return False
