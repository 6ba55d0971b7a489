"""The exceptions minimp raises, named as in `multiprocessing`.

Code that catches `multiprocessing.TimeoutError` or
`multiprocessing.BufferTooShort` catches minimp's, too, once it has done
`import minimp as multiprocessing`.
"""

__all__ = ["ProcessError", "BufferTooShort", "TimeoutError", "AuthenticationError"]


class ProcessError(Exception):
    """Base class of minimp's own errors."""


class BufferTooShort(ProcessError):
    """`Connection.recv_bytes_into` was given a buffer too small for the message.

    The whole message is in `args[0]`, so nothing is lost.
    """


class TimeoutError(ProcessError):  # noqa: A001 - the name mirrors multiprocessing
    """A result did not arrive in time (`AsyncResult.get(timeout)`)."""


class AuthenticationError(ProcessError):
    """Kept for compatibility: minimp never authenticates, it has no sockets to guard."""
