"""The checkers of chapter 5, Pools."""

from __future__ import annotations

import math
import time
import os
from typing import Any, Callable

from ...runtime import errors
from ... import tracing
from . import predict
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


# -- Predict, then run (predict.py): which worker runs what; where the chunks end -------------

__all__ += ["check_pool_prediction", "check_chunk_prediction"]  # here, not above: the other checkers stay as they were

# Five naps on 2 workers, one task per message: A is long, so that a free worker, not a turn,
# decides who runs what; each choice is a tenth of a second or more from a tie.
PREDICT_NAPS = [("A", 0.9), ("B", 0.2), ("C", 0.2), ("D", 0.2), ("E", 0.2)]
POOL_PREDICTION = {
    "workers": "the tasks each of the 2 workers runs, in order, as lists of names: [['A', ...], [...]]",
    "total": "the seconds until map() returns, like 0.5",
}


def nap(task: tuple[str, float]) -> str:
    """The chapter's nap: sleep for the task's seconds, then return its name."""
    name, seconds = task
    time.sleep(seconds)
    return name


def check_pool_prediction(prediction: Any, timeout: float = TIMEOUT) -> Any:
    """Chapter 5, predict then run: `prediction` says which tasks each worker of
    `pool.map(nap, PREDICT_NAPS, chunksize=1)` on 2 workers runs, and the total time.
    Runs it, prints the verdict, and returns the picture of both (predict.Picture)."""
    names = [name for name, _ in PREDICT_NAPS]
    problem = predict.check_keys(prediction, POOL_PREDICTION) or \
        predict.groups(prediction["workers"], "workers", names) or predict.seconds(prediction["total"], "total")  # fmt: skip
    if problem is None and len([group for group in prediction["workers"] if group]) > 2:
        problem = f"'workers' has {len(prediction['workers'])} lists, but the pool has 2 workers"
    trace = predict.run_scenario(problem, lambda: _traced_map(nap, PREDICT_NAPS, 1, ("warm-up", 0.15)), timeout)
    if trace is None:
        return None
    measured = predict.lanes_of(trace, lambda record: PREDICT_NAPS[record.index][0])
    report(_judge_pool_prediction(prediction, measured, trace))
    return predict.draw([("pool.map(nap, tasks, chunksize=1) on 2 workers", trace,
                          _planned_lanes(prediction["workers"], measured, trace, dict(PREDICT_NAPS)), prediction["total"])])  # fmt: skip


def _traced_map(function: Callable, items: list, chunksize: int, warm_up: Any) -> tracing.Trace:
    """map(function, items, chunksize) on a pool of 2 workers warmed up with function(warm_up),
    traced; the pool then stopped."""
    pool = predict.warm_pool(2, function, warm_up)
    try:
        with tracing.trace() as trace:
            pool.map(function, items, chunksize=chunksize)
        return trace
    finally:
        pool.terminate()
        pool.join()


def _planned_lanes(predicted: list, measured: list[list], trace: tracing.Trace, seconds: dict) -> list:
    """The prediction's boxes: each predicted worker's tasks end to end, on the lane of the
    measured worker that ran its first task (or the next lane free; each lane used once)."""
    pid_of = {PREDICT_NAPS[record.index][0]: record.pid for record in trace.tasks}
    lane_pids = [pid_of[lane[0]] for lane in measured]
    free = list(range(len(measured)))
    boxes = []
    for group in (group for group in predicted if group):
        first = [lane for lane in free if group[0] in measured[lane]]
        lane = (first or free or [None])[0]
        if lane is not None:
            free.remove(lane)
        start = 0.0
        for name in group:
            boxes.append(predict.Planned(lane_pids[lane] if lane is not None else None, start, start + seconds[name], name))
            start += seconds[name]
    return boxes


def _judge_pool_prediction(prediction: dict, measured: list[list], trace: tracing.Trace) -> Verdict:
    from ...views.layout import layout

    predicted = [list(group) for group in prediction["workers"] if group]
    total, took = prediction["total"], predict.measured_end(layout(trace))
    seconds = dict(PREDICT_NAPS)
    ends = [sum(seconds[name] for name in lane) for lane in measured]
    shown = " | ".join(", ".join(lane) for lane in measured)
    wrong = []
    if sorted(map(tuple, predicted)) != sorted(map(tuple, measured)):
        if sorted(tuple(sorted(g)) for g in predicted) == sorted(tuple(sorted(g)) for g in measured):
            wrong.append(f"you have the right groups, but a worker runs its tasks in the order of the "
                         f"list: they ran {shown}")  # fmt: skip
        else:
            alone = max(measured, key=lambda lane: sum(seconds[name] for name in lane) / len(lane))
            others = [name for lane in measured if lane is not alone for name in lane]
            wrong.append(
                f"you put {' | '.join(', '.join(group) for group in predicted)}; they ran {shown}. Tasks "
                f"are not dealt in turns: a worker takes the next task when it is free. While "
                f"{', '.join(alone)} kept one worker busy for {sum(seconds[n] for n in alone):.1f} s, "
                f"the other ran {', '.join(others)}, one after another"
            )  # fmt: skip
    if not predict.near(total, took):
        wrong.append(
            f"you expected {total:.2f} s; it took {took:.2f} s. map() returns when its last task ends, so "
            f"the total is the longer lane, {', '.join(measured[ends.index(max(ends))])} ({max(ends):.1f} s "
            f"of naps); the other lane needed {min(ends):.1f} s, and all the naps together {sum(seconds.values()):.1f} s"
        )  # fmt: skip
    if wrong:
        return Verdict(False, predict.differences(wrong))
    return Verdict(
        True,
        f"they ran {shown}, and map() returned after {took:.2f} s: a free worker takes the next "
        f"task, so the long nap kept one worker and the short ones went to the other; the total is "
        f"the longer lane. In the picture, your boxes (orange, dashed) sit on the bars.",
    )


# The chunks exercise: one slow task among quick ones, chunks of 3 on 2 workers.
PREDICT_CHUNK_NAPS = [0.5, 0.2, 0.2, 0.2, 0.2, 0.2]
PREDICT_CHUNKSIZE = 3
CHUNK_PREDICTION = {
    "chunks": "the tasks of each chunk, by their index in durations: [[0, 1], [2, 3], ...]",
    "total": "the seconds until map() returns, like 0.5",
    "idle": "(from, to): the seconds when one worker has nothing left to do while the other works, or None",
}


def check_chunk_prediction(prediction: Any, timeout: float = TIMEOUT) -> Any:
    """Chapter 5, predict then run: for `pool.map(time.sleep, PREDICT_CHUNK_NAPS, chunksize=3)`
    on 2 workers, `prediction` gives the chunks, the total time and the idle gap. Runs it,
    prints the verdict, and returns the picture of both (predict.Picture)."""
    indexes = list(range(len(PREDICT_CHUNK_NAPS)))
    problem = predict.check_keys(prediction, CHUNK_PREDICTION) or \
        predict.groups(prediction["chunks"], "chunks", indexes) or predict.seconds(prediction["total"], "total") \
        or _idle_problem(prediction["idle"])  # fmt: skip
    trace = predict.run_scenario(
        problem, lambda: _traced_map(time.sleep, PREDICT_CHUNK_NAPS, PREDICT_CHUNKSIZE, 0.15), timeout)
    if trace is None:
        return None
    verdict, boxes = _judge_chunk_prediction(prediction, trace)
    report(verdict)
    return predict.draw([(f"pool.map(time.sleep, durations, chunksize={PREDICT_CHUNKSIZE}) on 2 workers", trace,
                          boxes, prediction["total"])])  # fmt: skip


def _idle_problem(idle: Any) -> str | None:
    if idle is None:
        return None
    if idle is ... or not isinstance(idle, (tuple, list)) or len(idle) != 2:
        return f"'idle' is (from, to), two numbers of seconds like (0.2, 0.5), or None for no idle gap; you gave {idle!r}"
    problem = predict.seconds(idle[0], "idle") or predict.seconds(idle[1], "idle")
    if problem is None and idle[0] > idle[1]:
        problem = f"'idle' is (from, to), with from before to; you gave {tuple(idle)!r}"
    return problem


def _judge_chunk_prediction(prediction: dict, trace: tracing.Trace) -> tuple[Verdict, list]:
    from ...views.layout import layout

    chunks, took = predict.chunks_of(trace), predict.measured_end(layout(trace))
    pid_of = {record.index: record.pid for record in trace.tasks}
    ends = {}  # pid -> when its last task ended, in seconds since the trace began
    for record in trace.tasks:
        ends[record.pid] = max(ends.get(record.pid, 0.0), record.finished - trace.started)
    idle = (min(ends.values()), max(ends.values())) if len(ends) == 2 and \
        max(ends.values()) - min(ends.values()) > 0.1 else None  # fmt: skip
    seconds = [sum(PREDICT_CHUNK_NAPS[i] for i in chunk) for chunk in chunks]
    slow = max(range(len(chunks)), key=lambda c: seconds[c])
    wrong = []
    predicted = [list(chunk) for chunk in prediction["chunks"]]
    if predicted != chunks:
        if all(len(chunk) == 1 for chunk in predicted):
            wrong.append(f"you gave each task a message of its own; with chunksize={PREDICT_CHUNKSIZE}, map "
                         f"sends {PREDICT_CHUNKSIZE} tasks per message: {chunks}, and a worker runs a "
                         f"chunk's tasks one after the other")  # fmt: skip
        else:
            wrong.append(f"you cut the tasks into {predicted}; map cut them into {chunks}: "
                         f"{PREDICT_CHUNKSIZE} neighbours to a chunk, in the order of the list")  # fmt: skip
    if not predict.near(prediction["total"], took):
        wrong.append(
            f"you expected {prediction['total']:.2f} s; it took {took:.2f} s. Chunk {chunks[slow]} holds the "
            f"slow task: {' + '.join(f'{PREDICT_CHUNK_NAPS[i]:g}' for i in chunks[slow])} = "
            f"{seconds[slow]:.1f} s on one worker, while the other ran the rest"
        )  # fmt: skip
    said = prediction["idle"]
    if idle is None and said is not None:
        wrong.append(f"you expected a worker to sit idle from {said[0]:.2f} s to {said[1]:.2f} s; "
                     f"in this run both worked until the end")  # fmt: skip
    elif idle is not None and (said is None or not (predict.near(said[0], idle[0]) and predict.near(said[1], idle[1]))):
        what = "no idle gap" if said is None else f"a gap from {said[0]:.2f} s to {said[1]:.2f} s"
        wrong.append(f"you expected {what}; one worker was done at {idle[0]:.2f} s and had nothing left "
                     f"to take until the map ended at {idle[1]:.2f} s: a chunk is never split between workers")  # fmt: skip
    first_pid = pid_of[0]  # the prediction's first worker is drawn on the lane that ran task 0
    pids = [first_pid] + [pid for pid in ends if pid != first_pid]
    boxes = [predict.Planned(pids[worker] if worker < len(pids) else None, start, end, str(task))
             for worker, start, end, task in predict.schedule(predicted, lambda i: PREDICT_CHUNK_NAPS[i])]  # fmt: skip
    if wrong:
        return Verdict(False, predict.differences(wrong)), boxes
    return Verdict(
        True,
        f"chunks {chunks}, one per worker: the chunk with the slow task took {took:.2f} s, and the "
        f"other worker sat idle from {idle[0]:.2f} s to the end. Smaller chunks would have let it take "
        f"some of that work: the reason for map's 4 chunks per worker.",
    ), boxes
