"""Queue, JoinableQueue and SimpleQueue, told as small stories (queues.py).

A minimp Queue keeps its messages in a shared file, not in a pipe: put()
returns as soon as the message is stored, and any process can get() it.
The first stories run in one process with the standard library as the
oracle (the `mp` fixture): timeouts, Empty and Full, sizes, closing. Then
children join in, under both start methods (the `ctx` fixture): producers
and consumers, a full queue that makes put() wait, the standard library's
"join before drain" deadlock that minimp cannot have, and JoinableQueue.
Last, the shared file itself: it is compacted and cut back as messages flow.
"""

import os
import queue
import signal
import threading
import time

import pytest

import minimp
from minimp.runtime.queues import COPY_THROUGH_MAP, TIDY_ABOVE

MB = 1024 * 1024


def make_payload(nbytes: int) -> bytes:
    """`nbytes` of a recognisable pattern (0, 1, ..., 255, 0, 1, ...)."""
    return (bytes(range(256)) * (nbytes // 256 + 1))[:nbytes]


def eventually(condition, timeout: float = 5.0) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass; return it."""
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def returns_within(function, timeout: float) -> bool:
    """Does `function()` return within `timeout` seconds? (Run in a helper
    thread, so that a test that would hang fails instead.)"""
    thread = threading.Thread(target=function, daemon=True)
    thread.start()
    thread.join(timeout)
    return not thread.is_alive()


def shared_file_size(q) -> int:
    """The size of the file that holds a minimp queue's messages.

    This peeks inside queues.py (the file is `q._buffer.fd`): memory use is
    what the compaction stories are about, and no public method shows it.
    """
    return os.fstat(q._buffer.fd).st_size


def _refuse_to_be_rebuilt():
    raise ValueError("cannot rebuild")


class Unpicklable:
    """Pickles fine, but fails to unpickle in the process that gets it."""

    def __reduce__(self):
        return _refuse_to_be_rebuilt, ()


# -- workers: what the children run (module level, so spawn can import them) -----


def put_numbers(q, start, stop):
    for number in range(start, stop):
        q.put(number)


def collect_until_none(q, results):
    """Get items until a None arrives; then report everything got, at once."""
    got = []
    while (item := q.get()) is not None:
        got.append(item)
    results.put(got)


def put_each_and_log(q, log, items):
    for item in items:
        q.put(item)
        log.put(f"put {item}")


def put_a_lot_and_exit(q, count, nbytes):
    for number in range(count):
        q.put(number)
    q.put(("big", make_payload(nbytes)))
    q.put("the end")


def put_numbered_messages(q, count, nbytes):
    payload = make_payload(nbytes)
    for number in range(count):
        q.put((number, payload))


def square_tasks_after_go(tasks, results, go):
    go.wait()
    while True:
        task = tasks.get()
        if task is None:
            tasks.task_done()
            return
        results.put(task * task)
        tasks.task_done()  # after the result is stored: join() then sees it


def put_then_die(q):
    q.put("first")
    q.put("second")
    os.kill(os.getpid(), signal.SIGKILL)


def put_and_report(q, report):
    try:
        q.put("from the child")
        report.send("put worked")
    except Exception as error:
        report.send(f"{type(error).__name__}: {error}")


def reply_with_sizes_after_go(requests, replies, go):
    go.wait()
    while (item := requests.get()) is not None:
        replies.put(len(item))


def put_each(q, items):
    for item in items:
        q.put(item)


def put_into_simple_queue(q, items):
    for item in items:
        q.put(item)


# -- one process, the standard library as the oracle -------------------------------


def test_items_come_out_in_the_order_they_went_in(mp):
    q = mp.Queue()

    for item in ["first", 2, {"third": 3}, None, b"fifth"]:
        q.put(item)

    assert [q.get(timeout=5) for _ in range(5)] == ["first", 2, {"third": 3}, None, b"fifth"]
    q.close()
    q.join_thread()


def test_get_on_an_empty_queue_raises_queue_Empty_after_the_timeout(mp):
    q = mp.Queue()

    start = time.monotonic()
    with pytest.raises(queue.Empty):
        q.get(timeout=0.2)
    assert 0.2 <= time.monotonic() - start < 2

    # Not blocking (or a timeout already over) means: do not wait at all.
    for get in (
        q.get_nowait,
        lambda: q.get(block=False),
        lambda: q.get(False, 5),  # with block=False the timeout is ignored
        lambda: q.get(timeout=-1),
    ):
        start = time.monotonic()
        with pytest.raises(queue.Empty):
            get()
        assert time.monotonic() - start < 1


def test_put_on_a_full_queue_raises_queue_Full_after_the_timeout(mp):
    q = mp.Queue(maxsize=1)
    q.put("the only place")

    start = time.monotonic()
    with pytest.raises(queue.Full):
        q.put("one more", timeout=0.2)
    assert 0.2 <= time.monotonic() - start < 2

    for put in (
        lambda: q.put_nowait("one more"),
        lambda: q.put("one more", block=False),
        lambda: q.put("one more", False, 5),
    ):
        start = time.monotonic()
        with pytest.raises(queue.Full):
            put()
        assert time.monotonic() - start < 1

    # The refused items went nowhere.
    assert q.qsize() == 1
    assert q.get(timeout=5) == "the only place"
    q.close()
    q.join_thread()


def test_qsize_empty_and_full_follow_puts_and_gets(mp):
    q = mp.Queue(maxsize=3)
    assert (q.qsize(), q.empty(), q.full()) == (0, True, False)

    q.put("a")
    q.put("b")
    assert (q.qsize(), q.full()) == (2, False)
    # The standard library's feeder thread writes the message a moment after
    # put() returns; minimp's put() has already stored it.
    assert eventually(lambda: not q.empty())

    q.put("c")
    assert (q.qsize(), q.full()) == (3, True)

    assert q.get(timeout=5) == "a"
    assert (q.qsize(), q.full()) == (2, False)
    assert [q.get(timeout=5), q.get(timeout=5)] == ["b", "c"]
    assert (q.qsize(), q.empty(), q.full()) == (0, True, False)
    q.close()
    q.join_thread()


@pytest.mark.parametrize("maxsize", [0, -1])
def test_a_maxsize_of_zero_or_less_means_no_limit(mp, maxsize):
    q = mp.Queue(maxsize=maxsize)

    for number in range(200):
        q.put_nowait(number)

    assert not q.full()
    assert q.qsize() == 200
    assert [q.get(timeout=5) for _ in range(200)] == list(range(200))
    q.close()
    q.join_thread()


def test_an_item_that_cannot_be_unpickled_costs_only_itself(mp):
    q = mp.Queue()
    q.put(Unpicklable())
    q.put("next item")

    # get() takes the message out of the queue, then unpickles it: the error
    # reaches the caller, and the queue goes on with the next item.
    with pytest.raises(ValueError, match="cannot rebuild"):
        q.get(timeout=5)
    assert q.get(timeout=5) == "next item"
    assert q.qsize() == 0
    q.close()
    q.join_thread()


def test_a_closed_queue_refuses_put_and_get_with_ValueError(mp):
    q = mp.Queue()
    with pytest.raises(AssertionError, match="not closed"):
        q.join_thread()  # only a closed queue has a thread to wait for

    q.close()

    for operation in (
        lambda: q.put("late"),
        lambda: q.put_nowait("late"),
        q.get,
        q.get_nowait,
    ):
        with pytest.raises(ValueError, match="is closed"):
            operation()
    q.join_thread()  # now allowed (minimp: nothing to wait for)


def test_task_done_counts_the_gets_and_join_waits_for_all_of_them(mp):
    q = mp.JoinableQueue()
    assert returns_within(q.join, 5)  # nothing was ever put: nothing to wait for

    q.put("task 1")
    q.put("task 2")
    assert not returns_within(q.join, 0.2)  # two tasks unfinished

    q.get(timeout=5)
    q.task_done()
    q.get(timeout=5)
    q.task_done()
    assert returns_within(q.join, 5)

    with pytest.raises(ValueError, match=r"task_done\(\) called too many times"):
        q.task_done()
    q.close()
    q.join_thread()


def test_a_put_refused_by_a_full_joinable_queue_is_not_a_task(mp):
    q = mp.JoinableQueue(maxsize=1)
    q.put("task")

    with pytest.raises(queue.Full):
        q.put("no room", timeout=0.1)
    q.get(timeout=5)
    q.task_done()

    assert returns_within(q.join, 5)  # one task put, one done: nothing unfinished
    q.close()
    q.join_thread()


def test_a_simple_queue_has_put_get_and_empty(mp):
    q = mp.SimpleQueue()
    assert q.empty()

    q.put(["a", "list"])
    q.put("text")

    assert not q.empty()  # its put() writes at once, even in the standard library
    assert q.get() == ["a", "list"]
    assert q.get() == "text"
    assert q.empty()
    q.close()


def test_a_closed_simple_queue_raises_OSError_handle_is_closed(mp):
    q = mp.SimpleQueue()
    q.put("never read")

    q.close()

    what_happened = {}
    for name, args in [("put", ("late",)), ("get", ()), ("empty", ())]:
        try:
            getattr(q, name)(*args)
            what_happened[name] = "returned"
        except Exception as error:
            what_happened[name] = f"{type(error).__name__}: {error}"
    del q  # so that a failing assertion's traceback does not keep its pipes open
    assert what_happened == {
        "put": "OSError: handle is closed",
        "get": "OSError: handle is closed",
        "empty": "OSError: handle is closed",
    }


def test_a_simple_queue_offers_no_nowait_methods(mp):
    q = mp.SimpleQueue()

    # No size, no timeouts: none of Queue's *_nowait methods either.
    assert not hasattr(q, "get_nowait")
    assert not hasattr(q, "put_nowait")
    q.close()


# -- minimp's own design: errors in the caller ---------------------------------------


def test_an_unpicklable_item_raises_in_put_and_the_queue_still_works():
    q = minimp.JoinableQueue()

    # Unlike multiprocessing.Queue (whose feeder thread prints the error later
    # and loses the item), minimp pickles in put() itself.
    with pytest.raises(TypeError, match="cannot pickle '_thread.lock' object"):
        q.put({"lock": threading.Lock()})

    assert (q.qsize(), q.empty()) == (0, True)
    assert returns_within(q.join, 5)  # the refused item is not an unfinished task
    q.put("fine")
    assert q.get(timeout=5) == "fine"


@pytest.mark.parametrize("kind", ["Queue", "JoinableQueue", "SimpleQueue"])
def test_a_queue_cannot_travel_through_another_queue(kind):
    carrier = minimp.Queue()
    passenger = getattr(minimp, kind)()

    # Its open files reach a child only when the child is started (Process
    # args); afterwards, minimp refuses in the caller and says what to do.
    with pytest.raises(RuntimeError, match="inheritance") as caught:
        carrier.put(passenger)
    assert kind in str(caught.value)
    assert "args=" in str(caught.value)

    assert carrier.empty()
    carrier.put("the carrier still works")
    assert carrier.get(timeout=5) == "the carrier still works"


def test_maxsize_must_be_an_int():
    with pytest.raises(TypeError, match=r"Queue\(maxsize='3'\): maxsize must be an int"):
        minimp.Queue(maxsize="3")


# -- across processes, under fork and spawn ------------------------------------------


def test_a_childs_items_arrive_in_order(ctx):
    q = ctx.Queue()
    producer = ctx.Process(target=put_numbers, args=(q, 0, 1000))
    producer.start()

    # The parent gets while the child is still putting: get() waits as needed.
    received = [q.get(timeout=30) for _ in range(1000)]
    producer.join(30)

    assert received == list(range(1000))
    assert producer.exitcode == 0
    assert q.empty()


def test_small_and_large_messages_mixed_arrive_whole_and_in_order(ctx):
    # queues.py copies small messages through its map of the file and large
    # ones with pread/pwrite: sizes on both sides of the line, interleaved.
    line = COPY_THROUGH_MAP
    sizes = [0, 10, line - 100, line - 1, line, line + 1, line + 100, 5 * MB, 3, 2 * line]
    items = [make_payload(size) for size in sizes] * 3
    q = ctx.Queue()
    producer = ctx.Process(target=put_each, args=(q, items))
    producer.start()

    received = [q.get(timeout=30) for _ in items]
    producer.join(30)

    assert [len(item) for item in received] == [len(item) for item in items]
    assert received == items
    assert producer.exitcode == 0


def test_many_producers_and_many_consumers_share_one_queue(ctx):
    producers_count, consumers_count, per_producer = 3, 3, 300
    q, results = ctx.Queue(), ctx.Queue()
    producers = [
        ctx.Process(target=put_numbers, args=(q, n * per_producer, (n + 1) * per_producer))
        for n in range(producers_count)
    ]
    consumers = [ctx.Process(target=collect_until_none, args=(q, results)) for _ in range(consumers_count)]
    for process in producers + consumers:
        process.start()

    for producer in producers:
        producer.join(30)
    for _ in consumers:
        q.put(None)  # one "stop" for each consumer, after every real item
    got_by_each = [results.get(timeout=30) for _ in consumers]
    for consumer in consumers:
        consumer.join(30)

    # Every item was received exactly once, by one consumer or another, and
    # each consumer saw each producer's items in that producer's order.
    everything = [item for got in got_by_each for item in got]
    assert sorted(everything) == list(range(producers_count * per_producer))
    for got in got_by_each:
        for n in range(producers_count):
            from_n = [item for item in got if item // per_producer == n]
            assert from_n == sorted(from_n)
    assert [p.exitcode for p in producers + consumers] == [0] * (producers_count + consumers_count)


def test_put_waits_on_a_full_queue_until_a_consumer_takes_one(ctx):
    q, log = ctx.Queue(maxsize=2), ctx.Queue()
    producer = ctx.Process(target=put_each_and_log, args=(q, log, ["a", "b", "c"]))
    producer.start()

    # Two items fit; the third put() waits for room.
    assert log.get(timeout=30) == "put a"
    assert log.get(timeout=30) == "put b"
    with pytest.raises(queue.Empty):
        log.get(timeout=0.3)
    assert (q.full(), q.qsize()) == (True, 2)

    # Taking one makes room, and the producer's put("c") returns.
    assert q.get(timeout=5) == "a"
    assert log.get(timeout=30) == "put c"
    assert [q.get(timeout=5), q.get(timeout=5)] == ["b", "c"]
    producer.join(30)
    assert producer.exitcode == 0


@pytest.mark.timeout(120)
def test_joining_a_child_before_draining_its_queue_does_not_deadlock(ctx):
    """The standard library's classic deadlock: a child that has put more than
    a pipe holds cannot exit until someone reads, so a parent that joins first
    waits for ever. minimp's put() stores the message in shared memory and
    returns; the child exits at once."""
    q = ctx.Queue()
    producer = ctx.Process(target=put_a_lot_and_exit, args=(q, 1000, 40 * MB))
    producer.start()

    producer.join(60)  # first join ...
    assert producer.exitcode == 0  # ... and the child has exited, nothing read yet

    assert q.qsize() == 1002
    assert [q.get(timeout=5) for _ in range(1000)] == list(range(1000))  # ... then drain
    name, data = q.get(timeout=30)
    assert name == "big"
    assert data == make_payload(40 * MB)
    assert q.get(timeout=5) == "the end"
    assert q.empty()


@pytest.mark.fault
def test_items_put_by_a_child_survive_its_sudden_death(ctx):
    q = ctx.Queue()
    victim = ctx.Process(target=put_then_die, args=(q,))
    victim.start()

    victim.join(30)

    # SIGKILL gives the child no chance to flush anything, and nothing needs
    # flushing: put() had already stored both items when it returned.
    assert victim.exitcode == -signal.SIGKILL
    assert [q.get(timeout=5), q.get(timeout=5)] == ["first", "second"]


def test_join_waits_until_consumers_in_children_call_task_done(ctx):
    tasks, results, go = ctx.JoinableQueue(), ctx.Queue(), ctx.Event()
    for number in range(6):
        tasks.put(number)
    consumers = [ctx.Process(target=square_tasks_after_go, args=(tasks, results, go)) for _ in range(2)]
    for consumer in consumers:
        consumer.start()

    log = []

    def join_tasks():
        tasks.join()
        log.append(f"join returned, {results.qsize()} results ready")

    waiter = threading.Thread(target=join_tasks, daemon=True)
    waiter.start()
    waiter.join(0.3)
    assert waiter.is_alive()  # six unfinished tasks, and the consumers wait for "go"

    log.append("go")
    go.set()
    waiter.join(30)

    # join() returned only after every task_done(), each of which came after
    # its result was stored: all six results were there when it returned.
    assert log == ["go", "join returned, 6 results ready"]
    assert sorted(results.get(timeout=5) for _ in range(6)) == [0, 1, 4, 9, 16, 25]

    for _ in consumers:
        tasks.put(None)
    for consumer in consumers:
        consumer.join(30)
    assert [c.exitcode for c in consumers] == [0, 0]
    assert returns_within(tasks.join, 5)  # the two Nones were marked done too


def test_close_in_the_parent_does_not_close_the_queue_for_a_child_started_later(ctx):
    q = ctx.Queue()
    report_in, report_out = ctx.Pipe(duplex=False)

    q.close()  # "this process will not use the queue any more": other processes may
    child = ctx.Process(target=put_and_report, args=(q, report_out))
    child.start()
    report_out.close()

    assert report_in.recv() == "put worked"
    child.join(30)
    assert child.exitcode == 0


def test_a_simple_queue_carries_items_from_a_child(ctx):
    q = ctx.SimpleQueue()
    producer = ctx.Process(target=put_into_simple_queue, args=(q, ["x", ("y", 2), None]))
    producer.start()

    received = [q.get() for _ in range(3)]
    producer.join(30)

    assert received == ["x", ("y", 2), None]
    assert producer.exitcode == 0
    assert q.empty()


# -- the shared file: compacted while messages flow, cut back when empty ------------
# queues.py tidies the file once TIDY_ABOVE bytes of it have been read; the
# stories below move several times that much, whatever its value.


@pytest.mark.parametrize(
    "message_size, in_flight, total",
    [(100_000, 10, 3 * TIDY_ABOVE // 100_000), (TIDY_ABOVE + MB, 1, 8)],
    ids=["small messages", "messages bigger than a compaction chunk"],
)
def test_a_queue_that_never_empties_is_compacted(message_size, in_flight, total):
    q = minimp.Queue()
    payload = make_payload(message_size)
    for number in range(in_flight):
        q.put((number, payload))

    # Keep `in_flight` messages in the queue at every moment: put one, get one.
    # The queue never becomes empty, so only compaction can reuse the file.
    received, largest_file = [], 0
    for number in range(in_flight, total):
        q.put((number, payload))
        got, data = q.get(timeout=5)
        assert data == payload
        received.append(got)
        assert q.qsize() == in_flight
        largest_file = max(largest_file, shared_file_size(q))
    while not q.empty():
        received.append(q.get(timeout=5)[0])

    moved = total * message_size
    assert moved > 2 * TIDY_ABOVE
    assert received == list(range(total))  # nothing lost, reordered or repeated
    assert largest_file < moved / 2  # the file was reused, not grown for ever


def test_a_big_backlog_drained_to_empty_gives_its_memory_back():
    q = minimp.Queue()
    payload = make_payload(100_000)
    count = TIDY_ABOVE // 100_000 + 20

    for number in range(count):  # more than TIDY_ABOVE bytes waiting
        q.put((number, payload))
    assert shared_file_size(q) > TIDY_ABOVE

    received = [q.get(timeout=5)[0] for _ in range(count)]

    assert received == list(range(count))
    assert q.empty()
    assert shared_file_size(q) < 4096  # back to the small header
    q.put("after the backlog")
    assert q.get(timeout=5) == "after the backlog"


def test_a_small_backlog_drained_to_empty_leaves_the_file_to_be_reused():
    q = minimp.Queue()
    payload = make_payload(100_000)

    for number in range(10):  # 1 MB, well under TIDY_ABOVE
        q.put((number, payload))
    size_with_backlog = shared_file_size(q)
    assert [q.get(timeout=5)[0] for _ in range(10)] == list(range(10))

    # Empty again: the next messages are written from the start of the file,
    # over the old ones, so the file keeps its size instead of growing.
    assert shared_file_size(q) == size_with_backlog
    for number in range(10, 20):
        q.put((number, payload))
    assert shared_file_size(q) == size_with_backlog
    assert [q.get(timeout=5)[0] for _ in range(10)] == list(range(10, 20))


def test_a_bounded_queue_between_processes_moves_many_megabytes_in_order(ctx):
    count, nbytes = 3 * TIDY_ABOVE // 100_000, 100_000
    q = ctx.Queue(maxsize=10)  # at most ten messages in the queue at once
    producer = ctx.Process(target=put_numbered_messages, args=(q, count, nbytes))
    producer.start()

    payload = make_payload(nbytes)
    received, largest_file = [], 0
    for _ in range(count):
        number, data = q.get(timeout=30)
        assert data == payload
        received.append(number)
        largest_file = max(largest_file, shared_file_size(q))
    producer.join(30)

    assert received == list(range(count))
    assert producer.exitcode == 0
    # The file was reused (compacted, or started over whenever the consumer
    # caught up), so it never grew to hold everything that went through.
    assert largest_file < count * nbytes / 2


def test_every_process_follows_the_file_as_it_grows_and_is_cut_back(ctx):
    requests, replies, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    child = ctx.Process(target=reply_with_sizes_after_go, args=(requests, replies, go))
    child.start()
    big = make_payload(2 * MB)
    backlog = TIDY_ABOVE // len(big) + 2

    # The parent grows the file past TIDY_ABOVE; the child maps it, reads it
    # empty, and so cuts it back to the header.
    for _ in range(backlog):
        requests.put(big)
    go.set()
    assert [replies.get(timeout=30) for _ in range(backlog)] == [len(big)] * backlog
    assert shared_file_size(requests) < 4096

    # Both processes now hold maps larger than the file, which grows again.
    for message in [b"small", big, b"small again"]:
        requests.put(message)
        assert replies.get(timeout=30) == len(message)
    requests.put(None)
    child.join(10)
    assert child.exitcode == 0
