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

Limits: the file is on this machine's disk: workers on other hosts cannot
write to it. The function is pickled with the wrapper, so it must be
picklable where a plain function would be.

Read next: `views/layout.py`, which turns a trace into a timeline's bars.
"""

from __future__ import annotations

import json
import os
import reprlib
import shutil
import tempfile
import threading
import time
import traceback

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
        self.__name__ = getattr(function, "__name__", "traced")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
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

    def close(self) -> list[TaskRecord]:
        """Read the last lines and remove the file; return the records of every call."""
        records = self.read()
        shutil.rmtree(self.folder, ignore_errors=True)
        return records


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
