"""The checkers of chapter 3, Pipes and queues."""

from __future__ import annotations

from typing import Any, Callable

from ._base import LearnerRun, TIMEOUT, Verdict, error_hint, left_running_note, report, run_learner_code, find_trouble

__all__ = ["check_sum_from_child", "check_squares_by_workers"]


# -- Exercise 1: add up what a child sends, until the sentinel None ------------------

# The lists the checker gives the learner's function. The 0 catches a loop that
# stops at the first falsy message instead of at None; [] a child that sends
# nothing but the sentinel.
SUM_CASES = [[4, 8, 15, 16, 23, 42], [5, 0, 7], []]


def check_sum_from_child(function: Callable[[list], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 3: `function(numbers)` starts a child that sends each number on a
    pipe and then None (the notebook's `send_numbers`), receives until None,
    joins the child and returns the sum of what it received."""
    run = run_learner_code(lambda: [function(list(numbers)) for numbers in SUM_CASES], timeout)
    report(_judge_sum_from_child(run, timeout))


def _judge_sum_from_child(run: LearnerRun, timeout: float) -> Verdict:
    note = left_running_note(run)
    if run.timed_out:
        message = (
            f"your function was still running after {timeout:g} s. Is recv() waiting for a "
            f"message that never comes? After the sentinel None the child sends nothing more, "
            f"so stop the loop when you receive None. (And close this process's copy of the "
            f"sending end after start(): as long as it is open, recv() cannot even report the "
            f"end of the stream with EOFError, and waits for ever.)"
        )
        if run.abandoned:
            message += " (It is still running in the background; restart the kernel to stop it.)"
        return Verdict(False, message + note)
    error = run.error
    if isinstance(error, TypeError) and "NoneType" in str(error):
        return Verdict(
            False,
            f"your function raised TypeError: {error}. You added the sentinel None to the "
            f"total: test `if number is None: break` before adding the number." + note,
        )
    if isinstance(error, EOFError):
        return Verdict(
            False,
            "your function raised EOFError: recv() was called again after the sentinel None, "
            "and by then the child had ended and its end of the pipe was closed. Stop the loop "
            "when you receive None." + note,
        )
    trouble = find_trouble(run, timeout)
    if trouble is not None:
        return Verdict(False, trouble.message + note)
    answers = run.value
    expected = [sum(numbers) for numbers in SUM_CASES]
    if all(answer is None for answer in answers):
        return Verdict(False, "your function returned None. Did you forget the `return`?" + note)
    if answers == expected and not any(isinstance(a, bool) for a in answers):
        return Verdict(
            True,
            f"{answers!r} for {SUM_CASES!r}: you read until the sentinel None, a 0 did not stop "
            f"you, and a child that sent nothing but None gave 0." + note,
        )
    if any(isinstance(answer, (list, tuple)) for answer in answers):
        return Verdict(False, f"return the sum of the numbers, not a list of them: got {answers!r}." + note)
    first_only = [numbers[0] if numbers else None for numbers in SUM_CASES]
    if answers == first_only:
        return Verdict(
            False,
            f"you got {answers!r}: only the first message of each child. One recv() reads one "
            f"message; loop, adding each number, until you receive None." + note,
        )
    up_to_zero = [sum(numbers[: numbers.index(0)]) if 0 in numbers else sum(numbers) for numbers in SUM_CASES]
    if answers == up_to_zero:
        return Verdict(
            False,
            f"for {SUM_CASES[1]!r} you returned {answers[1]!r}: your loop stopped at the 0. "
            f"0 is falsy, like None, so `while number:` or `if not number:` stop there too. "
            f"Compare with None itself: `if number is None: break`." + note,
        )
    wrong = [
        f"  • for {numbers!r} you returned {answer!r}, expected {right!r}"
        for numbers, answer, right in zip(SUM_CASES, answers, expected)
        if answer != right
    ]
    return Verdict(False, f"{len(SUM_CASES) - len(wrong)} of {len(SUM_CASES)} right.\n" + "\n".join(wrong) + note)


# -- Exercise 2: squares from N workers that share a JoinableQueue -------------------

SQUARE_NUMBERS = list(range(1, 13))
SQUARE_WORKERS = 3


def check_squares_by_workers(function: Callable[[list, int], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 3: `function(numbers, workers)` starts `workers` processes running
    the notebook's `square_worker(tasks, results)`, gives them the numbers on a
    JoinableQueue, and returns {number: square}; when it returns, every worker
    has received its None and ended."""
    run = run_learner_code(lambda: function(list(SQUARE_NUMBERS), SQUARE_WORKERS), timeout)
    report(_judge_squares_by_workers(run, timeout))


def _workers_left_note(run: LearnerRun) -> str:
    """Like left_running_note, but counts the workers instead of naming them
    (their names depend on how many processes the notebook started before)."""
    if not run.left_running:
        return ""
    count = len(run.left_running)
    workers = "1 worker was" if count == 1 else f"{count} workers were"
    them = "it" if count == 1 else "them"
    return (
        f" {workers} still running when your function returned: a worker ends only when it "
        f"gets None, and otherwise waits in tasks.get() for ever (the checker stopped {them}). "
        f"After collecting the results, "
        f"put one None per worker on the task queue, then join() every worker."
    )


def _judge_squares_by_workers(run: LearnerRun, timeout: float) -> Verdict:
    expected = {number: number * number for number in SQUARE_NUMBERS}
    left = _workers_left_note(run)
    if run.timed_out:
        message = (
            f"your function was still running after {timeout:g} s, so the checker stopped the "
            f"processes it had started. Did you join() a worker before giving it its None? A "
            f"worker ends only when it gets None from the task queue: put one None per worker "
            f"first, then join them. (And tasks.join() waits until task_done() has been called "
            f"once for every put().)"
        )
        if run.abandoned:
            message += " (It is still running in the background; restart the kernel to stop it.)"
        return Verdict(False, message)
    if run.error is not None:
        return Verdict(False, error_hint(run.error) + left)
    value = run.value
    if value is None:
        return Verdict(False, "your function returned None. Did you forget the `return`?" + left)
    if isinstance(value, (list, tuple)):
        if all(isinstance(item, tuple) and len(item) == 2 for item in value):
            how = "a list of (number, square) pairs: make a dict of them, dict(pairs)"
        else:
            how = "a list: return a dict that maps each number to its square"
        return Verdict(False, f"your function returned {how}." + left)
    if not isinstance(value, dict):
        return Verdict(False, f"return a dict {{number: square}}, got {type(value).__name__}: {value!r:.80}" + left)
    if not value:
        return Verdict(
            False,
            "your function returned an empty dict. Wait with tasks.join() until the workers "
            "have done every task; then each result is in the results queue: take one with "
            "results.get() per number." + left,
        )
    if value != expected:
        missing = [number for number in SQUARE_NUMBERS if number not in value]
        if missing and all(value.get(number) == expected[number] for number in value):
            return Verdict(
                False,
                f"you got {len(value)} of the {len(SQUARE_NUMBERS)} squares; missing: {missing!r}. "
                f"Take exactly one result per number from the results queue, after tasks.join()." + left,
            )
        wrong = {number: square for number, square in value.items() if expected.get(number) != square}
        return Verdict(False, f"these entries are wrong: {wrong!r:.200}; expected {{number: number * number}}." + left)
    if run.left_running:
        return Verdict(False, f"the right squares, but the workers did not end:{left}")
    return Verdict(
        True,
        f"the squares of {SQUARE_NUMBERS[0]}..{SQUARE_NUMBERS[-1]} from {SQUARE_WORKERS} workers: "
        f"tasks.join() returned when every task was done, and each worker ended after its None."
        + left_running_note(run),
    )
