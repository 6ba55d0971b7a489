"""The timeline widget (widgets/timeline.py): its models' state, as the notebook would show it."""

import base64
import html
import re
import threading
import time

import pytest

import minimp
from minimp.tracing import Trace
from minimp.views.widgets import CompareView, TimelineView, compare, live_timeline
from minimp.views.widgets.timeline import PLAIN
from minimp.views.widgets.view import LiveView

from traces import T0, task, worker


def a_trace(tasks=(), workers=()):
    t = Trace()
    t.started, t._tasks, t.workers = T0, list(tasks), list(workers)
    return t


def four_tasks():
    return a_trace(
        [task(2, 0, T0 + 0.00, T0 + 0.10), task(3, 1, T0 + 0.00, T0 + 0.10),
         task(4, 0, T0 + 0.10, T0 + 0.20, status="error"), task(5, 1, T0 + 0.10, T0 + 0.30, function="slow")],
        [worker(0), worker(1)],
    )  # fmt: skip


def bars(view, kind):
    return view.picture.value.count(f'class="bar {kind}"')


def test_the_picture_has_a_lane_per_worker_a_bar_per_task_and_the_header():
    view = TimelineView(four_tasks())
    assert view.picture.value.count('class="lane"') == 2
    assert "worker 0 · pid 100" in view.picture.value
    assert (bars(view, "ok"), bars(view, "error")) == (3, 1)
    assert "4/4 tasks (1 failed)" in view.header.value
    assert view.zoom.max == pytest.approx(0.3)


def test_the_task_slider_shows_one_tasks_details():
    view = TimelineView(four_tasks())
    assert view.task.max == 4
    assert 'stroke-width="3"' not in view.picture.value and 'stroke-dasharray="4 2"' not in view.picture.value
    view.task.value = 3  # the third to start: task 4, which raised
    assert "ValueError: bad" in view.details.value and "(4,)" in view.details.value
    assert 'stroke="#CC79A7" stroke-width="3"' in view.picture.value  # outlined
    view.task.value = 0
    assert "Move the task slider" in view.details.value


def test_replay_shows_the_run_as_it_was_then():
    view = TimelineView(four_tasks())
    view.replay.value = view.replay.max // 2  # 0.15 s
    assert "replay at 0.150 s" in view.header.value
    assert "2/4 tasks" in view.header.value
    assert (bars(view, "ok"), bars(view, "running")) == (2, 2)
    view.replay.value = view.replay.max
    assert bars(view, "running") == 0


def test_the_replay_button_plays_the_run_from_its_start_and_can_be_stopped():
    view = TimelineView(four_tasks())
    seen = []
    view.replay.observe(lambda change: seen.append(change["new"]), names="value")
    view.play.click()
    replay = [thread for thread in threading.enumerate() if thread.name == "minimp-timeline-replay"]
    assert len(replay) == 1 and view.play.description == "■ stop"
    replay[0].join(timeout=10)
    assert seen[0] == 0 and seen[-1] == view.replay.max and seen == sorted(seen) and len(seen) > 40
    assert view.play.description == "▶ replay" and "replay at" not in view.header.value
    view.play.click()  # again, and stop it at once
    view.play.click()
    [thread.join(timeout=10) for thread in threading.enumerate() if thread.name == "minimp-timeline-replay"]
    assert view.replay.value < view.replay.max and "replay at" in view.header.value


def test_zoom_and_colour_change_the_picture():
    view = TimelineView(four_tasks())
    whole = view.picture.value
    view.zoom.value = (0.2, 0.3)
    assert bars(view, "ok") == 1  # only the slow task reaches past 0.2 s
    view.zoom.value = (0.0, 0.3)
    assert view.picture.value == whole
    view.color_by.value = "function"
    assert view.picture.value != whole


def test_the_notebook_keeps_a_png_and_a_text_that_never_changes():
    view = TimelineView(four_tasks())
    bundle, metadata = view._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    assert bundle["text/plain"] == PLAIN
    # The PNG's text alternative says what it shows (nbval does not compare metadata).
    assert metadata == {"image/png": {"alt": "worker timeline: 4/4 tasks (1 failed) · 0.3 s · busy 83 % · parallelism 1.67"}}
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_compare_draws_each_trace_on_one_time_axis():
    view = compare({"one": four_tasks(), "two": a_trace([task(2, 0, T0, T0 + 0.6)], [worker(0)])})
    assert isinstance(view, CompareView) and list(view.panels) == ["one", "two"]
    assert view.zoom.max == pytest.approx(0.6)  # the longer run sets the axis for both
    assert "<b>one</b>: 4/4 tasks" in view.panels["one"].value
    assert base64.b64decode(view._repr_mimebundle_()[0]["image/png"]).startswith(b"\x89PNG")


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match=r"TimelineView\(trace=...\) needs a minimp trace, not list"):
        TimelineView([])
    with pytest.raises(ValueError, match=r"color_by='size'"):
        TimelineView(four_tasks(), color_by="size")
    with pytest.raises(ValueError, match=r"live_timeline\(interval=0\): interval must be a number of seconds above 0"):
        with live_timeline(interval=0):
            pass


def sleepy(seconds):
    time.sleep(seconds)
    return seconds


@pytest.mark.timeout(30)
def test_a_live_view_draws_running_tasks_then_the_final_picture(ctx):
    with minimp.trace() as t:
        view = TimelineView(t, interval=0.02)
        view.start()
        seen_running = False
        with ctx.Pool(2) as pool:
            result = pool.map_async(sleepy, [0.3] * 4, chunksize=1)
            deadline = time.monotonic() + 10
            while not seen_running and time.monotonic() < deadline:
                seen_running = bars(view, "running") > 0
                time.sleep(0.01)
            result.get(timeout=10)
        view.stop()
    assert seen_running
    assert not [thread for thread in threading.enumerate() if thread.name == "minimp-timeline"]
    assert bars(view, "running") == 0
    assert bars(view, "ok") == 4 and "4/4 tasks" in view.header.value


class JumpingView(LiveView):
    """A view whose looks cost 5 ms of CPU time each, however much there is to draw; what there
    is jumps from 1 item to 20 after its second look (a trace: a pool's first events arrive)."""

    THREAD = "minimp-test-view"

    def __init__(self):
        super().__init__([], interval=0.01)
        self.looks = 0

    def _items(self):
        return 1 if self.looks < 2 else 20

    def refresh(self):
        self.looks += 1
        began = time.thread_time()
        while time.thread_time() - began < 0.005:
            pass


@pytest.mark.timeout(30)
def test_a_view_keeps_looking_when_a_few_items_become_a_few_more():
    # It rests while the next look would take more than 1/20 of the time since the last one.
    # The first looks, at 1 item, cost what drawing at all costs: extrapolated to 20 items
    # they said 100 ms a look, and the view rested 2 s, missing a pool's whole first second.
    view = JumpingView()
    view.start()
    deadline = time.monotonic() + 10
    while view.looks < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    looks_before = view.looks
    time.sleep(1.0)
    looks_in_a_second = view.looks - looks_before
    view.stop()
    assert looks_in_a_second >= 3  # 5 ms a look: it may look every 0.1 s


@pytest.mark.timeout(30)
def test_live_timeline_outside_a_notebook_only_traces(ctx):
    with live_timeline() as view:
        with ctx.Pool(2) as pool:
            pool.map(abs, [-1, -2, -3])
    assert sorted(record.args for record in view.trace.tasks) == ["(-1,)", "(-2,)", "(-3,)"]
    assert "3/3 tasks" in view.header.value


def nap(seconds):
    time.sleep(seconds)
    return seconds


@pytest.mark.timeout(40)
def test_a_live_view_shows_where_each_worker_is_when_a_task_seems_stuck(ctx):
    with live_timeline(interval=0.1) as view:
        pool = ctx.Pool(2)
        try:
            result = pool.map_async(nap, [0.02] * 6 + [30], chunksize=1)
            deadline = time.monotonic() + 15  # stuck: 1 s at least, and 10 times the median task
            while "in nap" not in view.stacks.value and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not result.ready()
        finally:
            pool.terminate()
    assert "Where each worker is now" in view.stacks.value and "stuck?" in view.stacks.value
    assert re.search(r"worker \d · pid \d+ · task \d+\n  File .*, line \d+ in nap", html.unescape(view.stacks.value))
    assert view.stacks.value.count("in nap") == 1  # asked once, for the one stuck task


def test_a_finished_traces_view_asks_no_worker():
    view = TimelineView(four_tasks())
    view.refresh()
    assert view.stacks.value == ""


def test_the_task_slider_steps_through_each_task_once_not_its_travels():
    # Each task sent and returned: its sending and returning bars carry its id too.
    tasks = [record._replace(sent=record.started - 0.01, returned=record.finished + 0.01) for record in four_tasks().tasks]
    view = TimelineView(a_trace(tasks, [worker(0), worker(1)]))
    assert view.task.max == 4
    seen = []
    for step in range(1, 5):
        view.task.value = step
        seen.append(re.search(r"<td>(\d+) \(call", view.details.value).group(1))
    assert sorted(seen) == ["2", "3", "4", "5"]
