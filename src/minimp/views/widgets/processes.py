"""A live table of processes: their pids, states and exit codes, as they run.

    workers = [minimp.Process(target=work, args=(n,)) for n in range(4)]
    with minimp.widgets.watch_processes(workers) as table:   # a table below the cell ...
        for worker in workers: worker.start()
        for worker in workers: worker.join()                  # ... that changes as they run

**ProcessTable** has a row per process: its name, pid, state, exit code
and what the code means (process.py's `exit_meaning`), and whether it is a
daemon. The state is what the table saw the last time it looked:

    created   a Process object, not started yet: it has no pid
    running   a pid and no exit code yet
    exited    an exit code: 0 ok, 1 an exception (or exit(1)), N exit(N),
              -N killed by signal N (-9: SIGKILL, -15: SIGTERM)
    closed    process.close() was called before the table saw it exit

It remembers when it first saw each state (`table.lifetimes`), and its
picture for the notebook file draws them: one lane per process, from its
start to its exit, coloured by how it ended.

The table only looks, and the program runs as it would unwatched: it
reads `process.pid`, and asks the operating system with waitid(WNOWAIT)
how a child ended without collecting it: the program's own join() still
does (`_peek_exitcode` tells why that matters). It works for minimp's
processes and the standard library's, whose public API is the same. What
it shows is sampled: a change is seen up to `interval` seconds late.

When the block ends the table lets go of the processes and keeps only its
record (`lifetimes`): a widget lives as long as the notebook's kernel, and
a Process it held would keep its file descriptors open as long.

Limits: the processes must be children of this process (as for
`is_alive()`). On macOS before Python 3.13, which lacks waitid(), the table
reads `process.exitcode` instead, which collects an ended child, as
`is_alive()` would.

Read next: `views/widgets/queues.py`, a queue's depth over time.
"""

from __future__ import annotations

import collections
import multiprocessing.process
import os
import time
from dataclasses import dataclass
from html import escape

import ipywidgets as widgets
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from .. import layout, plot
from ...runtime.process import Process, exit_meaning
from .view import LiveView, checked_interval, watching

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from contextlib import AbstractContextManager
    from typing import Any

__all__ = ["ProcessTable", "Lifetime", "watch_processes"]

PROCESS_TYPES = (Process, multiprocessing.process.BaseProcess)  # minimp's and the standard library's


@dataclass
class Lifetime:
    """What a ProcessTable has seen of one process.

    `created`, `started` and `exited` are time.monotonic() moments: when the
    table was given the process, and when it first saw it with a pid and
    with an exit code (up to one `interval` after it happened)."""

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


class ProcessTable(LiveView):
    """A table of processes, one row each, that a thread of its own keeps up to date.

    `processes` are minimp or multiprocessing Process objects, started or
    not; add more later with `table.add(process)`. The table keeps its own
    list: appending to the list you passed does not add a row.
    """

    PLAIN = "minimp process table (run the notebook to use the widget; the picture is stored as PNG)"
    THREAD = "minimp-process-table"

    def __init__(self, processes: Iterable = (), interval: float = 0.2):
        processes = _checked_processes(processes, "ProcessTable")
        self.origin = time.monotonic()  # 0 seconds in the picture; start() moves it to its own moment
        self.lifetimes: list[Lifetime] = []
        self.stopped = False  # True once stop() has let go of the processes
        self.header = widgets.HTML()
        self.table = widgets.HTML()
        super().__init__([self.header, self.table], checked_interval(interval, "ProcessTable"))
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

    def alt(self) -> str:
        return f"process lifetimes: {self.summary()}"

    def summary(self) -> str:
        """One line: how many processes, in which states."""
        counts = collections.Counter(row.state for row in self.lifetimes)
        states = "".join(f" · {counts[state]} {state}" for state in ("created", "running", "exited", "closed")
                         if counts[state])  # fmt: skip
        return f"{len(self.lifetimes)} process{'es' if len(self.lifetimes) != 1 else ''}{states}"

    def start(self) -> None:
        """Start watching; 0 seconds in the picture is now (view.py)."""
        if self.stopped:
            raise RuntimeError("ProcessTable.start(): a table watches once; make a new one")
        self.origin = time.monotonic()
        super().start()

    def stop(self) -> None:
        """Stop watching, take a last look, and let go of the processes (see the module docstring)."""
        super().stop()
        with self._lock:
            for row in self.lifetimes:
                row.process = None
            self.stopped = True

    # -- the picture for the notebook file: process lifetimes --------------------------------

    def png(self) -> bytes:
        """The lifetimes as a PNG: a lane per process from its start to its exit."""
        with self._lock:
            rows, now = list(self.lifetimes), time.monotonic()
        ax = Figure(figsize=(8.6, 1.2 + 0.4 * max(1, len(rows))), layout="constrained").subplots()

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
        ax.set(xlim=(0, end * 1.02), ylim=(len(rows) - 0.5, -0.5), xlabel="seconds since the table began watching")
        ax.set_yticks(range(len(rows)), [row.label for row in rows], fontsize=9)  # (ylim reversed: the first on top)
        ax.grid(axis="x", alpha=0.3)
        ax.set_axisbelow(True)
        ax.set_title(self.summary(), loc="left", fontsize=10)
        kinds = {_kind(row) for row in rows if row.started is not None}
        legend = {label: Patch(facecolor=layout.COLOURS[kind], edgecolor="#000000" if kind in ("error", "crashed")
                               else "none") for kind, label in LIFETIME_LABELS.items() if kind in kinds}  # fmt: skip
        if legend:
            ax.legend(legend.values(), legend.keys(), loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
        return plot.png(ax.figure)


# How a process's lane is coloured, in layout.py's colour-blind-safe palette.
LIFETIME_LABELS = {"ok": "exit code 0", "error": "exit code > 0", "crashed": "killed by a signal", "running": "running"}


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


def watch_processes(processes: Iterable = (), interval: float = 0.2) -> AbstractContextManager[ProcessTable]:
    """Show a ProcessTable of `processes`, live while the `with` block runs (see the
    module docstring): start and join them inside the block, add others with
    `table.add(process)`; after it, `table.lifetimes` holds what the table saw."""
    processes = _checked_processes(processes, "watch_processes")
    return watching(ProcessTable(processes, interval=checked_interval(interval, "watch_processes")))


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
