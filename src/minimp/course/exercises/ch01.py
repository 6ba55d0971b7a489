"""The checkers of chapter 1, Processes."""

from __future__ import annotations

import signal
from typing import Any, Callable

from ._base import (
    PROCESS_CLASSES,
    LearnerRun,
    TIMEOUT,
    Verdict,
    called_before_last,
    calls_recorded,
    left_running_note,
    report,
    run_learner_code,
    find_trouble,
)

__all__ = ["check_exit_code_predictions", "check_exit_codes_in_start_order", "check_terminated_exit_code"]


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
    report(_judge_exit_code_predictions(predictions))


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
            if isinstance(predicted, str):
                hint = f"{predicted!r} is a string, not a number: write it without quotes. {hint}"
            elif expected is not None and predicted == -expected:
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


STARTS_AND_JOINS = [(cls, name) for cls in PROCESS_CLASSES for name in ("start", "join")]


def check_exit_codes_in_start_order(function: Callable[[], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 1: `function()` starts 3 processes that exit with 1, 2 and 3,
    and returns their exit codes in start order: [1, 2, 3].

    All three must be started before any is joined, so that they run at the
    same time: the checker records the order of the start() and join() calls.
    """
    with calls_recorded(STARTS_AND_JOINS) as calls:
        run = run_learner_code(function, timeout)
    report(find_trouble(run, timeout) or _judge_exit_codes_in_start_order(run, calls))


def _judge_exit_codes_in_start_order(run: LearnerRun, calls: list[str]) -> Verdict:
    codes = run.value
    note = left_running_note(run)
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
    if list(codes) == [1, 2, 3] and called_before_last("join", "start", calls):
        return Verdict(
            False,
            "[1, 2, 3], but not all at the same time: you joined a process before starting the "
            "last one, so that one started only after the joined one had ended. Start all three "
            "first, then join them: one loop of start(), then one loop of join()." + note,
        )
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
    run = run_learner_code(function, timeout)
    verdict = find_trouble(run, timeout)
    if verdict is not None and run.timed_out:
        verdict.message += (
            " join() waits until the child ends, so join() before terminate() waits for "
            "the whole sleep: terminate first, then join."
        )
    report(verdict or _judge_terminated_exit_code(run))


def _judge_terminated_exit_code(run: LearnerRun) -> Verdict:
    code = run.value
    note = left_running_note(run)
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
    if isinstance(code, str):
        return Verdict(False, f"you returned the string {code!r}, not a number: exitcode is an int. "
                              "Return p.exitcode itself, not a text made of it." + note)
    if not isinstance(code, int):
        return Verdict(False, f"return the process's exitcode (an int), got {type(code).__name__}: {code!r}" + note)
    return Verdict(False, f"expected the exit code of a terminated process, got {code!r}." + note)
