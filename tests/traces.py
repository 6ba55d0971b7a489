"""Hand-made traces for the tests of the timeline (layout, plot, widgets): times
are chosen, not measured, so what a view computes can be checked exactly."""

from minimp.tracing import Snapshot, TaskRecord, WorkerRecord

T0 = 1000.0  # a time.monotonic() reading: the trace began here


def task(id, worker, started, finished, submitted=None, status="ok", pid=None, function="work"):
    return TaskRecord(
        id=id, call=1, index=id - 2, function=function, args=f"({id},)",
        submitted=T0 if submitted is None else submitted, started=started, finished=finished,
        worker=worker, pid=100 + worker if pid is None and worker is not None else pid, status=status,
        error="ValueError: bad" if status == "error" else None,
    )  # fmt: skip


def worker(index, started=T0 + 0.001, ready=T0 + 0.002, exited=T0 + 1.0, exitcode=0, pid=None):
    return WorkerRecord(index, 100 + index if pid is None else pid, started, ready, exited, exitcode)


def snapshot(tasks=(), workers=(), running=(), queued=0, now=T0 + 1.0):
    return Snapshot(list(tasks), list(workers), list(running), queued, T0, now)
