"""Where a task's time went: the bars of sending a job and of returning its results.

A task's bar is the time it ran. Around it, its job travels (chapter 8): the
pool pickles the arguments and writes them into the worker's pipe, the
worker reads and unpickles them, runs the tasks, pickles the results and
writes them back, and the pool reads and unpickles them. A trace records
when the pool took each job to pickle and send it (`TaskRecord.sent`) and
when its outcome was back (`returned`), so the timeline draws, in each
worker's lane::

    [sending][task][task][task][returning]      a chunk of three tasks
     ^ sent   ^ started         ^ finished ^ returned

- **sending**: from the moment the pool took the job (or, if it waited in
  the pipe behind the jobs before it, from the end of those: the worker was
  busy until then) to its first task's start: pickling the arguments, the
  pipe, unpickling them in the worker;
- **returning**: from its last task's end to the moment the pool had the
  outcomes: pickling the results, the pipe, unpickling them in the pool.

A map of big arguments (chapter 8's arrays) is mostly sending; a map of
tiny tasks in chunks of one is mostly the two. A trace of the standard
library's pools (`traced()`) knows neither moment, and draws no segment.

Read next: `views/plot.py`, which draws a layout with matplotlib.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..tracing import TaskRecord

__all__ = ["SEGMENTS", "segments"]

SEGMENTS = ("sending", "returning")  # kinds of bar, drawn thinner than a task's


def segments(tasks: list[TaskRecord], row: dict, origin: float, make) -> list:
    """The sending and returning bars of each job of `tasks`, in lane `row[worker]`, in seconds
    since `origin` (`make`: layout's Bar). Neither covers a task: a worker that ran its next job
    while the pool read the last one's results shows the returning cut where that job began."""
    jobs: dict[tuple, list[TaskRecord]] = {}  # (worker pid, when sent): one job's tasks
    for task in tasks:
        if task.sent is not None and task.started is not None and task.returned is not None:
            jobs.setdefault((task.pid, task.sent), []).append(task)
    by_worker: dict[int, list] = {}
    for (pid, sent), job in jobs.items():
        by_worker.setdefault(pid, []).append((min(t.started for t in job), max(t.finished for t in job), sent, job))
    made = []
    for runs in by_worker.values():
        runs.sort(key=lambda run: run[0])
        for number, (first, last, sent, job) in enumerate(runs):
            head, lane, returned = job[0], row[job[0].worker], job[0].returned
            begin = max(sent, runs[number - 1][1] if number else sent)  # not while it waited behind the job before
            until = min(returned, runs[number + 1][0] if number + 1 < len(runs) else returned)
            if first > begin:
                made.append(make(lane, begin - origin, first - origin, "sending", head.id, head.function, len(job)))
            if until > last:
                made.append(make(lane, last - origin, until - origin, "returning", job[-1].id, head.function, len(job)))
    return made
