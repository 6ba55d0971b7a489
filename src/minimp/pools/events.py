"""Events: what a pool tells whoever is listening (a trace) about its work.

A pool *pushes* events, as they happen, to the listeners that were active
when the work was given to it; it never asks a listener anything, and a
listener calls into a pool for one thing only, which the pool offers it:
where its workers are now (StacksOffered: `pool.stacks()`, stacks.py)::

    the pool (pool.py, loop.py)                       a listener (tracing/)
    a call's tasks are cut into jobs  ── JobsQueued ─▶ record(event)
    a job goes to worker W            ── JobSent ────▶
    its tasks' outcomes came back     ── JobEnded ───▶
    a worker starts, is ready, exits  ── WorkerStarted, WorkerReady, WorkerExited ──▶
    a listener is new to the pool     ── StacksOffered ─▶ (a live view asks it when a task seems stuck)

A listener is any object with a quick `record(event)` method (it runs in the
pool's threads): `minimp.trace()` appends the event to a log it reads later.
With no listener, a pool makes no event. Times are `time.monotonic()`, one
clock for every process of the machine, so the parent's and a worker's compare.

Read next: `pools/progress.py`, the other thing a pool reports to: a progress bar.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

__all__ = ["JobsQueued", "JobSent", "JobEnded", "WorkerStarted", "WorkerReady", "WorkerExited", "StacksOffered",
           "listeners", "tell"]

listeners: list = []  # the listeners recording now (a trace adds itself on `with`)


def tell(listeners: Any, event: Any) -> None:
    """Push `event` to each of `listeners` (a call's, or all those recording now)."""
    for listener in tuple(listeners):
        listener.record(event)


# What the pool's thread (loop.py) says, one line each; `job` is a jobs.PendingJob, `worker` a worker.Worker.

def jobs_queued(jobs: list, now: float) -> None:
    """Jobs wait for a worker: all of one call when it is made; a dead worker's, one call at a time."""
    calls: dict = {}
    for job in jobs:
        if job.call.listeners:
            calls.setdefault(job.call, []).append((job.id, job.first_task, job.size))
    for call, queued in calls.items():
        tell(call.listeners, JobsQueued(call.id, call.name, queued, now))


def job_sent(job: Any, worker: Any) -> None:
    if job.call.listeners:  # (the clock is read only for a listener: this runs for every job)
        tell(job.call.listeners, JobSent(job.id, worker.index, worker.pid, time.monotonic()))


def worker_started(worker: Any, listening: Any = listeners) -> None:
    tell(listening, WorkerStarted(worker.index, worker.pid, worker.started))
    if worker.ready:
        tell(listening, WorkerReady(worker.index, worker.pid, worker.ready_at))


def introduce(listening: tuple, told: Any, workers: list, stacks: Any) -> None:
    """Tell listeners new to a pool (not in `told`) which of its workers are alive already, and
    how to ask where they are now (`stacks`, a weakref.WeakMethod of the pool's stacks())."""
    new = [listener for listener in listening if listener not in told]
    if new:
        tell(new, StacksOffered(stacks))
    for worker in workers if new else ():
        worker_started(worker, new)
    told.update(new)


def worker_exited(worker: Any, now: float) -> None:
    tell(listeners, WorkerExited(worker.index, worker.pid, worker.started, worker.ready_at, now,
                                 worker.exitcode))


class JobsQueued(NamedTuple):
    """Jobs of one call wait for a worker (again, if the worker they were sent to died). One event
    for all, not one per job: a map of 20,000 one-task jobs would pay for 20,000 before any runs."""

    call: int  # the id of the call they belong to
    function: str
    jobs: list  # (job id, its first task's id, its number of tasks) for each job
    time: float


class JobSent(NamedTuple):
    """A job was written into a worker's task pipe (it runs after the ones before it)."""

    job: int
    worker: int  # the worker's index in its pool
    pid: int
    time: float


class JobEnded(NamedTuple):
    """The outcomes of a job's tasks, but those in `skip` (the pool sends what it
    has; a trace makes its TaskRecords of it only when they are read)."""

    job: int
    call: int
    function: str
    first_task: int  # the id of the job's first task
    start: int  # the job's place in its call: its tasks are the call's start, start + 1, ...
    arguments: list  # each task's arguments: an args tuple, or (map) the one argument
    star: bool  # True: arguments are args tuples
    skip: frozenset  # positions this event is not about
    failures: dict  # position -> the exception it ended with
    status: str  # what a failure is called: "error", "crashed" or "cancelled"
    submitted: float
    times: list | None  # from the worker, if timed: task i ran from times[i] to times[i + 1]
    ended: float  # when the pool learnt the outcomes
    worker: int | None  # None: it never reached a worker
    pid: int | None
    args_size: int  # bytes of pickled arguments, per task
    result_size: int  # bytes of pickled outcomes, per task
    sent: float | None = None  # when the pool took the job to pickle and send it (None: never taken)
    marks: list | None = None  # its tasks' own spans, (name, start, end), if they noted any (marks.py)


class WorkerStarted(NamedTuple):
    """A worker process was started (or, to a new listener: is alive)."""

    worker: int
    pid: int
    time: float


class WorkerReady(NamedTuple):
    """A worker's initializer has run: it takes jobs now."""

    worker: int
    pid: int
    time: float


class WorkerExited(NamedTuple):
    """A worker's process is gone, and the pool has collected its exit code."""

    worker: int
    pid: int
    started: float
    ready: float | None  # None: it died before it was ready
    exited: float
    exitcode: int | None


class StacksOffered(NamedTuple):
    """How to ask the pool where each of its workers is now: `ask()` is a weakref.WeakMethod of its
    stacks(timeout) (None once the pool is gone); it waits for the workers' answers, so never in a pool's thread."""

    ask: Any
