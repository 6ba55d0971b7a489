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

The thread rests between looks at least 20 times as long as its last look
took, counted in the thread's own CPU time: so it holds the GIL, which the
program's threads (a pool's result loop) need too, at most about 5 % of the
time, however big the picture grows. (CPU time, not the clock's: a look
that waited for the GIL did not cost anything, and must not make the view
rest for longer.)

A saved notebook must show the view where widgets do not run (GitHub,
nbviewer): each display of a view carries a PNG as well as the widget. Its
text/plain is the same at every redraw, because the notebooks' tests
(nbval) compare it with the stored one.

Read next: timeline.py, the view of a pool's workers.
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
        """The view's thread: refresh, rest (see the module docstring), until stop()."""
        took = 0.0
        while not self._stop.wait(max(self.interval, 20 * took)):
            began = time.thread_time()
            self.refresh()
            took = time.thread_time() - began

    def refresh(self) -> None:
        """Look at what the view watches, and redraw (each view says how)."""
        raise NotImplementedError

    def png(self) -> bytes:
        """The view's state as a picture, for the notebook file (each view says how)."""
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs) -> dict:
        bundle = super()._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = self.PLAIN
        bundle["image/png"] = base64.b64encode(self.png()).decode()
        return bundle


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
