"""Proxies: stand-ins, in any process, for the objects that live in a manager's process.

`manager.dict()` returns a DictProxy. It holds no dict, only a Token: the address of a dict
kept by the manager's server (server.py), and its number there. Each method call is a request
to the server, and the caller gets a copy of the result::

    d = manager.dict()    DictProxy, Token(typeid='dict', address='/tmp/minimp-manager-…/listener', id=7, pid=4242)
    d["x"] = 1            _callmethod("__setitem__", ("x", 1))  ──▶  the dict there: d["x"] = 1
    d["x"]                _callmethod("__getitem__", ("x",))    ◀──  Returned(1)

A proxy pickles as its token, so it can go anywhere a pickle goes (a pool's task, a queue, a
list in the same manager) and call from there. Unpickled, it connects from its new process
with that process's authkey (family.py), unless it was pickled for a child being spawned,
which finds the key in the pickle, as in `multiprocessing`. (minimp's own Queue and Lock are
file descriptors, which reach only a child being started.)

What a call returns is a copy (`d["inner"].append(1)` changes a copy!) or, for the methods a
proxy type names in `_method_to_typeid_` (a dict's `__iter__`), a new proxy to an object that
stays in the server. What the method raises is raised here, with the server's traceback as
its cause.

An object lives as long as its manager, unless its proxy never left the process that got it:
then the object is released when that proxy is collected (at the next request to the same
manager). A proxy pickled, or copied into a forked child, may have copies anywhere: its object
stays. (`multiprocessing` counts every proxy of every process instead, with a connection for
each proxy made or collected.)

Read next: `runtime/basemanager.py`, the manager that starts the server and makes the first proxies.
"""

from __future__ import annotations

import os
import weakref

from . import serialize, server
from .errors import RemoteTraceback
from .family import AuthenticationString, current_process
from .server import Call, NewObject, Returned

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["BaseProxy", "AutoProxy", "forward", "rebuild_proxy", "ask", "outcome"]

_owners: weakref.WeakSet = weakref.WeakSet()  # proxies that will release their object when collected


class BaseProxy:
    """A stand-in for an object in a manager's process; mirrors `multiprocessing.managers.BaseProxy`.
    A subclass calls `self._callmethod(name, args)` for each method it offers."""

    _exposed_: tuple[str, ...] | None = None  # the methods the server lets it call (None: all public ones)
    _method_to_typeid_: dict[str, str] | None = None  # methods whose result stays there, as a new proxy

    def __init__(self, token: server.Token, authkey: bytes | None = None, exposed: tuple | None = None,
                 manager: Any = None, owner: bool = False):
        self._token, self._exposed, self._manager = token, exposed, manager
        self._authkey = current_process().authkey if authkey is None else AuthenticationString(authkey)
        self._release = None
        if owner:  # the server made the object for this proxy: it can go with it
            self._release = weakref.finalize(self, server.release_later, token.address, token.id, os.getpid())
            _owners.add(self)

    def _callmethod(self, methodname: str, args: tuple = (), kwds: dict = {}) -> Any:  # noqa: B006
        """Run `methodname(*args, **kwds)` on the object in the manager's process; a copy of the result."""
        return ask(self._token, self._authkey, Call(self._token.id, methodname, tuple(args), dict(kwds)),
                   self._manager)

    def _getvalue(self) -> Any:
        """A copy of the object itself."""
        return self._callmethod("#GETVALUE")

    def __reduce__(self):
        _stays(self)  # copies may now live anywhere
        authkey = self._authkey if serialize.spawning() else None  # the key itself only to a spawned child
        return rebuild_proxy, (type(self), self._token, self._exposed, authkey)

    def __deepcopy__(self, memo: dict) -> Any:
        return self._getvalue()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} object, typeid {self._token.typeid!r} at {id(self):#x}>"

    def __str__(self) -> str:
        try:
            return self._callmethod("__repr__")
        except Exception:
            return repr(self)[:-1] + "; '__str__()' failed>"


def rebuild_proxy(proxytype: type, token: server.Token, exposed: tuple | None, authkey: bytes | None) -> BaseProxy:
    """Unpickling a proxy: the same token, reached from this process (with its authkey, if none came)."""
    return proxytype(token, authkey, exposed)


def _stays(proxy: BaseProxy) -> None:
    if proxy._release is not None:
        proxy._release.detach()  # its object now lives as long as the manager
        proxy._release = None


def _before_fork() -> None:
    # A fork copies every proxy into the child: from then on, none can know it is the only one.
    for proxy in list(_owners):
        _stays(proxy)


os.register_at_fork(before=_before_fork)


def ask(token: server.Token, authkey: bytes, request: Any, manager: Any = None) -> Any:
    """Send `request` to the server that holds `token`'s object, and return what its reply means here."""
    try:
        data = server.pack(request)
    except Exception as error:
        raise _pickling_error(token, request, error) from error
    return outcome(server.call(token, authkey, data, request, manager), authkey, manager)


def outcome(reply: Any, authkey: bytes, manager: Any = None) -> Any:
    """What a reply means for the caller: a value, a new proxy, or an exception to raise."""
    if isinstance(reply, Returned):
        return reply.value
    if isinstance(reply, NewObject):
        return reply.proxytype(reply.token, authkey, reply.exposed, manager, owner=True)
    error = reply.error  # Raised
    error.__cause__ = RemoteTraceback(f'\n"""\n{reply.traceback}"""')
    raise error


def _pickling_error(token: server.Token, request: Any, error: Exception) -> Exception:
    """An error of pickle's type that says which argument could not be pickled, and what to do."""
    parts = [*[(f"args[{i}]", a) for i, a in enumerate(request.args)],
             *[(f"kwargs[{k!r}]", v) for k, v in request.kwargs.items()]]
    culprit = next((f"{label} ({part!r:.60})" for label, part in parts if not _pickles(part)), "an argument")
    message = (f"cannot {server.doing(token, request)} in the manager's process: {culprit} cannot be pickled "
               f"({error}). A manager keeps its objects in another process, and what you pass travels there "
               f"as a pickle: pass picklable values (a function or a lambda is fine, a lock or a socket is not)")
    try:
        return type(error)(message)  # keep the type pickle raised
    except Exception:
        return TypeError(message)


def _pickles(obj: Any) -> bool:
    try:
        serialize.dumps(obj)
        return True
    except Exception:
        return False


# -- writing a proxy type (managers.py has SyncManager's) ----------------------------------------


def forward(name: str):
    """A proxy method that runs method `name` on the object, with the arguments it is given."""

    def method(self, *args, **kwargs):
        return self._callmethod(name, args, kwargs)

    method.__name__ = name
    return method


class AutoProxy(BaseProxy):
    """The proxy of a registered type that names no proxy type: each exposed method, looked up by name."""

    def __getattr__(self, name: str):
        exposed = self.__dict__.get("_exposed") or ()  # __dict__: no recursion before __init__ ran
        if name not in exposed or name.startswith("__"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r} "
                                 f"(its exposed methods: {', '.join(exposed) or 'none'})")

        def method(*args, **kwargs):
            return self._callmethod(name, args, kwargs)

        method.__name__ = name
        return method
