"""The worker loop: what every process of a Pool (and of a ProcessPoolExecutor) runs.

A worker is a Process whose target is `worker_loop`. It has one duplex Pipe
to the pool, and everything it does is a conversation over that pipe::

    pool (parent)                               worker
    ─────────────                               ──────
                                  ◀── Ready     initializer(*initargs) went well
    Job(id, function, tasks)  ──▶               run each task, in order
                                  ◀── Done      the outcome of every task of the job
    Job ...                   ──▶
                                  ◀── Unreadable  (a job it could not unpickle)
    None                      ──▶               no more work: return, exit code 0

A job is one task (`apply_async`, `submit`) or a chunk of them (`map`).
Every message the two sides exchange is one of the named tuples below:
print one in a notebook to see what travels on the pipe.

Besides the pipe, the worker writes the id of the task it is running into
`running[index]`, a slot of shared memory (sharedctypes.py) that the pool
reads if the worker dies: that is how the pool knows which task crashed it.

Things a worker does not do:

- stop on Ctrl-C. An interrupt in a terminal or in Jupyter can reach every
  process of the group; workers ignore SIGINT and the pool, in the parent,
  decides what an interrupt means (pool.py).
- outlive its parent. A watchdog thread exits the worker as soon as the
  parent is gone, even in the middle of a task: no orphans.
- let a task end it. `sys.exit()` in a task, or any other exception, fails
  that task only; the worker goes on with the next one.

Read next: `pool.py`, the other end of the pipe.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback
from typing import NamedTuple

from . import serialize
from .connection import wait
from .errors import TaskExitError
from .process import parent_process

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

    from .connection import Connection

__all__ = ["Job", "Ready", "StartFailed", "Unreadable", "Done", "Outcome", "worker_loop"]


# -- what travels on the pipe ---------------------------------------------------------


class Job(NamedTuple):
    """Pool → worker: run `function` (pickled once per call) on each task's arguments."""

    job_id: int
    function: bytes
    tasks: list  # of (task_id, args, kwargs)


class Ready(NamedTuple):
    """Worker → pool: the initializer went well; send jobs."""

    pid: int
    time: float


class StartFailed(NamedTuple):
    """Worker → pool: the initializer raised `error`; the worker exits."""

    error: BaseException
    traceback: str


class Unreadable(NamedTuple):
    """Worker → pool: the next job could not be unpickled here (`error` says
    why: a module this process cannot import, say); its tasks fail."""

    error: BaseException
    traceback: str


class Outcome(NamedTuple):
    """How one task ended: its return value (ok) or its exception (not ok)."""

    task_id: int
    ok: bool
    value: Any  # the return value, or the exception
    traceback: str | None  # the exception's traceback, as text (frames cannot travel)
    started: float  # time.monotonic(): one clock for every process of the machine
    finished: float


class Done(NamedTuple):
    """Worker → pool: the outcomes of a job's tasks, in order."""

    job_id: int
    outcomes: list  # of Outcome


# -- the loop -------------------------------------------------------------------------


def worker_loop(
    pipe: Connection,
    index: int,
    running: Any,
    initializer: Callable | None,
    initargs: tuple,
    max_jobs: int | None,
) -> None:
    """Take a job, run its tasks, send back their outcomes; until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides (see above)
    _exit_with_parent()
    if initializer is not None:
        try:
            initializer(*initargs)
        except BaseException as error:
            pipe.send(StartFailed(*_sendable(error)))
            return
    pipe.send(Ready(os.getpid(), time.monotonic()))

    jobs_done = 0
    while max_jobs is None or jobs_done < max_jobs:
        try:
            job = serialize.loads(pipe.recv_bytes())
            function = _load_function(job.function) if job is not None else None
        except EOFError:  # the pool closed its end: nothing more will come
            break
        except Exception as error:
            pipe.send(Unreadable(*_sendable(error)))
            jobs_done += 1  # the pool counts it as done, and failed
            continue
        if job is None:
            break
        outcomes = [run_task(function, task, running, index) for task in job.tasks]
        _send_outcomes(pipe, Done(job.job_id, outcomes))
        jobs_done += 1


def run_task(function: Callable, task: tuple, running: Any, index: int) -> Outcome:
    """Run one task; whatever happens, return its Outcome."""
    task_id, args, kwargs = task
    running[index] = task_id  # read by the pool if we die now
    started = time.monotonic()
    try:
        ok, value, text = True, function(*args, **kwargs), None
    except BaseException as error:  # SystemExit too: a task cannot end its worker
        ok, (value, text) = False, _sendable(error)
    running[index] = 0
    return Outcome(task_id, ok, value, text, started, time.monotonic())


# -- the details ------------------------------------------------------------------------


def _sendable(error: BaseException) -> tuple[BaseException, str]:
    """`error`, ready to travel to the parent, and its traceback as text; an
    error that cannot make the trip is replaced by one that describes it."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    if not isinstance(error, Exception):
        error = TaskExitError(
            f"the task raised {error!r}, which would have ended its worker; "
            "a task cannot exit a pool's worker (raise an Exception instead)"
        )
    try:
        # Some exceptions pickle but cannot be rebuilt (an __init__ with
        # extra required arguments): try the round trip here, where we can
        # still say what went wrong.
        serialize.loads(serialize.dumps(error))
    except Exception as why:
        error = TaskExitError(
            f"the task raised {type(error).__name__}: {error}, which could not be "
            f"sent back to the parent ({type(why).__name__}: {why})"
        )
    return error.with_traceback(None), text  # its frames are in the text


def _send_outcomes(pipe: Connection, done: Done) -> None:
    """Send `done`; a return value that cannot be pickled fails its task only."""
    try:
        pipe.send(done)
        return
    except Exception:
        pass  # find the culprits, one outcome at a time
    outcomes = []
    for outcome in done.outcomes:
        try:
            serialize.dumps(outcome.value)
        except Exception as error:
            reason = f"the result of task {outcome.task_id} could not be pickled"
            failure = type(error)(f"{reason}: {error}") if _rebuildable(error) else TypeError(f"{reason}: {error}")
            value, text = _sendable(failure)
            outcome = outcome._replace(ok=False, value=value, traceback=text)
        outcomes.append(outcome)
    pipe.send(done._replace(outcomes=outcomes))


def _rebuildable(error: Exception) -> bool:
    try:
        type(error)("message")
        return True
    except Exception:
        return False


_functions: dict[bytes, Callable] = {}  # the functions of recent jobs, unpickled once


def _load_function(pickled: bytes) -> Callable:
    if pickled not in _functions:
        if len(_functions) >= 16:
            _functions.clear()
        _functions[pickled] = serialize.loads(pickled)
    return _functions[pickled]


def _exit_with_parent() -> None:
    parent = parent_process()

    def watchdog() -> None:
        """Exit this worker as soon as its parent has exited, whatever it is doing."""
        wait([parent.sentinel])
        os._exit(1)

    threading.Thread(target=watchdog, name="minimp-worker-watchdog", daemon=True).start()
