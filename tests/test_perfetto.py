"""Exporting a trace for Perfetto (perfetto.py), told as small stories.

Most stories build a trace by hand, so that every time is known: an empty
trace; one task; tasks that never started; a worker that was replaced and
others that ended badly; clocks that disagree by a few microseconds; tasks
recorded by traced(); a bad path. The last story runs a real pool and opens
the file it wrote.
"""

import json
import signal

import pytest

import minimp
from minimp.views.perfetto import trace_events
from minimp.tracing import Snapshot, TaskRecord, Trace, WorkerRecord


def square(x):
    return x * x


# -- helpers ----------------------------------------------------------------------------


def task(id=1, worker=0, pid=12, submitted=100.0, started=100.25, finished=100.5, status="ok", **fields):
    """A TaskRecord of call 7 with times in seconds: only what a story cares about changes."""
    fields = {"call": 7, "index": id - 1, "function": "square", "args": f"({id},)", **fields}
    return TaskRecord(id=id, submitted=submitted, started=started, finished=finished,
                      worker=worker, pid=pid, status=status, **fields)  # fmt: skip


def a_trace(tasks=(), workers=(), started=100.0):
    """A finished trace holding these records, as `with minimp.trace()` leaves one."""
    t = Trace()
    t._tasks, t.workers = list(tasks), list(workers)
    t.started, t.finished = started, 200.0
    return t


def events(trace, ph):
    return [e for e in trace_events(trace)["traceEvents"] if e["ph"] == ph]


def track_names(trace):
    """(pid, tid) -> the track's name, from the "M" thread_name events."""
    return {(e["pid"], e["tid"]): e["args"]["name"] for e in events(trace, "M") if e["name"] == "thread_name"}


# -- the stories ------------------------------------------------------------------------


def test_an_empty_trace_is_a_file_with_no_events(tmp_path):
    path = a_trace().to_perfetto(tmp_path / "empty.json")
    assert path == str(tmp_path / "empty.json")
    with open(path) as file:
        assert json.load(file) == {"traceEvents": [], "displayTimeUnit": "ms"}


def test_one_task_is_one_bar_on_its_workers_track():
    t = a_trace([task()])
    (bar,) = events(t, "X")
    assert bar == {
        "ph": "X", "name": "square", "cat": "ok", "pid": 1, "tid": 1,
        "ts": 250000.0, "dur": 250000.0,  # microseconds since the trace began
        "args": {"task": 1, "call": 7, "args": "(1,)", "status": "ok", "waited ms": 250.0},
    }  # fmt: skip
    assert [(e["name"], e["args"]) for e in events(t, "M")] == [
        ("process_name", {"name": "minimp pool"}),
        ("thread_name", {"name": "worker 0 (pid 12)"}),
        ("thread_sort_index", {"sort_index": 1}),
    ]


def test_a_task_that_never_started_is_a_mark_not_a_gap():
    crashed = task(1, worker=1, pid=13, started=None, finished=101.0, status="crashed", error="WorkerDiedError: …")
    cancelled = task(2, worker=None, pid=None, started=None, finished=102.0, status="cancelled")
    t = a_trace([crashed, cancelled])
    assert events(t, "X") == []
    marks = events(t, "i")
    assert [(m["name"], m["cat"], m["s"], m["ts"]) for m in marks] == [
        ("square", "crashed", "t", 1e6),
        ("square", "cancelled", "t", 2e6),
    ]
    assert marks[0]["args"]["error"] == "WorkerDiedError: …"
    assert "waited ms" not in marks[0]["args"]  # it never started: no wait to tell
    names = track_names(t)
    assert names[(1, marks[0]["tid"])] == "worker 1 (pid 13)"
    assert names[(1, marks[1]["tid"])] == "not run"
    assert marks[1]["tid"] == 3  # after the last worker's track (worker 1 is tid 2)


def test_a_replaced_worker_shares_its_lane_with_its_replacement():
    workers = [
        WorkerRecord(0, pid=12, started=100.0, ready=100.1, exited=101.0, exitcode=-signal.SIGKILL),
        WorkerRecord(0, pid=34, started=101.0, ready=101.2, exited=103.0, exitcode=-signal.SIGTERM),
    ]
    tasks = [task(1, pid=12, started=100.5, finished=100.6), task(2, pid=34, started=102.0, finished=102.5)]
    t = a_trace(tasks, workers)
    assert track_names(t) == {(1, 1): "worker 0 (pids 12, 34)"}
    timeline = [(e["ph"], e["name"], e["ts"]) for e in trace_events(t)["traceEvents"] if e["ph"] not in "MC"]
    assert timeline == [
        ("X", "start-up", 0.0),
        ("X", "square", 500000.0),
        ("i", "exited: killed by SIGKILL", 1e6),
        ("X", "start-up", 1e6),
        ("X", "square", 2e6),
    ]  # no mark for the SIGTERM: that is how a pool stops its workers
    assert events(t, "X")[0]["dur"] == pytest.approx(100000.0)  # 0.1 s from start to ready


def test_a_worker_that_exits_with_a_code_or_never_gets_ready_says_so():
    workers = [
        WorkerRecord(0, pid=12, started=100.0, ready=100.1, exited=101.0, exitcode=0),  # clean: no mark
        WorkerRecord(1, pid=13, started=100.0, ready=100.1, exited=101.0, exitcode=3),
        WorkerRecord(2, pid=14, started=100.0, ready=None, exited=100.5, exitcode=1),  # its initializer failed
    ]
    t = a_trace(workers=workers)
    marks = [(e["tid"], e["name"]) for e in events(t, "i")]
    assert marks == [(3, "exited: an exception (or exit(1))"), (2, "exited: exit(3)")]  # in time order: 100.5 s, then 101 s
    never_ready = [e for e in events(t, "X") if e["tid"] == 3]
    assert [(e["name"], e["dur"]) for e in never_ready] == [("start-up (never ready)", 500000.0)]


def test_clocks_that_disagree_by_microseconds_never_make_a_negative_bar():
    # Submit time is read by the parent, start and finish by the worker: a few
    # microseconds of disagreement can put a start before its submit.
    early_start = task(1, submitted=100.5, started=100.499998, finished=100.6)
    early_finish = task(2, submitted=100.0, started=100.7, finished=100.699997)
    t = a_trace([early_start, early_finish])
    bars = {e["args"]["task"]: e for e in events(t, "X")}
    assert bars[1]["args"]["waited ms"] == 0.0
    assert bars[2]["dur"] == 0.0
    assert all(e["dur"] >= 0 for e in events(t, "X"))


def test_events_are_in_time_order_and_start_at_the_earliest_record():
    # A pool made before the trace began started its worker before the trace did.
    workers = [WorkerRecord(0, pid=12, started=99.0, ready=99.5, exited=102.0, exitcode=0)]
    t = a_trace([task(i, started=101.0 - i / 10, finished=101.5) for i in range(1, 4)], workers, started=100.0)
    times = [e["ts"] for e in trace_events(t)["traceEvents"] if e["ph"] != "M"]
    assert times == sorted(times)
    assert times[0] == 0.0  # the worker's start, not a negative time


def test_tasks_recorded_by_traced_get_a_process_of_their_own():
    stdlib = [task(1, call=0, submitted=None, pid=50), task(2, call=0, worker=1, submitted=None, pid=51)]
    t = a_trace(stdlib + [task(3)])
    processes = {e["pid"]: e["args"]["name"] for e in events(t, "M") if e["name"] == "process_name"}
    assert processes == {1: "minimp pool", 2: "standard library pool (traced())"}
    assert track_names(t) == {(1, 1): "worker 0 (pid 12)", (2, 1): "worker 0 (pid 50)", (2, 2): "worker 1 (pid 51)"}


def test_a_snapshot_exports_too_with_its_live_workers():
    alive = WorkerRecord(0, pid=12, started=100.0, ready=100.1, exited=None, exitcode=None)
    snapshot = Snapshot([task()], [alive], running=[], queued=0, started=100.0, now=150.0)
    assert [e["name"] for e in events(snapshot, "X")] == ["start-up", "square"]
    assert events(snapshot, "i") == []  # alive: no exit to mark


def test_to_perfetto_names_a_bad_path(tmp_path):
    with pytest.raises(TypeError, match=r"to_perfetto\(path=42\): path must be a file name .*not int"):
        a_trace().to_perfetto(42)
    with pytest.raises(IsADirectoryError, match="path is a directory; give a file name, e.g. .*trace.json"):
        a_trace().to_perfetto(tmp_path)


# -- a real pool ----------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_a_real_pool_gives_one_track_per_worker_and_one_bar_per_task(ctx, tmp_path):
    with minimp.trace() as t:
        with minimp.Pool(2, context=ctx) as pool:
            assert pool.map(square, range(6), chunksize=1) == [x * x for x in range(6)]
    with open(t.to_perfetto(tmp_path / "pool.json")) as file:
        exported = json.load(file)

    names = {e["args"]["name"] for e in exported["traceEvents"] if e["name"] == "thread_name"}
    assert names == {f"worker {w.index} (pid {w.pid})" for w in t.workers}
    assert len(names) == 2
    # (A worker that started late may never have been ready: all six tasks
    # went to the other one, and its start-up ends when the pool stops it.)
    bars = [e for e in exported["traceEvents"] if e["ph"] == "X" and e["cat"] != "worker"]
    assert sorted(e["args"]["task"] for e in bars) == sorted(r.id for r in t.tasks)
    assert {(e["name"], e["cat"]) for e in bars} == {("square", "ok")}
    for bar in bars:  # each on the track of the worker that ran it
        record = next(r for r in t.tasks if r.id == bar["args"]["task"])
        assert bar["tid"] == record.worker + 1 and bar["ts"] >= 0 and bar["dur"] >= 0
