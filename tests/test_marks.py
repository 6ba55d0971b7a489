"""minimp.mark(name): a task's own spans, in the trace and in Perfetto; and Perfetto's queue counter."""

import json
import multiprocessing
import time

import pytest

import minimp


def work(x):
    with minimp.mark("prepare"):
        time.sleep(0.005)
    with minimp.mark("compute"):
        time.sleep(0.005)
    return x * x


@pytest.mark.timeout(60)
@pytest.mark.parametrize("chunksize", [1, 3])
def test_each_task_s_marks_are_recorded_inside_it(ctx, chunksize):
    with ctx.Pool(2) as pool:
        with minimp.trace() as trace:
            assert pool.map(work, range(6), chunksize=chunksize) == [x * x for x in range(6)]
    marks = trace.marks
    assert sorted(mark.name for mark in marks) == ["compute"] * 6 + ["prepare"] * 6
    pids = {task.pid for task in trace.tasks}
    for mark in marks:
        assert mark.pid in pids and mark.end - mark.start >= 0.004
        # inside one of its worker's tasks
        assert any(t.pid == mark.pid and t.started <= mark.start <= mark.end <= t.finished for t in trace.tasks)


@pytest.mark.timeout(60)
def test_untraced_or_elsewhere_a_mark_does_nothing():
    with minimp.Pool(1) as pool:
        assert pool.map(work, range(3)) == [0, 1, 4]  # no trace: nothing is noted, nothing travels
    with minimp.mark("in the parent"):
        pass
    with multiprocessing.get_context("fork").Pool(1) as std_pool:  # a standard library worker: no job of ours
        assert std_pool.map(work, range(3)) == [0, 1, 4]


def test_a_mark_needs_a_name():
    with pytest.raises(TypeError, match=r"mark\(name=3\): name must be a str"):
        with minimp.mark(3):
            pass


@pytest.mark.timeout(60)
def test_perfetto_nests_the_marks_under_their_task_and_counts_the_queue(tmp_path):
    with minimp.Pool(2) as pool:
        pool.map(work, range(2))
        with minimp.trace() as trace:
            pool.map(work, range(8), chunksize=1)
    events = json.loads((tmp_path / "t.json").read_text()) if trace.to_perfetto(tmp_path / "t.json") else None
    tasks = [e for e in events["traceEvents"] if e["ph"] == "X" and e["cat"] == "ok"]
    marks = [e for e in events["traceEvents"] if e.get("cat") == "mark"]
    assert len(marks) == 16
    for mark in marks:  # on its task's track, within its task's bar: Perfetto draws it under the task
        assert any(t["tid"] == mark["tid"] and t["ts"] <= mark["ts"] and mark["ts"] + mark["dur"] <= t["ts"] + t["dur"] + 1
                   for t in tasks)  # fmt: skip
    depth = [e["args"]["tasks"] for e in events["traceEvents"] if e["ph"] == "C" and e["name"] == "queued tasks"]
    assert max(depth) == 8 and depth[-1] == 0  # all eight queued at once; none left at the end
