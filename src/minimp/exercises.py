"""Exercises: the checkers that the chapters' notebooks call.

A chapter's exercise is two cells: a stub the learner edits, then a check::

    from minimp.exercises import check_terminated_exit_code
    check_terminated_exit_code(terminated_exit_code)

A checker receives the learner's function (or value), runs it, and *prints*
one verdict:

    ✅ Correct — <what the answer shows>
    ❌ Not yet: <what is wrong, and what to try>

It prints rather than raising AssertionError, so that the hint stays in the
notebook next to the stub, and so that nbval, which compares a notebook's
stored outputs with fresh ones, checks the hints as well as the solutions.

The learner's code can be wrong in ways that would spoil the notebook: a
join() on a child that never ends, a child left running. So a checker runs
the learner's function in a helper thread and waits at most `timeout`
seconds for it (`_run_learner_code`), then stops every child process that
the function left running, with terminate() and, if that is not enough,
kill(). The helper thread carries the cell's `contextvars` context, so what
the function prints still appears in the cell that called the checker.

Limits: a function stuck in a loop of its own (not waiting for a child)
cannot be stopped from outside; the checker reports it and leaves the
thread running in the background.

The checkers are grouped by chapter, in the order the chapters ask for them.

Read next: the notebooks; this module is where they come to check.
"""

from __future__ import annotations

import contextvars
import multiprocessing
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from . import process
from .connection import wait

__all__ = [
    "check_exit_code_predictions",
    "check_exit_codes_in_start_order",
    "check_terminated_exit_code",
]

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


def _running_children() -> list:
    """The children of this process still running, minimp's and the standard library's."""
    return process.active_children() + multiprocessing.active_children()


def _run_learner_code(function: Callable[[], Any], timeout: float) -> LearnerRun:
    """Call `function()` in a helper thread; stop it from hanging or leaking.

    Waits at most `timeout` seconds, then stops every child process started
    meanwhile that is still running. Stopping a child also releases a
    learner's join() that waits for it, so the helper thread can finish.
    """
    run = LearnerRun()
    if not callable(function):
        run.error = _NotAFunction(function)
        return run
    already_running = {id(p) for p in _running_children()}

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


class _NotAFunction(Exception):
    """The checker was given something else than the learner's function."""

    def __init__(self, given: Any):
        super().__init__(given)
        self.given = given


def _error_hint(error: BaseException) -> str:
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


def _trouble(run: LearnerRun, timeout: float) -> Verdict | None:
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
        return Verdict(False, _error_hint(run.error))
    return None


def _left_running_note(run: LearnerRun) -> str:
    if not run.left_running:
        return ""
    them = "it" if len(run.left_running) == 1 else "them"
    return (
        f" (Your function left {', '.join(run.left_running)} running; the checker "
        f"stopped {them}. join() every process you start.)"
    )


def _report(verdict: Verdict) -> None:
    print(verdict)


# -- Chapter 1: Processes ----------------------------------------------------------

# The cases of the "predict the exit code" quiz, with the right answer and a
# hint for a wrong one.
EXIT_CODE_CASES: dict[str, tuple[int | None, str]] = {
    "returns normally": (
        0,
        "a function that returns is a success, and a process that succeeds exits with 0",
    ),
    "calls sys.exit(3)": (
        3,
        "sys.exit(n) ends the child with exit code n, and the parent reads that n",
    ),
    "raises ValueError": (
        1,
        "any uncaught exception ends a child with exit code 1, after it prints its traceback",
    ),
    "terminate()": (
        -signal.SIGTERM,
        "terminate() sends the signal SIGTERM, number 15; "
        "a process killed by signal N has exit code -N",
    ),
    "kill()": (
        -signal.SIGKILL,
        "kill() sends the signal SIGKILL, number 9; a process killed by signal N has exit code -N",
    ),
    "still running": (
        None,
        "a running process has no exit code yet: exitcode is None until it has ended",
    ),
}


def check_exit_code_predictions(predictions: dict) -> None:
    """Chapter 1: compare predicted exit codes with what `Process.exitcode` reports.

    `predictions` maps each case of `EXIT_CODE_CASES` to the exit code the
    learner expects (an int, or None); `...` marks a case not answered yet.
    """
    _report(_judge_exit_code_predictions(predictions))


def _judge_exit_code_predictions(predictions: Any) -> Verdict:
    if not isinstance(predictions, dict):
        return Verdict(False, f"pass the dict of predictions, got {type(predictions).__name__}")
    missing = [case for case in EXIT_CODE_CASES if case not in predictions]
    if missing:
        return Verdict(False, f"the dict needs an entry for each case; missing: {', '.join(missing)}")
    unanswered = [case for case in EXIT_CODE_CASES if predictions[case] is ...]
    if len(unanswered) == len(EXIT_CODE_CASES):
        return Verdict(False, "replace each ... with the exit code you expect (a number, or None)")
    wrong = []
    for case, (expected, hint) in EXIT_CODE_CASES.items():
        predicted = predictions[case]
        if predicted is ...:
            wrong.append(f"  • {case!r}: not answered yet")
        elif predicted != expected or isinstance(predicted, bool):
            if expected is not None and predicted == -expected:
                hint = f"right number, wrong sign: {hint}"
            wrong.append(f"  • {case!r}: you said {predicted!r}; {hint}")
    if wrong:
        right = len(EXIT_CODE_CASES) - len(wrong)
        return Verdict(False, f"{right} of {len(EXIT_CODE_CASES)} right.\n" + "\n".join(wrong))
    return Verdict(
        True,
        f"all {len(EXIT_CODE_CASES)} predictions are right: 0 for success, n for sys.exit(n), "
        f"1 for an exception, -N for death by signal N, None while running.",
    )


def check_exit_codes_in_start_order(function: Callable[[], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 1: `function()` starts 3 processes that exit with 1, 2 and 3,
    and returns their exit codes in start order: [1, 2, 3]."""
    run = _run_learner_code(function, timeout)
    _report(_trouble(run, timeout) or _judge_exit_codes_in_start_order(run))


def _judge_exit_codes_in_start_order(run: LearnerRun) -> Verdict:
    codes = run.value
    note = _left_running_note(run)
    if codes is None:
        return Verdict(False, "your function returned None. Did you forget the `return`?" + note)
    if not isinstance(codes, (list, tuple)):
        return Verdict(False, f"return a list of exit codes, got {type(codes).__name__}: {codes!r}" + note)
    if len(codes) == 0:
        return Verdict(
            False,
            "your function returned an empty list. Start three processes, join them, "
            "and return their exit codes." + note,
        )
    if len(codes) != 3:
        return Verdict(False, f"expected 3 exit codes, one per process, got {len(codes)}: {codes!r}" + note)
    if list(codes) == [1, 2, 3]:
        return Verdict(
            True,
            "[1, 2, 3]: each child ended with sys.exit(n), and join() made sure each had "
            "ended before you read its exitcode." + note,
        )
    if None in codes:
        return Verdict(
            False,
            f"you got {list(codes)!r}. An exitcode of None means that process had not ended "
            f"when you read it: join() each process before reading its exitcode." + note,
        )
    if sorted(codes) == [1, 2, 3]:
        return Verdict(
            False,
            f"the right exit codes in the wrong order: {list(codes)!r}. Keep the processes "
            f"in a list in the order you start them, and read the exit codes in that order." + note,
        )
    if all(code == 0 for code in codes):
        return Verdict(
            False,
            "every child exited with 0, a normal return. Child number n should end with "
            "sys.exit(n)." + note,
        )
    if all(code == 1 for code in codes):
        return Verdict(
            False,
            "every child exited with 1, the exit code of a child that raised an exception: "
            "look for a traceback above. Child number n should end with sys.exit(n)." + note,
        )
    return Verdict(False, f"expected [1, 2, 3], got {list(codes)!r}." + note)


def check_terminated_exit_code(function: Callable[[], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 1: `function()` starts a process that sleeps, terminates it,
    and returns its exit code: -15, that is -signal.SIGTERM."""
    run = _run_learner_code(function, timeout)
    verdict = _trouble(run, timeout)
    if verdict is not None and run.timed_out:
        verdict.message += (
            " join() waits until the child ends, so join() before terminate() waits for "
            "the whole sleep: terminate first, then join."
        )
    _report(verdict or _judge_terminated_exit_code(run))


def _judge_terminated_exit_code(run: LearnerRun) -> Verdict:
    code = run.value
    note = _left_running_note(run)
    if code == -signal.SIGTERM:
        return Verdict(
            True,
            "-15 is -signal.SIGTERM: terminate() sent SIGTERM (signal 15), the child died "
            "of it, and join() collected its exit code." + note,
        )
    if code is None:
        return Verdict(
            False,
            "the exit code is None, so the process had not ended when you read it: it was "
            "never started, or it was still dying. terminate() only sends a signal, it does "
            "not wait: start() the process, terminate() it, join() it, then read "
            "exitcode." + note,
        )
    if code == -signal.SIGKILL:
        return Verdict(
            False,
            "-9 is -signal.SIGKILL: that is what kill() gives. Use terminate(), "
            "which sends SIGTERM." + note,
        )
    if code == signal.SIGTERM:
        return Verdict(
            False,
            "right signal, wrong sign: a process killed by signal N reports exit code -N. "
            "Return the process's exitcode." + note,
        )
    if code == 0:
        return Verdict(
            False,
            "0 means the child finished its work normally. Terminate it while it is still "
            "sleeping: right after start()." + note,
        )
    if code == 1:
        return Verdict(
            False,
            "1 means the child raised an exception (look for its traceback above). Give it "
            "a target that sleeps, such as target=time.sleep, args=(60,)." + note,
        )
    if not isinstance(code, int):
        return Verdict(False, f"return the process's exitcode (an int), got {type(code).__name__}: {code!r}" + note)
    return Verdict(False, f"expected the exit code of a terminated process, got {code!r}." + note)
