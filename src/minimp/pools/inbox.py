"""A worker's inbox: its result pipe, read in bulk by the pool's thread.

A worker's messages are framed as a Connection frames them (connection.py: an 8-byte
length, then the pickle). Read one at a time, each would cost a poll(2), to ask
whether another is there, and two read(2)s; a map of 20,000 tiny tasks with
chunksize=1 sends 20,000 Done messages. So the pool's thread reads whatever the
pipe holds in one read(2), and takes the messages out of that buffer one by one:

    pipe ─▶ one read(2) ─▶ [frame][frame][frame][first part of a frame]
                            take()  take()  take()  (waits for its rest)

A message bigger than the buffer goes the rest of the way straight into a buffer of
its own, as Connection.recv_bytes reads it. What is read stays here until taken:
`ready()` says whether a whole message waits, so that the pool's thread does not
sleep in poll(2) with one in hand (crew.py).

Read next: `pools/failures.py`, how a task's exception makes the trip back.
"""

from __future__ import annotations

import os
import select

from ..runtime.connection import HEADER, read_into

__all__ = ["Inbox", "BULK"]

BULK = 64 * 1024  # bytes asked of one read(2): what a pipe holds


class Inbox:
    """The reading end of a worker's result pipe, with what was read and not yet taken."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._buffer = bytearray()
        self._poller = select.poll()  # made once: a poll(2) per question, nothing more
        self._poller.register(fd, select.POLLIN)

    def ready(self) -> bool:
        """Is a whole message waiting in what was read already?"""
        buffer = self._buffer
        return len(buffer) >= HEADER.size and len(buffer) >= HEADER.size + HEADER.unpack_from(buffer)[0]

    def pending(self) -> bool:
        """Can take() go on without waiting for the worker: a whole message read already, or
        something in the pipe (or its end)?"""
        return self.ready() or bool(self._poller.poll(0))

    def take(self) -> bytes | bytearray:
        """The next message's bytes. EOFError once the pipe has ended between messages (the
        worker exited); OSError if it ended in the middle of one."""
        buffer = self._buffer
        while len(buffer) < HEADER.size:
            self._read_more()
        (size,) = HEADER.unpack_from(buffer)
        end = HEADER.size + size
        if len(buffer) < end and size > BULK:  # a big one: its rest straight into its own buffer
            message = bytearray(size)
            have = len(buffer) - HEADER.size
            message[:have] = buffer[HEADER.size :]
            buffer.clear()
            with memoryview(message) as view:
                read_into(self.fd, view[have:])
            return message
        while len(buffer) < end:
            self._read_more()
        with memoryview(buffer) as view:
            message = bytes(view[HEADER.size : end])
        del buffer[:end]
        return message

    def _read_more(self) -> None:
        data = os.read(self.fd, BULK)  # waits only if the pipe is empty (a message half written)
        if not data:
            raise OSError("got end of file during message") if self._buffer else EOFError
        self._buffer += data
