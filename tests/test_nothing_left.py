"""Nothing left behind: a dropped pool, a task's own children, and errors that name the item.

Each test checks by pid that no process is left: the workers, and the
processes a task started (grandchildren, which no join() can collect).
"""

import gc
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import pytest

import minimp
from minimp.pools import lifetime

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def fork():
    return minimp.get_context("fork")


def square(x):
    return x * x


def start_a_sleeper(_):
    """A task that starts a process of its own and returns its pid, leaving it running."""
    return subprocess.Popen(["sleep", "60"]).pid


def nap(seconds):
    time.sleep(seconds)
    return seconds


def die_on3(x):
    if x == 3:
        os._exit(1)
    return x


def running(pid: int) -> bool:
    """Is `pid` a live process? (A zombie is not: it has ended, only its exit code waits.)"""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def eventually(condition, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


# -- 1. a dropped pool ------------------------------------------------------------------


def use_a_pool_and_drop_it(ctx):
    pool = ctx.Pool(2)  # never closed
    workers = pool.map(lambda_free_getpid, range(4), chunksize=1)
    return pool.map(square, range(4)), workers


def lambda_free_getpid(_):
    time.sleep(0.05)  # both workers get a task
    return os.getpid()


def test_a_dropped_running_pool_is_terminated_with_a_warning_naming_its_line(ctx):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values, workers = use_a_pool_and_drop_it(ctx)
        gc.collect()
        lifetime.wait_for_dropped(5)
    assert values == [0, 1, 4, 9]
    assert minimp.active_children() == []
    assert not any(running(pid) for pid in set(workers))
    [warning] = [w for w in caught if issubclass(w.category, ResourceWarning)]
    line = use_a_pool_and_drop_it.__code__.co_firstlineno + 1
    assert (warning.filename, warning.lineno) == (__file__, line)
    assert str(warning.message).startswith(f"unclosed running minimp.Pool created at {__file__}:{line}: terminating it")


def test_a_result_keeps_its_dropped_pool_alive_until_it_arrives(ctx):
    result = ctx.Pool(2).map_async(nap, [0.2, 0.2, 0.2])  # the Pool is garbage at once
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert result.get(timeout=10) == [0.2, 0.2, 0.2]
        future = ctx.Pool(1).submit(square, 7)
        assert future.result(timeout=10) == 49
        assert list(ctx.Pool(2).imap(square, range(5))) == [0, 1, 4, 9, 16]
        del result, future
        gc.collect()
        lifetime.wait_for_dropped(5)
    assert minimp.active_children() == []


def test_a_closed_pool_that_is_dropped_gives_no_warning_and_still_finishes(fork):
    results = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pool = fork.Pool(2)
        pool.map_async(nap, [0.1, 0.1], callback=results.append)
        pool.close()
        loop = pool._loop
        del pool
        gc.collect()
        loop.wait_closed()
    assert results == [[0.1, 0.1]]
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_a_dropped_executor_finishes_its_work_then_its_workers_exit(fork):
    executor = minimp.ProcessPoolExecutor(2, mp_context=fork)
    future = executor.submit(nap, 0.2)
    loop = executor._loop
    del executor
    gc.collect()
    assert future.result(timeout=10) == 0.2
    loop.wait_closed()
    assert minimp.active_children() == []


def test_an_unfinished_streamed_map_does_not_keep_its_dropped_executor(ctx):
    executor = minimp.ProcessPoolExecutor(2, mp_context=ctx)
    results = executor.map(square, range(100), buffersize=4)
    assert next(results) == 0
    loop = executor._loop
    gc.disable()  # reference counting alone must free it: no cycle through the map
    try:
        del executor
        assert eventually(lambda: not loop.is_alive(), timeout=10)
    finally:
        gc.enable()
    loop.wait_closed()
    del results
    assert minimp.active_children() == []


# -- 4. grandchildren ------------------------------------------------------------------


@pytest.mark.parametrize("stop", ["terminate", "leave with"])
def test_stopping_a_pool_ends_the_processes_its_tasks_started(ctx, stop):
    pool = ctx.Pool(2)
    sleepers = pool.map(start_a_sleeper, range(2), chunksize=1)
    assert all(running(pid) for pid in sleepers)
    if stop == "terminate":
        pool.terminate()
    else:
        with pool:
            pass
    pool.join()
    assert eventually(lambda: not any(running(pid) for pid in sleepers)), sleepers


def start_a_sleeper_and_nap(path):
    Path(path).write_text(str(subprocess.Popen(["sleep", "60"]).pid))
    time.sleep(30)


def test_an_interrupted_call_ends_the_processes_its_tasks_started(ctx, tmp_path):
    # An interrupt while waiting cancels the call: the worker running its task is stopped, with
    # its group (results.py's waiting, crew.py's stop_call); the pool goes on.
    with ctx.Pool(2) as pool:
        path = tmp_path / "sleeper"
        waiting = pool.apply_async(start_a_sleeper_and_nap, (str(path),))
        assert eventually(lambda: path.exists() and path.read_text())
        sleeper = int(path.read_text())
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        previous = signal.signal(signal.SIGALRM, lambda *_: signal.raise_signal(signal.SIGINT))
        try:
            with pytest.raises(KeyboardInterrupt, match="1 worker running its tasks stopped and replaced"):
                waiting.get()
        finally:
            signal.signal(signal.SIGALRM, previous)
        assert eventually(lambda: not running(sleeper)), sleeper
        assert pool.apply(square, (3,)) == 9


def test_a_crashed_worker_takes_the_processes_its_tasks_started_with_it(ctx):
    with ctx.Pool(1) as pool:
        sleeper = pool.apply(start_a_sleeper, (0,))
        worker = pool.apply(os.getpid)
        os.kill(worker, signal.SIGKILL)
        assert eventually(lambda: not running(sleeper))
        assert pool.apply(square, (3,)) == 9  # and a new worker took its place


def test_process_terminate_keeps_the_standard_librarys_meaning(fork):
    """Only the process itself: a Process is not a pool worker, and makes no group."""
    child = fork.Process(target=time.sleep, args=(30,))
    child.start()
    assert os.getpgid(child.pid) == os.getpgrp()
    child.terminate()
    child.join()
    assert child.exitcode == -signal.SIGTERM


PARENT_DIES = textwrap.dedent("""
    import os, subprocess, sys, minimp
    def start_a_sleeper(_):
        return subprocess.Popen(["sleep", "60"]).pid
    if __name__ == "__main__":
        pool = minimp.get_context(sys.argv[1]).Pool(2)
        print(*pool.map(start_a_sleeper, range(2), chunksize=1), flush=True)
        os.kill(os.getpid(), 9)
""")


def test_the_parents_death_ends_the_workers_and_what_their_tasks_started(ctx, tmp_path):
    program = tmp_path / "parent_dies.py"
    program.write_text(PARENT_DIES)
    done = subprocess.run([sys.executable, str(program), ctx.get_start_method()], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == -signal.SIGKILL, done.stderr
    sleepers = [int(pid) for pid in done.stdout.split()]
    assert len(sleepers) == 2
    assert eventually(lambda: not any(running(pid) for pid in sleepers)), sleepers


# -- 5. errors that name the item --------------------------------------------------------


def test_a_crash_names_the_item_and_its_argument_as_the_learner_wrote_them(ctx):
    with ctx.Pool(2) as pool:
        with pytest.raises(minimp.WorkerDiedError, match=r"exited with exit code 1 while running "
                                                         r"item 3 of map\(die_on3\), argument 3$"):
            pool.map(die_on3, range(8))
        with pytest.raises(minimp.WorkerDiedError, match=r"while running item 3 of imap\(die_on3\), argument 3$"):
            list(pool.imap(die_on3, range(8)))
        with pytest.raises(minimp.WorkerDiedError, match=r"while running apply_async\(die_on3\), args \(3,\)$"):
            pool.apply(die_on3, (3,))
        task = pool.submit(die_on3, 3)
        with pytest.raises(minimp.WorkerDiedError, match=r"while running submit\(die_on3\), args \(3,\)$"):
            task.result(timeout=10)
        assert task.id > 0  # the id stays, for traces


def test_pickling_and_timeout_errors_name_the_item_too(fork):
    import threading

    with fork.Pool(1) as pool:
        with pytest.raises(TypeError, match=r"^item 1 of map\(square\), argument <unlocked _thread.*: "
                                            r"its argument could not be pickled"):
            pool.map(square, [1, threading.Lock()])
        with pytest.raises(minimp.TimeoutError, match=r"^no result from apply_async\(nap\) within 0.1 seconds$"):
            pool.apply_async(nap, (1,)).get(timeout=0.1)
        with pytest.raises(minimp.TimeoutError, match=r"^no result from map\(nap\) within 1 second: "
                                                      r"2 of its 2 items had not finished$"):
            pool.map_async(nap, [2, 2]).get(timeout=1)
        with pytest.raises(minimp.TimeoutError, match=r"^no result for item 0 of imap\(nap\) within 0.1 seconds$"):
            pool.imap(nap, [2]).next(timeout=0.1)


def test_a_long_argument_is_shortened_in_the_message(fork):
    with fork.Pool(1) as pool:
        with pytest.raises(minimp.WorkerDiedError) as died:
            pool.apply(die_on3_of, ("x" * 10_000,))
    message = str(died.value)
    assert "apply_async(die_on3_of), args ('xxxx" in message
    assert len(message) < 200


def die_on3_of(text):
    os._exit(1)
