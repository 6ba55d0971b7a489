"""The checkers of chapter 7, When things go wrong."""

from __future__ import annotations

import concurrent.futures as concurrent_futures
import multiprocessing
import os
import signal
import time
from typing import Any, Callable

from ...runtime import errors
from ... import tracing
from . import predict
from ._base import TIMEOUT, LearnerRun, Verdict, error_hint, left_running_note, report, run_learner_code, find_trouble

__all__ = ["check_safe_results", "check_failure_predictions"]


# -- Exercise 1: every outcome in its place, even a task that hangs --------------------

# The notebook's risky(x) returns x * x, raises ValueError(f"negative number: {x}")
# for a negative x, and hangs (sleeps for a minute) for 0.
SAFE_INPUT = [3, -1, 0, 2, 5]
SAFE_WAIT = 2  # seconds the learner may wait for each result
SAFE_TIMEOUT = 12.0  # seconds the checker gives the whole function
SAFE_TOO_SLOW = 8.0  # a right list that took longer than this waited too long


def _timeout_types() -> tuple:
    """The TimeoutErrors a learner may rightly put in the place of the task that hangs:
    minimp's, the standard library's pool's, and the built-in one (futures)."""
    return (errors.TimeoutError, multiprocessing.TimeoutError, TimeoutError, concurrent_futures.TimeoutError)


def check_safe_results(function: Callable[[list], Any], timeout: float = SAFE_TIMEOUT) -> None:
    """Chapter 7: `function(numbers)` runs the notebook's `risky` on each number
    in a pool and returns, in order, each result or the exception its task
    raised, and a TimeoutError for the task that hangs, having waited at most
    SAFE_WAIT seconds for each result.

    For [3, -1, 0, 2, 5]: [9, ValueError('negative number: -1'), <a TimeoutError>, 4, 25].
    """

    def timed() -> tuple:
        began = time.monotonic()
        value = function(list(SAFE_INPUT))
        return value, time.monotonic() - began

    run = run_learner_code(timed if callable(function) else function, timeout)
    if run.timed_out:
        report(
            Verdict(
                False,
                f"your function was still running after {timeout:g} s, so the checker stopped its "
                f"pool. A get() without a timeout waits for ever for risky(0), the task that hangs "
                f"(and so do a pool's map(), close() + join(), and an executor's `with` block, which "
                f"waits for its tasks). Give each get() a timeout: result.get(timeout={SAFE_WAIT}); "
                f"then leave the `with ctx.Pool(2)` block, which terminates the pool and the "
                f"task that hangs." + left_running_note(run),
            )
        )
        return
    if run.error is not None:
        report(Verdict(False, _safe_error_hint(run.error) + left_running_note(run)))
        return
    report(find_trouble(run, timeout) or _judge_safe_results(run))


def _safe_error_hint(error: BaseException) -> str:
    if isinstance(error, ValueError) and "negative number" in str(error):
        return (
            f"your function raised ValueError: {error}. That is risky(-1)'s exception: get() "
            f"raises a task's exception again, here, in the caller. Put a try/except around each "
            f"get(), and append the exception object itself to the list (except Exception as "
            f"error: ... append(error))."
        )
    if isinstance(error, (errors.TimeoutError, multiprocessing.TimeoutError)):
        return (
            f"your function raised {type(error).__module__}.TimeoutError: {error}. That is the "
            f"get(timeout) of risky(0), the task that hangs. A pool's timeout is "
            f"multiprocessing.TimeoutError (mp.TimeoutError in minimp), not the built-in "
            f"TimeoutError: catch it too (or catch Exception), and append it to the list."
        )
    if isinstance(error, errors.PoolTerminatedError):
        return (
            f"your function raised PoolTerminatedError: {error}. Leaving a `with ctx.Pool(...)` "
            f"block terminates the pool: get every result inside the block."
        )
    return error_hint(error)


def _describe(value: Any) -> str:
    return repr(value) if not isinstance(value, BaseException) else f"{type(value).__name__}({str(value)!r})"


def _judge_safe_results(run: LearnerRun) -> Verdict:
    value, took = run.value
    note = left_running_note(run)
    negative, hanging = SAFE_INPUT.index(-1), SAFE_INPUT.index(0)
    if value is None:
        return Verdict(False, "your function returned None. Did you forget the `return`?" + note)
    if not isinstance(value, (list, tuple)):
        return Verdict(False, f"return a list, got {type(value).__name__}: {value!r:.80}" + note)
    value = list(value)
    shown = "[" + ", ".join(_describe(v) for v in value) + "]"
    if len(value) != len(SAFE_INPUT):
        return Verdict(
            False,
            f"expected {len(SAFE_INPUT)} outcomes, one per number of {SAFE_INPUT!r}, got "
            f"{len(value)}: {shown}." + note,
        )
    if any(hasattr(v, "get") and hasattr(v, "ready") for v in value):
        return Verdict(
            False,
            "your list holds AsyncResult objects, which apply_async() returns at once. Put what "
            "each one's get(timeout=...) returns in the list, or the exception it raises." + note,
        )
    timeout_types = _timeout_types()
    good = [x * x for x in SAFE_INPUT]
    if value[negative] is None or value[hanging] is None:
        return Verdict(
            False,
            f"{shown}: where a task failed you put None. Put the exception object itself in its "
            f"place (except Exception as error: outcomes.append(error)), so that the caller can "
            f"see what went wrong." + note,
        )
    if isinstance(value[negative], str) or isinstance(value[hanging], str):
        return Verdict(
            False,
            f"{shown}: you put text where a task failed. Put the exception object itself in the "
            f"list, not its message or its repr." + note,
        )
    late = [i for i, v in enumerate(value) if i != hanging and isinstance(v, timeout_types)]
    if late and isinstance(value[hanging], timeout_types):
        return Verdict(
            False,
            f"{shown}: not only risky(0) timed out. The task that hangs keeps its worker busy "
            f"for good: with a pool of 1 worker, nothing after it ever runs. And imap()'s "
            f"iterator gives the results in order: after a timeout, its next() waits for the same "
            f"task again. Use a pool of 2 workers (ctx.Pool(2)), an apply_async() per number, "
            f"and a get(timeout={SAFE_WAIT}) on each." + note,
        )
    right_order = (
        value[negative].__class__ is ValueError
        and isinstance(value[hanging], timeout_types)
        and all(value[i] == good[i] for i in range(len(SAFE_INPUT)) if i not in (negative, hanging))
    )
    if not right_order:
        squares = sorted(v for v in value if isinstance(v, int) and not isinstance(v, bool))
        expected_squares = sorted(good[i] for i in range(len(SAFE_INPUT)) if i not in (negative, hanging))
        if squares == expected_squares:
            return Verdict(
                False,
                f"{shown}: the right outcomes in another order. Keep the order of the numbers: "
                f"make the AsyncResults in that order, and ask each one for its result in turn "
                f"(as_completed() and imap_unordered() give them as they finish)." + note,
            )
        return Verdict(
            False,
            f"for {SAFE_INPUT!r}, expected [9, ValueError('negative number: -1'), a TimeoutError, "
            f"4, 25], got {shown}." + note,
        )
    if str(value[negative]) != "negative number: -1":
        return Verdict(
            False,
            f"in the place of -1 you put {_describe(value[negative])}; put the exception that "
            f"risky(-1) raised, ValueError('negative number: -1'), as get() gives it to you." + note,
        )
    if took > SAFE_TOO_SLOW:
        return Verdict(
            False,
            f"the right outcomes, but your function took {took:.0f} s. Wait at most "
            f"{SAFE_WAIT} seconds for each result: get(timeout={SAFE_WAIT})." + note,
        )
    return Verdict(
        True,
        f"{shown}: each result in its place, the exception of risky(-1) in its place (raised in "
        f"the worker, sent back, its traceback in __cause__), and a {type(value[hanging]).__name__} "
        f"for risky(0), which still hung when you stopped waiting. Leaving the `with` block "
        f"terminated the pool, and that task with it." + note,
    )


# -- Exercise 2: predict what happens -------------------------------------------------

# What the learner may answer, as the notebook lists them.
FAILURE_CHOICES = [
    "exit code 1", "ValueError", "WorkerDiedError", "PoolTerminatedError",
    "TimeoutError", "BrokenProcessPool", "waits for ever",
]  # fmt: skip

# Each scenario: the right answer, why, and hints for the usual wrong answers.
FAILURE_CASES: dict[str, tuple[str, str, dict[str, str]]] = {
    "a Process's target raises ValueError; the parent calls join()": (
        "exit code 1",
        "an exception in a Process stays in the child: the child prints its traceback and "
        "exits with exit code 1; join() returns as usual and raises nothing",
        {
            "ValueError": "join() does not raise the child's exception: only a pool sends "
            "exceptions back. The parent learns only the exit code, 1",
        },
    ),
    "a task of a minimp Pool raises ValueError; the caller calls get()": (
        "ValueError",
        "the worker catches the task's exception (run_job in worker.py), sends it back, and "
        "get() raises it again in the caller, with the worker's traceback as its __cause__",
        {
            "exit code 1": "a pool's worker does not die of a task's exception: run_job catches "
            "it and sends it back, and get() raises it in the caller",
            "WorkerDiedError": "the worker does not die of an exception: run_job catches it and "
            "sends it back, and get() raises it in the caller",
        },
    ),
    "the worker of a minimp Pool is killed (SIGKILL) while it runs the task; get()": (
        "WorkerDiedError",
        "the result loop sees the worker's sentinel fire, fails the task it was running with "
        "WorkerDiedError (pool.py, _worker_exited) and starts a new worker",
        {
            "waits for ever": "that is what the standard library's Pool does. minimp's result "
            "loop watches every worker's sentinel, and fails the dead worker's task",
            "BrokenProcessPool": "that is what an executor does. A minimp Pool fails only the "
            "task the worker was running, and goes on",
        },
    ),
    "a task of a multiprocessing.Pool calls os._exit(1); get(timeout=5)": (
        "TimeoutError",
        "the standard library's Pool replaces the worker but loses its task for ever "
        "(bpo-22393); get(timeout=5) gives up after 5 seconds with multiprocessing.TimeoutError",
        {
            "waits for ever": "the task is lost, and get() without a timeout would wait for "
            "ever; but this get() has timeout=5: it gives up after 5 seconds, and raises",
            "WorkerDiedError": "the standard library has no WorkerDiedError: its Pool starts a "
            "new worker and forgets the task. Here get() has a timeout",
            "exit code 1": "get() never sees an exit code: the pool replaced the worker and "
            "forgot its task. Here get() has a timeout",
        },
    ),
    "a minimp Pool is terminated while the task runs; get()": (
        "PoolTerminatedError",
        "terminate() kills the workers and fails every task not yet finished, running or "
        "queued, with PoolTerminatedError (pool.py, terminate and _fail_all)",
        {
            "waits for ever": "that is the standard library's terminate(): its results never "
            "become ready. minimp fails them",
            "WorkerDiedError": "the workers did die, but because the pool killed them: the "
            "tasks fail with the error that says so",
        },
    ),
}


def _normalized(answer: Any) -> str | None:
    """The choice `answer` means, or None if it is none of them."""
    if answer == 1 and not isinstance(answer, bool):
        return "exit code 1"
    if isinstance(answer, type) and issubclass(answer, BaseException):
        answer = answer.__name__
    if not isinstance(answer, str):
        return None
    text = answer.strip().rsplit(".", 1)[-1].lower().replace("_", " ")
    text = " ".join(text.split())
    synonyms = {"waits forever": "waits for ever", "hangs": "waits for ever", "exitcode 1": "exit code 1",
                "1": "exit code 1"}  # fmt: skip
    text = synonyms.get(text, text)
    for choice in FAILURE_CHOICES:
        if text == choice.lower():
            return choice
    return None


def check_failure_predictions(predictions: dict) -> None:
    """Chapter 7: for each scenario of FAILURE_CASES, predict what the parent
    sees, as one of FAILURE_CHOICES; `...` marks a scenario not answered yet."""
    report(_judge_failure_predictions(predictions))


def _judge_failure_predictions(predictions: Any) -> Verdict:
    if not isinstance(predictions, dict):
        return Verdict(False, f"pass the dict of predictions, got {type(predictions).__name__}")
    missing = [case for case in FAILURE_CASES if case not in predictions]
    if missing:
        return Verdict(False, "the dict needs an entry for each scenario; missing: " + "; ".join(missing))
    if all(predictions[case] is ... for case in FAILURE_CASES):
        return Verdict(False, "replace each ... with what you expect, one of: " + ", ".join(map(repr, FAILURE_CHOICES)))
    wrong = []
    for case, (expected, why, hints) in FAILURE_CASES.items():
        predicted = predictions[case]
        if predicted is ...:
            wrong.append(f"  • {case}: not answered yet")
            continue
        choice = _normalized(predicted)
        if choice is None:
            choices = ", ".join(map(repr, FAILURE_CHOICES))
            wrong.append(f"  • {case}: {predicted!r} is not one of the choices ({choices})")
        elif choice != expected:
            wrong.append(f"  • {case}: you said {choice!r}; {hints.get(choice, why)}")
    if wrong:
        right = len(FAILURE_CASES) - len(wrong)
        return Verdict(False, f"{right} of {len(FAILURE_CASES)} right.\n" + "\n".join(wrong))
    return Verdict(
        True,
        f"all {len(FAILURE_CASES)} right: a Process keeps its exception (exit code 1); a pool "
        f"sends it back (ValueError in get()); minimp fails the task of a dead worker "
        f"(WorkerDiedError) where the standard library loses it (only a timeout gets you out); "
        f"terminate() fails what was unfinished (PoolTerminatedError).",
    )


# -- Predict, then run (predict.py): which task fails, and how --------------------------------

__all__ += ["check_crash_prediction"]

# Six tasks in chunks of 2 on 2 workers: D's worker is killed, E sleeps a negative time.
CRASH_TASKS = [("A", 0.2), ("B", 0.2), ("C", 0.2), ("D", 0.2), ("E", -1), ("F", 0.2)]
CRASH_CHUNKSIZE = 2


def nap_or_die(task: tuple[str, float]) -> str:
    """The chapter's nap_or_die: sleep for the task's seconds and return its name; task D
    is killed, as by the out-of-memory killer. (time.sleep(-1) raises ValueError.)"""
    name, seconds = task
    time.sleep(seconds)
    if name == "D":
        os.kill(os.getpid(), signal.SIGKILL)
    return name


def check_crash_prediction(prediction: Any, timeout: float = TIMEOUT) -> Any:
    """Chapter 7, predict then run: for each task of CRASH_TASKS, run by
    `pool.imap(nap_or_die, tasks, chunksize=2)` on 2 workers, `prediction` says what
    next() gives: the task's name, or the name of the exception it raises. Runs it,
    prints the verdict, and returns the picture of both (predict.Picture)."""
    names = [name for name, _ in CRASH_TASKS]
    problem = predict.check_keys(prediction, {name: "the task's result, or the exception's name" for name in names})
    if problem is None:
        problem = next((f"replace the ... of {name!r} with {name!r} (its result) or the name of the exception "
                        f"next() raises for it" for name in names if prediction[name] is ...), None)  # fmt: skip
    run = predict.run_scenario(problem, _run_crash_tasks, timeout)
    if run is None:
        return None
    trace, outcomes = run
    said = {name: _outcome_name(prediction[name]) for name in names}
    report(_judge_crash_prediction(said, outcomes))
    from ...views.layout import layout

    spans = {}  # task id -> (pid, start, end) of its bar; a crashed chunk's tasks share one bar: split it
    bars = {bar.task: bar for bar in layout(trace).bars if bar.task is not None and bar.kind != "wait"}
    for record in trace.tasks:
        bar = bars[record.id]
        mates = [r for r in trace.tasks if bars[r.id][:3] == bar[:3]]  # same lane, start and end
        share = (bar.end - bar.start) / len(mates)
        place = sorted(r.index for r in mates).index(record.index)
        spans[record.index] = (record.pid, bar.start + place * share, bar.start + (place + 1) * share)
    boxes = [predict.Planned(pid, start, end, f"{names[index]}: {said[names[index]]}")
             for index, (pid, start, end) in sorted(spans.items())]  # fmt: skip
    return predict.draw([(f"pool.imap(nap_or_die, tasks, chunksize={CRASH_CHUNKSIZE}) on 2 workers", trace, boxes, None)])


def _run_crash_tasks() -> tuple:
    """The scenario, traced: each task's outcome as next() gives it (a name, or an exception's name)."""
    pool = predict.warm_pool(2, nap_or_die, ("warm-up", 0.15))
    try:
        outcomes = {}
        with tracing.trace() as trace:
            results = pool.imap(nap_or_die, CRASH_TASKS, chunksize=CRASH_CHUNKSIZE)
            for name, _ in CRASH_TASKS:
                try:
                    outcomes[name] = next(results)
                except Exception as error:
                    outcomes[name] = type(error).__name__
        return trace, outcomes
    finally:
        pool.terminate()
        pool.join()


def _outcome_name(said: Any) -> Any:
    """An answer as a name: an exception class, or text such as ' valueerror', becomes 'ValueError'."""
    if isinstance(said, type) and issubclass(said, BaseException):
        return said.__name__
    if isinstance(said, BaseException):
        return type(said).__name__
    if isinstance(said, str):
        known = {name.lower(): name for name in ("ValueError", "WorkerDiedError", "TimeoutError", "PoolTerminatedError")}
        return known.get(said.strip().lower(), said.strip())
    return said


def _judge_crash_prediction(said: dict, outcomes: dict) -> Verdict:
    names = [name for name, _ in CRASH_TASKS]
    chunk_of = {name: names[i - i % CRASH_CHUNKSIZE: i - i % CRASH_CHUNKSIZE + CRASH_CHUNKSIZE] for i, name in enumerate(names)}
    why = {
        "WorkerDiedError": lambda name: (
            "its worker was killed while it ran D" if name == "D" else
            f"it travelled in one chunk with {', '.join(n for n in chunk_of[name] if n != name)} (chunksize="
            f"{CRASH_CHUNKSIZE}); a worker sends a chunk's results when the whole chunk is done, so when D "
            f"killed the worker, {name}'s result died with it"),
        "ValueError": lambda name: "time.sleep(-1) raises ValueError in the worker; the worker sends it "
                                   "back, and next() raises it here, in that task's place",
    }  # fmt: skip
    wrong = []
    for name in names:
        if said[name] == outcomes[name]:
            continue
        if outcomes[name] in why:
            wrong.append(f"{name}: you said {said[name]!r}; next() raised {outcomes[name]}: {why[outcomes[name]](name)}")
        else:
            wrong.append(f"{name}: you said {said[name]!r}; it returned {outcomes[name]!r}: an error fails only its "
                         f"own task, and a dead worker only its own chunk")  # fmt: skip
    if wrong:
        right = len(names) - len(wrong)
        return Verdict(False, f"{right} of {len(names)} right; " + predict.differences(wrong))
    return Verdict(
        True,
        f"{', '.join(f'{n}: {outcomes[n]}' for n in names)}. The dead worker took its whole chunk "
        f"with it, C as well as D; E's exception came back in E's place, and F, in E's chunk, ran.",
    )
