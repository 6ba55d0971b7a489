"""The observation layer: traces of what pools did, for the views to draw.

A pool pushes events (pools/events.py) to the traces that were active when
a call was made; a trace keeps them in a log and makes records of them when
someone reads it. Nothing here calls into a pool, and nothing here draws:
views/ reads the records, and a trace's `plot()`, `timeline()` and
`to_perfetto()` only hand it to views/.

    records.py    TaskRecord, WorkerRecord, MarkRecord, RunningJob, Snapshot: what a trace holds
    log.py        Trace and trace(): the log of events, read into records
    inflight.py   what the events say runs and waits now, for a live view
    traced.py     traced(): records from the standard library's pools

Read next: `tracing/records.py`, what a trace holds.
"""

from .log import Trace, active, trace
from .records import MarkRecord, RunningJob, Snapshot, TaskRecord, WorkerRecord
from .traced import traced

__all__ = ["Trace", "TaskRecord", "WorkerRecord", "MarkRecord", "RunningJob", "Snapshot", "trace", "traced", "active"]
