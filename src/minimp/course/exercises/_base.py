"""What every checker shares: run the learner's code safely, and print one verdict.

See the package's docstring (exercises/__init__.py) for how a checker works.

Read next: the chapter modules beside this one (ch00.py, ch01.py, ...).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import multiprocessing
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from ...runtime import process
from ...runtime.connection import wait

TIMEOUT = 20.0  # seconds a learner's function may take before a checker gives up
PASS, FAIL = "✅ Correct — ", "❌ Not yet: "


# -- what every checker shares -------------------------------------------------


@dataclass
class Verdict:
    """The outcome of a check: passed or not, and what to tell the learner."""

    passed: bool
    message: str

    def __str__(self) -> str:
        return (PASS if self.passed else FAIL) + self.message


@dataclass
class LearnerRun:
    """What happened when a checker called the learner's function."""

    value: Any = None  # what the function returned
    error: BaseException | None = None  # what it raised instead
    timed_out: bool = False  # still running when the time limit was reached
    abandoned: bool = False  # still running even after its children were stopped
    left_running: list[str] = field(default_factory=list)  # children it left alive
    pools_left: int = 0  # minimp pools and executors it left running (the checker terminated them)
    pools_dropped: int = 0  # running Pools it let go of (minimp terminated them: pool.py's _dropped)


def _running_children() -> list:
    """The children of this process still running, minimp's and the standard library's."""
    return process.active_children() + multiprocessing.active_children()


def _dropped_pools() -> int:
    """How many running minimp Pools were garbage-collected, and so terminated, so far."""
    pool_module = sys.modules.get("minimp.pools.lifetime")
    return pool_module.dropped_running if pool_module is not None else 0


def _running_pools() -> list:
    """minimp's pools (an executor has one too) of this process that are not stopped yet."""
    pool_module = sys.modules.get("minimp.pools.lifetime")  # none if no pool was ever made
    return pool_module.running_loops() if pool_module is not None else []


def run_learner_code(function: Callable[[], Any], timeout: float) -> LearnerRun:
    """Call `function()` in a helper thread; stop it from hanging or leaking.

    Waits at most `timeout` seconds, then terminates every minimp pool made
    meanwhile and still running (a pool would replace the workers stopped
    below), then stops every child process started meanwhile that is still
    running. Stopping a child, or terminating its pool, also releases a
    learner's join() or get() that waits for it, so the helper thread can
    finish.
    """
    run = LearnerRun()
    if not callable(function):
        run.error = _NotAFunction(function)
        return run
    already_running = {id(p) for p in _running_children()}
    pools_before = _running_pools()  # held, so that their ids stay theirs
    known_pools = {id(pool) for pool in pools_before}
    dropped_before = _dropped_pools()

    def call() -> None:
        try:
            run.value = function()
        except BaseException as error:  # SystemExit too: it is a hint, not an exit
            run.error = error

    # The copied context is how ipykernel knows which cell the prints belong to.
    helper = threading.Thread(
        target=contextvars.copy_context().run, args=(call,), name="minimp-exercise", daemon=True
    )
    helper.start()
    try:
        helper.join(timeout)
        run.timed_out = helper.is_alive()
    finally:
        pools_left = [pool for pool in _running_pools() if id(pool) not in known_pools]
        run.pools_left = len(pools_left)
        run.pools_dropped = _dropped_pools() - dropped_before
        if run.pools_dropped:
            sys.modules["minimp.pools.lifetime"].wait_for_dropped(2.0)  # their workers go with them
        for pool in pools_left:
            pool.terminate()  # kills and collects its workers; fails what waits on it
        leftovers = [p for p in _running_children() if id(p) not in already_running]
        run.left_running = [p.name for p in leftovers]
        _stop(leftovers)
        helper.join(2.0)  # a learner's join() on a stopped child returns now
        run.abandoned = helper.is_alive()
        for p in leftovers:
            p.join(1.0)  # collect the exit codes, so that no zombie is left
    return run


def _stop(processes: list) -> None:
    """terminate() each process; kill() those still alive a second later."""
    for p in processes:
        p.terminate()
    # Wait on the sentinels rather than join(): the learner's thread may be
    # joining the same process, and two threads must not collect one child.
    deadline = time.monotonic() + 1.0
    alive = list(processes)
    while alive and time.monotonic() < deadline:
        ready = wait([p.sentinel for p in alive], timeout=deadline - time.monotonic())
        alive = [p for p in alive if p.sentinel not in ready]
    for p in alive:
        p.kill()


# A process of minimp's (ForkProcess, SpawnProcess) or of the standard library's:
# the classes whose start() and join() the checkers may record.
PROCESS_CLASSES = (process.Process, multiprocessing.process.BaseProcess)


@contextlib.contextmanager
def calls_recorded(methods: list[tuple[type, str]]) -> Iterator[list[str]]:
    """Record the name of each call of these methods while the block runs, in order.

    How a checker sees in which order the learner's code called start(),
    join() or get(), which the value it returns cannot show. Each method is
    wrapped on its class for the time of the block, so the calls of every
    thread of this process are recorded (in a notebook, nothing else starts,
    joins or reads meanwhile).
    """
    calls: list[str] = []

    def recording(name: str, method: Callable) -> Callable:
        @functools.wraps(method)
        def recorded(self, *args, **kwargs):
            calls.append(name)
            return method(self, *args, **kwargs)

        return recorded

    originals = [(cls, name, cls.__dict__[name]) for cls, name in methods]
    for cls, name, method in originals:
        setattr(cls, name, recording(name, method))
    try:
        yield calls
    finally:
        for cls, name, method in originals:
            setattr(cls, name, method)


def called_before_last(name: str, last: str, calls: list[str]) -> bool:
    """Did a call of `name` come before the last call of `last`? ("join" before
    the last "start": the processes were not all started before the first join.)"""
    lasts = [i for i, call in enumerate(calls) if call == last]
    return name in calls and bool(lasts) and calls.index(name) < lasts[-1]


class _NotAFunction(Exception):
    """The checker was given something else than the learner's function."""

    def __init__(self, given: Any):
        super().__init__(given)
        self.given = given


def error_hint(error: BaseException) -> str:
    """What to tell a learner whose function raised `error`."""
    if isinstance(error, _NotAFunction):
        return (
            f"pass your function itself to the checker, without calling it: "
            f"check(my_function), not check(my_function()). You passed "
            f"{error.given!r:.60} (of type {type(error.given).__name__})."
        )
    if isinstance(error, SystemExit):
        return (
            f"your function called sys.exit({error.code!r}) itself, in this process, "
            f"instead of in a child. Give the function to the Process without calling it: "
            f"target=sys.exit, args=({error.code!r},)"
        )
    return f"your function raised {type(error).__name__}: {error}"


def find_trouble(run: LearnerRun, timeout: float) -> Verdict | None:
    """A verdict if the function did not return a value in time, else None."""
    if run.timed_out:
        message = (
            f"your function was still running after {timeout:g} s, so the checker stopped "
            f"the processes it had started. Is a join() waiting for a process that does not "
            f"end by itself?"
        )
        if run.abandoned:
            message += " (It is still running in the background; restart the kernel to stop it.)"
        return Verdict(False, message)
    if run.error is not None:
        return Verdict(False, error_hint(run.error))
    return None


def left_running_note(run: LearnerRun) -> str:
    note = ""
    for count, who in ((run.pools_left, "the checker"), (run.pools_dropped, "minimp")):
        if count:
            pools = "a Pool" if count == 1 else f"{count} Pools"
            them = "it" if count == 1 else "them"
            when = " once nothing referred to it" if who == "minimp" and count == 1 else \
                " once nothing referred to them" if who == "minimp" else ""
            note += (
                f" (Your function left {pools} running; {who} terminated {them}{when}. Use "
                f"`with ctx.Pool(...) as pool:` (or `with ProcessPoolExecutor(...)`), which stops "
                f"the pool when the block ends, or call close() and join().)"
            )
    if run.left_running:
        them = "it" if len(run.left_running) == 1 else "them"
        note += (
            f" (Your function left {', '.join(run.left_running)} running; the checker "
            f"stopped {them}. join() every process you start.)"
        )
    return note


def report(verdict: Verdict) -> None:
    print(verdict)
