"""Lifetime: how a pool ends, whether or not you end it.

A pool ends in one of three ways, and each must stop its workers::

    you end it         close() + join(), terminate(), leaving `with`     pool.py
    you drop it        the last reference goes (a cell run again that     terminate_when_dropped()
                       makes a new pool): terminated, with a ResourceWarning
    the program ends   every pool still running is stopped                _stop_at_exit()

Dropping needs care, because the pool's own thread must not keep the pool
alive: it holds only the PoolLoop (loop.py), never the Pool, so a Pool that
nothing refers to is garbage even while its thread runs. A finalizer then
warns, as Python does for an unclosed file, naming the line that made the
pool, and asks the thread to terminate it. A result keeps its Pool alive
until its outcome is in (`kept`), as in the standard library, so
`Pool().map_async(f, xs).get()` still gets its answers. An executor dropped
without `shutdown()` finishes its work, then its workers exit, as
`concurrent.futures` does; it has no warning there, and none here.

Read next: `pools/events.py`, what a pool tells a trace.
"""

from __future__ import annotations

import os
import sys
import threading
import warnings
import weakref

from ..runtime import logs
from .loop import RUN

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from .loop import PoolLoop

__all__ = ["running", "stopped", "running_loops", "kept", "terminate_when_dropped", "close_when_dropped",
           "wait_for_dropped"]

_loops: weakref.WeakSet = weakref.WeakSet()  # the pools' and executors' threads, stopped at exit
_dropping: weakref.WeakSet = weakref.WeakSet()  # the threads of dropped pools, until they are done
dropped_running = 0  # how many running Pools were dropped, and so terminated; the exercises' checkers read it
_PACKAGE = os.path.dirname(os.path.dirname(__file__))


def running(loop: PoolLoop) -> PoolLoop:
    """Remember `loop` until it is stopped: the program's end stops it."""
    _loops.add(loop)
    return loop


def stopped(loop: PoolLoop) -> None:
    _loops.discard(loop)


def running_loops() -> list[PoolLoop]:
    """The pools' and executors' threads not stopped yet: the exercises' checkers stop what a learner left."""
    return list(_loops)


def kept(result: Any, pool: Any) -> Any:
    """`result` keeps `pool` alive until its outcome arrives (results.py lets go of it then)."""
    result._owner = pool
    return result


def terminate_when_dropped(pool: Any, loop: PoolLoop) -> None:
    """Once `pool` is garbage, if it still runs: warn, at the line that made it, and terminate it.
    (The finalizer holds a weak reference: what the loop holds may lead back to the pool.)"""
    weakref.finalize(pool, _pool_dropped, weakref.ref(loop), _created_at()).atexit = False


def close_when_dropped(executor: Any, loop: PoolLoop) -> None:
    """Once `executor` is garbage: let its work finish, then its workers exit."""
    weakref.finalize(executor, _executor_dropped, weakref.ref(loop)).atexit = False


def wait_for_dropped(timeout: float) -> None:
    """Wait until the threads of the pools dropped so far have stopped their workers (for the checkers)."""
    for loop in list(_dropping):
        if loop is not threading.current_thread():
            loop.join(timeout)


def _created_at() -> tuple[str, int]:
    """Where the caller's code made the pool: the file and line of the first frame outside minimp."""
    frame = sys._getframe(2)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
    return ("<unknown>", 0) if frame is None else (frame.f_code.co_filename, frame.f_lineno)


def _pool_dropped(loop_ref: weakref.ref, created_at: tuple[str, int]) -> None:
    global dropped_running
    loop = loop_ref()
    if loop is None or loop.state != RUN:  # closed or terminated already: nothing to stop
        return
    dropped_running += 1
    _dropping.add(loop)
    warnings.warn_explicit(f"unclosed running minimp.Pool created at {created_at[0]}:{created_at[1]}: "
                           "terminating it. Use `with minimp.Pool() as pool:`, or close() and join() it",
                           ResourceWarning, *created_at)
    stopped(loop)
    loop.drop("terminate")  # a finalizer runs wherever gc does: the pool's thread does the work


def _executor_dropped(loop_ref: weakref.ref) -> None:
    loop = loop_ref()
    if loop is not None:
        loop.drop("close")


def _stop_at_exit() -> None:
    for loop in list(_loops):
        logs.sub_debug("stopping %s at exit", loop.name)
        if loop.wait_at_exit:  # as concurrent.futures does: the program ends once the pending calls are done
            loop.close()
            loop.wait_closed()
        else:  # a Pool stops at once, as the standard library's does
            loop.terminate()


# When the program ends, stop the pools first: before process.py's exit handler
# stops the children (a pool whose workers died would start new ones) and before
# weakref's exit hook closes the pipes the threads wait on. threading's exit hooks
# run before any atexit handler; concurrent.futures uses the same (private) hook.
threading._register_atexit(_stop_at_exit)  # type: ignore[attr-defined]
