"""Progress bars: how far a map has got, while it runs.

    pool.map(square, range(1000), progress=True)
    square: 100%|██████████| 1000/1000 [00:02<00:00, 480.17task/s]

`Pool.map`, `starmap`, `imap` (and their `_async` forms) and
`ProcessPoolExecutor.map` take `progress=True` (a bar named after the
function) or `progress="a description"`. Drawing is not the lesson: the bar
is tqdm's (`tqdm.auto`: a widget in Jupyter, a line on stderr in a
terminal). What is minimp's is *when* it moves::

    caller's thread                        the pool's thread (loop.py)
    pool.map(f, xs, progress=True)
      Call(...)      checks the argument, makes the bar
      queue(jobs)    ─────────────────────▶ a job ends: job_ended(job) (results.py)
      bar.show()     the bar appears          1. bar.ended(its tasks): the last closes it
      result.get() ... waits ...  ◀────────── 2. its results are delivered

A job at a time, by its tasks that ended, failed ones too (a crash,
`terminate()`, a broken executor; a future cancelled before it ran ends when
its job is packed, jobs.py): so the bar closes exactly once, before the
caller gets the last result; a call of no tasks shows a closed bar.
`submit()` has no `progress=` (each future ends on its own): wrap the wait
instead, `tqdm(as_completed(futures), total=len(futures))`.

Limits: tqdm is imported only when a bar is asked for (spawned children
import minimp; they should not pay for tqdm); its first bar starts tqdm's
own monitor thread. The bar counts tasks that ended, not results you have
read: an `imap` bar can be full while you are still iterating.

Read next: `pools/stacks.py`, where each worker is now, when you ask.
"""

from __future__ import annotations

import threading
from typing import Any  # (jobs.py, which imports this module, has loaded typing already)

from ..runtime.extras import warn_extra

__all__ = ["ProgressBar", "progress_bar"]


def progress_bar(progress: Any, total: int, name: str) -> ProgressBar | None:
    """The bar for a call of `total` tasks of function `name`, or None, from the user's `progress`:
    False or None (no bar), True (a bar named `name`) or a description, checked before any work starts."""
    if progress is None or progress is False:
        return None
    if progress is not True and not isinstance(progress, str):
        raise TypeError(f"progress must be True, False or a description string, not {progress!r}")
    warn_extra("progress=")  # once: the standard library's maps would refuse it (runtime/extras.py)
    from tqdm.auto import tqdm  # here, not at the top: see "Limits" above
    return ProgressBar(tqdm, total, name if progress is True else progress)


class ProgressBar:
    """The bar of one call: moved on as its tasks end, closed when the last has.

    The caller's thread shows it (in Jupyter, the widget appears in the cell that displays
    it) once the tasks are queued, so a call the pool refuses shows no bar; tasks that end
    before are counted by `ended()`, and `show()` starts the bar where the call already is.
    A lock guards count and bar: `ended()` runs on the pool's thread (or, in `terminate()`,
    the caller's) while the caller runs `show()`.
    """

    def __init__(self, tqdm: type, total: int, description: str):
        self._tqdm, self._description = tqdm, description
        self.total, self.done = total, 0
        self.bar: Any = None  # the tqdm bar, once shown
        self._lock = threading.Lock()

    def show(self) -> None:
        """Show the bar, with the tasks that have already ended."""
        with self._lock:
            self.bar = self._tqdm(total=self.total, initial=self.done, desc=self._description, unit="task")
            if self.done == self.total:
                self.bar.close()

    def set_total(self, total: int) -> None:
        """The call's length, once known: a streamed imap's (streaming.py) when its iterable ends."""
        with self._lock:
            self.total = total
            if self.bar is not None:
                self.bar.total = total
                self.bar.refresh()
                if self.done == total:
                    self.bar.close()

    def ended(self, count: int) -> None:
        """`count` more of the call's tasks have ended (returned, raised, crashed, were cancelled)."""
        with self._lock:
            self.done += count
            if self.bar is not None:
                self.bar.update(count)
                if self.done == self.total:
                    self.bar.close()
