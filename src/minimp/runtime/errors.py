"""The exceptions minimp raises, named as in `multiprocessing`.

Code that catches `multiprocessing.TimeoutError` or `multiprocessing.BufferTooShort`
catches minimp's, too, once it has done `import minimp as multiprocessing`.

Read next: `runtime/cpus.py`, how many workers a pool should start.
"""

__all__ = [
    "ProcessError", "BufferTooShort", "TimeoutError", "AuthenticationError",
    "RemoteTraceback", "TaskExitError", "WorkerDiedError", "WorkerStartError",
    "PoolTerminatedError",
]  # fmt: skip


class ProcessError(Exception):
    """Base class of minimp's own errors."""


class BufferTooShort(ProcessError):
    """`Connection.recv_bytes_into` was given a buffer too small for the message.
    The whole message is in `args[0]`, so nothing is lost."""


class TimeoutError(ProcessError):  # noqa: A001 - the name mirrors multiprocessing
    """A result did not arrive in time (`AsyncResult.get(timeout)`)."""


class AuthenticationError(ProcessError):
    """Kept for compatibility: minimp never authenticates, it has no sockets to guard."""


# -- pools (pools/pool.py, pools/worker.py) --------------------------------------------


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a worker, as text. A task's exception
    is re-raised in the caller with this as its `__cause__`, so the caller sees where
    it happened in the worker, as with `multiprocessing.pool`."""

    def __str__(self) -> str:
        return self.args[0]


class TaskExitError(ProcessError):
    """A task raised SystemExit, KeyboardInterrupt or another BaseException, or an
    exception that could not be sent back to the parent. The worker catches it and
    keeps running; the task fails with this error, which says what was raised (the
    standard library's Pool hangs instead)."""


class WorkerDiedError(ProcessError):
    """The worker running a task died (killed, crashed, `os._exit`). Only the tasks it
    was running fail; the pool starts a new worker."""


class WorkerStartError(ProcessError):
    """A worker failed while starting (its initializer raised, or it died before it
    was ready). The pool stops: starting more would fail the same way."""


class PoolTerminatedError(ProcessError):
    """The pool was terminated (terminate(), the end of a `with` block, an interrupt)
    before the task finished."""
