"""The checkers of chapter 8, Performance: Amdahl's law, forwards and backwards.

Both exercises are arithmetic, so the checkers compare numbers (with a small
tolerance for rounding) and recognise the usual wrong formulas by the
numbers they give.
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable

from ... import tracing
from . import predict
from ._base import LearnerRun, TIMEOUT, Verdict, report, run_learner_code, find_trouble

__all__ = ["check_amdahl", "check_parallel_fraction"]


def amdahl_speedup(p: float, n: int) -> float:
    """Amdahl's law: the speedup on `n` workers of a job whose share `p` runs in parallel."""
    return 1 / ((1 - p) + p / n)


def _run_on_cases(function: Any, cases: list, timeout: float) -> LearnerRun:
    """Call the learner's function on each case (or let run_learner_code say it is no function)."""
    if not callable(function):
        return run_learner_code(function, timeout)
    return run_learner_code(lambda: [function(*case) for case in cases], timeout)


def _close(answers: list, expected: list) -> bool:
    return all(
        isinstance(a, (int, float)) and not isinstance(a, bool) and math.isclose(a, e, rel_tol=1e-6, abs_tol=1e-9)
        for a, e in zip(answers, expected)
    ) and len(answers) == len(expected)


def _same_as(answers: list, cases: list, formula: Callable) -> bool:
    try:
        expected = [formula(*case) for case in cases]
    except ZeroDivisionError:
        return False
    return _close(answers, expected)


# (p, n) for the first exercise; chosen so that each usual mistake gets some wrong.
AMDAHL_CASES = [(0.9, 8), (0.5, 2), (0.99, 64), (0.75, 4), (0.2, 16), (0.9, 1)]


def check_amdahl(function: Callable[[float, int], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 8: `function(p, n)` returns Amdahl's speedup, 1 / ((1 - p) + p / n)."""
    run = _run_on_cases(function, AMDAHL_CASES, timeout)
    report(find_trouble(run, timeout) or _judge_amdahl(run.value))


def _judge_amdahl(answers: list) -> Verdict:
    cases = AMDAHL_CASES
    if all(answer is None for answer in answers):
        return Verdict(False, "your function returned None: compute the speedup, and `return` it.")
    if _close(answers, [amdahl_speedup(p, n) for p, n in cases]):
        return Verdict(
            True,
            f"with p = 0.9, 8 workers give a speedup of {amdahl_speedup(0.9, 8):.2f}, not 8; "
            f"and no number of workers can give more than 1 / (1 - p) = {1 / (1 - 0.9):.0f}.",
        )
    if _same_as(answers, cases, lambda p, n: 1 / (p + (1 - p) / n)):
        return Verdict(
            False,
            "p and 1 - p are swapped: p is the share that runs in parallel, so it is p that is "
            "divided by n, and 1 - p (the serial share) that stays as it is. With p = 0.9 and 8 "
            "workers the speedup is about 4.7, not about 1.1.",
        )
    if _same_as(answers, cases, lambda p, n: (1 - p) + p / n):
        return Verdict(
            False,
            "that is the *time* on n workers, as a share of the time on one: (1 - p) + p / n. "
            "The speedup is how many times faster, one over it: 1 / ((1 - p) + p / n).",
        )
    if _same_as(answers, cases, lambda p, n: 1 / (p / n)) or _same_as(answers, cases, lambda p, n: n):
        return Verdict(
            False,
            "you forgot the serial part: only the share p is divided among the n workers; the "
            "rest, 1 - p, takes as long as ever. The time on n workers is (1 - p) + p / n, and "
            "the speedup is one over it.",
        )
    if _same_as(answers, cases, lambda p, n: 1 / (1 - p) + p / n):
        return Verdict(
            False,
            "check the parentheses: the whole sum is under the fraction bar, "
            "1 / ((1 - p) + p / n). With p = 0.5 and 2 workers it gives 1.33.",
        )
    if _same_as(answers, cases, lambda p, n: p * n + (1 - p)):
        return Verdict(
            False,
            "p * n + (1 - p) is Gustafson's law (the work grows with the workers); "
            "Amdahl's law keeps the work fixed: 1 / ((1 - p) + p / n).",
        )
    shown = ", ".join(f"amdahl({p}, {n}) = {a!r:.12}" for (p, n), a in list(zip(cases, answers))[:3])
    right = ", ".join(f"{amdahl_speedup(p, n):.4g}" for p, n in cases[:3])
    return Verdict(False, f"{shown}; expected {right}. The speedup is 1 / ((1 - p) + p / n).")


# (measured speedup S, workers n) for the second exercise.
FRACTION_CASES = [(1.6, 2), (3.2, 4), (2.0, 2), (1.25, 8), (5.0, 8), (1.9, 2)]


def parallel_fraction(speedup: float, n: int) -> float:
    """The share p that Amdahl's law gives for a measured `speedup` on `n` workers."""
    return (1 - 1 / speedup) / (1 - 1 / n)


def check_parallel_fraction(function: Callable[[float, int], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 8: `function(speedup, n)` returns p = (1 - 1/S) / (1 - 1/n), the
    parallel share that a speedup S measured on n workers implies."""
    run = _run_on_cases(function, FRACTION_CASES, timeout)
    report(find_trouble(run, timeout) or _judge_parallel_fraction(run.value))


def _judge_parallel_fraction(answers: list) -> Verdict:
    cases = FRACTION_CASES
    if all(answer is None for answer in answers):
        return Verdict(False, "your function returned None: compute p, and `return` it.")
    if _close(answers, [parallel_fraction(s, n) for s, n in cases]):
        return Verdict(
            True,
            f"a speedup of 1.6 on 2 workers means p = {parallel_fraction(1.6, 2):.2f}: "
            f"a quarter of the time stays serial, so even 64 workers would give only "
            f"{amdahl_speedup(parallel_fraction(1.6, 2), 64):.1f}.",
        )
    if _same_as(answers, cases, lambda s, n: s / n):
        return Verdict(
            False,
            "S / n is the *efficiency* (the share of the ideal speedup you got), not p. Solve "
            "S = 1 / ((1 - p) + p / n) for p: 1/S = 1 - p * (1 - 1/n), so p = (1 - 1/S) / (1 - 1/n).",
        )
    if _same_as(answers, cases, lambda s, n: 1 - 1 / s):
        return Verdict(
            False,
            "you have the top half, 1 - 1/S; divide it by 1 - 1/n, the share of time that n "
            "workers can save at best: p = (1 - 1/S) / (1 - 1/n).",
        )
    if _same_as(answers, cases, lambda s, n: (1 - 1 / n) / (1 - 1 / s)):
        return Verdict(False, "the fraction is upside down: p = (1 - 1/S) / (1 - 1/n).")
    if _same_as(answers, cases, lambda s, n: (1 - s) / (1 - n)) or _same_as(
        answers, cases, lambda s, n: (s - 1) / (n - 1)
    ):
        return Verdict(
            False,
            "(S - 1) / (n - 1) looks right at the ends but is not Amdahl's law: work with the "
            "inverses, p = (1 - 1/S) / (1 - 1/n). For S = 3.2 on 4 workers it gives 0.92, not 0.73.",
        )
    shown = ", ".join(f"({s}, {n}) -> {a!r:.12}" for (s, n), a in list(zip(cases, answers))[:3])
    right = ", ".join(f"{parallel_fraction(s, n):.4g}" for s, n in cases[:3])
    return Verdict(False, f"{shown}; expected {right}. Solve S = 1 / ((1 - p) + p / n) for p.")


# -- Predict, then run (predict.py): the serial part, timed ----------------------------------

__all__ += ["check_serial_prediction"]

# The parent's serial part, then the tasks, on 1 and on 2 workers: sleeps, so that
# another program on the machine does not change the answer.
SERIAL_SECONDS = 0.4
PARALLEL_TASKS = [0.1] * 8
SERIAL_PREDICTION = {"1 worker": "the seconds on a pool of 1 worker", "2 workers": "the seconds on a pool of 2 workers"}


def serial_then_parallel(pool: Any) -> None:
    """The program of the exercise: a serial part in the parent, then the tasks in the pool."""
    time.sleep(SERIAL_SECONDS)  # reading the input, say: the parent alone
    pool.map(time.sleep, PARALLEL_TASKS, chunksize=1)


def check_serial_prediction(prediction: Any, timeout: float = TIMEOUT) -> Any:
    """Chapter 8, predict then run: how long `serial_then_parallel` takes on a pool of 1
    worker and on one of 2. Runs both, prints the verdict, and returns the picture (predict.Picture)."""
    problem = predict.check_keys(prediction, SERIAL_PREDICTION) or predict.seconds(prediction["1 worker"], "1 worker") \
        or predict.seconds(prediction["2 workers"], "2 workers")  # fmt: skip
    traces = predict.run_scenario(problem, _run_serial_then_parallel, timeout)
    if traces is None:
        return None
    from ...views.layout import layout

    took = {key: predict.measured_end(layout(traces[key])) for key in SERIAL_PREDICTION}
    report(_judge_serial_prediction(prediction, took))
    return predict.draw([(f"{SERIAL_SECONDS} s serial, then map(time.sleep, [0.1] * 8) on {key}", traces[key], [],
                          prediction[key]) for key in SERIAL_PREDICTION])  # fmt: skip


def _run_serial_then_parallel() -> dict:
    traces = {}
    for key, processes in (("1 worker", 1), ("2 workers", 2)):
        pool = predict.warm_pool(processes)
        try:
            with tracing.trace() as traces[key]:
                serial_then_parallel(pool)
        finally:
            pool.terminate()
            pool.join()
    return traces


def _judge_serial_prediction(prediction: dict, took: dict) -> Verdict:
    parallel = sum(PARALLEL_TASKS)
    p = parallel / (SERIAL_SECONDS + parallel)
    wrong = []
    one, two = prediction["1 worker"], prediction["2 workers"]
    if not predict.near(one, took["1 worker"]):
        wrong.append(f"on 1 worker you expected {one:.2f} s; it took {took['1 worker']:.2f} s: the serial "
                     f"{SERIAL_SECONDS:.1f} s, then the {len(PARALLEL_TASKS)} tasks one after another, {parallel:.1f} s")  # fmt: skip
    if not predict.near(two, took["2 workers"]):
        halved = predict.near(two, one / 2) if one else False
        wrong.append(
            f"on 2 workers you expected {two:.2f} s{' (half of your 1 worker)' if halved else ''}; it took "
            f"{took['2 workers']:.2f} s: only the tasks are shared, {parallel:.1f} s becoming {parallel / 2:.1f} s; "
            f"the parent's serial {SERIAL_SECONDS:.1f} s stays as it is"
        )  # fmt: skip
    if wrong:
        return Verdict(False, predict.differences(wrong))
    return Verdict(
        True,
        f"{took['1 worker']:.2f} s on 1 worker, {took['2 workers']:.2f} s on 2: the serial part is a share "
        f"1 - p = {1 - p:.2f} of the time, and Amdahl's law gives 1 / ({1 - p:.2f} + {p:.2f} / 2) = "
        f"{amdahl_speedup(p, 2):.1f} as the speedup, not 2. In the picture, the lanes are empty while the parent works.",
    )


# -- Read the bars, then name the gaps: a trace made by hand, so the picture is everyone's ------------

__all__ += ["bar_puzzle", "check_bar_reading"]

PARTS = ("waiting", "sending", "running", "returning")  # the segments of a task's bar (views/segments.py)
FIXES = ("a smaller chunksize", "smaller arguments", "more workers", "a timeout")
BAR_READING = {
    "task 9": "the longest part of its bar: " + ", ".join(map(repr, PARTS)),
    "gap 1": "what would have made it shorter: " + ", ".join(map(repr, FIXES)),
    "gap 2": "what would have made it shorter: " + ", ".join(map(repr, FIXES)),
}
_T0 = 1000.0  # the trace's own clock: a time.monotonic() reading


def bar_puzzle() -> tracing.Trace:
    """The exercise's run, made by hand: a pool of 2 workers is given `map(work, range(6),
    chunksize=3)`, the first chunk slow (0.3 s a task), the second quick; then, once both are
    done, `apply_async(length, (bytes(20_000_000),))`."""

    def task(id, call, index, function, args, worker, submitted, sent, started, ended, returned, sizes=(30, 20)):
        return tracing.TaskRecord(id, call, index, function, args, _T0 + submitted, _T0 + started, _T0 + ended,
                                  worker, 4100 + worker, "ok", None, *sizes, _T0 + sent, _T0 + returned)  # fmt: skip

    tasks = [task(2 + i, 1, i, "work", f"({i},)", 0, 0, 0, 0.005 + 0.3 * i, 0.305 + 0.3 * i, 0.91) for i in range(3)]
    tasks += [task(5 + i, 1, 3 + i, "work", f"({3 + i},)", 1, 0, 0.001, 0.006 + 0.02 * i, 0.026 + 0.02 * i, 0.07)
              for i in range(3)]  # fmt: skip
    tasks.append(task(9, 9, 0, "length", "(bytes(20_000_000),)", 1, 0.93, 0.93, 1.33, 1.35, 1.38, (20_000_033, 22)))
    trace = tracing.Trace()
    trace.started, trace.finished, trace.tasks = _T0, _T0 + 1.4, tasks
    trace.workers = [tracing.WorkerRecord(worker, 4100 + worker, _T0, _T0, _T0 + 1.4, 0) for worker in (0, 1)]
    return trace


def check_bar_reading(reading: Any) -> None:
    """Chapter 8: `reading` says what the longest part of task 9's bar is, and what would have
    made each of the picture's two gaps shorter (bar_puzzle's trace, drawn by its plot())."""
    report(_bar_reading_problem(reading) or _judge_bar_reading(reading))


def _bar_reading_problem(reading: Any) -> Verdict | None:
    shape = ", ".join(f"{key!r}: ..." for key in BAR_READING)
    if not isinstance(reading, dict):
        return Verdict(False, f"pass your reading as a dict, {{{shape}}}; you passed a {type(reading).__name__}")
    for key in reading:
        if key not in BAR_READING:
            return Verdict(False, f"your reading has the key {key!r}, which this exercise does not ask for: {shape}")
    for key, what in BAR_READING.items():
        allowed = PARTS if key == "task 9" else FIXES
        if key not in reading:
            return Verdict(False, f"your reading needs the key {key!r}: {what}")
        if reading[key] not in allowed:
            return Verdict(False, f"{key!r} is one of {', '.join(map(repr, allowed))}; you gave {reading[key]!r}")
    return None


def _judge_bar_reading(reading: dict) -> Verdict:
    from ...views.gaps import explain
    from ...views.layout import layout

    view = layout(bar_puzzle())
    bars = [bar for bar in view.bars if bar.task == 9]
    took = {kind: sum(bar.end - bar.start for bar in bars if bar.kind == kind) for kind in ("sending", "ok", "returning")}
    total = max(bar.end for bar in bars) - min(bar.start for bar in bars)
    idle, tail = explain(view, cpus=2)
    wrong = []
    if reading["task 9"] != "sending":
        wrong.append(f"task 9's bar is mostly purple: {took['sending']:.2f} s sending its 20 MB argument, "
                     f"{took['ok']:.2f} s running, {took['returning']:.2f} s returning its length, and no wait: "
                     f"worker 1 was free when it came")  # fmt: skip
    if reading["gap 1"] != "a smaller chunksize":
        wrong.append(f"gap 1 is \"{idle.line}\": those tasks were in worker 0's chunk of 3. With chunksize=1, "
                     f"worker 1 would have taken them as it became free")  # fmt: skip
    if reading["gap 2"] != "smaller arguments":
        wrong.append(f"gap 2 is \"{tail.line}\", and most of task 9's time was its argument travelling "
                     f"({took['sending']:.2f} s of {tail.end - tail.start:.2f} s): it is one task, so no chunksize "
                     f"or worker helps; send less (a file's name, shared memory) and the wait goes")  # fmt: skip
    if wrong:
        return Verdict(False, "your reading differs from the picture:" + "".join(f"\n  • {line}." for line in wrong))
    return Verdict(
        True,
        f"task 9 spent {took['sending']:.2f} s of its {total:.2f} s being sent; gap 1 is a chunk "
        f"that kept tasks from a free worker, gap 2 is one task's travel. The picture names a gap; the bars "
        f"say what to change.",
    )
