"""BaseManager: a process that holds Python objects for the others, which reach them by proxies.

    class MyManager(BaseManager): ...
    MyManager.register("Counter", Counter)    managers of this class can hold Counter objects
    manager = MyManager(); manager.start()    start the server process (server.py)
    counter = manager.Counter(0)              make one there; its proxy here (proxies.py)
    counter.add(1)                            a request to the server, which calls its add(1)
    manager.shutdown()                        stop the server: its objects are gone

What is shared is not memory (sharedctypes.py) but a process: the object exists once, in the
manager's process, and every other process asks that one to read or change it. So anything
picklable can be shared (a class of your own too, even one defined in a notebook: it travels
by value), and a proxy goes wherever a pickle goes, at the price of a round trip through a
socket for each operation: tens of microseconds, where a Value in shared memory takes less
than one. `start()` makes a private directory for the socket (listener.py) and waits until
the server listens there; the server's first message, on a Pipe, is its address or the error
that stopped it.

`shutdown()`, the garbage collection of the manager and the end of the program each stop
the server (asked politely, then SIGTERM, then SIGKILL) and leave no process, socket or
directory behind. As in `multiprocessing`, a daemon process (a pool's worker) cannot start a
manager: its children would be orphaned.

Unlike `multiprocessing`: local only (a Unix socket, never TCP); no `get_server()` or
`serve_forever()`, and only the 'pickle' serializer.

Read next: `runtime/managers.py`, the SyncManager that `minimp.Manager()` starts.
"""

from __future__ import annotations

import atexit
import os
import shutil
import stat
import weakref

from . import family, server
from .connection import Pipe
from .errors import ProcessError
from .family import current_process
from .listener import Client, forget, private_directory
from .process import Process, exit_meaning
from .proxies import AutoProxy, BaseProxy, ask, outcome
from .server import Count, Create, Registered, Shutdown, Token

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable, Iterable

    from .connection import Connection

__all__ = ["BaseManager"]


class BaseManager:
    """Starts a server process, and makes the registered objects in it; mirrors
    `multiprocessing.managers.BaseManager`. Subclass it and `register()` what it may hold."""

    _registry: dict[str, Registered] = {}

    def __init__(self, address: str | None = None, authkey: bytes | None = None, serializer: str = "pickle",
                 ctx: Any = None, *, shutdown_timeout: float = 1.0):
        name = type(self).__name__
        if address is not None and not isinstance(address, (str, os.PathLike)):
            raise TypeError(f"{name}(address={address!r}): minimp's managers listen only on a Unix socket, never "
                            f"on TCP: pass None (a private directory of its own) or the path of a socket")
        if serializer != "pickle":
            raise ValueError(f"{name}(serializer={serializer!r}): minimp's managers only pickle (serialize.py)")
        self._address = None if address is None else os.fspath(address)
        self._authkey = (current_process().authkey if authkey is None
                         else family.as_authkey(authkey, f"{name}(authkey={authkey!r:.40})"))
        self._ctx, self._shutdown_timeout = ctx, shutdown_timeout
        self._state = "initial"  # then "started", then "shutdown"
        self._process: Process | None = None  # the server, once started (None if connect()ed)
        self._creator = os.getpid()  # who started it: the only process that may stop it

    @property
    def address(self) -> str | None:
        """The path of the server's socket (None before start())."""
        return self._address

    def start(self, initializer: Callable | None = None, initargs: Iterable = ()) -> None:
        """Start the server process, which runs `initializer(*initargs)` first; return once it listens."""
        self._check_state("initial", "start")
        if initializer is not None and not callable(initializer):
            raise TypeError(f"start(initializer={initializer!r}): initializer must be a callable")
        if current_process().daemon:
            raise AssertionError(f"daemonic processes are not allowed to have children: {current_process().name} is "
                                 f"a daemon (a pool's worker, say), and a manager is a child process; start the "
                                 f"manager in the parent, and pass its proxies to the workers")
        directory = private_directory() if self._address is None else None
        address = self._address or os.path.join(directory, "listener")
        reader, writer = Pipe(duplex=False)  # the server's first message: where it listens, or why it cannot
        process_type = self._ctx.Process if self._ctx is not None else Process
        self._process = process_type(target=server.serve, args=(
            self._registry, address, self._authkey, directory is not None, writer, initializer, tuple(initargs)))
        self._process.name = f"{type(self).__name__}-{':'.join(map(str, self._process._identity))}"
        try:
            self._process.start()
        except BaseException:
            _remove(directory)
            raise
        finally:
            writer.close()  # the server's copy is then the only one: EOF below if it dies before it speaks
        self._address = self._wait_until_listening(reader, directory)
        self._state, self._creator = "started", os.getpid()
        self._stop = weakref.finalize(self, _stop_server, self._process, self._address, self._authkey, directory,
                                      self._shutdown_timeout, self._creator)
        _running.add(self)

    def _wait_until_listening(self, reader: Connection, directory: str | None) -> str:
        """The server's first message: Returned(the address it listens at), or Raised(what stopped it)."""
        with reader:
            try:
                reply = server.unpack(reader.recv_bytes())
            except EOFError:  # it died before it could say
                reply = None
            except BaseException:  # interrupted (Ctrl-C while the initializer runs): leave no server behind
                self._process.kill()
                self._process.join()
                _remove(directory)
                raise
        if isinstance(reply, server.Returned):
            return reply.value
        self._process.join()
        _remove(directory)
        if reply is None:
            code = self._process.exitcode
            raise ProcessError(f"the manager process (pid {self._process.pid}) ended before it listened: "
                               f"{exit_meaning(code)} (exit code {code}); see its output above")
        return outcome(reply, self._authkey)  # raises the server's error, with its traceback

    def connect(self) -> None:
        """Use the server already listening at `address` (started by another manager) instead of starting one."""
        self._check_state("initial", "connect")
        if self._address is None:
            raise ValueError(f"{type(self).__name__}().connect(): give the address of a running manager's socket, "
                             f"{type(self).__name__}(address=..., authkey=...)")
        self._state = "started"
        try:
            self._number_of_objects()  # says at once if nobody listens, or if the authkey is wrong
        except BaseException:
            self._state = "initial"
            raise

    def shutdown(self) -> None:
        """Stop the server process (its objects are gone with it), and remove its socket and directory."""
        if self._process is not None and self._creator != os.getpid():
            raise AssertionError(f"only the process that started a manager may shut it down: {self._process.name} "
                                 f"was started by process {self._creator}, not by this one ({os.getpid()})")
        if self._state == "started" and self._process is not None:
            self._stop()
        if self._address is not None:
            forget(self._address)  # a connect()ed manager only hangs up
        if self._state == "started":
            self._state = "shutdown"

    def join(self, timeout: float | None = None) -> None:
        """Wait for the server process to exit (after shutdown())."""
        if self._process is not None:
            self._process.join(timeout)

    def __enter__(self) -> BaseManager:
        if self._state == "initial":
            self.start()
        self._check_state("started", "use a `with` block")
        return self

    def __exit__(self, *exc_info) -> None:
        self.shutdown()

    def _create(self, typeid: str, args: tuple, kwargs: dict) -> BaseProxy:
        """Make a `typeid` object in the server; return its proxy."""
        self._check_state("started", f"make a {typeid}")
        token = Token(typeid, self._address, None, self._process and self._process.pid)
        return ask(token, self._authkey, Create(typeid, args, kwargs), self)

    def _number_of_objects(self) -> int:
        """How many objects the server holds (as in multiprocessing, for tests)."""
        pid = self._process and self._process.pid
        return ask(Token("manager", self._address, None, pid), self._authkey, Count(), self)

    def _check_state(self, expected: str, doing: str) -> None:
        if self._state != expected:
            hint = {"initial": "call start() first", "started": "it was started already",
                    "shutdown": "it has shut down: make a new manager"}[self._state]
            raise ProcessError(f"cannot {doing}: the manager is {self._state!r} ({hint})")

    def _how_it_ended(self) -> str:
        """For ManagerGoneError's message: shut down, or died, and how."""
        if self._state == "shutdown":
            return "has shut down (shutdown() was called)"
        if self._process is None or self._creator != os.getpid():
            return "has shut down or died"
        self._process.join(0.5)  # its sockets close as it dies, a moment before it can be reaped
        code = self._process.exitcode
        if code in (None, 0):
            return "does not answer" if code is None else "has shut down"
        return f"died ({exit_meaning(code)}, exit code {code})"

    @classmethod
    def register(cls, typeid: str, callable: Callable | None = None, proxytype: type | None = None,
                 exposed: Iterable[str] | None = None, method_to_typeid: dict[str, str] | None = None,
                 create_method: bool = True) -> None:
        """Let managers of this class hold `typeid` objects, made by `callable(*args)`, reached through
        `proxytype` proxies (AutoProxy: every public method). With create_method, `manager.<typeid>(*args)`
        makes one and returns its proxy."""
        _check_registration(typeid, callable, proxytype, exposed, method_to_typeid)
        if "_registry" not in cls.__dict__:
            cls._registry = dict(cls._registry)  # a subclass adds to its own copy, not to its parent's
        proxytype = proxytype or AutoProxy
        exposed = tuple(exposed) if exposed is not None else proxytype._exposed_
        cls._registry[typeid] = Registered(callable, exposed, method_to_typeid or proxytype._method_to_typeid_,
                                           proxytype)
        if create_method:  # the one method made here: its name is chosen by whoever registers
            def create(self, *args, **kwargs):
                return self._create(typeid, args, kwargs)

            create.__name__ = create.__qualname__ = typeid
            setattr(cls, typeid, create)


def _check_registration(typeid, callable, proxytype, exposed, method_to_typeid) -> None:
    if not isinstance(typeid, str) or not typeid.isidentifier():
        raise TypeError(f"register(typeid={typeid!r}): typeid must be a name, a string such as 'Counter': "
                        f"manager.Counter() will make one")
    if hasattr(BaseManager, typeid):
        raise ValueError(f"register({typeid!r}): a manager's own method has that name; choose another typeid")
    if callable is not None and not builtins_callable(callable):
        raise TypeError(f"register({typeid!r}, callable={callable!r}): callable must make the object (a class "
                        f"or a function), or be None for a type only returned by methods")
    if proxytype is not None and not (isinstance(proxytype, type) and issubclass(proxytype, BaseProxy)):
        raise TypeError(f"register({typeid!r}, proxytype={proxytype!r}): proxytype must be a subclass of BaseProxy")
    if exposed is not None and (isinstance(exposed, str) or not all(isinstance(n, str) for n in exposed)):
        raise TypeError(f"register({typeid!r}, exposed={exposed!r}): exposed must be a list of method names")
    if method_to_typeid is not None and not isinstance(method_to_typeid, dict):
        raise TypeError(f"register({typeid!r}, method_to_typeid={method_to_typeid!r}): method_to_typeid must be "
                        f"a dict, {{method name: typeid of what it returns}}")


builtins_callable = callable  # register() has an argument of that name


def _stop_server(process: Process, address: str, authkey: bytes, directory: str | None, timeout: float,
                 creator: int) -> None:
    """Stop a manager's server: ask it, then insist; remove what it leaves. (A finalizer: it holds no manager.)"""
    if os.getpid() != creator:
        return  # a forked child's copy of the manager: the server belongs to the parent
    if process.exitcode is None:
        try:
            with Client(address, authkey) as conn:
                conn.send_bytes(server.pack(Shutdown()))
                conn.recv_bytes()
        except (OSError, EOFError, ProcessError):
            pass  # died meanwhile, or does not answer: the signals below
        process.join(timeout)
    if process.exitcode is None:
        process.terminate()
        process.join(timeout)
    if process.exitcode is None:
        process.kill()
        process.join()
    forget(address)
    _remove(directory, address)


def _remove(directory: str | None, address: str | None = None) -> None:
    """Remove what a server that was killed could not: its directory, or (at an address of the user's) its socket."""
    if directory is not None:
        shutil.rmtree(directory, ignore_errors=True)
    elif address is not None and os.path.exists(address) and stat.S_ISSOCK(os.stat(address).st_mode):
        os.unlink(address)


_running: weakref.WeakSet = weakref.WeakSet()  # started managers, for _stop_all


def _stop_all() -> None:
    # atexit runs the last registered first: this, before family.py's stop_children, which would
    # wait for ever for a server that nobody told to stop.
    for manager in list(_running):
        manager._stop()


atexit.register(_stop_all)
