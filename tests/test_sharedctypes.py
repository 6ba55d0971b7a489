"""Value, Array, RawValue and RawArray: numbers that processes share, told as stories.

Two kinds of test:

- In one process, minimp and the standard library side by side (the `mp`
  fixture): reading, writing, indexing, slicing, the lock that comes with
  each object and the errors for bad arguments must be the same.
- Across processes, under fork and spawn (the `ctx` fixture): a child that
  writes into shared memory changes the parent's numbers, with no message
  sent; a lock makes read-modify-write safe.

Worker functions live at module level, where a spawned child can import them.
"""

import ctypes
import gc
import multiprocessing
import os

import pytest

import minimp

WAIT = 30  # seconds: "for ever" in a child, so a bug fails a test instead of hanging it


# The standard library keeps its shared memory in a heap file that it opens
# at the first Value and keeps for the life of the process: open it now, so
# that the leak check does not blame the first test that compares with it.
multiprocessing.get_context("fork").RawValue("i")


class Point(ctypes.Structure):
    _fields_ = [("x", ctypes.c_int), ("y", ctypes.c_int)]


def start(ctx, target, *args):
    child = ctx.Process(target=target, args=args)
    child.start()
    return child


def finish(*children):
    for child in children:
        child.join(WAIT)
        assert child.exitcode == 0, f"{child.name} exited with {child.exitcode}"


# --- Value, in one process: minimp against the standard library ------------


def test_a_value_reads_and_writes_its_number(mp):
    counter = mp.Value("i", 7)
    assert counter.value == 7
    counter.value = 8
    assert counter.value == 8
    assert mp.Value("d", 1.5).value == 1.5
    assert mp.Value("i").value == 0  # without an initial value: zero
    assert mp.Value("c", b"x").value == b"x"
    assert mp.Value("u", "é").value == "é"
    assert repr(mp.Value("i", 5)) == "<Synchronized wrapper for c_int(5)>"


@pytest.mark.parametrize(
    "typecode, ctype",
    [
        ("c", ctypes.c_char), ("u", ctypes.c_wchar),
        ("b", ctypes.c_byte), ("B", ctypes.c_ubyte),
        ("h", ctypes.c_short), ("H", ctypes.c_ushort),
        ("i", ctypes.c_int), ("I", ctypes.c_uint),
        ("l", ctypes.c_long), ("L", ctypes.c_ulong),
        ("q", ctypes.c_longlong), ("Q", ctypes.c_ulonglong),
        ("f", ctypes.c_float), ("d", ctypes.c_double),
    ],
)  # fmt: skip
def test_each_type_code_means_the_same_ctypes_type(mp, typecode, ctype):
    assert type(mp.Value(typecode).get_obj()) is ctype
    assert type(mp.RawValue(typecode)) is ctype
    assert mp.Array(typecode, 3).get_obj()._type_ is ctype


def test_a_ctypes_type_may_replace_the_type_code(mp):
    assert mp.Value(ctypes.c_double, 2.5).value == 2.5
    assert mp.Array(ctypes.c_short, [1, 2])[:] == [1, 2]


def test_a_value_comes_with_an_rlock(mp):
    counter = mp.Value("i", 0)
    lock = counter.get_lock()
    assert type(lock).__name__ == "RLock"
    with counter.get_lock():  # re-entrant: `.value` takes the same lock again inside
        counter.value += 1
    with counter as entered:  # the Value itself is a context manager over its lock
        assert entered is True
        counter.value += 1
    assert counter.acquire() is True
    counter.release()
    assert counter.value == 2


def test_a_value_may_use_your_lock(mp):
    lock = mp.Lock()
    counter = mp.Value("i", 0, lock=lock)
    assert counter.get_lock() is lock
    with counter:
        assert lock.acquire(False) is False  # held: `with counter` took our Lock
    assert lock.acquire(False) is True
    lock.release()
    assert type(mp.Value("i", 0, lock=None).get_lock()).__name__ == "RLock"  # None: a new RLock


def test_a_lock_without_acquire_is_refused(mp):
    with pytest.raises(AttributeError, match="has no method 'acquire'"):
        mp.Value("i", 0, lock=object())
    with pytest.raises(AttributeError, match="has no method 'acquire'"):
        mp.Array("i", 3, lock="a lock")


def test_lock_false_gives_the_bare_ctypes_object(mp):
    number = mp.Value("i", 3, lock=False)
    assert isinstance(number, ctypes.c_int)
    assert number.value == 3
    assert not hasattr(number, "get_lock")
    numbers = mp.Array("i", [1, 2], lock=False)
    assert isinstance(numbers, ctypes.Array)
    assert numbers[:] == [1, 2]
    assert not hasattr(numbers, "get_lock")


def test_a_value_of_a_structure_is_read_with_get_obj(mp):
    point = mp.Value(Point, 1, 2)
    assert (point.get_obj().x, point.get_obj().y) == (1, 2)
    with point.get_lock():
        point.get_obj().x = 5
    assert point.get_obj().x == 5


def test_a_value_of_a_structure_has_its_fields_as_attributes(mp):
    point = mp.Value(Point, 1, 2)
    assert (point.x, point.y) == (1, 2)
    point.x = 5  # under the lock, into the shared memory
    assert point.get_obj().x == 5


# --- Array ---------------------------------------------------------------------------


def test_an_array_is_indexed_and_sliced_like_a_list(mp):
    numbers = mp.Array("i", [1, 2, 3, 4])
    assert len(numbers) == 4
    assert (numbers[0], numbers[-1]) == (1, 4)
    assert numbers[1:3] == [2, 3]
    assert numbers[::2] == [1, 3]
    assert numbers[:] == list(numbers) == [1, 2, 3, 4]
    assert 3 in numbers
    numbers[0] = 10
    numbers[1:3] = [20, 30]
    assert numbers[:] == [10, 20, 30, 4]
    with pytest.raises(ValueError, match="Can only assign sequence of same size"):
        numbers[0:2] = [1]
    with pytest.raises(IndexError):
        numbers[4]
    assert numbers[:] == [10, 20, 30, 4]


def test_an_array_made_from_a_size_is_zeros(mp):
    assert mp.Array("d", 3)[:] == [0.0, 0.0, 0.0]
    assert mp.Array("i", range(3))[:] == [0, 1, 2]
    assert len(mp.Array("i", 0)) == 0
    assert mp.Array("i", [])[:] == []


def test_a_char_array_has_value_and_raw(mp):
    greeting = mp.Array("c", b"hello")
    assert greeting.value == b"hello"
    assert greeting.raw == b"hello"
    assert greeting[0] == b"h"
    assert greeting[1:3] == b"el"
    buffer = mp.Array("c", 6)
    buffer.value = b"ab"  # a C string: ends at the first NUL
    assert buffer.value == b"ab"
    assert buffer.raw == b"ab\0\0\0\0"
    buffer.raw = b"xyz\0zz"
    assert buffer.value == b"xyz"
    assert type(greeting).__name__ == "SynchronizedString"


def test_an_array_of_structures(mp):
    points = mp.Array(Point, [(1, 2), (3, 4)])
    assert len(points) == 2
    assert (points[1].x, points[1].y) == (3, 4)


# --- RawValue and RawArray -------------------------------------------------------------


def test_raw_value_and_raw_array_are_bare_ctypes_objects(mp):
    number = mp.RawValue("d", 2.5)
    assert isinstance(number, ctypes.c_double)
    assert number.value == 2.5
    numbers = mp.RawArray("i", [1, 2, 3])
    assert isinstance(numbers, ctypes.Array)
    assert numbers[:] == [1, 2, 3]
    assert mp.RawArray("h", 2)[:] == [0, 0]
    assert mp.RawArray("c", b"ab").value == b"ab"
    assert mp.RawValue(Point, 1, 2).y == 2


# --- bad arguments ----------------------------------------------------------------------


BAD_CALLS = [
    ("Value", ("x",), TypeError),
    ("RawValue", ("x",), TypeError),
    ("Array", ("x", 3), TypeError),
    ("Value", (42,), TypeError),
    ("Array", ("i", -1), ValueError),
    ("RawArray", ("i", -1), ValueError),
    ("Array", ("i", 2.5), TypeError),
    ("RawArray", ("i", 2.5), TypeError),
    ("Value", ("i", "not a number"), TypeError),
]


@pytest.mark.parametrize("function, args, error", BAD_CALLS)
def test_bad_arguments_raise_the_standard_librarys_exception(mp, function, args, error):
    with pytest.raises(error):
        getattr(mp, function)(*args)


# The standard library's messages are ctypes' own ("this type has no size");
# minimp's name the argument, what was given and what was expected.
@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: minimp.Value("x"), TypeError, "typecode_or_type='x'): expected a type code"),
        (lambda: minimp.RawValue("x"), TypeError, "typecode_or_type='x'): expected a type code"),
        (lambda: minimp.Array("x", 3), TypeError, "typecode_or_type='x'): expected a type code"),
        (lambda: minimp.Array("i", -1), ValueError, "size_or_initializer=-1): an array size must be >= 0"),
        (lambda: minimp.RawArray("i", -1), ValueError, "size_or_initializer=-1): an array size must be >= 0"),
        (lambda: minimp.Array("i", 2.5), TypeError, "size_or_initializer=2.5): expected an int (the size)"),
    ],
)
def test_minimp_names_the_bad_argument(call, error, message):
    with pytest.raises(error) as raised:
        call()
    assert message in str(raised.value)


# --- they reach a child only when it is started ---------------------------------------


SHARED_KINDS = [
    ("Value", ("i", 1)),
    ("Array", ("i", 3)),
    ("Array", ("c", b"abc")),
    ("RawValue", ("d", 1.5)),
    ("RawArray", ("i", [1, 2])),
]


@pytest.mark.parametrize("function, args", SHARED_KINDS)
def test_shared_memory_cannot_be_sent_through_a_pipe(mp, function, args):
    sender, receiver = mp.Pipe()
    with pytest.raises(RuntimeError, match="only be shared between processes through inheritance"):
        sender.send(getattr(mp, function)(*args))
    sender.close()
    receiver.close()


# The standard library refuses this one with RuntimeError, as if the plain
# number were shared memory; minimp copies it, as pickle would.
def test_a_plain_ctypes_number_still_travels_by_value_once_a_value_of_its_type_exists():
    minimp.Value("i", 1)
    sender, receiver = minimp.Pipe()
    try:
        sender.send(ctypes.c_int(5))
        assert receiver.recv().value == 5
    finally:
        sender.close()
        receiver.close()


# --- the memory itself ---------------------------------------------------------------


def open_descriptors():
    """This process's open file descriptors and what each one is."""
    found = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            found[int(name)] = os.readlink(f"/proc/self/fd/{name}")
        except FileNotFoundError:  # listdir's own descriptor, closed since
            pass
    return found


def test_shared_memory_has_no_name_and_is_gone_with_its_last_object():
    before = open_descriptors()
    numbers = minimp.Array("d", 1000)
    numbers[999] = 1.0
    opened = {fd: what for fd, what in open_descriptors().items() if before.get(fd) != what}
    assert opened, "the Array holds its memory (and its lock) open"
    for fd, target in opened.items():
        # No path another user could open: an anonymous file, or pipes for the lock.
        assert not os.path.exists(target), f"descriptor {fd} is the named file {target}"
    del numbers
    gc.collect()
    assert open_descriptors().items() <= before.items()


# --- across processes, under fork and spawn -----------------------------------------------


def count_to_1000(counter):
    for _ in range(1000):
        with counter.get_lock():
            counter.value += 1


def test_children_counting_under_the_lock_lose_no_update(ctx):
    counter = ctx.Value("i", 0)
    children = [start(ctx, count_to_1000, counter) for _ in range(3)]
    finish(*children)
    assert counter.value == 3 * 1000


def square_when_told(numbers, told):
    told.wait(WAIT)
    for i in range(len(numbers)):
        numbers[i] = numbers[i] ** 2


def test_a_child_and_its_parent_write_the_same_array(ctx):
    numbers, told = ctx.Array("i", [1, 2, 3]), ctx.Event()
    child = start(ctx, square_when_told, numbers, told)
    numbers[0] = 10  # after start(): the child sees it only if the memory is shared, not copied
    told.set()
    finish(child)
    assert numbers[:] == [100, 4, 9]


def write_greeting(text):
    text.value = b"hello from the child"


def test_a_child_writes_a_char_array_the_parent_reads(ctx):
    text = ctx.Array("c", 32)
    finish(start(ctx, write_greeting, text))
    assert text.value == b"hello from the child"


def fill_raw(number, numbers):
    number.value += 0.5
    numbers[:] = [i * i for i in range(len(numbers))]


def test_raw_value_and_raw_array_are_shared_with_a_child(ctx):
    number, numbers = ctx.RawValue("d", 1.0), ctx.RawArray("i", 4)
    finish(start(ctx, fill_raw, number, numbers))
    assert number.value == 1.5
    assert numbers[:] == [0, 1, 4, 9]


def move_point(point):
    with point.get_lock():
        point.x += 10
        point.y += 20


def test_a_child_moves_a_shared_structure(ctx):
    point = ctx.Value(Point, 1, 2)
    finish(start(ctx, move_point, point))
    assert (point.x, point.y) == (11, 22)


def move_one_at_a_time(source, target, times):
    for _ in range(times):
        with source.get_lock():  # the same lock guards both
            source.value -= 1
            target.value += 1


def test_two_values_guarded_by_one_lock_never_show_a_half_done_move(ctx):
    lock = ctx.RLock()
    alice, bob = ctx.Value("i", 500, lock=lock), ctx.Value("i", 0, lock=lock)
    child = start(ctx, move_one_at_a_time, alice, bob, 500)
    totals = []
    while child.is_alive():  # look as often as we can while the child moves
        with lock:
            totals.append(alice.value + bob.value)
    finish(child)
    with lock:
        totals.append(alice.value + bob.value)
    assert set(totals) == {500}
    assert (alice.value, bob.value) == (0, 500)


def report_what_arrives(inbox, log):
    log.put(("child got", inbox.get(timeout=WAIT)))


def test_shared_memory_cannot_be_sent_through_a_queue_to_a_running_child(ctx):
    inbox, log = ctx.Queue(), ctx.Queue()
    child = start(ctx, report_what_arrives, inbox, log)
    for function, args in SHARED_KINDS:
        with pytest.raises(RuntimeError, match="only be shared between processes through inheritance"):
            inbox.put(getattr(ctx, function)(*args))
    inbox.put("a plain message")
    finish(child)
    assert log.get(timeout=WAIT) == ("child got", "a plain message")
