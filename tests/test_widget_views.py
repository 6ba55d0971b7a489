"""The process table and the queue-depth view (widgets/processes.py, queues.py): what a
learner would see, for minimp's processes and queues and the standard library's."""

import base64
import multiprocessing
import sys
import threading
import time

import pytest

import minimp
from minimp.views.widgets import ProcessTable, QueueDepth, exit_meaning, watch_processes, watch_queue
from minimp.views.widgets.queues import _depth_svg

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# -- what the children do (module level, so that spawn can find them) ------------------------


def wait_then_return(go):
    go.wait(20)


def wait_then_exit(go, code):
    go.wait(20)
    sys.exit(code)


def wait_then_raise(go):
    go.wait(20)
    raise ValueError("raised on purpose, for the table")


def sleep_for(seconds):
    time.sleep(seconds)


def put_items(queue, count):
    for item in range(count):
        queue.put(item)


@pytest.fixture(params=["minimp fork", "minimp spawn", "multiprocessing fork"])
def lib(request):
    """Where processes and queues come from: minimp under both start methods,
    or the standard library, the oracle whose public API the views rely on."""
    library, method = request.param.split()
    return (minimp if library == "minimp" else multiprocessing).get_context(method)


def wait_until(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def states(table):
    return [row.state for row in table.lifetimes]


def view_threads():
    return [thread.name for thread in threading.enumerate() if thread.name.startswith("minimp-")]


# -- exit codes -------------------------------------------------------------------------------


def test_each_kind_of_ending_has_its_meaning():
    assert exit_meaning(None) == ""
    assert exit_meaning(0) == "ok"
    assert exit_meaning(1) == "an exception (or exit(1))"
    assert exit_meaning(3) == "exit(3)"
    assert exit_meaning(-9) == "killed by SIGKILL"
    assert exit_meaning(-15) == "killed by SIGTERM"


# -- the process table ------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_the_table_sees_created_then_running_then_exited_with_each_exit_code(lib):
    go = lib.Event()
    children = [
        lib.Process(target=wait_then_return, args=(go,), name="returns"),
        lib.Process(target=wait_then_exit, args=(go, 3), name="exits-3"),
        lib.Process(target=wait_then_raise, args=(go,), name="raises"),
        lib.Process(target=sleep_for, args=(60,), name="killed", daemon=True),
    ]
    table = ProcessTable(children)  # no thread: the test says when the table looks
    assert states(table) == ["created"] * 4
    assert [row.pid for row in table.lifetimes] == [None] * 4

    for child in children:
        child.start()
    table.refresh()  # all four wait: for `go`, or in their sleep
    assert states(table) == ["running"] * 4
    assert [row.pid for row in table.lifetimes] == [child.pid for child in children]
    assert "4 processes · 4 running" in table.header.value

    children[3].kill()
    children[3].join()
    go.set()
    for child in children[:3]:
        child.join()
    table.refresh()
    assert states(table) == ["exited"] * 4
    assert [row.exitcode for row in table.lifetimes] == [0, 3, 1, -9]
    for text in ("0 · ok", "3 · exit(3)", "1 · an exception", "-9 · killed by SIGKILL"):
        assert text in table.table.value
    assert [row.daemon for row in table.lifetimes] == [False, False, False, True]
    for row in table.lifetimes:  # the order the table saw things in
        assert row.created <= row.started <= row.exited

    table.stop()  # the table lets go of the processes, and keeps its record
    assert table.processes == [] and states(table) == ["exited"] * 4


@pytest.mark.timeout(30)
def test_watch_processes_updates_live_and_keeps_the_final_state(lib):
    go = lib.Event()
    children = [lib.Process(target=wait_then_exit, args=(go, code)) for code in (0, 2)]
    with watch_processes(children, interval=0.01) as table:
        assert view_threads() == ["minimp-process-table"]
        assert states(table) == ["created", "created"]  # the first look, before anything started
        for child in children:
            child.start()
        wait_until(lambda: states(table) == ["running", "running"])  # the table's thread saw them start
        go.set()
        for child in children:
            child.join()
    assert view_threads() == []
    assert states(table) == ["exited", "exited"]
    assert [row.exitcode for row in table.lifetimes] == [0, 2]
    assert table.processes == []


def is_zombie(pid):
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()[0] == "Z"


@pytest.mark.timeout(30)
def test_the_table_sees_an_exit_but_leaves_collecting_it_to_join(lib):
    child = lib.Process(target=sleep_for, args=(0,))
    with watch_processes([child], interval=0.005) as table:
        child.start()
        wait_until(lambda: states(table) == ["exited"])
        assert is_zombie(child.pid)  # ended, and not collected: the table only looked
        child.join()
        assert child.exitcode == 0  # join() collected it, as if nobody had watched
    assert table.lifetimes[0].exitcode == 0


@pytest.mark.timeout(30)
def test_rows_appear_for_added_processes():
    table = ProcessTable()
    assert table.lifetimes == [] and "0 processes" in table.header.value
    late = minimp.Process(target=sleep_for, args=(0,), name="came-late")
    table.add(late)
    table.add(late)  # already there: not a second row
    assert states(table) == ["created"] and "came-late" in table.table.value
    late.start()
    late.join()
    table.add(multiprocessing.get_context("fork").Process(target=sleep_for, args=(0,), name="from-the-stdlib"))
    table.refresh()
    assert states(table) == ["exited", "created"]
    assert "from-the-stdlib" in table.table.value
    table.stop()
    with pytest.raises(RuntimeError, match="stopped watching"):
        table.add(minimp.Process(target=sleep_for, args=(0,)))


def test_a_closed_process_says_so():
    never_started = minimp.Process(target=sleep_for, args=(0,))
    table = ProcessTable([never_started])
    never_started.close()  # nothing can be asked of it any more
    table.refresh()
    assert states(table) == ["closed"]
    table.stop()


@pytest.mark.timeout(30)
def test_the_mime_bundle_has_a_png_and_the_same_text_at_every_redraw():
    child = minimp.Process(target=sleep_for, args=(0,))
    table = ProcessTable([child])
    first, _ = table._repr_mimebundle_()
    child.start()
    child.join()
    table.stop()
    last, metadata = table._repr_mimebundle_()
    assert metadata["image/png"]["alt"] == f"process lifetimes: {table.summary()}"  # the PNG's text alternative
    assert first["text/plain"] == last["text/plain"] == ProcessTable.PLAIN  # what nbval compares
    assert "text/html" not in last
    assert base64.b64decode(last["image/png"]).startswith(PNG_MAGIC)
    assert "application/vnd.jupyter.widget-view+json" in last  # the live widget, where widgets run

    depth = QueueDepth(minimp.Queue())
    bundle, metadata = depth._repr_mimebundle_()
    depth.stop()
    assert metadata["image/png"]["alt"].startswith("queue depth: ")
    assert bundle["text/plain"] == QueueDepth.PLAIN
    assert base64.b64decode(bundle["image/png"]).startswith(PNG_MAGIC)


# -- a queue's depth --------------------------------------------------------------------------


@pytest.mark.timeout(30)
def test_the_depth_rises_as_a_producer_puts_and_falls_to_zero_when_drained(lib):
    count = 20
    queue = lib.Queue()
    producer = lib.Process(target=put_items, args=(queue, count))
    with watch_queue(queue, interval=0.002) as depth:
        assert view_threads() == ["minimp-queue-depth"]
        producer.start()
        wait_until(lambda: depth.samples[-1][1] == count)  # the view saw every item arrive
        for _ in range(count):
            queue.get(timeout=10)
        producer.join()
    assert view_threads() == []
    depths = [depth for _, depth in depth.samples]
    peak = depths.index(count)
    assert depths[0] == 0 and depths[-1] == 0  # the first look, before, and the last, after
    assert depths[: peak + 1] == sorted(depths[: peak + 1])  # up while the producer put
    assert depths[peak:] == sorted(depths[peak:], reverse=True)  # down while the test got
    seconds = [seconds for seconds, _ in depth.samples]
    assert seconds == sorted(seconds)
    assert f"depth now 0 · max {count} · {len(depths)} samples" in depth.header.value
    assert "<polyline" in depth.picture.value
    assert depth.queue is None  # let go of, with its file descriptors


def test_the_picture_draws_only_the_changes_of_depth():
    samples = [(0.0, 0), (0.1, 0), (0.2, 2), (0.3, 2), (0.4, 1), (0.5, 1), (0.6, 0)]
    picture = _depth_svg(samples)
    points = picture.split('points="')[1].split('"')[0].split()
    # at 0 from 0 s; along, then up to 2 at 0.2 s; along, down to 1 at 0.4 s; along, down to 0 at 0.6 s
    assert len(points) == 1 + 2 + 2 + 2


class NoCount:
    """A queue whose qsize() cannot answer, as multiprocessing.Queue's on macOS."""

    def qsize(self):
        raise NotImplementedError


@pytest.mark.timeout(30)
def test_a_queue_that_cannot_count_gets_a_clear_message():
    with watch_queue(NoCount(), interval=0.01) as depth:
        time.sleep(0.05)
    assert depth.samples == []
    assert "NoCount.qsize() is not available on this system" in depth.header.value
    assert depth.picture.value == ""
    assert base64.b64decode(depth._repr_mimebundle_()[0]["image/png"]).startswith(PNG_MAGIC)


# -- the with blocks end their threads --------------------------------------------------------


@pytest.mark.timeout(30)
def test_the_views_threads_end_with_the_block_even_when_it_raises():
    with pytest.raises(ZeroDivisionError):
        with watch_queue(minimp.Queue(), interval=0.01), watch_processes([], interval=0.01):
            assert sorted(view_threads()) == ["minimp-process-table", "minimp-queue-depth"]
            1 / 0
    assert view_threads() == []


# -- the errors users make --------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: ProcessTable(["worker"]), TypeError, "item 0 is 'worker', a str"),
        (lambda: ProcessTable(minimp.Process()), TypeError, "for one, write [process]"),
        (lambda: ProcessTable(42), TypeError, "processes=42"),
        (lambda: watch_processes([1]), TypeError, "watch_processes(processes=...): item 0"),
        (lambda: watch_processes([], interval=0), ValueError, "watch_processes(interval=0)"),
        (lambda: ProcessTable(interval=-1), ValueError, "ProcessTable(interval=-1)"),
        (lambda: watch_queue(minimp.Queue(), interval="fast"), TypeError, "interval='fast'"),
        (lambda: QueueDepth(minimp.Queue(), interval=0.0), ValueError, "above 0"),
        (lambda: watch_queue([1, 2]), TypeError, "watch_queue(queue=[1, 2])"),
        (lambda: QueueDepth(minimp.SimpleQueue()), TypeError, "a SimpleQueue cannot say its size"),
        (lambda: ProcessTable().add("worker"), TypeError, "ProcessTable.add(process='worker')"),
    ],
    ids=["a string in the list", "one process, not a list", "not a list", "a number in the list", "interval 0",
         "interval below 0", "interval a string", "interval 0.0", "not a queue", "a SimpleQueue", "add a string"],
)
def test_bad_arguments_name_the_argument(call, error, words):
    with pytest.raises(error) as raised:
        call()
    assert words in str(raised.value)
