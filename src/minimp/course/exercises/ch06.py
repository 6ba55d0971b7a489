"""The checkers of chapter 6, Results and futures."""

from __future__ import annotations

import concurrent.futures as concurrent_futures
import math
import multiprocessing
import time
from typing import Any, Callable

from ... import tracing
from ...runtime import errors
from . import predict
from ._base import LearnerRun, TIMEOUT, Verdict, error_hint, left_running_note, report, run_learner_code, find_trouble

__all__ = ["check_answer_or_late", "check_outcomes", "check_done_prediction"]


ANSWER = 42  # what the notebook's slow_answer(delay) returns after sleeping `delay` seconds
QUICK, SLOW = 0.1, 3.0  # the delays the checker asks for


def check_answer_or_late(function: Callable[[float], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 6: `function(delay)` runs `slow_answer(delay)` in a pool with
    apply_async and returns its result if it comes within 1 second, else "late".

    The checker calls it twice: with a quick delay (it must return 42) and
    with a slow one (it must return "late", without waiting for the answer).
    """

    def both() -> list:
        outcomes = []
        for delay in (QUICK, SLOW):
            began = time.monotonic()
            outcomes.append((function(delay), time.monotonic() - began))
        return outcomes

    run = run_learner_code(both, timeout)
    if run.error is not None and not run.timed_out:
        if isinstance(run.error, (errors.TimeoutError, multiprocessing.TimeoutError)):
            message = (
                f"your function raised {type(run.error).__module__}.TimeoutError: {run.error}. "
                f"A pool's get(timeout) raises multiprocessing.TimeoutError (mp.TimeoutError in "
                f"minimp), which is not the built-in TimeoutError: catch it with "
                f"`except mp.TimeoutError:`."
            )
        else:
            message = error_hint(run.error)
        report(Verdict(False, message + left_running_note(run)))
        return
    report(find_trouble(run, timeout) or _judge_answer_or_late(run))


def _judge_answer_or_late(run: LearnerRun) -> Verdict:
    (quick, _), (slow, slow_took) = run.value
    note = left_running_note(run)
    for value in (quick, slow):
        if hasattr(value, "get") and hasattr(value, "ready"):
            return Verdict(
                False,
                f"your function returned the {type(value).__name__} itself. apply_async() returns "
                f"it at once; return what its get(timeout=1) gives, or \"late\"." + note,
            )
    if quick is None and slow is None:
        return Verdict(False, "your function returned None. Did you forget the `return`?" + note)
    if quick == ANSWER and slow == "late":
        return Verdict(
            True,
            f"the quick task answered {ANSWER} in time; for the slow one, get(timeout=1) gave up "
            f"after a second, and you said \"late\" without waiting the {SLOW:g} s." + note,
        )
    if quick == ANSWER and slow == ANSWER:
        return Verdict(
            False,
            f"for a task that takes {SLOW:g} s you waited {slow_took:.1f} s and returned its "
            f"answer. Wait at most 1 second: get(timeout=1) raises mp.TimeoutError when the "
            f"time is up; catch it and return \"late\"." + note,
        )
    if quick == "late":
        return Verdict(
            False,
            f"you said \"late\" even for a task that takes {QUICK:g} s. ready() answers at once, "
            f"it does not wait: use get(timeout=1), or wait(1) before ready()." + note,
        )
    return Verdict(
        False,
        f"expected {ANSWER} for the quick task and \"late\" for the slow one, got {quick!r} "
        f"and {slow!r}." + note,
    )


OUTCOMES_INPUT = [4, -1, 9, 0.25]  # math.sqrt(-1) raises ValueError: math domain error
LATE = 0.5  # seconds the first number takes to reach its worker


class _LateInt(int):
    """An int that reaches a worker `LATE` seconds late: unpickling it sleeps first.

    The checker's first number is one, so that its call, submitted first,
    ends after the others: an answer gathered in the order the calls ended
    (as_completed) is then out of order. In the worker it is a plain int.
    """

    def __reduce__(self) -> tuple:
        return _arrive_late, (int(self), LATE)


def _arrive_late(number: int, delay: float) -> int:
    time.sleep(delay)
    return number


def check_outcomes(function: Callable[[list], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 6: `function(numbers)` submits math.sqrt(x) for each number to an
    executor and returns, in the order of the numbers, each call's result, or
    the exception it raised: [2.0, ValueError('math domain error'), 3.0, 0.5]."""
    first, *others = OUTCOMES_INPUT
    run = run_learner_code(lambda: function([_LateInt(first), *others]), timeout)
    if run.error is not None and not run.timed_out and isinstance(run.error, ValueError):
        report(
            Verdict(
                False,
                f"your function raised ValueError: {run.error}. That is the error of sqrt(-1): "
                f"future.result() raises the call's exception again, here, and so does "
                f"executor.map(). Catch it (try/except around result()), or ask "
                f"future.exception(), which returns it (None if the call succeeded)."
                + left_running_note(run),
            )
        )
        return
    report(find_trouble(run, timeout) or _judge_outcomes(run))


def _judge_outcomes(run: LearnerRun) -> Verdict:
    value = run.value
    note = left_running_note(run)
    failing = OUTCOMES_INPUT.index(-1)
    if value is None:
        return Verdict(False, "your function returned None. Did you forget the `return`?" + note)
    if not isinstance(value, (list, tuple)):
        return Verdict(False, f"return a list, got {type(value).__name__}: {value!r:.80}" + note)
    value = list(value)
    if any(isinstance(v, concurrent_futures.Future) for v in value):
        return Verdict(
            False,
            "your list holds the futures themselves; return what became of each call: "
            "future.result(), or the exception it raised." + note,
        )
    if len(value) != len(OUTCOMES_INPUT):
        return Verdict(
            False, f"expected {len(OUTCOMES_INPUT)} outcomes, one per number, got {len(value)}: {value!r}" + note
        )
    results = [v for i, v in enumerate(value) if i != failing]
    error = value[failing]
    expected_results = [math.sqrt(x) for i, x in enumerate(OUTCOMES_INPUT) if i != failing]
    if isinstance(error, ValueError) and results == expected_results:
        where = ""
        if type(error.__cause__).__name__ in ("RemoteTraceback", "_RemoteTraceback"):  # minimp's, the stdlib's
            where = " Its __cause__ holds the worker's traceback."
        return Verdict(
            True,
            f"{value!r}: each future gave its result, and the failed one its exception, "
            f"ValueError('{error}'), raised in the worker and sent back.{where}" + note,
        )
    raised = [v for v in value if isinstance(v, ValueError)]
    returned = [v for v in value if not isinstance(v, BaseException)]
    if len(raised) == 1 and sorted(returned) == sorted(expected_results):
        return Verdict(
            False,
            f"the right outcomes in another order: {value!r}. as_completed() yields futures as "
            f"they finish; keep your list of futures in the order you submitted them and go "
            f"through that." + note,
        )
    if results == expected_results and error is None:
        return Verdict(
            False,
            "for -1 you put None. Put the exception itself there: future.exception() returns "
            "it." + note,
        )
    if results == expected_results:
        return Verdict(
            False,
            f"for -1 you put {error!r}; put the exception object itself there (the one "
            f"future.exception() returns, or the one you catch)." + note,
        )
    return Verdict(False, f"got {value!r}; expected [2.0, ValueError('math domain error'), 3.0, 0.5]." + note)


# -- Predict, then run: which future is done first ----------------------------------------------

NAPS = {"A": 1.0, "B": 0.2, "C": 0.4, "D": 0.2}  # each task's seconds, in the order they are submitted
DONE_PREDICTION = {name: f"when {name} is done, in seconds after the submits" for name in NAPS}


def nap(task: tuple[str, float]) -> str:
    """Sleep for the task's seconds, then return its name (the chapter's nap)."""
    name, seconds = task
    time.sleep(seconds)
    return name


def four_naps(executor: Any) -> list[str]:
    """Submit the naps A, B, C, D, in that order; return their names in the order as_completed gives them."""
    futures = [executor.submit(nap, task) for task in NAPS.items()]
    return [future.result() for future in concurrent_futures.as_completed(futures)]


def check_done_prediction(prediction: Any, timeout: float = TIMEOUT) -> Any:
    """Chapter 6, predict then run: when each future of four_naps is done, on an executor of 2
    workers. Runs it, prints the verdict, and returns the picture (predict.Picture)."""
    problem = predict.check_keys(prediction, DONE_PREDICTION) or next(
        (wrong for name in NAPS if (wrong := predict.seconds(prediction[name], name))), None)  # fmt: skip
    ran = predict.run_scenario(problem, _run_four_naps, timeout)
    if ran is None:
        return None
    order, trace = ran
    from ...views.layout import layout

    origin = layout(trace).origin
    records = {_name_of(record): record for record in trace.tasks}
    done = {name: records[name].finished - origin for name in NAPS}
    started = {name: records[name].started - origin for name in NAPS}
    report(_judge_done_prediction(prediction, order, done, started))
    boxes = [predict.Planned(records[name].pid, max(0.0, prediction[name] - NAPS[name]), prediction[name], name)
             for name in NAPS]  # fmt: skip
    return predict.draw([("four_naps(executor) on 2 workers: A, B, C, D submitted at once", trace, boxes, None)],
                        name=_name_of)


def _run_four_naps() -> tuple[list[str], tracing.Trace]:
    executor = predict.warm_executor(2, _warm_up)  # each worker has imported this module: nap is ready to run
    try:
        with tracing.trace() as trace:
            order = four_naps(executor)
    finally:
        executor.shutdown()
    return order, trace


def _warm_up(seconds: float) -> str:
    return nap(("warm-up", seconds))


def _name_of(record: tracing.TaskRecord) -> str:
    return record.args.split("'")[1]  # its args read "(('A', 1.0),)"


def _judge_done_prediction(prediction: dict, order: list[str], done: dict, started: dict) -> Verdict:
    wrong = []
    for name, seconds in NAPS.items():
        if predict.near(prediction[name], done[name]):
            continue
        if started[name] > 0.05:
            why = f"it waited for a free worker until {started[name]:.2f} s, then ran its {seconds:g} s"
        else:
            why = f"it started at once, on an idle worker, and ran its {seconds:g} s"
        wrong.append(f"you expected {name} done at {prediction[name]:.2f} s; it was done at {done[name]:.2f} s: {why}")
    yours = sorted(NAPS, key=lambda name: prediction[name])  # (equal times: in the order submitted)
    if yours != order:
        wrong.append(f"as_completed gave {', '.join(order)}, the order they were done in; your times give "
                     f"{', '.join(yours)}")  # fmt: skip
    if wrong:
        return Verdict(False, predict.differences(wrong))
    late = [name for name in NAPS if started[name] > 0.05]
    return Verdict(
        True,
        f"as_completed gave {', '.join(order)}: each future once it is done. With 2 workers, "
        f"{' and '.join(late)} waited for a free one; {late[-1]}, as short as it is, started only at "
        f"{started[late[-1]]:.2f} s. executor.map would give {', '.join(NAPS)}, the order submitted: "
        f"nothing until A is done, at {done['A']:.2f} s.",
    )
