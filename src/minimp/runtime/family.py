"""Family: which process this is, its parent, and the children it started.

`current_process()` is, in the process you started Python in, 'MainProcess', which nobody
started; in a child, the Process object its parent started (`Process._bootstrap` makes it
current). `parent_process()` is a child's parent: its name, pid, and a sentinel readable once
the parent exits. Each process keeps the children it started and has not yet collected::

    MainProcess ── started ──▶ Process-1 ── started ──▶ Process-1:1
        children: {Process-1}      parent: MainProcess     parent: Process-1

`active_children()` collects the exited ones (zombies, see process.py). A process exiting
normally terminates its *daemon* children and waits for the others (`stop_children`), as
`multiprocessing` does; a child whose parent died first is an *orphan* (chapter 1 shows both).

A family also shares a secret, the *authkey* (`Process.authkey`): the main process draws 32
random bytes, and each child inherits its creator's (fork copies it, spawn pickles it with the
Process). A manager (listener.py) lets in only the connections that prove they know it. As in
`multiprocessing`, the key refuses to be pickled at any other time: in a queue or a task it
would leave the family.

Read next: `runtime/start.py`, how `start()` makes the child.
"""

from __future__ import annotations

import atexit
import itertools
import os
import threading

from . import logs, serialize
from .connection import wait

TYPE_CHECKING = False  # type names for readers and checkers; importing typing
if TYPE_CHECKING:  # would cost every spawned child several milliseconds
    from typing import Any

__all__ = ["current_process", "parent_process", "active_children"]

current: Any = None  # this process's Process object (process.py sets the main one)
parent: ParentProcess | None = None  # None in the main process
children: set = set()  # started by this process, not yet collected
counter = itertools.count(1)  # numbers the children: Process-1, Process-2, ...
exiting = False  # shut_down() has begun: it runs once
pid = os.getpid()  # this process's: getpid() is a system call (0.2 µs), so it is asked once


def _renew_pid() -> None:
    global pid
    pid = os.getpid()


os.register_at_fork(after_in_child=_renew_pid)  # a forked child is another process


class ParentProcess:
    """The parent, as a child sees it: its name, pid, and whether it is alive."""

    def __init__(self, name: str, pid: int, sentinel: int):
        self.name = name
        self.pid = self.ident = pid
        self.sentinel = sentinel  # readable once the parent has exited
        self.daemon = False

    def is_alive(self) -> bool:
        return not wait([self.sentinel], timeout=0)

    def join(self, timeout: float | None = None) -> None:
        wait([self.sentinel], timeout)

    def __repr__(self) -> str:
        return f"<_ParentProcess name={self.name!r} pid={self.pid}>"


class AuthenticationString(bytes):
    """An authkey: bytes that pickle only for a child being spawned (see the module docstring)."""

    def __reduce__(self):
        if not serialize.spawning():
            raise TypeError("Pickling an AuthenticationString object is disallowed for security reasons: "
                            "an authkey travels only to a child being spawned; send bytes(key) to share it")
        return AuthenticationString, (bytes(self),)


def as_authkey(key: Any, where: str) -> AuthenticationString:
    """`key` as an authkey, or a TypeError that says `where` it was given."""
    if not isinstance(key, bytes):
        raise TypeError(f"{where}: an authkey must be bytes, not {type(key).__name__}; for a text secret "
                        f"pass its bytes ('my secret'.encode()), or take os.urandom(32)")
    return AuthenticationString(key)


def become(process: Any, its_parent: ParentProcess) -> None:
    """In a new child: `process` is who we are now; it has no children yet."""
    global current, parent, children, counter, exiting
    current, parent, children, counter, exiting = process, its_parent, set(), itertools.count(1), False
    # A forked child's main thread is the parent's Thread object, copied with the native (OS) id it
    # cached; Python's after-fork hook renews it only from 3.13.4 on (gh-132542): renew it here, as
    # multiprocessing's _bootstrap does.
    threading.main_thread()._set_native_id()
    logs.info("child process calling self.run()")  # the standard library's words: run() is next (process.py)


def current_process() -> Any:
    """The Process object of the running process (in the main process: 'MainProcess')."""
    return current


def parent_process() -> ParentProcess | None:
    """The parent of the running process, or None in the main process."""
    return parent


def active_children() -> list:
    """The children of this process that are still running."""
    collect_exited_children()
    return list(children)


def check_creator(process: Any, refusal: str) -> None:
    """Refuse (AssertionError: `refusal`) unless this process created `process`: only a parent can
    wait for its child (waitpid(2) knows no other), so only its creator may start, join or test it."""
    if process._parent_pid != os.getpid():
        who = "this very process" if process is current else (
            f"a child of process {process._parent_pid}, not of this one ({os.getpid()})")
        raise AssertionError(f"{refusal}: {process.name} is {who}; only the process that created a "
                             f"Process object may start, join or test it")


def collect_exited_children() -> None:
    for child in list(children):
        if child._child.poll() is not None:
            children.discard(child)


def shut_down() -> None:
    """What a process does as it exits, once (a spawned child comes here as run() returns, then at exit)."""
    global exiting
    if not exiting:
        exiting = True
        logs.info("process shutting down")
        stop_children()


def stop_children() -> None:
    """Terminate the daemon children, join the others."""
    for child in active_children():
        if child.daemon:
            logs.info("calling terminate() for daemon %s", child.name)
            child.terminate()
    for child in active_children():
        logs.info("calling join() for process %s", child.name)
        child.join()


# At exit, logging's own hook (registered when the first get_logger() imports it, so after
# ours) runs first and flushes the handlers; they still write, so these last lines appear.
atexit.register(shut_down)
logs.process_name = lambda: getattr(current, "name", "MainProcess")  # whose line it is (logs.py)
