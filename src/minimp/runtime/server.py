"""The manager's server: a process that holds objects and runs their methods for its clients.

A manager (basemanager.py) starts one process, whose target is `serve`. It holds the objects
(a dict, a `queue.Queue`, a `threading.Lock`: whatever `register()` named), each under a
number, and listens on a Unix socket (listener.py). A proxy (proxies.py), in any process of
the family, turns each method call into a request on its thread's connection::

    a client process                                      the manager's process
    d["x"] = 1                                            thread "minimp-manager-client-3"
      DictProxy.__setitem__("x", 1)
        call(): Call(7, "__setitem__", ("x", 1), {}) ──▶  serve_client(): recv_bytes()
                                                            handle(): objects[7].obj["x"] = 1
        recv_bytes()  ◀───────────────────────────────────  Returned(None), or Raised(error, traceback)
      returns None, or raises the error

What travels are the named tuples below, pickled by serialize.py (a class defined in a
notebook goes by value). A method that blocks (`queue.get()`) blocks only its client's thread
in the server, while the client waits in recv(). If the server dies, the kernel closes its
sockets: every client waiting in recv() reads end-of-file at once, and raises ManagerGoneError.

No hidden threads. In the server, the main thread accepts clients (`Server.run`), and each
client connection gets a thread of its own, "minimp-manager-client-N", which runs `serve_client`
until that client hangs up. They share the objects as the threads of any program do: a dict's
single operations are atomic, the locks are threading's. A client starts no thread: each of
its threads has its own connection to each manager, made on first use.

Limits: a client interrupted while it waits (Ctrl-C during `queue.get()`) drops its connection;
the server's thread still finishes the method, and its result is lost (an item taken from the
queue, as with the standard library). The server stops on Shutdown, or when its parent dies.

Read next: `runtime/proxies.py`, the stand-ins that send these requests.
"""

from __future__ import annotations

import collections
import itertools
import os
import signal
import threading
import traceback

from . import serialize
from .connection import wait
from .errors import AuthenticationError, ManagerGoneError, RemoteError
from .family import current_process, parent_process
from .listener import Listener, connection_to, forget

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .connection import Connection

__all__ = ["Create", "Call", "Release", "Count", "Shutdown", "Returned", "Raised", "NewObject", "Token",
           "Registered", "pack", "unpack", "Server", "serve", "call", "release_later", "doing"]

# -- what travels: a proxy's requests, and the server's replies -------------------------------

Create = collections.namedtuple("Create", "typeid args kwargs")  # make a registered object: NewObject
Call = collections.namedtuple("Call", "object_id method args kwargs")  # run a method: Returned, Raised, NewObject
Release = collections.namedtuple("Release", "object_ids")  # their proxies were collected: no reply
Count = collections.namedtuple("Count", "")  # how many objects are held? Returned(n)
Shutdown = collections.namedtuple("Shutdown", "")  # stop the server: Returned(None)

Returned = collections.namedtuple("Returned", "value")  # a copy of what the method returned
Raised = collections.namedtuple("Raised", "error traceback")  # what it raised, and the traceback as text
NewObject = collections.namedtuple("NewObject", "token proxytype exposed")  # a new object is held: make its proxy

Token = collections.namedtuple("Token", "typeid address id pid")  # which object, in which server (pid: for messages)
Registered = collections.namedtuple("Registered", "callable exposed method_to_typeid proxytype")  # by register()
Held = collections.namedtuple("Held", "obj exposed method_to_typeid")  # an object, and what proxies may call

ALWAYS_EXPOSED = ("#GETVALUE", "__repr__")  # a copy of the object itself, and its repr, for every proxy

# A speed-up a chapter can skip: on the wire, a message is a plain tuple, its name first,
# ("Call", 7, "__setitem__", ("x", 1), {}). pickle copies a named tuple through Python code,
# a plain one in C, several times faster; and a manager's call is mostly pickling.
_BY_NAME = {kind.__name__: kind for kind in (Create, Call, Release, Count, Shutdown, Returned, Raised, NewObject)}


def pack(message: Any) -> bytes:
    """One of the messages above, as bytes (pickled by serialize.py)."""
    return serialize.dumps((type(message).__name__, *message))


def unpack(data: bytes) -> Any:
    """The message that `pack` turned into `data`."""
    name, *fields = serialize.loads(data)
    return _BY_NAME[name]._make(fields)


# -- the server's half ---------------------------------------------------------------------------


def serve(registry: dict, address: str, authkey: bytes, own_directory: bool, ready: Connection,
          initializer=None, initargs=()) -> None:
    """The manager process's target: listen at `address`, say so on `ready`, serve until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal reaches the whole group: not us
    current_process().authkey = authkey  # the proxies unpickled here (a dict in a list) speak with it
    try:
        if initializer is not None:
            initializer(*initargs)
        listener = Listener(address, authkey)
    except BaseException as error:  # the caller of start() raises it
        ready.send_bytes(pack(raised(error)))
        raise SystemExit(1) from None
    ready.send_bytes(pack(Returned(listener.address)))
    ready.close()
    try:
        Server(registry, listener).run()
    finally:
        listener.close()  # the socket's file
        if own_directory:  # and, if we are the last to leave, its directory (else the manager removes it)
            try:
                os.rmdir(os.path.dirname(address))
            except OSError:
                pass


class Server:
    """The objects a manager holds, and the threads that serve its clients."""

    def __init__(self, registry: dict, listener: Listener):
        self.registry, self.listener = registry, listener
        self.objects: dict[int, Held] = {}
        self.ids = itertools.count(1)
        self.stop_r, self.stop_w = os.pipe()  # a byte written here ends run()

    def run(self) -> None:
        """The main thread: accept each client and give it a thread, until Shutdown or the parent's death."""
        for number in itertools.count(1):
            if self.listener not in wait([self.listener, self.stop_r, parent_process().sentinel]):
                return
            conn = self.listener.accept()
            threading.Thread(target=self.serve_client, args=(conn,), name=f"minimp-manager-client-{number}",
                             daemon=True).start()  # daemon: a client that never hangs up cannot keep us alive

    def serve_client(self, conn: Connection) -> None:
        """A client's thread: authenticate it, then answer its requests, one by one, until it hangs up."""
        with conn:
            try:
                self.listener.authenticate(conn)
                while True:
                    reply = self.handle(conn.recv_bytes())
                    if reply is not None:
                        conn.send_bytes(pickled_reply(reply))
            except (EOFError, OSError, AuthenticationError):
                return  # the client hung up, or was refused: nobody to answer

    def handle(self, data: bytes) -> Any:
        """Do what one request asks; the reply (None for a Release)."""
        try:
            request = unpack(data)
            if isinstance(request, Call):
                return self.call(*request)
            if isinstance(request, Create):
                return self.create(*request)
            if isinstance(request, Release):
                for object_id in request.object_ids:
                    self.objects.pop(object_id, None)
                return None
            if isinstance(request, Count):
                return Returned(len(self.objects))
            if isinstance(request, Shutdown):
                os.write(self.stop_w, b"!")
                return Returned(None)
            raise RemoteError(f"a manager does not understand {request!r:.80}")
        except BaseException as error:  # the method's, pickle's or ours: the caller raises it
            return raised(error)

    def call(self, object_id: int, method: str, args: tuple, kwargs: dict) -> Any:
        held = self.objects.get(object_id)
        if held is None:
            raise RemoteError(f"this manager holds no object {object_id}: its proxy was released")
        if method not in held.exposed and method not in ALWAYS_EXPOSED:
            raise RemoteError(f"method {method!r} of {type(held.obj).__name__} is not exposed: its proxy may call "
                              f"{', '.join(held.exposed) or 'nothing'}; register(..., exposed=[...]) to allow more")
        if method == "#GETVALUE":
            return Returned(held.obj)
        result = getattr(held.obj, method)(*args, **kwargs)
        typeid = held.method_to_typeid.get(method)
        return self.hold(typeid, result) if typeid else Returned(result)

    def create(self, typeid: str, args: tuple, kwargs: dict) -> NewObject:
        entry = self.registry.get(typeid)
        if entry is None or entry.callable is None:
            raise RemoteError(f"this manager cannot make a {typeid!r}: it was registered without a callable "
                              f"(or not at all) in the manager that started the server")
        return self.hold(typeid, entry.callable(*args, **kwargs))

    def hold(self, typeid: str, obj: Any) -> NewObject:
        """Keep `obj` under a new number; the reply tells the client how to reach it."""
        entry = self.registry[typeid]
        exposed = tuple(entry.exposed or public_methods(obj))
        object_id = next(self.ids)
        self.objects[object_id] = Held(obj, exposed, entry.method_to_typeid or {})
        return NewObject(Token(typeid, self.listener.address, object_id, os.getpid()), entry.proxytype, exposed)


def public_methods(obj: Any) -> list[str]:
    """The names of `obj`'s methods that do not start with '_': what its proxy may call by default."""
    return [name for name in dir(obj) if not name.startswith("_") and callable(getattr(obj, name, None))]


def raised(error: BaseException) -> Raised:
    """`error`, fit to travel to the caller (or a RemoteError that describes it), and its traceback as text."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    try:
        serialize.loads(serialize.dumps(error))  # some exceptions pickle, but cannot be rebuilt
    except Exception as why:
        error = RemoteError(f"{type(error).__name__}: {error} (it could not be sent back: {why})")
    return Raised(error.with_traceback(None), text)


def pickled_reply(reply: Any) -> bytes:
    """The reply's bytes; a result that cannot be pickled becomes the caller's error instead."""
    try:
        return pack(reply)
    except Exception as error:
        message = (f"the manager could not send the result back: {error}. A proxy's caller gets a copy of what "
                   f"the method returns; return picklable values, or name the method in method_to_typeid")
        return pack(raised(RemoteError(message)))


# -- the client's half: one call ------------------------------------------------------------------

_to_release: dict[str, list[int]] = {}  # by address: objects whose proxies were collected (release_later)


def call(token: Token, authkey: bytes, data: bytes, request: Any, manager: Any = None) -> Any:
    """Send `data`, the packed `request` about `token`'s object, to its server on this thread's
    connection; return the reply. (The caller packs, and can say what could not be pickled.)"""
    try:
        conn = connection_to(token.address, authkey)
        released = _to_release.pop(token.address, None)
        if released:
            conn.send_bytes(pack(Release(released)))  # no reply: it rides along with this request
        conn.send_bytes(data)
        reply = conn.recv_bytes()  # end-of-file at once if the server dies meanwhile
    except (EOFError, OSError) as error:
        forget(token.address)
        raise ManagerGoneError(_gone(token, request, error, manager)) from None
    except BaseException:  # interrupted while waiting: the late reply must not answer the next call
        forget(token.address)
        raise
    return unpack(reply)


def release_later(address: str, object_id: int, owner_pid: int) -> None:
    """A proxy's finalizer: its object may go, with the next request to that server."""
    if os.getpid() == owner_pid:  # a forked child's copy of a proxy is not the owner
        _to_release.setdefault(address, []).append(object_id)


# A forked child has none of its parent's proxies' objects to release (_after_fork in listener.py
# closes its copies of the parent's connections).
os.register_at_fork(after_in_child=_to_release.clear)


def doing(token: Token, request: Any) -> str:
    """What a request was for, in words: 'call dict.keys()', 'make a dict'."""
    if isinstance(request, Call):
        return f"call {token.typeid}.{request.method}()"
    return f"make a {request.typeid}" if isinstance(request, Create) else "reach it"


def _gone(token: Token, request: Any, error: BaseException, manager: Any) -> str:
    how = manager._how_it_ended() if manager is not None else "has shut down or died"
    who = f"the manager process (pid {token.pid})" if token.pid else f"the manager at {token.address}"
    holds = f" that holds this {token.typeid}" if isinstance(request, Call) else ""
    return (f"{who}{holds} {how}: cannot {doing(token, request)} ({type(error).__name__}: {error}). "
            f"Its objects are gone with it: start a new manager, and make new objects in it")
