"""Export a trace for Perfetto: one track per worker, one bar per task.

    with minimp.trace() as t:
        with minimp.Pool(2) as pool:
            pool.map(square, range(10))
    t.to_perfetto("pool.json")   # open it at ui.perfetto.dev or chrome://tracing

The file is in the Chrome Trace Event format: the JSON that chrome://tracing
introduced, which the Perfetto UI (ui.perfetto.dev), Chrome DevTools'
Performance panel and speedscope open too. It is one object whose
"traceEvents" list holds small dicts, each with a phase "ph":

- "X", a complete event: a bar from "ts" lasting "dur" microseconds, with
  a "name", a category "cat" and "args", shown when you click the bar;
- "i", an instant event: a mark at "ts" ("s": "t" puts it on its track);
- "C", a counter: the value of "args" from "ts" on, drawn as a graph on a
  track of the process ("queued tasks": submitted, not yet begun);
- "M", a metadata event: names a process ("process_name") or a thread
  ("thread_name"), and orders the threads ("thread_sort_index").

Every event says which track it is on with a "pid" and a "tid". They are
keys of the picture, not the OS's ids: here a process is a pool and a
thread is a worker's lane (the worker's real pids are in the lane's name):

    minimp pool                       process_name            pid 1
      worker 0 (pid 4242)             thread_name             tid 1
        [start-up][square][square]    X events
      worker 1 (pids 4243, 4250)      its first worker crashed and was replaced
        [start-up][square] ! exited: killed by SIGKILL [start-up][square]
      not run                         tasks that never reached a worker
        ! square                      i events
    standard library pool (traced())  tasks recorded by traced()  pid 2

Times are microseconds since the trace began (or since its earliest record,
if a pool made before the trace started its workers earlier); a task's
bar cannot be shorter than zero, even if two processes' clock readings are
a few microseconds apart.

Limits: the records do not say which pool a worker belonged to, so two
minimp pools in one trace share lanes 0, 1, ...; a trace exported inside
its `with` block has only what has ended so far (a Snapshot works too, and
adds the live workers). A worker's exit is marked only if it was not
SIGTERM, which is how every pool stops its workers when it closes.

A task's own spans, noted with `minimp.mark(name)` (pools/marks.py), are
"X" events on its worker's track, within the task's: Perfetto draws them
nested under it. The "Trace Event Format" document that Perfetto's docs
link to describes the phases not used here (flows, async events).

This module ends the reading route: back to the chapters.
"""

from __future__ import annotations

import json
import os
import signal

from ..runtime.process import exit_meaning

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..tracing import Snapshot, TaskRecord, Trace

__all__ = ["trace_events", "to_perfetto"]

MINIMP, STDLIB = 1, 2  # the "pid" of each kind of pool in the file


def to_perfetto(trace: Trace | Snapshot, path: str | os.PathLike) -> str:
    """Write `trace` to the file `path` as Chrome Trace Event JSON; return the path."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"to_perfetto(path={path!r}): path must be a file name (str or os.PathLike), "
                        f"not {type(path).__name__}")  # fmt: skip
    if os.path.isdir(path):
        raise IsADirectoryError(f"to_perfetto(path={os.fspath(path)!r}): path is a directory; "
                                f"give a file name, e.g. {os.path.join(path, 'trace.json')!r}")  # fmt: skip
    with open(path, "w", encoding="utf-8") as file:
        json.dump(trace_events(trace), file)
    return os.fspath(path)


def trace_events(trace: Trace | Snapshot) -> dict:
    """The trace as a Chrome Trace Event dict: what to_perfetto() writes (print it)."""
    origin = _origin(trace)

    def at(time: float) -> float:  # microseconds since the origin
        return round((time - origin) * 1e6, 3)

    def lasting(seconds: float) -> float:  # processes' clock readings may disagree by a few µs
        return round(max(0.0, seconds) * 1e6, 3)

    lanes = _lanes(trace)
    not_run = 2 + max((worker for _, worker in lanes if worker is not None), default=-1)
    events = []
    for task in trace.tasks:
        if task.started is None:  # it never ran, or its worker died before saying when it began
            when = {"ph": "i", "s": "t", "ts": at(task.finished)}
        else:
            when = {"ph": "X", "ts": at(task.started), "dur": lasting(task.finished - task.started)}
        events.append({**when, "name": task.function, "cat": task.status,
                       "pid": _process(task), "tid": _tid(task.worker, not_run), "args": _about(task)})  # fmt: skip
    for worker in trace.workers:
        track = {"cat": "worker", "pid": MINIMP, "tid": worker.index + 1}
        up = worker.ready if worker.ready is not None else worker.exited  # never ready: until it died
        if up is not None:
            when = {"ph": "X", "ts": at(worker.started), "dur": lasting(up - worker.started)}
            name = "start-up" if worker.ready is not None else "start-up (never ready)"
            events.append({**when, "name": name, **track, "args": {"pid": worker.pid}})
        # 0 is a clean exit; SIGTERM is how a pool stops its workers (terminate(),
        # the end of a `with Pool()` block): neither is worth a mark.
        if worker.exited is not None and worker.exitcode not in (None, 0, -signal.SIGTERM):
            when = {"ph": "i", "s": "t", "ts": at(worker.exited)}
            events.append({**when, "name": f"exited: {exit_meaning(worker.exitcode)}", **track, "args": {"pid": worker.pid}})
    for mark in getattr(trace, "marks", ()):  # a Snapshot has none: they come with the jobs' ends
        events.append({"ph": "X", "ts": at(mark.start), "dur": lasting(mark.end - mark.start), "name": mark.name,
                       "cat": "mark", "pid": MINIMP, "tid": _tid(mark.worker, not_run), "args": {"pid": mark.pid}})
    events += [{"ph": "C", "ts": at(moment), "name": "queued tasks", "pid": MINIMP, "args": {"tasks": depth}}
               for moment, depth in _queue_depth(trace.tasks)]  # fmt: skip
    events.sort(key=lambda event: event["ts"])
    return {"traceEvents": _names(lanes, not_run) + events, "displayTimeUnit": "ms"}


def _queue_depth(tasks: list[TaskRecord]) -> list[tuple[float, int]]:
    """(moment, tasks submitted and not yet begun) at each change: the counter track. A task
    leaves the queue when it starts (or ends, if it never started); traced() records, which
    have no submit time, are not counted."""
    steps = sorted([(t.submitted, 1) for t in tasks if t.submitted is not None]
                   + [(t.started if t.started is not None else t.finished, -1) for t in tasks if t.submitted is not None])
    depth, series = 0, []
    for moment, step in steps:
        depth += step
        if series and series[-1][0] == moment:
            series[-1] = (moment, depth)  # several at one moment: one point
        else:
            series.append((moment, depth))
    return series


def _process(task: TaskRecord) -> int:
    return STDLIB if task.call == 0 else MINIMP  # traced() records have call 0; minimp's calls start at 1


def _about(task: TaskRecord) -> dict:
    """What the UI shows when you click a task."""
    about = {"task": task.id, "call": task.call, "args": task.args, "status": task.status}
    if task.error is not None:
        about["error"] = task.error
    if task.waited is not None:
        about["waited ms"] = round(max(0.0, task.waited) * 1e3, 3)
    return about


def _origin(trace: Trace | Snapshot) -> float:
    """The trace's start, or its earliest record if that came first."""
    times = [time for r in trace.tasks for time in (r.submitted, r.started, r.finished) if time is not None]
    times += [w.started for w in trace.workers]
    if trace.started is not None:
        times.append(trace.started)
    return min(times, default=0.0)


def _lanes(trace: Trace | Snapshot) -> dict[tuple[int, int | None], list[int]]:
    """(process, worker) -> the pids seen in that lane, earliest first: a lane
    has several when a crashed worker was replaced (pool.py)."""
    seen = [(w.started, MINIMP, w.index, w.pid) for w in trace.workers]
    seen += [(t.finished if t.started is None else t.started, _process(t), t.worker, t.pid) for t in trace.tasks]
    lanes: dict[tuple[int, int | None], list[int]] = {}
    for _, process, worker, pid in sorted(seen, key=lambda sighting: sighting[0]):
        pids = lanes.setdefault((process, worker), [])
        if pid is not None and pid not in pids:
            pids.append(pid)
    return lanes


def _names(lanes: dict[tuple[int, int | None], list[int]], not_run: int) -> list[dict]:
    """The "M" events: a name per process, a name and a place per track."""
    names = []
    for process, name in [(MINIMP, "minimp pool"), (STDLIB, "standard library pool (traced())")]:
        if any(p == process for p, _ in lanes):
            names.append({"ph": "M", "pid": process, "name": "process_name", "args": {"name": name}})
    for (process, worker), pids in sorted(lanes.items(), key=lambda lane: (lane[0][0], _tid(lane[0][1], not_run))):
        track = {"ph": "M", "pid": process, "tid": _tid(worker, not_run)}
        names.append({**track, "name": "thread_name", "args": {"name": _track_name(worker, pids)}})
        names.append({**track, "name": "thread_sort_index", "args": {"sort_index": track["tid"]}})
    return names


def _tid(worker: int | None, not_run: int) -> int:
    return not_run if worker is None else worker + 1  # tids from 1: some tools treat 0 as "no thread"


def _track_name(worker: int | None, pids: list[int]) -> str:
    if worker is None:
        return "not run"
    if len(pids) > 1:
        return f"worker {worker} (pids {', '.join(map(str, pids))})"
    return f"worker {worker}" + (f" (pid {pids[0]})" if pids else "")
