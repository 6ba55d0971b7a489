"""What a live view sees (tracing/inflight.py), from the events alone.

A trace never asks a pool what runs: it is told (pools/events.py). These
stories tell a trace the events a pool of two workers would send, by hand
and with chosen times, and read its snapshot after each step.
"""

import minimp
from minimp.pools.events import JobEnded, JobsQueued, JobSent, WorkerExited, WorkerReady, WorkerStarted


def job_ended(job, first_task, pid, times=None, ended=None, status="error", skip=(), failures=None):
    """The outcomes of job `job`, two tasks of `work` from `first_task`, on worker `pid` (100 + its index)."""
    return JobEnded(job=job, call=1, function="work", first_task=first_task, start=first_task - 2,
                    arguments=[first_task, first_task + 1], star=False, skip=frozenset(skip),
                    failures=failures or {}, status=status, submitted=2.0, times=times,
                    ended=ended if ended is not None else times[-1] + 0.01,
                    worker=None if pid is None else pid - 100, pid=pid, args_size=0, result_size=0)  # fmt: skip


def running(snap):
    """(worker, pid, first task, since) of each job running in the snapshot."""
    assert all(job.task is None for job in snap.running)  # the events do not say which task of a job runs
    return sorted((job.worker, job.pid, job.first_task, job.since) for job in snap.running)


def alive(snap):
    return [(w.index, w.pid, w.ready) for w in snap.workers if w.exited is None]


def test_a_snapshot_follows_jobs_from_queued_to_sent_to_ended_and_requeued():
    with minimp.trace() as t:
        # Two workers start; four jobs of two tasks each wait for them.
        for index in (0, 1):
            t.record(WorkerStarted(index, 100 + index, 1.0))
            t.record(WorkerReady(index, 100 + index, 1.1))
        for job, first_task in [(1, 2), (2, 4), (3, 6), (4, 8)]:
            t.record(JobsQueued(1, "work", [(job, first_task, 2)], 2.0))
        snap = t.snapshot()
        assert (running(snap), snap.queued) == ([], 8)
        assert alive(snap) == [(0, 100, 1.1), (1, 101, 1.1)]

        # Each worker is sent a job, then a second one that waits behind it in its task pipe.
        t.record(JobSent(1, 0, 100, 2.1))
        t.record(JobSent(3, 1, 101, 2.1))
        t.record(JobSent(2, 0, 100, 2.2))
        t.record(JobSent(4, 1, 101, 2.2))
        snap = t.snapshot()
        assert (running(snap), snap.queued) == ([(0, 100, 2, 2.1), (1, 101, 6, 2.1)], 0)

        # Job 1 ends: worker 0 begins job 2 when job 1's last task ended, not when it was sent.
        t.record(job_ended(1, 2, 100, times=[2.1, 2.3, 2.5]))
        snap = t.snapshot()
        assert running(snap) == [(0, 100, 4, 2.5), (1, 101, 6, 2.1)]
        assert [r.id for r in snap.tasks] == [2, 3]

        # Worker 1 dies under job 3: job 4, which it never began, waits again; job 3 crashed.
        t.record(WorkerExited(1, 101, 1.0, 1.1, 2.6, -9))
        t.record(JobsQueued(1, "work", [(4, 8, 2)], 2.6))
        t.record(job_ended(3, 6, 101, ended=2.6, status="crashed", failures={0: OSError("died"), 1: OSError("died")}))
        snap = t.snapshot()
        assert (running(snap), snap.queued) == ([(0, 100, 4, 2.5)], 2)
        assert alive(snap) == [(0, 100, 1.1)]
        assert [(w.pid, w.exitcode) for w in snap.workers if w.exited is not None] == [(101, -9)]

        # Its replacement starts, and is sent job 4 once it is ready.
        t.record(WorkerStarted(1, 102, 2.7))
        assert alive(t.snapshot()) == [(0, 100, 1.1), (1, 102, None)]
        t.record(WorkerReady(1, 102, 2.8))
        t.record(JobSent(4, 1, 102, 2.9))
        snap = t.snapshot()
        assert (running(snap), snap.queued) == ([(0, 100, 4, 2.5), (1, 102, 8, 2.9)], 0)
        assert alive(snap) == [(0, 100, 1.1), (1, 102, 2.8)]

    # Ended, the trace shows only its records: nothing runs or waits any more.
    snap = t.snapshot()
    assert (snap.running, snap.queued) == ([], 0)
    assert [(w.pid, w.exited) for w in snap.workers] == [(101, 2.6)]
    assert [(r.id, r.status) for r in snap.tasks] == [(2, "ok"), (3, "ok"), (6, "crashed"), (7, "crashed")]


def test_a_job_that_ends_in_parts_waits_with_the_tasks_it_has_left():
    with minimp.trace() as t:
        t.record(WorkerStarted(0, 100, 1.0))
        t.record(WorkerReady(0, 100, 1.1))
        t.record(JobsQueued(1, "work", [(1, 2, 2)], 2.0))
        # Task 3's arguments cannot be pickled: it fails before the job is sent.
        t.record(job_ended(1, 2, None, ended=2.05, skip={0}, failures={1: TypeError("cannot pickle")}))
        snap = t.snapshot()
        assert (running(snap), snap.queued, [r.id for r in snap.tasks]) == ([], 1, [3])
        # Task 2 travels alone, and ends.
        t.record(JobSent(1, 0, 100, 2.1))
        assert (running(t.snapshot()), t.snapshot().queued) == ([(0, 100, 2, 2.1)], 0)
        t.record(job_ended(1, 2, 100, times=[2.1, 2.2], skip={1}))
        snap = t.snapshot()
        assert (running(snap), snap.queued, [r.id for r in snap.tasks]) == ([], 0, [3, 2])
