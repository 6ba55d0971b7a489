"""Process: run a function in another process, wait for it, read its exit code.

A Process object lives in the parent. `start()` creates the child (by fork, spawn or forkserver,
see start.py), which calls `run()` (by default `target(*args, **kwargs)`) and exits. `join()`
waits until the child is gone and the operating system has told the parent its *exit code*:

    ==========================================  ============
    the child ...                                exitcode
    ==========================================  ============
    returned from run()                          0
    called sys.exit(n)                           n
    raised an exception (traceback on stderr)    1
    was killed by signal N (terminate, kill)     -N
    is still running, or was never started      None
    ==========================================  ============

Until its parent has waited for it, an exited child is a *zombie* holding its exit code;
`join()`, `is_alive()` and `exitcode` collect it. Unlike `multiprocessing.Process`, a
`target` that is not callable is refused at once, in the caller, not later in the child.
Limits: only the process that created a Process object may start, join or terminate it;
not thread-safe (do not join one Process from two threads).

Read next: `runtime/family.py`, the current process, its parent and its children.
"""

from __future__ import annotations

import os
import signal
import sys
from weakref import finalize

from . import family, forkserver, logs, output, start
from .connection import wait
from .family import active_children, current_process, parent_process  # noqa: F401 - minimp.Process's relatives

TYPE_CHECKING = False  # type names for readers and checkers; importing typing
if TYPE_CHECKING:  # would cost every spawned child several milliseconds
    from typing import Any, Callable, Iterable, Mapping

__all__ = ["Process", "current_process", "parent_process", "active_children"]


class Process:
    """A function running in a child process; mirrors `multiprocessing.Process`.
    Either pass `target` (and `args`, `kwargs`), or subclass and override `run()`."""

    _start_method: str | None = None  # None: the default (start.get_start_method)

    def __init__(self, group: None = None, target: Callable[..., Any] | None = None, name: str | None = None,
                 args: Iterable[Any] = (), kwargs: Mapping[str, Any] = {},  # noqa: B006 - as in the stdlib
                 *, daemon: bool | None = None):
        if group is not None:
            raise AssertionError(f"group argument must be None for now, not {group!r}: it is there only "
                                 f"to match threading.Thread; leave it out")
        if target is not None and not callable(target):
            raise TypeError(f"Process(target={target!r}): target must be callable (a function, not "
                            f"the result of calling one), got {type(target).__name__}")
        self._identity = family.current._identity + (next(family.counter),)
        self._parent_pid, self._parent_name = os.getpid(), family.current.name
        self._authkey = family.current._authkey  # the creator's secret, as in multiprocessing (family.py)
        self._target, self._args, self._kwargs = target, tuple(args), dict(kwargs)
        self._name = name or f"{type(self).__name__}-{':'.join(map(str, self._identity))}"
        self._daemon = family.current.daemon if daemon is None else bool(daemon)
        self._closed, self._child = False, None  # once started: a ForkedChild, a Popen or a ServedChild

    def run(self) -> None:
        """The work the child does; by default, call the target."""
        if self._target is not None:
            self._target(*self._args, **self._kwargs)

    # -- the life of a child: start, join, stop ---------------------------------

    def start(self) -> None:
        """Start the child process; it calls `run()`."""
        self._check_closed()
        if self._child is not None:
            raise AssertionError(f"cannot start a process twice: {self._name} was started already "
                                 f"(pid {self._child.pid}); make a new Process to run it again")
        family.check_creator(self, "can only start a process object created by current process")
        if family.current.daemon:
            raise AssertionError(f"daemonic processes are not allowed to have children: {family.current.name} is "
                                 f"a daemon, and its children would be orphaned when it is terminated; "
                                 f"start {self._name} from a process that is not a daemon")
        family.collect_exited_children()
        method = self._start_method or start.get_start_method()
        self._child, self._sentinel, self._output = (forkserver if method == "forkserver" else start).launch(self, method)
        self._close_sentinel = finalize(self, os.close, self._sentinel)
        self._close_sentinel.atexit = False  # at exit the children are joined after finalizers run: keep it open
        # Drop the target, as the standard library does: no reference cycle through a target that refers to us.
        del self._target, self._args, self._kwargs
        family.children.add(self)

    def join(self, timeout: float | None = None) -> None:
        """Wait until the child exits, or `timeout` seconds pass; then `exitcode` is None if it still runs."""
        self._check_closed()
        family.check_creator(self, "can only join a child process")
        if self._child is None:
            raise AssertionError(f"can only join a started process: call {self._name}.start() first")
        if timeout is not None and not wait([self._sentinel], timeout):
            return  # still running
        self._child.wait()
        self._output.wait()  # output.GRACE at most
        family.children.discard(self)

    def is_alive(self) -> bool:
        """Is the child running? (Collects its exit code if it is not.)"""
        self._check_closed()
        if self is family.current:
            return True
        family.check_creator(self, "can only test a child process")
        if self._child is None or self._child.poll() is not None:
            family.children.discard(self)
            return False
        return True

    def terminate(self) -> None:
        """Ask the child to stop: send it SIGTERM (exitcode -15 unless it handles it)."""
        self._signal(signal.SIGTERM)

    def kill(self) -> None:
        """Stop the child now: send it SIGKILL (exitcode -9; it cannot refuse)."""
        self._signal(signal.SIGKILL)

    def interrupt(self) -> None:
        """Interrupt the child as Ctrl-C would: send it SIGINT (Python 3.14's; exitcode 1, its KeyboardInterrupt)."""
        self._signal(signal.SIGINT)

    def _signal(self, signum: int) -> None:
        self._check_closed()
        if self._child is None:
            raise AssertionError(f"can only signal a started process: {self._name} has not been started; call start() first")
        self._child.send_signal(signum)

    def close(self) -> None:
        """Release the process's resources; most methods then raise ValueError."""
        if self._child is not None:
            if self._child.poll() is None:
                raise ValueError("Cannot close a process while it is still running. "
                                 "You should first call join() or terminate().")
            self._close_sentinel()
            family.children.discard(self)
        self._closed = True

    def _check_closed(self) -> None:
        if self._closed:
            raise ValueError("process object is closed")

    # -- what can be asked of it -----------------------------------------------

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, name: str) -> None:
        if not isinstance(name, str):
            raise AssertionError(f"name must be a string: got {name!r} ({type(name).__name__})")
        self._name = name

    @property
    def authkey(self) -> bytes:
        """The family's secret (family.py): a manager lets in only the processes that know it."""
        return self._authkey

    @authkey.setter
    def authkey(self, authkey: bytes) -> None:
        self._authkey = family.as_authkey(authkey, f"{self._name}.authkey = {authkey!r:.40}")

    @property
    def daemon(self) -> bool:
        """A daemon child is terminated when its parent exits, and may not start children."""
        return self._daemon

    @daemon.setter
    def daemon(self, daemonic: bool) -> None:
        if self._child is not None:
            raise AssertionError(f"process has already started: {self._name} (pid {self._child.pid}) cannot "
                                 f"change its daemon flag now; set it before start(), or pass daemon=...")
        self._daemon = bool(daemonic)

    @property
    def exitcode(self) -> int | None:
        """The exit code (see the module docstring's table), or None."""
        self._check_closed()
        return None if self._child is None else self._child.poll()

    @property
    def pid(self) -> int | None:
        """The child's process id once started; None before."""
        self._check_closed()
        return os.getpid() if self is family.current else self._child and self._child.pid

    ident = pid

    @property
    def sentinel(self) -> int:
        """A file descriptor readable once the child exits; wait on several with `minimp.connection.wait([...])`."""
        self._check_closed()
        if self._child is None:
            raise ValueError("process not started")
        return self._sentinel

    def __repr__(self) -> str:
        exitcode = None
        if self is family.current:
            status = "started"
        elif self._closed:
            status = "closed"
        elif self._parent_pid != os.getpid():
            status = "unknown"
        elif self._child is None:
            status = "initial"
        else:
            exitcode = self._child.poll()
            status = "started" if exitcode is None else "stopped"
        pid = "" if self._child is None else f" pid={self._child.pid}"
        code = "" if exitcode is None else f" exitcode={_SIGNAL_NAMES.get(exitcode, exitcode)}"
        daemon = " daemon" if self._daemon else ""
        return f"<{type(self).__name__} name={self._name!r}{pid} parent={self._parent_pid} {status}{code}{daemon}>"

    def __getstate__(self) -> dict:
        # Under spawn the Process object itself travels to the child; its handles on the child stay behind.
        state = {key: value for key, value in self.__dict__.items()
                 if key not in ("_sentinel", "_output", "_close_sentinel")}
        return {**state, "_child": None}

    # -- in the child ---------------------------------------------------------------

    def _bootstrap(self, parent_sentinel: int) -> int:
        """In the new child (start.py calls it): become the current process, run(), return an exit code."""
        family.become(self, family.ParentProcess(self._parent_name, self._parent_pid, parent_sentinel))
        try:
            try:
                self.run()
                exitcode = 0
            finally:
                family.shut_down()
        except SystemExit as exc:
            if exc.code is None or isinstance(exc.code, int):
                exitcode = exc.code or 0
            else:  # sys.exit("message"): print it, fail with 1, as Python does
                sys.stderr.write(f"{exc.code}\n")
                exitcode = 1
        except BaseException:
            import traceback  # only a child that fails needs it
            exitcode = 1
            sys.stderr.write(f"Process {self.name}:\n")
            traceback.print_exc()
        finally:
            logs.info("process exiting with exitcode %d", exitcode)
            output.flush_std_streams()  # a forked child ends with os._exit(), which flushes nothing
        return exitcode


class ForkProcess(Process):
    """A Process that always starts with fork (what `get_context("fork").Process` is)."""
    _start_method = "fork"


class SpawnProcess(Process):
    """A Process that always starts with spawn (what `get_context("spawn").Process` is)."""
    _start_method = "spawn"


class ForkServerProcess(Process):
    """A Process that always starts with forkserver (what `get_context("forkserver").Process` is)."""
    _start_method = "forkserver"


PROCESS_CLASSES = {"fork": ForkProcess, "spawn": SpawnProcess, "forkserver": ForkServerProcess}


class _MainProcess(Process):
    """The process nobody started: the one running your notebook or script."""

    def __init__(self) -> None:
        self._identity, self._name, self._parent_pid, self._child = (), "MainProcess", None, None
        self._daemon = self._closed = False
        self._authkey = family.AuthenticationString(os.urandom(32))  # what every child inherits


_SIGNAL_NAMES = {-s.value: f"-{s.name}" for s in signal.Signals}  # -9: "-SIGKILL"


def exit_meaning(exitcode: int | None) -> str:
    """What an exit code says about how a process ended (the table above).

    >>> exit_meaning(0), exit_meaning(3), exit_meaning(-9)
    ('ok', 'exit(3)', 'killed by SIGKILL')
    """
    if exitcode is None or exitcode >= 0:
        return {None: "", 0: "ok", 1: "an exception (or exit(1))"}.get(exitcode, f"exit({exitcode})")
    try:  # the operating system reports "killed by signal N"; Python says -N
        return f"killed by {signal.Signals(-exitcode).name}"
    except ValueError:  # a number with no name on this system
        return f"killed by signal {-exitcode}"


family.current = _MainProcess()
