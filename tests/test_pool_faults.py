"""Pool faults, told as small stories (pool.py, worker.py, futures.py).

A pool meets trouble from every side: a worker is killed or crashes in the
middle of a task, a task tries to end its worker, an initializer fails, the
user presses Ctrl-C while waiting, the parent itself is killed. Each story
says what the user sees: which call fails, with which error and message, how
fast, and that the pool then goes on (or stops cleanly) with no child left
behind and no result lost or delivered twice.

The standard library is not the oracle here: its Pool hangs for ever when a
worker is killed or a task calls os._exit (the task's result never comes),
so those stories cannot be run against it.

In order: a worker dies under a task; a task tries to end its worker; an
initializer fails; the caller is interrupted; workers ignore Ctrl-C; the
parent dies; terminate(); the executor breaks; a stress run with random
kills; two tasks on two workers; the exit code seen from two threads.
"""

import contextlib
import os
import queue as queue_module
import random
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

import minimp
from minimp.pools.crew import Crew

pytestmark = pytest.mark.fault

SRC = Path(__file__).resolve().parent.parent / "src"  # the minimp a subprocess imports


# -- what the workers run ------------------------------------------------------------------


def square(x):
    return x * x


def slow_square(x):
    time.sleep(0.05)
    return x * x


def kill_self():
    os.kill(os.getpid(), signal.SIGKILL)


def exit_7():
    os._exit(7)


def segfault():
    import ctypes
    import faulthandler

    faulthandler.disable()  # pytest's handler would print a stack dump
    ctypes.string_at(0)  # read address 0: the kernel sends SIGSEGV


def square_or_exit(x):
    if x == 5:
        os._exit(7)
    return x * x


def exit_3():
    sys.exit(3)


def interrupt():
    raise KeyboardInterrupt


class Shutdown(BaseException):
    """Not an Exception: `except Exception` does not catch it."""


def shut_down():
    raise Shutdown("stop everything")


def fail_to_start(path):
    with open(path, "a") as starts:  # one line per worker that ran its initializer
        starts.write(f"{os.getpid()}\n")
    raise ConnectionError("no database at db.example:5432")


# A worker's channel to the test: a Queue (and an Event) given to it by the
# pool's initializer, the one way to hand a process a Queue when it starts.
_channel = {}


def open_channel(queue, go=None):
    _channel["queue"], _channel["go"] = queue, go


def report_then_wait_for_go():
    _channel["queue"].put(os.getpid())
    return "finished" if _channel["go"].wait(10) else "never told to go"


def report_then_sleep():
    _channel["queue"].put(os.getpid())
    time.sleep(30)


def busy_square(x):
    """About 0.1 ms of work, so a worker is nearly always in the middle of a task."""
    end = time.perf_counter() + 0.0001
    while time.perf_counter() < end:
        pass
    return x, x * x, os.getpid()


# -- helpers ----------------------------------------------------------------------------


def worker_pids():
    return {p.pid for p in minimp.active_children()}


def eventually(condition, timeout=5.0):
    """Poll `condition` until it holds or `timeout` seconds pass; return it."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def is_gone(pid):
    """Has process `pid` exited? (A zombie has: only its exit status is left.)"""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def unreaped_children():
    """This process's children that have not been reaped yet, from /proc.

    Unlike minimp.active_children(), reading this never reaps a child, so it
    does not compete with the pool's result loop (see the last story).
    """
    pids = set()
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children") as f:
                pids.update(int(pid) for pid in f.read().split())
        except FileNotFoundError:
            pass
    return pids


def interrupt_main_thread_in(seconds):
    """Ctrl-C, simulated: a real SIGINT sent to the main thread in `seconds`.

    (`_thread.interrupt_main()` would only set Python's flag: a main thread
    blocked in a wait would not wake up to see it. A signal wakes it.)
    """
    timer = threading.Timer(seconds, signal.pthread_kill, (threading.main_thread().ident, signal.SIGINT))
    timer.start()
    return timer


@pytest.fixture
def ctrl_c_raises():
    """SIGINT raises KeyboardInterrupt in the main thread, as in an interactive session.

    A shell starts background jobs with SIGINT ignored, and Python then leaves it
    ignored: the interrupt these stories send would vanish and the test would hang.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def full_text(error):
    """What a user reads when `error` is printed: its causes and their tracebacks too."""
    return "".join(traceback.format_exception(error))


# -- a worker dies under a task --------------------------------------------------------------

HOW_WORKERS_DIE = {
    "SIGKILL": (kill_self, "was killed by signal SIGKILL"),
    "os._exit(7)": (exit_7, "exited with exit code 7"),
    "segfault": (segfault, "was killed by signal SIGSEGV"),
}


@pytest.mark.parametrize("how", HOW_WORKERS_DIE)
def test_a_worker_that_dies_fails_only_its_task_and_is_replaced(ctx, how):
    die, described = HOW_WORKERS_DIE[how]
    delivered = []  # (tag, value) for every outcome, from the callbacks: each comes once

    def submit(tag, function, args=()):
        return pool.apply_async(
            function, args,
            callback=lambda value: delivered.append((tag, value)),
            error_callback=lambda error: delivered.append((tag, type(error).__name__)),
        )  # fmt: skip

    with minimp.Pool(2, context=ctx) as pool:
        original = worker_pids()
        before = [submit(f"before {x}", slow_square, (x,)) for x in range(4)]
        crashed = submit("crashed", die)
        after = [submit(f"after {x}", square, (x,)) for x in range(4)]

        with pytest.raises(minimp.WorkerDiedError) as died:  # not TimeoutError: it does not hang
            crashed.get(timeout=10)

        # The message says who died, how, and under which task.
        message = str(died.value)
        named = re.match(r"worker (?P<index>[01]) \(pid (?P<pid>\d+)\) ", message)
        assert named, message
        assert int(named["pid"]) in original
        assert described in message
        assert f"while running apply_async({die.__name__}), args ()" in message

        # The other tasks, submitted before and after, all finish.
        assert [r.get(timeout=10) for r in before] == [0, 1, 4, 9]
        assert [r.get(timeout=10) for r in after] == [0, 1, 4, 9]

        # A new worker took the dead one's place, and the pool works on.
        dead = int(named["pid"])
        assert is_gone(dead)
        assert eventually(lambda: len(worker_pids()) == 2)
        replacement = worker_pids() - original
        assert dead not in worker_pids() and len(replacement) == 1
        assert pool.map(square, range(20), chunksize=1) == [x * x for x in range(20)]

    assert minimp.active_children() == []
    expected = {f"before {x}": x * x for x in range(4)} | {f"after {x}": x * x for x in range(4)}
    assert sorted(delivered) == sorted([*expected.items(), ("crashed", "WorkerDiedError")])


def test_a_map_whose_item_kills_its_worker_raises_instead_of_hanging(ctx):
    with minimp.Pool(2, context=ctx) as pool:
        died = r"exited with exit code 7 while running item 5 of map\(square_or_exit\), argument 5$"
        with pytest.raises(minimp.WorkerDiedError, match=died):  # a hang would meet the test's timeout
            pool.map(square_or_exit, range(10), chunksize=1)
        assert pool.map(square, range(10)) == [x * x for x in range(10)]
    assert minimp.active_children() == []


def test_a_crash_in_a_chunk_names_the_chunk_or_with_a_trace_the_task(ctx):
    with minimp.Pool(2, context=ctx) as pool:
        # Untraced, a chunk runs in C (worker.py): the pool can name only the chunk.
        with pytest.raises(minimp.WorkerDiedError, match=r"while running one of items 5-9 of map\(square_or_exit\)$"):
            pool.map(square_or_exit, range(10), chunksize=5)
        # Traced, the worker notes each task it starts: the task itself is named.
        with minimp.trace() as trace, pytest.raises(minimp.WorkerDiedError,
                                                    match=r"while running item 5 of map\(square_or_exit\), argument 5$"):
            pool.map(square_or_exit, range(10), chunksize=5)
    crashed = [record for record in trace.tasks if record.status == "crashed"]
    assert [record.index for record in crashed] == list(range(5, 10))  # the whole chunk failed


def exit_at_40(x):
    if x == 40:
        os._exit(7)
    return x


def test_a_traced_crash_among_tiny_tasks_names_its_group_of_64(ctx):
    # The first 16 tasks of a traced chunk are noted one by one; tiny ones after them, in groups
    # of 64 (chunks.py): item 40 is in the group of items 16-79. (Were the first 16 slowed down
    # past 5 µs each, by a busy machine, every task would be noted, and the item named.)
    with minimp.Pool(2, context=ctx) as pool, minimp.trace():
        named = r"while running (one of items 16-79|item 40) of map\(exit_at_40\)"
        with pytest.raises(minimp.WorkerDiedError, match=named):
            pool.map(exit_at_40, range(100), chunksize=100)


def test_imap_raises_for_the_crashed_item_only(ctx):
    with minimp.Pool(2, context=ctx) as pool:
        results = pool.imap(square_or_exit, range(10))
        seen = []
        for _ in range(10):
            try:
                seen.append(results.next(timeout=10))
            except minimp.WorkerDiedError:
                seen.append("died")
        with pytest.raises(StopIteration):
            next(results)
    assert seen == [0, 1, 4, 9, 16, "died", 36, 49, 64, 81]
    assert minimp.active_children() == []


# -- a task tries to end its worker ---------------------------------------------------------


@pytest.mark.parametrize(
    "task, raised",
    [(exit_3, "SystemExit(3)"), (interrupt, "KeyboardInterrupt()"), (shut_down, "Shutdown('stop everything')")],
    ids=["sys.exit", "KeyboardInterrupt", "BaseException"],
)
def test_a_task_cannot_end_its_worker(ctx, task, raised):
    with minimp.Pool(1, context=ctx) as pool:
        worker = pool.apply(os.getpid)
        with pytest.raises(minimp.TaskExitError) as failed:
            pool.apply(task)
        assert f"the task raised {raised}" in str(failed.value)
        assert f"in {task.__name__}" in str(failed.value.__cause__)  # the worker's traceback
        assert pool.apply(os.getpid) == worker  # the same worker: it did not exit
        assert pool.map(square, range(5)) == [0, 1, 4, 9, 16]
    assert minimp.active_children() == []


# -- an initializer fails --------------------------------------------------------------------


def test_a_failing_initializer_stops_the_pool_once(ctx, tmp_path):
    starts = tmp_path / "starts"

    def count_starts():
        return len(starts.read_text().split()) if starts.exists() else 0

    pool = minimp.Pool(2, initializer=fail_to_start, initargs=(str(starts),), context=ctx)
    try:
        with pytest.raises(minimp.WorkerStartError) as failed:
            pool.apply(square, (2,))
        message = str(failed.value)
        assert "failed to start" in message
        assert "ConnectionError: no database at db.example:5432" in message
        # Printed, the error shows where the initializer raised, in the worker.
        assert "in fail_to_start" in full_text(failed.value)
        assert 'raise ConnectionError("no database at db.example:5432")' in full_text(failed.value)

        # No worker is started again: at most the two first ones ran the initializer.
        assert eventually(lambda: minimp.active_children() == [])
        started = count_starts()
        assert 1 <= started <= 2

        # Every later call fails at once with the same error, and starts nothing.
        for call in (
            lambda: pool.apply_async(square, (3,)),
            lambda: pool.map(square, range(3)),
            lambda: pool.submit(square, 3),
        ):
            began = time.monotonic()
            with pytest.raises(minimp.WorkerStartError) as again:
                call()
            assert time.monotonic() - began < 0.5
            assert str(again.value) == message
        assert count_starts() == started
        assert minimp.active_children() == []
    finally:
        pool.terminate()


def test_a_failing_initializer_breaks_the_executor(ctx, tmp_path):
    starts = str(tmp_path / "starts")
    with minimp.ProcessPoolExecutor(2, mp_context=ctx, initializer=fail_to_start, initargs=(starts,)) as executor:
        # The first use fails: the submit() itself, or its future, whichever the break reaches first.
        with pytest.raises(BrokenProcessPool, match="ConnectionError: no database at db.example:5432"):
            executor.submit(square, 2).result(timeout=10)
        with pytest.raises(BrokenProcessPool, match="the executor is broken"):
            executor.submit(square, 3)
    assert minimp.active_children() == []


# -- the caller is interrupted while it waits ---------------------------------------------------

WAITS = {
    "map": lambda pool: pool.map(time.sleep, [30] * 4, chunksize=1),
    "AsyncResult.get": lambda pool: pool.apply_async(time.sleep, (30,)).get(),
    "imap": lambda pool: next(pool.imap(time.sleep, [30] * 4)),
    "Future.result": lambda pool: pool.submit(time.sleep, 30).result(),
}


def nap_then(seconds, value):
    time.sleep(seconds)
    return value


@pytest.mark.usefixtures("ctrl_c_raises")
@pytest.mark.parametrize("wait_in", WAITS)
def test_ctrl_c_while_waiting_cancels_that_call_and_the_pool_goes_on(ctx, wait_in):
    pool = minimp.Pool(2, context=ctx)
    try:
        timer = interrupt_main_thread_in(0.3)
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt, match=r"\(sleep\) cancelled: .*The pool is ready for more work\.$"):
            WAITS[wait_in](pool)
        assert time.monotonic() - started < 0.3 + 3  # the cancel takes moments (CANCEL_WAIT at most)
        timer.join()
        began = time.monotonic()
        assert pool.map(square, range(4), chunksize=1) == [0, 1, 4, 9]  # the workers it stopped were replaced
        assert time.monotonic() - began < 5  # not after the interrupted call's 30 s naps
        assert eventually(lambda: len(minimp.active_children()) == 2, timeout=2)
    finally:
        pool.terminate()


@pytest.mark.usefixtures("ctrl_c_raises")
def test_ctrl_c_cancels_only_the_call_it_interrupts(ctx):
    with minimp.Pool(2, context=ctx) as pool:
        pool.map(abs, [0, 0], chunksize=1)  # both workers are up
        other = pool.apply_async(nap_then, (1.5, "other"))  # another call, on one worker
        time.sleep(0.1)
        timer = interrupt_main_thread_in(0.5)
        mapped = pool.map_async(time.sleep, [30] * 4, chunksize=1)  # one task runs, three wait
        with pytest.raises(KeyboardInterrupt) as interrupted:
            mapped.get()
        timer.join()
        assert str(interrupted.value) == ("map(sleep) cancelled: 3 tasks not yet started dropped, 1 worker "
                                          "running its tasks stopped and replaced. The pool is ready for more work.")
        with pytest.raises(minimp.CallCancelledError, match=r"^map\(sleep\) was cancelled: its caller was interrupted$"):
            mapped.get(timeout=5)
        assert other.get(timeout=5) == "other"


@pytest.mark.usefixtures("ctrl_c_raises")
def test_ctrl_c_cancels_a_task_sent_ahead_behind_another_calls(ctx):
    # nap_then was quick, so the next nap waits in the worker's pipe behind the slow one (ahead.py):
    # no worker runs it yet, and the queue does not hold it. It must not run once the slow one ends.
    with minimp.Pool(1, context=ctx) as pool:
        for _ in range(2):  # the first, under spawn, imports this module: not quick
            assert pool.apply(nap_then, (0, "quick")) == "quick"
        slow = pool.apply_async(nap_then, (0.8, "slow"))
        time.sleep(0.1)
        hang = pool.apply_async(nap_then, (30, "hang"))
        after = pool.apply_async(nap_then, (0, "after"))  # another call, queued behind the hang
        timer = interrupt_main_thread_in(0.2)
        with pytest.raises(KeyboardInterrupt, match=r"^apply_async\(nap_then\) cancelled: 1 worker "):
            hang.get()
        timer.join()
        assert slow.get(timeout=5) == "slow"
        with pytest.raises(minimp.CallCancelledError, match="was cancelled: its caller was interrupted$"):
            hang.get(timeout=5)  # not its value, 30 s later
        assert after.get(timeout=10) == "after"


@pytest.mark.usefixtures("ctrl_c_raises")
def test_a_job_begun_as_its_worker_was_stopped_for_another_call_runs_again(ctx, monkeypatch):
    # The race, made wide: the pool's thread is late to stop the worker, and meanwhile the
    # cancelled call's job ends and the worker begins the next, another call's, sent ahead.
    # Nobody cancelled that one: it must not fail (nor break anything), but run again.
    stop_call = Crew.stop_call
    monkeypatch.setattr(Crew, "stop_call", lambda crew, cancelled: time.sleep(0.5) or stop_call(crew, cancelled))
    with minimp.Pool(1, context=ctx) as pool:
        for _ in range(2):  # the first, under spawn, imports this module: not quick
            assert pool.apply(nap_then, (0, "quick")) == "quick"
        interrupted = pool.apply_async(nap_then, (0.3, "interrupted"))
        other = pool.apply_async(nap_then, (1.0, "other"))  # sent ahead, behind it
        timer = interrupt_main_thread_in(0.1)
        with pytest.raises(KeyboardInterrupt):
            interrupted.get()
        timer.join()
        assert interrupted.get(timeout=5) == "interrupted"  # it had ended: its value came first
        assert other.get(timeout=10) == "other"


@pytest.mark.usefixtures("ctrl_c_raises")
def test_ctrl_c_while_waiting_on_an_executor_future_cancels_its_task_only(ctx):
    with minimp.ProcessPoolExecutor(2, mp_context=ctx) as executor:
        other = executor.submit(nap_then, 1.0, "other")
        time.sleep(0.1)
        interrupted = executor.submit(time.sleep, 30)
        timer = interrupt_main_thread_in(0.3)
        started = time.monotonic()
        with pytest.raises(KeyboardInterrupt, match=r"^submit\(sleep\) cancelled: 1 worker running its tasks"):
            interrupted.result()
        assert time.monotonic() - started < 0.3 + 3  # the cancel takes moments (CANCEL_WAIT at most)
        timer.join()
        assert isinstance(interrupted.exception(timeout=5), minimp.CallCancelledError)
        assert other.result(timeout=5) == "other"
        assert executor.submit(square, 3).result(timeout=10) == 9  # not broken: a cancel is not a crash


# -- workers ignore Ctrl-C ---------------------------------------------------------------------


@pytest.mark.timeout(30)
@pytest.mark.parametrize("waits_with", ["apply", "get own result", "map", "imap"])
def test_a_callback_that_waits_on_its_own_pool_gets_an_error_not_a_hang(ctx, capfd, waits_with):
    # A callback runs in the pool's thread, which delivers results: waiting there for one would
    # wait for ever (the standard library hangs, and its terminate() with it).
    pool = ctx.Pool(2)
    assigned = threading.Event()  # the callback may run before apply_async has returned
    waits = {
        "apply": lambda value: pool.apply(square, (value,)),
        "get own result": lambda value: assigned.wait(10) and result.get(),  # not ready until the callback returns
        "map": lambda value: pool.map(square, range(3)),
        "imap": lambda value: list(pool.imap(square, range(3))),
    }
    result = pool.apply_async(square, (3,), callback=waits[waits_with])
    assigned.set()
    assert result.get(timeout=10) == 9
    assert pool.map(square, range(4)) == [0, 1, 4, 9]  # the pool goes on
    began = time.monotonic()
    pool.terminate()
    pool.join()
    assert time.monotonic() - began < 5
    assert "RuntimeError: a callback waited for a result of its own pool" in capfd.readouterr().err


@pytest.mark.timeout(30)
def test_a_done_callback_that_waits_on_its_own_executor_gets_an_error_not_a_hang(ctx):
    raised = []

    def wait_for_another(future):
        try:
            executor.submit(square, 5).result()
        except RuntimeError as error:
            raised.append(str(error))

    with minimp.ProcessPoolExecutor(2, mp_context=ctx) as executor:
        first = executor.submit(time.sleep, 0.5)  # not done yet: the callback runs in the pool's thread
        first.add_done_callback(wait_for_another)
        assert first.result(timeout=10) is None
        assert executor.submit(square, 6).result(timeout=10) == 36
    [message] = raised
    assert message.startswith("a callback waited for a result of its own pool")


def test_a_callback_may_read_results_that_are_ready(ctx):
    with ctx.Pool(2) as pool:
        earlier = pool.apply_async(square, (4,))
        assert earlier.get(timeout=10) == 16
        seen = []
        later = pool.apply_async(square, (5,), callback=lambda value: seen.append((value, earlier.get())))
        assert later.get(timeout=10) == 25
    assert seen == [(25, 16)]


def test_a_worker_ignores_sigint_and_finishes_its_task(ctx):
    queue, go = ctx.Queue(), ctx.Event()
    with minimp.Pool(1, initializer=open_channel, initargs=(queue, go), context=ctx) as pool:
        result = pool.apply_async(report_then_wait_for_go)
        worker = queue.get(timeout=10)  # the task is running
        os.kill(worker, signal.SIGINT)  # what Ctrl-C in a terminal sends to every process of the group
        go.set()
        assert result.get(timeout=10) == "finished"
        assert pool.apply(os.getpid) == worker  # the same worker, still alive
    assert minimp.active_children() == []


# -- the parent dies ---------------------------------------------------------------------------

PARENT = """
import os, sys, time
import minimp

def busy():
    print("running", os.getpid(), flush=True)
    time.sleep(60)

method, kind = sys.argv[1:]
ctx = minimp.get_context(method)
if kind == "Pool":
    pool = minimp.Pool(2, context=ctx)
    pool.apply_async(busy)
else:
    pool = minimp.ProcessPoolExecutor(2, mp_context=ctx)
    pool.submit(busy)
print("workers", *[p.pid for p in minimp.active_children()], flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("kind", ["Pool", "ProcessPoolExecutor"])
def test_workers_exit_when_their_parent_is_killed(ctx, kind):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]))
    method = ctx.get_start_method()
    with subprocess.Popen(
        [sys.executable, "-c", PARENT, method, kind], stdout=subprocess.PIPE, text=True, env=env
    ) as parent:
        lines = {}
        while len(lines) < 2:  # the pool's workers, and the one running the task, in either order
            line = parent.stdout.readline()
            assert line, f"the parent exited early with code {parent.wait()}"
            word, *pids = line.split()
            lines[word] = [int(pid) for pid in pids]
        workers, (running,) = lines["workers"], lines["running"]
        assert len(workers) == 2 and running in workers

        parent.kill()  # no goodbye, no atexit: only the kernel knows
        parent.wait()
        started = time.monotonic()
        assert eventually(lambda: all(is_gone(pid) for pid in workers), timeout=5), "orphaned workers"
        assert time.monotonic() - started < 2


# -- terminate() --------------------------------------------------------------------------------


def test_terminate_stops_running_tasks_at_once(ctx):
    queue = ctx.Queue()
    pool = minimp.Pool(2, initializer=open_channel, initargs=(queue,), context=ctx)
    results = [pool.apply_async(report_then_sleep) for _ in range(4)]
    running = {queue.get(timeout=10), queue.get(timeout=10)}  # two run; two wait their turn
    assert running == worker_pids()

    started = time.monotonic()
    pool.terminate()
    assert time.monotonic() - started < 2
    assert minimp.active_children() == []
    assert all(result.ready() for result in results)
    for result in results:
        with pytest.raises(minimp.PoolTerminatedError, match="terminated before this task finished"):
            result.get(timeout=0)
    pool.join()


# -- the executor breaks ------------------------------------------------------------------------


def test_a_killed_worker_breaks_the_executor(ctx):
    queue = ctx.Queue()
    with minimp.ProcessPoolExecutor(1, mp_context=ctx, initializer=open_channel, initargs=(queue,)) as executor:
        running = executor.submit(report_then_sleep)
        victim = queue.get(timeout=10)

        os.kill(victim, signal.SIGKILL)
        started = time.monotonic()
        error = running.exception(timeout=5)
        assert time.monotonic() - started < 2
        assert isinstance(error, BrokenProcessPool)
        assert f"worker 0 (pid {victim}) was killed by signal SIGKILL" in str(error)
        assert "while running submit(report_then_sleep), args ();" in str(error)
        assert "the executor is broken and takes no more work" in str(error)

        with pytest.raises(BrokenProcessPool, match=f"pid {victim}"):
            executor.submit(square, 1)
    assert minimp.active_children() == []


def outcomes_after_a_kill(ctx):
    """Break an executor of two workers, each with a long task running and more
    waiting; return the victim's pid and what became of every future.

    (A helper, not the test's body: a failing test's frame is kept by pytest,
    and the executor in it would then count as leaked.)
    """
    queue = ctx.Queue()
    with minimp.ProcessPoolExecutor(2, mp_context=ctx, initializer=open_channel, initargs=(queue,)) as executor:
        sleepers = [executor.submit(report_then_sleep) for _ in range(4)]  # two run, two wait
        victim, _ = queue.get(timeout=10), queue.get(timeout=10)
        waiting = [executor.submit(square, x) for x in range(3)]
        os.kill(victim, signal.SIGKILL)
        started = time.monotonic()
        outcomes = []
        for future in sleepers + waiting:
            try:
                outcomes.append(future.exception(timeout=max(0, started + 2 - time.monotonic())))
            except TimeoutError:
                outcomes.append("still pending after 2 s")
        try:
            executor.submit(square, 1)
        except BrokenProcessPool as error:
            outcomes.append(error.with_traceback(None))  # its frames would keep the executor
        if "still pending after 2 s" in outcomes:  # so that leaving the block does not wait for it
            executor._pool.terminate()
    return victim, outcomes


def test_a_killed_worker_fails_every_pending_future_of_the_executor(ctx):
    victim, outcomes = outcomes_after_a_kill(ctx)
    assert len(outcomes) == 4 + 3 + 1  # the sleepers, the squares, the later submit
    for outcome in outcomes:
        assert isinstance(outcome, BrokenProcessPool), outcome
        assert f"(pid {victim}) was killed by signal SIGKILL" in str(outcome)
    assert minimp.active_children() == []


# -- stress: many tiny tasks while workers are killed at random ----------------------------------


@pytest.mark.timeout(120)
@pytest.mark.parametrize("chunksize", [1, 10])
def test_random_kills_lose_and_duplicate_no_result(chunksize):
    tasks, kills = 10_000, 5
    milestones = [threading.Event() for _ in range(kills)]  # after 1000, 2500, ... results
    at = {1000 + i * 1500: event for i, event in enumerate(milestones)}
    seen = set()  # pids that returned a result: ready workers (a worker killed while
    killed = []  # it starts breaks the pool, which is another story)

    def killer():
        for milestone in milestones:
            if not milestone.wait(60):
                return
            victim = random.choice(sorted(seen & unreaped_children()))
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)

    results, errors = [], []
    with minimp.Pool(2, context=minimp.get_context("fork")) as pool:
        thread = threading.Thread(target=killer, name="killer")
        thread.start()
        try:
            outcomes = pool.imap_unordered(busy_square, range(tasks), chunksize)
            for count in range(1, tasks + 1):
                try:
                    x, y, pid = outcomes.next(timeout=10)  # a lost result would time out here
                    results.append((x, y))
                    seen.add(pid)
                except minimp.WorkerDiedError as error:
                    errors.append(error)
                if count in at:
                    at[count].set()
            with pytest.raises(StopIteration):
                outcomes.next(timeout=1)
        finally:
            for event in milestones:
                event.set()
            thread.join()

    assert len(killed) == kills
    assert all(y == x * x for x, y in results)
    xs = [x for x, _ in results]
    assert len(set(xs)) == len(xs), "a result was delivered twice"
    assert len(results) + len(errors) == tasks
    assert 0 < len(errors) <= kills * chunksize
    assert all("was killed by signal SIGKILL" in str(error) for error in errors)
    assert minimp.active_children() == []


# -- two tasks, two workers: an idle worker is never passed over ------------------------------


def two_tasks_run_at_once(ctx, kind):
    """Do two tasks submitted to a new pool of two workers run at the same time?

    (A helper, not the test's body: pytest keeps a failing test's frame, and
    the pool and queue in it would then count as leaked.)
    """
    queue, go = ctx.Queue(), ctx.Event()
    if kind == "Pool":
        pool = minimp.Pool(2, initializer=open_channel, initargs=(queue, go), context=ctx)
    else:
        pool = minimp.ProcessPoolExecutor(2, mp_context=ctx, initializer=open_channel, initargs=(queue, go))
    try:
        tasks = [pool.submit(report_then_wait_for_go) for _ in range(2)]
        started = []  # each task reports its worker's pid as it starts
        with contextlib.suppress(queue_module.Empty):
            started = [queue.get(timeout=2) for _ in range(2)]
        go.set()
        assert [task.result(timeout=10) for task in tasks] == ["finished", "finished"]
        return len(set(started)) == 2
    finally:
        go.set()
        if kind == "Pool":
            pool.terminate()
        else:
            pool.shutdown()


@pytest.mark.parametrize("kind", ["Pool", "ProcessPoolExecutor"])
def test_two_tasks_on_a_pool_of_two_run_at_the_same_time(ctx, kind):
    # Once a bug: worker 0 took a second job (sent ahead) before worker 1 had any,
    # so the second task waited behind the first while worker 1 sat idle.
    assert two_tasks_run_at_once(ctx, kind)


# -- the exit code, seen from two threads ----------------------------------------------------


def crash_messages_while_a_thread_lists_children(crashes):
    stop = threading.Event()

    def watch_children():  # a progress display might do this
        while not stop.is_set():
            minimp.active_children()

    watcher = threading.Thread(target=watch_children)
    watcher.start()
    messages = []
    try:
        with minimp.Pool(1, context=minimp.get_context("fork")) as pool:
            for _ in range(crashes):
                try:
                    pool.apply_async(kill_self).get(timeout=10)
                except minimp.WorkerDiedError as error:
                    messages.append(str(error))
    finally:
        stop.set()
        watcher.join()
    return messages


def test_the_signal_is_named_even_while_another_thread_lists_the_children():
    messages = crash_messages_while_a_thread_lists_children(200)
    assert len(messages) == 200
    assert [m for m in messages if "was killed by signal SIGKILL" not in m] == []
