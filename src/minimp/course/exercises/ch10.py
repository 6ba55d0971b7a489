"""The checkers of chapter 10, Beyond one machine."""

from __future__ import annotations

import concurrent.futures
import threading
from typing import Any, Callable

from ._base import TIMEOUT, LearnerRun, Verdict, error_hint, left_running_note, report, run_learner_code, find_trouble

__all__ = ["check_total_with", "check_across_machines"]


TOTAL = sum(n * n for n in range(1, 101))  # 338350


class _Watched(concurrent.futures.Executor):
    """An executor that hands every call to `inner`, and counts submit() and map() calls.

    Executor.map calls self.submit, so a learner's map() is counted twice: as a
    map, and as one submit per item.
    """

    def __init__(self, inner: concurrent.futures.Executor):
        self.inner = inner
        self.submits = 0
        self.maps = 0
        self._lock = threading.Lock()

    def submit(self, fn, /, *args, **kwargs):
        with self._lock:
            self.submits += 1
        return self.inner.submit(fn, *args, **kwargs)

    def map(self, fn, *iterables, timeout=None, chunksize=1):
        with self._lock:
            self.maps += 1
        return super().map(fn, *iterables, timeout=timeout)

    def shutdown(self, wait=True, *, cancel_futures=False):
        pass  # the checker's executor: it shuts it down itself


def check_total_with(function: Callable[[concurrent.futures.Executor], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 10: `function(executor)` returns 1² + 2² + ... + 100² = 338350,
    computed with `executor.map`, on any `concurrent.futures` executor.

    The checker runs it on minimp's ProcessPoolExecutor (spawn) and on a
    ThreadPoolExecutor, each watched for the calls the function makes.
    """
    from ...pools import context, futures  # here: a spawned child that imports exercises skips them

    def both() -> list:
        outcomes = []
        makers = [
            ("minimp.ProcessPoolExecutor", lambda: futures.ProcessPoolExecutor(2, mp_context=context.get_context("spawn"))),
            ("concurrent.futures.ThreadPoolExecutor", lambda: concurrent.futures.ThreadPoolExecutor(max_workers=2)),
        ]
        for name, make in makers:
            with make() as inner:
                watched = _Watched(inner)
                value = function(watched)
                outcomes.append((name, value, watched.submits, watched.maps))
        return outcomes

    run = run_learner_code(both, timeout)
    if run.error is not None and not run.timed_out:
        report(Verdict(False, _total_error_hint(run.error) + left_running_note(run)))
        return
    report(find_trouble(run, timeout) or _judge_total_with(run))


def _total_error_hint(error: BaseException) -> str:
    message = str(error)
    if isinstance(error, TypeError) and "not iterable" in message:
        return (
            f"your function raised TypeError: {message}. executor.map takes one iterable per "
            f"argument of the function, like the built-in map: executor.map(square, range(1, 101)), "
            f"or executor.map(pow, range(1, 101), [2] * 100)."
        )
    if isinstance(error, RuntimeError) and "shutdown" in message:
        return (
            f"your function raised RuntimeError: {message}. Do not shut down the executor you "
            f"were given (no `with executor:`): whoever made it stops it."
        )
    return error_hint(error)


def _judge_total_with(run: LearnerRun) -> Verdict:
    note = left_running_note(run)
    for name, value, submits, maps in run.value:
        if value is None:
            return Verdict(False, "your function returned None. Did you forget the `return`?" + note)
        if hasattr(value, "__next__"):
            return Verdict(
                False,
                f"your function returned an iterator ({type(value).__name__}): executor.map gives "
                f"the squares one by one, as they come. Add them up before you return: "
                f"sum(executor.map(...))." + note,
            )
        if isinstance(value, concurrent.futures.Future):
            return Verdict(
                False,
                "your function returned a Future, which submit() gives at once. Return its "
                ".result(); or use executor.map, which gives the results themselves." + note,
            )
        if isinstance(value, (list, tuple)):
            return Verdict(
                False,
                f"your function returned a {type(value).__name__} of {len(value)} items: the "
                f"squares, not their total. Return sum(...) of them." + note,
            )
        if value == TOTAL - 100 * 100:
            return Verdict(
                False,
                f"{value!r} is 0² + 1² + ... + 99²: range(100) stops before 100 and starts at 0. "
                f"Use range(1, 101)." + note,
            )
        if value == sum(range(1, 101)) or value == sum(range(100)):
            return Verdict(False, f"{value!r} is the sum of the numbers, not of their squares." + note)
        if value != TOTAL:
            return Verdict(False, f"expected 1² + 2² + ... + 100² = {TOTAL}, got {value!r:.80} on {name}." + note)
        if submits == 0:
            return Verdict(
                False,
                f"the right total, but your function computed it here, without the executor it "
                f"was given ({name}): no call went to it. Let the executor compute the squares: "
                f"executor.map(square, range(1, 101))." + note,
            )
        if maps == 0:
            return Verdict(
                False,
                f"the right total, with {submits} submit() calls; the exercise asks for "
                f"executor.map, which submits them for you and gives the results in order." + note,
            )
        if submits == 1:
            return Verdict(
                False,
                "the right total, but in one task: a single call computed all the squares, so "
                "the workers could not share the work. Map over the numbers: one square per item." + note,
            )
    return Verdict(
        True,
        f"{TOTAL} on minimp's ProcessPoolExecutor and on a ThreadPoolExecutor, with executor.map: "
        f"the same code runs on any concurrent.futures executor, Dask's client.get_executor() too." + note,
    )


ACROSS_MACHINES = {
    "queue": "fails",
    "lock": "fails",
    "notebook_function": "works",
    "array_per_task": "slow",
    "array_scattered": "works",
    "global_variable": "fails",
}

ACROSS_MACHINES_HINTS = {
    "queue": (
        "a Queue lives in one machine's kernel (chapter 3: in the standard library a pipe and semaphores, "
        "in minimp a shared file and its bells); its file "
        "descriptors mean nothing on another host. minimp and the standard library refuse to "
        "pickle it for a task at all."
    ),
    "lock": (
        "a Lock lives in one machine's kernel (chapter 4: a semaphore in the standard library, a pipe "
        "holding a token in minimp); it cannot be sent to "
        "another host, and pickling it for a task fails even on this one. Across "
        "machines, coordinate through the scheduler (Dask has its own distributed.Lock)."
    ),
    "notebook_function": (
        "a function defined in the notebook travels by value with cloudpickle, its code and "
        "all, as minimp sends it to its own workers; Dask does the same."
    ),
    "array_per_task": (
        "passing the big array with every task works, but pickles it and sends it over the "
        "network once per task, and again for the next task."
    ),
    "array_scattered": (
        "client.scatter sends the array to a worker once and gives back a future; tasks that "
        "take the future run where the data already is."
    ),
    "global_variable": (
        "a task that changes a global changes its worker's copy, in another process (on "
        "another machine); the notebook's variable never sees it, on one machine or many. "
        "Tasks should return what they compute."
    ),
}


def check_across_machines(answers: Any) -> None:
    """Chapter 10: a dict that says, for each of ACROSS_MACHINES' keys, whether it
    "works", "fails" or is "slow" when the workers are on other machines."""
    report(_judge_across_machines(answers))


def _judge_across_machines(answers: Any) -> Verdict:
    choices = sorted(set(ACROSS_MACHINES.values()))
    if not isinstance(answers, dict):
        return Verdict(False, f"pass the dict of answers, got {type(answers).__name__}: {answers!r:.60}")
    missing = [key for key in ACROSS_MACHINES if key not in answers]
    unknown = [key for key in answers if key not in ACROSS_MACHINES]
    if unknown:
        return Verdict(False, f"unknown key(s) {unknown!r}: keep the keys of the stub, {list(ACROSS_MACHINES)!r}.")
    if missing:
        return Verdict(False, f"the answer for {', '.join(map(repr, missing))} is missing.")
    wrong = []  # every mistake at once, as the other quizzes list them
    for key, right in ACROSS_MACHINES.items():
        given = answers[key]
        if isinstance(given, str):
            given = given.strip().lower()
        if given not in choices:
            wrong.append(f"  • {key!r}: answer with one of {choices!r}, not {answers[key]!r:.40}")
        elif given != right:
            wrong.append(f"  • {key!r}: not {given!r}. Think again: {ACROSS_MACHINES_HINTS[key]}")
    if wrong:
        right = len(ACROSS_MACHINES) - len(wrong)
        return Verdict(False, f"{right} of {len(ACROSS_MACHINES)} right.\n" + "\n".join(wrong))
    return Verdict(
        True,
        "what travels is what pickles: functions (by value, with cloudpickle) and data; what "
        "lives in one machine's kernel (queues, locks) and in one process's memory (globals) "
        "does not; and big data should travel once.",
    )
