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

import reprlib
import signal
import traceback

from ..runtime import serialize
from ..runtime.errors import RemoteTraceback, TaskExitError, WorkerStartError
from .chunks import GROUP

__all__ = ["sendable", "send_outcomes", "received", "remote_error", "with_message", "how_it_died", "crashed_task",
           "task_name", "unreadable_job", "unreadable_results", "failed_to_start"]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def sendable(error: BaseException, by_a_task: bool = True) -> tuple[BaseException, str]:
    """`error`, ready to travel to the parent, and its traceback as text; an
    error that cannot make the trip is replaced by one that describes it.
    (`by_a_task` False: an initializer's, whose SystemExit the pool reports as such.)"""
    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    if by_a_task and not isinstance(error, Exception):
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


def send_outcomes(results: Any, done: Any) -> None:
    """Send `done` (as a plain tuple: worker.py's docstring); a return value that cannot be pickled fails its task only."""
    try:
        results.send(tuple(done))
        return
    except Exception:
        pass  # find the culprits, one result at a time
    for position, result in enumerate(done.results):
        try:
            serialize.dumps(result)
        except Exception as error:
            done.results[position] = None
            unsent = with_message(error, f"its result could not be pickled: {error}")
            unsent.minimp_unsent = True  # the parent names the task (received()); an attribute travels too
            done.failures[position] = sendable(unsent)
    results.send(tuple(done))


def received(job: Any, failures: dict) -> dict:
    """The failures a worker sent for `job`, as the caller will see them: each with its
    traceback attached, and a result that could not be sent back named as the learner wrote it."""
    failures = {position: remote_error(*failure) for position, failure in failures.items()}
    for position, error in failures.items():
        if getattr(error, "minimp_unsent", False):
            error.args = (f"{task_name(job, position)}: {error}",)
    return failures


def remote_error(error: BaseException, text: str) -> BaseException:
    """`error` as the worker sent it, with its traceback (`text`) as its cause."""
    error.__cause__ = RemoteTraceback(f'\n"""\n{text}"""')
    return error


def unreadable_job(job: Any, error: BaseException, text: str) -> BaseException:
    """The worker could not unpickle a job: a module it cannot import, an argument that breaks on loading."""
    tasks = "task" if job.size == 1 else "tasks"
    why = f"the worker could not unpickle the {tasks} of {job.call.label} (function or arguments): {error}"
    return remote_error(with_message(error, why), text)


def unreadable_results(job: Any, error: Exception) -> Exception:
    """We could not unpickle the results a worker sent for `job`."""
    return with_message(error, f"the results of {job.call.name} could not be unpickled in the parent: {error}")


def failed_to_start(worker: Any, error: BaseException, text: str) -> WorkerStartError:
    """A worker's initializer raised `error` (its traceback: `text`), or called sys.exit()."""
    what = (f"called sys.exit({error.code!r})" if isinstance(error, SystemExit)
            else f"raised {type(error).__name__}: {error}")
    start_error = WorkerStartError(f"worker {worker.index} (pid {worker.pid}) failed to start: its initializer {what}")
    start_error.__cause__ = remote_error(error, text)
    return start_error


_short = reprlib.Repr()  # an argument as an error shows it: a big array does not fill the screen
_short.maxstring, _short.maxother, _short.maxlist, _short.maxtuple = 40, 40, 4, 4


def task_name(job: Any, position: int) -> str:
    """A task of `job` named as the learner wrote it, not by the id only a trace shows:
    "item 3 of map(die_on3), argument 3", "apply_async(f), args (1, 2)"."""
    call, arguments = job.call, job.arguments[position] if job.arguments is not None else None
    if call.single:
        extra = f", kwargs {_short.repr(call.keywords)}" if call.keywords else ""
        return f"{call.label}, args {_short.repr(arguments)}{extra}"
    noun = "arguments" if call.star else "argument"
    return f"item {job.start + position} of {call.label}, {noun} {_short.repr(arguments)}"


def how_it_died(worker: Any) -> str:
    """'worker 0 (pid 4242) was killed by signal SIGKILL (exit code -9)', for the task it ran."""
    exitcode = worker.exitcode
    if exitcode is not None and exitcode < 0:
        how = f"was killed by signal {signal.Signals(-exitcode).name} (exit code {exitcode})"
    else:
        how = f"exited with exit code {exitcode}"
    return f"worker {worker.index} (pid {worker.pid}) {how}"


def crashed_task(running: int, job: Any) -> str:
    """Which task of `job` its worker was running when it died (`running`: the
    id the worker last wrote into shared memory, 0 if none)."""
    if running > 0 or job.size == 1:
        return task_name(job, running - job.first_task if running else 0)
    first, last = 0, job.size - 1  # untraced, a chunk runs in C (chunks.py): one of its tasks
    if running < 0:  # traced, tiny tasks run in groups: -running is the group's first task
        first = -running - job.first_task
        last = min(first + GROUP, job.size) - 1
    return f"one of items {job.start + first}-{job.start + last} of {job.call.label}"
