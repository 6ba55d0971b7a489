"""The trace: a log of what pools told it, read into records when you look.

    with minimp.trace() as t:
        with minimp.Pool(2) as pool:
            pool.map(square, range(10))
    t.tasks        # one TaskRecord per task, in the order they ended
    t.workers      # one WorkerRecord per worker that exited
    print(t.table())
    t.plot()       # or t.timeline(), t.to_perfetto("run.json"): views/ draws them

While its `with` block runs, a trace is one of `pools.events.listeners`.
Every call made then keeps it, and the pool tells it what becomes of the
call's jobs until they end (even after the block), and of every worker:

    a pool's threads           the trace           you, or a live view's thread
    record(event) ── append ──▶ log ── read ──▶ tasks, workers, snapshot(), stacks()
                                       JobEnded     → TaskRecords (records.py)
                                       WorkerExited → a WorkerRecord
                                       StacksOffered → how to ask that pool where its workers are
                                       every event  → what is in flight (inflight.py)

`record()` runs in a pool's threads for every event, so it does the least
it can: it appends the event to the log, a deque (appending to one is
safe from any thread). The work is done by whoever reads, once per event:
reading empties the log, so the arguments a JobEnded keeps for their repr
are let go as soon as their records are made. With no trace active, a pool
makes no event at all.

A trace can also be made by hand, for a test or an exercise: setting
`t.tasks` and `t.workers` gives it records that no pool made.

Limits: it records the pools of this process only (the standard library's
pools, through traced.py). It does not know which pool a worker belongs to:
the workers of two pools share the indexes 0, 1, ...

Read next: `tracing/inflight.py`, what the events say runs and waits now.
"""

from __future__ import annotations

import collections
import threading
import time

from ..pools import events
from ..pools.stacks import Stacks
from .inflight import InFlight
from .records import MarkRecord, Snapshot, TaskRecord, WorkerRecord, task_records

TYPE_CHECKING = False
if TYPE_CHECKING:
    import os
    from typing import Any

__all__ = ["Trace", "trace", "active"]


class Trace:
    """The events that pools told it, by `record(event)` (pools/events.py), and the
    records made of them when they are read (see the module docstring)."""

    def __init__(self) -> None:
        self._log: collections.deque = collections.deque()  # the events not read yet
        # What pools call, in their threads, for every event: the deque's own
        # append, the cheapest call there is (a method of ours would add a frame).
        self.record = self._log.append
        self._read = 0  # events read from the log so far
        self._tasks: list[TaskRecord] = []  # made so far, in the order their jobs ended
        self._workers: list[WorkerRecord] = []  # of the workers that exited so far
        self._marks: list[MarkRecord] = []  # the tasks' own spans (minimp.mark), as their jobs ended
        self._stacks: list = []  # how to ask each pool it records where its workers are (StacksOffered)
        self._in_flight = InFlight()
        self.started: float | None = None
        self.finished: float | None = None
        self.traced_calls: Any = None  # traced.py's TracedCalls, once traced() is used in this trace
        self._lock = threading.RLock()  # one reader at a time: you, or a live view's thread

    # -- reading ----------------------------------------------------------------------------

    @property
    def tasks(self) -> list[TaskRecord]:
        """One TaskRecord per task that has ended, in the order they ended."""
        self._read_log()
        return self._tasks

    @tasks.setter
    def tasks(self, records: list[TaskRecord]) -> None:  # a trace made by hand
        self._tasks = list(records)

    @property
    def workers(self) -> list[WorkerRecord]:
        """One WorkerRecord per worker that has exited, in the order they exited."""
        self._read_log()
        return self._workers

    @workers.setter
    def workers(self, records: list[WorkerRecord]) -> None:  # a trace made by hand
        self._workers = list(records)

    @property
    def marks(self) -> list[MarkRecord]:
        """The spans tasks noted with `minimp.mark(name)`, as their jobs ended (pools/marks.py)."""
        self._read_log()
        return self._marks

    def _read_log(self) -> None:
        """Make records of the events recorded since the last look."""
        with self._lock:
            follow = self.finished is None  # an ended trace has nothing in flight
            count = len(self._log)  # the events recorded by now; later ones wait for the next look
            for _ in range(count):
                event = self._log.popleft()  # (a pool's thread may append meanwhile: that is safe)
                if type(event) is events.JobEnded:
                    self._tasks += task_records(event)
                    if event.marks:
                        self._marks += [MarkRecord(name, event.worker, event.pid, start, end)
                                        for name, start, end in event.marks]  # fmt: skip
                elif type(event) is events.WorkerExited:
                    self._workers.append(WorkerRecord(*event))
                elif type(event) is events.StacksOffered:
                    self._stacks.append(event.ask)
                if follow:
                    self._in_flight.read(event)
            self._read += count

    def snapshot(self) -> Snapshot:
        """What has ended, what runs and what waits, now: a live view draws this.

        The tasks of the standard library's pools (traced()) are there as
        their calls end; an ended trace has only its records."""
        with self._lock:
            tasks, workers = list(self.tasks), list(self.workers)
            if self.finished is not None:
                return Snapshot(tasks, workers, [], 0, self.started, time.monotonic())
            if self.traced_calls is not None:
                tasks += self.traced_calls.read()
            flight = self._in_flight
            running, alive, queued = flight.running(), flight.workers(), flight.queued()
            return Snapshot(tasks, workers + alive, running, queued, self.started, time.monotonic())

    def stacks(self, timeout: float = 1.0) -> Stacks:
        """Where each worker of the pools it records is now, for the pools still running
        (`pool.stacks()`, pools/stacks.py), and each worker that ran a traced() call (traced.py):
        a live view asks when a task seems stuck."""
        with self._lock:
            self._read_log()
            self._stacks[:] = [ask for ask in self._stacks if ask() is not None]  # a pool that is gone: nothing to say
            pools = [ask() for ask in self._stacks]  # their stacks() methods, held while we ask
        found = Stacks()
        for stacks in pools:
            found.extend(stacks(timeout) if stacks is not None else ())
        if self.traced_calls is not None and self.finished is None:  # the standard library's, through traced()
            found.extend(self.traced_calls.stacks(timeout))
        return found

    @property
    def recorded(self) -> int:
        """How many events it has recorded, and traced() calls read: what a
        live view measures its work by (widgets/view.py)."""
        traced = len(self.traced_calls.calls) if self.traced_calls is not None else 0
        return self._read + len(self._log) + traced

    # -- recording ------------------------------------------------------------------------

    def __enter__(self) -> Trace:
        self.started = time.monotonic()
        events.listeners.append(self)
        return self

    def __exit__(self, *exc_info) -> None:
        events.listeners.remove(self)
        with self._lock:
            self.finished = time.monotonic()
            if self.traced_calls is not None:  # the standard library's calls: read, and remove the file
                self.tasks.extend(self.traced_calls.close())

    # -- showing ----------------------------------------------------------------------------

    def table(self) -> str:
        """The task records as a plain text table, in the order tasks started."""
        origin = self.started or 0.0
        lines = [f"{'task':>6} {'worker':>6} {'pid':>7} {'function':<16} {'start ms':>9} {'run ms':>8}  status"]
        for r in sorted(self.tasks, key=lambda r: (r.started is None, r.started or 0.0, r.id)):
            start = "" if r.started is None else f"{(r.started - origin) * 1e3:9.1f}"
            run = "" if r.duration is None else f"{r.duration * 1e3:8.1f}"
            worker = "" if r.worker is None else r.worker
            lines.append(
                f"{r.id:>6} {worker:>6} {r.pid or '':>7} {r.function[:16]:<16} {start:>9} {run:>8}  {r.status}"
            )
        return "\n".join(lines)

    # The pictures are views/' work; imported when used: most traces are never drawn.

    def plot(self, ax: Any = None, **options: Any) -> Any:
        """The worker timeline drawn with matplotlib: `t.plot(color_by="function")` (views/plot.py)."""
        from ..views.plot import plot

        return plot(self, ax, **options)

    def timeline(self, **options: Any) -> Any:
        """The worker timeline as a widget, to explore in a notebook (views/widgets/timeline.py)."""
        from ..views.widgets.timeline import TimelineView

        return TimelineView(self, **options)

    def summary(self, slowest: int = 5) -> Any:
        """Per worker its start-up, busy, idle and waiting time and task count, the `slowest`
        longest tasks with their arguments, what the gaps mean: a table to print or show (views/summary.py)."""
        from ..views.summary import summary

        return summary(self, slowest)

    def to_perfetto(self, path: str | os.PathLike) -> str:
        """Write the trace to `path` as JSON for ui.perfetto.dev; return the path (views/perfetto.py)."""
        from ..views.perfetto import to_perfetto

        return to_perfetto(self, path)

    def __repr__(self) -> str:
        return f"<Trace: {len(self.tasks)} tasks, {len(self.workers)} worker exits>"


def trace() -> Trace:
    """Start recording: `with minimp.trace() as t:` ... `t.tasks`."""
    return Trace()


def active() -> tuple[Trace, ...]:
    """The traces recording now, the innermost last."""
    return tuple(listener for listener in events.listeners if isinstance(listener, Trace))
