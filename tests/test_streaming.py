"""Streaming imap: the iterable is read as the results are taken, a bounded number ahead.

Where the standard library can be the oracle (a finite iterable), the same
story runs on both (`lib`); what only a stream can do (an endless iterable,
bounded reading) runs on minimp under fork and spawn (`ctx`). The iterable
is read in the caller's process, so a generator here can count what it gave.
"""

import itertools
import multiprocessing
import multiprocessing.pool
import types
from functools import partial

import pytest

import minimp

WAIT = 30  # seconds: "for ever", so a bug fails a test instead of hanging it


@pytest.fixture(params=["minimp-fork", "minimp-spawn", "minimp-forkserver", "stdlib"])
def lib(request):
    if request.param == "stdlib":
        return types.SimpleNamespace(Pool=multiprocessing.get_context("fork").Pool, stdlib=True)
    return types.SimpleNamespace(Pool=partial(minimp.Pool, context=minimp.get_context(request.param[7:])),
                                 stdlib=False)


def square(x):
    return x * x


class Counted:
    """An iterable that counts how many items it gave (it is read in this process)."""

    def __init__(self, items):
        self.items, self.given = iter(items), 0

    def __iter__(self):
        return self

    def __next__(self):
        item = next(self.items)
        self.given += 1
        return item


def three_then_fail():
    yield from (1, 2, 3)
    raise KeyError("the fourth item could not be read")


def test_imap_over_an_endless_generator_yields_at_once(ctx):
    with minimp.Pool(2, context=ctx) as pool:
        results = pool.imap(square, itertools.count())
        assert [results.next(WAIT) for _ in range(10)] == [x * x for x in range(10)]


@pytest.mark.parametrize("chunksize, buffersize", [(1, 8), (5, 20), (3, 1)])
def test_imap_reads_at_most_buffersize_ahead_of_what_was_taken(ctx, chunksize, buffersize):
    items = Counted(range(10_000))
    with minimp.Pool(2, context=ctx) as pool:
        results = pool.imap(square, items, chunksize, buffersize=buffersize)
        ahead = []
        for taken in range(1, 301):
            assert results.next(WAIT) == (taken - 1) ** 2
            ahead.append(items.given - taken)
    # at most buffersize read and not taken, rounded up to whole chunks (at least one)
    assert max(ahead) <= max(buffersize, chunksize) + chunksize - 1
    assert items.given < 400  # of 10,000: it read as it went


def test_imap_unordered_reads_as_it_goes_too(ctx):
    items = Counted(itertools.count())
    with minimp.Pool(2, context=ctx) as pool:
        results = pool.imap_unordered(square, items, buffersize=4)
        got = {results.next(WAIT) for _ in range(50)}
        assert len(got) == 50
        assert items.given <= 50 + 4


def test_the_default_buffersize_is_16_chunks_per_worker(ctx):
    items = Counted(itertools.count())
    with minimp.Pool(2, context=ctx) as pool:
        results = pool.imap(square, items, 3)
        assert results.next(WAIT) == 0
        assert items.given == 16 * 3 * 2  # read when imap() was called; one taken, 95 ahead: no refill yet


def test_an_error_of_the_iterable_comes_after_the_results_before_it_then_the_end(lib):
    with lib.Pool(2) as pool:
        results = pool.imap(square, three_then_fail())
        assert [next(results), next(results), next(results)] == [1, 4, 9]
        with pytest.raises(KeyError, match="the fourth item could not be read"):
            next(results)
        with pytest.raises(StopIteration):
            next(results)


def test_imap_unordered_gives_the_iterables_error_after_every_result_read(ctx):
    # (The standard library's may raise it before some of the results: it is one more task there.)
    with minimp.Pool(2, context=ctx) as pool:
        results = pool.imap_unordered(square, three_then_fail())
        assert {next(results) for _ in range(3)} == {1, 4, 9}
        with pytest.raises(KeyError):
            next(results)
        with pytest.raises(StopIteration):
            next(results)


def test_close_then_join_still_runs_every_task_of_an_imap_not_read_yet(lib):
    pool = lib.Pool(2)
    results = pool.imap(square, range(100), 2) if lib.stdlib else pool.imap(square, range(100), 2, buffersize=4)
    pool.close()  # minimp reads the rest of the iterable here
    pool.join()
    assert list(results) == [x * x for x in range(100)]


def test_an_imap_dropped_before_its_end_is_abandoned_and_close_returns(ctx):
    pool = minimp.Pool(2, context=ctx)
    results = pool.imap(square, itertools.count(), buffersize=4)
    assert results.next(WAIT) == 0
    del results  # nothing refers to it: the rest of the endless iterable is never read
    pool.close()
    pool.join()


def test_iterating_after_terminate_raises_and_never_hangs(ctx):
    pool = minimp.Pool(1, context=ctx)
    results = pool.imap(square, itertools.count(), buffersize=2)
    assert results.next(WAIT) == 0
    pool.terminate()
    pool.join()
    outcomes = []
    for _ in range(10):  # the tasks read ahead (done, or failed by terminate), the pool's refusal, the end
        try:
            outcomes.append(results.next(WAIT))
        except StopIteration:
            break
        except Exception as error:
            outcomes.append(error)
    assert 2 <= len(outcomes) <= 3  # of the 2 read ahead, 0 was taken above
    assert all(outcome in (1, 4) or isinstance(outcome, minimp.PoolTerminatedError) for outcome in outcomes[:-1])
    assert isinstance(outcomes[-1], ValueError) and "Pool not running" in str(outcomes[-1])


@pytest.mark.parametrize(
    "buffersize, error, message",
    [
        (0, ValueError, r"Pool.imap\(buffersize=0\): buffersize must be at least 1"),
        (-3, ValueError, r"buffersize must be at least 1"),
        (2.5, TypeError, r"Pool.imap\(buffersize=2.5\): buffersize must be an int"),
        ("8", TypeError, r"buffersize must be an int"),
        (True, TypeError, r"buffersize must be an int"),
    ],
)
def test_a_bad_buffersize_is_refused_in_the_caller_before_anything_is_read(buffersize, error, message):
    items = Counted(range(10))
    with minimp.Pool(1) as pool:
        for imap in (pool.imap, pool.imap_unordered):
            with pytest.raises(error, match=message):
                imap(square, items, buffersize=buffersize)
        assert items.given == 0


def test_a_traced_imap_records_each_task_at_its_place_with_its_own_id(ctx):
    with minimp.Pool(2, context=ctx) as pool, minimp.trace() as trace:
        assert list(pool.imap(square, range(40), 3, buffersize=6)) == [x * x for x in range(40)]
    tasks = trace.tasks
    assert sorted(task.index for task in tasks) == list(range(40))
    assert len({task.id for task in tasks}) == 40
    assert len({task.call for task in tasks}) == 1


# -- ProcessPoolExecutor.map(buffersize=...): Python 3.14's keyword ------------------------


def nap_then_square(x):
    import time

    time.sleep(0.05)
    return x * x


def test_executor_map_with_a_buffersize_streams_an_endless_iterable(ctx):
    items = Counted(itertools.count())
    with minimp.ProcessPoolExecutor(2, mp_context=ctx) as executor:
        results = executor.map(square, items, buffersize=4)
        assert [next(results) for _ in range(20)] == [x * x for x in range(20)]
        assert items.given <= 20 + 4
        del results  # dropped: nothing more is read, and leaving the block does not wait for it


def test_executor_map_without_a_buffersize_reads_everything_at_once(ctx):
    items = Counted(range(100))
    with minimp.ProcessPoolExecutor(2, mp_context=ctx) as executor:
        results = executor.map(square, items)
        assert items.given == 100  # as concurrent.futures does
        assert list(results) == [x * x for x in range(100)]


def test_a_streamed_executor_map_after_shutdown_gives_what_it_read_then_refuses(ctx):
    executor = minimp.ProcessPoolExecutor(1, mp_context=ctx)
    results = executor.map(square, itertools.count(), buffersize=2)
    assert next(results) == 0
    executor.shutdown(wait=True)  # the two calls read at once (0 and 1) still ran
    assert next(results) == 1
    with pytest.raises(RuntimeError, match="cannot schedule new futures after shutdown"):
        next(results)


def test_a_streamed_executor_map_times_out_with_the_builtin_timeouterror(ctx):
    with minimp.ProcessPoolExecutor(1, mp_context=ctx) as executor:
        results = executor.map(nap_then_square, range(50), timeout=0.2, buffersize=2)
        with pytest.raises(TimeoutError):  # what concurrent.futures raises; minimp.TimeoutError is not one
            list(results)


def test_a_streamed_executor_map_gives_the_iterables_error_in_its_place(ctx):
    with minimp.ProcessPoolExecutor(2, mp_context=ctx) as executor:
        results = executor.map(square, three_then_fail(), buffersize=2)
        assert [next(results) for _ in range(3)] == [1, 4, 9]
        with pytest.raises(KeyError, match="the fourth item"):
            next(results)


@pytest.mark.parametrize("buffersize, error", [(0, ValueError), (-1, ValueError), (1.5, TypeError), ("2", TypeError)])
def test_a_bad_executor_buffersize_is_refused_with_a_clear_message(buffersize, error):
    items = Counted(range(10))
    with minimp.ProcessPoolExecutor(1) as executor:
        with pytest.raises(error, match=r"ProcessPoolExecutor.map\(buffersize="):
            executor.map(square, items, buffersize=buffersize)
    assert items.given == 0
