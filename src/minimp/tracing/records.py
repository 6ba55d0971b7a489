"""Records: what a trace holds, as plain named tuples you can print.

    TaskRecord     one task: what ran, where, when, and how it ended
    WorkerRecord   one worker's life: started, ready, exited
    RunningJob     a job a worker runs now (only in a Snapshot)
    Snapshot       a trace as it is at one moment: what ended, runs and waits

A pool does not make these: it tells a trace what happened (pools/events.py),
and the trace makes records only when someone reads it. `task_records()`,
at the bottom, is that step for the tasks: one JobEnded event, the outcomes
of one job, becomes a TaskRecord per task.

Every time is a `time.monotonic()` reading, in seconds: one clock for every
process of the machine, so a parent's and a worker's times compare.

Read next: `tracing/log.py`, the trace that receives the events.
"""

from __future__ import annotations

import reprlib
from typing import Any, NamedTuple

from ..pools.events import JobEnded

__all__ = ["TaskRecord", "WorkerRecord", "MarkRecord", "RunningJob", "Snapshot", "task_records"]


class TaskRecord(NamedTuple):
    """One task: what ran, where, when (time.monotonic() seconds), and how it ended.

    (A named tuple, not a dataclass: a trace makes thousands of them, and a
    tuple is made several times faster than a frozen dataclass.)"""

    id: int  # the task's id: AsyncResult.id / Future.id for a single task
    call: int  # the id of the call it belongs to (a map's tasks share it)
    index: int  # its place in that call
    function: str
    args: str  # a short repr of the arguments
    submitted: float | None
    started: float | None  # None: unknown (never started, or its worker died)
    finished: float
    worker: int | None  # the worker's index in its pool: its lane in a timeline
    pid: int | None
    status: str  # "ok", "error", "crashed" (its worker died) or "cancelled"
    error: str | None = None
    args_size: int = 0  # bytes of pickled arguments (a chunk's size, shared by its tasks)
    result_size: int = 0  # bytes of the pickled outcome (shared likewise)
    sent: float | None = None  # when the pool took its job to pickle and send (a chunk's tasks share it)
    returned: float | None = None  # when the pool had its outcome back (shared likewise)

    @property
    def waited(self) -> float | None:
        """Seconds between submit and start: time spent queued."""
        if self.submitted is None or self.started is None:
            return None
        return self.started - self.submitted

    @property
    def duration(self) -> float | None:
        """Seconds the task ran."""
        return None if self.started is None else self.finished - self.started


class WorkerRecord(NamedTuple):
    """One worker's life: started by the pool, ready (initializer done), exited."""

    index: int
    pid: int | None
    started: float
    ready: float | None
    exited: float | None  # None: alive (in a Snapshot)
    exitcode: int | None


class MarkRecord(NamedTuple):
    """A span a task noted with `minimp.mark(name)` (pools/marks.py): on which worker, when."""

    name: str
    worker: int | None
    pid: int | None
    start: float
    end: float


class RunningJob(NamedTuple):
    """A job a worker runs now: tasks first_task ... first_task + size - 1."""

    worker: int
    pid: int | None
    function: str
    first_task: int
    size: int
    since: float  # when the worker began it (or was sent it, if idle)
    task: int | None  # the task it runs now, if known (None: a view shows first_task)


class Snapshot(NamedTuple):
    """A trace as it is at `now`: what ended, what runs, what waits (for live views)."""

    tasks: list[TaskRecord]
    workers: list[WorkerRecord]  # those that exited, then those alive (exited None)
    running: list[RunningJob]
    queued: int  # tasks waiting for a worker
    started: float | None  # when the trace began
    now: float


def task_records(ended: JobEnded) -> list[TaskRecord]:
    """A TaskRecord for each task of the job that `ended` is about (all but its `skip`).
    (Reading a trace of 20,000 tasks made 20,000 of these: the fields go by position, and
    a number's repr skips reprlib, which took half the time.)"""
    if ended.arguments is None:
        return []
    times = list(ended.times) if ended.times else None  # task i ran from times[i] to times[i + 1]
    records = []
    for position, args in enumerate(ended.arguments):
        if position in ended.skip:
            continue
        error = ended.failures.get(position)
        records.append(TaskRecord(
            ended.first_task + position, ended.call, ended.start + position, ended.function,  # id, call, index
            _shown(args, ended.star), ended.submitted,
            times[position] if times else None, times[position + 1] if times else ended.ended,  # started, finished:
            ended.worker, ended.pid,  # (never started, or its worker died: only the end is known)
            "ok" if error is None else ended.status, None if error is None else f"{type(error).__name__}: {error}",
            ended.args_size, ended.result_size, ended.sent, ended.ended if ended.sent is not None else None,
        ))  # fmt: skip
    return records


def _shown(args: Any, star: bool) -> str:
    """The task's arguments as a tuple's short repr: "(5,)", "('A', 1.0)"."""
    if not star and type(args) in (int, float):
        text = repr(args)
        if len(text) <= reprlib.aRepr.maxlong:  # what reprlib would shorten goes to reprlib
            return f"({text},)"
    return reprlib.repr(args if star else (args,))
