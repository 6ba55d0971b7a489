"""Predict, then run: a learner's guess, the measured run, and one picture of both.

A "predict, then run" exercise asks one question about parallel code
before it runs: which worker runs which task, where the chunks end, which
task fails and how, how long it all takes. The learner types the answer as
plain data, a dict, in a cell. The checker then runs the code itself, in a
pool of its own under `minimp.trace()`, and

1. checks the prediction's shape first, and says which key is wrong and
   what was expected (`check_keys`, `seconds`, `groups`);
2. compares it with the trace, by structure where timing decides nothing
   (which tasks shared a worker, or a chunk; which failed) and with a
   tolerance where it does (`near`: a noisy machine never gives 0.9 s
   exactly);
3. draws the prediction over the measured timeline (`draw`): your boxes,
   dashed and hatched, on the lanes of the workers that really ran; your
   total as a dashed line beside the measured end.

    prediction ──▶ check_keys / seconds / groups ──▶ a Verdict if malformed
    the checker's own code ──▶ trace() ──▶ lanes_of / chunks_of ──▶ compare
    trace + prediction ──▶ draw() ──▶ a Picture (a matplotlib Figure), shown below the cell

Which worker is "worker 0" depends on which one was free first, so
assignments are compared as groups (the tasks that shared a worker), never
by worker number. The checkers return the picture (a `Picture`, holding the
Figure), so that a cell ending with the check shows it below the verdict;
it is stored as a PNG, which GitHub and nbviewer show.

Limits: the times are sleeps, not computation, so that another program on
the machine cannot change the answer; the comparisons hold on any run of a
2-core machine, but a pause of a tenth of a second (a machine swapping)
can still make a right prediction look wrong.

Read next: the checkers that use it, at the end of ch05.py, ch06.py, ch07.py and ch08.py.
"""

from __future__ import annotations

import time
from typing import Any, Callable, NamedTuple

from ... import tracing
from ._base import TIMEOUT, Verdict, report, run_learner_code

TYPE_CHECKING = False
if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["Planned", "check_keys", "seconds", "groups", "near", "lanes_of", "chunks_of",
           "schedule", "differences", "warm_pool", "warm_executor", "run_scenario", "Picture", "draw", "measured_end"]  # fmt: skip

PREDICTED = "#E69F00"  # orange (Okabe and Ito): the learner's boxes and lines, apart from every run colour


# -- the prediction's shape -------------------------------------------------------------------


def check_keys(prediction: Any, keys: dict[str, str]) -> str | None:
    """What is wrong with the dict's keys (`keys`: each key and what it holds), or None."""
    if not isinstance(prediction, dict):
        shape = ", ".join(f"{key!r}: {what}" for key, what in keys.items())
        return f"pass the prediction as a dict, {{{shape}}}; you passed a {type(prediction).__name__}"
    missing = [key for key in keys if key not in prediction]
    unknown = [key for key in prediction if key not in keys]
    if unknown:
        return f"the prediction has the key {unknown[0]!r}, which this exercise does not ask for; its keys are " \
               + ", ".join(map(repr, keys))  # fmt: skip
    if missing:
        return f"the prediction needs the key {missing[0]!r}: {keys[missing[0]]}"
    return None


def seconds(value: Any, key: str) -> str | None:
    """What is wrong with `value` as a number of seconds (the prediction's `key`), or None."""
    if value is ...:
        return f"replace the ... of {key!r} with the number of seconds you expect, like 0.5"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{key!r} is a number of seconds, like 0.5; you gave {value!r} (a {type(value).__name__})"
    if value < 0:
        return f"{key!r} is a number of seconds, so not negative; you gave {value!r}"
    return None


def groups(value: Any, key: str, names: list) -> str | None:
    """What is wrong with `value` as a list of groups (lists) that hold each of `names` once, or None."""
    if value is ... or (isinstance(value, list) and any(group is ... for group in value)):
        return f"replace the ... of {key!r} with lists of tasks, each of {_names(names)} in one of them"
    if not isinstance(value, (list, tuple)) or not all(isinstance(group, (list, tuple)) for group in value):
        return f"{key!r} is a list of lists, like [{names[:2]!r}, {names[2:3]!r}]; you gave {value!r:.60}"
    seen: list = []
    for group in value:
        for name in group:
            if name not in names:
                return f"{key!r} names {name!r}, which is not one of the tasks ({_names(names)})"
            if name in seen:
                return f"{key!r} has {name!r} twice: each task runs once"
            seen.append(name)
    left = [name for name in names if name not in seen]
    if left:
        return f"{key!r} leaves out {_names(left)}: put each task in one of the lists"
    return None


def differences(wrong: list[str]) -> str:
    """A verdict's text for the ways a prediction differs from the run, one bullet each."""
    return "the run differs from your prediction:" + "".join(f"\n  • {line}." for line in wrong)


def _names(names: list) -> str:
    return ", ".join(map(str, names))


# -- comparing with the run -------------------------------------------------------------------


def near(predicted: float, measured: float) -> bool:
    """Close enough for a noisy machine: within a tenth of a second, or 15 %, whichever is more."""
    return abs(predicted - measured) <= max(0.1, 0.15 * measured)


def lanes_of(trace: tracing.Trace, name: Callable[[Any], Any]) -> list[list]:
    """The tasks each worker (each pid) ran, in the order it ran them, as `name(record)`; the
    lanes in the order of their first task's index: groups, whatever a worker's number."""
    lanes: dict[Any, list] = {}
    for record in sorted(trace.tasks, key=_when):
        lanes.setdefault(record.pid, []).append(record)
    return [[name(record) for record in lane] for lane in sorted(lanes.values(), key=lambda lane: lane[0].index)]


def chunks_of(trace: tracing.Trace) -> list[list[int]]:
    """The chunks as they ran, by task index: a chunk's tasks ran one after the other in one
    worker, and the worker timed them with one clock reading between two tasks
    (records.py: task i ends at times[i + 1], where task i + 1 starts), so equal times join them."""
    chunks: list[list] = []
    for record in sorted(trace.tasks, key=lambda r: r.index):
        last = chunks[-1][-1] if chunks else None
        if last is not None and last.pid == record.pid and last.index + 1 == record.index \
                and record.started is not None and last.finished == record.started:  # fmt: skip
            chunks[-1].append(record)
        else:
            chunks.append([record])
    return [[record.index for record in chunk] for chunk in chunks]


def schedule(chunks: list[list], seconds: Callable[[Any], float], workers: int = 2) -> list[tuple[int, float, float, Any]]:
    """What a pool does with `chunks` on `workers` idle workers: each chunk, in order, to the worker
    free first; as (worker, start, end, task) per task. How a prediction of chunks is drawn."""
    free = [0.0] * workers
    placed = []
    for chunk in chunks:
        worker = free.index(min(free))
        for task in chunk:
            placed.append((worker, free[worker], free[worker] + seconds(task), task))
            free[worker] += seconds(task)
    return placed


def _when(record: tracing.TaskRecord) -> float:
    return record.started if record.started is not None else record.finished


# -- running the checker's own code ------------------------------------------------------------


def warm_pool(processes: int, function: Callable = time.sleep, item: Any = 0.15) -> Any:
    """A spawn Pool of `processes` workers that have all started and have each run
    `function(item)` once: a prediction is about the tasks, and a worker's first task
    would also wait for the worker to start and to import the function's module.
    Stop it with terminate()."""
    from ...pools.context import get_context  # here: a spawned child need not import pools for this module

    pool = get_context("spawn").Pool(processes)
    _warm(lambda: pool.map(function, [item] * processes, chunksize=1), processes)
    return pool


def warm_executor(workers: int, function: Callable = time.sleep, item: Any = 0.15) -> Any:
    """The same, as a ProcessPoolExecutor of `workers` spawned workers. Stop it with shutdown()."""
    from ...pools.context import get_context
    from ...pools.futures import ProcessPoolExecutor

    executor = ProcessPoolExecutor(workers, mp_context=get_context("spawn"))
    _warm(lambda: [future.result() for future in [executor.submit(function, item) for _ in range(workers)]], workers)
    return executor


def _warm(run_one_each: Callable[[], Any], processes: int) -> None:
    for _ in range(30):  # each worker runs one, if all are up; a busy machine's spawn may need a few rounds
        with tracing.trace() as warm_up:
            run_one_each()
        if len({record.pid for record in warm_up.tasks}) == processes:
            break


def run_scenario(problem: str | None, scenario: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
    """What every checker does once it has looked at the prediction's shape: report `problem`, if
    there is one; else run the checker's `scenario()` under run_learner_code's timeout. Its value,
    or None once a Verdict has said why there is nothing to compare the prediction with."""
    if problem is not None:
        report(Verdict(False, problem))
        return None
    run = run_learner_code(scenario, timeout)
    if run.timed_out:
        report(Verdict(False, f"the checker's run did not finish in {timeout:g} s, so there is "
                              f"nothing to compare with (is the machine very busy?); run the cell again."))  # fmt: skip
        return None
    if run.error is not None:
        report(Verdict(False, f"the checker's run failed: {type(run.error).__name__}: {run.error}. "
                              f"That is not your prediction's fault; run the cell again."))  # fmt: skip
        return None
    return run.value


# -- the picture -------------------------------------------------------------------------------


class Planned(NamedTuple):
    """One box of a prediction: on the lane of `worker` (a pid of the run, or None: a lane of its own)."""

    worker: int | None
    start: float  # seconds since the trace began
    end: float
    label: str


class Picture:
    """What a check returns: its Figure, which a notebook shows as a PNG below the cell
    (a bare Figure shows only once pyplot is imported; this needs no pyplot)."""

    def __init__(self, figure: Figure) -> None:
        self.figure = figure

    def _repr_png_(self) -> bytes:
        from ...views.plot import png

        return png(self.figure)

    def __repr__(self) -> str:
        panels = len(self.figure.axes)
        return f"<your prediction over the measured run: {panels} panel{'s' if panels > 1 else ''}>"


def draw(panels: list[tuple[str, tracing.Trace, list[Planned], float | None]],
         name: Callable[[tracing.TaskRecord], str] | None = None) -> Picture:
    """One panel per (title, measured trace, predicted boxes, predicted total), on one time axis:
    the run as `trace.plot()` draws it, the prediction over it in orange, dashed. `name`: what
    to write on each measured task's bar (`name(record)`), if anything. Predicted boxes that
    overlap on one lane share its height, each a band of its own."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch, Rectangle

    from ...views import layout, plot

    views = [layout.layout(trace) for _, trace, _, _ in panels]
    extra = [sum(box.worker is None or box.worker not in _rows(view) for box in boxes) > 0
             for view, (_, _, boxes, _) in zip(views, panels)]  # a lane for boxes on no worker of the run
    lanes = [max(1, len(view.lanes)) + more for view, more in zip(views, extra)]
    end = max([measured_end(view) for view in views] +
              [box.end for _, _, boxes, _ in panels for box in boxes] +
              [total for *_, total in panels if total is not None] + [1e-3])  # fmt: skip
    figure = Figure(figsize=(8.6, 0.5 * sum(lanes) + 1.1 * len(panels) + 0.4), layout="constrained")
    axes = figure.subplots(len(panels), 1, sharex=True, height_ratios=[n + 1.2 for n in lanes], squeeze=False)[:, 0]
    for ax, view, more, (title, _, boxes, total) in zip(axes, views, extra, panels):
        plot.plot(view, ax=ax, window=(0.0, end * 1.02))
        rows = _rows(view)
        spare = len(view.lanes)
        for bar in view.bars if name is not None else ():
            if bar.kind in ("ok", "error", "crashed") and bar.task in view.tasks:
                ax.text((bar.start + bar.end) / 2, bar.lane, name(view.tasks[bar.task]), color="#FFFFFF",
                        fontsize=9, fontweight="bold", ha="center", va="center", zorder=2.5)  # fmt: skip
        for box, band, bands in _bands(boxes, rows, spare):
            row = rows.get(box.worker, spare)
            top, height = row - 0.42 + 0.84 * band / bands, 0.84 / bands
            ax.add_patch(Rectangle((box.start, top), max(box.end - box.start, end / 400), height, fill=False,
                                   edgecolor=PREDICTED, linestyle="--", linewidth=1.6, hatch="..", zorder=3))  # fmt: skip
            narrow = box.end - box.start < 0.06 * end  # its label would cover the next box's: put it above
            ax.text(box.start + 0.006 * end, row - 0.47 if narrow else top + height * 0.62, box.label, fontsize=8,
                    va="bottom" if narrow else "center", ha="left", zorder=4,
                    bbox=dict(facecolor="#FFFFFF", edgecolor=PREDICTED, pad=1.0))  # fmt: skip
        if more:
            ticks = [lane.label for lane in view.lanes] + ["no such worker"]
            ax.set_yticks(range(len(ticks)), ticks, fontsize=9)
            ax.set_ylim(len(ticks) - 0.5, -0.5)
        measured = measured_end(view)
        ax.axvline(measured, color="#000000", linewidth=1.2, zorder=2)
        if total is not None:
            ax.axvline(total, color=PREDICTED, linestyle="--", linewidth=2, zorder=2)
        ax.set_title(f"{title} — measured {measured:.2f} s" + (f", you said {total:.2f} s" if total is not None else ""),
                     loc="left", fontsize=10)  # fmt: skip
        legend = ax.get_legend()  # plot()'s: what the run's colours mean
        handles = list(legend.legend_handles) if legend is not None else []
        labels = [text.get_text() for text in legend.get_texts()] if legend is not None else []
        if boxes:
            handles.append(Patch(fill=False, edgecolor=PREDICTED, linestyle="--", hatch=".."))
            labels.append("your prediction")
        if total is not None:
            handles.append(Line2D([], [], color=PREDICTED, linestyle="--", linewidth=2))
            labels.append("your total")
        handles.append(Line2D([], [], color="#000000"))
        labels.append("measured end")
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    for ax in axes[:-1]:
        ax.set_xlabel("")
    return Picture(figure)


def _bands(boxes: list[Planned], rows: dict, spare: int) -> list[tuple[Planned, int, int]]:
    """Each box with its band in its lane and the lane's number of bands: a box that overlaps
    an earlier one of its lane takes the first band free at its start."""
    ends: dict[int, list[float]] = {}  # row -> the end of the last box in each band
    placed = []
    for box in sorted(boxes, key=lambda box: box.start):
        lane = ends.setdefault(rows.get(box.worker, spare), [])
        band = next((i for i, busy_until in enumerate(lane) if busy_until <= box.start + 1e-9), len(lane))
        lane[band:band + 1] = [box.end]
        placed.append((box, band, rows.get(box.worker, spare)))
    return [(box, band, len(ends[row])) for box, band, row in placed]


def _rows(view: Any) -> dict:
    """Each pid of the run -> its lane's row in the picture."""
    return {pid: row for row, lane in enumerate(view.lanes) for pid in lane.pids}


def measured_end(view: Any) -> float:
    """Seconds from the trace's start to the end of its last task: when the call returned."""
    from ...views.layout import RUNS

    return max((bar.end for bar in view.bars if bar.kind in RUNS), default=0.0)
