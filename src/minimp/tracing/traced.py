"""traced(): the standard library's pools record into a trace too, through a file.

    with minimp.trace() as t:
        with multiprocessing.Pool(2) as pool:
            pool.map(minimp.traced(square), range(10))
    t.tasks        # one TaskRecord per call, read back when the block ends

The standard library's pools tell no trace anything, and their tasks run in
other processes, where a record would stay. So `traced(square)` is a
picklable callable that runs `square`, then appends one line (JSON) about
the call to a file private to the trace, in whichever process runs it; the
trace reads the new lines when you look (a live view's snapshot) and all of
them when its `with` block ends, and then removes the file:

    a worker of any pool                         this process
    _Traced.__call__ ── one write(2) ──▶ tasks.jsonl ── TracedCalls.read() ──▶ TaskRecords

Those records have no submit time and no task id of the pool's own (the
standard library has none): their ids number the tasks in the order they
started, their call is 0, and their lane ("worker") is one per process, or
per thread for a pool of threads, in the order each first started a task.

Where is each worker now (`trace.stacks()`, what `pool.stacks()` answers for
minimp's pools)? A worker that runs a traced call asks faulthandler, once, to
write its stack into a file of the trace's folder on SIGUSR1, the file named
by its pid and its start time. The trace signals only a process whose pid
still has that start time: one that has exited is not signalled, even if
its pid is another process's now. (On Linux, where /proc tells a start time;
a task's own SIGUSR1 handler, in such a worker, is replaced.)

Limits: the file is on this machine's disk: workers on other hosts cannot
write to it. The function is pickled with the wrapper, so it must be
picklable where a plain function would be.

Read next: `views/layout.py`, which turns a trace into a timeline's bars.
"""

from __future__ import annotations

import faulthandler
import json
import os
import reprlib
import shutil
import tempfile
import threading
import time
import traceback

from ..pools import stacks as minimp_stacks
from .log import active, trace
from .records import TaskRecord

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

__all__ = ["traced", "TracedCalls"]

_making = threading.Lock()  # one TracedCalls per trace, even if two threads call traced() at once


def traced(function: Callable) -> _Traced:
    """`function`, wrapped to record each call into the active trace, in whichever
    process runs it: pass it to `multiprocessing.Pool` or `ProcessPoolExecutor`."""
    if not callable(function):
        raise TypeError(f"traced() needs a callable, not {type(function).__name__}")
    recording = active()
    if not recording:
        raise RuntimeError("traced() records into the active trace: call it inside `with minimp.trace():`")
    with _making:
        if recording[-1].traced_calls is None:
            recording[-1].traced_calls = TracedCalls()
    return _Traced(function, recording[-1].traced_calls.path)


class _Traced:
    """A callable that runs a function and appends a JSON line about the call to a file."""

    def __init__(self, function: Callable, path: str):
        self.function, self.path = function, path
        self.home = os.getpid()  # the tracing process: it needs no stack of its own answered
        self.__name__ = getattr(function, "__name__", "traced")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _answering != self.path and os.getpid() != self.home and not minimp_stacks.ANSWERING:
            _answer_stacks(self.path)
        started = time.monotonic()
        status, error = "ok", None
        try:
            return self.function(*args, **kwargs)
        except BaseException as exc:
            status, error = "error", "".join(traceback.format_exception_only(type(exc), exc)).strip()
            raise
        finally:
            line = json.dumps({
                "function": getattr(self.function, "__qualname__", repr(self.function)),
                "args": reprlib.repr(args), "pid": os.getpid(), "thread": threading.get_ident(), "started": started,
                "finished": time.monotonic(), "status": status, "error": error,
            })  # fmt: skip
            # One write(2) in append mode: lines of several processes never mix.
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, (line + "\n").encode())
            finally:
                os.close(fd)


_answering: str | None = None  # the trace (its tasks file) this worker writes its stack for, on SIGUSR1


def _answer_stacks(path: str) -> None:
    """In another process's worker (the standard library's): on SIGUSR1, write every thread's stack
    into a file beside the trace's `path`, named by this process's pid and start time."""
    global _answering
    started = _start_time(os.getpid())
    if started is not None:  # (no /proc: no way for the trace to know it is still us, so no answer)
        name = os.path.join(os.path.dirname(path), f"stacks-{os.getpid()}-{started}")
        fd = os.open(name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)  # kept open: the handler writes here
        faulthandler.register(minimp_stacks.SIGNAL, file=fd, all_threads=True, chain=False)
    _answering = path


def _start_time(pid: int) -> str | None:
    """When process `pid` started, in clock ticks since boot (/proc/PID/stat's 22nd field); None: no such process."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]  # (after the name, which may hold spaces)
    except (OSError, IndexError):
        return None


class TracedCalls:
    """The file that a trace's traced() calls append to, and the calls read from it so far."""

    def __init__(self) -> None:
        self.folder = tempfile.mkdtemp(prefix="minimp-trace-")  # mode 0700: yours alone
        self.path = os.path.join(self.folder, "tasks.jsonl")
        self.calls: list[dict] = []  # one dict per line read, as _Traced wrote it
        self._offset = 0  # bytes of the file read so far

    def read(self) -> list[TaskRecord]:
        """Read the lines appended since the last time; return the records of every call read."""
        try:
            with open(self.path, "rb") as lines:
                lines.seek(self._offset)
                text = lines.read()
        except FileNotFoundError:  # no call has ended yet (or the file was removed: closed)
            text = b""
        # A line is written by one write(2), but we may see one half-written: it waits for the next read.
        complete = text[: text.rfind(b"\n") + 1]
        self._offset += len(complete)
        self.calls += [json.loads(line) for line in complete.splitlines()]
        return _records(self.calls)

    def stacks(self, timeout: float) -> list:
        """Where each worker that ran a traced call is now, for those still running (never a process
        that merely has the pid of one that exited: its start time differs)."""
        found = []
        for name in sorted(os.listdir(self.folder)) if os.path.isdir(self.folder) else []:
            if not name.startswith("stacks-"):
                continue
            _, pid, started = name.split("-")
            if _start_time(int(pid)) != started:
                continue  # it exited
            path = os.path.join(self.folder, name)
            try:
                before = os.path.getsize(path)
                os.kill(int(pid), minimp_stacks.SIGNAL)
                text = _grown(path, before, timeout)
            except OSError:  # it exited just now, or the trace ended and removed its folder
                continue
            frames = minimp_stacks.own_frames(text, (_THIS_FILE,), _THIS_FILE) if text else ["  (no answer in time)"]
            if not frames and _THIS_FILE in text:  # in a traced call, with no Python frame of its own
                frames = ["  (in C code the traced function called, such as time.sleep)"]
            found.append(minimp_stacks.WorkerStack(f"pid {pid} (traced)", None, frames, text))
        return found

    def close(self) -> list[TaskRecord]:
        """Read the last lines and remove the file; return the records of every call."""
        records = self.read()
        shutil.rmtree(self.folder, ignore_errors=True)
        return records


_THIS_FILE = os.path.abspath(__file__)  # a traced call's frame: below it, the pool's own


def _grown(path: str, size: int, timeout: float) -> str:
    """What was appended to `path` beyond `size` bytes, once it has stopped growing (within `timeout`)."""
    deadline, seen = time.monotonic() + timeout, size
    while time.monotonic() < deadline:
        time.sleep(minimp_stacks.QUIET)
        now = os.path.getsize(path)
        if now == seen and now > size:
            break
        seen = now
    with open(path, "rb") as grown:
        grown.seek(size)
        return grown.read().decode(errors="replace")


def _records(calls: list[dict]) -> list[TaskRecord]:
    """TaskRecords of traced() calls: ids in the order they started, and a
    lane (worker) per process, or per thread for a pool of threads."""
    lanes: dict[tuple, int] = {}  # (pid, thread) -> lane, in the order they first started a task
    return [
        TaskRecord(
            id=number, call=0, index=number - 1, function=c["function"], args=c["args"],
            submitted=None, started=c["started"], finished=c["finished"],
            worker=lanes.setdefault((c["pid"], c.get("thread")), len(lanes)), pid=c["pid"],
            status=c["status"], error=c["error"],
        )  # fmt: skip
        for number, c in enumerate(sorted(calls, key=lambda c: c["started"]), start=1)
    ]


trace.traced = traced  # type: ignore[attr-defined]  # minimp.trace.traced(fn) reads well too
