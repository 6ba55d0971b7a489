"""Sending ahead: short jobs wait in a busy worker's task pipe, several written at once.

A worker that finishes a job reads the next one from its task pipe. If the pool's
thread sends a job only once the worker has said Done, the worker waits for that
trip every time: for a task of a few microseconds, the trip is most of the work.
So a worker busy with a *short* job is sent more, to wait in its pipe::

    pool's thread                       task pipe                 worker
    send(job 1)             ─▶ [job 1]                    ─▶      runs job 1
    send([2, 3, 4]): one write(2) ─▶ [job 2][job 3][job 4] ─▶     Done 1, then job 2 at once

How many: as many as take about `AHEAD_SECONDS` to run, by how long the last job of
the same function took (at most `MAX_AHEAD`), and none if it took `SHORT` or more:
a long job waiting behind another could have run on a worker that is free by then.
Never more than a fair share of the jobs queued (their number over the workers'): one
quick first task made the rest of a map look quick, and all of it went to one worker,
leaving the other idle with nothing to take (`trace.summary()` showed 9 tasks to 3).
They go in one write(2) once half of them have been run. And never more bytes
than the pipe holds (`room`): a worker blocked writing its
results while we are blocked writing its jobs would wait for us for ever, and we for it.

Limits: a job sent ahead stays with its worker: if the worker dies, the loop puts it
back in the queue (loop.py's on_exit); it is never moved to an idle worker.

Read next: `pools/crew.py`, the workers of one pool, by place.
"""

from __future__ import annotations

from ..runtime.connection import HEADER

__all__ = ["Ahead", "SHORT", "AHEAD_SECONDS", "MAX_AHEAD", "PIPE_ROOM"]

SHORT = 0.01  # seconds: a job whose function's last job took this long or more is not sent ahead
AHEAD_SECONDS = 0.002  # about this much work waits in a busy worker's pipe
MAX_AHEAD = 32  # jobs waiting in one worker's pipe, at most
PIPE_ROOM = 64 << 10  # bytes a pipe holds (Linux's default): jobs waiting in it never need more


class Ahead:
    """How long each function's last job took, and how many of its jobs a busy worker may be sent."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}  # function name -> how long its last job took

    def ended(self, name: str, worker, now: float) -> None:
        """A job of `name` ended on `worker`: it ran since its worker began it (or finished the one before)."""
        self.seconds[name] = now - worker.head_since
        worker.head_since = now

    def wanted(self, worker, name: str | None, fair: int) -> int:
        """How many jobs of function `name` to send the busy `worker` now: none while half its share
        still waits in its pipe, then enough to fill it (one write for many, not one for each).
        Its share is at most `fair`, the jobs queued per worker."""
        recent = self.seconds.get(name)
        if recent is None or recent >= SHORT:
            return 0
        share = max(1, min(MAX_AHEAD, fair, int(AHEAD_SECONDS / max(recent, 1e-9))))
        waiting = len(worker.jobs) - 1  # (the first is running: the worker read it)
        return share - waiting if waiting <= share // 2 else 0

    @staticmethod
    def room(worker) -> int:
        """Bytes of jobs that still fit in the worker's pipe, behind those waiting there."""
        return PIPE_ROOM - sum(len(job.message) + HEADER.size for job in list(worker.jobs)[1:])
