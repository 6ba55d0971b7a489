"""The static timeline picture (plot.py), drawn with matplotlib's Agg backend."""

import matplotlib
import pytest

matplotlib.use("Agg")

from matplotlib.collections import PolyCollection  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import minimp  # noqa: E402
from minimp.views import plot  # noqa: E402
from minimp.tracing import Snapshot, TaskRecord  # noqa: E402

from traces import T0, snapshot, task, worker  # noqa: E402


def drawn(ax, kind):
    """The rectangles of one kind of bar: each (lane, kind) is one collection of one colour."""
    colour = matplotlib.colors.to_rgba(minimp.views.layout.COLOURS[kind])
    return [
        path
        for collection in ax.collections
        if isinstance(collection, PolyCollection) and tuple(collection.get_facecolors()[0]) == colour
        for path in collection.get_paths()
    ]


def axes():
    return Figure().subplots()


def test_the_figure_has_one_lane_per_worker_and_one_bar_per_task():
    tasks = [task(2 + n, n % 3, T0 + n * 0.1, T0 + n * 0.1 + 0.05) for n in range(9)]
    ax = plot.plot(snapshot(tasks, [worker(0), worker(1), worker(2)]), axes())
    assert [label.get_text() for label in ax.get_yticklabels()] == [
        "worker 0 · pid 100", "worker 1 · pid 101", "worker 2 · pid 102"]  # fmt: skip
    assert len(drawn(ax, "ok")) == 9
    assert len(drawn(ax, "start-up")) == 3
    assert ax.get_title(loc="left").startswith("9/9 tasks")


def test_failures_are_drawn_in_their_own_colour_and_a_crash_with_a_cross():
    tasks = [task(2, 0, T0, T0 + 0.1), task(3, 0, T0 + 0.1, T0 + 0.2, status="error"),
             task(4, 0, None, T0 + 0.3, status="crashed")]  # fmt: skip
    ax = plot.plot(snapshot(tasks), axes())
    assert len(drawn(ax, "error")) == 1 and len(drawn(ax, "crashed")) == 1
    crosses = [line for line in ax.lines if line.get_marker() == "x"]
    assert len(crosses) == 1 and list(crosses[0].get_xdata()) == [pytest.approx(0.3)]
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == ["ok", "error", "crashed (worker died)", "waiting in the queue"]


def test_colour_by_function_puts_the_functions_in_the_legend():
    tasks = [task(2, 0, T0, T0 + 0.1, function="load"), task(3, 0, T0 + 0.1, T0 + 0.2, function="save")]
    ax = plot.plot(snapshot(tasks), axes(), color_by="function")
    assert [text.get_text() for text in ax.get_legend().get_texts()][-2:] == ["load", "save"]


def test_an_empty_trace_draws_an_empty_axis():
    ax = plot.plot(Snapshot([], [], [], 0, T0, T0), axes())
    assert ax.get_yticks().tolist() == [] and ax.get_title(loc="left").startswith("0/0 tasks")


def test_a_window_zooms_in():
    tasks = [task(2 + n, 0, T0 + n * 0.1, T0 + (n + 1) * 0.1) for n in range(10)]
    ax = plot.plot(snapshot(tasks), axes(), window=(0.2, 0.4))
    assert ax.get_xlim()[0] == pytest.approx(0.2)
    assert len(drawn(ax, "ok")) == 3  # the bars that reach into 0.2-0.4 s (their ends touch it)


def test_ten_thousand_tasks_draw_as_a_few_merged_bars():
    tasks = [task(2 + n, n % 2, T0 + (n // 2) * 1e-4, T0 + (n // 2 + 1) * 1e-4) for n in range(10_000)]
    ax = plot.plot(snapshot(tasks, [worker(0), worker(1)]), axes())
    assert 2 <= len(drawn(ax, "ok")) <= 2 * plot.PIXELS


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"plot\(color_by='size'\): color_by must be one of"):
        plot.plot(snapshot(), axes(), color_by="size")
    with pytest.raises(ValueError, match=r"window must be \(start, end\) with start < end"):
        plot.plot(snapshot(), axes(), window=(1.0, 0.5))
    with pytest.raises(TypeError, match="compare\\(\\): 'a' is a str, not a minimp trace"):
        plot.compare({"a": "trace"})
    with pytest.raises(ValueError, match="at least one trace"):
        plot.compare([])


def test_png_and_compare_draw_without_pyplot():
    one = snapshot([task(2, 0, T0, T0 + 0.1)], [worker(0)])
    two = snapshot([task(2, 0, T0, T0 + 0.2), task(3, 1, T0, T0 + 0.2)], [worker(0), worker(1)])
    assert plot.png(one).startswith(b"\x89PNG")
    figure = plot.compare({"one worker": one, "two workers": two})
    titles = [ax.get_title(loc="left") for ax in figure.axes]
    assert titles[0].startswith("one worker: 1/1 tasks") and titles[1].startswith("two workers: 2/2 tasks")
    assert figure.axes[0].get_xlim() == figure.axes[1].get_xlim()  # one time axis
    assert plot.png(figure).startswith(b"\x89PNG")


@pytest.mark.timeout(30)
def test_a_real_pools_trace_plots_one_bar_per_task(ctx):
    with minimp.trace() as t:
        with ctx.Pool(2) as pool:
            pool.map(abs, range(-6, 0), chunksize=1)
    ax = t.plot(axes())
    assert len(ax.get_yticklabels()) == len({r.worker for r in t.tasks} | {w.index for w in t.workers})
    assert len(drawn(ax, "ok")) <= 6 and ax.get_title(loc="left").startswith("6/6 tasks")


def test_records_from_the_standard_librarys_pools_plot_too():
    records = [TaskRecord(id=1, call=0, index=0, function="f", args="(1,)", submitted=None, started=T0,
                          finished=T0 + 0.1, worker=0, pid=7, status="ok")]  # fmt: skip
    ax = plot.plot(Snapshot(records, [], [], 0, T0, T0 + 0.1), axes())
    assert [label.get_text() for label in ax.get_yticklabels()] == ["worker 0 · pid 7"]
