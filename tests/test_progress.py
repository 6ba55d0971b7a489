"""Progress bars, told as small stories (progress.py, pool.py, futures.py).

`pool.map(f, xs, progress=True)` shows a tqdm bar; in a terminal (and under
pytest) it is a line of text on stderr, which is what the first stories
read: the bar is there, named, and full by the time the results are. Then,
with a tqdm that records what is done to it, how the bar moves: a job at a
time, from the pool's result loop, and closed exactly once, whatever way
the call's tasks end (failed, crashed, cancelled, terminated), or at once
when there are none. Last, the argument: a bad value is refused in the
caller, and no bar means no tqdm at all.

Stories that must hold a worker at a known point give it two Events
through the pool's initializer (as test_pool.py does): `started` says a
task is running, `gate` lets it go on.
"""

import io
import os
import signal
import sys
import threading
from concurrent.futures.process import BrokenProcessPool

import pytest
import tqdm.auto
import tqdm.std

import minimp
from programs import run_program

pytestmark = pytest.mark.timeout(60)


# -- what the workers run ------------------------------------------------------------------


def square(x):
    return x * x


def add(a, b):
    return a + b


def fail_if_three(x):
    if x == 3:
        raise ValueError("three is not allowed")
    return x


def kill_myself_if_zero(x):
    if x == 0:
        os.kill(os.getpid(), signal.SIGKILL)
    return x


_events = {}


def keep_events(started, gate):
    _events.update(started=started, gate=gate)


def wait_at_gate_if_zero(x):
    if x == 0:
        _events["started"].set()
        _events["gate"].wait(timeout=30)
    return x


# -- what the user sees: a text bar on stderr ------------------------------------------------

POOL_MAPS = {
    "map": lambda pool, **kw: pool.map(square, range(20), **kw),
    "map_async": lambda pool, **kw: pool.map_async(square, range(20), **kw).get(timeout=30),
    "starmap": lambda pool, **kw: pool.starmap(add, [(n, 0) for n in range(20)], **kw),
    "imap": lambda pool, **kw: list(pool.imap(square, range(20), **kw)),
    "imap_unordered": lambda pool, **kw: list(pool.imap_unordered(square, range(20), **kw)),
}


@pytest.mark.parametrize("call", POOL_MAPS)
def test_every_pool_map_shows_a_full_bar_named_after_the_function(ctx, capsys, call):
    with minimp.Pool(2, context=ctx) as pool:
        POOL_MAPS[call](pool, progress=True)
        bar = capsys.readouterr().err  # read as soon as the results are here: no waiting
    name = "add" if call == "starmap" else "square"
    assert f"{name}: 100%" in bar
    assert "20/20" in bar
    assert bar.endswith("\n")  # closed: tqdm ends the bar's line when it closes


def test_a_string_is_the_bars_description(ctx, capsys):
    with minimp.Pool(2, context=ctx) as pool:
        assert pool.map(square, range(5), progress="squaring") == [0, 1, 4, 9, 16]
    bar = capsys.readouterr().err
    assert "squaring: 100%" in bar and "5/5" in bar
    assert "square:" not in bar


def test_the_executors_map_shows_a_full_bar_too(ctx, capsys):
    with minimp.ProcessPoolExecutor(2, mp_context=ctx) as executor:
        assert list(executor.map(square, range(20), chunksize=3, progress=True)) == [n * n for n in range(20)]
        bar = capsys.readouterr().err
    assert "square: 100%" in bar and "20/20" in bar
    assert bar.endswith("\n")


def test_without_progress_nothing_is_written(ctx, capsys):
    with minimp.Pool(2, context=ctx) as pool:
        pool.map(square, range(20))
        list(pool.imap(square, range(20), progress=False))
    with minimp.ProcessPoolExecutor(1, mp_context=ctx) as executor:
        list(executor.map(square, range(5)))
    assert capsys.readouterr().err == ""


def test_a_call_the_pool_refuses_shows_no_bar(ctx, capsys):
    with minimp.Pool(1, context=ctx) as pool:
        with pytest.raises(ValueError, match="chunksize"):
            pool.imap(square, range(5), chunksize=0, progress=True)
        pool.close()
        with pytest.raises(ValueError, match="Pool not running"):
            pool.map(square, range(5), progress=True)
    assert capsys.readouterr().err == ""


# -- how the bar moves: a tqdm that records what is done to it ------------------------------


class RecordingBar(tqdm.std.tqdm):
    """A tqdm bar that writes nowhere and keeps a log: shown, each update (with
    the thread that made it), each close."""

    made: list = []

    def __init__(self, *args, **kwargs):
        self.log = []
        super().__init__(*args, file=io.StringIO(), **kwargs)
        self.log.append(("shown", self.n))
        RecordingBar.made.append(self)

    def update(self, n=1):
        self.log.append(("update", n, threading.current_thread().name))
        return super().update(n)

    def close(self):
        self.log.append(("close", self.n))
        super().close()


@pytest.fixture
def bars(monkeypatch):
    """The bars made while the test runs (progress.py imports tqdm.auto.tqdm when asked)."""
    monkeypatch.setattr(tqdm.auto, "tqdm", RecordingBar)
    monkeypatch.setattr(RecordingBar, "made", [])
    return RecordingBar.made


def updates(bar):
    """The steps the bar moved by, and the threads that moved it."""
    return [event[1:] for event in bar.log if event[0] == "update"]


def assert_filled_and_closed_once(bar, total):
    """The bar counted every task once, from the pool's result loop, and was closed once, full."""
    shown, *_ = bar.log
    assert shown[0] == "shown" and bar.total == total
    assert shown[1] + sum(n for n, _ in updates(bar)) == total  # tasks ended before it showed, then after
    assert all(thread.startswith("minimp-pool-") for _, thread in updates(bar))
    assert [event for event in bar.log if event[0] == "close"] == [("close", total)]
    assert bar.log[-1] == ("close", total)  # nothing moved it after it closed


def test_the_bar_moves_a_job_at_a_time_and_closes_once(ctx, bars):
    with minimp.Pool(2, context=ctx) as pool:
        assert pool.map(square, range(20), chunksize=5, progress=True) == [n * n for n in range(20)]
        [bar] = bars
        assert_filled_and_closed_once(bar, 20)
        assert all(n % 5 == 0 for n, _ in updates(bar))  # whole chunks of 5 tasks


def test_a_map_whose_tasks_raise_still_fills_its_bar(ctx, bars):
    with minimp.Pool(2, context=ctx) as pool:
        with pytest.raises(ValueError, match="three is not allowed"):
            pool.map(fail_if_three, range(10), chunksize=1, progress=True)
        [bar] = bars
        assert_filled_and_closed_once(bar, 10)  # the failed task ended too


def test_a_map_of_nothing_closes_its_bar_at_once(ctx, bars):
    with minimp.Pool(1, context=ctx) as pool:
        assert pool.map(square, [], progress=True) == []
        assert list(pool.imap(square, [], progress=True)) == []
    assert [bar.log for bar in bars] == [[("shown", 0), ("close", 0)]] * 2


def test_terminate_while_a_map_runs_closes_its_bar(ctx, bars):
    started, gate = ctx.Event(), ctx.Event()  # the gate never opens
    pool = minimp.Pool(1, initializer=keep_events, initargs=(started, gate), context=ctx)
    result = pool.map_async(wait_at_gate_if_zero, range(5), chunksize=1, progress=True)
    assert started.wait(timeout=10)
    pool.terminate()
    with pytest.raises(minimp.PoolTerminatedError):
        result.get(timeout=5)
    [bar] = bars
    assert [event for event in bar.log if event[0] == "close"] == [("close", 5)]
    assert bar.log[-1] == ("close", 5)


def test_an_executor_map_that_times_out_cancels_the_rest_and_its_bar_still_closes(ctx, bars):
    started, gate = ctx.Event(), ctx.Event()
    with minimp.ProcessPoolExecutor(1, mp_context=ctx, initializer=keep_events, initargs=(started, gate)) as executor:
        results = executor.map(wait_at_gate_if_zero, range(10), timeout=0.5, progress=True)
        assert started.wait(timeout=10)
        with pytest.raises(TimeoutError):
            list(results)  # gives up on the first result: the 9 queued calls are cancelled
        gate.set()
    [bar] = bars
    assert_filled_and_closed_once(bar, 10)  # 1 ran, 9 were cancelled: all 10 ended


def test_a_broken_executor_closes_the_bar_of_its_map(ctx, bars):
    with minimp.ProcessPoolExecutor(1, mp_context=ctx) as executor:
        with pytest.raises(BrokenProcessPool):
            list(executor.map(kill_myself_if_zero, range(10), progress=True))
    [bar] = bars
    assert_filled_and_closed_once(bar, 10)


# -- the argument ------------------------------------------------------------------------------


def test_a_bad_progress_value_is_refused_in_the_caller(ctx):
    message = "progress must be True, False or a description string, not 3"
    with minimp.Pool(1, context=ctx) as pool:
        for call in POOL_MAPS.values():
            with pytest.raises(TypeError, match=message):
                call(pool, progress=3)
        assert pool.map(square, range(3)) == [0, 1, 4]  # and the pool goes on
    with minimp.ProcessPoolExecutor(1, mp_context=ctx) as executor:
        with pytest.raises(TypeError, match=message):
            executor.map(square, range(3), progress=3)


def test_without_progress_tqdm_is_not_even_imported(ctx, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)  # importing it would now fail
    with minimp.Pool(1, context=ctx) as pool:
        assert pool.map(square, range(3)) == [0, 1, 4]
        assert pool.map(square, range(3), progress=False) == [0, 1, 4]
        with pytest.raises(ImportError):
            pool.map(square, range(3), progress=True)  # only a bar needs it


def test_importing_minimp_does_not_import_tqdm(tmp_path):
    program = "import sys, minimp.pools.pool, minimp.pools.futures\nprint('tqdm' in sys.modules)\n"
    assert run_program(program, tmp_path) == (0, "False\n", "")
