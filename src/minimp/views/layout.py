"""Where each bar of a worker timeline goes, and the figures in its header.

A timeline has one lane per worker and one bar per task, from the moment a
worker began it to the moment it ended:

    worker 0 · pid 4242  [start-up]  [task 1][task 3]     [task 5]
    worker 1 · pid 4243  [start-up]    [task 2   ][task 4]      ✕ crashed
                         0 s ─────────────────────────────────────▶

Before its bar, a task waits from submit to start (a thin "wait" line
under the bar), or until its job began to travel to its worker, where a
trace knows it: its job's arguments and results travel in thin bars of
their own (segments.py); a worker's start-up (the fork or spawn,
then its initializer) is a bar too; a gap between bars is a worker with
nothing to do. This module only computes seconds and lanes, from a trace's
records: the picture (plot.py) and the widget (widgets/timeline.py) draw
what it computes, and the header's sums are tested without drawing:

- **busy** — the share of the workers' time spent running tasks;
- **parallelism** — the sum of task times divided by the wall time: how
  many workers were running at once, on average. Two workers, both always
  busy, give 2.0; the speedup a pool can give is at most this.

Times come from `time.monotonic()`, one clock for every process of a machine.
The readings of two processes can still disagree by a few microseconds (a
task seems to start before it was submitted): the layout clamps such small
inversions instead of drawing negative bars.

Read next: `views/segments.py`, where a task's time went: its job's travels.
"""

from __future__ import annotations

from typing import NamedTuple

from ..tracing import RunningJob, Snapshot, TaskRecord, Trace, WorkerRecord
from .segments import segments

__all__ = ["COLOURS", "colour", "Bar", "Lane", "Summary", "Layout", "layout", "merge", "until", "window", "overlaps", "ticks",
           "by_lane", "covered"]

RUNS = ("ok", "error", "crashed", "cancelled", "running")  # kinds of bar that are a task running

# What each kind of bar looks like, in every view. The colours are Okabe and
# Ito's, chosen to stay apart for readers with any common colour blindness;
# failures are also marked by shape (an outline, a cross), not by colour alone.
COLOURS = {
    "ok": "#0072B2",  # blue
    "running": "#56B4E9",  # sky blue
    "error": "#D55E00",  # vermillion
    "crashed": "#000000",  # black, with a cross at its end
    "cancelled": "#999999",  # grey
    "start-up": "#F0E442",  # yellow
    "wait": "#AAAAAA",  # a thin grey line under the bars
    "sending": "#CC79A7",  # reddish purple, thinner than a task: a job's arguments travelling (segments.py)
    "returning": "#009E73",  # bluish green, as thin: its results travelling back
}
GROUP_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"]
LABELS = {"ok": "ok", "running": "running", "error": "error", "crashed": "crashed (worker died)",
          "cancelled": "cancelled", "start-up": "worker start-up", "wait": "waiting in the queue",
          "sending": "sending the arguments", "returning": "returning the results"}  # fmt: skip


def colour(bar: Bar, by: str, groups: dict[str, int]) -> str:
    """A bar's fill: by its status ("status"), or by the function it ran ("function")."""
    if by == "function" and bar.kind in RUNS and bar.kind != "cancelled":
        number = groups.setdefault(bar.group, len(groups))
        return GROUP_COLOURS[number % len(GROUP_COLOURS)]
    return COLOURS[bar.kind]


class Bar(NamedTuple):
    """One rectangle: `lane` is its row, `start`/`end` are seconds since the trace began."""

    lane: int
    start: float
    end: float
    kind: str  # "ok", "error", "crashed", "cancelled", "running", "wait", "start-up", "sending" or "returning"
    task: int | None  # the task's id; None for a start-up, or bars merged by merge()
    group: str  # the function's name, to colour bars by what they ran
    count: int = 1  # how many tasks this bar stands for (a running chunk, merged bars)


class Lane(NamedTuple):
    worker: int | None  # a pool's worker index; None: tasks that never reached a worker
    label: str  # "worker 0 · pid 4242"
    pids: tuple[int, ...]  # a crashed worker's replacement shares its lane: several pids


class Summary(NamedTuple):
    done: int  # tasks that ended, whatever their status
    total: int  # ended + running + queued
    failed: int  # ended with "error" or "crashed"
    wall: float  # seconds from the first submit (or start) to the last end
    busy: float  # 0..1: time the workers spent running tasks / (workers x wall)
    parallelism: float  # sum of task times / wall

    def header(self) -> str:
        """The line above a timeline: `12/20 tasks · 0.81 s · busy 87 % · parallelism 1.7`."""
        failed = f" ({self.failed} failed)" if self.failed else ""
        return (
            f"{self.done}/{self.total} tasks{failed} · {self.wall:.3g} s · "
            f"busy {self.busy * 100:.0f} % · parallelism {self.parallelism:.2f}"
        )


class Layout(NamedTuple):
    lanes: list[Lane]
    bars: list[Bar]  # start-ups, then waits, then tasks (drawn in that order)
    summary: Summary
    origin: float  # the time.monotonic() reading that is 0 s on the axis
    end: float  # seconds: where the axis ends
    tasks: dict[int, TaskRecord]  # by id: what a view shows about a selected task


def layout(source: Trace | Snapshot) -> Layout:
    """The timeline of a trace, as it is now (a running pool: as far as it got)."""
    snap = source.snapshot() if isinstance(source, Trace) else source
    origin = snap.started if snap.started is not None else _earliest(snap)
    lanes = _lanes(snap.tasks, snap.workers, snap.running)
    row = {lane.worker: number for number, lane in enumerate(lanes)}

    def bar(lane, start, end, kind, task, group, count=1):  # seconds since `origin`, never before 0
        return Bar(lane, max(0.0, start - origin), max(start, end) - origin, kind, task, group, count)

    startups = [bar(row[w.index], w.started, _ready(w, snap.now), "start-up", None, "") for w in snap.workers]
    travels = segments(snap.tasks, row, origin, Bar)
    sending = {travel.task: origin + travel.start for travel in travels if travel.kind == "sending"}
    waits, runs = [], []
    for task in snap.tasks:
        if task.started is None:
            continue
        waited = min(task.started, sending.get(task.id, task.started))  # travelling, it waits no more
        if task.submitted is not None and waited > task.submitted:
            waits.append(bar(row[task.worker], task.submitted, waited, "wait", task.id, task.function))
        runs.append(bar(row[task.worker], task.started, task.finished, task.status, task.id, task.function))
    runs += [bar(row[job.worker], job.since, snap.now, "running", job.task or job.first_task, job.function,
                 job.size) for job in snap.running]  # fmt: skip
    runs += _unstarted_bars(snap.tasks, row, runs + startups, origin)
    bars = [bar for bar in startups + waits + travels + runs if bar.end >= 0.0]
    end = max((bar.end for bar in bars), default=0.0)
    summary = _summary(snap, bars, sum(lane.worker is not None for lane in lanes))
    return Layout(lanes, bars, summary, origin, end, {task.id: task for task in snap.tasks})


def _earliest(snap: Snapshot) -> float:
    times = [t.submitted if t.submitted is not None else t.started or t.finished for t in snap.tasks]
    times += [w.started for w in snap.workers] + [job.since for job in snap.running]
    return min(times, default=snap.now)


def _lanes(tasks: list[TaskRecord], workers: list[WorkerRecord], running: list[RunningJob]) -> list[Lane]:
    """A lane per worker index, labelled with the pids that had it, in order."""
    pids: dict[int | None, list[int]] = {}
    events = [(w.started, w.index, w.pid) for w in workers]
    events += [(t.started or t.finished, t.worker, t.pid) for t in tasks]
    events += [(job.since, job.worker, job.pid) for job in running]
    for _, worker, pid in sorted(events, key=lambda e: e[0]):
        seen = pids.setdefault(worker, [])
        if pid is not None and pid not in seen:
            seen.append(pid)
    lanes = []
    for worker in sorted(pids, key=lambda w: (w is None, w or 0)):
        ids = pids[worker]
        named = f" · pid {ids[0]}" if len(ids) == 1 else f" · pids {', '.join(map(str, ids))}" if ids else ""
        lanes.append(Lane(worker, "never ran" if worker is None else f"worker {worker}{named}", tuple(ids)))
    return lanes


def _ready(worker: WorkerRecord, now: float) -> float:
    """When a worker's start-up ended: its initializer done, or its death, or (starting still) now."""
    return worker.ready if worker.ready is not None else worker.exited if worker.exited is not None else now


def _unstarted_bars(tasks: list[TaskRecord], row: dict, drawn: list[Bar], origin: float) -> list[Bar]:
    """Tasks with no start time: a crash (the worker died before it could say
    when the task began) runs from the end of the lane's previous bar; a task
    cancelled before it ran is a zero-width mark at the moment it ended."""
    ends: dict[int, list[float]] = {}
    for bar in drawn:
        ends.setdefault(bar.lane, []).append(bar.end)
    bars = []
    for task in tasks:
        if task.started is not None:
            continue
        lane, finished = row[task.worker], task.finished - origin
        start = finished
        if task.worker is not None and task.status == "crashed":
            start = max((end for end in ends.get(lane, ()) if end <= finished), default=finished)
        bars.append(Bar(lane, max(0.0, start), finished, task.status, task.id, task.function))
    return bars


def _summary(snap: Snapshot, bars: list[Bar], workers: int) -> Summary:
    done = len(snap.tasks)
    failed = sum(task.status in ("error", "crashed") for task in snap.tasks)
    total = done + sum(job.size for job in snap.running) + snap.queued
    return _figures(bars, done, total, failed, workers)


def _figures(bars: list[Bar], done: int, total: int, failed: int, workers: int) -> Summary:
    """The header's figures; `bars` are a layout's (seconds since the trace began)."""
    runs = [bar for bar in bars if bar.kind in RUNS]
    if not runs:
        return Summary(done, total, failed, 0.0, 0.0, 0.0)
    first = min(bar.start for bar in bars if bar.kind in RUNS or bar.kind == "wait")
    wall = max(bar.end for bar in runs) - first
    if wall <= 0:  # one task that took no measurable time
        return Summary(done, total, failed, 0.0, 0.0, 0.0)
    ran = sum(bar.end - bar.start for bar in runs)
    busy = sum(covered(lane) for lane in by_lane(runs).values()) / (max(1, workers) * wall)
    return Summary(done, total, failed, wall, min(1.0, busy), ran / wall)


def by_lane(bars: list[Bar]) -> dict[int, list[Bar]]:
    lanes: dict[int, list[Bar]] = {}
    for bar in bars:
        lanes.setdefault(bar.lane, []).append(bar)
    return lanes


def covered(bars: list[Bar]) -> float:
    """Seconds covered by at least one of `bars` (overlaps count once)."""
    covered, reach = 0.0, float("-inf")
    for bar in sorted(bars, key=lambda b: b.start):
        if bar.end > reach:
            covered += bar.end - max(bar.start, reach)
            reach = bar.end
    return covered


def overlaps(bars: list[Bar]) -> dict[int, float]:
    """Seconds in each lane where two task bars overlap. One worker runs one
    task at a time, so anything above a few microseconds means two pools
    shared a trace, or their worker indexes collided."""
    result = {}
    for lane, runs in by_lane([bar for bar in bars if bar.kind in RUNS]).items():
        result[lane] = sum(bar.end - bar.start for bar in runs) - covered(runs)
    return result


def until(view: Layout, moment: float) -> Layout:
    """The timeline as it was `moment` seconds in: a replay. Bars not yet
    begun vanish, and a task that had begun is still running."""
    bars = [
        bar if bar.end <= moment else bar._replace(end=moment, kind="running" if bar.kind in RUNS else bar.kind)
        for bar in view.bars
        if bar.start <= moment
    ]
    ended = [bar for bar in bars if bar.kind in RUNS and bar.kind != "running"]
    failed = sum(bar.kind in ("error", "crashed") for bar in ended)
    workers = sum(lane.worker is not None for lane in view.lanes)
    return view._replace(bars=bars, summary=_figures(bars, len(ended), view.summary.total, failed, workers))


def window(bars: list[Bar], start: float, end: float) -> list[Bar]:
    """The bars that show between `start` and `end` seconds (a zoom), cut to it."""
    inside = [bar for bar in bars if bar.end >= start and bar.start <= end]
    return [bar if start <= bar.start and bar.end <= end else bar._replace(start=max(bar.start, start),
            end=min(bar.end, end)) for bar in inside]  # fmt: skip


def merge(bars: list[Bar], resolution: float, keep: int | None = None) -> list[Bar]:
    """Join a bar narrower than a few pixels to the one before it in its lane
    (same kind and function), if they lie closer than `resolution` seconds
    (about a pixel): 10,000 tasks become at most a few hundred rectangles per
    lane, which draw fast and look the same. Wide bars stay apart, but for
    the wait lines, which overlap; the bar of task `keep` (a selected one)
    stays on its own."""
    merged: list[list] = []  # Bars as lists while they grow: [lane, start, end, kind, task, group, count]
    last: dict[tuple, list] = {}  # (lane, kind, group) -> its latest bar in merged
    for bar in sorted(bars, key=lambda b: b.start):
        key = (bar.lane, bar.kind, bar.group)
        joined = last.get(key)
        narrow = bar.end - bar.start < 3 * resolution or bar.kind == "wait"  # waits overlap: one line is enough
        near = joined is not None and narrow and bar.start - joined[2] <= resolution
        if near and (keep is None or keep not in (bar.task, joined[4])):
            joined[2], joined[4], joined[6] = max(joined[2], bar.end), None, joined[6] + bar.count
        else:
            last[key] = list(bar)
            merged.append(last[key])
    return [Bar(*bar) for bar in merged]


def ticks(start: float, end: float, most: int = 8) -> list[float]:
    """Round numbers for an axis from `start` to `end` (steps of 1, 2 or 5 x 10^n)."""
    span = end - start
    if span <= 0:
        return [start]
    step = 10 ** _floor_log10(span / most)
    for factor in (1, 2, 5, 10):
        if span / (step * factor) <= most:
            step *= factor
            break
    first = -(-start // step) * step
    count = int((end - first) / step + 1e-9) + 1
    return [round(first + i * step, 12) for i in range(count)]


def _floor_log10(value: float) -> int:
    exponent = 0
    while value >= 10:
        value, exponent = value / 10, exponent + 1
    while value < 1:
        value, exponent = value * 10, exponent - 1
    return exponent
