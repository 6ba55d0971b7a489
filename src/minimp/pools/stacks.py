"""Where is each worker now? Its Python stack, on demand: `pool.stacks()`.

A pool that seems stuck (chapter 7) keeps its secret in its workers: which
line of which task each one is in. `pool.stacks()` asks them:

    >>> print(pool.stacks())
    worker 0 · pid 4242 · task 17
      File "/tmp/ipykernel_4000/123.py", line 3 in wait_for_ever
    worker 1 · pid 4243 · idle: waiting for a job

Each worker, as it starts (worker_loop), asks the standard library's
`faulthandler` to write every thread's stack into the pool's *stack pipe*
when it gets SIGUSR1. faulthandler does it from C, in the signal handler, so
a worker answers even in the middle of a C call that holds the GIL (a
`time.sleep`, a lock, a numpy routine). The pool signals its ready workers
one at a time, and reads each answer until the pipe has been quiet for a
moment. The frames inside minimp are left out: what is shown is the task's
own code, innermost first, as faulthandler lists it.

Safe by construction: the pipe's write end never blocks (a dump larger
than the pipe is cut short, and a worker is never stuck in its handler);
only a worker that said Ready is signalled, so it has registered the handler
(SIGUSR1 would otherwise end it). For the same reason there is no such call
for the standard library's pools: their workers have no handler, and the
signal would kill them.

Read next: `pools/marks.py`, your own spans inside a task.
"""

from __future__ import annotations

import faulthandler
import os
import re
import signal
import threading
import time
from typing import NamedTuple

from ..runtime.connection import Pipe, wait

__all__ = ["StackPipe", "WorkerStack", "Stacks", "answer_on_signal", "own_frames", "SIGNAL"]

SIGNAL = signal.SIGUSR1
QUIET = 0.05  # seconds without a byte that end a worker's answer
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MACHINERY = tuple(os.path.join(_PACKAGE, part) + os.sep for part in ("pools", "runtime"))  # frames left out
# (not the course's: a chapter's exercise runs tasks defined in minimp/course/)


ANSWERING = False  # this process is a minimp worker that answers pool.stacks() (traced.py asks)


def answer_on_signal(writer) -> None:
    """In a worker, before anything else: on SIGNAL, write every thread's stack into `writer`."""
    global ANSWERING
    faulthandler.register(SIGNAL, file=writer.fileno(), all_threads=True, chain=False)
    ANSWERING = True


class WorkerStack(NamedTuple):
    label: str  # "worker 0 · pid 4242"
    task: int | None  # the id of the task it runs, or of the first of its group of tiny ones (None: none)
    frames: list[str]  # the task's own frames, innermost first, as faulthandler writes them
    text: str  # the whole answer: every thread, minimp's frames too


class Stacks(list):
    """What `pool.stacks()` returns: a WorkerStack per ready worker, printed as text."""

    def __str__(self) -> str:
        lines = []
        for stack in self:
            if stack.task is None and not stack.frames:
                lines.append(f"{stack.label} · idle: waiting for a job")
                continue
            lines.append(f"{stack.label} · task {stack.task}" if stack.task else stack.label)
            lines += stack.frames or ["  (inside minimp: between two tasks)"]
        return "\n".join(lines) if lines else "no worker is ready to answer"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        from html import escape

        return f"<pre>{escape(str(self))}</pre>"


class StackPipe:
    """The pipe a pool's workers write their stacks into; the pool reads them, one worker at a time."""

    def __init__(self) -> None:
        self.reader, self.writer = Pipe(duplex=False)  # the writer goes to every worker
        os.set_blocking(self.writer.fileno(), False)  # a worker's handler must never wait for us
        os.set_blocking(self.reader.fileno(), False)
        self._lock = threading.Lock()  # one question at a time: the answers share the pipe
        self.closed = False

    def close(self) -> None:
        with self._lock:  # not while a question is asked
            if not self.closed:
                self.closed = True
                self.reader.close()
                self.writer.close()

    def ask(self, workers: list, running, timeout: float) -> Stacks:
        """Each ready worker's stack (`running`: the crew's task ids, by place); none once the pool is done."""
        with self._lock:
            if self.closed:
                return Stacks()
            return Stacks(self._ask_one(worker, running[worker.index], timeout) for worker in workers if worker.ready)

    def _ask_one(self, worker, task: int, timeout: float) -> WorkerStack:
        self._read(0.0)  # what a late answer left behind
        try:
            os.kill(worker.pid, SIGNAL)
        except ProcessLookupError:  # it has just exited
            return WorkerStack(f"worker {worker.index} · pid {worker.pid}", None, ["  (it has exited)"], "")
        text = self._read(timeout)
        label = f"worker {worker.index} · pid {worker.pid}"
        frames = own_frames(text) if text else ["  (no answer in time)"]
        return WorkerStack(label, abs(task) or None, frames, text)  # (negative: the first of a group, chunks.py)

    def _read(self, timeout: float) -> str:
        """Bytes until the pipe has been quiet for QUIET seconds (the first wait: `timeout`)."""
        fd, parts = self.reader.fileno(), []
        deadline = time.monotonic() + timeout
        while True:
            left = QUIET if parts else deadline - time.monotonic()
            if left < 0 or not wait([fd], max(left, 0.0)):
                return b"".join(parts).decode(errors="replace")
            try:
                parts.append(os.read(fd, 1 << 16))
            except BlockingIOError:
                continue


FRAME = re.compile(r'^  File "(?P<file>[^"]*)", line \d+ in \S+$')


def own_frames(text: str, machinery: tuple = MACHINERY, runner: str = " in worker_loop") -> list[str]:
    """The frames of the thread that runs tasks (`runner` is in its stack), innermost first, down
    to the first of `machinery`'s (minimp's): the task's code. (Below minimp's frames: how the
    process began, fork's copy of the parent's script or spawn's `python -c`, no part of the task.)"""
    threads = text.strip().split("\n\n")
    main = next((thread for thread in threads if runner in thread), threads[0])
    own = []
    for line in main.splitlines()[1:]:
        found = FRAME.match(line)
        if found and found["file"].startswith(machinery):
            return own
        if found:
            own.append(line)
    return []  # no frame of `machinery`: it runs no task of ours now
