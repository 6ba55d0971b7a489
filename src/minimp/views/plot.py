"""The worker timeline as a matplotlib picture: `trace.plot()`.

    with minimp.trace() as t:
        with minimp.Pool(2) as pool:
            pool.map(work, range(20))
    ax = t.plot()              # in a notebook: the figure shows below the cell

One lane per worker, one bar per task, drawn from layout.py's computation,
so the picture and the live widget (widgets/timeline.py) always agree. A
picture is what stays in a saved notebook: GitHub and nbviewer show it
where widgets cannot run; the widget leaves one behind too (`png()`).

`compare()` draws several traces one above the other on one time axis:
the standard library's Pool beside minimp's, chunksize 1 beside 100.

Drawing 10,000 tasks stays under a second: bars closer together than a
pixel are merged first (layout.merge), and each lane is one matplotlib
collection, not one patch per task.

Read next: `views/svg.py`, the same picture as SVG text, for the widget.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from ..runtime.cpus import cpu_count
from . import layout as timeline
from .gaps import Gap, explain, framed
from .segments import SEGMENTS
from ..tracing import Snapshot, Trace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["plot", "compare", "png", "named_traces"]

COLOR_BY = ("status", "function")
PIXELS = 860  # a notebook's width: bars are merged at this resolution


def plot(source: Trace | Snapshot | timeline.Layout, ax: Axes | None = None, *, color_by: str = "status",
         title: str | None = None, window: tuple[float, float] | None = None,
         gaps: list[Gap] | None = None) -> Axes:  # fmt: skip
    """Draw the worker timeline of `source` into `ax` (a new figure if None); return the axes.

    `color_by="function"` colours tasks by what they ran instead of how they
    ended; `window=(start, end)` zooms to those seconds since the trace began;
    `gaps`: the gaps to mark (by default gaps.explain's, for this machine's CPUs).
    """
    view = source if isinstance(source, timeline.Layout) else timeline.layout(source)
    if color_by not in COLOR_BY:
        raise ValueError(f"plot(color_by={color_by!r}): color_by must be one of {COLOR_BY}")
    gaps = explain(view, cpu_count()) if gaps is None else gaps
    if ax is None:
        import matplotlib.pyplot as plt  # only here: png() and compare() need no pyplot

        _, ax = plt.subplots(figsize=(8.6, _height(view, notes=len(gaps))), layout="constrained")
    start, end = window if window is not None else (0.0, max(view.end, 1e-3))
    if not start < end:
        raise ValueError(f"plot(window={window!r}): the window must be (start, end) with start < end")
    _draw(ax, view, color_by, start, end, gaps)
    ax.set_title(title or view.summary.header(), loc="left", fontsize=10)
    return ax


def _height(view: timeline.Layout, lanes: int | None = None, notes: int = 0) -> float:
    return 1.2 + 0.42 * max(1, lanes if lanes is not None else len(view.lanes)) + 0.2 * notes  # a line per note


def _draw(ax: Axes, view: timeline.Layout, color_by: str, start: float, end: float, gaps: list[Gap],
          axis_named: bool = True) -> None:  # fmt: skip
    pixel = (end - start) / PIXELS
    bars = timeline.merge(timeline.window(view.bars, start, end), pixel)
    groups: dict[str, int] = {}
    fills: dict[tuple[int, str, str], list] = {}  # (lane, kind, colour) -> [(x, width)]
    for bar in bars:
        fill = timeline.colour(bar, color_by, groups)
        least = 2 * pixel if bar.kind in timeline.RUNS else pixel  # a task of a microsecond still shows
        fills.setdefault((bar.lane, bar.kind, fill), []).append((bar.start, max(bar.end - bar.start, least)))
    for (lane, kind, fill), spans in fills.items():
        if kind == "wait":  # a thin line under the lane's bars
            ax.broken_barh(spans, (lane + 0.36, 0.06), facecolors=fill, linewidth=0)
        elif kind in SEGMENTS:  # a job travelling: thinner than a task's bar (segments.py)
            ax.broken_barh(spans, (lane - 0.16, 0.32), facecolors=fill, linewidth=0)
        else:
            outline = "#000000" if kind in ("error", "crashed") else "#FFFFFF"  # white: tasks end to end stay apart
            ax.broken_barh(spans, (lane - 0.32, 0.64), facecolors=fill, edgecolors=outline, linewidth=0.5,
                           hatch="//" if kind == "start-up" else None)  # fmt: skip
    crashes = [bar for bar in bars if bar.kind == "crashed"]
    if crashes:
        ax.plot([bar.end for bar in crashes], [bar.lane for bar in crashes], "x", color="#D55E00",
                markersize=9, markeredgewidth=2.5)  # fmt: skip
    ax.set_xlim(start, end + (end - start) * 0.01)
    ax.set_ylim(max(1, len(view.lanes)) - 0.5, -0.5)  # lane 0 on top
    ax.set_yticks(range(len(view.lanes)), [lane.label for lane in view.lanes], fontsize=9)
    _draw_gaps(ax, gaps, len(view.lanes), start, end)
    notes = [f"{number} · {gap.line}" for number, gap in enumerate(gaps, start=1)]
    label = "\n".join((["seconds since the trace began"] if axis_named else []) + notes)
    ax.set_xlabel(label, loc="left" if notes else "center")
    ax.grid(axis="x", alpha=0.3)
    ax.set_axisbelow(True)
    kinds = {bar.kind for bar in bars}
    handles = [
        Line2D([], [], color=timeline.COLOURS["wait"], linewidth=2) if kind == "wait"
        else Patch(facecolor=timeline.COLOURS[kind], edgecolor="#000000" if kind in ("error", "crashed") else "none",
                   hatch="//" if kind == "start-up" else None)
        for kind in timeline.LABELS if kind in kinds and (color_by == "status" or kind not in timeline.RUNS)
    ]  # fmt: skip
    labels = [timeline.LABELS[kind] for kind in timeline.LABELS
              if kind in kinds and (color_by == "status" or kind not in timeline.RUNS)]  # fmt: skip
    if color_by == "function":
        handles += [Patch(facecolor=timeline.GROUP_COLOURS[n % len(timeline.GROUP_COLOURS)]) for n in groups.values()]
        labels += list(groups)
    if handles:
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)


def _draw_gaps(ax: Axes, gaps: list[Gap], lanes: int, start: float, end: float) -> None:
    """Each gap (gaps.py) framed with a dashed line and numbered, as in the SVG (svg.py's _gap)."""
    for number, gap in enumerate(gaps, start=1):
        left, right = max(gap.start, start), min(gap.end, end)
        if right <= left:
            continue
        lane, number_lane = framed(gap, lanes)
        top, height = (-0.48, lanes - 0.04) if lane is None else (lane - 0.45, 0.9)
        ax.add_patch(Rectangle((left, top), right - left, height, fill=False, linestyle="--", linewidth=1,
                               edgecolor="#000000"))  # fmt: skip
        y = lanes - 0.52 if number_lane == lanes else number_lane - 0.2  # under the lanes, or in one
        ax.text(left + (end - start) * 0.004, y, str(number), fontsize=8, va="top")


def compare(traces: dict[str, Trace] | list[Trace], *, color_by: str = "status") -> Figure:
    """Several traces one above the other, on one time axis (each from its own start):
    `compare({"multiprocessing.Pool": t1, "minimp.Pool": t2})`."""
    named = named_traces(traces)
    views = {name: timeline.layout(trace) for name, trace in named.items()}
    end = max([view.end for view in views.values()] + [1e-3])
    gaps = {name: explain(view, cpu_count()) for name, view in views.items()}
    heights = [max(1, len(view.lanes)) + 1.2 + 0.5 * len(gaps[name]) for name, view in views.items()]
    figure = Figure(figsize=(8.6, 0.42 * sum(heights) + 0.6), layout="constrained")
    axes = figure.subplots(len(views), 1, sharex=True, height_ratios=heights, squeeze=False)[:, 0]
    for number, (ax, (name, view)) in enumerate(zip(axes, views.items()), start=1):
        _draw(ax, view, color_by, 0.0, end, gaps[name], axis_named=number == len(views))
        ax.set_title(f"{name}: {view.summary.header()}", loc="left", fontsize=10)
    return figure


def named_traces(traces: dict[str, Trace] | list[Trace]) -> dict[str, Trace]:
    """compare()'s traces, each with its name ("trace 1", ... for a list), checked."""
    if isinstance(traces, dict):
        named = dict(traces)
    elif isinstance(traces, (list, tuple)):
        named = {f"trace {number}": trace for number, trace in enumerate(traces, start=1)}
    else:
        raise TypeError(f"compare() takes a dict of name -> trace, or a list of traces, not {type(traces).__name__}")
    if not named:
        raise ValueError("compare() needs at least one trace")
    for name, trace in named.items():
        if not isinstance(trace, (Trace, Snapshot)):
            raise TypeError(f"compare(): {name!r} is a {type(trace).__name__}, not a minimp trace")
    return named


def png(source: Trace | Snapshot | timeline.Layout | Figure, *, color_by: str = "status", dpi: int = 100) -> bytes:
    """The timeline as PNG bytes, drawn without pyplot (nothing shows by itself)."""
    if isinstance(source, Figure):
        figure = source
    else:
        view = source if isinstance(source, timeline.Layout) else timeline.layout(source)
        gaps = explain(view, cpu_count())
        figure = Figure(figsize=(8.6, _height(view, notes=len(gaps))), layout="constrained")
        plot(view, figure.subplots(), color_by=color_by, gaps=gaps)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
