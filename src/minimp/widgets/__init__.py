"""Views of processes, queues and pools for notebooks, made of ipywidgets.

- timeline.py: the worker timeline of a pool, live or after the run, and
  several traces compared on one time axis;
- processes.py: a live table of processes and a queue's depth over time.

Each view also leaves a PNG in the notebook file, so a saved notebook shows
its picture where widgets do not run (GitHub, nbviewer).

Read next: timeline.py.
"""

from .processes import Lifetime, ProcessTable, QueueDepth, exit_meaning, watch_processes, watch_queue
from .timeline import CompareView, TimelineView, compare, live_timeline

__all__ = ["TimelineView", "CompareView", "live_timeline", "compare",
           "ProcessTable", "QueueDepth", "Lifetime", "watch_processes", "watch_queue", "exit_meaning"]  # fmt: skip
