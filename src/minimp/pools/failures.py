"""Failures: how a task's exception travels from a worker to the caller.

In the worker, `sendable()` makes the exception fit for the trip: itself without
its frames, and its traceback as text. In the parent, `remote_error()` attaches
that text as its `__cause__` (a RemoteTraceback), as `multiprocessing.pool` does,
so the caller sees where it happened in the worker::

    worker: f(x) raises ValueError ─▶ sendable() ─▶ (ValueError('...'), "Traceback ...") in a Done
    parent: remote_error(*failure) ─▶ ValueError('...') with __cause__ = RemoteTraceback("Traceback ...")
    caller: result.get() raises it

An exception that would end the worker (SystemExit, KeyboardInterrupt), or
one that cannot be pickled and rebuilt, is replaced by a TaskExitError that
says what happened: a task cannot end its worker, and nothing is lost.

Read next: `pools/results.py`, where the outcomes end up.
"""

from __future__ import annotations

import signal
import traceback

from ..runtime import serialize
from ..runtime.errors import RemoteTraceback, TaskExitError

__all__ = ["sendable", "send_outcomes", "remote_error", "with_message", "how_it_died", "crashed_task"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def sendable(error: BaseException) -> tuple[BaseException, str]:
    """`error`, ready to travel to the parent, and its traceback as text; an
    error that cannot make the trip is replaced by one that describes it."""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    if not isinstance(error, Exception):
        error = TaskExitError(f"the task raised {error!r}, which would have ended its worker; "
                              "a task cannot exit a pool's worker (raise an Exception instead)")
    try:
        # Some exceptions pickle but cannot be rebuilt (an __init__ with extra
        # required arguments): try the round trip here, where we can say why.
        serialize.loads(serialize.dumps(error))
    except Exception as why:
        error = TaskExitError(f"the task raised {type(error).__name__}: {error}, which could not be "
                              f"sent back to the parent ({type(why).__name__}: {why})")
    return error.with_traceback(None), text  # its frames are in the text


def with_message(error: Exception, message: str) -> Exception:
    """An exception of the same type as `error` with a clearer message, if it can be made."""
    try:
        return type(error)(message)
    except Exception:
        return TypeError(message)


def send_outcomes(results: Any, done: Any, first_task: int) -> None:
    """Send `done`; a return value that cannot be pickled fails its task only."""
    try:
        results.send(done)
        return
    except Exception:
        pass  # find the culprits, one result at a time
    for position, result in enumerate(done.results):
        try:
            serialize.dumps(result)
        except Exception as error:
            reason = f"the result of task {first_task + position} could not be pickled: {error}"
            done.results[position] = None
            done.failures[position] = sendable(with_message(error, reason))
    results.send(done)


def remote_error(error: BaseException, text: str) -> BaseException:
    """`error` as the worker sent it, with its traceback (`text`) as its cause."""
    error.__cause__ = RemoteTraceback(f'\n"""\n{text}"""')
    return error


def how_it_died(worker: Any) -> str:
    """'worker 0 (pid 4242) was killed by signal SIGKILL (exit code -9)', for the task it ran."""
    exitcode = worker.process.exitcode
    if exitcode is not None and exitcode < 0:
        how = f"was killed by signal {signal.Signals(-exitcode).name} (exit code {exitcode})"
    else:
        how = f"exited with exit code {exitcode}"
    return f"worker {worker.index} (pid {worker.pid}) {how}"


def crashed_task(running: int, job: Any) -> str:
    """Which task of `job` its worker was running when it died (`running`: the
    id the worker last wrote into shared memory, 0 if none)."""
    if running:
        return f"task {running} ({job.call.name})"
    last = job.first_task + job.size - 1  # a chunk run by map() in C (worker.py): one of its tasks
    return f"one of tasks {job.first_task}-{last} ({job.call.name})"
