"""Start methods: how a new process comes to exist, by fork or by spawn.

**fork** (`os.fork()`) makes the child a copy of the parent: the same
memory, the same open files, the same imported modules. The child simply
goes on running Python from where the parent was, calls the Process's
`run()` and exits. Nothing needs to be pickled. Fast, but the copy includes
whatever other threads were doing: if one held a lock at the moment of the
fork, the child's copy of that lock stays locked for ever.

**spawn** starts a fresh interpreter (`python -c "...spawn_child(...)"`)
that shares nothing with the parent except what is passed to it: the
Process object, pickled and written to a pipe, and the file descriptors
that object needs (listed while pickling, see serialize.py)::

    parent                                    child
    pickle(Process) ──▶ data pipe ──────────▶ spawn_child(): unpickle it
    Popen(python -c ..., pass_fds=[...]) ───▶ process._bootstrap()  → exit code

Either way the child holds the write end of an *exit pipe* until it dies,
so the parent's end (`Process.sentinel`) becomes readable exactly when the
child exits; and it can read the parent's *alive pipe*, which ends when the
parent dies (`parent_process().sentinel`). These two pipes let either side
wait for the other with poll(2) instead of checking on a timer.

Which method, by default? The one the running Python's `multiprocessing`
uses on the platform: fork on Linux up to Python 3.13, spawn on macOS. From
Python 3.14 Linux defaults to forkserver (a clean process that forks the
children, so that no child inherits the threads of a big parent). minimp
does not implement forkserver; it uses spawn in its place, which gives the
same guarantee: no child is a copy of a threaded parent.

Python 3.12 and newer warn ("DeprecationWarning: This process is
multi-threaded, use of fork() may lead to deadlocks in the child") when a
process with threads forks, and a Jupyter kernel always has threads. minimp
does not silence that warning, because it is true; Python attributes it to
minimp's code, so the default warning filters hide it in notebooks, and the
chapters choose their start method explicitly. To reduce the risk, a
forked minimp child never touches the kernel's output objects: output.py
gives it fresh stdout and stderr streams before your code runs.

Read next: `process.py`, the Process object that is started here.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading

from . import serialize
from .connection import Connection
from .output import ChildOutput, whole_lines

__all__ = ["get_start_method", "set_start_method", "get_all_start_methods", "launch", "spawn_child"]

METHODS = ("fork", "spawn")


# -- choosing the start method --------------------------------------------------


def _platform_default() -> str:
    if sys.platform != "linux":
        return "spawn"  # macOS since Python 3.8, and the only choice on Windows
    if sys.version_info >= (3, 14):
        return "spawn"  # the standard library's forkserver; see the docstring
    return "fork"


_method: str | None = None  # fixed by set_start_method() or the first get


def check_method(method: str) -> str:
    if method not in METHODS:
        hint = " (use 'spawn': it is as safe in a threaded program)" if method == "forkserver" else ""
        raise ValueError(f"cannot find context for {method!r}: minimp offers 'fork' and 'spawn'{hint}")
    return method


def get_start_method(allow_none: bool = False) -> str | None:
    """The start method new processes use ('fork' or 'spawn').

    As in `multiprocessing`, the first call fixes the default unless
    allow_none=True, which returns None while nothing has been chosen.
    """
    global _method
    if _method is None and not allow_none:
        _method = _platform_default()
    return _method


def set_start_method(method: str | None, force: bool = False) -> None:
    """Choose 'fork' or 'spawn' for processes started from now on.

    Raises RuntimeError if a method was already chosen, unless force=True
    (force=True with None forgets the choice).
    """
    global _method
    if _method is not None and not force:
        raise RuntimeError("context has already been set")
    _method = None if method is None else check_method(method)


def get_all_start_methods() -> list[str]:
    """The start methods minimp can use here, the default first."""
    default = _platform_default()
    return [default] + [m for m in METHODS if m != default]


# -- the parent's side ------------------------------------------------------------

_launch_lock = threading.Lock()  # see launch()
_alive: tuple[int, int] | None = None  # this process's alive pipe, made on first use
_exit_fd: int | None = None  # in a child: the write end of our own exit pipe


class ForkedChild:
    """A forked child as its parent sees it.

    It has the methods of `subprocess.Popen` that Process uses (pid, poll,
    wait, send_signal), so a forked and a spawned child look alike.
    """

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self._reaping = threading.Lock()

    def poll(self) -> int | None:
        # Another thread is reaping it right now: not known yet (as Popen does).
        if not self._reaping.acquire(blocking=False):
            return self.returncode
        try:
            return self._waitpid(os.WNOHANG)
        finally:
            self._reaping.release()

    def wait(self) -> int:
        with self._reaping:
            return self._waitpid(0)

    def _waitpid(self, flags: int) -> int | None:
        # Under _reaping: of two threads, the one that loses the race to
        # waitpid() would get ChildProcessError, and report 0 for a crash.
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, flags)
            except ChildProcessError:  # reaped elsewhere; Popen reports 0 too
                pid, status = self.pid, 0
            if pid == self.pid:
                # exit(n) gives n; death by signal N gives -N
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        # Once reaped, the pid may belong to somebody else: never signal it.
        if self.poll() is None:
            os.kill(self.pid, signum)


def launch(process, method: str):
    """Start `process` with `method`; return (child, sentinel, output).

    `child` has Popen's methods, `sentinel` is the read end of the exit
    pipe, and `output` copies the child's output if it must (output.py).
    """
    if method == "spawn":
        # Pickle first, so that an unpicklable target or argument fails here,
        # in the caller, before any process exists.
        payload, fds = _pickle_process(process)
    # One launch at a time: a child forked by another thread in the middle of
    # this one would inherit the write end of our exit pipe, and this child's
    # sentinel would stay silent until that other child exited too.
    with _launch_lock:
        output = ChildOutput()
        exit_r, exit_w = os.pipe()
        try:
            if method == "fork":
                child = _fork(process, output, exit_w)
            else:
                child, data = _spawn(output, exit_w, fds)
        except BaseException:
            output.abandon()
            os.close(exit_r)
            raise
        finally:
            os.close(exit_w)
        output.in_parent(child.pid)
    if method == "spawn":
        try:
            _send_to_child(data, payload)
        except BaseException:  # interrupted half-way: the child cannot start
            child.kill()
            child.wait()
            os.close(exit_r)
            raise
    return child, exit_r, output


def _alive_read_end() -> int:
    global _alive
    if _alive is None:
        _alive = os.pipe()
    return _alive[0]


def _fork(process, output: ChildOutput, exit_w: int) -> ForkedChild:
    alive_r = _alive_read_end()
    output.before_fork()
    pid = os.fork()
    if pid != 0:
        return ForkedChild(pid)
    # -- in the child ------------------------------------------------------
    exitcode = 1
    try:
        _become_child(exit_w)
        output.in_child()
        whole_lines()
        exitcode = process._bootstrap(parent_sentinel=alive_r)
        for thread in threading.enumerate():  # as at a normal exit: wait for
            if not thread.daemon and thread is not threading.current_thread():
                thread.join()  # the non-daemon threads the target started
    finally:
        # os._exit skips the parent's atexit handlers and buffers, which
        # belong to the parent, not to this copy of it.
        os._exit(exitcode)


def _become_child(exit_w: int) -> None:
    """In a new child: drop what belongs to the parent."""
    global _alive, _exit_fd, _launch_lock
    _launch_lock = threading.Lock()  # the parent held its copy while forking us
    if _alive is not None:
        os.close(_alive[1])  # else the child keeps its own parent "alive"
        _alive = None
    if _exit_fd is not None:
        os.close(_exit_fd)  # else the grandparent would wait for us too
    _exit_fd = exit_w
    sys.stdin = open(os.devnull)  # a child does not read the parent's terminal


def _pickle_process(process) -> tuple[bytes, list[int]]:
    try:
        return serialize.pickle_for_child(process)
    except Exception as exc:
        raise _unpicklable(process, exc) from exc


def _unpicklable(process, exc: Exception) -> Exception:
    """An error that says which part of the process could not be pickled."""
    parts = [("target", process._target)]
    parts += [(f"args[{i}]", arg) for i, arg in enumerate(process._args)]
    parts += [(f"kwargs[{key!r}]", value) for key, value in process._kwargs.items()]
    culprit = "the process object"
    for label, part in parts:
        try:
            serialize.pickle_for_child(part)
        except Exception:
            culprit = f"{label} ({part!r:.60})"
            break
    message = (
        f"cannot start {process.name} with the spawn start method: {culprit} "
        f"cannot be pickled ({exc}). Under spawn, the child receives everything "
        f"it needs as a pickle; pass picklable values, or use the fork start method."
    )
    try:
        return type(exc)(message)  # keep the exception type pickle raised
    except Exception:
        return pickle.PicklingError(message)


def _spawn(output: ChildOutput, exit_w: int, fds: list[int]):
    import subprocess  # here, not at the top: only a parent that spawns needs it

    data_r, data_w = os.pipe()
    alive_r = _alive_read_end()
    command = f"from minimp.runtime.start import spawn_child; spawn_child({data_r}, {exit_w}, {alive_r})"
    stdout, stderr = output.child_fds
    try:
        child = subprocess.Popen(
            [sys.executable, *subprocess._args_from_interpreter_flags(), "-c", command],
            pass_fds=[data_r, exit_w, alive_r, *fds],
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
        )
    except BaseException:
        os.close(data_w)
        raise
    finally:
        os.close(data_r)
    return child, Connection(data_w, readable=False)


def _send_to_child(data: Connection, payload: bytes) -> None:
    # What the child must know before it can unpickle the process: where
    # to import modules from. Then the process itself.
    setup = {"sys_path": sys.path, "sys_argv": sys.argv, "start_method": "spawn"}
    try:
        data.send_bytes(pickle.dumps(setup))
        data.send_bytes(payload)
    except BrokenPipeError:
        pass  # the child died before reading; its exit code will tell why
    finally:
        data.close()


# -- the child's side of spawn ------------------------------------------------------


def spawn_child(data_fd: int, exit_fd: int, parent_alive_fd: int) -> None:
    """The first thing a spawned interpreter runs (see `_spawn`)."""
    global _exit_fd
    _exit_fd = exit_fd
    with Connection(data_fd, writable=False) as data:
        setup = pickle.loads(data.recv_bytes())
        sys.path[:] = setup["sys_path"]
        sys.argv[:] = setup["sys_argv"]
        set_start_method(setup["start_method"], force=True)
        process = serialize.loads(data.recv_bytes())
    whole_lines()
    sys.exit(process._bootstrap(parent_sentinel=parent_alive_fd))
