"""trace.summary(): where each worker's time went, and the slowest tasks, as a table.
And what the views give a reader who cannot see them or reads in the dark theme."""

import re
import time

import pytest
from test_timeline_widget import a_trace, four_tasks
from traces import T0, task, worker

import minimp
from minimp.views.summary import TraceSummary, WorkerFigures, summary
from minimp.views.svg import THEME, svg
from minimp.views.layout import layout
from minimp.views.widgets.queues import _depth_svg
from minimp.views.widgets.timeline import TimelineView


def test_each_worker_has_its_start_up_busy_idle_and_waiting_time():
    figures = four_tasks().summary()
    assert isinstance(figures, TraceSummary)
    assert figures.header == "4/4 tasks (1 failed) · 0.3 s · busy 83 % · parallelism 1.67"
    zero, one = figures.workers
    assert zero == WorkerFigures("worker 0 · pid 100", 2, pytest.approx(0.001), pytest.approx(0.2),
                                 pytest.approx(0.099), pytest.approx(0.1))  # fmt: skip
    assert one.label == "worker 1 · pid 101" and one.tasks == 2
    assert one.busy == pytest.approx(0.3) and one.idle == 0.0  # busy to the end: never idle
    assert one.waited == pytest.approx(0.1)  # task 5 waited from the submit at 0 s to its start at 0.1 s


def test_the_slowest_tasks_come_longest_first_with_their_arguments():
    figures = four_tasks().summary(slowest=2)
    assert [t.id for t in figures.slowest] == [5, 2]
    lines = str(figures).splitlines()
    first = lines.index("slowest tasks       ran  worker  status  function(arguments)")
    assert lines[first : first + 3] == [
        "slowest tasks       ran  worker  status  function(arguments)",
        "task 5         200.0 ms       1  ok      slow(5,)",
        "task 2         100.0 ms       0  ok      work(2,)",
    ]
    assert not any(line.startswith("task 3") for line in lines)
    assert four_tasks().summary(slowest=0).slowest == []


def test_the_text_table_lines_up_and_says_what_never_ran():
    trace = a_trace([task(2, 0, T0, T0 + 0.5), task(3, None, None, T0 + 0.5, status="cancelled")], [worker(0)])
    lines = str(trace.summary()).splitlines()
    assert lines[0] == "2/2 tasks · 0.5 s · busy 100 % · parallelism 1.00"  # the cancelled one ended too
    assert lines[2:4] == [
        "worker              tasks  start-up      busy  travelling    idle  tasks waited",
        "worker 0 · pid 100      1    1.0 ms  500.0 ms      0.0 ms  0.0 ms        0.0 ms",
    ]
    assert lines[-1] == "1 task never reached a worker"


def test_in_a_notebook_it_is_an_html_table_with_a_caption_and_headers():
    html = four_tasks().summary()._repr_html_()
    assert html.count("<table") == 2 and html.count("<caption") == 2  # a screen reader names each table
    assert '<th scope="col">busy</th>' in html
    assert '<th scope="row" style="text-align:left">worker 1 · pid 101</th>' in html
    assert "slow(5,)" in html


def test_a_bad_number_of_slowest_tasks_is_refused():
    with pytest.raises(ValueError, match=r"summary\(slowest=-1\): slowest must be an int >= 0"):
        four_tasks().summary(slowest=-1)
    with pytest.raises(ValueError, match=r"slowest='5'"):
        summary(four_tasks(), slowest="5")


def work(x):
    time.sleep(0.002)
    return x * x


@pytest.mark.timeout(60)
def test_a_real_pool_s_summary_counts_every_task_once():
    with minimp.trace() as trace:
        with minimp.Pool(2) as pool:
            assert pool.map(work, range(20), chunksize=1) == [x * x for x in range(20)]
    figures = trace.summary()
    assert sum(w.tasks for w in figures.workers) == 20
    assert all(w.busy >= 0.002 * w.tasks for w in figures.workers)
    assert len(figures.slowest) == 5 and all(t.duration >= 0.002 for t in figures.slowest)
    assert figures.slowest == sorted(figures.slowest, key=lambda t: t.duration, reverse=True)


# -- the views for everyone: a screen reader, the dark theme -------------------------


def test_the_timeline_picture_is_one_image_named_by_its_header():
    picture = svg(layout(four_tasks()))
    label = "worker timeline: 4/4 tasks (1 failed) · 0.3 s · busy 83 % · parallelism 1.67."
    assert f'role="img" aria-label="{label}"><title>{label}</title>' in picture
    # With its gaps (gaps.py), the name says them too.
    view = layout(four_tasks())
    named = svg(view, gaps=summary(view).gaps)
    assert f'aria-label="{label} worker 1 alone for the last 0.10 s: task 5 (slow) held the end."' in named


def test_the_pictures_take_their_text_and_grid_colours_from_the_theme():
    for picture in (svg(layout(four_tasks())), _depth_svg([(0.0, 0), (0.5, 3), (1.0, 1)])):
        # No colour of the light theme is written as the colour of text, lines or bands ...
        assert not re.search(r'(fill|stroke)="#(F4F4F4|DDD|555|000|FFF)"', picture, re.I)
        assert "<text" in picture and THEME["grid"] in picture and THEME["quiet"] in picture
        # ... they come from JupyterLab's variables, with the light theme's as the fallback
        assert f"fill: {THEME['text']}" in picture.split(">", 1)[0]
    assert THEME["text"] == "var(--jp-ui-font-color1, #000)"


def test_the_widget_shows_its_figures_as_a_table_on_demand():
    view = TimelineView(four_tasks())
    assert view.table.layout.display == "none" and view.table.value == ""  # hidden, and not drawn
    view.show_table.value = True
    assert view.table.layout.display is None
    assert view.table.value == four_tasks().summary()._repr_html_()
    view.show_table.value = False
    assert view.table.layout.display == "none"
