"""A pool's crew: its workers, one per place, started, watched, replaced and stopped.

A Pool of 4 processes has 4 *places*, 0 to 3, and each holds one worker (worker.py) at a
time. The pool's thread (loop.py) decides what happens to them; the crew does it:

    wait()     one poll(2) on the wake-up pipe (WakeUp: a caller writes a byte to it), every
               worker's result pipe, and every worker's sentinel (readable once its process
               has exited)
    collect()  a worker has exited: reap it and free its place
    start()    a new worker in a free place (gives_up_starting(): after how many that died starting)
    retire()   a worker has done its `maxtasksperchild` jobs and exits by itself: its
               successor starts at once, while it is still exiting (an interpreter takes
               tens of milliseconds to end under spawn), and wait() collects it later
    stop_call()  kill the workers running a task of a cancelled call (its caller was interrupted),
               and those that reach one it sent ahead, later (stop_if_cancelled())
    stop()     every worker, now: SIGTERM, a second's grace, then SIGKILL

`running` is shared memory: the id of the task each place's worker runs (0: none). A
worker writes it before each task, and the pool reads it if the worker dies, to name
the task that crashed it (and `pool.stacks()` to say which task a worker is in: the
crew's stack pipe, stacks.py).

Read next: `pools/worker.py`, both ends of the conversation with a worker.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time
from typing import Any

from ..runtime.sharedctypes import RawArray
from . import events
from .stacks import StackPipe
from .worker import Worker

__all__ = ["Crew", "WakeUp", "stop_all"]

MAX_START_FAILURES = 3  # workers killed while starting, in a row, before the pool gives up


class Crew:
    """The workers of one pool, by place; and the poll(2) that watches them."""

    def __init__(self, processes: int, method: str, initializer, initargs: tuple, max_jobs: int | None):
        self.running = RawArray("q", processes)  # the id of the task each place's worker runs
        self.places: list[Worker | None] = [None] * processes
        self.retiring: list[Worker] = []  # done with their jobs, exiting by themselves
        self.start_failures = 0  # workers that died before they were ready, in a row
        self.stacks = StackPipe()  # where the workers write their stacks when asked (stacks.py)
        self._worker_args = (method, self.running, initializer, initargs, max_jobs, self.stacks)
        self.wakeup, self._watched_key = WakeUp(), None
        try:
            for index in range(processes):
                self.start(index)
        except BaseException:
            self.stop()
            self.close()
            raise

    def close(self) -> None:
        """The pool's thread has ended: nothing polls the wake-up pipe or asks for stacks now."""
        self.wakeup.close()
        self.stacks.close()

    def live(self) -> list[Worker]:
        """The workers in their places (not the retiring ones)."""
        return [worker for worker in self.places if worker is not None]

    def holds(self, worker: Worker) -> bool:
        """Is `worker` still in its place? (Not if it was collected, stopped or retired.)"""
        return self.places[worker.index] is worker

    def start(self, index: int) -> Worker:
        worker = self.places[index] = Worker(index, *self._worker_args)
        events.worker_started(worker)
        return worker

    def wait(self) -> list[tuple[str, Worker | None]]:
        """Wait; then, for each thing that happened, ("message", worker) or ("exit", worker).
        A wake-up is read here, and a retiring worker's exit handled: it is collected."""
        happened = []
        read_already = [("message", worker) for worker in self.live() if worker.pipe_open and worker.inbox.ready()]
        for kind, worker in read_already or self._poll():  # (no sleep in poll(2) with a message in hand)
            if kind == "wakeup":
                self.wakeup.drain()
            elif worker in self.retiring:
                self.collect(worker)
            else:
                happened.append((kind, worker))
        return happened

    def collect(self, worker: Worker) -> None:
        """It has exited: reap it (worker.py), free its place; the traces hear of it."""
        worker.collect()
        if self.holds(worker):
            self.places[worker.index] = None
        elif worker in self.retiring:
            self.retiring.remove(worker)
        events.worker_exited(worker, time.monotonic())

    def retire(self, worker: Worker, successor: bool) -> None:
        """It has been sent its last job, and that job is done: it is exiting. Give its place to a
        `successor` now, rather than once its sentinel fires (what replacing used to wait for)."""
        self.places[worker.index] = None
        self.retiring.append(worker)
        if successor:
            self.start(worker.index)

    def stop_call(self, cancelled: Any) -> int:
        """A call was `cancelled` (a jobs.Cancelled): mark its jobs the workers have, and kill
        each worker running one. A job sent ahead, behind another call's, is not running yet:
        its worker is killed when it reaches it (stop_if_cancelled). Once collected, the workers
        are replaced (loop.py), and the call's jobs fail. Returns how many workers it stops."""
        holding = [w for w in self.live() if any(job.call.id == cancelled.call_id for job in w.jobs)]
        for worker in holding:
            for job in worker.jobs:
                if job.call.id == cancelled.call_id:
                    job.cancelled = cancelled
            self.stop_if_cancelled(worker)
        return len(holding)

    def stop_if_cancelled(self, worker: Worker) -> None:
        """Kill the worker (and what its task started: its group) if the job it runs now is of a cancelled call."""
        if worker.jobs and worker.jobs[0].cancelled and not worker.cancelled:
            worker.cancelled = worker.jobs[0].cancelled
            worker.signal(signal.SIGKILL)

    def gives_up_starting(self, worker: Worker) -> bool:
        """A worker died before it was ready. Killed from outside (the OOM killer,
        say): try again, a few times. Failed by itself: another would fail alike."""
        self.start_failures += 1
        exitcode = worker.exitcode
        return not (exitcode is not None and exitcode < 0) or self.start_failures >= MAX_START_FAILURES

    def stop(self, kill: bool = False) -> list[Worker]:
        """Stop every worker now (`kill`: with SIGKILL at once) and collect it. Returns those that
        were in their places: what they were sent waits for the pool to fail it."""
        live, everyone = self.live(), self.live() + self.retiring
        stop_all(everyone, kill=kill)
        self.places, self.retiring = [None] * len(self.places), []
        for worker in everyone:
            events.worker_exited(worker, time.monotonic())
        return live

    def _poll(self) -> list[tuple[str, Worker | None]]:
        """One poll(2), its set of descriptors made anew whenever the workers changed."""
        key = tuple((id(worker), worker.pipe_open) for worker in self.live() + self.retiring)
        if key != self._watched_key:  # `_watched` keeps the workers, so their ids stay theirs
            self._watched = {self.wakeup.read_fd: ("wakeup", None)}
            for worker in self.live():
                if worker.pipe_open:
                    self._watched[worker.result_pipe.fileno()] = ("message", worker)
            for worker in self.live() + self.retiring:  # a retiring worker has nothing more to say
                self._watched[worker.sentinel] = ("exit", worker)
            self._poller = select.poll()
            for fd in self._watched:
                self._poller.register(fd, select.POLLIN)
            self._watched_key = key
        return [self._watched[fd] for fd, _ in self._poller.poll()]


class WakeUp:
    """A pipe whose byte wakes the pool's thread from its poll(2). Closed when that thread ends,
    so that a finished pool holds no descriptor; a wake() after that does nothing (a write to a
    closed descriptor could reach another file that reused its number)."""

    def __init__(self) -> None:
        self.read_fd, self._write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        self._lock = threading.RLock()  # reentrant: a finalizer may wake() in a thread inside wake()

    def wake(self) -> None:
        with self._lock:
            if self._write_fd is not None:
                try:
                    os.write(self._write_fd, b"!")
                except BlockingIOError:
                    pass  # full of bytes already: the thread will wake

    def drain(self) -> None:
        os.read(self.read_fd, 4096)

    def close(self) -> None:
        with self._lock:
            if self._write_fd is not None:
                os.close(self.read_fd)
                os.close(self._write_fd)
                self._write_fd = None


def stop_all(workers: list[Worker], grace: float = 1.0, kill: bool = False) -> None:
    """Terminate the workers (or `kill` them), give them `grace` seconds, kill what is left; collect them."""
    for worker in workers:
        if worker.process.exitcode is None:
            worker.signal(signal.SIGKILL if kill else signal.SIGTERM)
    deadline = time.monotonic() + grace
    for worker in workers:
        worker.process.join(max(0.0, deadline - time.monotonic()))
        if worker.process.exitcode is None:
            worker.signal(signal.SIGKILL)
        worker.collect()
