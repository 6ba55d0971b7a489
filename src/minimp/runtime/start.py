"""Start methods: how a new process comes to exist, by fork or by spawn.

**fork** (`os.fork()`) makes the child a copy of the parent (memory, open files, imported
modules), which goes on from where the parent was; nothing is pickled. Fast, but a lock that
another thread held at that moment stays locked in the child for ever, so Python 3.12+ warns
("This process is multi-threaded, use of fork() may lead to deadlocks in the child") when a
process with threads forks, as a Jupyter kernel always does. minimp leaves this true warning on
(notebooks' filters hide it, as Python blames minimp's code), the chapters name their start
method, and a forked child never touches the kernel's output objects (output.py).

**spawn** starts a fresh interpreter that gets only what is passed to it: the Process object,
pickled into a pipe, and the file descriptors it needs (listed while pickling, serialize.py)::

    parent                                    child
    pickle(Process) ──▶ data pipe ──────────▶ spawn_child(): unpickle it
    Popen(python -c ..., pass_fds=[...]) ───▶ process._bootstrap()  → exit code

**forkserver** (forkserver.py) forks each child from a server process that has no threads:
as safe as spawn, nearly as fast as fork. The default is the running Python's: fork on Linux
up to 3.13, forkserver from 3.14, spawn on macOS.

Under fork and spawn the child holds the write end of an *exit pipe* until it dies, so the parent's
end (`Process.sentinel`) becomes readable exactly when the child exits; and the child can
read the parent's *alive pipe*, which ends when the parent dies (`parent_process().sentinel`).
Each side waits for the other with poll(2), not on a timer.

Read next: `runtime/forkserver.py`, the third way: a server forks each child.
"""

from __future__ import annotations

import os
import pickle
import sys
import threading

from . import logs, serialize
from .connection import Connection
from .output import ChildOutput, whole_lines

TYPE_CHECKING = False  # type names for readers and checkers, not imported when running
if TYPE_CHECKING:
    from subprocess import Popen
    from .process import Process

__all__ = ["get_start_method", "set_start_method", "get_all_start_methods", "set_executable", "launch",
           "spawn_child", "run_child"]

METHODS = ("fork", "spawn", "forkserver")


# -- choosing the start method --------------------------------------------------

def _platform_default() -> str:
    # spawn off Linux (macOS since 3.8; Windows has no fork); on Linux from 3.14, forkserver.
    if sys.platform != "linux":
        return "spawn"
    return "fork" if sys.version_info < (3, 14) else "forkserver"


_method: str | None = None  # fixed by set_start_method() or the first get


def check_method(method: str) -> str:
    if method not in METHODS:
        raise ValueError(f"cannot find context for {method!r}: minimp offers 'fork', 'spawn' and 'forkserver'")
    if method == "forkserver" and not hasattr(__import__("socket"), "send_fds"):
        raise ValueError("cannot find context for 'forkserver': it passes descriptors with socket.send_fds, "
                         "which this platform lacks; use 'spawn'")
    return method


def get_start_method(allow_none: bool = False) -> str | None:
    """The start method new processes use ('fork', 'spawn' or 'forkserver'). As in `multiprocessing`, the
    first call fixes the default, unless allow_none=True: None while nothing is chosen."""
    global _method
    if _method is None and not allow_none:
        _method = _platform_default()
    return _method


def set_start_method(method: str | None, force: bool = False) -> None:
    """Choose 'fork', 'spawn' or 'forkserver' for processes started from now on. RuntimeError if a method
    was already chosen, unless force=True (force=True with None forgets the choice)."""
    global _method
    if _method is not None and not force:
        raise RuntimeError("context has already been set")
    _method = None if method is None else check_method(method)


_executable: str | bytes | os.PathLike | None = None  # the Python that spawn runs (None: sys.executable)


def set_executable(executable: str | bytes | os.PathLike | None) -> None:
    """The Python interpreter that spawn starts from now on, as in `multiprocessing`; None: ours."""
    global _executable
    if executable is not None and not isinstance(executable, (str, bytes, os.PathLike)):
        raise TypeError(f"set_executable({executable!r}): the executable must be a path or None")
    _executable = executable


def executable() -> str | bytes | os.PathLike:
    return _executable or sys.executable


def get_all_start_methods() -> list[str]:
    """The start methods minimp can use here, the default first."""
    default = _platform_default()
    return [default] + [m for m in METHODS if m != default]


# -- what the start methods share ------------------------------------------------

# One launch at a time: a child forked by another thread meanwhile would inherit the write end
# of this child's exit pipe, and this child's sentinel would stay silent until that one exited too.
launch_lock = threading.Lock()
_alive: tuple[int, int] | None = None  # this process's alive pipe, made on first use
_exit_fd: int | None = None  # in a child: the write end of our own exit pipe


def launch(process: Process, method: str) -> tuple[ForkedChild | Popen, int, ChildOutput]:
    """Start `process` with `method`; return the child, its exit pipe's read end, its output."""
    return _spawn(process) if method == "spawn" else _fork(process)


def _pipes_for_a_child() -> tuple[int, int, int, ChildOutput]:
    """What every child gets: the read end of our alive pipe, its own exit pipe, its output (output.py)."""
    output, (exit_r, exit_w) = ChildOutput(), os.pipe()
    return alive_read_end(), exit_r, exit_w, output


def alive_read_end() -> int:
    global _alive
    if _alive is None:
        _alive = os.pipe()
    return _alive[0]


# -- fork ---------------------------------------------------------------------------

def _fork(process: Process) -> tuple[ForkedChild, int, ChildOutput]:
    with launch_lock:
        alive_r, exit_r, exit_w, output = _pipes_for_a_child()
        try:
            output.before_fork()
            pid = os.fork()
            if pid == 0:
                _run_forked_child(process, output, exit_w, alive_r)  # never returns
        except BaseException:
            output.abandon()
            os.close(exit_r)
            raise
        finally:
            os.close(exit_w)
        output.in_parent(pid)
    return ForkedChild(pid), exit_r, output


def _run_forked_child(process: Process, output: ChildOutput, exit_w: int, alive_r: int) -> None:
    """In the forked child: drop what belongs to the parent, run the process, exit."""
    global _alive, _exit_fd, launch_lock
    exitcode = 1
    try:
        launch_lock = threading.Lock()  # the parent held its copy while forking us
        os.close(_alive[1])  # else the child keeps its own parent "alive"
        _alive = None
        if _exit_fd is not None:
            os.close(_exit_fd)  # else the grandparent would wait for us too
        _exit_fd = exit_w
        sys.stdin = open(os.devnull)  # a child does not read the parent's terminal
        output.in_child()
        whole_lines()
        exitcode = process._bootstrap(parent_sentinel=alive_r)
        for thread in threading.enumerate():  # as at a normal exit, wait for the
            if not thread.daemon and thread is not threading.current_thread():
                thread.join()  # non-daemon threads the target started
    finally:
        os._exit(exitcode)  # not sys.exit: the atexit handlers and buffers are the parent's


class ForkedChild:
    """A forked child as its parent sees it, with the Popen methods Process uses: pid, poll,
    wait and send_signal. So a forked and a spawned child look alike."""

    def __init__(self, pid: int):
        self.pid, self.returncode = pid, None
        self._reaping = threading.Lock()

    def poll(self) -> int | None:
        if self._reaping.acquire(blocking=False):  # else another thread is reaping it (as Popen)
            try:
                self._waitpid(os.WNOHANG)
            finally:
                self._reaping.release()
        return self.returncode

    def wait(self) -> int:
        with self._reaping:
            self._waitpid(0)
        return self.returncode

    def _waitpid(self, flags: int) -> None:
        # Under _reaping: of two racing waitpid() calls, the loser gets ChildProcessError (0 for a crash).
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, flags)
            except ChildProcessError:  # reaped elsewhere; Popen reports 0 too
                pid, status = self.pid, 0
            if pid == self.pid:  # exit(n) gives n; death by signal N gives -N
                self.returncode = os.waitstatus_to_exitcode(status)

    def send_signal(self, signum: int) -> None:
        # Once reaped, the pid may belong to somebody else: never signal it.
        if self.poll() is None:
            os.kill(self.pid, signum)


# -- spawn: the parent's side -----------------------------------------------------

def _spawn(process: Process) -> tuple[Popen, int, ChildOutput]:
    import subprocess  # here, not at the top: only a parent that spawns needs it
    # Pickle first: an unpicklable target or argument fails here, in the caller, before any child exists.
    payload, fds = serialize.pickle_process(process, "spawn")
    with launch_lock:
        alive_r, exit_r, exit_w, output = _pipes_for_a_child()
        try:
            data_r, data_w = os.pipe()  # the data pipe: the child reads its Process from it
            command = f"from minimp.runtime.start import spawn_child; spawn_child({data_r}, {exit_w}, {alive_r})"
            try:
                child = subprocess.Popen(
                    [_executable or sys.executable, *subprocess._args_from_interpreter_flags(), "-c", command],
                    pass_fds=[data_r, exit_w, alive_r, *fds],
                    stdin=subprocess.DEVNULL, stdout=output.child_fds[0], stderr=output.child_fds[1],
                )
            except BaseException:
                os.close(data_w)
                raise
            finally:
                os.close(data_r)
        except BaseException:
            output.abandon()
            os.close(exit_r)
            raise
        finally:
            os.close(exit_w)
        output.in_parent(child.pid)
    try:
        send_to_child(data_w, payload, "spawn")
    except BaseException:  # interrupted half-way: the child cannot start
        child.kill()
        child.wait()
        os.close(exit_r)
        raise
    return child, exit_r, output


def send_to_child(data_w: int, payload: bytes, method: str) -> None:
    """Into the data pipe: first what the child needs to unpickle the process (where to import
    from), then the process."""
    setup = {"sys_path": sys.path, "sys_argv": sys.argv, "start_method": method, "logs": logs.for_child()}
    data = Connection(data_w, readable=False)
    try:
        data.send_bytes(pickle.dumps(setup))
        data.send_bytes(payload)
    except BrokenPipeError:
        pass  # the child died before reading; its exit code will tell why
    finally:
        data.close()


# -- spawn: the child's side ----------------------------------------------------------

def spawn_child(data_fd: int, exit_fd: int, parent_alive_fd: int) -> None:
    """The first thing a spawned interpreter runs (see `_spawn`)."""
    global _exit_fd
    _exit_fd = exit_fd
    sys.exit(run_child(data_fd, parent_alive_fd))


def run_child(data_fd: int, parent_alive_fd: int) -> int:
    """Read the process from the data pipe and run it (spawn and forkserver); return its exit code."""
    with Connection(data_fd, writable=False) as data:
        setup = pickle.loads(data.recv_bytes())
        sys.path[:] = setup["sys_path"]
        sys.argv[:] = setup["sys_argv"]
        set_start_method(setup["start_method"], force=True)
        logs.in_child(setup["logs"])  # the parent's log level and stderr handler (logs.py)
        process = serialize.loads(data.recv_bytes())
    whole_lines()
    return process._bootstrap(parent_sentinel=parent_alive_fd)
