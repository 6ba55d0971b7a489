"""pool.stacks(): where is each worker now? (pools/stacks.py)"""

import time

import pytest

import minimp
from minimp.pools.stacks import Stacks


def wait_for_ever():
    time.sleep(60)  # in a C call, which faulthandler interrupts all the same


def spin(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:  # pure Python, holding the GIL
        pass


def quick(x):
    return x


def wait_until_running(pool, task_id):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if any(stack.task == task_id for stack in pool.stacks()):
            return
        time.sleep(0.02)
    raise AssertionError(f"task {task_id} never seemed to run")


@pytest.mark.timeout(60)
def test_a_stuck_task_shows_its_own_line_and_an_idle_worker_says_so(ctx):
    with ctx.Pool(2) as pool:
        pool.map(quick, range(4))  # both workers started and ready
        stuck = pool.apply_async(wait_for_ever)
        wait_until_running(pool, stuck.id)
        stacks = pool.stacks()
    assert isinstance(stacks, Stacks) and len(stacks) == 2
    busy, idle = sorted(stacks, key=lambda stack: stack.task is None)
    assert busy.task == stuck.id
    assert busy.frames[-1].endswith(" in wait_for_ever")  # the task's function: the outermost of its frames
    assert all("/minimp/pools/" not in frame for frame in busy.frames)  # minimp's own frames are left out
    assert " in worker_loop" in busy.text  # ... but kept in the whole answer
    assert idle.task is None and idle.frames == []
    text = str(stacks)
    assert f"{busy.label} · task {stuck.id}\n" in text and f"{idle.label} · idle: waiting for a job" in text


@pytest.mark.timeout(60)
def test_a_worker_busy_in_python_answers_too():
    with minimp.Pool(1) as pool:
        pool.map(quick, range(2))
        result = pool.apply_async(spin, (3.0,))
        wait_until_running(pool, result.id)
        (stack,) = pool.stacks()
        assert stack.frames[0].endswith(" in spin")
        pool.terminate()


@pytest.mark.timeout(60)
def test_the_executor_answers_and_a_finished_pool_has_nothing_to_say():
    with minimp.ProcessPoolExecutor(1) as executor:
        assert executor.submit(quick, 1).result(timeout=10) == 1
        (stack,) = executor.stacks()
        assert stack.task is None and "idle" in str(executor.stacks())
    with minimp.Pool(1) as pool:
        pool.map(quick, range(2))
    pool.join()
    assert pool.stacks() == [] and str(pool.stacks()) == "no worker is ready to answer"


def test_a_bad_timeout_is_refused():
    with minimp.Pool(1) as pool:
        for bad in (0, -1, "1", True):
            with pytest.raises(ValueError, match=r"stacks\(timeout=.*\): timeout must be a number of seconds above 0"):
                pool.stacks(timeout=bad)


# -- the standard library's pools, through traced() (tracing/traced.py) -------------------------


def nap(seconds):
    time.sleep(seconds)
    return seconds


@pytest.mark.timeout(60)
def test_trace_stacks_reaches_a_standard_library_worker_that_ran_a_traced_call():
    import multiprocessing  # (under fork: its spawn and forkserver leave helper processes running)

    with minimp.trace() as t:
        with multiprocessing.get_context("fork").Pool(2) as pool:
            pool.map(minimp.traced(nap), [0.01] * 4, chunksize=1)
            pool.apply_async(minimp.traced(nap), (30,))
            deadline, stuck = time.monotonic() + 20, []
            while not stuck and time.monotonic() < deadline:
                stuck = [s for s in t.stacks() if any(line.endswith(" in nap") for line in s.frames)]
            assert len(stuck) == 1 and stuck[0].label.endswith("(traced)"), str(t.stacks())
            workers = [child.pid for child in multiprocessing.active_children()]
            pool.terminate()
            pool.join()
        assert t.stacks() == []  # gone: not signalled (its pid may be another process's by now)
    assert all(not pid_alive(pid) for pid in workers)


def pid_alive(pid):
    import os

    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.mark.timeout(60)
def test_a_traced_call_in_a_minimp_worker_leaves_pool_stacks_as_it_was(ctx):
    with minimp.trace() as t:
        with ctx.Pool(1) as pool:
            stuck = pool.apply_async(minimp.traced(wait_for_ever))
            wait_until_running(pool, stuck.id)
            (stack,) = pool.stacks()
            assert stack.frames and stack.frames[0].endswith(" in wait_for_ever")
            assert [s.label for s in t.stacks()] == [stack.label]  # once: minimp's own answer, no traced one
            pool.terminate()
