"""The worker timeline as a widget: watch a pool work, then explore what it did.

    with minimp.live_timeline() as view:       # shows an empty timeline ...
        with minimp.Pool(2) as pool:
            pool.map(work, range(40))          # ... that fills as tasks run

    trace.timeline()                           # the same widget for a finished trace
    minimp.widgets.compare({"multiprocessing": t1, "minimp": t2})

The widget is made of ipywidgets' own parts, so it needs no front-end code:
an HTML widget shows the picture (SVG text from svg.py), and sliders,
buttons and a play button drive it:

- **colour by** status (ok, error, crashed, cancelled) or by function;
- **zoom**: the seconds to show;
- **replay**: play the run again, bar by bar, from its start (the ▶ button),
  or drag the replay slider to any moment;
- **gaps that explain themselves**: a worker idle while tasks waited for
  another, one worker alone at the end, more workers busy than CPUs, a task
  that seems stuck: framed, numbered, and said under the axis (gaps.py);
- **task**: pick a task (in the order they started) to see where and
  when it ran, its arguments and its error; the mouse on a bar names it too;
- **table**: the figures of the picture as a table (summary.py): per worker,
  its start-up, busy, idle and waiting time; the slowest tasks. It is what a
  screen reader reads, where the picture is one image named by its header;
- **where each worker is now**: live, when a task seems stuck, the view asks
  the pool for its workers' stacks (`trace.stacks()`, what `pool.stacks()`
  answers) and shows them under the picture: the line the stuck task is in.
  No button: a cell that waits for a stuck pool cannot run a click's code.

Every control is an ipywidgets input: Tab reaches it, the arrow keys move a
slider, Space or Enter presses a button.

Live, the view's thread (view.py) redraws the picture a few times a second
from `trace.snapshot()`. It never waits for the pool, and it rests between
redraws at least 20 times as long as the last redraw took, so it takes at
most about 5 % of the notebook process's time from the pool's thread
(bench/bench_widgets.py measures it). When the `with` block ends, the final
picture stays, and a PNG of it goes into the notebook file, which is what
GitHub and nbviewer show.

Read next: `views/widgets/processes.py` and `views/widgets/queues.py`, views for
the early chapters.
"""

from __future__ import annotations

import contextlib
import threading
from html import escape

import ipywidgets as widgets

from .. import layout as timeline
from .. import plot
from ...tracing import Trace, trace as new_trace
from ...runtime.cpus import cpu_count
from ..gaps import explain
from ..summary import summary
from ..svg import svg
from .view import LiveView, checked_interval, watching

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["TimelineView", "CompareView", "live_timeline", "compare"]

WIDTH = 860  # pixels: a notebook's width
STEPS = 200  # replay and zoom positions between the start and the end
FRAME = 0.08  # seconds between two pictures of a replay: 50 of them, 4 s in all
PLAIN = "minimp worker timeline (run the notebook to use the widget; the picture is stored as PNG)"
STACKS_WAIT = 1.0  # seconds a worker has to answer where it is (pools/stacks.py)


class TimelineView(LiveView):
    """One trace's worker timeline, with its controls (see the module docstring).

    `start()` redraws it every `interval` seconds (or less often, view.py)
    from the trace as it grows, until `stop()`; live_timeline() does both."""

    PLAIN = PLAIN
    THREAD = "minimp-timeline"

    def __init__(self, trace: Trace, *, color_by: str = "status", width: int = WIDTH, interval: float = 0.25):
        if not isinstance(trace, Trace):
            raise TypeError(f"TimelineView(trace=...) needs a minimp trace, not {type(trace).__name__}")
        if color_by not in plot.COLOR_BY:
            raise ValueError(f"TimelineView(color_by={color_by!r}): color_by must be one of {plot.COLOR_BY}")
        self.trace, self.width = trace, width
        self.cpus = cpu_count()  # what the pool could use, if it ran here: for gaps.explain
        self.view = timeline.layout(trace)
        self._order: list[int] = []  # task ids in the order they started: the task slider's steps
        self.header = widgets.HTML()
        self.picture = widgets.HTML()
        self.details = widgets.HTML()
        self.details.add_class("minimp-task-details")
        self.color_by = widgets.ToggleButtons(options=plot.COLOR_BY, value=color_by, description="colour by")
        self.zoom = widgets.FloatRangeSlider(description="zoom (s)", min=0.0, max=1.0, value=(0.0, 1.0),
                                             step=0.005, readout_format=".3f", continuous_update=False,
                                             layout=widgets.Layout(width="420px"))  # fmt: skip
        self.replay = widgets.IntSlider(description="replay", min=0, max=STEPS, value=STEPS, readout=False)
        # A Button and a thread of ours, not ipywidgets' Play: JupyterLab keeps
        # the Play's first view listening after the live view's final redisplay,
        # and the two views stop each other's playing at once.
        self.play = widgets.Button(description="▶ replay", tooltip="play the run again from its start",
                                   layout=widgets.Layout(width="110px"))  # fmt: skip
        self.play.on_click(self._toggle_replay)
        self._replay_stop: threading.Event | None = None
        self.task = widgets.IntSlider(description="task", min=0, max=0, value=0,
                                      layout=widgets.Layout(width="420px"))  # fmt: skip
        self.show_table = widgets.ToggleButton(description="table", tooltip="the figures as a table (summary.py)",
                                               layout=widgets.Layout(width="80px"))  # fmt: skip
        self.table = widgets.HTML(layout=widgets.Layout(display="none"))
        self.table.add_class("minimp-summary-table")
        self.stacks = widgets.HTML()  # where each worker is, once a task seemed stuck (_show_stacks)
        self._gaps: list = []  # what the picture explains (gaps.py)
        self._asked: set = set()  # the stuck tasks whose workers' stacks were shown: (lane, start)
        for control in (self.color_by, self.zoom, self.replay, self.task, self.show_table):
            control.observe(self._changed, names="value")
        self._quiet = False  # True while _new_layout moves the controls itself
        super().__init__([
            self.header, self.picture,
            widgets.HBox([self.color_by, self.zoom]),
            widgets.HBox([self.play, self.replay, self.task, self.show_table]),
            self.details, self.table, self.stacks,
        ], checked_interval(interval, "TimelineView"))  # fmt: skip
        self.add_class("minimp-timeline-view")  # for the browser tests, and for styling
        self._new_layout(self.view)

    # -- drawing ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the trace again and draw it (the view's thread calls this)."""
        self._new_layout(timeline.layout(self.trace))
        self._show_stacks()

    def _show_stacks(self) -> None:
        """A task seems stuck, newly: show where each worker is now (asked in the view's thread,
        which may wait for the answers; never in yours, where a control's change redraws)."""
        stuck = [gap for gap in self._gaps if gap.kind == "stuck?" and (gap.lane, gap.start) not in self._asked]
        if not stuck or self.trace.finished is not None:
            return
        self._asked.update((gap.lane, gap.start) for gap in stuck)
        stacks = self.trace.stacks(STACKS_WAIT)
        if stacks:
            self.stacks.value = f"<b>Where each worker is now</b> (trace.stacks(): {escape(stuck[-1].line)}){stacks._repr_html_()}"

    def _new_layout(self, view: timeline.Layout) -> None:
        with self._lock:
            followed = self.zoom.value[1] >= self.zoom.max - 1e-9  # the zoom showed up to the end: keep so
            self.view = view
            end = max(view.end, 1e-3)
            self._order = [bar.task for bar in sorted(view.bars, key=lambda b: b.start)  # a task's own bar only
                           if bar.task is not None and bar.task in view.tasks and bar.kind in timeline.RUNS]  # fmt: skip
            self._quiet = True
            try:
                start = min(self.zoom.value[0], end)
                self.zoom.max = end
                self.zoom.step = end / STEPS
                self.zoom.value = (start, end if followed else min(self.zoom.value[1], end))
                self.task.max = len(self._order)
            finally:
                self._quiet = False
            self._draw()

    def _items(self) -> int:
        return self.trace.recorded  # events: the trace reads each once, and draws what they made

    def _changed(self, change) -> None:
        with self._lock:
            if not self._quiet:
                self._draw()

    def _draw(self) -> None:
        view = self.view
        moment = None
        if self.replay.value < STEPS:  # replaying: the run as it was then
            moment = view.end * self.replay.value / STEPS
            view = timeline.until(view, moment)
        selected = self._order[self.task.value - 1] if 0 < self.task.value <= len(self._order) else None
        start, end = self.zoom.value
        if end <= start:
            start, end = 0.0, max(view.end, 1e-3)
        self.header.value = f"<b>{escape(view.summary.header())}</b>" + (
            f" · replay at {moment:.3f} s" if moment is not None else "")
        self._gaps = explain(view, self.cpus)
        self.picture.value = svg(view, width=self.width, start=start, end=end, color_by=self.color_by.value,
                                 selected=selected, cursor=moment, gaps=self._gaps)  # fmt: skip
        self.details.value = _describe(view.tasks.get(selected), view.origin) if selected else (
            "<i>Move the task slider to see one task; rest the mouse on a bar to name it.</i>")
        self.table.layout.display = None if self.show_table.value else "none"
        self.table.value = summary(view, cpus=self.cpus)._repr_html_() if self.show_table.value else ""  # when shown

    def alt(self) -> str:
        return f"worker timeline: {self.view.summary.header()}"

    def png(self) -> bytes:
        return plot.png(self.view, color_by=self.color_by.value)

    # -- replay ----------------------------------------------------------------------------

    def _toggle_replay(self, _button=None) -> None:
        """The ▶ button: start a replay, or stop the one that runs."""
        if self._replay_stop is not None:
            self._replay_stop.set()
            return
        self._replay_stop = threading.Event()
        self.play.description = "■ stop"
        threading.Thread(target=self._replay, args=(self._replay_stop,), name="minimp-timeline-replay",
                         daemon=True).start()  # fmt: skip

    def _replay(self, stop: threading.Event) -> None:
        """The replay thread: moves the replay slider from the start to the end,
        a step per FRAME, so the picture redraws the run as it was at each step."""
        try:
            for step in range(0, STEPS + 1, 4):
                self.replay.value = step
                if stop.wait(FRAME):
                    break  # stopped: the picture stays at that moment
        finally:
            self.play.description = "▶ replay"
            self._replay_stop = None

def _describe(task, origin: float) -> str:
    if task is None:
        return ""

    def ms(moment):
        return "–" if moment is None else f"{(moment - origin) * 1e3:.1f} ms"

    rows = [
        ("task", f"{task.id} (call {task.call}, item {task.index})"),
        ("function", task.function), ("arguments", task.args),
        ("worker", f"{task.worker} (pid {task.pid})"), ("status", task.status),
        ("submitted", ms(task.submitted)), ("started", ms(task.started)), ("ended", ms(task.finished)),
        ("waited", "–" if task.waited is None else f"{task.waited * 1e3:.1f} ms"),
        ("ran", "–" if task.duration is None else f"{task.duration * 1e3:.1f} ms"),
    ]  # fmt: skip
    if task.error:
        rows.append(("error", task.error))
    cells = "".join(f"<tr><th style='text-align:left;padding-right:1em'>{name}</th><td>{escape(str(value))}</td></tr>"
                    for name, value in rows)  # fmt: skip
    return f"<table style='font-size:12px'>{cells}</table>"


@contextlib.contextmanager
def live_timeline(interval: float = 0.25, *, color_by: str = "status") -> Iterator[TimelineView]:
    """Trace what pools do inside the `with` block, and show it live (see the module docstring).

    Outside a notebook it only traces: `view.trace` holds the records.
    """
    recording = new_trace()
    view = TimelineView(recording, color_by=color_by, interval=checked_interval(interval, "live_timeline"))
    # Shown before the trace begins, so that drawing the first picture is not part of it;
    # the trace ends first, so the final picture has the standard library's traced() calls.
    with watching(view), recording:
        yield view


class CompareView(LiveView):
    """Several traces, one above the other, on one time axis (a view nobody has to start)."""

    PLAIN = PLAIN

    def __init__(self, traces: dict[str, Trace] | list[Trace], *, color_by: str = "status", width: int = WIDTH):
        self.traces = plot.named_traces(traces)
        self.views = {name: timeline.layout(trace) for name, trace in self.traces.items()}
        self.width, self.cpus = width, cpu_count()
        end = max([view.end for view in self.views.values()] + [1e-3])
        self.color_by = widgets.ToggleButtons(options=plot.COLOR_BY, value=color_by, description="colour by")
        self.zoom = widgets.FloatRangeSlider(description="zoom (s)", min=0.0, max=end, value=(0.0, end),
                                             step=end / STEPS, readout_format=".3f", continuous_update=False,
                                             layout=widgets.Layout(width="420px"))  # fmt: skip
        self.panels = {name: widgets.HTML() for name in self.views}
        for control in (self.color_by, self.zoom):
            control.observe(lambda change: self.refresh(), names="value")
        super().__init__([*self.panels.values(), widgets.HBox([self.color_by, self.zoom])], interval=0.25)
        self.add_class("minimp-compare-view")
        self.refresh()

    def refresh(self) -> None:
        start, end = self.zoom.value
        for name, view in self.views.items():
            self.panels[name].value = f"<b>{escape(name)}</b>: {escape(view.summary.header())}<br>" + svg(
                view, width=self.width, start=start, end=end, color_by=self.color_by.value,
                gaps=explain(view, self.cpus))

    def alt(self) -> str:
        return "worker timelines: " + "; ".join(f"{name}: {view.summary.header()}" for name, view in self.views.items())

    def png(self) -> bytes:
        return plot.png(plot.compare(self.traces, color_by=self.color_by.value))


def compare(traces: dict[str, Trace] | list[Trace], *, color_by: str = "status") -> CompareView:
    """Two or more traces side by side on one time axis:
    `compare({"multiprocessing.Pool": t1, "minimp.Pool": t2})`."""
    return CompareView(traces, color_by=color_by)
