"""Traces: which worker ran each task, when, and how it ended.

    with minimp.trace() as t:
        with minimp.Pool(2) as pool:
            pool.map(square, range(10))
    t.tasks      # one TaskRecord per task
    t.workers    # one WorkerRecord per worker that exited

Every pool and executor records into the traces that are active when a
call is made; with no trace active, it records nothing (the worker takes
the two clock readings of every task anyway: that costs a fraction of a
microsecond). Times come from `time.monotonic()`, one clock shared by every
process of the machine, so a parent's and a worker's times compare.

The standard library's pools record too, through a wrapper:

    with minimp.trace() as t:
        with multiprocessing.Pool(2) as pool:
            pool.map(minimp.traced(square), range(10))

`traced(square)` is a picklable callable that runs `square` and appends
one line (JSON) per call to a file private to the trace, read back when the
`with` block ends. Those records have no submit time and no task id of the
pool's own (the standard library has none); their ids are numbered in the
order the tasks started.

This module is named tracing.py, not trace.py, because `minimp.trace` is
the function above.

A trace can be read while pools run: `snapshot()` adds what workers run
now and what waits, for the live timeline.

Read next: layout.py, which turns a trace into a timeline's bars.
"""

from __future__ import annotations

import collections
import json
import os
import reprlib
import shutil
import tempfile
import threading
import time
import traceback
import weakref

from typing import NamedTuple

from ..pools import events

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

__all__ = ["Trace", "TaskRecord", "WorkerRecord", "RunningJob", "Snapshot", "JobEntry", "trace", "traced", "active"]


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


class RunningJob(NamedTuple):
    """A job a worker runs now: tasks first_task ... first_task + size - 1."""

    worker: int
    pid: int | None
    function: str
    first_task: int
    size: int
    since: float  # when the worker began it (or was sent it, if idle)
    task: int | None  # the task it runs now, if known (traced jobs say; worker.py)


class Snapshot(NamedTuple):
    """A trace as it is at `now`: what ended, what runs, what waits (for live views)."""

    tasks: list[TaskRecord]
    workers: list[WorkerRecord]  # those that exited, then those alive (exited None)
    running: list[RunningJob]
    queued: int  # tasks waiting for a worker
    started: float | None  # when the trace began
    now: float


class JobEntry(NamedTuple):
    """What a pool keeps about one finished job (pool.py); `task_records()`
    turns it into TaskRecords when the trace is read, not while tasks run."""

    call: int
    function: str
    first_task: int
    start: int
    arguments: list | None  # each task's arguments (a trace keeps them, for their repr)
    star: bool  # arguments are args tuples (False: map's single arguments)
    skip: frozenset  # positions this entry is not about
    failures: dict  # position -> exception
    status: str  # what a failure is called: "error", "crashed", "cancelled"
    submitted: float
    times: list | None  # from the worker: task i ran from times[i] to times[i + 1]
    ended: float  # when the pool learnt the outcome
    worker: int | None
    pid: int | None
    args_size: int
    result_size: int

    def task_records(self) -> list[TaskRecord]:
        records = []
        for position in range(len(self.arguments) if self.arguments is not None else 0):
            if position in self.skip:
                continue
            error = self.failures.get(position)
            if self.times:  # task i ran from times[i] to times[i + 1]
                started, finished = self.times[position], self.times[position + 1]
            else:
                started, finished = None, self.ended
            args = self.arguments[position]
            records.append(
                TaskRecord(
                    id=self.first_task + position, call=self.call, index=self.start + position,
                    function=self.function, args=reprlib.repr(args if self.star else (args,)),
                    submitted=self.submitted, started=started, finished=finished,
                    worker=self.worker, pid=self.pid, status="ok" if error is None else self.status,
                    error=None if error is None else f"{type(error).__name__}: {error}",
                    args_size=self.args_size, result_size=self.result_size,
                )
            )  # fmt: skip
        return records


class Trace:
    """The records of every task run by pools while it is active (see `trace()`)."""

    def __init__(self) -> None:
        self._tasks: list[TaskRecord] = []
        self._entries: collections.deque[JobEntry] = collections.deque()  # not yet made into records
        self.workers: list[WorkerRecord] = []
        self.started: float | None = None
        self.finished: float | None = None
        self._folder: str | None = None  # for traced() calls in the standard library's pools
        self._traced_calls: list[dict] = []  # read so far from that folder's file
        self._traced_read = 0  # bytes of the file read so far
        self._recorded = 0  # tasks recorded by minimp's pools: a live view's measure of its work
        self._pools: weakref.WeakSet = weakref.WeakSet()  # pools that ran our calls (pool.py)
        self._lock = threading.RLock()  # snapshot() may run in a live view's thread

    @property
    def tasks(self) -> list[TaskRecord]:
        """One TaskRecord per task that has ended, in the order they ended."""
        with self._lock:  # a pool's thread may append meanwhile: popleft is safe
            while self._entries:
                self._tasks.extend(self._entries.popleft().task_records())
        return self._tasks

    def _add(self, entry: JobEntry) -> None:
        self._entries.append(entry)
        self._recorded += len(entry.arguments) - len(entry.skip) if entry.arguments else 0

    def record(self, event: Any) -> None:
        """Called by pools (pools/events.py) as things happen."""
        if isinstance(event, events.JobEnded):
            self._add(JobEntry(*event[1:]))
        elif isinstance(event, events.WorkerExited):
            self.workers.append(WorkerRecord(*event))

    def snapshot(self) -> Snapshot:
        """What has ended, what runs and what waits, now: a live view draws this.

        Tasks of the standard library's pools (traced()) appear as their calls
        end; minimp's pools also tell which jobs their workers run."""
        with self._lock:
            now = time.monotonic()
            running, alive, queued = [], [], 0
            tasks = list(self.tasks)
            if self._folder is not None:
                self._read_new_traced()
                tasks += _traced_records(self._traced_calls)
            return Snapshot(tasks, list(self.workers) + alive, running, queued, self.started, now)

    def _read_new_traced(self) -> None:
        """Read the lines traced() calls appended since the last time; a line
        is written by one write(2), but we may see one half-written: wait for it."""
        try:
            with open(os.path.join(self._folder, "tasks.jsonl"), "rb") as lines:
                lines.seek(self._traced_read)
                text = lines.read()
        except FileNotFoundError:
            return
        complete = text[: text.rfind(b"\n") + 1]
        self._traced_read += len(complete)
        self._traced_calls += [json.loads(line) for line in complete.splitlines()]

    def __enter__(self) -> Trace:
        self.started = time.monotonic()
        _active.append(self)
        events.listeners.append(self)
        return self

    def __exit__(self, *exc_info) -> None:
        _active.remove(self)
        events.listeners.remove(self)
        self.finished = time.monotonic()
        with self._lock:
            if self._folder is not None:
                self._read_new_traced()
                self.tasks.extend(_traced_records(self._traced_calls))
                shutil.rmtree(self._folder, ignore_errors=True)
                self._folder = None

    def _records_file(self) -> str:
        if self._folder is None:
            self._folder = tempfile.mkdtemp(prefix="minimp-trace-")  # mode 0700: yours alone
        return os.path.join(self._folder, "tasks.jsonl")

    def plot(self, ax: Any = None, **options: Any) -> Any:
        """Draw the worker timeline with matplotlib and return the axes (plot.py):
        `ax = t.plot()`, `t.plot(color_by="function", window=(0, 0.5))`."""
        from ..views.plot import plot

        return plot(self, ax, **options)

    def timeline(self, **options: Any) -> Any:
        """The worker timeline as a widget, to explore in a notebook (widgets/timeline.py)."""
        from ..views.widgets.timeline import TimelineView

        return TimelineView(self, **options)

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

    def to_perfetto(self, path: str | os.PathLike) -> str:
        """Write the trace to the file `path` as Chrome Trace Event JSON, one track
        per worker and one bar per task, and return the path: open it at
        ui.perfetto.dev or chrome://tracing. (perfetto.py explains the format.)"""
        from ..views import perfetto  # imported when used: most traces are never exported

        return perfetto.to_perfetto(self, path)

    def __repr__(self) -> str:
        return f"<Trace: {len(self.tasks)} tasks, {len(self.workers)} worker exits>"


_active: list[Trace] = []


def trace() -> Trace:
    """Start recording: `with minimp.trace() as t:` ... `t.tasks`."""
    return Trace()


def active() -> tuple[Trace, ...]:
    """The traces recording now (pool.py reads this for each call)."""
    return tuple(_active)


# -- the standard library's pools ------------------------------------------------------


def traced(function: Callable) -> _Traced:
    """`function`, wrapped to record each call into the active trace, in whichever
    process runs it: pass it to `multiprocessing.Pool` or `ProcessPoolExecutor`."""
    if not callable(function):
        raise TypeError(f"traced() needs a callable, not {type(function).__name__}")
    if not _active:
        raise RuntimeError("traced() records into the active trace: call it inside `with minimp.trace():`")
    return _Traced(function, _active[-1]._records_file())


class _Traced:
    """A callable that runs a function and appends a JSON line about the call to a file."""

    def __init__(self, function: Callable, path: str):
        self.function, self.path = function, path
        self.__name__ = getattr(function, "__name__", "traced")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        status, error = "ok", None
        try:
            return self.function(*args, **kwargs)
        except BaseException as exc:
            status, error = "error", "".join(traceback.format_exception_only(type(exc), exc)).strip()
            raise
        finally:
            line = json.dumps({
                "function": getattr(self.function, "__qualname__", repr(self.function)),
                "args": reprlib.repr(args), "pid": os.getpid(), "thread": threading.get_ident(), "started": started,
                "finished": time.monotonic(), "status": status, "error": error,
            })  # fmt: skip
            # One write(2) in append mode: lines of several processes never mix.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line + "\n").encode())
            finally:
                os.close(fd)


def _traced_records(calls: list[dict]) -> list[TaskRecord]:
    """TaskRecords of traced() calls: ids in the order they started, and a
    lane (worker) per process, or per thread for a pool of threads."""
    lanes: dict[tuple, int] = {}  # (pid, thread) -> lane, in the order they first started a task
    return [
        TaskRecord(
            id=number, call=0, index=number - 1, function=c["function"], args=c["args"],
            submitted=None, started=c["started"], finished=c["finished"],
            worker=lanes.setdefault((c["pid"], c.get("thread")), len(lanes)), pid=c["pid"],
            status=c["status"], error=c["error"],
        )  # fmt: skip
        for number, c in enumerate(sorted(calls, key=lambda c: c["started"]), start=1)
    ]


trace.traced = traced  # type: ignore[attr-defined]  # minimp.trace.traced(fn) reads well too
