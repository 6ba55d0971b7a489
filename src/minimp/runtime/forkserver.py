"""Forkserver: fork each child from a clean server process instead of from the parent.

fork is fast but copies the parent as it is, threads' half-held locks included; spawn is safe but
starts a whole new interpreter for every child. forkserver does both: once, the parent spawns a
*server*, a fresh interpreter with a single thread; from then on the server forks each child from
its own clean state, on request. The default on Linux from Python 3.14.

The parent and the server share a socket pair, made before the server starts and inherited by it:
no listening socket, nothing another process could connect to. Each request is one message whose
*ancillary data* carries the child's descriptors (`socket.send_fds`, SCM_RIGHTS: the kernel copies
open descriptors into the receiving process)::

    parent                                          server (spawned once)        child
    send_fds([wanted numbers], [data_r, status_w,   recv_fds() ─▶ fork() ──────▶ descriptors renumbered
             stdout, stderr, *the process's fds]) ─▶                             as the pickle expects
    ◀─ status pipe: the child's pid ─────────────── (8 bytes)
    pickle(Process) ─▶ data pipe ──────────────────────────────────────────────▶ run_child(): unpickle, run
    ◀─ status pipe: its exit code, then closed ──── reaps it (SIGCHLD, waitpid)

The child's descriptors arrive under new numbers, but the pickled Process names them by the
parent's numbers (as spawn keeps them, serialize.py): the child moves each back (`_renumber`).
The server, not the parent, is the child's real parent, so only the server can reap it; it reports
the exit code on the child's status pipe, whose read end is the parent's `Process.sentinel`.
What the child gets is pickled as under spawn, so a notebook's functions work as they do there.

Limits: Unix only (needs `socket.send_fds`). If the server itself is killed, its children go on
running but their exit codes are lost: they read as 255, as in the standard library. A forked
child that starts processes by forkserver starts a server of its own.

Read next: `runtime/serialize.py`, how the Process object is pickled for spawn and forkserver.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import signal
import sys
import threading

from . import family, serialize, start
from .connection import wait
from .errors import ProcessError
from .output import ChildOutput

TYPE_CHECKING = False  # type names for readers and checkers, not imported when running
if TYPE_CHECKING:
    from socket import socket
    from subprocess import Popen
    from .process import Process

__all__ = ["set_forkserver_preload", "launch", "ensure_running", "stop", "serve"]

MAX_FDS = 250  # descriptors in one request: Linux passes at most 253 in one message (SCM_MAX_FD)
CODE = 8  # bytes of a pid or an exit code on a status pipe (signed, little-endian)

_preload: list[str] = []  # modules the server imports before it forks anything
_server: Popen | None = None  # the server, once started
_socket: socket | None = None  # our end of the socket pair
_server_lock = threading.Lock()  # one thread starts the server


def set_forkserver_preload(module_names: list[str]) -> None:
    """Modules the server imports once, so that every child starts with them imported; as in
    `multiprocessing`. Takes effect when the server starts (the first forkserver child)."""
    if isinstance(module_names, str) or not all(isinstance(name, str) for name in module_names):
        raise TypeError(f"set_forkserver_preload({module_names!r}): expected a list of module names (str)")
    _preload[:] = module_names


# -- the parent's side -------------------------------------------------------------

def launch(process: Process, method: str = "forkserver") -> tuple[ServedChild, int, ChildOutput]:
    """Have the server fork a child for `process`; return the child, its sentinel, its output."""
    payload, fds = serialize.pickle_process(process, method)  # an unpicklable argument fails here, before any child
    if len(fds) > MAX_FDS - 4:
        raise ValueError(f"cannot start {process.name} with forkserver: it needs {len(fds)} descriptors, "
                         f"one request carries at most {MAX_FDS - 4}")
    with start.launch_lock:  # a child forked meanwhile would keep the status pipe open (see ServedChild)
        output = ChildOutput()
        (data_r, data_w), (status_r, status_w) = os.pipe(), os.pipe()
        try:
            pid = _request([data_r, status_w, *output.child_fds], fds, status_r)
        except BaseException:
            output.abandon()
            for fd in (data_w, status_r):
                os.close(fd)
            raise
        finally:
            os.close(data_r)
            os.close(status_w)  # the server holds its own copy until it reports the exit code
        output.in_parent(pid)
    start.send_to_child(data_w, payload, method)
    return ServedChild(pid, status_r), status_r, output


def _request(fds: list[int], process_fds: list[int], status_r: int) -> int:
    """Send one request; return the pid the server answers with on the status pipe."""
    import socket
    for attempt in (1, 2):
        ensure_running()
        try:
            socket.send_fds(_socket, [pickle.dumps(process_fds)], fds + process_fds)
            break
        except (BrokenPipeError, ConnectionResetError):  # the server died before it read the request:
            _server.wait()  # a dead server is replaced by the next ensure_running()
            if attempt == 2:
                raise
    answer = os.read(status_r, CODE)
    if len(answer) < CODE:
        raise ProcessError(f"the forkserver (pid {_server.pid}) ended before it started the child "
                           f"(exit code {_server.wait()}); the next start will start a new server")
    return int.from_bytes(answer, "little", signed=True)


def ensure_running() -> None:
    """Start the server if it is not running (it may have died: then start a new one)."""
    global _server, _socket
    import socket
    import subprocess
    with _server_lock:
        if _server is not None and _server.poll() is None:
            return
        if _socket is not None:
            _socket.close()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)  # messages keep their bounds
        alive_r = start.alive_read_end()  # each child's parent_process().sentinel
        command = (f"from minimp.runtime.forkserver import serve; "
                   f"serve({theirs.fileno()}, {alive_r}, {_preload!r}, {sys.path!r})")
        with theirs:
            _server = subprocess.Popen([start.executable(), *subprocess._args_from_interpreter_flags(), "-c", command],
                                       pass_fds=[theirs.fileno(), alive_r], stdin=subprocess.DEVNULL)
        _socket = ours


def stop() -> None:
    """Stop the server and wait for it (it forks no more children; those running go on)."""
    global _server, _socket
    with _server_lock:
        if _socket is not None:
            _socket.close()  # the server reads the end of the stream, and exits
        if _server is not None:
            _server.wait()
        _server = _socket = None


def _forget_server() -> None:
    # In a child forked by the parent: the server is the parent's. Close our copy of its socket, or
    # the server would not see the parent's end of the stream until this child exited too.
    global _server, _socket, _server_lock
    if _socket is not None:
        _socket.close()
    _server, _socket, _server_lock = None, None, threading.Lock()  # the parent may have held the lock


os.register_at_fork(after_in_child=_forget_server)


def _at_exit() -> None:
    # atexit runs handlers last registered first, so this runs before family.py's: let the children
    # be stopped and joined first (the server still has to report their exit codes), then the server.
    family.shut_down()
    stop()


atexit.register(_at_exit)


class ServedChild:
    """A child forked by the server, as its parent sees it; the methods of `start.ForkedChild`.
    Its exit code arrives on the status pipe; the server wrote the pid there first."""

    def __init__(self, pid: int, status_r: int):
        self.pid, self.returncode, self._status = pid, None, status_r
        self._reading = threading.Lock()  # of two threads, one reads the exit code (as ForkedChild)

    def poll(self) -> int | None:
        if self.returncode is None and wait([self._status], timeout=0) and self._reading.acquire(blocking=False):
            try:
                self._read_exit_code()
            finally:
                self._reading.release()
        return self.returncode

    def wait(self) -> int:
        with self._reading:
            self._read_exit_code()
        return self.returncode

    def _read_exit_code(self) -> None:
        if self.returncode is None:
            code = os.read(self._status, CODE)  # 255 if the server died first, as in the standard library
            self.returncode = int.from_bytes(code, "little", signed=True) if len(code) == CODE else 255
            os.read(self._status, 1)  # and the end of the pipe, which the server closes right after:
            # from now on the sentinel reads as ready, as under fork and spawn

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:  # once reported, the pid may belong to somebody else
            with contextlib.suppress(ProcessLookupError):  # reaped by the server, not yet reported
                os.kill(self.pid, signum)


# -- the server's side -----------------------------------------------------------------

def serve(socket_fd: int, alive_fd: int, preload: list[str], sys_path: list[str]) -> None:
    """The server's main loop: fork a child for each request, report each child's exit code."""
    import socket
    sys.path[:] = sys_path
    for name in ["minimp.runtime.process", *preload]:  # imported once here, not by every child
        __import__(name)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent and the children
    wake_r, wake_w = os.pipe()  # a byte arrives here when a child exits (SIGCHLD)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    statuses: dict[int, int] = {}  # pid -> the write end of its status pipe
    with socket.socket(fileno=socket_fd) as requests:
        while True:
            ready = wait([requests, wake_r, alive_fd])
            if wake_r in ready:
                os.read(wake_r, 4096)
                _report_exits(statuses)
            if alive_fd in ready:
                return  # the parent died
            if requests in ready:
                message, fds, flags, _ = socket.recv_fds(requests, 65536, MAX_FDS)
                if not message:
                    return  # the parent closed its end, or exited
                if flags & socket.MSG_CTRUNC:  # some descriptors did not fit (launch() prevents it)
                    for fd in fds:
                        os.close(fd)
                    continue
                data_r, status_w, stdout, stderr, *received = fds
                pid = os.fork()
                if pid == 0:
                    _run_child(data_r, status_w, (stdout, stderr), received, pickle.loads(message),
                               [socket_fd, wake_r, wake_w, *statuses.values()], alive_fd)  # never returns
                statuses[pid] = status_w
                _tell(status_w, pid)
                for fd in (data_r, stdout, stderr, *received):
                    os.close(fd)


def _report_exits(statuses: dict[int, int]) -> None:
    """Reap every child that has exited, and send its exit code to the parent."""
    while statuses:
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            return
        status_w = statuses.pop(pid, None)
        if status_w is not None:  # else a process a preloaded module started
            _tell(status_w, os.waitstatus_to_exitcode(status))
            os.close(status_w)


def _tell(status_w: int, number: int) -> None:
    try:
        os.write(status_w, number.to_bytes(CODE, "little", signed=True))
    except BrokenPipeError:
        pass  # the parent is gone, or gave up on this child


def _run_child(data_r: int, status_w: int, output: tuple[int, int], received: list[int], wanted: list[int],
               servers: list[int], alive_fd: int) -> None:
    """In the child the server forked: drop what is the server's, renumber the descriptors, run."""
    exitcode = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for fd in (*servers, status_w):
            os.close(fd)
        for number, fd in zip((1, 2), output):
            os.dup2(fd, number)
            os.close(fd)
        data_r, *_ = _renumber([data_r, *received], [None, *wanted])
        exitcode = start.run_child(data_r, alive_fd)
    finally:
        os._exit(exitcode)  # not sys.exit: the server's loop and its atexit handlers are not ours


def _renumber(fds: list[int], wanted: list[int | None]) -> list[int]:
    """Give each descriptor in `fds` the number in `wanted` (None: any). First move them all above every
    number involved, so that moving one onto its number never closes another still to be moved."""
    import fcntl
    floor = max([*fds, *(w for w in wanted if w is not None)]) + 1
    moved = []
    for fd in fds:
        moved.append(fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, floor))
        os.close(fd)
    for i, (fd, number) in enumerate(zip(moved, wanted)):
        if number is not None:
            os.dup2(fd, number, inheritable=False)
            os.close(fd)
            moved[i] = number
    return moved
