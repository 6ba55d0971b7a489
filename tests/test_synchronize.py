"""Lock, RLock, Semaphore, BoundedSemaphore, Event and Condition, told as stories.

Two kinds of test:

- In one process, minimp and the standard library side by side (the `mp`
  fixture): whatever `multiprocessing` does is the expected answer, down to
  return values, exception types and what a timeout gives.
- Across processes, under fork and spawn (the `ctx` fixture): children get
  the lock when they are started, and everybody writes what they did into
  one shared log (a minimp Queue). The test then reads the log and checks
  the order of events, which the lock alone decides. Nobody sleeps to "let
  the other one go first": each step waits for the entry before it.

Worker functions live at module level, where a spawned child can import them.
"""

import queue
import threading
import time

import pytest

import minimp

WAIT = 30  # seconds: "for ever" in a child, so a broken lock fails a test instead of hanging it
SHORT = 0.2  # seconds: a timeout that is expected to expire


def start(ctx, target, *args):
    child = ctx.Process(target=target, args=args)
    child.start()
    return child


def finish(*children):
    for child in children:
        child.join(WAIT)
        assert child.exitcode == 0, f"{child.name} exited with {child.exitcode}"


def read(log, n):
    """The next n entries of the shared log, in the order they were written."""
    return [log.get(timeout=WAIT) for _ in range(n)]


def timed(call):
    """call()'s result and how long it took, in seconds."""
    started = time.monotonic()
    result = call()
    return result, time.monotonic() - started


def in_thread(call):
    """Run call() in another thread of this process; return what it returned."""
    results = []
    thread = threading.Thread(target=lambda: results.append(call()))
    thread.start()
    thread.join(WAIT)
    return results[0]


def error_in_thread(call):
    """The exception call() raises in another thread (None if it returns)."""

    def catch():
        try:
            call()
        except Exception as exc:
            return exc

    return in_thread(catch)


# --- Lock, in one process: minimp against the standard library -------------


def test_with_lock_gives_true_and_releases_the_lock_at_the_end(mp):
    lock = mp.Lock()
    with lock as entered:
        assert entered is True
        assert lock.acquire(False) is False  # a Lock is not re-entrant
    assert lock.acquire(False) is True


def test_acquire_on_a_held_lock_returns_false_at_once_without_blocking(mp):
    lock = mp.Lock()
    assert lock.acquire() is True
    got, seconds = timed(lambda: lock.acquire(False))
    assert got is False
    assert seconds < 0.5
    assert lock.acquire(block=False, timeout=5) is False  # the timeout is ignored
    assert lock.acquire(True, 0) is False  # blocking, but for no time at all


def test_acquire_with_a_timeout_gives_up_after_the_timeout(mp):
    lock = mp.Lock()
    lock.acquire()
    got, seconds = timed(lambda: lock.acquire(timeout=0.1))
    assert got is False
    assert 0.09 <= seconds < 2
    got, seconds = timed(lambda: lock.acquire(True, 0.1))  # (block, timeout) by position
    assert got is False
    assert 0.09 <= seconds < 2
    got, seconds = timed(lambda: lock.acquire(timeout=-1))  # a negative timeout: no wait
    assert got is False
    assert seconds < 0.5


def test_releasing_an_unlocked_lock_raises_valueerror(mp):
    lock = mp.Lock()
    with pytest.raises(ValueError, match="released too many times"):
        lock.release()
    lock.acquire()
    lock.release()
    with pytest.raises(ValueError, match="released too many times"):
        lock.release()


def test_a_lock_held_by_one_thread_may_be_released_by_another(mp):
    lock = mp.Lock()
    lock.acquire()
    assert error_in_thread(lock.release) is None  # unlike an RLock, a Lock has no owner to check
    assert lock.acquire(False) is True


def test_a_locks_repr_says_who_holds_it(mp):
    lock, rlock = mp.Lock(), mp.RLock()
    assert repr(lock) == "<Lock(owner=None)>"
    assert repr(rlock) == "<RLock(None, 0)>"
    lock.acquire()
    rlock.acquire()
    rlock.acquire()
    assert repr(lock) == "<Lock(owner=MainProcess)>"
    assert repr(rlock) == "<RLock(MainProcess, 2)>"
    assert repr(mp.Semaphore(0)) == "<Semaphore(value=0)>"
    assert repr(mp.BoundedSemaphore(2)) == "<BoundedSemaphore(value=2, maxvalue=2)>"


def test_a_lock_held_by_another_thread_says_so_in_its_repr(mp):
    lock, rlock = mp.Lock(), mp.RLock()
    lock.acquire()
    rlock.acquire()
    assert in_thread(lambda: repr(lock)) == "<Lock(owner=SomeOtherThread)>"
    assert in_thread(lambda: repr(rlock)) == "<RLock(SomeOtherThread, nonzero)>"


# --- RLock ----------------------------------------------------------------------


def test_rlock_owner_may_acquire_again_and_must_release_as_often(mp):
    rlock = mp.RLock()
    assert rlock.acquire() is True
    assert rlock.acquire(False) is True  # again: the owner just counts
    with rlock as entered:
        assert entered is True
    rlock.release()
    assert in_thread(lambda: rlock.acquire(False)) is False  # held once more
    rlock.release()
    assert in_thread(lambda: rlock.acquire(False)) is True  # now free (and kept by that thread)


def test_rlock_released_by_a_thread_that_does_not_own_it_raises_assertionerror(mp):
    rlock = mp.RLock()
    with pytest.raises(AssertionError, match="not owned"):
        rlock.release()  # nobody owns it
    rlock.acquire()
    error = error_in_thread(rlock.release)
    assert isinstance(error, AssertionError)
    assert "attempt to release recursive lock not owned by thread" in str(error)
    rlock.release()  # the owner can


# --- Semaphore and BoundedSemaphore -------------------------------------------


def test_semaphore_counts_its_free_places(mp):
    sem = mp.Semaphore(3)
    assert sem.get_value() == 3
    assert sem.acquire() is True
    assert sem.acquire(timeout=None) is True
    assert sem.get_value() == 1
    with sem as entered:
        assert entered is True
        assert sem.get_value() == 0
        assert sem.acquire(False) is False
        got, seconds = timed(lambda: sem.acquire(timeout=0.1))
        assert got is False
        assert 0.09 <= seconds < 2
    assert sem.get_value() == 1


def test_semaphore_may_be_released_beyond_its_initial_value(mp):
    sem = mp.Semaphore(1)
    sem.release()
    sem.release()
    assert sem.get_value() == 3


def test_bounded_semaphore_refuses_to_go_beyond_its_initial_value(mp):
    sem = mp.BoundedSemaphore(2)
    with pytest.raises(ValueError, match="released too many times"):
        sem.release()
    sem.acquire()
    sem.release()
    with pytest.raises(ValueError, match="released too many times"):
        sem.release()
    assert sem.get_value() == 2


def test_semaphore_zero_starts_with_no_place(mp):
    sem = mp.Semaphore(0)
    assert sem.acquire(False) is False
    sem.release()
    assert sem.acquire(False) is True


# Bad arguments fail in the caller, with a message that names the argument.
# (The standard library raises TypeError for 1.5 too, but OSError for -1.)
@pytest.mark.parametrize("kind", ["Semaphore", "BoundedSemaphore"])
@pytest.mark.parametrize(
    "value, error, message",
    [
        (-1, ValueError, "(value=-1): value must be >= 0"),
        (1.5, TypeError, "(value=1.5): value must be an int"),
        ("2", TypeError, "(value='2'): value must be an int"),
    ],
)
def test_a_bad_semaphore_value_is_refused_with_a_clear_message(kind, value, error, message):
    with pytest.raises(error) as raised:
        getattr(minimp, kind)(value)
    assert str(raised.value) == kind + message


def tokens_in_a_semaphore_of(value):
    """How many free places Semaphore(value) really has, or its ValueError's message."""
    try:
        return minimp.Semaphore(value).get_value()
    except ValueError as exc:
        return f"ValueError: {exc}"


# A pipe holds 64 KiB by default, so a minimp Semaphore holds at most that many
# tokens (module docstring); a bigger one must be refused, not quietly made smaller.
def test_a_semaphore_too_big_for_its_pipe_is_refused_not_shrunk():
    outcome = tokens_in_a_semaphore_of(100_000)
    assert outcome == 100_000 or str(outcome).startswith("ValueError: Semaphore(value=100000)")


# --- Event -------------------------------------------------------------------------


def test_event_is_a_flag_that_wait_reports(mp):
    event = mp.Event()
    assert event.is_set() is False
    woke, seconds = timed(lambda: event.wait(0.1))
    assert woke is False
    assert 0.09 <= seconds < 2
    assert event.set() is None
    assert event.is_set() is True
    assert event.wait() is True
    assert event.wait(0) is True
    event.set()  # setting twice changes nothing
    assert event.clear() is None
    assert event.is_set() is False
    assert event.wait(0) is False
    event.clear()  # nor does clearing twice
    assert event.is_set() is False


def test_event_set_by_one_thread_wakes_another(mp):
    event, results = mp.Event(), []
    waiter = threading.Thread(target=lambda: results.append(event.wait(WAIT)))
    waiter.start()
    event.set()
    waiter.join(WAIT)
    assert results == [True]


# --- Condition ---------------------------------------------------------------------


def test_condition_must_be_held_to_wait_or_notify(mp):
    cond = mp.Condition()
    with pytest.raises(AssertionError, match=r"must acquire\(\) condition before using wait\(\)"):
        cond.wait(0)
    with pytest.raises(AssertionError, match="lock is not owned"):
        cond.notify()
    with pytest.raises(AssertionError, match="lock is not owned"):
        cond.notify_all()


def test_condition_wait_times_out_with_false_and_holds_the_lock_again(mp):
    cond = mp.Condition()
    with cond as entered:
        assert entered is True
        woke, seconds = timed(lambda: cond.wait(0.1))
        assert woke is False
        assert 0.09 <= seconds < 2
        assert in_thread(lambda: cond.acquire(False)) is False  # ours again
        # The waiter that timed out is not counted as asleep any more:
        # notify() has nobody to wake and returns at once.
        _, seconds = timed(cond.notify)
        assert seconds < 1


def test_condition_wait_for_returns_the_predicates_last_value(mp):
    cond = mp.Condition()
    with cond:
        assert cond.wait_for(lambda: 42) == 42  # already true: no waiting
        result, seconds = timed(lambda: cond.wait_for(lambda: 0, timeout=0.1))
        assert result == 0
        assert 0.09 <= seconds < 2


def test_condition_wait_lets_go_of_an_rlock_held_twice(mp):
    cond = mp.Condition()  # an RLock by default
    log = []

    def notifier():
        with cond:  # possible only while the main thread waits
            log.append("notifier holds the lock")
            cond.notify()

    with cond:
        with cond:
            thread = threading.Thread(target=notifier)
            thread.start()
            log.append(f"waiter woke: {cond.wait(WAIT)}")
            assert in_thread(lambda: cond.acquire(False)) is False  # held (twice) again
        assert in_thread(lambda: cond.acquire(False)) is False
    thread.join(WAIT)
    assert log == ["notifier holds the lock", "waiter woke: True"]


def test_condition_over_a_plain_lock(mp):
    lock = mp.Lock()
    cond = mp.Condition(lock)
    with cond:
        assert lock.acquire(False) is False
        assert cond.wait(0.05) is False
        assert lock.acquire(False) is False  # taken back after the wait
    assert lock.acquire(False) is True


def wait_with_a_timeout_of(mp, seconds):
    """What acquire() on a held Lock, Event.wait() and Condition.wait() return
    (or raise) with timeout=seconds, while a thread frees all three after 0.1 s."""
    lock, event, cond = mp.Lock(), mp.Event(), mp.Condition()
    lock.acquire()

    def free_them():
        lock.release()
        event.set()
        with cond:  # only once the main thread waits in cond.wait()
            cond.notify()

    waits = {
        "Lock.acquire": lambda: lock.acquire(timeout=seconds),
        "Event.wait": lambda: event.wait(seconds),
        "Condition.wait": lambda: cond.wait(seconds),
    }
    outcomes = {}
    helper = threading.Timer(0.1, free_them)
    with cond:
        helper.start()
        for name, wait in waits.items():
            try:
                outcomes[name] = wait()
            except Exception as exc:
                outcomes[name] = f"{type(exc).__name__}: {exc}"
    helper.join(WAIT)
    return outcomes


def test_a_very_long_timeout_is_accepted(mp):
    outcomes = wait_with_a_timeout_of(mp, 1e7)  # about 116 days
    assert outcomes == {"Lock.acquire": True, "Event.wait": True, "Condition.wait": True}


# --- they reach a child only when it is started ---------------------------------

KINDS = ["Lock", "RLock", "Semaphore", "BoundedSemaphore", "Event", "Condition"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_lock_cannot_be_sent_through_a_pipe(mp, kind):
    sender, receiver = mp.Pipe()
    with pytest.raises(RuntimeError, match="inheritance"):
        sender.send(getattr(mp, kind)())
    sender.close()
    receiver.close()


# --- across processes, under fork and spawn ----------------------------------------


def hold_lock_until_told(lock, told, log):
    with lock:
        log.put("child: acquired")
        told.wait(WAIT)
        log.put("child: releasing")


def test_a_child_holds_the_lock_and_the_parent_gets_it_after_the_release(ctx):
    lock, told, log = ctx.Lock(), ctx.Event(), ctx.Queue()
    child = start(ctx, hold_lock_until_told, lock, told, log)
    assert read(log, 1) == ["child: acquired"]

    got, seconds = timed(lambda: lock.acquire(timeout=SHORT))
    log.put(f"parent: acquire(timeout={SHORT}) -> {got}")
    assert SHORT - 0.01 <= seconds < 5
    told.set()
    got = lock.acquire(timeout=WAIT)
    log.put(f"parent: acquire() -> {got}")
    lock.release()
    finish(child)

    assert read(log, 3) == [
        f"parent: acquire(timeout={SHORT}) -> False",
        "child: releasing",
        "parent: acquire() -> True",
    ]


def release(lock):
    lock.release()


def test_a_lock_taken_by_the_parent_can_be_released_by_a_child(ctx):
    lock = ctx.Lock()
    lock.acquire()
    finish(start(ctx, release, lock))
    assert lock.acquire(False) is True


def hold_rlock_twice(rlock, release_one, release_two, log):
    rlock.acquire()
    rlock.acquire()
    log.put("child: holds it twice")
    release_one.wait(WAIT)
    rlock.release()
    log.put("child: released once")
    release_two.wait(WAIT)
    log.put("child: releases again")
    rlock.release()


def test_an_rlock_held_twice_by_a_child_is_free_only_after_two_releases(ctx):
    rlock, release_one, release_two, log = ctx.RLock(), ctx.Event(), ctx.Event(), ctx.Queue()
    child = start(ctx, hold_rlock_twice, rlock, release_one, release_two, log)
    assert read(log, 1) == ["child: holds it twice"]
    with pytest.raises(AssertionError, match="not owned"):
        rlock.release()  # the parent does not own it
    assert rlock.acquire(False) is False

    release_one.set()
    assert read(log, 1) == ["child: released once"]
    got = rlock.acquire(timeout=SHORT)
    log.put(f"parent: acquire(timeout={SHORT}) -> {got}")

    release_two.set()
    got = rlock.acquire(timeout=WAIT)
    log.put(f"parent: acquire() -> {got}")
    rlock.release()
    finish(child)
    assert read(log, 3) == [
        f"parent: acquire(timeout={SHORT}) -> False",
        "child: releases again",
        "parent: acquire() -> True",
    ]


def enter_the_section(name, sem, inside, most_inside, gate, log):
    with sem:
        with inside.get_lock():
            inside.value += 1
            most_inside.value = max(most_inside.value, inside.value)
        log.put(f"{name} in")
        gate.wait(WAIT)  # the first ones in stay until the parent opens the gate
        with inside.get_lock():
            inside.value -= 1
        log.put(f"{name} out")


def test_a_semaphore_of_two_lets_at_most_two_children_in_at_once(ctx):
    sem, gate, log = ctx.Semaphore(2), ctx.Event(), ctx.Queue()
    inside, most_inside = ctx.Value("i", 0), ctx.Value("i", 0)
    children = [start(ctx, enter_the_section, name, sem, inside, most_inside, gate, log) for name in "ABC"]

    first_two = read(log, 2)
    assert all(entry.endswith(" in") for entry in first_two)
    assert sem.get_value() == 0
    with pytest.raises(queue.Empty):  # the third one waits in acquire()
        log.get(timeout=SHORT)
    gate.set()
    rest = read(log, 4)
    finish(*children)

    assert most_inside.value == 2
    assert inside.value == 0
    assert sem.get_value() == 2
    # Replay the log: a child logs "in" once inside and "out" before leaving.
    entries, now_inside = first_two + rest, 0
    for entry in entries:
        now_inside += 1 if entry.endswith(" in") else -1
        assert now_inside <= 2, entries
    assert sorted(entries) == sorted(f"{name} {way}" for name in "ABC" for way in ("in", "out"))


def release_once_too_often(sem, log):
    sem.acquire()
    sem.release()
    try:
        sem.release()
    except ValueError as exc:
        log.put(("ValueError", str(exc)))
    else:
        log.put("released beyond the bound")


def test_a_bounded_semaphore_keeps_its_bound_in_a_child(ctx):
    sem, log = ctx.BoundedSemaphore(2), ctx.Queue()
    finish(start(ctx, release_once_too_often, sem, log))
    assert read(log, 1) == [("ValueError", "semaphore or lock released too many times")]
    assert sem.get_value() == 2


def wait_for_the_event(name, event, log):
    log.put(f"{name} waits")
    woke = event.wait(WAIT)
    log.put(f"{name} woke: {woke}")


def test_an_event_set_by_the_parent_wakes_every_waiting_child(ctx):
    event, log = ctx.Event(), ctx.Queue()
    children = [start(ctx, wait_for_the_event, name, event, log) for name in "AB"]
    waiting = read(log, 2)
    log.put("parent: set")
    event.set()
    after = read(log, 3)
    finish(*children)

    assert sorted(waiting) == ["A waits", "B waits"]
    assert after[0] == "parent: set"  # no child woke before it
    assert sorted(after[1:]) == ["A woke: True", "B woke: True"]
    assert event.is_set()


def wait_on_the_condition(name, cond, log):
    with cond:
        log.put(f"{name} waits")
        woke = cond.wait(WAIT)
        log.put(f"{name} woke: {woke}")


def test_notify_wakes_one_waiting_child_and_notify_all_wakes_the_rest(ctx):
    cond, log = ctx.Condition(), ctx.Queue()
    children = [start(ctx, wait_on_the_condition, name, cond, log) for name in "ABC"]
    waiting = read(log, 3)
    # Each child wrote its entry holding the lock, and lets go of it only
    # inside wait(): once the parent has the lock, all three are asleep.
    with cond:
        log.put("parent: notify")
        cond.notify()
    after_notify = read(log, 2)
    with pytest.raises(queue.Empty):  # the other two sleep on
        log.get(timeout=SHORT)
    with cond:
        log.put("parent: notify_all")
        cond.notify_all()
    after_notify_all = read(log, 3)
    finish(*children)

    assert sorted(waiting) == ["A waits", "B waits", "C waits"]
    assert after_notify[0] == "parent: notify"
    assert after_notify[1] in {"A woke: True", "B woke: True", "C woke: True"}
    assert after_notify_all[0] == "parent: notify_all"
    assert sorted(after_notify[1:] + after_notify_all[1:]) == ["A woke: True", "B woke: True", "C woke: True"]


def wait_until_three(cond, counter, log):
    with cond:
        log.put("child: waits for 3")
        result = cond.wait_for(lambda: counter.value >= 3, timeout=WAIT)
        log.put(f"child: saw {counter.value}, wait_for -> {result}")


def test_wait_for_in_a_child_returns_once_the_parent_makes_it_true(ctx):
    cond, counter, log = ctx.Condition(), ctx.Value("i", 0), ctx.Queue()
    child = start(ctx, wait_until_three, cond, counter, log)
    assert read(log, 1) == ["child: waits for 3"]
    for _ in range(3):
        with cond:  # the child is asleep in wait_for(): it let go of the lock there
            counter.value += 1
            log.put(f"parent: counter = {counter.value}")
            cond.notify_all()
    finish(child)
    assert read(log, 4) == [
        "parent: counter = 1",
        "parent: counter = 2",
        "parent: counter = 3",
        "child: saw 3, wait_for -> True",
    ]


def report_what_arrives(inbox, log):
    log.put(("child got", inbox.get(timeout=WAIT)))


def test_locks_cannot_be_sent_through_a_queue_to_a_running_child(ctx):
    inbox, log = ctx.Queue(), ctx.Queue()
    child = start(ctx, report_what_arrives, inbox, log)
    for kind in KINDS:
        with pytest.raises(RuntimeError, match="only be shared between processes through inheritance"):
            inbox.put(getattr(ctx, kind)())
    inbox.put("a plain message")
    finish(child)
    assert read(log, 1) == [("child got", "a plain message")]
