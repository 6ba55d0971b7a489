"""Pipe and Connection: framed messages between two processes.

A pipe (`os.pipe`) or a pair of connected sockets (`socket.socketpair`) is a byte
stream: the reader sees bytes, not messages. A Connection *frames* each message as an
8-byte length followed by that many bytes::

    send(obj) ─ pickle ─▶ [ length: 8 bytes, big-endian ][ payload ... ] ─▶ pipe
    pipe ─▶ read 8 bytes ─▶ read exactly `length` bytes ─ unpickle ─▶ recv()

`send_bytes`/`recv_bytes` move raw bytes, `send`/`recv` pickled objects (serialize.py);
`poll()` and `wait()` ask the kernel (poll(2)) whether a read would find data or EOF.

Unlike `multiprocessing.connection`, a Connection reaches a child only when the child
is started: sending one through a pipe or queue raises RuntimeError (the standard
library does it through a helper server on a socket; minimp's one listening socket is a
manager's, listener.py).

Limits: not thread-safe (two threads sending at once may interleave their frames), and
a send interrupted half-way (KeyboardInterrupt) leaves a broken frame in the pipe.

Read next: `runtime/queues.py`, a queue many processes can share.
"""

from __future__ import annotations

import io
import math
import os
import select
import struct
import time

from . import serialize
from .errors import BufferTooShort

TYPE_CHECKING = False  # type names for readers and checkers; importing typing
if TYPE_CHECKING:  # would cost every spawned child several milliseconds
    from typing import Any, Iterable

__all__ = ["Connection", "Pipe", "wait", "read_into"]

HEADER = struct.Struct("!Q")  # the frame's length prefix
MAX_POLL_MS = 2**31 - 1


class Connection:
    """One end of a Pipe: send and receive whole messages over a file descriptor."""

    def __init__(self, fd: int, readable: bool = True, writable: bool = True):
        if not (readable or writable):
            raise ValueError("a Connection must be readable, writable or both")
        self._fd: int | None = fd
        self._readable = readable
        self._writable = writable

    # -- the frame: what goes into the pipe, and how it comes out -------------

    def _send_frame(self, payload) -> None:
        header = HEADER.pack(len(payload))  # 8 bytes: how many bytes follow
        _write_frame(self._fd, header, payload)  # the header, then the payload

    def _recv_frame(self) -> bytes:
        return _read_exactly(self._fd, self._recv_header())

    def _recv_header(self) -> int:
        (size,) = HEADER.unpack(_read_exactly(self._fd, HEADER.size, at_message_start=True))
        return size

    def send(self, obj: Any) -> None:
        """Pickle `obj` and send it as one message."""
        self._check("send")
        self._send_frame(serialize.dumps(obj))

    def send_bytes(self, buf, offset: int = 0, size: int | None = None) -> None:
        """Send `buf[offset:offset + size]` (any bytes-like object) as one message."""
        self._check("send")
        view = memoryview(buf).cast("B")
        if offset < 0:
            raise ValueError("offset is negative")
        if len(view) < offset:
            raise ValueError("buffer length < offset")
        if size is None:
            size = len(view) - offset
        elif size < 0:
            raise ValueError("size is negative")
        elif offset + size > len(view):
            raise ValueError("buffer length < offset + size")
        self._send_frame(view[offset : offset + size])

    def send_bytes_many(self, buffers: list) -> None:
        """Send each of `buffers` as one message, all in one write(2) if they are small:
        one system call, and one wake-up of the reader, for several messages."""
        self._check("send")
        if len(buffers) == 1:  # no copy of a large one
            self._send_frame(buffers[0])
        else:
            _write_all(self._fd, b"".join(part for buf in buffers for part in (HEADER.pack(len(buf)), buf)))

    def recv(self) -> Any:
        """Receive one message and unpickle it. EOFError if the other end closed."""
        self._check("recv")
        return serialize.loads(self._recv_frame())

    def recv_bytes(self, maxlength: int | None = None) -> bytes:
        """Receive one message as bytes. A message longer than `maxlength` raises OSError
        and, as in the standard library, this end can no longer receive."""
        self._check("recv")
        if maxlength is not None and maxlength < 0:
            raise ValueError("negative maxlength")
        size = self._recv_header()
        if maxlength is not None and size > maxlength:
            # The rest of the message is still in the pipe, so the stream cannot be
            # resynchronised: this end can never read again, but a duplex end can still send.
            if self._writable:
                self._readable = False
            else:
                self.close()
            raise OSError("bad message length")
        return _read_exactly(self._fd, size)

    def recv_bytes_into(self, buf, offset: int = 0) -> int:
        """Receive one message into the writable buffer `buf` at byte `offset`; return its
        size. If it does not fit, raises BufferTooShort holding the whole message."""
        self._check("recv")
        with memoryview(buf) as view:
            view = view.cast("B")
            if offset < 0:
                raise ValueError("negative offset")
            if offset > len(view):
                raise ValueError("offset too large")
            size = self._recv_header()
            if offset + size > len(view):
                raise BufferTooShort(_read_exactly(self._fd, size))
            read_into(self._fd, view[offset : offset + size])
            return size

    def poll(self, timeout: float | None = 0.0) -> bool:
        """Is there a message (or EOF) to read? Waits up to `timeout` seconds (None: for ever)."""
        self._check("recv")
        return bool(wait([self._fd], timeout))

    def fileno(self) -> int:
        self._check()
        return self._fd

    @property
    def closed(self) -> bool:
        return self._fd is None

    @property
    def readable(self) -> bool:
        return self._readable

    @property
    def writable(self) -> bool:
        return self._writable

    def close(self, _close=os.close) -> None:
        # Bound early: __del__ may run at shutdown, once module globals are cleared.
        if self._fd is not None:
            fd, self._fd = self._fd, None
            _close(fd)

    def _check(self, operation: str | None = None) -> None:
        if self._fd is None:
            raise OSError("handle is closed")
        if operation == "recv" and not self._readable:
            raise OSError("connection is write-only")
        if operation == "send" and not self._writable:
            raise OSError("connection is read-only")

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def __repr__(self) -> str:
        if self._fd is None:
            return "<Connection closed>"
        return f"<Connection fd={self._fd} mode={'r' * self._readable + 'w' * self._writable!r}>"

    # A spawned child receives the same descriptor number (see serialize.py).
    def __reduce__(self):
        fd = serialize.pass_fd(self.fileno(), "Connection")
        return Connection, (fd, self._readable, self._writable)


def Pipe(duplex: bool = True) -> tuple[Connection, Connection]:
    """Return two connected Connections. duplex=True: both ends can send and receive (a
    Unix socket pair); duplex=False: the first only receives, the second only sends (os.pipe)."""
    if duplex:
        import socket  # here, not at the top: a spawned child starts faster without it

        left, right = socket.socketpair()
        return Connection(left.detach()), Connection(right.detach())
    read_fd, write_fd = os.pipe()
    return Connection(read_fd, writable=False), Connection(write_fd, readable=False)


def wait(object_list: Iterable[Any], timeout: float | None = None) -> list[Any]:
    """Wait until some of the objects are ready to read; return those. Objects may be
    Connections, anything with a `fileno()` (sockets) or file descriptor numbers (such as
    `Process.sentinel`). A closed other end counts as ready: reading it reports EOF."""
    poller = select.poll()
    by_fd = {}
    for obj in object_list:
        fd = obj if isinstance(obj, int) else obj.fileno()
        by_fd[fd] = obj
        poller.register(fd, select.POLLIN)
    if timeout is None:
        ready = poller.poll()
    else:
        deadline = time.monotonic() + timeout
        while True:
            # poll() counts milliseconds in a C int (at most ~24 days): round up, so that
            # short waits do not spin, and wait again if need be.
            ms = math.ceil((deadline - time.monotonic()) * 1000)
            ready = poller.poll(min(max(ms, 0), MAX_POLL_MS))
            if ready or ms <= MAX_POLL_MS:
                break
    return [by_fd[fd] for fd, _events in ready]


# -- reading and writing whole buffers ----------------------------------------
# os.read and os.write may move fewer bytes than asked (a pipe holds 64 KiB).


def _write_all(fd: int, data) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_exactly(fd: int, size: int, at_message_start: bool = False) -> bytes:
    if size > SMALL:
        return _read_large(fd, size)
    data = os.read(fd, size)
    if not data and at_message_start:
        raise EOFError  # the other end closed between messages: no more messages
    while len(data) < size:  # the message arrives in pieces
        more = os.read(fd, size - len(data))
        if not more:
            raise OSError("got end of file during message")
        data += more
    return data


def read_into(fd: int, view: memoryview) -> None:
    """Fill `view` from `fd`: the rest of a message, its size known (pools/inbox.py uses it too)."""
    while view:
        got = os.readv(fd, [view])
        if got == 0:
            raise OSError("got end of file during message")
        view = view[got:]


# -- two speed-ups a chapter can skip (bench/bench_core.py measures them) -------

SMALL = 64 * 1024  # a frame up to this size: one write(2); a payload above it: _read_large


def _write_frame(fd: int, header: bytes, payload) -> None:
    # One system call costs more than copying a small payload behind its header.
    if len(payload) <= SMALL:
        _write_all(fd, header + payload)
    else:
        _write_all(fd, header)  # no copy of a large payload
        _write_all(fd, payload)


def _read_large(fd: int, size: int) -> bytes:
    # A BytesIO grown to `size` hands its buffer to getvalue() without a copy: even a
    # huge message is allocated once and copied once, by the kernel.
    buffer = io.BytesIO()
    buffer.seek(size - 1)
    buffer.write(b"\0")
    with buffer.getbuffer() as view:
        read_into(fd, view)
    return buffer.getvalue()
