"""Listener and Client: a server that any process of the family can reach, and nobody else.

A Pipe joins a parent and the child it starts. A manager's server (server.py) must also
take calls from processes it never met: the workers of a pool, a child's child. They reach
it by a name in the file system, a Unix socket (AF_UNIX)::

    server: Listener(DIR/listener)   bind(2), listen(2)
    client: Client(DIR/listener, authkey) ── connect(2) ──▶ accept(2): one Connection per client

Two things keep strangers out. The socket lives in a directory made by `tempfile.mkdtemp`,
mode 0700: no other user can even reach it. And a client is answered only once both ends
have proved that they know the authkey (family.py), without sending it, as
`multiprocessing.connection` does::

    server (deliver_challenge)                        client (answer_challenge)
    CHALLENGE + 32 random bytes  ─────────────────▶  hmac(authkey, those bytes)
    hmac.compare_digest(...)     ◀─────────────────  the digest
    WELCOME, or FAILURE and hang up ──────────────▶  FAILURE: AuthenticationError
    ... then the same again, the client asking and the server answering.

Messages are framed by minimp's own Connection, which works over any file descriptor, a
socket's as well as a pipe's (connection.py). A client process keeps one connection per
thread and server (`connection_to`), made on first use: a Connection is not thread-safe, and
a request and its reply must follow each other on it. A forked child closes its copies of
its parent's connections, and makes its own.

Unlike `multiprocessing.connection`, there is no TCP: a minimp server listens only on this
machine, in a directory of its own. Limits: Linux and macOS (AF_UNIX); a socket's path is
at most about 100 bytes, so the directory is made in the system's temporary directory.

Read next: `runtime/server.py`, the manager's process that listens here.
"""

from __future__ import annotations

import hmac
import os
import socket
import tempfile
import threading
import weakref

from .connection import Connection
from .errors import AuthenticationError

__all__ = ["private_directory", "Listener", "Client", "connection_to", "forget", "deliver_challenge",
           "answer_challenge"]

CHALLENGE, WELCOME, FAILURE = b"#CHALLENGE#", b"#WELCOME#", b"#FAILURE#"
NONCE_SIZE = 32  # random bytes per challenge: never the same question twice
DIGEST = "sha256"
MAX_HANDSHAKE = 256  # bytes: a longer message is no handshake, and is not read


def private_directory() -> str:
    """A new directory that only this user may enter (mode 0700), for a Listener's socket."""
    return tempfile.mkdtemp(prefix="minimp-manager-")


class Listener:
    """A Unix socket listening at `address` (a path); `accept()` returns each new client."""

    def __init__(self, address: str, authkey: bytes, backlog: int = 64):
        self.address, self._authkey = address, authkey
        self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._socket.bind(address)  # creates the socket's file
            self._socket.listen(backlog)
        except BaseException:
            self._socket.close()
            raise

    def fileno(self) -> int:
        """The listening socket: `connection.wait()` reports it ready when a client connects."""
        return self._socket.fileno()

    def accept(self) -> Connection:
        """The next client's Connection, not yet authenticated: call `authenticate()` on it
        (in the thread that will serve it, so that a slow client holds up nobody else)."""
        sock, _ = self._socket.accept()
        return Connection(sock.detach())

    def authenticate(self, conn: Connection) -> None:
        """The server's half of the handshake; AuthenticationError (and a closed door) if it fails."""
        deliver_challenge(conn, self._authkey)
        answer_challenge(conn, self._authkey)

    def close(self) -> None:
        """Stop listening, and remove the socket's file: a path nobody answers is no use."""
        self._socket.close()
        try:
            os.unlink(self.address)
        except FileNotFoundError:
            pass


def Client(address: str, authkey: bytes) -> Connection:  # noqa: N802 - the name mirrors multiprocessing
    """Connect to the Listener at `address` and prove, both ways, that we share `authkey`."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(address)  # FileNotFoundError: no such socket; ConnectionRefusedError: nobody listens
        conn = Connection(sock.detach())  # detached: closing the `with` leaves the descriptor to conn
    try:
        answer_challenge(conn, authkey)
        deliver_challenge(conn, authkey)
    except BaseException:
        conn.close()
        raise
    return conn

# -- a client's connections: one per thread and server ----------------------------------------

_local = threading.local()  # .by_address: this thread's Connection to each server
_everyone: weakref.WeakSet = weakref.WeakSet()  # all of this process's connections (see _after_fork)


def connection_to(address: str, authkey: bytes) -> Connection:
    """This thread's connection to the server at `address`, made (and authenticated) on first use."""
    if not hasattr(_local, "by_address"):
        _local.by_address = {}
    conn = _local.by_address.get(address)
    if conn is None or conn.closed:
        try:
            conn = Client(address, authkey)
        except AuthenticationError as error:
            raise AuthenticationError(
                f"the manager at {address} and this process do not share an authkey ({error}). A proxy unpickled "
                f"here speaks with current_process().authkey, which children inherit: give this process the "
                f"manager's (current_process().authkey = key), or pass the proxy to a child being started") from None
        _local.by_address[address] = conn
        _everyone.add(conn)
    return conn


def forget(address: str) -> None:
    """Close this thread's connection to the server at `address`; the next call makes a new one."""
    conn = getattr(_local, "by_address", {}).pop(address, None)
    if conn is not None:
        conn.close()


def _after_fork() -> None:
    # A forked child's copies of its parent's connections are not its own: two processes writing
    # on one socket would mix their messages. Close the copies; the child connects afresh.
    for conn in list(_everyone):
        conn.close()


os.register_at_fork(after_in_child=_after_fork)


# -- the handshake: both halves side by side ------------------------------------------------


def deliver_challenge(conn: Connection, authkey: bytes) -> None:
    """Ask the other end to prove it knows `authkey`; AuthenticationError if it does not."""
    nonce = os.urandom(NONCE_SIZE)
    conn.send_bytes(CHALLENGE + nonce)
    answer = conn.recv_bytes(MAX_HANDSHAKE)
    if not hmac.compare_digest(answer, hmac.digest(authkey, nonce, DIGEST)):  # in constant time
        conn.send_bytes(FAILURE)
        raise AuthenticationError("digest received was wrong")
    conn.send_bytes(WELCOME)


def answer_challenge(conn: Connection, authkey: bytes) -> None:
    """Prove to the other end that we know `authkey`, without sending it."""
    message = conn.recv_bytes(MAX_HANDSHAKE)
    if not message.startswith(CHALLENGE):
        raise AuthenticationError(f"expected a challenge, got {message[:20]!r}: the other end speaks another protocol")
    conn.send_bytes(hmac.digest(authkey, message[len(CHALLENGE):], DIGEST))
    if conn.recv_bytes(MAX_HANDSHAKE) != WELCOME:
        raise AuthenticationError("digest sent was rejected")
