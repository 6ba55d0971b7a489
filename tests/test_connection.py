"""Pipe and Connection, told as small stories (connection.py).

A Pipe is two Connections joined by the kernel: what one end sends, the
other receives, one whole message at a time. The first half of this file
runs in one process and uses the standard library as the oracle (the `mp`
fixture): both must answer the same, down to the exception and its message.
The second half crosses process boundaries under both start methods (the
`ctx` fixture): a child started by fork and one started by spawn must see
the same pipe.
"""

import array
import hashlib
import multiprocessing.connection
import os
import re
import select
import stat
import struct
import threading
import time

import pytest

import minimp
import minimp.runtime.connection

MB = 1024 * 1024


def make_payload(nbytes: int) -> bytes:
    """`nbytes` of a recognisable pattern (0, 1, ..., 255, 0, 1, ...)."""
    return (bytes(range(256)) * (nbytes // 256 + 1))[:nbytes]


def wait_module(mp):
    """The `connection` module that goes with minimp or the standard library."""
    return minimp.runtime.connection if mp is minimp else multiprocessing.connection


def _refuse_to_be_rebuilt():
    raise ValueError("cannot rebuild")


class Unpicklable:
    """Pickles fine, but fails to unpickle at the receiving end."""

    def __reduce__(self):
        return _refuse_to_be_rebuilt, ()


# -- workers: what the children run (module level, so spawn can import them) -----


def echo_until_eof(conn, parent_end):
    """Send every message back, tagged; stop when the parent closes its end."""
    # Under fork the child got a copy of *every* descriptor, the parent's end
    # included. While that copy is open the pipe is not closed "everywhere",
    # and recv() below would never see EOF. Drop it first.
    parent_end.close()
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        conn.send(("echo", message))


def say_hello_and_goodbye(conn):
    conn.send("hello")
    conn.send("goodbye")
    # returning ends the process, and the process's end of the pipe with it


def send_frames(conn, sizes):
    for size in sizes:
        conn.send_bytes(make_payload(size))
    conn.send({"frames sent": len(sizes)})


def big_payload_both_ways(conn, nbytes):
    """Send nbytes raw; receive a pickled dict holding nbytes; report what came."""
    conn.send_bytes(make_payload(nbytes))
    received = conn.recv()
    data = received["data"]
    conn.send((received["name"], len(data), hashlib.sha256(data).hexdigest()))


def reply_then_wait_for_bye(conn):
    conn.send("result")
    assert conn.recv() == "bye"


# -- one process, the standard library as the oracle -------------------------------


def test_send_and_recv_carry_pickled_objects_in_order(mp):
    left, right = mp.Pipe()

    left.send({"answer": 42, "items": [1, 2.5, "three", None]})
    left.send(("second", b"bytes too"))
    right.send("and back")

    assert right.recv() == {"answer": 42, "items": [1, 2.5, "three", None]}
    assert right.recv() == ("second", b"bytes too")
    assert left.recv() == "and back"


def test_send_bytes_and_recv_bytes_keep_message_boundaries(mp):
    left, right = mp.Pipe()

    for message in [b"first", b"", b"third", bytearray(b"a bytearray"), memoryview(b"a view")]:
        left.send_bytes(message)

    # Five messages come out, not one stream of bytes: an empty one included.
    received = [right.recv_bytes() for _ in range(5)]
    assert received == [b"first", b"", b"third", b"a bytearray", b"a view"]
    assert all(type(message) is bytes for message in received)
    assert right.poll() is False


def test_send_bytes_offset_and_size_are_counted_in_bytes(mp):
    left, right = mp.Pipe()
    numbers = array.array("i", [10, 20, 30, 40])  # 4 bytes each

    left.send_bytes(numbers, 4, 8)  # skip the first int, take the next two
    left.send_bytes(b"abcdef", 2)  # from byte 2 to the end

    assert array.array("i", right.recv_bytes()).tolist() == [20, 30]
    assert right.recv_bytes() == b"cdef"


@pytest.mark.parametrize(
    "offset, size, message",
    [
        (-1, None, "offset is negative"),
        (4, None, "buffer length < offset"),
        (1, -1, "size is negative"),
        (1, 3, "buffer length < offset + size"),
    ],
)
def test_send_bytes_rejects_a_slice_outside_the_buffer(mp, offset, size, message):
    left, right = mp.Pipe()

    with pytest.raises(ValueError, match=re.escape(message)):
        left.send_bytes(b"abc", offset, size)

    assert right.poll() is False  # nothing half-sent
    left.send_bytes(b"abc", 1, 2)  # and the pipe still works
    assert right.recv_bytes() == b"bc"


def test_send_bytes_wants_a_bytes_like_object(mp):
    left, right = mp.Pipe()

    with pytest.raises(TypeError, match="bytes-like object is required, not 'str'"):
        left.send_bytes("a str is text, not bytes")

    assert right.poll() is False


def test_unpicklable_object_raises_in_the_sender_and_sends_nothing(mp):
    left, right = mp.Pipe()

    with pytest.raises(TypeError, match="cannot pickle '_thread.lock' object"):
        left.send({"lock": threading.Lock()})

    assert right.poll() is False  # no broken frame left behind
    left.send("next message")
    assert right.recv() == "next message"


def test_a_message_that_cannot_be_unpickled_costs_only_itself(mp):
    left, right = mp.Pipe()

    left.send(Unpicklable())
    left.send("next message")

    # recv() reads the whole frame before unpickling it, so the error
    # leaves the stream in step.
    with pytest.raises(ValueError, match="cannot rebuild"):
        right.recv()
    assert right.recv() == "next message"


def test_recv_bytes_into_fills_a_buffer_at_an_offset(mp):
    left, right = mp.Pipe()
    buffer = bytearray(b"..........")

    left.send_bytes(b"hello")
    size = right.recv_bytes_into(buffer, 3)

    assert size == 5
    assert buffer == bytearray(b"...hello..")


def test_recv_bytes_into_a_buffer_too_small_raises_BufferTooShort_with_the_message(mp):
    left, right = mp.Pipe()
    small = bytearray(5)

    left.send_bytes(b"hello world")
    left.send_bytes(b"next")
    with pytest.raises(mp.BufferTooShort) as caught:
        right.recv_bytes_into(small)

    # The message is not lost: the exception carries all of it ...
    assert caught.value.args[0] == b"hello world"
    assert small == bytearray(5)
    # ... and the stream stays in step: the next message comes out whole.
    assert right.recv_bytes() == b"next"


@pytest.mark.parametrize("offset, message", [(-1, "negative offset"), (4, "offset too large")])
def test_recv_bytes_into_rejects_an_offset_outside_the_buffer(mp, offset, message):
    left, right = mp.Pipe()
    left.send_bytes(b"x")

    with pytest.raises(ValueError, match=message):
        right.recv_bytes_into(bytearray(3), offset)

    assert right.recv_bytes() == b"x"  # checked before reading: the message waits


def test_recv_bytes_with_maxlength_refuses_a_longer_message(mp):
    reader, writer = mp.Pipe(duplex=False)
    writer.send_bytes(b"a message of 26 bytes long")

    with pytest.raises(ValueError, match="negative maxlength"):
        reader.recv_bytes(-1)
    with pytest.raises(OSError, match="bad message length"):
        reader.recv_bytes(maxlength=10)

    # The rest of the message is still in the pipe, so the stream cannot be
    # trusted any more: the read-only end is closed.
    assert reader.closed


def test_recv_bytes_maxlength_on_a_duplex_end_keeps_it_sending(mp):
    left, right = mp.Pipe()
    left.send_bytes(b"a message of 26 bytes long")

    with pytest.raises(OSError, match="bad message length"):
        right.recv_bytes(maxlength=10)

    # Only the receiving direction is lost: a duplex end can still send.
    assert not right.closed
    assert (right.readable, right.writable) == (False, True)
    right.send("can still send")
    assert left.recv() == "can still send"
    with pytest.raises(OSError, match="connection is write-only"):
        right.recv()


def test_poll_waits_at_most_timeout_seconds(mp):
    left, right = mp.Pipe()

    assert right.poll() is False  # the default timeout is 0: just a look

    start = time.monotonic()
    assert right.poll(0.2) is False
    waited = time.monotonic() - start
    assert 0.2 <= waited < 2

    left.send("here")
    assert right.poll() is True
    assert right.poll(None) is True  # None waits for ever; here it need not
    assert right.poll() is True  # poll() only looks: the message is still there
    assert right.recv() == "here"
    assert right.poll() is False


def test_poll_wakes_up_when_a_message_arrives(mp):
    left, right = mp.Pipe()
    sender = threading.Timer(0.1, left.send, args=["late"])

    start = time.monotonic()
    sender.start()
    assert right.poll(30) is True
    assert time.monotonic() - start < 10  # woken by the message, not by the timeout
    sender.join()
    assert right.recv() == "late"


def test_the_other_end_closed_means_EOFError_and_BrokenPipeError(mp):
    left, right = mp.Pipe()
    left.send("last words")
    left.close()

    # What was sent before the close still arrives; then the end of the stream.
    assert right.poll() is True
    assert right.recv() == "last words"
    assert right.poll() is True  # "a read would not block": it would find EOF
    with pytest.raises(EOFError):
        right.recv()
    with pytest.raises(EOFError):
        right.recv_bytes()
    with pytest.raises(BrokenPipeError):
        right.send("anyone there?")


def test_one_way_pipe_the_first_end_reads_the_second_writes(mp):
    reader, writer = mp.Pipe(duplex=False)

    assert (reader.readable, reader.writable) == (True, False)
    assert (writer.readable, writer.writable) == (False, True)
    writer.send("one way")
    assert reader.recv() == "one way"

    with pytest.raises(OSError, match="connection is read-only"):
        reader.send("back?")
    with pytest.raises(OSError, match="connection is read-only"):
        reader.send_bytes(b"back?")
    for read in (writer.recv, writer.recv_bytes, writer.poll):
        with pytest.raises(OSError, match="connection is write-only"):
            read()

    writer.close()
    with pytest.raises(EOFError):
        reader.recv()


def test_duplex_pipe_both_ends_read_and_write(mp):
    left, right = mp.Pipe(duplex=True)

    assert (left.readable, left.writable) == (True, True)
    assert (right.readable, right.writable) == (True, True)
    left.send("ping")
    right.send(right.recv().replace("i", "o"))
    assert left.recv() == "pong"


def test_fileno_is_a_descriptor_the_os_can_wait_on(mp):
    left, right = mp.Pipe()
    reader, writer = mp.Pipe(duplex=False)

    # A duplex Pipe is a pair of Unix sockets; a one-way Pipe is os.pipe().
    assert stat.S_ISSOCK(os.fstat(left.fileno()).st_mode)
    assert stat.S_ISFIFO(os.fstat(reader.fileno()).st_mode)
    assert len({left.fileno(), right.fileno(), reader.fileno(), writer.fileno()}) == 4

    assert select.select([right.fileno()], [], [], 0)[0] == []
    left.send("wake up")
    assert select.select([right.fileno()], [], [], 0)[0] == [right.fileno()]


def test_a_closed_connection_raises_OSError_handle_is_closed(mp):
    left, right = mp.Pipe()
    assert not left.closed

    left.close()
    left.close()  # closing twice is fine

    assert left.closed
    for operation in (left.fileno, left.recv, left.recv_bytes, left.poll, lambda: left.send(1)):
        with pytest.raises(OSError, match="handle is closed"):
            operation()


def test_a_connection_closes_at_the_end_of_a_with_block(mp):
    left, right = mp.Pipe()

    with left:
        left.send("inside")

    assert left.closed
    assert right.recv() == "inside"
    with pytest.raises(EOFError):
        right.recv()


def test_wait_returns_the_connections_that_have_something_to_read(mp):
    wait = wait_module(mp).wait
    pipes = [mp.Pipe() for _ in range(3)]
    readers = [right for _left, right in pipes]

    pipes[1][0].send("for the second")
    assert wait(readers, timeout=5) == [readers[1]]

    pipes[2][0].close()  # a closed other end counts: reading it reports EOF
    assert set(wait(readers, timeout=5)) == {readers[1], readers[2]}

    # It accepts file descriptor numbers too, and gives back what it was given.
    assert wait([readers[1].fileno()], timeout=5) == [readers[1].fileno()]


def test_wait_with_nothing_ready_returns_an_empty_list_after_the_timeout(mp):
    wait = wait_module(mp).wait
    left, right = mp.Pipe()

    start = time.monotonic()
    assert wait([right], timeout=0.2) == []
    assert 0.2 <= time.monotonic() - start < 2
    assert wait([right], timeout=0) == []


# -- minimp's own design: the frame, and where a Connection may travel -------------


def test_a_message_travels_as_an_8_byte_length_then_the_payload():
    reader, writer = minimp.Pipe(duplex=False)

    writer.send_bytes(b"hi!")

    # Read the raw pipe under the Connection: this is the frame connection.py draws.
    raw = os.read(reader.fileno(), 100)
    assert raw == struct.pack("!Q", 3) + b"hi!"
    assert raw == b"\x00\x00\x00\x00\x00\x00\x00\x03hi!"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(b"\x00\x00\x00", id="cut in the length"),
        pytest.param(struct.pack("!Q", 100) + b"x" * 10, id="cut in a small payload"),
        pytest.param(struct.pack("!Q", 1_000_000) + b"x" * 10, id="cut in a large payload"),
    ],
)
def test_a_frame_cut_short_raises_OSError(raw):
    reader, writer = minimp.Pipe(duplex=False)

    # A writer that dies half-way through a frame (the limit connection.py
    # states) leaves this in the pipe; its end then closes.
    os.write(writer.fileno(), raw)
    writer.close()

    # Not EOFError: that means "no more messages", and a message was begun.
    with pytest.raises(OSError, match="got end of file during message"):
        reader.recv_bytes()


def test_a_connection_cannot_be_sent_through_a_queue_or_a_pipe():
    left, right = minimp.Pipe()
    carrier_queue = minimp.Queue()
    carrier_in, carrier_out = minimp.Pipe()

    # A Connection is an open file descriptor; it reaches a child only when
    # the child is started (Process args). minimp says so in the caller.
    with pytest.raises(RuntimeError, match="inheritance") as caught:
        carrier_queue.put(left)
    assert "Connection" in str(caught.value)
    with pytest.raises(RuntimeError, match="inheritance"):
        carrier_in.send(left)

    # Nothing was half-sent, and everything still works.
    assert carrier_queue.empty()
    assert carrier_out.poll() is False
    left.send("still connected")
    assert right.recv() == "still connected"


# -- across processes, under fork and spawn --------------------------------------


def test_a_child_echoes_over_a_duplex_pipe_until_the_parent_closes(ctx):
    parent_end, child_end = ctx.Pipe()
    child = ctx.Process(target=echo_until_eof, args=(child_end, parent_end))
    child.start()
    child_end.close()  # the child has its own copy; ours would keep the pipe open

    replies = []
    for message in [1, "two", {"three": 3}]:
        parent_end.send(message)
        replies.append(parent_end.recv())
    parent_end.close()  # the child's recv() now raises EOFError, and it returns
    child.join(30)

    assert replies == [("echo", 1), ("echo", "two"), ("echo", {"three": 3})]
    assert child.exitcode == 0


@pytest.mark.parametrize("duplex", [True, False], ids=["duplex", "one-way"])
def test_the_parent_gets_EOFError_once_a_child_holding_the_other_end_exits(ctx, duplex):
    parent_end, child_end = ctx.Pipe(duplex)
    child = ctx.Process(target=say_hello_and_goodbye, args=(child_end,))
    child.start()
    child_end.close()

    assert parent_end.recv() == "hello"
    assert parent_end.recv() == "goodbye"
    with pytest.raises(EOFError):
        parent_end.recv()  # the child has exited: nobody can write any more
    child.join(30)
    assert child.exitcode == 0


def test_framed_messages_of_every_size_arrive_whole(ctx):
    # Sizes around the pipe's 64 KiB capacity and connection.py's one-write limit.
    sizes = [0, 1, 8, 4095, 65535, 65536, 65537, 3 * MB]
    parent_end, child_end = ctx.Pipe()
    child = ctx.Process(target=send_frames, args=(child_end, sizes))
    child.start()
    child_end.close()

    for size in sizes:
        assert parent_end.recv_bytes() == make_payload(size)
    assert parent_end.recv() == {"frames sent": len(sizes)}
    child.join(30)
    assert child.exitcode == 0


@pytest.mark.timeout(180)
def test_a_200_MB_payload_crosses_the_pipe_both_ways(ctx):
    nbytes = 200 * MB
    expected = make_payload(nbytes)
    parent_end, child_end = ctx.Pipe()
    child = ctx.Process(target=big_payload_both_ways, args=(child_end, nbytes))
    child.start()
    child_end.close()

    # child -> parent: raw bytes
    received = parent_end.recv_bytes()
    assert len(received) == nbytes
    assert received == expected
    del received
    # parent -> child: a pickled object holding the same bytes
    parent_end.send({"name": "big", "data": expected})
    name, size, digest = parent_end.recv()
    child.join(60)

    assert (name, size) == ("big", nbytes)
    assert digest == hashlib.sha256(expected).hexdigest()
    assert child.exitcode == 0


def test_wait_on_a_connection_and_a_process_sentinel(ctx):
    parent_end, child_end = ctx.Pipe()
    child = ctx.Process(target=reply_then_wait_for_bye, args=(child_end,))
    child.start()
    child_end.close()
    wait = minimp.runtime.connection.wait

    # 1. The child has sent its result and now waits: only the pipe is ready.
    assert wait([parent_end, child.sentinel], timeout=30) == [parent_end]
    assert parent_end.recv() == "result"
    # 2. Nothing more to read, and the child is still alive.
    assert wait([parent_end, child.sentinel], timeout=0.2) == []
    assert child.is_alive()
    # 3. Told to go, the child exits: its sentinel becomes ready, and so does
    #    the pipe, because the child's end closes with it (a read gives EOF).
    #    Wait for each on its own: the kernel closes a dying process's
    #    descriptors one by one, so the two need not be ready at the same instant.
    parent_end.send("bye")
    assert wait([child.sentinel], timeout=30) == [child.sentinel]
    assert wait([parent_end], timeout=30) == [parent_end]
    with pytest.raises(EOFError):
        parent_end.recv()
    child.join(30)
    assert child.exitcode == 0
