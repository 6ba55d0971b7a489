"""Gaps that explain themselves (views/gaps.py): each pattern found where it is, and only there."""

import time

import pytest
from test_timeline_widget import a_trace
from traces import T0, snapshot, task, worker

import minimp
from minimp.tracing import RunningJob
from minimp.views.gaps import explain
from minimp.views.layout import layout
from minimp.views.svg import svg

TWO = [worker(0), worker(1)]


def kinds(gaps):
    return [gap.kind for gap in gaps]


def one_chunk_each():
    """Worker 0 got the four slow tasks in one chunk; worker 1 the quick ones, done at once."""
    slow = [task(2 + i, 0, T0 + 0.2 * i, T0 + 0.2 * (i + 1)) for i in range(4)]
    quick = [task(6 + i, 1, T0 + 0.001, T0 + 0.002) for i in range(8)]
    return layout(a_trace(slow + quick, TWO))


def test_a_worker_idle_while_tasks_waited_in_another_s_chunk():
    (gap,) = explain(one_chunk_each(), cpus=2)
    assert (gap.kind, gap.lane) == ("idle", 1)
    assert gap.start == pytest.approx(0.002) and gap.end == pytest.approx(0.8)
    assert gap.line == "worker 1 idle 0.80 s while 3 tasks waited for worker 0"
    assert "Smaller chunks (chunksize)" in gap.why  # what to do about it


def test_one_long_task_last_is_a_tail_not_an_idle_worker():
    view = layout(a_trace([task(2, 0, T0, T0 + 1.0), task(3, 1, T0, T0 + 0.2)], TWO))
    (gap,) = explain(view, cpus=2)
    assert (gap.kind, gap.lane, gap.start, gap.end) == ("tail", 0, pytest.approx(0.2), pytest.approx(1.0))
    assert gap.line == "worker 0 alone for the last 0.80 s: task 2 (work) held the end"


def test_more_workers_busy_than_cpus_is_crowded():
    three = [task(2 + i, i, T0, T0 + 0.5) for i in range(3)]
    view = layout(a_trace(three, [worker(0), worker(1), worker(2)]))
    (gap,) = explain(view, cpus=2)
    assert (gap.kind, gap.lane, gap.start, gap.end) == ("crowded", None, 0.0, 0.5)
    assert gap.line == "3 workers busy at once on 2 CPUs"
    assert explain(view, cpus=4) == [] and explain(view) == []  # enough CPUs, or none said
    picture = svg(view, gaps=explain(view, cpus=2))  # framed across every lane, numbered under them
    assert picture.count('<g class="gap crowded">') == 1 and "1 · 3 workers busy at once on 2 CPUs" in picture
    from minimp.views.plot import png
    assert png(view).startswith(b"\x89PNG")  # the static picture draws it too


def test_a_task_running_far_longer_than_the_others_may_be_stuck():
    done = [task(2 + i, 0, T0 + 0.1 * i, T0 + 0.1 * (i + 1)) for i in range(10)]
    running = [RunningJob(1, 101, "work", 12, 1, T0, 12)]  # worker 1, since 0 s, still running at 3 s
    view = layout(snapshot(done, TWO, running, now=T0 + 3.0))
    assert "stuck?" in kinds(explain(view, cpus=2))
    (gap,) = [gap for gap in explain(view, cpus=2) if gap.kind == "stuck?"]
    assert gap.lane == 1 and gap.line == "task 12 has run for 3.0 s, 30 times the median task: stuck?"
    # Half a second is not stuck, however short the others: a live view must not cry wolf.
    early = layout(snapshot(done[:2], TWO, running, now=T0 + 0.5))
    assert "stuck?" not in kinds(explain(early, cpus=2))


def test_a_balanced_run_has_nothing_to_explain():
    even = [task(2 + i, i % 2, T0 + 0.1 * (i // 2), T0 + 0.1 * (i // 2 + 1)) for i in range(10)]
    assert explain(layout(a_trace(even, TWO)), cpus=2) == []
    assert explain(layout(a_trace([], TWO)), cpus=2) == []


def test_the_picture_frames_numbers_and_says_each_gap():
    view = one_chunk_each()
    picture = svg(view, gaps=explain(view, cpus=2))
    assert picture.count('<g class="gap idle">') == 1
    assert ">1 · worker 1 idle 0.80 s while 3 tasks waited for worker 0<title>Those tasks" in picture
    assert 'stroke-dasharray="4 3"' in picture  # the frame
    assert svg(view, start=0.9, end=1.0, gaps=explain(view, cpus=2)).count('<g class="gap') == 0  # zoomed away


def nap(seconds):
    time.sleep(seconds)


@pytest.mark.timeout(60)
def test_a_real_pool_s_one_chunk_per_worker_is_explained():
    # Chapter 5's run: four slow naps and twelve quick ones, in chunks of 8.
    with minimp.Pool(2) as pool:
        pool.map(nap, [0.0, 0.0])  # both workers ready before the trace begins
        with minimp.trace() as trace:
            pool.map(nap, [0.2] * 4 + [0.0] * 12, chunksize=8)
    figures = trace.summary()
    assert kinds(figures.gaps) == ["idle"], figures.gaps
    slow = max(figures.workers, key=lambda w: w.busy).label.split(" · ")[0]
    assert figures.gaps[0].line.endswith(f"while 7 tasks waited for {slow}")  # the rest of its chunk of 8
    assert "what the timeline shows:" in str(figures)


def test_a_task_travelling_to_its_free_worker_waits_for_no_one():
    # Task 3's big argument takes 0.4 s to reach worker 1, which was free: worker 0 could not have
    # taken it. Worker 1 holds the end alone (a tail); worker 0 is not idle "while a task waited".
    first = task(2, 0, T0, T0 + 0.1)
    travelled = task(3, 1, T0 + 0.5, T0 + 0.52, submitted=T0 + 0.1)._replace(sent=T0 + 0.1, returned=T0 + 0.53)
    gaps = explain(layout(a_trace([first, travelled], TWO)), cpus=2)
    assert [(gap.kind, gap.lane) for gap in gaps] == [("tail", 1)]
    assert gaps[0].line == "worker 1 alone for the last 0.42 s: task 3 (work) held the end"
