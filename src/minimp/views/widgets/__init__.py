"""Views of processes, queues and pools for notebooks, made of ipywidgets.

- timeline.py: the worker timeline of a pool, live or after the run, and
  several traces compared on one time axis;
- processes.py: a live table of processes;
- queues.py: a queue's depth over time;
- view.py: what they share, a thread that keeps a view up to date.

Each view also leaves a PNG in the notebook file, so a saved notebook shows
its picture where widgets do not run (GitHub, nbviewer).

Read next: `views/widgets/view.py`.
"""

from ...runtime.process import exit_meaning
from .processes import Lifetime, ProcessTable, watch_processes
from .queues import QueueDepth, watch_queue
from .timeline import CompareView, TimelineView, compare, live_timeline

__all__ = [
    "TimelineView", "CompareView", "live_timeline", "compare",
    "ProcessTable", "Lifetime", "watch_processes", "QueueDepth", "watch_queue", "exit_meaning",
]  # fmt: skip
