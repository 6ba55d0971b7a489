"""A trace's figures as a table: where each worker's time went, and the slowest tasks.

    >>> print(trace.summary())
    12/12 tasks · 0.52 s · busy 81 % · parallelism 1.63

    worker               tasks  start-up      busy  travelling     idle  tasks waited
    worker 0 · pid 4242      6   12.1 ms  421.0 ms      1.2 ms  86.0 ms      401.3 ms
    worker 1 · pid 4243      6   13.0 ms  398.2 ms      1.1 ms 108.0 ms      512.0 ms

    slowest tasks        ran   worker  status  function(arguments)
    task 7          120.4 ms        1  ok      work(7)
    ...

Per worker (a lane of the timeline, layout.py): its **start-up** (the fork or
spawn, then the initializer), the time it was **busy** running tasks, the
time its jobs were **travelling** (their arguments and results pickled and
piped, segments.py), the time it was **idle** (alive, started, with nothing
to do), and how long the tasks it ran had **waited** in the queue before it
took them. A worker idle
while its tasks waited long was not given work in time (a chunk too big on
another worker, say); all workers busy while tasks waited means the pool is
too small for what is asked of it. Then the slowest tasks, with their
arguments: is one kind of input the slow one? Last, what the timeline's
gaps mean, numbered as its picture numbers them (gaps.py).

The same figures are in the timeline widget as a table (its "table" button),
for a reader who cannot see the picture: a screen reader reads a table.

Read next: `views/widgets/view.py`, what every widget shares, then
`views/widgets/timeline.py`, the widget around this picture.
"""

from __future__ import annotations

from html import escape
from typing import NamedTuple

from ..runtime.cpus import cpu_count
from . import layout as timeline
from .gaps import Gap, explain
from .layout import RUNS, by_lane, covered
from .segments import SEGMENTS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..tracing import TaskRecord, Trace

__all__ = ["WorkerFigures", "TraceSummary", "summary"]

SLOWEST = 5  # tasks listed by default


class WorkerFigures(NamedTuple):
    label: str  # the lane's label: "worker 0 · pid 4242"
    tasks: int  # tasks it ended (ok, error, crashed)
    startup: float  # seconds: its start-up (a replaced worker's start-ups add up)
    busy: float  # seconds running tasks
    idle: float  # seconds alive and started, with no task, and no job travelling
    waited: float  # seconds its tasks spent queued before it took them
    travelled: float = 0.0  # seconds its jobs' arguments and results travelled (segments.py)


class TraceSummary(NamedTuple):
    """What `trace.summary()` returns: printed, a text table; in a notebook, an HTML one."""

    header: str  # the timeline's header line
    workers: list[WorkerFigures]
    slowest: list[TaskRecord]  # the longest-running tasks, longest first
    never_ran: int  # tasks that never reached a worker (cancelled, or lost with a crash)
    gaps: list[Gap]  # what the timeline's gaps mean (gaps.py), as its picture numbers them

    def rows(self) -> tuple[list[list[str]], list[list[str]]]:
        """The two tables, as text cells: the workers', then the slowest tasks'."""
        workers = [[w.label, str(w.tasks), _ms(w.startup), _ms(w.busy), _ms(w.travelled), _ms(w.idle), _ms(w.waited)]
                   for w in self.workers]  # fmt: skip
        slowest = [[f"task {t.id}", _ms(t.duration), "" if t.worker is None else str(t.worker), t.status,
                    f"{t.function}{t.args}"] for t in self.slowest]  # fmt: skip
        return workers, slowest

    def __str__(self) -> str:
        workers, slowest = self.rows()
        lines = [self.header, ""] + _text_table(WORKER_COLUMNS, workers)
        if slowest:
            lines += [""] + _text_table(SLOWEST_COLUMNS, slowest)
        if self.never_ran:
            lines += ["", self._never_ran()]
        if self.gaps:
            lines += ["", "what the timeline shows:"]
            lines += [f"{number} · {gap.line}. {gap.why}" for number, gap in enumerate(self.gaps, start=1)]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        workers, slowest = self.rows()
        html = _html_table(f"{self.header}: per worker", WORKER_COLUMNS, workers)
        if slowest:
            html += _html_table(f"the {len(slowest)} slowest tasks", SLOWEST_COLUMNS, slowest)
        if self.never_ran:
            html += f"<p>{self._never_ran()}</p>"
        if self.gaps:
            html += "<p>What the timeline shows:</p><ol>" + "".join(
                f"<li><b>{escape(gap.line)}</b>. {escape(gap.why)}</li>" for gap in self.gaps) + "</ol>"
        return html

    def _never_ran(self) -> str:
        return f"{self.never_ran} task{'s' if self.never_ran > 1 else ''} never reached a worker"


# Each table's columns, and how each aligns: names and words to the left, figures to the right.
WORKER_COLUMNS = {"worker": "<", "tasks": ">", "start-up": ">", "busy": ">", "travelling": ">", "idle": ">",
                  "tasks waited": ">"}  # fmt: skip
SLOWEST_COLUMNS = {"slowest tasks": "<", "ran": ">", "worker": ">", "status": "<", "function(arguments)": "<"}


def summary(source: Trace | timeline.Layout, slowest: int = SLOWEST, cpus: int | None = None) -> TraceSummary:
    """The figures of a trace (or of a layout already computed from one); `cpus`: what the pool
    could use (by default, what this process may: the trace ran here)."""
    if not isinstance(slowest, int) or isinstance(slowest, bool) or slowest < 0:
        raise ValueError(f"summary(slowest={slowest!r}): slowest must be an int >= 0, the number of tasks to list")
    view = source if isinstance(source, timeline.Layout) else timeline.layout(source)
    lanes = by_lane(view.bars)
    workers = []
    for number, lane in enumerate(view.lanes):
        if lane.worker is None:
            continue
        bars = lanes.get(number, [])
        startups = [bar for bar in bars if bar.kind == "start-up"]
        runs = [bar for bar in bars if bar.kind in RUNS]
        travels = [bar for bar in bars if bar.kind in SEGMENTS]
        began = min((bar.start for bar in startups + runs + travels), default=view.end)
        startup, busy, travelled = covered(startups), covered(runs), covered(travels)
        workers.append(WorkerFigures(
            lane.label, sum(bar.kind in RUNS and bar.kind not in ("running", "cancelled") for bar in runs),
            startup, busy, max(0.0, view.end - began - startup - busy - travelled),
            sum(bar.end - bar.start for bar in bars if bar.kind == "wait"), travelled,
        ))  # fmt: skip
    ran = [task for task in view.tasks.values() if task.duration is not None]
    longest = sorted(ran, key=lambda task: task.duration, reverse=True)[:slowest]
    never = sum(task.worker is None for task in view.tasks.values())
    gaps = explain(view, cpu_count() if cpus is None else cpus)
    return TraceSummary(view.summary.header(), workers, longest, never, gaps)


def _ms(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds * 1e3:.1f} ms"


def _text_table(columns: dict[str, str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(cell) for cell in column) for column in zip(columns, *rows)]
    aligns = list(columns.values())

    def line(cells) -> str:
        return "  ".join(f"{cell:{align}{width}}" for cell, align, width in zip(cells, aligns, widths)).rstrip()

    return [line(columns)] + [line(row) for row in rows]


def _html_table(caption: str, columns: dict[str, str], rows: list[list[str]]) -> str:
    sides = ["left" if align == "<" else "right" for align in columns.values()]
    head = "".join(f'<th scope="col">{escape(name)}</th>' for name in columns)

    def row_of(cells: list[str]) -> str:
        figures = "".join(f'<td style="text-align:{side}">{escape(cell)}</td>' for cell, side in zip(cells[1:], sides[1:]))
        return f'<tr><th scope="row" style="text-align:left">{escape(cells[0])}</th>{figures}</tr>'

    body = "".join(row_of(cells) for cells in rows)
    return (f'<table class="minimp-summary" style="font-size:12px"><caption style="text-align:left">'
            f"{escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
