"""A queue's depth over time: how many items wait between producers and consumers.

    with minimp.widgets.watch_queue(tasks) as depth:           # a step line of tasks.qsize()
        ...                                                    # producers put, consumers get
    depth.samples                                              # [(seconds, depth), ...]

**QueueDepth** asks a queue its `qsize()` every `interval` seconds and
draws the answers as a step line. A queue that keeps growing has producers
faster than its consumers; one that stays at 0 has consumers waiting for
work. It only asks qsize(), never get() or put(), so the program runs as
it would unwatched; it works for minimp's queues and the standard
library's. What it shows is sampled: a queue that fills and empties
between two looks shows nothing.

Limits: `multiprocessing.Queue.qsize()` raises NotImplementedError on
macOS, which cannot read a semaphore's value; the view says so and draws
nothing (minimp's Queue counts its items itself, and works there).

Read next: `views/perfetto.py`, a trace for Perfetto's UI. (The queue it
watches is `runtime/queues.py`.)
"""

from __future__ import annotations

import time
from html import escape

import ipywidgets as widgets
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .. import layout, plot
from ..svg import axis_name, grid_line, opening
from .view import LiveView, checked_interval, watching

TYPE_CHECKING = False
if TYPE_CHECKING:
    from contextlib import AbstractContextManager
    from typing import Any

__all__ = ["QueueDepth", "watch_queue"]

WIDTH = 860  # pixels: a notebook's width
HEIGHT = 180  # pixels: the picture's height
REDRAW = 0.2  # seconds: the picture is redrawn at most this often


class QueueDepth(LiveView):
    """A queue's qsize() over time, as a step line; `samples` holds the numbers.

    Works with minimp's Queue and JoinableQueue, multiprocessing.Queue, and
    anything else that has a qsize() (queue.Queue, between threads).
    """

    PLAIN = "minimp queue depth (run the notebook to use the widget; the picture is stored as PNG)"
    THREAD = "minimp-queue-depth"

    def __init__(self, queue: Any, interval: float = 0.05):
        self.queue = _checked_queue(queue, "QueueDepth")
        self.kind = type(queue).__name__
        self.origin = time.monotonic()  # 0 seconds in the picture; start() moves it to its own moment
        self.samples: list[tuple[float, int]] = []  # (seconds since origin, qsize()), oldest first
        self.problem: str | None = None  # why there are no samples, if qsize() cannot answer
        self.header = widgets.HTML()
        self.picture = widgets.HTML()
        super().__init__([self.header, self.picture], checked_interval(interval, "QueueDepth"))
        self._draw()

    def start(self) -> None:
        """Start watching; 0 seconds in the picture is now (view.py)."""
        self.origin = time.monotonic()
        super().start()

    def stop(self) -> None:
        """Stop watching, draw the final state, and let go of the queue."""
        super().stop()
        self.queue = None

    def sample(self) -> None:
        """Ask the queue its size once, and note (seconds, depth)."""
        with self._lock:
            if self.problem is not None or self.queue is None:
                return
            try:
                depth = self.queue.qsize()
            except NotImplementedError:
                self.problem = (f"{self.kind}.qsize() is not available on this system (on macOS the standard "
                                f"library's queue cannot count its items): nothing to draw. minimp.Queue's "
                                f"qsize() works everywhere.")  # fmt: skip
                return
            self.samples.append((time.monotonic() - self.origin, depth))

    def refresh(self) -> None:
        """Take a sample and redraw."""
        self.sample()
        self._draw()

    def alt(self) -> str:
        return f"queue depth: {self.summary()}"

    def summary(self) -> str:
        """One line: the depth now, the most it has been, how many samples."""
        if self.problem is not None:
            return self.problem
        if not self.samples:
            return f"{self.kind}: no samples yet"
        most = max(depth for _, depth in self.samples)
        return (f"{self.kind}: depth now {self.samples[-1][1]} · max {most} · "
                f"{len(self.samples)} samples over {self.samples[-1][0]:.2f} s")  # fmt: skip

    def _watch(self) -> None:
        """The view's own thread, "minimp-queue-depth": every `interval` seconds
        it asks the queue its qsize() and notes (seconds, depth); at most every
        REDRAW seconds (or 20 times as long as a redraw took) it redraws the
        picture. qsize() takes no lock in minimp or in the standard library,
        so producers and consumers never wait for the view. (Unlike the
        other views, it looks more often than it draws: view.py.)"""
        drawn, rest = time.monotonic(), REDRAW
        while not self._stop.wait(self.interval):
            self.sample()
            if time.monotonic() - drawn >= rest:
                drawn, began = time.monotonic(), time.thread_time()
                self._draw()
                rest = max(REDRAW, 20 * (time.thread_time() - began))  # CPU time, as the other views count it (view.py)

    def _draw(self) -> None:
        with self._lock:
            samples = list(self.samples)
        self.header.value = f"<b>{escape(self.summary())}</b>"
        self.picture.value = "" if self.problem else _depth_svg(samples)

    def png(self) -> bytes:
        """The depth over time as a PNG: a step line."""
        with self._lock:
            samples = list(self.samples)
        figure = Figure(figsize=(8.6, 2.4), layout="constrained")
        ax = figure.subplots()
        if samples:
            ax.step([s for s, _ in samples], [d for _, d in samples], where="post", color=layout.COLOURS["ok"])
        ax.set_xlim(0, max(samples[-1][0] if samples else 0.0, 1e-3))
        ax.set_ylim(0, max([d for _, d in samples] + [1]) * 1.08)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("seconds since the view began watching")
        ax.set_ylabel("items in the queue")
        ax.grid(alpha=0.3)
        ax.set_title(self.summary(), loc="left", fontsize=10, wrap=True)
        return plot.png(figure)


def _steps(samples: list[tuple[float, int]]) -> list[tuple[float, int]]:
    """Only the samples where the depth changed (and the last one): a step
    line through them is the same line, with far fewer points."""
    kept = [sample for number, sample in enumerate(samples) if number == 0 or sample[1] != samples[number - 1][1]]
    if samples and kept[-1] is not samples[-1]:
        kept.append(samples[-1])
    return kept


def _depth_svg(samples: list[tuple[float, int]], width: int = WIDTH, height: int = HEIGHT) -> str:
    """A step line of depth over seconds, as SVG text (widgets/svg.py explains why SVG)."""
    left, right, top, bottom = 44, 12, 8, 30  # margins, in pixels
    end = max(samples[-1][0] if samples else 0.0, 1e-3)
    most = max([depth for _, depth in samples] + [1])
    plot_width, plot_height = width - left - right, height - top - bottom

    def x(seconds: float) -> float:
        return left + seconds / end * plot_width

    def y(depth: float) -> float:
        return top + (1 - depth / most) * plot_height

    label = f"queue depth over {end:.3g} s: at most {most} items"
    parts = [opening(width, height, "minimp-queue-depth", label)]
    for tick in layout.ticks(0.0, end):
        parts.append(grid_line(x(tick), x(tick), top, top + plot_height))
        parts.append(f'<text x="{x(tick):.1f}" y="{height - bottom + 16}" text-anchor="middle">{tick:g}</text>')
    for tick in [t for t in layout.ticks(0.0, most, most=4) if float(t).is_integer()]:
        parts.append(grid_line(left, left + plot_width, y(tick), y(tick)))
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>')
    parts.append(axis_name(left + plot_width, height - 1))
    points, previous = [], None
    for seconds, depth in _steps(samples):
        if previous is not None:  # along at the previous depth, then up or down to this one
            points.append(f"{x(seconds):.1f},{y(previous):.1f}")
        points.append(f"{x(seconds):.1f},{y(depth):.1f}")
        previous = depth
    if points:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{layout.COLOURS["ok"]}" '
                     f'stroke-width="2"/>')  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)


def watch_queue(queue: Any, interval: float = 0.05) -> AbstractContextManager[QueueDepth]:
    """Show a QueueDepth of `queue`, sampled every `interval` seconds while the `with` block runs:

        with minimp.widgets.watch_queue(tasks) as depth:
            ...
        depth.samples   # [(seconds, depth), ...]
    """
    _checked_queue(queue, "watch_queue")
    return watching(QueueDepth(queue, interval=checked_interval(interval, "watch_queue")))


def _checked_queue(queue: Any, caller: str) -> Any:
    if not callable(getattr(queue, "qsize", None)):
        why = "; a SimpleQueue cannot say its size" if "SimpleQueue" in type(queue).__name__ else ""
        raise TypeError(f"{caller}(queue={queue!r}): expected a queue with a qsize() method (minimp.Queue, "
                        f"JoinableQueue, multiprocessing.Queue), not {type(queue).__name__}{why}")  # fmt: skip
    return queue
