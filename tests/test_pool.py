"""Pool, told as small stories (pool.py, results.py, worker.py).

Most stories run three times: on minimp's Pool under fork and under spawn,
and on the standard library's Pool (fork), which is the oracle (the `lib`
fixture below). They cover what every pool user meets: map and its
relatives, apply and apply_async with their callbacks, the AsyncResult
(get with a timeout, wait, ready, successful), chunk sizes, the
constructor's checks, initializers, workers that retire after
`maxtasksperchild` tasks, how a pool closes, and a whole program that
leaves its pool open (it must still end, without a word on stderr).

Then come the stories where minimp differs on purpose, under both start
methods (the `ctx` fixture): task ids and `submit`, the end of a `with`
block failing the results nobody got instead of leaving them hanging, and
all the ways a task can go wrong (SystemExit, a crash, arguments or results
or exceptions that cannot be pickled, a callback that raises): each fails
only its own task, with a message that says what happened, and the pool
goes on.

Workers cannot be handed an Event with a task's arguments (locks and events
travel only to a process being started), so the stories that must hold a
worker at a known point give it an Event through the pool's initializer:
`started` says a task is running, `gate` lets it finish.
"""

import collections
import concurrent.futures
import multiprocessing
import multiprocessing.pool
import os
import signal
import sys
import threading
import time
import types
from functools import partial

import pytest

import minimp
from programs import run_program

SQUARES = [n * n for n in range(10)]


@pytest.fixture(params=["minimp-fork", "minimp-spawn", "minimp-forkserver", "stdlib"])
def lib(request):
    """The pieces a pool story needs, from minimp (under one start method) or from
    the standard library (fork), the oracle: `lib.Pool(2)` reads as user code."""
    if request.param == "stdlib":
        std = multiprocessing.get_context("fork")
        return types.SimpleNamespace(
            Pool=std.Pool, Event=std.Event, Queue=std.Queue, TimeoutError=multiprocessing.TimeoutError,
            RemoteTraceback=multiprocessing.pool.RemoteTraceback, stdlib=True,
        )  # fmt: skip
    ctx = minimp.get_context(request.param.removeprefix("minimp-"))
    return types.SimpleNamespace(
        Pool=partial(minimp.Pool, context=ctx), Event=ctx.Event, Queue=ctx.Queue,
        TimeoutError=minimp.TimeoutError, RemoteTraceback=minimp.RemoteTraceback, stdlib=False,
    )  # fmt: skip


# -- what the workers run (module level, so that a spawned worker imports them) ----------


def square(x):
    return x * x


def add(a, b):
    return a + b


def square_and_pid(x):
    return x * x, os.getpid()


def fail_if_three(x):
    if x == 3:
        raise ValueError("three is not allowed")
    return x


def exit_with(code):
    sys.exit(code)


def kill_myself():
    os.kill(os.getpid(), signal.SIGKILL)


def make_lock():
    return threading.Lock()


def identity(x):
    return x


class Unpicklable:
    """An argument that refuses to be pickled."""

    def __reduce__(self):
        raise TypeError("Unpicklable refuses to be pickled")


class TwoArgumentError(Exception):
    """Pickles, but cannot be rebuilt: unpickling calls TwoArgumentError(message)."""

    def __init__(self, what, why):
        super().__init__(f"{what} failed because {why}")


def raise_two_argument_error():
    raise TwoArgumentError("the task", "it had to")


def _refuse_to_be_rebuilt():
    raise ValueError("cannot be rebuilt here")


class RefusesToBeRebuilt:
    """Pickles fine, but fails to unpickle in the process that receives it."""

    def __reduce__(self):
        return _refuse_to_be_rebuilt, ()


def return_refuses_to_be_rebuilt():
    return RefusesToBeRebuilt()


def fail_to_start():
    raise ValueError("this initializer always fails")


_greeting = None


def remember_greeting(greeting, initialized):
    """An initializer: keep `greeting` for the tasks, say which worker ran it."""
    global _greeting
    _greeting = greeting
    initialized.put(os.getpid())


def greeting_and_pid(_):
    return _greeting, os.getpid()


_events = {}


def keep_events(started, gate):
    """An initializer: keep the test's events, for wait_at_gate."""
    _events.update(started=started, gate=gate)


def wait_at_gate(x):
    """Say the task has started, wait until the test opens the gate, return x."""
    _events["started"].set()
    _events["gate"].wait(timeout=30)
    return x


def wait_at_gate_if_zero(x):
    return wait_at_gate(x) if x == 0 else x


# -- map and its relatives, against the standard library ---------------------------------


def test_map_returns_the_results_in_order(lib):
    with lib.Pool(2) as pool:
        assert pool.map(square, range(10)) == SQUARES
        assert pool.map(square, range(10), chunksize=3) == SQUARES
        assert pool.map(square, (n for n in range(10))) == SQUARES  # any iterable


@pytest.mark.parametrize("size", [0, 1, 1000])
def test_the_default_chunksize_gives_every_result(lib, size):
    expected = [n * n for n in range(size)]
    with lib.Pool(2) as pool:
        assert pool.map(square, range(size)) == expected
        assert pool.map_async(square, range(size)).get(timeout=10) == expected
        assert pool.starmap(pow, [(n, 2) for n in range(size)]) == expected
        assert list(pool.imap(square, range(size))) == expected
        assert sorted(pool.imap_unordered(square, range(size))) == expected


def test_map_async_gives_the_list_to_its_callback(lib):
    got = []
    with lib.Pool(2) as pool:
        result = pool.map_async(square, range(10), callback=got.append)
        assert result.get(timeout=10) == SQUARES
        pool.close()
        pool.join()  # the callbacks have run once the pool is joined
    assert got == [SQUARES]


def test_map_async_gives_the_first_error_to_its_error_callback(lib):
    errors = []
    with lib.Pool(2) as pool:
        result = pool.map_async(fail_if_three, range(6), error_callback=errors.append)
        with pytest.raises(ValueError, match="three is not allowed"):
            result.get(timeout=10)
        assert result.ready() and not result.successful()
        pool.close()
        pool.join()
    assert [(type(e), str(e)) for e in errors] == [(ValueError, "three is not allowed")]


def wait_at_gate_if_five(x):
    return wait_at_gate(x) if x == 5 else fail_if_three(x)


def test_a_failed_map_is_ready_only_when_every_task_has_ended(lib):
    started, gate = lib.Event(), lib.Event()
    with lib.Pool(2, initializer=keep_events, initargs=(started, gate)) as pool:
        result = pool.map_async(wait_at_gate_if_five, range(6), chunksize=1)
        assert started.wait(10)
        # Item 3 fails at once, but item 5 still runs: the result waits for it.
        with pytest.raises(lib.TimeoutError):
            result.get(timeout=0.5)
        gate.set()
        with pytest.raises(ValueError, match="three is not allowed"):
            result.get(timeout=10)


def test_map_async_of_nothing_is_ready_at_once_without_calling_back(lib):
    got = []
    with lib.Pool(2) as pool:
        result = pool.map_async(square, [], callback=got.append)
        assert result.get(timeout=10) == []
        pool.close()
        pool.join()
    assert got == []


def nap(task):
    name, seconds = task
    time.sleep(seconds)
    return name


def test_a_free_worker_takes_the_next_task_rather_than_it_waiting_behind_a_long_one(lib):
    # Worker 0 takes A (long), worker 1 takes B; C must go to worker 1 once
    # B is done, not wait behind A (minimp sends ahead only short jobs).
    with lib.Pool(2) as pool:
        order = list(pool.imap_unordered(nap, [("A", 1.0), ("B", 0.1), ("C", 0.1)]))
    assert order == ["B", "C", "A"]


def nap_where(task):
    return nap(task), os.getpid()


def test_a_quick_first_task_does_not_send_the_rest_of_a_map_to_its_worker(lib):
    # Sending ahead judges a function by its last job: nap("A", 0) made the other naps look
    # tiny, and once all eleven went to one worker, the other had nothing left to take.
    naps = [("A", 0.0)] + [(str(n), 0.02) for n in range(11)]
    with lib.Pool(2) as pool:
        pool.map(nap, [("warm", 0.05)] * 2, chunksize=1)  # both workers started and ready
        pids = collections.Counter(pid for _, pid in pool.map(nap_where, naps, chunksize=1))
    assert len(pids) == 2 and min(pids.values()) >= 4, pids  # 10 to 2 before the fix


def test_starmap_unpacks_each_tuple_of_arguments(lib):
    pairs = [(1, 2), (3, 4), (5, 6)]
    with lib.Pool(2) as pool:
        assert pool.starmap(add, pairs) == [3, 7, 11]
        assert pool.starmap_async(add, pairs, chunksize=2).get(timeout=10) == [3, 7, 11]


def test_imap_yields_in_order_even_when_a_later_item_is_ready_first(lib):
    # Item 0 is held in its worker until the gate opens; the others are quick.
    started, gate = lib.Event(), lib.Event()
    with lib.Pool(2, initializer=keep_events, initargs=(started, gate)) as pool:
        results = pool.imap(wait_at_gate_if_zero, range(4))
        assert started.wait(timeout=10)
        with pytest.raises(lib.TimeoutError):
            results.next(timeout=0.2)  # 1, 2 and 3 may be done, but 0 comes first
        gate.set()
        assert list(results) == [0, 1, 2, 3]


def test_imap_unordered_yields_results_as_they_finish(lib):
    started, gate = lib.Event(), lib.Event()
    with lib.Pool(2, initializer=keep_events, initargs=(started, gate)) as pool:
        results = pool.imap_unordered(wait_at_gate_if_zero, range(4))
        first = results.next(timeout=10)
        assert first != 0  # a quick one did not wait for the slow one
        gate.set()
        assert sorted([first, *results]) == [0, 1, 2, 3]


def test_imap_raises_a_tasks_error_in_its_place_and_goes_on(lib):
    with lib.Pool(2) as pool:
        results = pool.imap(fail_if_three, range(5))
        assert [next(results), next(results), next(results)] == [0, 1, 2]
        with pytest.raises(ValueError, match="three is not allowed"):
            next(results)
        assert list(results) == [4]


# -- apply, apply_async and the AsyncResult ------------------------------------------------


def test_apply_runs_one_call_and_waits_for_it(lib):
    with lib.Pool(1) as pool:
        assert pool.apply(add, (2, 3)) == 5
        assert pool.apply(add, (2,), {"b": 5}) == 7


def test_apply_async_calls_callback_or_error_callback(lib):
    log = []
    with lib.Pool(1) as pool:
        fine = pool.apply_async(square, (4,), callback=log.append, error_callback=log.append)
        failed = pool.apply_async(fail_if_three, (3,), callback=log.append, error_callback=log.append)
        assert fine.get(timeout=10) == 16
        with pytest.raises(ValueError):
            failed.get(timeout=10)
        pool.close()
        pool.join()
    assert log[0] == 16
    assert type(log[1]) is ValueError and str(log[1]) == "three is not allowed"


def test_a_result_is_not_ready_until_its_task_finishes(lib):
    started, gate = lib.Event(), lib.Event()
    with lib.Pool(1, initializer=keep_events, initargs=(started, gate)) as pool:
        result = pool.apply_async(wait_at_gate, (5,))
        assert started.wait(timeout=10)
        # The task is running and held at the gate: nothing to get yet.
        with pytest.raises(lib.TimeoutError):
            result.get(timeout=0.1)
        assert result.wait(timeout=0.1) is None
        assert not result.ready()
        with pytest.raises(ValueError, match="not ready"):
            result.successful()
        gate.set()
        assert result.get(timeout=10) == 5
        assert result.ready() and result.successful()


def test_a_callback_has_run_when_get_returns(lib):
    log = []
    get_returned = threading.Event()

    def callback(value):
        get_returned.wait(timeout=0.5)  # if get() does not wait for us, it returns meanwhile
        log.append(f"callback({value})")

    with lib.Pool(1) as pool:
        result = pool.apply_async(square, (3,), callback=callback)
        result.get(timeout=10)
        log.append("get returned")
        get_returned.set()
        pool.close()
        pool.join()
    assert log == ["callback(9)", "get returned"]


# -- a task's exception ----------------------------------------------------------------


def test_a_tasks_exception_comes_back_with_the_workers_traceback(lib):
    with lib.Pool(2) as pool:
        with pytest.raises(ValueError, match="^three is not allowed$") as raised:
            pool.apply(fail_if_three, (3,))
        cause = raised.value.__cause__
        assert isinstance(cause, lib.RemoteTraceback)
        assert "in fail_if_three" in str(cause)
        assert 'raise ValueError("three is not allowed")' in str(cause)
        assert cause.tb == str(cause)  # the text, by the standard library's attribute name too
        with pytest.raises(ValueError, match="three is not allowed"):
            pool.map(fail_if_three, range(10))
        assert pool.map(square, range(10)) == SQUARES  # the pool goes on


def test_an_argument_that_cannot_be_pickled_fails_its_task_only(lib):
    with lib.Pool(1) as pool:
        with pytest.raises(TypeError):
            pool.apply(identity, (threading.Lock(),))
        assert pool.apply(square, (3,)) == 9


# -- the pool's constructor and its life --------------------------------------------------


def test_the_constructor_refuses_bad_arguments(lib):
    with pytest.raises(ValueError, match="processes"):
        lib.Pool(processes=0)
    with pytest.raises(ValueError, match="processes"):
        lib.Pool(processes=-1)
    with pytest.raises(TypeError, match="initializer"):
        lib.Pool(1, initializer=42)
    with pytest.raises(ValueError, match="maxtasksperchild"):
        lib.Pool(1, maxtasksperchild=0)


def test_the_initializer_runs_in_every_worker_before_its_tasks(lib):
    initialized = lib.Queue()
    with lib.Pool(2, initializer=remember_greeting, initargs=("hello", initialized)) as pool:
        results = pool.map(greeting_and_pid, range(8), chunksize=1)
        worker_pids = {initialized.get(timeout=10), initialized.get(timeout=10)}
    assert len(worker_pids) == 2  # each of the two workers ran it once
    assert [greeting for greeting, _ in results] == ["hello"] * 8
    assert {pid for _, pid in results} <= worker_pids


def test_maxtasksperchild_gives_each_task_a_fresh_worker(lib):
    with lib.Pool(2, maxtasksperchild=1) as pool:
        results = pool.map(square_and_pid, range(6), chunksize=1)
    assert [value for value, _ in results] == [n * n for n in range(6)]
    pids = [pid for _, pid in results]
    assert len(set(pids)) == 6
    assert os.getpid() not in pids


def test_a_retiring_worker_gives_its_place_at_once_and_is_reaped(ctx):
    # maxtasksperchild: a worker exits by itself after its last job; its successor starts as soon as
    # that job is done, before the old one has finished exiting (crew.py); the old one is still reaped.
    with minimp.trace() as t:
        pool = ctx.Pool(2, maxtasksperchild=2)
        results = pool.map(square_and_pid, range(12), chunksize=1)
        pool.close()  # not terminate(), which would stop the last ones as they exit
        pool.join()
    assert [value for value, _ in results] == [n * n for n in range(12)]
    assert all(pids <= 2 for pids in collections.Counter(pid for _, pid in results).values())
    lives = sorted(t.workers, key=lambda w: w.started)
    retired = [w for w in lives if w.pid in {pid for _, pid in results}]
    assert all(w.exitcode == 0 for w in retired), lives  # each exited by itself, none was killed
    for lane in (0, 1):
        in_lane = [w for w in lives if w.index == lane]
        assert all(later.started < earlier.exited for earlier, later in zip(in_lane, in_lane[1:])), [(w.pid, round(w.started - t.started, 4), round(w.exited - t.started, 4), w.exitcode) for w in in_lane]


def test_terminate_reaps_retiring_workers_too(ctx):
    pool = ctx.Pool(2, maxtasksperchild=1)
    pending = pool.map_async(square, range(40), chunksize=1)
    time.sleep(0.1)
    pool.terminate()  # some workers are between their last job and their exit
    pool.join()
    with pytest.raises(minimp.PoolTerminatedError):
        pending.get(timeout=5)


def test_a_closed_pool_takes_no_more_work(lib):
    pool = lib.Pool(1)
    with pytest.raises(ValueError):
        pool.join()  # join() before close(): refused
    pool.close()
    for more_work in [
        lambda: pool.apply_async(square, (1,)),
        lambda: pool.map(square, [1]),
        lambda: pool.imap(square, [1]),
        lambda: pool.starmap(add, [(1, 2)]),
    ]:
        with pytest.raises(ValueError, match="Pool not running"):
            more_work()
    pool.join()


def test_close_and_join_let_the_queued_work_finish(lib):
    pool = lib.Pool(2)
    results = [pool.apply_async(square, (n,)) for n in range(10)]
    mapped = pool.map_async(square, range(10), chunksize=1)
    pool.close()
    pool.join()
    assert [result.get(timeout=0) for result in results] == SQUARES
    assert mapped.get(timeout=0) == SQUARES


def test_a_function_that_is_not_callable_fails(lib):
    with lib.Pool(1) as pool:
        with pytest.raises(TypeError):
            pool.map(42, [1, 2])


def test_import_minimp_as_multiprocessing_gives_a_working_pool():
    import minimp as multiprocessing

    with multiprocessing.Pool(processes=2) as pool:
        assert pool.map(square, [1, 2, 3, 4]) == [1, 4, 9, 16]
    assert multiprocessing.TimeoutError is minimp.TimeoutError


PROGRAM_THAT_LEAVES_ITS_POOL = """
import multiprocessing

def square(x):
    return x * x

if __name__ == "__main__":
    pool = multiprocessing.Pool(2)
    print(pool.map(square, range(4)))
    {ending}
"""


@pytest.mark.parametrize("ending", ["pass", "pool.close()"], ids=["left-open", "closed-not-joined"])
@pytest.mark.parametrize("library", ["minimp", "stdlib"])
def test_a_program_ends_even_if_it_does_not_join_its_pool(library, ending, tmp_path):
    source = PROGRAM_THAT_LEAVES_ITS_POOL.format(ending=ending)
    if library == "minimp":
        source = source.replace("import multiprocessing", "import minimp as multiprocessing")
    ended = run_program(source, tmp_path)
    assert ended == (0, "[0, 1, 4, 9]\n", "")


# -- minimp only, both start methods ---------------------------------------------------


def test_a_context_makes_pools_of_its_start_method(ctx):
    with ctx.Pool(1) as pool:
        assert pool.apply(square, (3,)) == 9


def test_functions_from_this_module_and_from_inside_a_test_run_in_workers(ctx):
    offset = 10

    def shifted(x):  # defined in a function: travels by value (cloudpickle)
        return x + offset

    with minimp.Pool(2, context=ctx) as pool:
        assert pool.map(square, [1, 2, 3]) == [1, 4, 9]
        assert pool.map(shifted, [1, 2, 3]) == [11, 12, 13]
        assert pool.map(lambda x: -x, [1, 2, 3]) == [-1, -2, -3]


def test_every_result_has_its_own_integer_id(ctx):
    with minimp.Pool(2, context=ctx) as pool, minimp.Pool(1, context=ctx) as other:
        results = [
            pool.apply_async(square, (1,)), pool.apply_async(square, (2,)),
            pool.map_async(square, range(3)), pool.starmap_async(add, [(1, 2)]),
            pool.imap(square, range(3)), pool.imap_unordered(square, range(3)),
            pool.submit(square, 3), other.apply_async(square, (4,)), other.submit(square, 5),
        ]  # fmt: skip
        ids = [result.id for result in results]
        assert all(type(id) is int for id in ids)
        assert len(set(ids)) == len(ids)  # unique across calls and pools


def test_the_id_of_a_single_call_is_the_id_of_its_task_in_a_trace(ctx):
    with minimp.trace() as trace:
        with minimp.Pool(1, context=ctx) as pool:
            applied = pool.apply_async(square, (3,))
            submitted = pool.submit(square, 4)
            assert applied.get(timeout=10) == 9
            assert submitted.result(timeout=10) == 16
    assert {record.id: record.args for record in trace.tasks} == {applied.id: "(3,)", submitted.id: "(4,)"}


def test_submit_returns_a_future_that_concurrent_futures_understands(ctx):
    with minimp.Pool(2, context=ctx) as pool:
        futures = [pool.submit(square, n) for n in range(6)]
        assert all(isinstance(future, concurrent.futures.Future) for future in futures)
        done, not_done = concurrent.futures.wait(futures, timeout=10)
        assert done == set(futures) and not not_done
        finished = list(concurrent.futures.as_completed(futures, timeout=10))
        assert sorted(future.result() for future in finished) == [n * n for n in range(6)]
        assert pool.submit(add, 1, b=2).result(timeout=10) == 3
        failed = pool.submit(fail_if_three, 3)
        assert isinstance(failed.exception(timeout=10), ValueError)


@pytest.mark.parametrize("chunksize", [0, -1, "3"])
def test_a_bad_chunksize_is_refused_in_the_caller(ctx, chunksize):
    with minimp.Pool(1, context=ctx) as pool:
        for call in [pool.map, pool.map_async, pool.imap, pool.imap_unordered]:
            with pytest.raises(ValueError, match="chunksize"):
                call(square, [1, 2, 3], chunksize)
        for call in [pool.starmap, pool.starmap_async]:
            with pytest.raises(ValueError, match="chunksize"):
                call(add, [(1, 2)], chunksize)
        assert pool.map(square, [1, 2, 3]) == [1, 4, 9]  # nothing was queued


def test_a_function_that_is_not_callable_is_refused_at_once(ctx):
    with minimp.Pool(1, context=ctx) as pool:
        for call in [
            lambda: pool.apply_async(42),
            lambda: pool.submit("square", 2),
            lambda: pool.map_async(None, [1]),
            lambda: pool.imap(42, [1]),
        ]:
            with pytest.raises(TypeError, match="callable"):
                call()


def test_leaving_with_terminates_and_fails_the_results_nobody_got(ctx):
    started, gate = ctx.Event(), ctx.Event()  # the gate never opens
    with minimp.Pool(1, initializer=keep_events, initargs=(started, gate), context=ctx) as pool:
        running = pool.apply_async(wait_at_gate, (1,))
        queued = pool.map_async(square, range(3))
        future = pool.submit(square, 2)
        assert started.wait(timeout=10)
    # The worker was stopped in the middle of a task; nothing hangs.
    with pytest.raises(minimp.PoolTerminatedError):
        running.get(timeout=5)
    with pytest.raises(minimp.PoolTerminatedError):
        queued.get(timeout=5)
    assert isinstance(future.exception(timeout=5), minimp.PoolTerminatedError)
    with pytest.raises(ValueError, match="Pool not running"):
        pool.apply_async(square, (1,))


def test_sys_exit_in_a_task_fails_that_task_and_the_worker_goes_on(ctx):
    with minimp.Pool(1, context=ctx) as pool:
        worker = pool.apply(os.getpid)
        with pytest.raises(minimp.TaskExitError, match=r"SystemExit\(3\)") as raised:
            pool.apply(exit_with, (3,))
        assert "in exit_with" in str(raised.value.__cause__)
        assert pool.apply(os.getpid) == worker  # the same worker, still running
        assert pool.map(square, range(10)) == SQUARES


def test_a_killed_worker_fails_its_task_and_is_replaced(ctx):
    with minimp.Pool(1, context=ctx) as pool:
        worker = pool.apply(os.getpid)
        killed = pool.apply_async(kill_myself)
        queued = [pool.apply_async(square, (n,)) for n in range(3)]
        with pytest.raises(minimp.WorkerDiedError, match=rf"pid {worker}\b.*SIGKILL.*kill_myself"):
            killed.get(timeout=10)
        # The tasks queued behind it run on the new worker.
        assert [result.get(timeout=10) for result in queued] == [0, 1, 4]
        assert pool.apply(os.getpid) != worker
        assert pool.map(square, range(10)) == SQUARES


def test_an_initializer_that_raises_stops_the_pool(ctx):
    # Not `with`: a worker may fail so fast that entering the pool raises already.
    pool = minimp.Pool(2, initializer=fail_to_start, context=ctx)
    try:
        with pytest.raises(minimp.WorkerStartError, match="initializer raised ValueError: this initializer always fails"):
            pool.apply_async(square, (2,)).get(timeout=10)  # at once, or when the worker fails
        with pytest.raises(minimp.WorkerStartError):
            pool.apply_async(square, (3,))  # no new workers started in a loop: the pool is stopped
    finally:
        pool.terminate()


@pytest.mark.parametrize("argument", [Unpicklable(), threading.Lock()], ids=["refuses", "lock"])
def test_an_argument_that_cannot_be_pickled_says_so(ctx, argument):
    with minimp.Pool(1, context=ctx) as pool:
        with pytest.raises(TypeError, match="could not be pickled"):
            pool.apply(identity, (argument,))
        results = pool.imap(identity, [1, argument, 3])
        assert next(results) == 1
        with pytest.raises(TypeError, match="could not be pickled"):
            next(results)
        assert next(results) == 3
        assert pool.apply(square, (3,)) == 9


def test_a_result_that_cannot_be_pickled_fails_its_task_only(ctx):
    with minimp.Pool(1, context=ctx) as pool:
        with pytest.raises(TypeError, match=r"^apply_async\(make_lock\), args \(\): its result could not be pickled") as raised:
            pool.apply(make_lock)
        assert "lock" in str(raised.value)
        assert pool.apply(square, (3,)) == 9


def test_a_result_that_cannot_be_unpickled_in_the_parent_fails_its_task_only(ctx):
    with minimp.Pool(1, context=ctx) as pool:
        with pytest.raises(ValueError) as raised:
            pool.apply_async(return_refuses_to_be_rebuilt).get(timeout=10)  # not a hang
        assert "return_refuses_to_be_rebuilt" in str(raised.value)
        assert "cannot be rebuilt here" in str(raised.value)
        assert pool.apply(square, (3,)) == 9


def test_an_exception_that_cannot_be_rebuilt_becomes_a_clear_error(ctx):
    with minimp.Pool(1, context=ctx) as pool:
        with pytest.raises(minimp.TaskExitError, match="TwoArgumentError.*could not be sent back") as raised:
            pool.apply(raise_two_argument_error)
        assert "in raise_two_argument_error" in str(raised.value.__cause__)
        assert pool.apply(square, (3,)) == 9


def test_a_callback_that_raises_is_printed_and_the_pool_goes_on(ctx, capsys):
    def broken_callback(value):
        raise RuntimeError(f"broken callback got {value}")

    with minimp.Pool(1, context=ctx) as pool:
        result = pool.apply_async(square, (3,), callback=broken_callback)
        assert result.get(timeout=10) == 9
        failed = pool.apply_async(fail_if_three, (3,), error_callback=broken_callback)
        with pytest.raises(ValueError):
            failed.get(timeout=10)
        assert pool.map(square, range(10)) == SQUARES
        pool.close()
        pool.join()
    printed = capsys.readouterr().err
    assert "in broken_callback" in printed
    assert "RuntimeError: broken callback got 9" in printed
    assert "RuntimeError: broken callback got three is not allowed" in printed
