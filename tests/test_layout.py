"""The timeline's layout (layout.py), on hand-made traces: lanes, bars and the header's sums."""

import pytest

from minimp.views import layout
from minimp.tracing import RunningJob

from traces import T0, snapshot, task, worker


def runs(view):
    return [bar for bar in view.bars if bar.kind in layout.RUNS]


def test_zero_tasks_give_an_empty_timeline_with_zero_figures():
    view = layout.layout(snapshot())
    assert view.lanes == [] and view.bars == [] and view.end == 0.0
    assert view.summary == layout.Summary(done=0, total=0, failed=0, wall=0.0, busy=0.0, parallelism=0.0)
    assert view.summary.header() == "0/0 tasks · 0 s · busy 0 % · parallelism 0.00"


def test_one_task_is_one_bar_on_its_workers_lane_with_its_wait_and_the_start_up():
    view = layout.layout(snapshot([task(2, 0, T0 + 0.010, T0 + 0.030)], [worker(0)]))
    assert [lane.label for lane in view.lanes] == ["worker 0 · pid 100"]
    kinds = [(bar.kind, round(bar.start, 6), round(bar.end, 6)) for bar in view.bars]
    assert kinds == [("start-up", 0.001, 0.002), ("wait", 0.0, 0.01), ("ok", 0.01, 0.03)]
    # One worker busy 20 ms out of the 30 ms from submit to end.
    assert view.summary.done == view.summary.total == 1
    assert view.summary.wall == pytest.approx(0.030)
    assert view.summary.busy == pytest.approx(2 / 3)
    assert view.summary.parallelism == pytest.approx(2 / 3)


def test_two_busy_workers_give_parallelism_two():
    tasks = [task(2 + n, n % 2, T0 + (n // 2) * 0.1, T0 + (n // 2 + 1) * 0.1, submitted=T0) for n in range(6)]
    view = layout.layout(snapshot(tasks, [worker(0), worker(1)]))
    assert [lane.worker for lane in view.lanes] == [0, 1]
    assert len(runs(view)) == 6
    assert view.summary.busy == pytest.approx(1.0)
    assert view.summary.parallelism == pytest.approx(2.0)
    assert layout.overlaps(view.bars) == {0: pytest.approx(0.0), 1: pytest.approx(0.0)}


def test_a_crashed_worker_and_its_replacement_share_a_lane_labelled_with_both_pids():
    tasks = [
        task(2, 0, T0 + 0.01, T0 + 0.02, pid=100),
        task(3, 0, None, T0 + 0.05, status="crashed", pid=100),  # the worker died: no start time
        task(4, 0, T0 + 0.07, T0 + 0.08, pid=101),
    ]
    workers = [worker(0, exited=T0 + 0.05, exitcode=-9, pid=100), worker(0, T0 + 0.05, T0 + 0.06, pid=101)]
    view = layout.layout(snapshot(tasks, workers))
    assert [lane.label for lane in view.lanes] == ["worker 0 · pids 100, 101"]
    crashed = [bar for bar in view.bars if bar.kind == "crashed"]
    # It ran from the end of the lane's previous bar to the crash.
    assert [(round(bar.start, 6), round(bar.end, 6)) for bar in crashed] == [(0.02, 0.05)]
    assert view.summary.failed == 1
    assert view.summary.header().startswith("3/3 tasks (1 failed)")


def test_a_task_still_running_is_a_running_bar_up_to_now_and_counts_in_the_total():
    job = RunningJob(worker=1, pid=101, function="work", first_task=5, size=3, since=T0 + 0.2, task=6)
    view = layout.layout(snapshot([task(2, 0, T0 + 0.1, T0 + 0.2)], [worker(0), worker(1)], [job], queued=4,
                                  now=T0 + 0.5))  # fmt: skip
    running = [bar for bar in view.bars if bar.kind == "running"]
    assert [(bar.lane, bar.task, bar.count) for bar in running] == [(1, 6, 3)]
    assert running[0].end == pytest.approx(0.5)
    assert view.end == pytest.approx(0.5)
    assert (view.summary.done, view.summary.total) == (1, 1 + 3 + 4)


def test_a_task_cancelled_before_any_worker_took_it_sits_in_a_lane_of_its_own():
    view = layout.layout(snapshot([task(2, 0, T0 + 0.1, T0 + 0.2), task(3, None, None, T0 + 0.3, status="cancelled")]))
    assert [lane.label for lane in view.lanes] == ["worker 0 · pid 100", "never ran"]
    cancelled = [bar for bar in view.bars if bar.kind == "cancelled"]
    assert [(bar.lane, bar.start, bar.end) for bar in cancelled] == [(1, pytest.approx(0.3), pytest.approx(0.3))]


def test_clock_skew_of_microseconds_never_makes_negative_bars_or_waits():
    tasks = [
        task(2, 0, T0 + 0.1, T0 + 0.1 - 3e-6),  # ends 3 µs "before" it started
        task(3, 1, T0 - 2e-6, T0 + 0.05, submitted=T0),  # starts 2 µs before the submit and the trace
    ]
    view = layout.layout(snapshot(tasks, [worker(0), worker(1)]))
    assert all(bar.end >= bar.start >= 0.0 for bar in view.bars)
    assert not [bar for bar in view.bars if bar.kind == "wait" and bar.task == 3]
    assert view.summary.busy <= 1.0


def test_overlaps_report_two_tasks_on_one_worker_at_once():
    tasks = [task(2, 0, T0 + 0.0, T0 + 0.2), task(3, 0, T0 + 0.1, T0 + 0.3)]
    assert layout.overlaps(layout.layout(snapshot(tasks)).bars) == {0: pytest.approx(0.1)}


def test_until_replays_the_run_as_it_was_at_a_moment():
    tasks = [task(2 + n, 0, T0 + n * 0.1, T0 + (n + 1) * 0.1) for n in range(4)]
    view = layout.until(layout.layout(snapshot(tasks)), 0.25)
    assert [(bar.task, bar.kind) for bar in runs(view)] == [(2, "ok"), (3, "ok"), (4, "running")]
    assert runs(view)[-1].end == 0.25
    assert view.summary.done == 2 and view.summary.total == 4


def test_window_cuts_bars_to_a_zoom():
    tasks = [task(2 + n, 0, T0 + n * 0.1, T0 + (n + 1) * 0.1) for n in range(4)]
    bars = layout.window(runs(layout.layout(snapshot(tasks))), 0.15, 0.25)
    assert [(bar.task, round(bar.start, 6), round(bar.end, 6)) for bar in bars] == [(3, 0.15, 0.2), (4, 0.2, 0.25)]


def test_merge_joins_bars_closer_than_a_pixel_but_keeps_the_selected_one():
    tasks = [task(2 + n, 0, T0 + n * 0.001, T0 + (n + 1) * 0.001 - 1e-5) for n in range(10_000)]
    bars = runs(layout.layout(snapshot(tasks)))
    merged = layout.merge(bars, resolution=0.01)
    assert len(merged) == 1 and merged[0].count == 10_000 and merged[0].task is None
    kept = layout.merge(bars, resolution=0.01, keep=5000)
    assert [bar.task for bar in kept if bar.task is not None] == [5000]
    assert sum(bar.count for bar in kept) == 10_000


def test_ticks_are_round_numbers():
    assert layout.ticks(0, 1) == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert layout.ticks(0, 0.0123) == [0.0, 0.002, 0.004, 0.006, 0.008, 0.01, 0.012]
    assert layout.ticks(0.5, 0.5) == [0.5]


def test_colours_by_function_differ_per_function_and_failures_keep_their_status_colour():
    groups = {}
    bars = [layout.Bar(0, 0, 1, "ok", 1, "a"), layout.Bar(0, 1, 2, "ok", 2, "b"), layout.Bar(0, 2, 3, "cancelled", 3, "a")]
    colours = [layout.colour(bar, "function", groups) for bar in bars]
    assert colours[0] != colours[1]
    assert colours[2] == layout.COLOURS["cancelled"]
    assert [layout.colour(bar, "status", {}) for bar in bars[:2]] == [layout.COLOURS["ok"]] * 2
