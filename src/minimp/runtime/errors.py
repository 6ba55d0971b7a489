"""The exceptions minimp raises, named as in `multiprocessing`.

Code that catches `multiprocessing.TimeoutError` or `multiprocessing.BufferTooShort`
catches minimp's, too, once it has done `import minimp as multiprocessing`.

Read next: `runtime/extras.py`, what minimp runs that the standard library would refuse.
"""

__all__ = ["ProcessError", "BufferTooShort", "TimeoutError", "AuthenticationError", "RemoteError", "ManagerGoneError", "LockOwnerDiedError",
           "RemoteTraceback", "TaskExitError", "WorkerDiedError", "WorkerStartError", "PoolTerminatedError",
           "CallCancelledError"]


class ProcessError(Exception):
    """Base class of minimp's own errors."""


class BufferTooShort(ProcessError):
    """`Connection.recv_bytes_into` got a buffer too small; the whole message is in `args[0]`."""


class TimeoutError(ProcessError):  # noqa: A001 - the name mirrors multiprocessing
    """A result did not arrive in time (`AsyncResult.get(timeout)`)."""


class AuthenticationError(ProcessError):
    """A connection to a manager did not prove that it knows the authkey, or the manager did not (listener.py)."""


class LockOwnerDiedError(ProcessError):
    """The process that held a Lock or an RLock (or a Queue's lock) died holding it; `pid` and `name`
    say which. The data it guarded may be half-written (runtime/owners.py: a *robust* lock)."""

    def __init__(self, message: str, pid: int = 0, name: str = ""):
        super().__init__(message)
        self.pid, self.name = pid, name

    def __reduce__(self):
        return type(self), (self.args[0], self.pid, self.name)


class RemoteTraceback(Exception):
    """The traceback of an exception raised in a pool's worker or a manager's process, as text: the
    `__cause__` of the exception re-raised in the caller, who sees where it happened, as with
    `multiprocessing.pool`. The text is `tb`, as there."""

    def __init__(self, tb: str):
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return self.tb


# -- managers (runtime/basemanager.py, runtime/server.py) --------------------------------

class RemoteError(ProcessError):
    """A manager could not do what a proxy asked: a method that is not exposed, an object it no
    longer holds. (An exception raised by the method itself reaches the caller as itself.)"""


class ManagerGoneError(ProcessError, ConnectionError):
    """The manager process that holds a proxy's object has shut down or died: its objects are gone.
    A ConnectionError too, as what the standard library raises then (EOFError aside) mostly is."""


# -- pools (pools/pool.py, pools/worker.py) --------------------------------------------

class TaskExitError(ProcessError):
    """A task raised SystemExit, KeyboardInterrupt or another BaseException, or an exception that
    could not be sent back. The worker keeps running; the task fails with this error, which says
    what was raised (the standard library's Pool hangs instead)."""


class WorkerDiedError(ProcessError):
    """A worker died (killed, crashed, `os._exit`): only its tasks fail, and the pool starts a new worker."""


class WorkerStartError(ProcessError):
    """A worker failed to start (its initializer raised, or it died first); the pool stops: more would fail alike."""


class PoolTerminatedError(ProcessError):
    """The pool was terminated (terminate(), a `with` block's end) before the task finished."""


class CallCancelledError(ProcessError):
    """The call was cancelled before the task finished: its caller was interrupted (Ctrl-C) while waiting."""
