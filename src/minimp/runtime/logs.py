"""Logging: what minimp says it is doing, once you ask it to (`log_to_stderr()`).

    >>> minimp.log_to_stderr(logging.INFO)
    >>> p = minimp.Process(target=work, name="Worker-A"); p.start(); p.join()
    [INFO/Worker-A] child process calling self.run()
    [INFO/Worker-A] process shutting down
    [INFO/Worker-A] process exiting with exitcode 0

As in `multiprocessing.util`: one logger (`get_logger()`), silent until you configure
it (no handler, `propagate = False`), which minimp feeds at the standard library's
points, with its words, at its levels:

    ===========  ======  =====================================================
    level        number  what is logged there
    ===========  ======  =====================================================
    SUBDEBUG     5       a pool stopped at the program's end (pools/pool.py)
    DEBUG        10      a pool: added worker; closing, terminating, joining
                         pool. A worker: after how many tasks it exits
    INFO         20      a child: calling self.run(), shutting down, exiting
                         with exitcode N; each child a process stops as it exits
    SUBWARNING   25      (nothing: the standard library's resource sharer only)
    ===========  ======  =====================================================

Logging is off the fast path: until someone calls `get_logger()`, `logging` is not even
imported (it costs a spawned child about 6 ms), and each call below is one comparison.

Where minimp differs: its logger is named "minimp", not "multiprocessing". A program may
use both libraries (minimp's ProcessPoolExecutor imports the standard library's), and one
logger would mix their lines and handlers; `get_logger()` and `log_to_stderr()` work as
there, only `logging.getLogger("multiprocessing")` does not reach minimp. A second
`log_to_stderr()` adds no second handler (the standard library then prints each line
twice); the handler writes to whatever `sys.stderr` is now (a forked child's own,
output.py). `%(processName)s` is minimp's `current_process().name`, set on each record by
a filter on the logger: logging asks the standard library's multiprocessing, whose
current process, in a minimp child, is "MainProcess". Levels 5 and 25 print as "Level 5",
as there: neither library renames logging's levels for everyone.

Limits: a child started by spawn or forkserver inherits the stderr handler and the level
(`for_child`, sent with its Process), as in the standard library, not handlers you added;
a forked child inherits everything. Your own
loggers' `%(processName)s` is still logging's. Configure it from one thread.

Read next: `runtime/connection.py`, framed messages through a pipe.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # importing logging costs a child milliseconds: only the first get_logger() does
if TYPE_CHECKING:
    import logging

__all__ = ["get_logger", "log_to_stderr", "SUBDEBUG", "SUBWARNING"]

SUBDEBUG, DEBUG, INFO, SUBWARNING = 5, 10, 20, 25  # logging's, and the standard library's two in between
LOGGER_NAME = "minimp"
FORMAT = "[%(levelname)s/%(processName)s] %(message)s"  # the standard library's

_logger: logging.Logger | None = None  # made by the first get_logger(); None: nobody asked, nothing is logged
_stderr: logging.Handler | None = None  # log_to_stderr()'s handler, once made

# Whose line it is. family.py, which knows, replaces this (it logs, so it imports us, not we it).
process_name = lambda: "MainProcess"  # noqa: E731


def log(level: int, message: str, *args) -> None:
    """`message % args` to the logger, if there is one and it takes `level`."""
    if _logger is not None and _logger.isEnabledFor(level):
        _logger.log(level, message, *args)


def sub_debug(message: str, *args) -> None:
    log(SUBDEBUG, message, *args)


def debug(message: str, *args) -> None:
    log(DEBUG, message, *args)


def info(message: str, *args) -> None:
    log(INFO, message, *args)


def sub_warning(message: str, *args) -> None:
    log(SUBWARNING, message, *args)


def get_logger() -> logging.Logger:
    """minimp's logger, made on first use: no handler, not propagating, level NOTSET."""
    global _logger
    if _logger is None:
        import logging

        logger = logging.getLogger(LOGGER_NAME)
        logger.propagate = False  # as the standard library's: the root's handlers do not print our lines
        logger.addFilter(_name_the_process)
        _logger = logger
    return _logger


def log_to_stderr(level: int | str | None = None) -> logging.Logger:
    """Print minimp's log on stderr, `[LEVEL/process name] message`; set `level` if given
    (as there, 0 and None leave it); return the logger."""
    global _stderr
    logger = get_logger()
    if _stderr is None:
        import logging

        _stderr = logging.StreamHandler(_CurrentStderr())
        _stderr.setFormatter(logging.Formatter(FORMAT))
    logger.addHandler(_stderr)  # (a handler already there is not added again)
    if level:
        logger.setLevel(level)
    return logger


def _name_the_process(record: logging.LogRecord) -> bool:
    """The logger's filter: each line names the minimp process that wrote it."""
    record.processName = process_name()
    return True


class _CurrentStderr:
    """The stream of our handler: whatever `sys.stderr` is when a line is written. A forked
    child gets its own (output.py); the parent's object must not receive its lines."""

    name = "<stderr>"  # for the handler's repr

    def write(self, text: str) -> None:
        if sys.stderr is not None:
            sys.stderr.write(text)

    def flush(self) -> None:
        if sys.stderr is not None:
            sys.stderr.flush()


# -- a spawned child logs as its parent does: what start.py sends, and what the child does with it --

def for_child() -> dict:
    """What a spawned child needs to log as this process does; {} if nothing was configured."""
    if _logger is None:
        return {}
    return {"log_to_stderr": _stderr in _logger.handlers, "log_level": _logger.getEffectiveLevel()}


def in_child(settings: dict) -> None:
    """In a new spawned child, before it logs: the parent's `for_child()`."""
    if settings.get("log_to_stderr"):
        log_to_stderr()
    if "log_level" in settings:
        get_logger().setLevel(settings["log_level"])
