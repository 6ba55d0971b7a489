"""Barrier: processes wait for each other, then go on together.

In one process, with threads, minimp's Barrier is checked against the
standard library's (the `mp` fixture); across processes, under fork and
spawn (the `ctx` fixture), each test tells who arrived, who passed and in
what order.
"""

import multiprocessing
import queue
import threading
import unittest

import pytest

import minimp

WAIT = 30  # seconds: "for ever", so a broken barrier fails a test instead of hanging it
SHORT = 0.2  # seconds: a timeout that is expected to expire

# The standard library keeps a Barrier's two numbers in a shared-memory heap
# that it opens on first use and keeps open: open it now, so that the leak
# check does not blame the first test that compares with it.
multiprocessing.get_context("fork").RawValue("i")


def start(ctx, target, *args):
    child = ctx.Process(target=target, args=args)
    child.start()
    return child


def finish(*children):
    for child in children:
        child.join(WAIT)
        assert child.exitcode == 0, f"{child.name} exited with {child.exitcode}"


def read(log, n):
    return [log.get(timeout=WAIT) for _ in range(n)]


# --- in one process, against the standard library ---------------------------


def test_a_barrier_counts_its_waiters_and_lets_all_go_when_the_last_arrives(mp):
    barrier = mp.Barrier(3)
    assert (barrier.parties, barrier.n_waiting, barrier.broken) == (3, 0, False)
    indices = []
    threads = [threading.Thread(target=lambda: indices.append(barrier.wait(WAIT))) for _ in range(2)]
    for thread in threads:
        thread.start()
    while barrier.n_waiting < 2:
        threads[0].join(0.01)
    assert indices == []  # two of three arrived: both still wait
    indices.append(barrier.wait(WAIT))
    for thread in threads:
        thread.join(WAIT)
    assert sorted(indices) == [0, 1, 2]
    assert barrier.n_waiting == 0  # and it can be used again


def test_a_wait_that_times_out_breaks_the_barrier(mp):
    barrier = mp.Barrier(2, timeout=SHORT)
    with pytest.raises(threading.BrokenBarrierError):
        barrier.wait()  # the barrier's own timeout
    assert barrier.broken
    with pytest.raises(threading.BrokenBarrierError):
        barrier.wait()  # broken stays broken
    barrier.reset()
    assert not barrier.broken


def test_an_action_that_raises_breaks_the_barrier_for_the_last_waiter(mp):
    barrier = mp.Barrier(1, action=lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        barrier.wait()
    assert barrier.broken


def test_a_broken_barrier_raises_threadings_error_as_the_standard_library_does():
    from minimp.runtime.barrier import BrokenBarrierError

    assert BrokenBarrierError is threading.BrokenBarrierError  # multiprocessing has no name of its own for it
    assert not hasattr(minimp, "BrokenBarrierError") and not hasattr(multiprocessing, "BrokenBarrierError")


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"parties": 0}, ValueError, r"Barrier\(parties=0\): parties must be at least 1"),
        ({"parties": -2}, ValueError, r"Barrier\(parties=-2\): parties must be at least 1"),
        ({"parties": "3"}, TypeError, r"Barrier\(parties='3'\): parties must be an int, not str"),
        ({"parties": 2.0}, TypeError, r"parties must be an int, not float"),
        ({"parties": 2, "action": "go"}, TypeError, r"Barrier\(action='go'\): action must be callable or None"),
    ],
)
def test_a_bad_barrier_is_refused_with_a_clear_message(kwargs, error, message):
    with pytest.raises(error, match=message):
        minimp.Barrier(**kwargs)


def test_a_barrier_cannot_be_sent_through_a_queue():
    barrier, q = minimp.Barrier(2), minimp.Queue()
    with pytest.raises(RuntimeError, match="Barrier objects should only be shared between processes through inheritance"):
        q.put(barrier)
    q.close()
    q.join_thread()


def test_a_barriers_repr_says_how_many_wait():
    barrier = minimp.Barrier(2)
    assert repr(barrier).endswith(": waiters=0/2>")
    barrier.abort()
    assert repr(barrier).endswith(": broken>")


# --- across processes, under fork and spawn ---------------------------------


def arrive(name, barrier, log):
    log.put(f"{name} arrives")
    index = barrier.wait(WAIT)
    log.put(f"{name} passes as {index}")


def test_children_wait_at_the_barrier_until_the_parent_arrives_too(ctx):
    barrier, log = ctx.Barrier(3), ctx.Queue()
    children = [start(ctx, arrive, name, barrier, log) for name in "AB"]
    arrived = read(log, 2)
    with pytest.raises(queue.Empty):  # two of three: nobody passes
        log.get(timeout=SHORT)
    assert barrier.n_waiting == 2  # the count lives in shared memory: the parent sees the children
    mine = barrier.wait(WAIT)
    passed = read(log, 2)
    finish(*children)

    assert sorted(arrived) == ["A arrives", "B arrives"]
    assert sorted([int(line[-1]) for line in passed] + [mine]) == [0, 1, 2]  # one index each


class LogAction:
    """A barrier's action that says when it runs (a class: it pickles by reference under spawn)."""

    def __init__(self, log):
        self.log = log

    def __call__(self):
        self.log.put("action")


def test_the_action_runs_once_in_the_last_to_arrive_before_anyone_passes(ctx):
    log = ctx.Queue()
    barrier = ctx.Barrier(3, action=LogAction(log))
    children = [start(ctx, arrive, name, barrier, log) for name in "AB"]
    read(log, 2)
    mine = barrier.wait(WAIT)  # the parent arrives last: it runs the action
    after = read(log, 3)
    finish(*children)
    assert after[0] == "action"
    assert sorted(line[0] for line in after[1:]) == ["A", "B"]
    assert sorted([int(line[-1]) for line in after[1:]] + [mine]) == [0, 1, 2]


def wait_and_tell(barrier, log):
    try:
        barrier.wait(WAIT)
        log.put("passed")
    except threading.BrokenBarrierError:
        log.put("broken")


def test_abort_in_the_parent_wakes_a_waiting_child_with_brokenbarriererror(ctx):
    barrier, log = ctx.Barrier(2), ctx.Queue()
    child = start(ctx, wait_and_tell, barrier, log)
    while barrier.n_waiting < 1:
        child.join(0.01)
    barrier.abort()
    assert read(log, 1) == ["broken"]
    finish(child)
    barrier.reset()  # mended: the next two pass
    child = start(ctx, wait_and_tell, barrier, log)
    barrier.wait(WAIT)
    assert read(log, 1) == ["passed"]
    finish(child)


# --- CPython's own Barrier tests, run against minimp --------------------------
#
# test._test_multiprocessing's _TestBarrier takes the library it tests from a
# mixin of names. Under fork only: its shared list of results is built from
# the standard library's own Lock and heap, which only fork can hand to a
# child that minimp starts.

from cpython_suite import MinimpProcessesMixin, cpython_tests  # noqa: E402 - beside the tests it runs

if cpython_tests is not None:

    class TestCPythonBarrierTestsOnMinimp(MinimpProcessesMixin, cpython_tests._TestBarrier, unittest.TestCase):
        pass
