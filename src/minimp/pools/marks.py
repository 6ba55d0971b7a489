"""Your own spans inside a task: `with minimp.mark("load"):`, seen in Perfetto under the task.

A task's bar says how long it ran, not what it did meanwhile. Name its parts:

    def work(path):
        with minimp.mark("read"):
            data = open(path).read()
        with minimp.mark("count"):
            return len(data.split())

While a trace records, the worker notes each mark's name and its start and end
(time.monotonic(), the one clock of the machine); the marks travel home with the
job's outcome (worker.Done's `marks`), the trace keeps them (`trace.marks`), and
`trace.to_perfetto(path)` draws each one under its task, on the worker's track.

Anywhere else it does nothing and costs next to nothing: in the parent, in an
untraced job, in a standard library worker (there is no job of ours to carry it).

Read next: `runtime/errors.py`, the errors a pool raises, named as in the standard library.
"""

from __future__ import annotations

import contextlib
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["mark", "collecting", "taken"]

_noted: list | None = None  # the running traced job's marks, in a worker; None elsewhere


@contextlib.contextmanager
def mark(name: str) -> Iterator[None]:
    """Note the `with` block as a span called `name`, if a trace records the task that runs it."""
    if not isinstance(name, str):
        raise TypeError(f"mark(name={name!r}): name must be a str, the span's name in Perfetto")
    if _noted is None:
        yield
        return
    start = time.monotonic()
    try:
        yield
    finally:
        if _noted is not None:
            _noted.append((name, start, time.monotonic()))


def collecting() -> None:
    """A traced job begins (worker.run_job): note its marks."""
    global _noted
    _noted = []


def taken() -> list | None:
    """The job has ended: its marks (None if it had none), and no more noting."""
    global _noted
    noted, _noted = _noted, None
    return noted or None
