"""The checkers of chapter 9, The primer, corrected."""

from __future__ import annotations

import multiprocessing.queues
from typing import Any, Callable

from ...runtime import joinable, queues
from ._base import (
    PROCESS_CLASSES,
    TIMEOUT,
    Verdict,
    called_before_last,
    calls_recorded,
    left_running_note,
    report,
    run_learner_code,
    find_trouble,
)

__all__ = ["check_primer_exit_codes", "check_both_messages"]


# What each of the primer's programs exits with on the standard library, and why.
PRIMER_EXIT_CODES: dict[str, tuple[int, str]] = {
    "importing_the_module": (0, "importing a module and doing nothing else succeeds"),
    "creating_a_new_process": (0, "both children run and the main program ends normally"),
    "using_pool": (0, "Pool(processes=4).map(square, ...) works: only the primer's sentence about it is wrong"),
    "using_processpoolexecutor": (1, "multiprocessing has no ProcessPoolExecutor: an AttributeError, and an "
                                     "uncaught exception ends a program with exit code 1"),  # fmt: skip
    "using_pool_apply_async": (1, "the standard library's AsyncResult has no .id: AttributeError, exit code 1"),
    "using_pool_submit": (1, "multiprocessing.Pool has no submit(): AttributeError, exit code 1"),
    "sharing_data_between_processes": (0, "it runs and prints one message; the other stays in the queue, "
                                          "which is no error"),  # fmt: skip
    "exiting_a_process": (0, "join() waits for the children, which end by returning; the program ends normally"),
    "process_termination": (42, "exit(42) ends the main program with exit code 42"),
}


def check_primer_exit_codes(predictions: dict) -> None:
    """Chapter 9: the exit code of each of the primer's programs on the standard library."""
    report(_judge_primer_exit_codes(predictions))


def _judge_primer_exit_codes(predictions: Any) -> Verdict:
    if not isinstance(predictions, dict):
        return Verdict(False, f"give a dict of program name -> exit code, not {type(predictions).__name__}")
    missing = [name for name in PRIMER_EXIT_CODES if predictions.get(name, ...) is ...]
    if len(missing) == len(PRIMER_EXIT_CODES):
        return Verdict(False, "replace each ... with the exit code you expect, a number")
    if missing:
        return Verdict(False, f"no prediction yet for {', '.join(missing)}")
    wrong = [(name, predictions[name]) for name, (code, _) in PRIMER_EXIT_CODES.items() if predictions[name] != code]
    if predictions.get("process_termination") == 0 and ("process_termination", 0) in wrong:
        return Verdict(False, "process_termination: exit(42) does not end a child: it ends the main program, "
                              "and that program's exit code is 42.")  # fmt: skip
    if wrong:
        name, guess = wrong[0]
        more = f" ({len(wrong) - 1} more to look at)" if len(wrong) > 1 else ""
        return Verdict(False, f"{name}: not {guess!r}. Hint: {PRIMER_EXIT_CODES[name][1]}.{more}")
    failing = sorted(name for name, (code, _) in PRIMER_EXIT_CODES.items() if code == 1)
    return Verdict(True, f"all {len(PRIMER_EXIT_CODES)} right. Three programs use names the standard library "
                         f"does not have ({', '.join(failing)}); one ends the main program with 42.")  # fmt: skip


MESSAGE = "Worker has finished"
# Reading a message, and waiting for a worker: minimp's and the standard library's.
QUEUES = (queues.Queue, joinable.SimpleQueue, multiprocessing.queues.Queue, multiprocessing.queues.SimpleQueue)
GETS_AND_JOINS = [(cls, "get") for cls in QUEUES] + [(cls, "join") for cls in PROCESS_CLASSES]


def check_both_messages(function: Callable[[], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 9: `function()` runs the primer's two workers and returns both their
    messages, read before the workers are joined (the checker records the order
    of the get() and join() calls)."""
    with calls_recorded(GETS_AND_JOINS) as calls:
        run = run_learner_code(function, timeout)
    if run.timed_out:
        report(Verdict(False, f"your function did not return within {timeout:g} s. A get() with nothing left "
                               f"in the queue waits for ever: call get() once per message a worker put(), "
                               f"no more." + left_running_note(run)))  # fmt: skip
        return
    report(find_trouble(run, timeout) or _judge_both_messages(run.value, calls, left_running_note(run)))


def _judge_both_messages(value: Any, calls: list[str], note: str) -> Verdict:
    if value is None:
        return Verdict(False, "your function returned None. Did you forget the `return`?" + note)
    if isinstance(value, str):
        return Verdict(False, f"you returned one string, {value!r}: the primer's mistake. Two workers put two "
                              f"messages: get() twice, and return both in a list." + note)  # fmt: skip
    if not isinstance(value, (list, tuple)):
        return Verdict(False, f"return a list of the messages, not {type(value).__name__}" + note)
    if list(value) == [MESSAGE]:
        return Verdict(False, "one message: the primer's mistake. Each worker put() one message: get() two."
                       + note)  # fmt: skip
    if list(value) != [MESSAGE, MESSAGE]:
        return Verdict(False, f"expected [{MESSAGE!r}, {MESSAGE!r}], got {value!r:.120}" + note)
    if isinstance(value, tuple):
        return Verdict(False, f"both messages, but in a tuple, {value!r}: the exercise asks for a list. "
                              f"Return [first, second] (a tuple is not equal to a list: "
                              f"{tuple(value)!r} == {list(value)!r} is False)." + note)  # fmt: skip
    if called_before_last("join", "get", calls):
        return Verdict(False, "both messages, but you joined a worker before reading them all, as the primer does. "
                              "With the standard library, a child whose message is big cannot exit until the "
                              "message is read, and that join() waits for ever (chapter 3). get() every message "
                              "first, then join() the workers." + note)  # fmt: skip
    return Verdict(True, "both messages: one get() for each put(). (Read them before join() on the standard "
                         "library if the messages may be big: chapter 3.)" + note)  # fmt: skip
