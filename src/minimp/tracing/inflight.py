"""In flight: what the events say is under way now, for a live snapshot.

A trace learns from events alone which jobs wait, which run and which
workers are alive; it never asks a pool. A job's life, as its events tell it:

    JobsQueued ──▶ waiting ── JobSent ──▶ sent to a worker ── JobEnded ──▶ over
                     ▲                          │
                     └─────── JobsQueued ───────┘  again: its worker died before beginning it

A worker runs the jobs it is sent in the order it was sent them, and the
pool may send a short job to a worker that still runs another (it waits in
the task pipe: `PoolLoop.send_jobs` in loop.py). So the job a worker runs now is the
earliest it was sent that is not over, and it began when it was sent, or
when the job before it ended, whichever came later.

A job may end in several JobEnded events: the tasks whose arguments could
not be pickled fail first, and the others are sent. A job is over when a
JobEnded comes from a worker (its outcomes, or its worker's death), when
the pool cancels it (it is closing or broken), or once all its tasks ended.

Limits: it knows only what events say. Which task of a job runs is not
said (RunningJob.task is None: a view shows the job's first). Not
thread-safe: the trace reads events into it under its lock.

Read next: `tracing/traced.py`, the records of the standard library's pools.
"""

from __future__ import annotations

from typing import NamedTuple

from ..pools.events import JobEnded, JobsQueued, JobSent, WorkerExited, WorkerReady, WorkerStarted
from .records import RunningJob, WorkerRecord

__all__ = ["InFlight"]


class _Job(NamedTuple):
    """A job in flight, as a JobsQueued told it."""

    function: str
    first_task: int
    size: int


class InFlight:
    """The jobs and workers under way, kept up to date by `read(event)`."""

    def __init__(self) -> None:
        self.jobs: dict[int, _Job] = {}  # job id -> the job, until it is over
        self.ended: dict[int, int] = {}  # job id -> how many of its tasks ended already
        self.waiting: set[int] = set()  # ids of jobs queued and not sent
        self.sent: dict[int, dict[int, JobSent]] = {}  # worker pid -> {job id: JobSent}, in the order sent
        self.on: dict[int, int] = {}  # job id -> the pid of the worker it was sent to
        self.free_since: dict[int, float] = {}  # worker pid -> when its latest job ended
        self.alive: dict[int, WorkerRecord] = {}  # worker pid -> its record (exited None)

    def read(self, event) -> None:
        """Follow one event (pools/events.py); other objects are ignored."""
        kind = type(event)
        if kind is JobsQueued:
            for job, first_task, size in event.jobs:
                self._unsend(job)  # queued again: its worker died before it began
                self.jobs[job] = _Job(event.function, first_task, size)
                self.waiting.add(job)
        elif kind is JobSent:
            self.waiting.discard(event.job)
            self.sent.setdefault(event.pid, {})[event.job] = event
            self.on[event.job] = event.pid
        elif kind is JobEnded:
            self._ended(event)
        elif kind is WorkerStarted:  # (told twice, if a call introduced us to its pool: keep the first)
            self.alive.setdefault(event.pid, WorkerRecord(event.worker, event.pid, event.time, None, None, None))
        elif kind is WorkerReady and event.pid in self.alive:
            self.alive[event.pid] = self.alive[event.pid]._replace(ready=event.time)
        elif kind is WorkerExited:
            self.alive.pop(event.pid, None)
            self.free_since.pop(event.pid, None)
            for job in self.sent.pop(event.pid, {}):  # they come back in a JobsQueued, or end as crashed
                del self.on[job]

    def _ended(self, event: JobEnded) -> None:
        job = self.jobs.get(event.job)
        if job is None:  # over already, or queued before the trace began
            return
        ended = self.ended.get(event.job, 0) + job.size - len(event.skip)
        if not (event.worker is not None or event.status == "cancelled" or ended >= job.size):
            self.ended[event.job] = ended  # some tasks failed before it was sent: the others follow
            return
        del self.jobs[event.job]
        self.ended.pop(event.job, None)
        self.waiting.discard(event.job)
        self._unsend(event.job)
        if event.pid is not None:  # the worker is free from the end of its last task (its clock reading)
            self.free_since[event.pid] = event.times[-1] if event.times else event.ended

    def _unsend(self, job: int) -> None:
        pid = self.on.pop(job, None)
        if pid is not None:
            del self.sent[pid][job]

    def running(self) -> list[RunningJob]:
        """For each worker that has a job, the job it runs now (see the module docstring)."""
        running = []
        for pid, sent in self.sent.items():
            if not sent:
                continue
            first = next(iter(sent.values()))  # the earliest sent: a worker runs its jobs in order
            job = self.jobs[first.job]
            since = max(first.time, self.free_since.get(pid, first.time))
            running.append(RunningJob(first.worker, pid, job.function, job.first_task, job.size, since, None))
        return running

    def queued(self) -> int:
        """How many tasks wait for a worker."""
        return sum(self.jobs[job].size - self.ended.get(job, 0) for job in self.waiting)

    def workers(self) -> list[WorkerRecord]:
        """The workers alive, in the order they started."""
        return list(self.alive.values())
