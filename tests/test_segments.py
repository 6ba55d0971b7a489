"""Where a task's time went (views/segments.py): the bars of a job's arguments and results travelling."""

import time

import pytest
from test_timeline_widget import a_trace
from traces import T0, task, worker

import minimp
from minimp.views.layout import layout
from minimp.views.svg import svg

TWO = [worker(0), worker(1)]


def sent(record, sent, returned):
    return record._replace(sent=sent, returned=returned)


def travels(view):
    return [(bar.kind, bar.lane, round(bar.start, 6), round(bar.end, 6), bar.task, bar.count)
            for bar in view.bars if bar.kind in ("sending", "returning")]  # fmt: skip


def test_a_job_is_sent_then_runs_then_its_results_return():
    records = [sent(task(2, 0, T0 + 0.1, T0 + 0.2), T0 + 0.05, T0 + 0.3)]
    assert travels(layout(a_trace(records, TWO))) == [
        ("sending", 0, 0.05, 0.1, 2, 1), ("returning", 0, 0.2, 0.3, 2, 1)]


def test_a_chunk_travels_once_each_way():
    chunk = [sent(task(2 + i, 0, T0 + 0.1 * (i + 1), T0 + 0.1 * (i + 2)), T0 + 0.02, T0 + 0.45) for i in range(3)]
    assert travels(layout(a_trace(chunk, TWO))) == [
        ("sending", 0, 0.02, 0.1, 2, 3), ("returning", 0, 0.4, 0.45, 4, 3)]


def test_a_job_sent_ahead_is_sending_only_once_its_worker_is_free():
    # Job 3 was sent at 0.05, while worker 0 ran job 2 until 0.2: it waited in the pipe, then
    # took 0.01 s to be read. Job 2's results came back at 0.25, after job 3 had begun: cut there.
    first = sent(task(2, 0, T0 + 0.1, T0 + 0.2), T0 + 0.01, T0 + 0.25)
    ahead = sent(task(3, 0, T0 + 0.21, T0 + 0.3), T0 + 0.05, T0 + 0.31)
    assert travels(layout(a_trace([first, ahead], TWO))) == [
        ("sending", 0, 0.01, 0.1, 2, 1), ("returning", 0, 0.2, 0.21, 2, 1),
        ("sending", 0, 0.2, 0.21, 3, 1), ("returning", 0, 0.3, 0.31, 3, 1)]


def test_records_without_the_moments_draw_no_segment():
    # traced() records of the standard library's pools know neither moment
    assert travels(layout(a_trace([task(2, 0, T0 + 0.1, T0 + 0.2)], TWO))) == []


def test_the_picture_draws_them_thin_and_names_them_on_hover():
    records = [sent(task(2, 0, T0 + 0.1, T0 + 0.2), T0 + 0.05, T0 + 0.3)]
    picture = svg(layout(a_trace(records, TWO)))
    assert 'height="8" fill="#CC79A7" class="bar sending"><title>sending: the job of task 2 (work), its arguments' in picture
    assert 'class="bar returning"><title>returning: the job of task 2 (work), its results back to the pool: 100.00 ms' in picture


def echo(data):
    return data


@pytest.mark.timeout(60)
def test_big_arguments_and_results_show_as_long_travels():
    # Chapter 8's lesson, seen: a task that returns its 8 MB argument spends more time
    # travelling (pickled, piped, unpickled, both ways) than running.
    big = b"x" * (8 << 20)
    with minimp.Pool(2) as pool:
        pool.map(echo, [1, 2])
        with minimp.trace() as trace:
            assert pool.map(echo, [big] * 4, chunksize=1) == [big] * 4
    assert all(r.sent < r.started < r.finished < r.returned for r in trace.tasks)
    view = layout(trace)
    seconds = {kind: sum(b.end - b.start for b in view.bars if b.kind == kind) for kind in ("ok", "sending", "returning")}
    assert seconds["sending"] > seconds["ok"] and seconds["returning"] > seconds["ok"], seconds
