"""What minimp's objects cost in file descriptors, what happens when there are none left,
and what a waiter sees when a lock's owner dies (issue 13).

- Each kind of object, made 50 times and kept alive, costs at most its budget, counted in
  /proc/self/fd as a user would count them.
- A pool or executor that is done (its `with` block ended, or closed and joined, or shut
  down) holds no descriptor, even while a variable still refers to it.
- In a child whose limit is lowered to 64, making Queues until they run out gives an OSError
  with errno EMFILE whose message says what holds the descriptors and how to raise the limit.
- A child takes a Lock (an RLock, a Value's lock) and exits with os._exit(0): the parent's
  acquire() raises LockOwnerDiedError naming the child, and the lock is free again.
- A child dies inside a Queue's put(): the next get() says the queue may be corrupt.
"""

import errno
import os
import signal

import pytest

import minimp

WAIT = 30


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


BUDGET = {  # at most this many descriptors per object
    "Lock": (lambda: minimp.Lock(), 2),
    "RLock": (lambda: minimp.RLock(), 2),
    "Value": (lambda: minimp.Value("i", 0), 2),
    "Array": (lambda: minimp.Array("d", 100), 2),
    "RawValue": (lambda: minimp.RawValue("i", 0), 0),
    "RawArray": (lambda: minimp.RawArray("d", 100), 0),
    "Queue": (lambda: minimp.Queue(), 4),
    "Queue(maxsize=3)": (lambda: minimp.Queue(3), 4),
    "JoinableQueue": (lambda: minimp.JoinableQueue(), 4),
    "JoinableQueue(maxsize=3)": (lambda: minimp.JoinableQueue(3), 4),
    "SimpleQueue": (lambda: minimp.SimpleQueue(), 4),
    "Condition": (lambda: minimp.Condition(), 8),
}


@pytest.mark.parametrize("kind", list(BUDGET))
def test_an_object_costs_at_most_its_budget_of_descriptors(kind):
    make, budget = BUDGET[kind]
    before = open_fds()
    objects = [make() for _ in range(50)]
    assert (open_fds() - before) / len(objects) <= budget
    del objects


def _done_pools(ctx) -> list:
    with ctx.Pool(2) as ended:
        ended.map(abs, [-1, -2, -3])
    closed = ctx.Pool(2)
    closed.apply_async(abs, (-1,)).get(timeout=WAIT)
    closed.close()
    closed.join()
    with minimp.ProcessPoolExecutor(2, mp_context=ctx) as executor:
        assert list(executor.map(abs, [-1, -2])) == [1, 2]
    return [ended, closed, executor]


@pytest.mark.timeout(60)
def test_a_pool_that_is_done_holds_no_descriptor_while_it_is_kept(ctx):
    _done_pools(ctx)  # the first pool of a run makes what the process keeps (a shared memory arena)
    before = open_fds()
    kept = _done_pools(ctx) + _done_pools(ctx)
    assert open_fds() - before == 0
    del kept


def test_a_queue_still_works_across_processes_with_its_fewer_descriptors(ctx):
    queue = ctx.JoinableQueue(2)
    child = ctx.Process(target=_put_three, args=(queue,))
    child.start()
    assert [queue.get(timeout=WAIT) for _ in range(3)] == [0, 1, 2]
    for _ in range(3):
        queue.task_done()
    queue.join()
    child.join(WAIT)
    assert child.exitcode == 0


def _put_three(queue):
    for i in range(3):
        queue.put(i)


# -- out of descriptors ---------------------------------------------------------------


def _make_queues_until_none_are_left(results):
    import resource

    resource.setrlimit(resource.RLIMIT_NOFILE, (64, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    queues = []
    try:
        for _ in range(100):
            queues.append(minimp.Queue())
        results.put(("no error", len(queues)))
    except OSError as error:
        results.put((error.errno, str(error)))


def test_running_out_of_descriptors_says_what_holds_them_and_how_to_raise_the_limit():
    results = minimp.SimpleQueue()
    child = minimp.Process(target=_make_queues_until_none_are_left, args=(results,))
    child.start()
    code, message = results.get()
    child.join(WAIT)
    assert code == errno.EMFILE, message
    assert "Too many open files" in message
    assert "of its 64 descriptors open" in message
    assert "Queue (2 each)" in message
    assert "ulimit -n" in message and "resource.setrlimit(resource.RLIMIT_NOFILE" in message


# -- a lock whose owner died --------------------------------------------------------------


def _take_and_die(lock, taken):
    lock.acquire()
    taken.set()
    os._exit(0)


def _lock_of(ctx, kind):
    return {"Lock": ctx.Lock, "RLock": ctx.RLock, "Value": lambda: ctx.Value("i", 0).get_lock()}[kind]()


@pytest.mark.parametrize("kind", ["Lock", "RLock", "Value"])
def test_acquire_raises_when_the_owner_died_holding_the_lock_and_the_lock_is_free_again(ctx, kind):
    lock, taken = _lock_of(ctx, kind), ctx.Event()
    child = ctx.Process(target=_take_and_die, args=(lock, taken), name="the-dying-child")
    child.start()
    assert taken.wait(WAIT)
    with pytest.raises(minimp.LockOwnerDiedError) as raised:
        lock.acquire(timeout=WAIT)  # the child may not even have exited yet: we wait for it
    assert raised.value.pid == child.pid
    assert f"the-dying-child (pid {child.pid}) died holding this" in str(raised.value)
    assert "half-written" in str(raised.value)
    assert lock.acquire(timeout=WAIT) is True  # free again, and usable
    lock.release()
    child.join(WAIT)


def test_a_dead_owner_is_noticed_by_acquire_without_blocking_too(ctx):
    lock, taken = ctx.Lock(), ctx.Event()
    child = ctx.Process(target=_take_and_die, args=(lock, taken))
    child.start()
    assert taken.wait(WAIT)
    child.join(WAIT)  # dead and reaped: its pid may even be someone else's by now
    with pytest.raises(minimp.LockOwnerDiedError):
        lock.acquire(False)
    assert lock.acquire(False) is True


def _wait_for_the_lock(lock, results):
    results.put("waiting")
    try:
        got = lock.acquire(timeout=WAIT)
        results.put(("acquired", got))
        lock.release()
    except minimp.LockOwnerDiedError as error:
        results.put(("died", error.pid))


def _take_and_die_when_told(lock, taken, die):
    lock.acquire()
    taken.set()
    die.wait(WAIT)
    os._exit(0)


def test_of_two_waiters_exactly_one_gets_the_error_and_the_other_the_lock(ctx):
    lock, taken, die, results = ctx.Lock(), ctx.Event(), ctx.Event(), ctx.Queue()
    owner = ctx.Process(target=_take_and_die_when_told, args=(lock, taken, die))
    owner.start()
    assert taken.wait(WAIT)
    waiters = [ctx.Process(target=_wait_for_the_lock, args=(lock, results)) for _ in range(2)]
    for waiter in waiters:
        waiter.start()
    assert [results.get(timeout=WAIT) for _ in range(2)] == ["waiting", "waiting"]
    die.set()  # waiting or about to: either way each finds the owner dead
    outcomes = sorted(results.get(timeout=WAIT) for _ in range(2))
    for process in [owner, *waiters]:
        process.join(WAIT)
    assert outcomes == [("acquired", True), ("died", owner.pid)]
    assert lock.acquire(False) is True


def test_a_killed_owner_is_noticed_at_once_by_a_waiter(ctx):
    lock, taken = ctx.Lock(), ctx.Event()
    child = ctx.Process(target=_take_and_sleep, args=(lock, taken))
    child.start()
    assert taken.wait(WAIT)
    assert lock.acquire(timeout=0.1) is False  # alive and holding it: an ordinary timeout
    os.kill(child.pid, signal.SIGKILL)
    with pytest.raises(minimp.LockOwnerDiedError):
        lock.acquire(timeout=WAIT)
    child.join(WAIT)


def _take_and_sleep(lock, taken):
    lock.acquire()
    taken.set()
    import time

    time.sleep(WAIT)


# -- a queue whose user died inside put() ----------------------------------------------------


def _die_inside_put(queue):
    type(queue._lock).__exit__ = lambda self, *exc: os._exit(0)  # die holding the lock (mutex.py or queuelock.py)
    queue.put("half")


def test_a_process_dying_inside_put_leaves_a_queue_that_says_it_may_be_corrupt(ctx):
    queue = ctx.Queue()
    queue.put("whole")
    child = ctx.Process(target=_die_inside_put, args=(queue,))
    child.start()
    child.join(WAIT)
    for _ in range(2):  # and again: it stays broken
        with pytest.raises(minimp.LockOwnerDiedError, match=f"process {child.pid} died inside put"):
            queue.get(timeout=WAIT)
    with pytest.raises(minimp.LockOwnerDiedError, match="half-written"):
        queue.put("more")
