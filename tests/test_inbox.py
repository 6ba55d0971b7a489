"""A worker's inbox (pools/inbox.py): its result pipe read in bulk, the messages taken one by one,
each whole and in order, however the bytes arrive."""

import os
import threading

import pytest

from minimp.pools.inbox import BULK, Inbox
from minimp.runtime.connection import HEADER, Pipe


@pytest.fixture
def pipe():
    reader, writer = Pipe(duplex=False)
    yield Inbox(reader.fileno()), writer
    reader.close()
    writer.close()


def test_messages_written_at_once_are_read_once_and_taken_one_by_one(pipe):
    inbox, writer = pipe
    assert not inbox.pending()
    writer.send_bytes_many([b"one", b"two", b""])
    assert inbox.pending() and not inbox.ready()  # in the pipe, not read yet
    assert inbox.take() == b"one"
    assert inbox.ready()  # the others were read with it
    assert [inbox.take(), inbox.take()] == [b"two", b""]
    assert not inbox.ready() and not inbox.pending()


def test_a_message_that_arrives_in_pieces_is_taken_whole(pipe):
    inbox, writer = pipe
    frame = HEADER.pack(5) + b"hello"
    os.write(writer.fileno(), frame[:3])
    assert inbox.pending() and not inbox.ready()
    later = threading.Timer(0.1, os.write, (writer.fileno(), frame[3:]))
    later.start()
    assert inbox.take() == b"hello"  # waited for its rest
    later.join()


@pytest.mark.parametrize("size", [BULK - HEADER.size, BULK + 1, 5 * BULK])
def test_a_big_message_is_taken_whole_and_the_next_after_it(pipe, size):
    inbox, writer = pipe
    big = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
    sender = threading.Thread(target=writer.send_bytes_many, args=([big, b"after"],))
    sender.start()
    assert inbox.take() == big
    assert inbox.take() == b"after"
    sender.join()


def test_the_end_of_the_pipe_between_messages_is_eof_and_within_one_an_oserror(pipe):
    inbox, writer = pipe
    writer.send_bytes(b"last")
    os.write(writer.fileno(), HEADER.pack(10) + b"cut")
    writer.close()
    assert inbox.take() == b"last"
    with pytest.raises(OSError, match="end of file during message"):
        inbox.take()


def test_an_empty_pipe_that_ended_is_eof(pipe):
    inbox, writer = pipe
    writer.close()
    assert inbox.pending()  # its end is something to read
    with pytest.raises(EOFError):
        inbox.take()
