"""The checkers of chapter 5, Pools."""

from __future__ import annotations

import math
import os
from typing import Any, Callable

from ...runtime import errors
from ... import tracing
from ._base import LearnerRun, TIMEOUT, Verdict, error_hint, left_running_note, report, run_learner_code, find_trouble

__all__ = ["check_pool_squares", "check_default_chunksize", "check_first_square_over", "check_squares_or_none"]


POOL_SQUARES_INPUT = [1, 2, 3, 4, 5, 6, 7, 8]


def check_pool_squares(function: Callable[[list], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 5: `function(numbers)` returns `[x * x for x in numbers]`,
    computed by the workers of a Pool with `map`, in order.

    The checker calls it with POOL_SQUARES_INPUT inside a `trace()`, whose
    records show whether the squares were computed by a pool's workers.
    """
    with tracing.trace() as trace:
        run = run_learner_code(lambda: function(list(POOL_SQUARES_INPUT)), timeout)
    if run.error is not None and not run.timed_out:
        report(Verdict(False, _pool_error_hint(run.error) + left_running_note(run)))
        return
    report(find_trouble(run, timeout) or _judge_pool_squares(run, trace.tasks))


def _pool_error_hint(error: BaseException) -> str:
    """What to tell a learner whose pool code raised `error`: the usual mistakes first."""
    message = str(error)
    if isinstance(error, TypeError) and (
        "processes must be an int" in message or "not supported between instances of 'list'" in message
    ):
        return (
            f"your function raised TypeError: {message}. Pool's first argument is the number "
            f"of worker processes, not a list of functions (the primer's mistake). Create the "
            f"pool with ctx.Pool(2), and give the function to each call: pool.map(square, numbers)."
        )
    if isinstance(error, AttributeError) and "Can't get attribute" in message:
        return (
            f"your function raised AttributeError: {message}. A spawned worker of the standard "
            f"library cannot find a function defined in the notebook; use minimp's pool: ctx.Pool(2)."
        )
    if isinstance(error, errors.PoolTerminatedError):
        return (
            f"your function raised PoolTerminatedError: {message}. Leaving a `with ctx.Pool(...)` "
            f"block terminates the pool: get the results (map, or .get()) inside the block."
        )
    return error_hint(error)


def _judge_pool_squares(run: LearnerRun, tasks: list) -> Verdict:
    value = run.value
    note = left_running_note(run)
    expected = [x * x for x in POOL_SQUARES_INPUT]
    if value is None:
        return Verdict(False, "your function returned None. Did you forget the `return`?" + note)
    if hasattr(value, "get") and hasattr(value, "ready"):
        return Verdict(
            False,
            f"your function returned {type(value).__name__}, which map_async() (or apply_async()) "
            f"returns at once, before the work is done. Return its .get(), called inside the "
            f"`with` block; or call pool.map(), which waits and returns the list." + note,
        )
    if not isinstance(value, (list, tuple)):
        if hasattr(value, "__next__"):
            return Verdict(
                False,
                f"your function returned an iterator ({type(value).__name__}), not a list. "
                f"pool.map() returns the list; with imap(), make the list inside the `with` "
                f"block: list(pool.imap(...))." + note,
            )
        return Verdict(False, f"return a list of squares, got {type(value).__name__}: {value!r:.80}" + note)
    value = list(value)
    if value != expected:
        if sorted(value) == expected:
            return Verdict(
                False,
                f"the right squares in another order: {value!r}. imap_unordered() gives results as "
                f"they finish; map() (and imap()) give them in the order of the numbers." + note,
            )
        return Verdict(False, f"expected {expected!r} for the numbers {POOL_SQUARES_INPUT!r}, got {value!r}." + note)
    in_workers = [record for record in tasks if record.pid is not None and record.pid != os.getpid()]
    if not in_workers:
        return Verdict(
            False,
            "the right squares, but no task ran in a pool's worker: they were computed here, in "
            "the notebook's own process. Create a pool with `with ctx.Pool(2) as pool:` and let "
            "it compute them: pool.map(square, numbers)." + note,
        )
    if len(in_workers) < len(POOL_SQUARES_INPUT):
        return Verdict(
            False,
            f"the right squares, but {'one task' if len(in_workers) == 1 else f'{len(in_workers)} tasks'} "
            f"computed all {len(POOL_SQUARES_INPUT)} of them, so the workers could not share "
            f"the work. Give the pool one task per number: pool.map(square, numbers)." + note,
        )
    return Verdict(
        True,
        f"{value!r}: each of the {len(POOL_SQUARES_INPUT)} numbers was a task that a worker of "
        f"the pool computed, and map() returned their results in order." + note,
    )


# (number of items, processes) for the chunksize exercise; chosen so that each
# usual mistake gets at least one of them wrong.
CHUNKSIZE_CASES = [(100, 2), (16, 2), (17, 2), (3, 2), (1000, 4), (10, 4), (1, 8), (25, 3)]


def pool_default_chunksize(items: int, processes: int) -> int:
    """map's default chunksize, as pool.py computes it (the standard library's is the same)."""
    from ...pools.jobs import CHUNKS_PER_WORKER  # here: importing pool.py costs a spawned child

    return max(1, math.ceil(items / (processes * CHUNKS_PER_WORKER)))


def check_default_chunksize(function: Callable[[int, int], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 5: `function(items, processes)` returns the chunksize that
    `Pool.map` uses by default for `items` items on `processes` workers."""
    run = run_learner_code(lambda: [function(n, p) for n, p in CHUNKSIZE_CASES], timeout)
    report(find_trouble(run, timeout) or _judge_default_chunksize(run.value))


def _judge_default_chunksize(answers: list) -> Verdict:
    right = [pool_default_chunksize(n, p) for n, p in CHUNKSIZE_CASES]
    if all(answer is None for answer in answers):
        return Verdict(False, "your function returned None: compute the chunksize, and `return` it.")
    if answers == right and all(isinstance(a, int) and not isinstance(a, bool) for a in answers):
        n, p = CHUNKSIZE_CASES[0]
        size = right[0]
        chunks = math.ceil(n / size)
        return Verdict(
            True,
            f"for {n} items on {p} workers, chunks of {size} make {chunks} chunks, "
            f"{chunks // p} per worker.",
        )
    if any(isinstance(a, float) for a in answers):
        return Verdict(
            False,
            "a chunksize is a number of items, a whole number: return an int. Round the "
            "division up, with math.ceil(a / b) or -(-a // b).",
        )

    def same_as(formula: Callable[[int, int], int]) -> bool:
        return answers == [formula(n, p) for n, p in CHUNKSIZE_CASES]

    if same_as(lambda n, p: n // (p * 4)) or same_as(lambda n, p: max(1, n // (p * 4))):
        return Verdict(
            False,
            "you rounded down. 100 items on 2 workers is 100 / 8 = 12.5 items per chunk; chunks "
            "of 12 would make 9 chunks, the last one of 4 items, so the pool rounds up, to 13. "
            "(And rounded down, 3 items on 2 workers would make chunks of 0 items.)",
        )
    if same_as(lambda n, p: math.ceil(n / p)) or same_as(lambda n, p: n // p):
        return Verdict(
            False,
            "that is one chunk per worker. map cuts the work into about 4 chunks per worker, "
            "so that a worker that finishes early can take another chunk instead of waiting "
            "for the slowest one: divide by processes * 4.",
        )
    if same_as(lambda n, p: math.ceil(n / 4)) or same_as(lambda n, p: max(1, n // 4)):
        return Verdict(
            False,
            "that is 4 chunks in all, whatever the number of workers. The pool makes 4 chunks "
            "per worker: divide by processes * 4.",
        )
    wrong = [
        f"  • {n} items on {p} workers: you said {answer!r}, the pool uses {expected}"
        for (n, p), answer, expected in zip(CHUNKSIZE_CASES, answers, right)
        if answer != expected
    ]
    return Verdict(False, f"{len(CHUNKSIZE_CASES) - len(wrong)} of {len(CHUNKSIZE_CASES)} right.\n" + "\n".join(wrong))


# The "endless numbers" exercise: the first square over LIMIT, from numbers 1, 2, 3, ...
# that never end. The checker's numbers stop with an error after READ_AT_MOST, so that
# an answer that reads them all (map, list) fails in a second instead of filling memory.
SQUARE_LIMIT = 10_000
READ_AT_MOST = 100_000


class EndlessNumbers:
    """1, 2, 3, ... for ever (in truth, until READ_AT_MOST), counting how many were read."""

    def __init__(self) -> None:
        self.read = 0

    def __iter__(self) -> EndlessNumbers:
        return self

    def __next__(self) -> int:
        if self.read >= READ_AT_MOST:
            raise RuntimeError(f"the checker's numbers never end, and {READ_AT_MOST:,} of them were read")
        self.read += 1
        return self.read


def check_first_square_over(function: Callable[[Any, int], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 5: `function(numbers, limit)` returns the first square greater than `limit`
    of the endless `numbers` 1, 2, 3, ..., the squares computed in a pool's workers by
    imap, which reads the numbers as it goes: 10201 (101 * 101) for a limit of 10,000."""
    numbers = EndlessNumbers()
    with tracing.trace() as trace:
        run = run_learner_code(lambda: function(numbers, SQUARE_LIMIT), timeout)
    if run.error is not None and not run.timed_out:
        if numbers.read >= READ_AT_MOST:
            message = (
                f"your function read all the numbers it could ({READ_AT_MOST:,}, then the checker "
                f"stopped it): map() and list() read an endless iterable to its end, which never "
                f"comes. pool.imap(square, numbers) reads the numbers as you take the results: "
                f"loop over it, and return the first square over the limit."
            )
        else:
            message = _pool_error_hint(run.error)
        report(Verdict(False, message + left_running_note(run)))
        return
    report(find_trouble(run, timeout) or _judge_first_square_over(run, trace.tasks, numbers.read))


def _judge_first_square_over(run: LearnerRun, tasks: list, read: int) -> Verdict:
    value, note = run.value, left_running_note(run)
    root = math.isqrt(SQUARE_LIMIT) + 1
    expected = root * root
    if value is None:
        return Verdict(False, "your function returned None. Did you forget the `return`?" + note)
    if value == root:
        return Verdict(False, f"{value!r} is the number; return its square, {expected}." + note)
    if value != expected:
        return Verdict(False, f"expected {expected} ({root} * {root}, the first square over "
                              f"{SQUARE_LIMIT:,}), got {value!r}." + note)
    if not any(record.pid is not None and record.pid != os.getpid() for record in tasks):
        return Verdict(False, f"{expected} is right, but no square was computed in a pool's worker: "
                              f"they were computed here. Let a pool do it: pool.imap(square, numbers)." + note)
    return Verdict(
        True,
        f"{expected}: the workers squared the numbers as imap read them, and it read {read:,} of "
        f"them, a few ahead of the {root} you needed: never the whole endless iterable." + note,
    )


# The numbers for the "survive a crash" exercise; the notebook's
# fragile_square(x) ends its worker with os._exit(1) when x is 13.
FRAGILE_INPUT = [10, 11, 12, 13, 14, 15]
FRAGILE_NUMBER = 13


def check_squares_or_none(function: Callable[[list], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 5: `function(numbers)` returns the square of each number, computed
    by the notebook's `fragile_square` in a pool, with None for the number
    whose task crashed its worker: [100, 121, 144, None, 196, 225]."""
    run = run_learner_code(lambda: function(list(FRAGILE_INPUT)), timeout)
    if run.error is not None and not run.timed_out:
        if isinstance(run.error, errors.WorkerDiedError):
            message = (
                f"your function raised WorkerDiedError: {run.error}. pool.map() fails as a "
                f"whole when one of its tasks fails. Use imap(), whose iterator raises a task's "
                f"error in that task's place: call next() on it once per number, with a "
                f"try/except around each call."
            )
        else:
            message = _pool_error_hint(run.error)
        report(Verdict(False, message + left_running_note(run)))
        return
    report(find_trouble(run, timeout) or _judge_squares_or_none(run))


def _judge_squares_or_none(run: LearnerRun) -> Verdict:
    value = run.value
    note = left_running_note(run)
    expected = [None if x == FRAGILE_NUMBER else x * x for x in FRAGILE_INPUT]
    crashed = FRAGILE_INPUT.index(FRAGILE_NUMBER)
    if value is None:
        return Verdict(False, "your function returned None. Did you forget the `return`?" + note)
    if not isinstance(value, (list, tuple)):
        return Verdict(False, f"return a list, got {type(value).__name__}: {value!r:.80}" + note)
    value = list(value)
    if not value:
        return Verdict(
            False,
            "your function returned an empty list. Inside the `with` block, make the iterator "
            "results = pool.imap(fragile_square, numbers), and for each number append "
            "next(results) to the list, or None when next() raises WorkerDiedError." + note,
        )
    if value == expected:
        return Verdict(
            True,
            f"{value!r}: only the task of {FRAGILE_NUMBER} failed (its worker died, and the pool "
            f"started a new one); imap() gave every other result in its place." + note,
        )
    if value in (expected[:crashed], expected[:crashed + 1]):
        lost = ", ".join(str(x) for x in FRAGILE_INPUT[crashed + 1 :])
        return Verdict(
            False,
            f"your list stops where the crash happened: {value!r}, and the squares of {lost} are "
            f"lost. That is what one `try` around the whole loop does: the WorkerDiedError that "
            f"the iterator raises for {FRAGILE_NUMBER} jumps out of the loop into the `except`, "
            f"and nothing brings the loop back for the numbers after it, although their results "
            f"are ready. Put the try/except inside the loop, around each next(results), once per "
            f"number, and append None when it fails: imap's iterator goes on after a failed task." + note,
        )
    if len(value) == len(expected) and isinstance(value[crashed], BaseException):
        return Verdict(
            False,
            f"in the place of {FRAGILE_NUMBER} you put the exception "
            f"({type(value[crashed]).__name__}); put None there instead." + note,
        )
    if len(value) == len(expected) and value[crashed] is None and value.count(None) > 1:
        return Verdict(
            False,
            f"{value!r}: more numbers than {FRAGILE_NUMBER} lost their squares. When a worker "
            f"dies, every task of the chunk it was running fails with it: keep imap's default "
            f"chunksize of 1, so that a chunk is one task." + note,
        )
    if sorted(value, key=lambda v: (v is None, v or 0)) == sorted(expected, key=lambda v: (v is None, v or 0)):
        return Verdict(
            False,
            f"the right values in another order: {value!r}. imap_unordered() gives results as "
            f"they finish; imap() gives them in the order of the numbers." + note,
        )
    return Verdict(False, f"expected {expected!r}, got {value!r}." + note)
