"""The Queue's fast paths (queues.py, mutex.py), told as stories a user could notice.

A big `bytes` item travels as it is, not pickled: it must still come out equal, in order
with pickled items around it, and a bytes *subclass* must keep its type. The lock is a
robust mutex: an interrupt right after it is taken must not leave it held.
"""

import os

import pytest

import minimp
from minimp.runtime import mutex
from minimp.runtime.queues import COPY_THROUGH_MAP

BIG = COPY_THROUGH_MAP + 1


class Tagged(bytes):
    """A bytes subclass: it must come back as itself, so it is pickled."""


def _put_mixed(queue):
    queue.put(bytes(range(256)) * (BIG // 256 + 1))
    queue.put({"small": 1})
    queue.put(Tagged(b"t" * BIG))
    queue.put(b"x" * 10)


@pytest.mark.timeout(60)
def test_big_bytes_and_pickled_items_arrive_equal_and_in_order(ctx):
    queue = ctx.Queue()
    child = ctx.Process(target=_put_mixed, args=(queue,))
    child.start()
    got = [queue.get(timeout=30) for _ in range(4)]
    child.join(30)
    assert got[0] == bytes(range(256)) * (BIG // 256 + 1) and type(got[0]) is bytes
    assert got[1] == {"small": 1}
    assert type(got[2]) is Tagged and got[2] == b"t" * BIG
    assert got[3] == b"x" * 10
    assert child.exitcode == 0


@pytest.mark.timeout(60)
@pytest.mark.skipif(not mutex.robust_mutexes(), reason="no robust mutexes here: the Queue uses a record lock")
def test_an_interrupt_right_after_the_lock_is_taken_leaves_the_queue_usable(monkeypatch):
    queue = minimp.Queue()
    queue.put("before")

    class Interrupting:  # what Ctrl-C would do between taking the lock and marking it busy
        @property
        def broken_by(self):
            raise KeyboardInterrupt

    assert isinstance(queue._lock, mutex.RobustMutex)
    monkeypatch.setattr(queue._lock, "_header", Interrupting())
    with pytest.raises(KeyboardInterrupt):
        queue.get()
    monkeypatch.undo()
    assert queue.get(timeout=5) == "before"  # the lock was released, the message kept
    queue.put("after")
    assert queue.get(timeout=5) == "after"


def test_an_item_holding_many_big_bytes_arrives_whole():
    # Each big bytes object is a piece of its own (serialize.dumps_parts): more pieces than
    # one pwritev takes (IOV_MAX, 1024 on Linux) must still all arrive, in order.
    queue = minimp.Queue()
    item = [(i, bytes([i % 256]) * (64 << 10)) for i in range(1100)]
    queue.put(item)
    queue.put("next")
    assert queue.get(timeout=5) == item
    assert queue.get(timeout=5) == "next"


def test_a_failed_pickle_leaves_nothing_behind_for_the_next_item():
    queue = minimp.Queue()
    with pytest.raises(TypeError):
        queue.put((b"y" * BIG, lambda_free_unpicklable()))
    queue.put((1, b"z" * BIG))
    assert queue.get(timeout=5) == (1, b"z" * BIG)


def lambda_free_unpicklable():
    import threading

    return threading.Lock()  # cannot be pickled, by value or by reference


def _put_arrays(queue):
    import numpy

    queue.put(numpy.arange(300_000, dtype=numpy.int64).reshape(600, 500))
    queue.put(numpy.asfortranarray(numpy.arange(300_000, dtype=numpy.float64).reshape(600, 500)))
    queue.put(bytearray(b"b" * BIG))


@pytest.mark.timeout(60)
def test_numpy_arrays_and_bytearrays_arrive_equal(ctx):
    # numpy pickles an array's memory as a PickleBuffer, written past the pickler's buffer: a
    # piece that is neither bytes nor counted in bytes by len().
    numpy = pytest.importorskip("numpy")
    queue = ctx.Queue()
    child = ctx.Process(target=_put_arrays, args=(queue,))
    child.start()
    ints, floats, raw = (queue.get(timeout=30) for _ in range(3))
    child.join(30)
    assert (ints == numpy.arange(300_000).reshape(600, 500)).all()
    assert (floats == numpy.arange(300_000, dtype=numpy.float64).reshape(600, 500)).all()
    assert floats.flags.f_contiguous
    assert raw == bytearray(b"b" * BIG) and type(raw) is bytearray


# -- where there are no robust mutexes (macOS), a Queue's lock is a record lock (queuelock.py) --


@pytest.fixture
def record_locked(monkeypatch):
    """Queues made while this fixture is active use the record lock, in every process."""
    from minimp.runtime import queues

    monkeypatch.setattr(queues, "robust_mutexes", lambda: False)


def _put_three(queue):
    for i in range(3):
        queue.put((i, b"r" * BIG))


def _die_inside_put(queue):
    type(queue._lock).__exit__ = lambda self, *exc: os._exit(0)  # die holding the lock
    queue.put("half")


@pytest.mark.timeout(60)
def test_with_the_record_lock_items_still_travel_and_a_death_inside_put_is_named(ctx, record_locked):
    from minimp.runtime.queuelock import RecordLock

    queue = ctx.Queue()
    assert isinstance(queue._lock, RecordLock)
    producer = ctx.Process(target=_put_three, args=(queue,))
    producer.start()
    assert [queue.get(timeout=30)[0] for _ in range(3)] == [0, 1, 2]
    producer.join(30)
    dying = ctx.Process(target=_die_inside_put, args=(queue,))
    dying.start()
    dying.join(30)
    with pytest.raises(minimp.LockOwnerDiedError, match=f"process {dying.pid} died inside put"):
        queue.get(timeout=5)


@pytest.mark.timeout(60)
def test_with_the_record_lock_an_interrupt_right_after_taking_it_leaves_the_queue_usable(record_locked, monkeypatch):
    from minimp.runtime import queuelock

    queue = minimp.Queue()
    queue.put("before")
    real_lockf = queuelock.fcntl.lockf

    def interrupted_after_taking(fd, command, *args):
        real_lockf(fd, command, *args)
        if command == queuelock.fcntl.LOCK_EX:
            raise KeyboardInterrupt  # what Ctrl-C would do right after the lock was taken

    monkeypatch.setattr(queuelock.fcntl, "lockf", interrupted_after_taking)
    with pytest.raises(KeyboardInterrupt):
        queue.get()
    monkeypatch.setattr(queuelock.fcntl, "lockf", real_lockf)
    other = minimp.get_context("fork").Process(target=_get_before, args=(queue,))
    other.start()  # another process gets the message: this one let go of the record lock
    other.join(30)
    assert other.exitcode == 0
    queue.put("after")  # and this process's threads' lock was let go of too
    assert queue.get(timeout=5) == "after"


def _get_before(queue):
    os._exit(0 if queue.get(timeout=10) == "before" else 1)
