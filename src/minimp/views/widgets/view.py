"""What every view shares: a thread that keeps it up to date, and a picture
that stays in the notebook file.

A view is an ipywidgets VBox. While a `with` block runs, a thread of the
view's own looks at what it watches (a trace, processes, a queue) and
redraws; the block's end joins the thread and draws the final state:

    cell's thread                          the view's thread (THREAD)
    with watching(view):
      display(view)       the view appears
      view.start()        ───────────────▶ look and redraw; rest; again ...
      ... your code runs ...
      view.stop()         ───────────────▶ told to stop: it ends
      final redraw; the display is updated, now with a PNG of the final state

The thread looks again only once 20 times as long has passed as the next
look will take: so it holds the GIL, which the program's threads (a pool's
thread) need too, at most about 5 % of the time, however big the
picture grows. It expects the next look to cost, per item it reads (an
event of a trace, say), what the last one cost, counted in the thread's
own CPU time; below FEW items, a look costs what drawing at all costs, so
the first look at a handful of events does not make the view rest as if
each later event cost as much (a live view that missed a pool's first
second did that). (CPU time, not the clock's: a look that waited for the GIL
did not cost anything, and must not make the view rest for longer.) While
one look runs, the pool waits for the GIL: a picture of 7,000 tasks,
redrawn every 0.25 s, would slow a pool of tiny tasks by a third.

A saved notebook must show the view where widgets do not run (GitHub,
nbviewer): each display of a view carries a PNG as well as the widget, and
the PNG's text alternative in the output's metadata. Its text/plain is the
same at every redraw, because the notebooks' tests (nbval) compare it with
the stored one.

Read next: `views/widgets/timeline.py`, the view of a pool's workers.
"""

from __future__ import annotations

import base64
import contextlib
import threading
import time

import ipywidgets as widgets

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["LiveView", "watching", "checked_interval"]


class LiveView(widgets.VBox):
    """A view that a thread of its own keeps up to date between start() and stop()."""

    PLAIN = ""  # its text/plain: the same at every redraw, because nbval compares it
    THREAD = ""  # the name of its thread, as threading.enumerate() lists it
    FEW = 200  # items: a look at fewer costs about what a look at this many does

    def __init__(self, children: list, interval: float) -> None:
        super().__init__(children)
        self.interval = interval  # seconds between two looks, at least
        self._lock = threading.RLock()  # one look or redraw at a time: the view's thread and yours
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Look now, then start the view's thread: it looks every `interval` seconds until stop()."""
        if self._thread is not None:
            raise RuntimeError(f"{type(self).__name__}.start(): it is watching already")
        self._stop.clear()
        self.refresh()
        self._thread = threading.Thread(target=self._watch, name=self.THREAD, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the view's thread, then draw the final state."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        self.refresh()

    def _watch(self) -> None:
        """The view's thread: look, and rest while the next look would cost
        more than 1/20 of the time since the last (see the module docstring)."""
        took, items, last = 0.0, 0, time.monotonic()  # nothing measured yet: the first look is now
        while not self._stop.wait(self.interval):
            now_items = self._items()
            expected = took * max(now_items, self.FEW) / max(items, self.FEW)
            if time.monotonic() - last < 20 * expected:
                continue
            began = time.thread_time()
            self.refresh()
            took, items, last = time.thread_time() - began, now_items, time.monotonic()

    def _items(self) -> int:
        """How much there is to read and draw: a look costs about the same per item."""
        return 1

    def refresh(self) -> None:
        """Look at what the view watches, and redraw (each view says how)."""
        raise NotImplementedError

    def png(self) -> bytes:
        """The view's state as a picture, for the notebook file (each view says how)."""
        raise NotImplementedError

    def alt(self) -> str:
        """The PNG's text alternative: what it shows, in words (each view says how)."""
        return self.PLAIN

    def _repr_mimebundle_(self, **kwargs) -> tuple[dict, dict]:
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self.PLAIN
        bundle["image/png"] = base64.b64encode(self.png()).decode()
        # The PNG's alt text, where renderers look for it (nbconvert, IPython's Image(alt=...);
        # the course's site reads it too, site/alt_text.py); nbval does not compare metadata,
        # so it may say this run's figures.
        return bundle, {"image/png": {"alt": self.alt()}}


@contextlib.contextmanager
def watching(view: LiveView) -> Iterator[LiveView]:
    """Show `view` below the cell (in a notebook), keep it up to date while the
    block runs, and leave its final state, with a PNG for the notebook file.
    Outside a notebook, the view still watches and records, and shows nothing."""
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


def checked_interval(interval: object, caller: str) -> float:
    """`interval`, if it is a number of seconds above 0; else a clear error that names `caller`."""
    if isinstance(interval, bool) or not isinstance(interval, (int, float)):
        raise TypeError(f"{caller}(interval={interval!r}): interval must be a number of seconds, "
                        f"not {type(interval).__name__}")  # fmt: skip
    if not 0 < interval < float("inf"):
        raise ValueError(f"{caller}(interval={interval!r}): interval must be a number of seconds above 0")
    return float(interval)
