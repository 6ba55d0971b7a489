"""Gaps that explain themselves: the patterns of a timeline, found and put in words.

A learner looking at a timeline sees an empty stretch in a lane, or one lane
still busy when the others are done, and has to know what it means. `explain`
looks for four patterns a course teaches, and says each in one line (written
on the picture) and a longer one (shown on hover, and in the summary):

    idle       worker 1 idle 0.40 s while 4 tasks waited for worker 0
               (they were in worker 0's chunk: smaller chunks share them out)
    tail       worker 0 alone for the last 0.40 s: task 7 held the end
               (the others had nothing left: submit the long tasks first)
    crowded    3 workers busy at once on 2 CPUs
               (they took turns on the CPUs, and each task ran slower)
    stuck?     task 5 has run for 12 s, 40 times the median task
               (chapter 7: a task that never ends holds its worker)

Each is found from the layout's bars alone (layout.py), so a trace of the
standard library's pools is explained as well; `cpus` is what the machine
that ran could use (`minimp.cpu_count()` when it is this one). A pattern is
named only when it is big enough to see: at least `NOTICE` of the run.

Read next: `views/summary.py`, the same run as a table.
"""

from __future__ import annotations

from statistics import median
from typing import NamedTuple

from . import layout as timeline
from .layout import RUNS, by_lane

__all__ = ["Gap", "explain", "framed", "NOTICE"]

NOTICE = 0.15  # a stretch shorter than this share of the run is not worth a note
STUCK_AFTER = 1.0  # seconds: a running task is "stuck?" only past this ...
STUCK_TIMES = 10  # ... and this many times the median task of the run
BUSY = ("start-up", "sending", "returning")  # not a task, but not idle either


class Gap(NamedTuple):
    kind: str  # "idle", "tail", "crowded" or "stuck?"
    lane: int | None  # the lane it is in (None: the whole picture)
    start: float  # seconds since the trace began
    end: float
    line: str  # what the picture says
    why: str  # what it means, and what to do: on hover, and in the summary


def explain(view: timeline.Layout, cpus: int | None = None) -> list[Gap]:
    """The patterns of `view` worth a note, in time order."""
    runs = [bar for bar in view.bars if bar.kind in RUNS and bar.kind != "cancelled"]
    workers = [number for number, lane in enumerate(view.lanes) if lane.worker is not None]
    if not runs or view.summary.wall <= 0:
        return []
    least = NOTICE * view.summary.wall
    gaps = _idle(view, runs, workers, least) + _tail(view, runs, workers, least)
    gaps += _crowded(runs, cpus, least, len(workers)) + _stuck(runs, view)
    return sorted(gaps, key=lambda gap: gap.start)


def framed(gap: Gap, lanes: int) -> tuple[int | None, int]:
    """Where a picture frames `gap`, and the lane its number goes in, where no bar is (svg.py and
    plot.py both ask): an idle or stuck worker's own lane, for both; a tail across every lane
    (None), numbered in a lane that was done; a crowd across every lane, numbered under them (`lanes`)."""
    if gap.kind == "crowded":
        return None, lanes
    if gap.kind == "tail":
        return None, 1 if gap.lane == 0 else 0
    return gap.lane, gap.lane


def _name(view: timeline.Layout, lane: int) -> str:
    return view.lanes[lane].label.split(" · ")[0]  # "worker 0"


def _free(runs: list[timeline.Bar], since: float, until: float) -> list[tuple[float, float]]:
    """The stretches between `since` and `until` that none of `runs` (one lane's) covers."""
    stretches, reach = [], since
    for bar in sorted(runs, key=lambda b: b.start):
        if bar.start > reach:
            stretches.append((reach, min(bar.start, until)))
        reach = max(reach, bar.end)
    if reach < until:
        stretches.append((reach, until))
    return [(start, end) for start, end in stretches if end > start]


def _idle(view, runs, workers, least) -> list[Gap]:
    """A worker with nothing to do while tasks waited for another one (in its chunk, or sent ahead)."""
    busy = by_lane(runs + [bar for bar in view.bars if bar.kind in BUSY])  # starting, or its job travelling
    waits = [bar for bar in view.bars if bar.kind == "wait"]
    first, last = min(bar.start for bar in runs), max(bar.end for bar in runs)
    gaps = []
    for lane in workers:
        for start, end in _free(busy.get(lane, []), first, last):
            if end - start < least:  # (first: a map of tiny tasks has a stretch between every two)
                continue
            waiting = [w for w in waits if w.lane != lane and min(w.end, end) - max(w.start, start) >= least / 2
                       and _given(view, w.task, end - least / 2)]
            if not waiting:
                continue
            others = " and ".join(sorted({_name(view, w.lane) for w in waiting}))
            tasks = f"{len(waiting)} task{'s' if len(waiting) != 1 else ''}"
            gaps.append(Gap("idle", lane, start, end,
                            f"{_name(view, lane)} idle {end - start:.2f} s while {tasks} waited for {others}",
                            f"Those tasks were already given to {others} (in its chunk, or sent ahead to wait in its "
                            f"pipe), so {_name(view, lane)} had none to take. Smaller chunks (chunksize) share the "
                            f"work out as it goes."))  # fmt: skip
    return gaps


def _given(view, task: int | None, by: float) -> bool:
    """Was the task already given to its worker (its job sent) by then? A task still in the pool's
    queue did not wait for a worker but for the pool (busy reading a big result, say). Without the
    moment (the standard library's traced records), a wait counts."""
    record = view.tasks.get(task)
    return record is None or record.sent is None or record.sent - view.origin <= by


def _tail(view, runs, workers, least) -> list[Gap]:
    """At the end, one worker still running, every other one done, and no task waiting (else: idle)."""
    ends = {lane: max((bar.end for bar in runs if bar.lane == lane), default=0.0) for lane in workers}
    if len(ends) < 2:
        return []
    last, *others = sorted(ends, key=ends.get, reverse=True)
    since, end = max(ends[lane] for lane in others), ends[last]
    waited = any(min(w.end, end) - max(w.start, since) >= least / 2 for w in view.bars if w.kind == "wait")
    if end - since < least or waited:
        return []
    task = max((bar for bar in runs if bar.lane == last), key=lambda bar: bar.end)
    held = f"task {task.task} ({task.group})" if task.task is not None else f"a chunk of {task.group}"
    return [Gap("tail", last, since, end, f"{_name(view, last)} alone for the last {end - since:.2f} s: {held} held the end",
                "The other workers had nothing left to do. A call ends with its slowest task: give the long "
                "tasks first (or split them), so that the short ones fill the others' time.")]  # fmt: skip


def _crowded(runs, cpus, least, workers) -> list[Gap]:
    """More tasks running at once than the machine has CPUs to run them."""
    if not cpus or workers <= cpus:  # (no more run at once than there are workers)
        return []
    busy, most, since, over, first, last = 0, 0, 0.0, 0.0, None, 0.0
    for moment, step in sorted([(bar.start, 1) for bar in runs] + [(bar.end, -1) for bar in runs]):
        if busy > cpus:  # from `since` until now, too many at once
            over, last = over + moment - since, moment
            first = since if first is None else first
        busy, since = busy + step, moment
        most = max(most, busy)
    if over < least:
        return []
    return [Gap("crowded", None, first, last, f"{most} workers busy at once on {cpus} CPUs",
                f"More tasks ran at once than the {cpus} CPUs this process may use (minimp.cpu_count()): they "
                "took turns, so each ran slower than it would alone. More workers than CPUs do not make "
                "CPU-bound work faster.")]  # fmt: skip


def _stuck(runs, view) -> list[Gap]:
    """A task still running far longer than the run's tasks usually take."""
    ended = [bar.end - bar.start for bar in runs if bar.kind != "running" and bar.count == 1]
    if not ended:  # nothing to compare with: a long task is not a stuck one
        return []
    usual, gaps = median(ended), []
    for bar in runs:
        took = bar.end - bar.start
        if bar.kind == "running" and took >= STUCK_AFTER and took >= STUCK_TIMES * usual:
            gaps.append(Gap("stuck?", bar.lane, bar.start, bar.end,
                            f"task {bar.task} has run for {took:.1f} s, {took / max(usual, 1e-9):.0f} times the "
                            f"median task: stuck?",
                            "A task that never ends holds its worker for ever (chapter 7): get(timeout=...) or "
                            "result(timeout=...) says so in time, and terminate() ends it."))  # fmt: skip
    return gaps
