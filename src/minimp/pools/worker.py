"""The worker loop: what every process of a Pool (and of a ProcessPoolExecutor) runs.

A worker is a Process whose target is `worker_loop`, with two one-way Pipes:
the *task pipe* brings it jobs, the *result pipe* takes back what became of
them (a pipe is cheaper to write into than a socket pair). Everything it
does is this conversation::

    pool (parent)                               worker
    ─────────────                               ──────
                                  ◀── Ready     initializer(*initargs) went well
    Job(id, function, args)   ──▶               run each task, in order
                                  ◀── Done      results and failures of the job's tasks
    Job ...                   ──▶
                                  ◀── Unreadable  (a job it could not unpickle)
    None                      ──▶               no more work: return, exit code 0

A job is one task (`apply_async`, `submit`) or a chunk of them (`map`); every
message is one of the named tuples below: print one in a notebook. A Job and a
Done travel as plain tuples of their fields, and are named again on arrival:
pickling a named tuple costs three times as much (its class goes along, by name,
and pickle asks minimp's reducer about it), 2 µs of every task of a map. The worker
writes the id of the task it runs into `running[index]`, shared memory that the
pool reads if the worker dies, to name the task that crashed it (a map's chunk runs
in C, for speed, chunks.py: untraced, the pool can then name only the chunk).

Things a worker does not do:

- stop on Ctrl-C. An interrupt in a terminal or in Jupyter can reach every
  process of the group; workers ignore SIGINT, the parent decides (results.py).
- outlive its parent, nor leave behind what its tasks started. It leads a
  process group, which the pool signals where it would signal the worker,
  and a watchdog thread ends the group once the parent is gone (groups.py).
- let a task end it. `sys.exit()` in a task fails that task only.

The parent's half is at the bottom: `Worker` starts one, sends it jobs, receives
what it says and collects it.

Read next: `pools/chunks.py`, a chunk of a map run in C, and timed in groups.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import itertools
import os
import signal
import time
from typing import NamedTuple

from ..runtime import groups, logs, serialize
from ..runtime.connection import Pipe
from ..runtime.process import PROCESS_CLASSES
from . import chunks, marks
from .failures import send_outcomes, sendable
from .inbox import Inbox
from .stacks import answer_on_signal

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    from ..runtime.connection import Connection

__all__ = ["Job", "Ready", "StartFailed", "Unreadable", "Done", "Unpicklable", "worker_loop", "run_job", "Worker"]


# -- what travels on the pipes --------------------------------------------------------


class Job(NamedTuple):
    """Pool → worker: run `function` (pickled once per map() or apply_async(), not per task) on each task's arguments."""

    job_id: int
    function: bytes
    first_task: int  # the tasks' ids are first_task, first_task + 1, ...
    arguments: list  # each task's args tuple, or (map) its one argument
    star: bool  # True: function(*args, **keywords); False (map): function(argument)
    keywords: dict  # keyword arguments, the same for every task (only single tasks have any)
    skip: frozenset  # positions not to run (cancelled, or failed already in the parent)
    timed: bool  # record when each task starts and finishes (a trace is active)


class Ready(NamedTuple):
    """Worker → pool: the initializer went well; send jobs."""

    pid: int
    time: float


class StartFailed(NamedTuple):
    """Worker → pool: the initializer raised `error` (its traceback: the text); the worker exits."""

    error: BaseException
    traceback: str


class Unreadable(NamedTuple):
    """Worker → pool: the next job could not be unpickled here (say, a module it cannot import)."""

    error: BaseException
    traceback: str


class Done(NamedTuple):
    """Worker → pool: how a job's tasks ended, in the order of its arguments."""

    job_id: int
    results: list  # the return values (None where a task failed or was skipped)
    failures: dict  # position in the job -> (exception, its traceback as text)
    times: Any  # if timed: task i ran from times[i] to times[i + 1] (time.monotonic()); a list, or chunks.Stamps
    marks: list | None = None  # if timed: the tasks' own spans, (name, start, end) (marks.py)


# -- the loop -------------------------------------------------------------------------


def worker_loop(tasks: Connection, results: Connection, index: int, running: Any, initializer: Callable | None,
                initargs: tuple, max_jobs: int | None, stacks: Connection) -> None:
    """Take a job, run its tasks, send back their outcomes; until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides (see above)
    answer_on_signal(stacks)  # pool.stacks(): where this worker is, when asked (stacks.py)
    groups.lead_own_group()  # before any task: what a task starts joins the group
    groups.exit_with_parent()
    if initializer is not None:
        try:
            initializer(*initargs)
        except BaseException as error:
            results.send(StartFailed(*sendable(error, by_a_task=False)))
            return
    results.send(Ready(os.getpid(), time.monotonic()))

    jobs_done = 0
    while max_jobs is None or jobs_done < max_jobs:
        try:
            job = serialize.loads(tasks.recv_bytes())
            if job is not None:
                job = Job._make(job)  # it travels as a plain tuple (see the docstring)
            function = _load_function(job.function) if job is not None else None
        except EOFError:  # the pool is gone without a word (its process died?): the watchdog's work
            groups.end_own_group()
        except Exception as error:
            results.send(Unreadable(*sendable(error)))
            jobs_done += 1  # the pool counts it as done, and failed
            continue
        if job is None:
            break
        if job.timed:
            marks.collecting()  # what the tasks note with minimp.mark() goes home with the outcomes
        done = run_job(function, job, running, index)
        send_outcomes(results, done._replace(marks=marks.taken()) if job.timed else done)
        jobs_done += 1
    logs.debug("worker exiting after %d tasks", jobs_done)


def run_job(function: Callable, job: Job, running: Any, index: int) -> Done:
    """Run each task of the job; whatever happens, say how each one ended."""
    if len(job.arguments) > 1 and not (job.skip or job.keywords):  # a chunk of a map: the loop in C (chunks.py)
        results, failures, times = chunks.run_timed_chunk(function, job, running, index) if job.timed \
            else chunks.run_chunk(function, job)  # fmt: skip
        return Done(job.job_id, results, {p: sendable(error) for p, error in failures.items()}, times)
    results, failures = [], {}
    clock = time.monotonic
    stamps = [clock()] if job.timed else None  # task i ran from stamps[i] to stamps[i + 1]
    for position, arguments in enumerate(job.arguments):
        if position in job.skip:
            results.append(None)
        else:
            running[index] = job.first_task + position  # read by the pool if we die now
            try:
                results.append(function(*arguments, **job.keywords) if job.star else function(arguments))
            except BaseException as error:  # SystemExit too: a task cannot end its worker
                results.append(None)
                failures[position] = sendable(error)
        if stamps is not None:
            stamps.append(clock())
    running[index] = 0
    return Done(job.job_id, results, failures, stamps)


@functools.lru_cache(maxsize=16)  # a function is unpickled once per map(), not once per job
def _load_function(pickled: bytes) -> Callable:
    return serialize.loads(pickled)


# -- the parent's half --------------------------------------------------------------

_worker_numbers = itertools.count(1)  # names: ForkPoolWorker-1, -2, ... as in the standard library


class Unpicklable(NamedTuple):
    """Stands for a message the pool cannot unpickle: its oldest job's results (the only user objects sent)."""
    error: Exception


class Worker:
    """The pool's side of one worker: its process, our ends of its pipes, the jobs sent (the first runs)."""

    def __init__(self, index: int, method: str, running: Any, initializer, initargs: tuple, max_jobs, stacks):
        task_reader, self.task_pipe = Pipe(duplex=False)  # we write jobs,
        self.result_pipe, result_writer = Pipe(duplex=False)  # we read what became of them
        process_class = PROCESS_CLASSES[method]  # named as the standard library's: ForkServerPoolWorker-3
        args = (task_reader, result_writer, index, running, initializer, initargs, max_jobs, stacks.writer)
        self.process = process_class(
            target=worker_loop, args=args,
            name=f"{process_class.__name__.replace('Process', 'PoolWorker')}-{next(_worker_numbers)}", daemon=True)
        self.index = index
        self.jobs: collections.deque = collections.deque()  # sent, in order; the first is running
        self.jobs_sent = 0
        self.ready, self.ready_at = False, None  # it said Ready (at that time): its initializer has run
        self.stopping = False  # told to exit (None sent)
        self.cancelled: Any = None  # the jobs.Cancelled of the call we stopped it for
        self.pipe_open = True  # the result pipe: False once it reported EOF
        self.head_since = 0.0  # when its first job reached it (it runs that one now)
        self.exitcode: int | None = None  # once collected (its Process is closed then)
        self.started = time.monotonic()  # before start(): a forked worker can be ready before it returns
        try:
            self.process.start()
        finally:
            task_reader.close()  # the child's ends: ours would keep the pipes open after it died
            result_writer.close()
        self.pid, self.sentinel = self.process.pid, self.process.sentinel
        self.inbox = Inbox(self.result_pipe.fileno())  # what it says, read in bulk (inbox.py)
        logs.debug("added worker")

    def send(self, jobs: list) -> bool:
        """Write the (packed) jobs into the task pipe, in one write(2). False: the worker is gone."""
        if not self.jobs:
            self.head_since = time.monotonic()
        try:
            self.task_pipe.send_bytes_many([job.message for job in jobs])
        except OSError:  # it died; its sentinel will say so
            return False
        self.jobs.extend(jobs)
        self.jobs_sent += len(jobs)
        return True

    def stop(self) -> None:
        """No more work: the worker returns from worker_loop and exits."""
        self.stopping = True
        with contextlib.suppress(OSError):  # it has exited already
            self.task_pipe.send(None)

    def receive(self) -> tuple[Any, int]:
        """The next message and its size in bytes; (None, 0) once the pipe has ended."""
        try:
            raw = self.inbox.take()
        except (EOFError, OSError):
            self.pipe_open = False  # it exited; its sentinel tells the rest
            return None, 0
        try:
            message = serialize.loads(raw)
            return Done._make(message) if type(message) is tuple else message, len(raw)  # (the docstring)
        except Exception as error:
            return Unpicklable(error), len(raw)

    def signal(self, sig: int) -> None:
        """Send `sig` to the worker and to every process its tasks started (its group)."""
        groups.signal_group(self.pid, sig)
        self.process.kill() if sig == signal.SIGKILL else self.process.terminate()  # not in its group yet?

    def collect(self) -> None:
        """The worker has exited: end what its tasks left running, reap it, close our ends of its
        pipes and its sentinel (a pool that is done holds no descriptor, even while you keep it)."""
        groups.signal_group(self.pid)  # before join(): until reaped, its pid names no one else
        self.process.join()
        self.exitcode = self.process.exitcode
        self.process.close()
        self.task_pipe.close()
        self.result_pipe.close()
