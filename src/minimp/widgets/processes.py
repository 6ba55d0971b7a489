"""Views for the early chapters: a live table of processes, a queue's depth over time.

    workers = [minimp.Process(target=work, args=(n,)) for n in range(4)]
    with minimp.widgets.watch_processes(workers) as table:   # a table below the cell ...
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()                                      # ... that changes as they run

    with minimp.widgets.watch_queue(tasks) as depth:           # a step line of tasks.qsize()
        ...                                                    # producers put, consumers get
    depth.samples                                              # [(seconds, depth), ...]

**ProcessTable** has a row per process: its name, pid, state, exit code
and what the code means, and whether it is a daemon. The state is what the
table saw the last time it looked:

    ========  ==========================================================
    state     what the table saw
    ========  ==========================================================
    created   a Process object, not started yet: it has no pid
    running   a pid and no exit code yet
    exited    an exit code: 0 ok, 1 an exception (or exit(1)), N exit(N),
              -N killed by signal N (-9: SIGKILL, -15: SIGTERM)
    closed    process.close() was called before the table saw it exit
    ========  ==========================================================

It remembers when it first saw each state (`table.lifetimes`), and its
picture for the notebook file draws them: one lane per process, from its
start to its exit, coloured by how it ended.

**QueueDepth** asks a queue its `qsize()` every `interval` seconds and
draws the answers as a step line: how many items wait between producers
and consumers. A queue that keeps growing has producers faster than its
consumers; one that stays at 0 has consumers waiting for work.

How they look: each view has one thread of its own, started when the
`with` block begins and joined when it ends, even if the block raises.
It only looks, and the program runs as it would unwatched: the queue's
view calls `qsize()`, never get() or put(); the table reads `process.pid`,
and asks the operating system whether the child has ended with
waitid(WNOWAIT), which tells how a child ended without collecting it. A
child that has exited stays a zombie until the program's join() collects
it and gets its exit code, as it would if nobody watched. Both views work
for minimp's objects and for the standard library's, whose public API is
the same.

What a view shows is sampled: a change is seen at the first look after
it happened (up to `interval` seconds late), and a queue that fills and
empties between two looks shows nothing.

In a notebook the view shows below the cell and stays, with its final
state, after the block; a PNG of that final state also goes into the
notebook file, where GitHub and nbviewer show it. Outside a notebook (a
script, pytest) the views still look and record, and show nothing.

When the block ends the view lets go of what it watched and keeps only its
record (`lifetimes`, `samples`): a widget lives as long as the notebook's
kernel, and a Process or Queue it held would keep its file descriptors
open as long.

Limits: the processes must be children of this process (as for
`is_alive()`). On macOS before Python 3.13, which lacks waitid(), the table
reads `process.exitcode` instead, which collects an ended child, as
`is_alive()` would. `multiprocessing.Queue.qsize()` raises
NotImplementedError on macOS, which cannot read a semaphore's value; the
view says so and draws nothing (minimp's Queue counts its items itself,
and works there).

Read next: ../pool.py, where worker processes take their tasks from a
queue; timeline.py watches a pool the way these views watch processes.
"""

from __future__ import annotations

import base64
import contextlib
import io
import multiprocessing.process
import os
import signal
import threading
import time
from dataclasses import dataclass
from html import escape

import ipywidgets as widgets
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from .. import layout
from ..process import Process

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from contextlib import AbstractContextManager
    from typing import Any

__all__ = ["ProcessTable", "QueueDepth", "Lifetime", "watch_processes", "watch_queue", "exit_meaning"]

WIDTH = 860  # pixels: a notebook's width
HEIGHT = 180  # pixels: the queue's picture
REDRAW = 0.2  # seconds: the queue's picture is redrawn at most this often
PROCESS_TYPES = (Process, multiprocessing.process.BaseProcess)  # minimp's and the standard library's


def exit_meaning(exitcode: int | None) -> str:
    """What an exit code says about how a process ended (the table in process.py).

    >>> exit_meaning(0), exit_meaning(3), exit_meaning(-9)
    ('ok', 'exit(3)', 'killed by SIGKILL')
    """
    if exitcode is None:
        return ""
    if exitcode == 0:
        return "ok"
    if exitcode == 1:
        return "an exception (or exit(1))"
    if exitcode > 0:
        return f"exit({exitcode})"
    try:  # the operating system reports "killed by signal N"; Python says -N
        return f"killed by {signal.Signals(-exitcode).name}"
    except ValueError:  # a number with no name on this system
        return f"killed by signal {-exitcode}"


class _View(widgets.VBox):
    """What both views share: a thread of their own between start() and stop(),
    and a mime bundle that leaves a PNG in the notebook file."""

    PLAIN = ""  # text/plain of the view: the same at every redraw, because nbval compares it
    THREAD = ""  # the name of the view's thread, as threading.enumerate() lists it

    def __init__(self, children: list) -> None:
        super().__init__(children)
        self._lock = threading.RLock()  # one look or redraw at a time: the view's thread and yours
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stopped = False  # True once stop() has let go of what the view watched

    def start(self) -> None:
        """Look once now, then start the view's thread: it looks every `interval` seconds until stop()."""
        if self._thread is not None or self.stopped:
            raise RuntimeError(f"{type(self).__name__}.start(): a view watches once; it has been started already")
        self.origin = time.monotonic()  # 0 seconds in the picture: when watching began
        self.refresh()  # the first look, before the block runs
        self._thread = threading.Thread(target=self._watch, name=self.THREAD, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Join the view's thread, take a last look, and let go of what it watched."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
        with self._lock:
            if not self.stopped:
                self.refresh()
                self._let_go()
                self.stopped = True

    def _repr_mimebundle_(self, **kwargs) -> dict:
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self.PLAIN
        bundle["image/png"] = base64.b64encode(self.png()).decode()
        return bundle

    # Each view says how it looks, what it draws, and what it lets go.
    def _watch(self) -> None:
        raise NotImplementedError

    def refresh(self) -> None:
        raise NotImplementedError

    def _let_go(self) -> None:
        raise NotImplementedError

    def png(self) -> bytes:
        raise NotImplementedError


# -- processes ------------------------------------------------------------------------------


@dataclass
class Lifetime:
    """What a ProcessTable has seen of one process.

    `created`, `started` and `exited` are time.monotonic() moments: when the
    table was given the process, and when it first saw it with a pid and
    with an exit code (up to one `interval` after it happened).
    """

    process: Any  # None once the table has let go of it (see the module docstring)
    name: str
    daemon: bool
    created: float
    pid: int | None = None
    started: float | None = None
    exited: float | None = None
    exitcode: int | None = None
    closed: bool = False

    @property
    def state(self) -> str:
        """created, running, exited or closed (see the module docstring)."""
        if self.exited is not None:
            return "exited"
        if self.closed:
            return "closed"
        return "running" if self.started is not None else "created"

    @property
    def label(self) -> str:
        return f"{self.name} ({self.pid})" if self.pid is not None else f"{self.name} (not started)"


class ProcessTable(_View):
    """A table of processes, one row each, that a thread of its own keeps up to date.

    `processes` are minimp or multiprocessing Process objects, started or
    not; add more later with `table.add(process)`. The table keeps its own
    list: appending to the list you passed does not add a row.
    """

    PLAIN = "minimp process table (run the notebook to use the widget; the picture is stored as PNG)"
    THREAD = "minimp-process-table"

    def __init__(self, processes: Iterable = (), interval: float = 0.2):
        processes = _checked_processes(processes, "ProcessTable")
        self.interval = _checked_interval(interval, "ProcessTable")
        self.origin = time.monotonic()  # 0 seconds in the picture; start() moves it to its own moment
        self.lifetimes: list[Lifetime] = []
        self.header = widgets.HTML()
        self.table = widgets.HTML()
        super().__init__([self.header, self.table])
        for process in processes:
            self._remember(process)
        self.refresh()

    def add(self, process: Process | multiprocessing.process.BaseProcess) -> None:
        """Give the table one more process to watch (one already in it is not added twice)."""
        if not isinstance(process, PROCESS_TYPES):
            raise TypeError(f"ProcessTable.add(process={process!r}): expected a minimp.Process "
                            f"or multiprocessing.Process, not {type(process).__name__}")  # fmt: skip
        with self._lock:
            if self.stopped:
                raise RuntimeError("ProcessTable.add(): the table has stopped watching; make a new one")
            self._remember(process)
            self.refresh()

    def _remember(self, process: Any) -> None:
        if all(row.process is not process for row in self.lifetimes):
            self.lifetimes.append(Lifetime(process, process.name, process.daemon, time.monotonic()))

    @property
    def processes(self) -> list:
        """The processes the table still watches."""
        return [row.process for row in self.lifetimes if row.process is not None]

    # -- looking -----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Look at every process once, then redraw the table (the table's thread calls this)."""
        with self._lock:
            now = time.monotonic()
            for row in self.lifetimes:
                if row.process is not None and not row.closed:
                    _look(row, now)
            self.header.value = f"<b>{escape(self.summary())}</b>"
            self.table.value = _table(self.lifetimes)

    def summary(self) -> str:
        """One line: how many processes, in which states."""
        counts: dict[str, int] = {}
        for row in self.lifetimes:
            counts[row.state] = counts.get(row.state, 0) + 1
        states = "".join(f" · {counts[state]} {state}" for state in ("created", "running", "exited", "closed")
                         if state in counts)  # fmt: skip
        return f"{len(self.lifetimes)} process{'es' if len(self.lifetimes) != 1 else ''}{states}"

    def _watch(self) -> None:
        """The table's own thread, "minimp-process-table": rest `interval`
        seconds (or 20 times as long as the last look took, if that is
        longer, so that watching costs the notebook at most about 5 % of its
        time), then look at every process (its pid and whether it has ended;
        neither waits for it) and redraw the table, until stop(). It never
        joins or collects a process: that stays the program's job."""
        took = 0.0
        while not self._stop.wait(max(self.interval, 20 * took)):
            # The thread's own CPU time, not the clock's: a look that waited
            # for the GIL while the main thread forked a child cost nothing,
            # and must not make the table rest (and miss a state) for longer.
            began = time.thread_time()
            self.refresh()
            took = time.thread_time() - began

    def _let_go(self) -> None:
        for row in self.lifetimes:
            row.process = None

    # -- the picture for the notebook file: process lifetimes --------------------------------

    def png(self) -> bytes:
        """The lifetimes as a PNG: a lane per process from its start to its exit."""
        with self._lock:
            rows, now = list(self.lifetimes), time.monotonic()
        figure = Figure(figsize=(8.6, 1.2 + 0.4 * max(1, len(rows))), layout="constrained")
        ax = figure.subplots()
        def seconds(moment: float | None) -> float:  # since the table began watching; None: still running
            return max((now if moment is None else moment) - self.origin, 0.0)

        end = max([seconds(row.exited) for row in rows if row.started is not None] + [1e-3])
        for lane, row in enumerate(rows):
            if row.started is None:
                continue
            start = seconds(row.started)
            width = max(seconds(row.exited) - start, end / 400)  # a process seen once: a thin mark
            kind = _kind(row)
            ax.broken_barh([(start, width)], (lane - 0.3, 0.6), facecolors=layout.COLOURS[kind],
                           edgecolors="#000000" if kind in ("error", "crashed") else "none", linewidth=0.6)  # fmt: skip
            if kind == "crashed":  # a cross, so a killed process does not rest on colour alone
                ax.plot([start + width], [lane], "x", color="#D55E00", markersize=9, markeredgewidth=2.5)
        ax.set_xlim(0, end * 1.02)
        ax.set_ylim(len(rows) - 0.5, -0.5)  # the first process on top
        ax.set_yticks(range(len(rows)), [row.label for row in rows], fontsize=9)
        ax.set_xlabel("seconds since the table began watching")
        ax.grid(axis="x", alpha=0.3)
        ax.set_axisbelow(True)
        ax.set_title(self.summary(), loc="left", fontsize=10)
        kinds = {_kind(row) for row in rows if row.started is not None}
        handles = [Patch(facecolor=layout.COLOURS[kind], edgecolor="#000000" if kind in ("error", "crashed")
                         else "none") for kind in LIFETIME_LABELS if kind in kinds]  # fmt: skip
        labels = [label for kind, label in LIFETIME_LABELS.items() if kind in kinds]
        if handles:
            ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
        return _png_bytes(figure)


# How a process's lane is coloured, in layout.py's colour-blind-safe palette.
LIFETIME_LABELS = {"ok": "exit code 0", "error": "exit code > 0", "crashed": "killed by a signal",
                   "running": "running"}  # fmt: skip


def _kind(row: Lifetime) -> str:
    if row.exitcode is None:
        return "running"
    return "ok" if row.exitcode == 0 else "error" if row.exitcode > 0 else "crashed"


def _look(row: Lifetime, now: float) -> None:
    """One look at one process: its pid, then whether it has ended and how."""
    process = row.process
    try:
        pid = process.pid
        exitcode = None if pid is None else _peek_exitcode(process, pid)
    except ValueError:  # process.close() was called: it can no longer be asked anything
        row.closed = True
        return
    row.name = process.name  # a name can change, even while it runs
    if pid is not None and row.started is None:
        row.pid, row.started = pid, now
    if exitcode is not None and row.exited is None:
        row.exitcode, row.exited = exitcode, now


def _peek_exitcode(process: Any, pid: int) -> int | None:
    """The exit code of a started child, or None while it runs, read without
    collecting the child.

    waitid(WNOHANG | WNOWAIT) asks "has it ended, and how?" without waiting,
    and leaves an ended child a zombie: the program's own join() still
    collects it and gets its exit code, as if nobody watched. Reading
    `process.exitcode` instead would collect it with waitpid() from this
    thread: minimp's Process takes a lock for that, but the standard
    library's does not, and a join() in the other thread, losing the race,
    returns before the exit code is known and leaves the process in its
    list of children."""
    if not hasattr(os, "waitid"):  # macOS before Python 3.13: collect it, as is_alive() would
        return process.exitcode
    try:
        ended = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:  # collected already (by join(), is_alive() or exitcode):
        return process.exitcode  # the Process object holds the code now, or at the next look
    if ended is None:
        return None  # still running
    # exit(n) says CLD_EXITED and n; death by signal N says CLD_KILLED (or CLD_DUMPED) and N
    return ended.si_status if ended.si_code == os.CLD_EXITED else -ended.si_status


def _table(rows: list[Lifetime]) -> str:
    head = "".join(f"<th style='text-align:left;padding:2px 12px 2px 0'>{name}</th>"
                   for name in ("name", "pid", "state", "exit code", "daemon"))  # fmt: skip
    body = []
    for row in rows:
        code = ""
        if row.exitcode is not None:
            code = (f"<span style='color:{layout.COLOURS[_kind(row)]}'>&#9632;</span> "
                    f"{row.exitcode} · {escape(exit_meaning(row.exitcode))}")  # fmt: skip
        cells = [escape(row.name), "" if row.pid is None else str(row.pid), row.state, code,
                 "yes" if row.daemon else "no"]  # fmt: skip
        body.append("<tr>" + "".join(f"<td style='padding:2px 12px 2px 0'>{cell}</td>" for cell in cells) + "</tr>")
    return f"<table style='font-size:13px'><tr>{head}</tr>{''.join(body)}</table>"


# -- a queue's depth ------------------------------------------------------------------------


class QueueDepth(_View):
    """A queue's qsize() over time, as a step line; `samples` holds the numbers.

    Works with minimp's Queue and JoinableQueue, multiprocessing.Queue, and
    anything else that has a qsize() (queue.Queue, between threads).
    """

    PLAIN = "minimp queue depth (run the notebook to use the widget; the picture is stored as PNG)"
    THREAD = "minimp-queue-depth"

    def __init__(self, queue: Any, interval: float = 0.05):
        self.queue = _checked_queue(queue, "QueueDepth")
        self.interval = _checked_interval(interval, "QueueDepth")
        self.kind = type(queue).__name__
        self.origin = time.monotonic()  # 0 seconds in the picture; start() moves it to its own moment
        self.samples: list[tuple[float, int]] = []  # (seconds since origin, qsize()), oldest first
        self.problem: str | None = None  # why there are no samples, if qsize() cannot answer
        self.header = widgets.HTML()
        self.picture = widgets.HTML()
        super().__init__([self.header, self.picture])
        self._draw()

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
        so producers and consumers never wait for the view."""
        drawn, rest = time.monotonic(), REDRAW
        while not self._stop.wait(self.interval):
            self.sample()
            if time.monotonic() - drawn >= rest:
                drawn, began = time.monotonic(), time.thread_time()
                self._draw()
                rest = max(REDRAW, 20 * (time.thread_time() - began))  # CPU time, as in ProcessTable._watch

    def _let_go(self) -> None:
        self.queue = None

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
        return _png_bytes(figure)


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

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="12" class="minimp-queue-depth">']  # fmt: skip
    for tick in layout.ticks(0.0, end):
        parts.append(f'<line x1="{x(tick):.1f}" x2="{x(tick):.1f}" y1="{top}" y2="{top + plot_height}" stroke="#DDD"/>')
        parts.append(f'<text x="{x(tick):.1f}" y="{height - bottom + 16}" text-anchor="middle">{tick:g}</text>')
    for tick in [t for t in layout.ticks(0.0, most, most=4) if float(t).is_integer()]:
        parts.append(f'<line x1="{left}" x2="{left + plot_width}" y1="{y(tick):.1f}" y2="{y(tick):.1f}" '
                     f'stroke="#DDD"/>')  # fmt: skip
        parts.append(f'<text x="{left - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>')
    parts.append(f'<text x="{left + plot_width}" y="{height - 1}" text-anchor="end" fill="#555">seconds</text>')
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


# -- watching inside a with block -----------------------------------------------------------


def watch_processes(processes: Iterable = (), interval: float = 0.2) -> AbstractContextManager[ProcessTable]:
    """Show a ProcessTable of `processes`, live while the `with` block runs:

        with minimp.widgets.watch_processes(workers) as table:
            for worker in workers: worker.start()
            for worker in workers: worker.join()

    Start and join the processes inside the block; add others with
    `table.add(process)`. After the block, `table.lifetimes` holds what
    the table saw.
    """
    processes = _checked_processes(processes, "watch_processes")
    return _live(ProcessTable(processes, interval=_checked_interval(interval, "watch_processes")))


def watch_queue(queue: Any, interval: float = 0.05) -> AbstractContextManager[QueueDepth]:
    """Show a QueueDepth of `queue`, sampled every `interval` seconds while the `with` block runs:

        with minimp.widgets.watch_queue(tasks) as depth:
            ...
        depth.samples   # [(seconds, depth), ...]
    """
    _checked_queue(queue, "watch_queue")
    return _live(QueueDepth(queue, interval=_checked_interval(interval, "watch_queue")))


@contextlib.contextmanager
def _live(view: _View) -> Iterator:
    """Show `view` below the cell (in a notebook), keep it looking while the
    block runs, and leave its final state, with a PNG for the notebook file."""
    from IPython import get_ipython
    from IPython.display import display

    shell = get_ipython()
    handle = display(view, display_id=True) if shell is not None and hasattr(shell, "kernel") else None
    view.start()
    try:
        yield view
    finally:
        view.stop()  # joins the view's thread, even when the block raised
        if handle is not None:
            handle.update(view)  # the same widget, now with the final PNG


# -- checks at the entry --------------------------------------------------------------------


def _checked_processes(processes: Any, caller: str) -> list:
    if isinstance(processes, PROCESS_TYPES):
        raise TypeError(f"{caller}(processes={processes!r}): processes must be a list of processes; "
                        f"for one, write [process]")  # fmt: skip
    try:
        processes = list(processes)
    except TypeError:
        raise TypeError(f"{caller}(processes={processes!r}): processes must be a list of minimp or "
                        f"multiprocessing Process objects, not {type(processes).__name__}") from None  # fmt: skip
    for number, process in enumerate(processes):
        if not isinstance(process, PROCESS_TYPES):
            raise TypeError(f"{caller}(processes=...): item {number} is {process!r}, a {type(process).__name__}; "
                            f"expected a minimp.Process or multiprocessing.Process")  # fmt: skip
    return processes


def _checked_interval(interval: Any, caller: str) -> float:
    if isinstance(interval, bool) or not isinstance(interval, (int, float)):
        raise TypeError(f"{caller}(interval={interval!r}): interval must be a number of seconds, "
                        f"not {type(interval).__name__}")  # fmt: skip
    if not 0 < interval < float("inf"):
        raise ValueError(f"{caller}(interval={interval!r}): interval must be a number of seconds above 0")
    return interval


def _checked_queue(queue: Any, caller: str) -> Any:
    if not callable(getattr(queue, "qsize", None)):
        why = "; a SimpleQueue cannot say its size" if "SimpleQueue" in type(queue).__name__ else ""
        raise TypeError(f"{caller}(queue={queue!r}): expected a queue with a qsize() method (minimp.Queue, "
                        f"JoinableQueue, multiprocessing.Queue), not {type(queue).__name__}{why}")  # fmt: skip
    return queue


def _png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()
