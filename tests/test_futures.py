"""ProcessPoolExecutor, told as small stories (futures.py).

minimp's executor is a `concurrent.futures.Executor` built on the same
workers as its Pool, so most stories run three times: on minimp's
executor under fork and under spawn, and on the standard library's
`concurrent.futures.ProcessPoolExecutor` (fork), the oracle (the `lib`
fixture below): submit and map, errors, timeouts, shutdown with and without
cancelling, as_completed, initializers, a result that cannot be unpickled,
a program that reaches its end before its calls do, and the executor that
breaks when a worker dies or cannot start.

The last stories are minimp's own: it takes the standard library's
contexts as well as its own, `max_tasks_per_child` works with fork too, and
a broken executor's message names the worker that died.

A task that must be held in its worker waits at a `gate`, an Event the
workers get through the initializer (an Event cannot travel with a call's
arguments); `started` tells the test it is there.
"""

import concurrent.futures
import multiprocessing
import os
import signal
import types
from concurrent.futures.process import BrokenProcessPool
from functools import partial

import pytest

import minimp
from programs import run_program

SQUARES = [n * n for n in range(10)]


@pytest.fixture(params=["minimp-fork", "minimp-spawn", "minimp-forkserver", "stdlib"])
def lib(request):
    """An executor class, and the Event and Queue its workers can be given (through
    the initializer), from minimp under one start method or from
    concurrent.futures (fork), the oracle: `lib.Executor(2)` reads as user code."""
    if request.param == "stdlib":
        std = multiprocessing.get_context("fork")
        return types.SimpleNamespace(
            Executor=partial(concurrent.futures.ProcessPoolExecutor, mp_context=std),
            Event=std.Event, Queue=std.Queue, stdlib=True,
        )  # fmt: skip
    ctx = minimp.get_context(request.param.removeprefix("minimp-"))
    return types.SimpleNamespace(
        Executor=partial(minimp.ProcessPoolExecutor, mp_context=ctx), Event=ctx.Event, Queue=ctx.Queue, stdlib=False
    )


# -- what the workers run (module level, so that a spawned worker imports them) ----------


def square(x):
    return x * x


def add(a, b):
    return a + b


def fail_if_three(x):
    if x == 3:
        raise ValueError("three is not allowed")
    return x


def kill_myself():
    os.kill(os.getpid(), signal.SIGKILL)


def fail_to_start():
    raise ValueError("this initializer always fails")


def process_name():
    return minimp.current_process().name


_greeting = None


def remember_greeting(greeting):
    global _greeting
    _greeting = greeting


def greet(name):
    return f"{_greeting}, {name}"


_events = {}


def keep_events(started, gate):
    """An initializer: keep the test's events for the tasks below."""
    _events.update(started=started, gate=gate)


def wait_at_gate(x):
    """Say the task has started, wait until the test opens the gate, return x."""
    _events["started"].set()
    _events["gate"].wait(timeout=30)
    return x


def keep_events_and_queue(started, gate, ran):
    """An initializer: keep the test's events, and the queue on which record() says what ran."""
    _events.update(started=started, gate=gate, ran=ran)


def record(n):
    _events["ran"].put(n)
    return n


def _refuse_to_be_rebuilt():
    raise ValueError("cannot be rebuilt here")


class RefusesToBeRebuilt:
    """Pickles fine, but fails to unpickle in the process that receives it."""

    def __reduce__(self):
        return _refuse_to_be_rebuilt, ()


def return_refuses_to_be_rebuilt():
    return RefusesToBeRebuilt()


# -- submit and map, against the standard library ---------------------------------------


def test_an_executor_is_a_concurrent_futures_executor(lib):
    with lib.Executor(max_workers=1) as executor:
        assert isinstance(executor, concurrent.futures.Executor)


def test_submit_returns_a_future_of_the_calls_result(lib):
    with lib.Executor(max_workers=2) as executor:
        future = executor.submit(square, 5)
        assert isinstance(future, concurrent.futures.Future)
        assert future.result(timeout=10) == 25
        assert executor.submit(add, 1, b=2).result(timeout=10) == 3


def test_map_yields_the_results_in_order(lib):
    with lib.Executor(max_workers=2) as executor:
        assert list(executor.map(square, range(10))) == SQUARES
        assert list(executor.map(square, range(10), timeout=10, chunksize=3)) == SQUARES
        assert list(executor.map(square, [])) == []


def test_map_of_several_iterables_stops_at_the_shortest(lib):
    with lib.Executor(max_workers=2) as executor:
        assert list(executor.map(pow, [2, 3, 4], [5, 2])) == [32, 9]


def test_map_refuses_a_chunksize_below_one(lib):
    with lib.Executor(max_workers=1) as executor:
        with pytest.raises(ValueError, match="chunksize"):
            executor.map(square, [1, 2], chunksize=0)


def test_map_raises_timeout_error_when_a_result_is_late(lib):
    started, gate = lib.Event(), lib.Event()
    with lib.Executor(max_workers=1, initializer=keep_events, initargs=(started, gate)) as executor:
        results = executor.map(wait_at_gate, [1, 2], timeout=0.2)
        with pytest.raises(concurrent.futures.TimeoutError):
            next(results)
        gate.set()  # let the running task finish, so the with block can end


def test_a_calls_exception_is_raised_by_result_and_by_map(lib):
    with lib.Executor(max_workers=2) as executor:
        future = executor.submit(fail_if_three, 3)
        with pytest.raises(ValueError, match="^three is not allowed$"):
            future.result(timeout=10)
        assert isinstance(future.exception(), ValueError)
        results = executor.map(fail_if_three, range(5))
        assert [next(results), next(results), next(results)] == [0, 1, 2]
        with pytest.raises(ValueError, match="three is not allowed"):
            next(results)
        assert executor.submit(square, 4).result(timeout=10) == 16  # still working


def test_as_completed_yields_the_quick_futures_before_the_slow_one(lib):
    started, gate = lib.Event(), lib.Event()
    with lib.Executor(max_workers=2, initializer=keep_events, initargs=(started, gate)) as executor:
        slow = executor.submit(wait_at_gate, "slow")
        quick = [executor.submit(square, n) for n in range(4)]
        finished = concurrent.futures.as_completed([slow, *quick], timeout=10)
        first = next(finished)
        assert first is not slow
        gate.set()
        rest = list(finished)
    assert {first, *rest} == {slow, *quick}
    assert slow.result() == "slow"


def test_wait_returns_when_every_future_is_done(lib):
    with lib.Executor(max_workers=2) as executor:
        futures = [executor.submit(square, n) for n in range(10)]
        done, not_done = concurrent.futures.wait(futures, timeout=10)
    assert done == set(futures) and not not_done
    assert [future.result() for future in futures] == SQUARES


def test_the_initializer_runs_in_the_workers_before_the_calls(lib):
    with lib.Executor(max_workers=2, initializer=remember_greeting, initargs=("hello",)) as executor:
        assert list(executor.map(greet, ["Ada", "Alan"])) == ["hello, Ada", "hello, Alan"]


# -- shutting down ---------------------------------------------------------------------


def test_shutdown_waits_for_the_work_and_then_refuses_more(lib):
    executor = lib.Executor(max_workers=2)
    futures = [executor.submit(square, n) for n in range(10)]
    executor.shutdown(wait=True)
    assert all(future.done() for future in futures)
    assert [future.result() for future in futures] == SQUARES
    with pytest.raises(RuntimeError, match="cannot schedule new futures after shutdown"):
        executor.submit(square, 1)
    with pytest.raises(RuntimeError, match="cannot schedule new futures after shutdown"):
        executor.map(square, [1])


def test_leaving_with_lets_the_work_finish(lib):
    with lib.Executor(max_workers=2) as executor:
        futures = [executor.submit(square, n) for n in range(10)]
    assert [future.result(timeout=0) for future in futures] == SQUARES


def test_shutdown_with_cancel_futures_cancels_what_has_not_started(lib):
    started, gate = lib.Event(), lib.Event()
    executor = lib.Executor(max_workers=1, initializer=keep_events, initargs=(started, gate))
    busy = executor.submit(wait_at_gate, "busy")
    assert started.wait(timeout=10)  # the one worker is held at the gate
    waiting = [executor.submit(square, n) for n in range(20)]
    waiting[-1].add_done_callback(lambda future: gate.set())  # cancelling it lets the busy one finish
    executor.shutdown(wait=True, cancel_futures=True)
    assert busy.result(timeout=0) == "busy"  # it had started: it finished
    assert waiting[-1].cancelled()
    for n, future in enumerate(waiting):  # each one either ran or was cancelled
        assert future.cancelled() or future.result(timeout=0) == n * n


def test_a_cancelled_future_never_runs(lib):
    started, gate, ran = lib.Event(), lib.Event(), lib.Queue()
    executor = lib.Executor(max_workers=1, initializer=keep_events_and_queue, initargs=(started, gate, ran))
    busy = executor.submit(wait_at_gate, "busy")
    assert started.wait(timeout=10)  # the one worker is held at the gate
    futures = [executor.submit(record, n) for n in range(10)]
    cancelled = {n for n, future in enumerate(futures) if future.cancel()}
    gate.set()
    executor.shutdown(wait=True)
    assert busy.result(timeout=0) == "busy"
    assert 9 in cancelled  # the last ones had surely not started
    assert {n for n, future in enumerate(futures) if future.cancelled()} == cancelled
    recorded = {ran.get(timeout=10) for _ in range(10 - len(cancelled))}
    assert recorded == set(range(10)) - cancelled
    assert ran.empty()  # and nothing else ran


def test_max_workers_must_be_positive(lib):
    with pytest.raises(ValueError, match="max_workers"):
        lib.Executor(max_workers=0)
    with pytest.raises(ValueError, match="max_workers"):
        lib.Executor(max_workers=-1)


PROGRAM_THAT_DOES_NOT_WAIT = """
import concurrent.futures, multiprocessing, pathlib, time, warnings
import minimp
warnings.simplefilter("ignore", minimp.MinimpExtraWarning)  # minimp.ProcessPoolExecutor, on purpose

def write_later(path):
    time.sleep(0.2)  # the program reaches its end meanwhile
    pathlib.Path(path).write_text("done")

if __name__ == "__main__":
    executor = {executor}
    executor.submit(write_later, "done.txt")
    {ending}
"""


@pytest.mark.parametrize("ending", ["executor.shutdown(wait=False)", "pass"], ids=["shutdown-no-wait", "no-shutdown"])
@pytest.mark.parametrize("library", ["minimp", "stdlib"])
def test_a_program_ends_only_when_its_pending_calls_are_done(library, ending, tmp_path):
    # concurrent.futures: "Regardless of the value of wait, the entire Python
    # program will not exit until all pending futures are done executing."
    executor = {
        "minimp": "minimp.ProcessPoolExecutor(1)",
        "stdlib": 'concurrent.futures.ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))',
    }[library]
    ended = run_program(PROGRAM_THAT_DOES_NOT_WAIT.format(executor=executor, ending=ending), tmp_path)
    assert ended == (0, "", "")
    assert (tmp_path / "done.txt").exists()


# -- a broken executor ---------------------------------------------------------------


def test_a_killed_worker_breaks_the_executor(lib):
    with lib.Executor(max_workers=1) as executor:
        assert executor.submit(square, 2).result(timeout=10) == 4
        doomed = executor.submit(kill_myself)
        with pytest.raises(BrokenProcessPool):
            doomed.result(timeout=10)
        with pytest.raises(BrokenProcessPool):
            executor.submit(square, 3)


def test_an_initializer_that_raises_breaks_the_executor(lib):
    with lib.Executor(max_workers=1, initializer=fail_to_start) as executor:
        # minimp starts its workers at once: the executor may be broken before
        # this submit() already, and then submit() raises instead of the future.
        with pytest.raises(BrokenProcessPool):
            executor.submit(square, 2).result(timeout=10)
        with pytest.raises(BrokenProcessPool):
            executor.submit(square, 3)


def test_a_result_that_cannot_be_unpickled_fails_its_future_instead_of_hanging(lib):
    executor = lib.Executor(max_workers=1)
    try:
        error = executor.submit(return_refuses_to_be_rebuilt).exception(timeout=10)
    finally:
        executor.shutdown(wait=False)  # not `with`: if the executor hung, shutdown(wait=True) would too
    # The standard library breaks the executor (BrokenProcessPool); minimp fails this future only.
    assert "cannot be rebuilt here" in f"{error} {error.__cause__}"


# -- minimp only ----------------------------------------------------------------------


def test_a_broken_executor_names_the_worker_that_died(ctx):
    with minimp.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as executor:
        worker = executor.submit(os.getpid).result(timeout=10)
        doomed = executor.submit(kill_myself)
        with pytest.raises(BrokenProcessPool, match=rf"pid {worker}\b.*SIGKILL"):
            doomed.result(timeout=10)
        with pytest.raises(BrokenProcessPool, match=rf"pid {worker}\b"):
            executor.submit(square, 3)


def test_a_broken_executor_says_what_the_initializer_raised(ctx):
    with minimp.ProcessPoolExecutor(max_workers=1, mp_context=ctx, initializer=fail_to_start) as executor:
        with pytest.raises(BrokenProcessPool, match="this initializer always fails"):
            executor.submit(square, 2).result(timeout=10)  # either may raise: see above


@pytest.mark.parametrize("library", ["minimp", "stdlib"])
@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_mp_context_may_be_minimps_or_the_standard_librarys(library, method):
    context = minimp.get_context(method) if library == "minimp" else multiprocessing.get_context(method)
    with minimp.ProcessPoolExecutor(max_workers=1, mp_context=context) as executor:
        name = executor.submit(process_name).result(timeout=10)
        assert list(executor.map(square, range(10))) == SQUARES
    # named as the standard library names its workers: ForkPoolWorker, SpawnPoolWorker, ForkServerPoolWorker
    assert name.startswith({"fork": "Fork", "spawn": "Spawn", "forkserver": "ForkServer"}[method] + "PoolWorker")


def test_max_tasks_per_child_gives_each_call_a_fresh_worker(ctx):
    with minimp.ProcessPoolExecutor(max_workers=1, mp_context=ctx, max_tasks_per_child=1) as executor:
        pids = [executor.submit(os.getpid).result(timeout=10) for _ in range(4)]
        assert list(executor.map(square, range(4))) == [0, 1, 4, 9]
    assert len(set(pids)) == 4
    with pytest.raises(ValueError, match="max_tasks_per_child"):
        minimp.ProcessPoolExecutor(max_workers=1, mp_context=ctx, max_tasks_per_child=0)


def test_every_future_has_its_own_integer_id(ctx):
    with minimp.ProcessPoolExecutor(max_workers=2, mp_context=ctx) as executor:
        futures = [executor.submit(square, n) for n in range(3)]
        mapped = executor.map(square, range(3))
        assert list(mapped) == [0, 1, 4]
        ids = [future.id for future in futures]
    assert all(type(id) is int for id in ids)
    assert len(set(ids)) == 3
