"""The checkers of chapter 0, Welcome."""

from __future__ import annotations

import math
import multiprocessing
import sys
import time
from typing import Any, Callable

from ... import tracing
from ._base import TIMEOUT, Verdict, report, run_learner_code, find_trouble

__all__ = ["check_setup", "check_parallelism", "check_naps_in_threads"]



def check_setup() -> None:
    """Chapter 0: is this environment ready for the course? One line per check,
    and what to do about a failed one."""
    import os
    import platform

    import minimp

    reinstall = "install the course again as the README says (`make lab` in a checkout, or the wheel with [course])"
    checks = [(sys.version_info >= (3, 10), f"Python {platform.python_version_tuple()[0]}."
               f"{platform.python_version_tuple()[1]}", "minimp needs Python 3.10 or newer"),
              (True, f"minimp {minimp.__version__}", "")]  # fmt: skip
    try:
        import ipywidgets

        checks.append((int(ipywidgets.__version__.split(".")[0]) >= 8, f"ipywidgets {ipywidgets.__version__.split('.')[0]}",
                       f"the course's views need ipywidgets 8: {reinstall}"))  # fmt: skip
    except ImportError:
        checks.append((False, "ipywidgets", f"not installed: {reinstall}"))
    methods = multiprocessing.get_all_start_methods()
    checks.append(("fork" in methods and "spawn" in methods, "start methods fork and spawn",
                   f"this system offers only {methods}: the chapters that fork will not run here (Windows?); "
                   f"use Linux or macOS, or Binder"))  # fmt: skip
    from ...runtime.cpus import cpu_count

    cpus = cpu_count()
    # In a container (Binder) os.cpu_count() counts the host's CPUs, not the quota.
    host = "" if os.cpu_count() == cpus else f" (os.cpu_count() says {os.cpu_count()}: the others are not yours)"
    checks.append((cpus >= 2, f"{cpus} usable CPU{'s' if cpus > 1 else ''}{host}",
                   "with one CPU, processes take turns: the programs run, but nothing gets faster"))  # fmt: skip
    for passed, what, advice in checks:
        print(f"{'✅' if passed else '❌'} {what}" + ("" if passed else f": {advice}"))
    if all(passed for passed, _, _ in checks):
        print("✅ Ready. Below this cell, a slider should appear: if it does, widgets work too.")
    else:
        print("❌ Something needs fixing first: see the lines above.")


# Each case: (started, finished) of each task, in seconds of time.monotonic(),
# chosen so that each usual mistake gets one wrong.
PARALLELISM_CASES = [
    [(100.0, 101.0), (100.0, 101.0)],  # two at once, all the time: 2.0
    [(100.0, 101.0), (101.0, 102.0)],  # one after the other: 1.0
    [(100.0, 102.0), (100.0, 101.0), (101.0, 102.0)],  # 4 s of tasks in 2 s: 2.0
    [(100.0, 101.0), (102.0, 103.0)],  # a gap: 2 s of tasks in 3 s
    [(5000.0, 5000.5), (5000.0, 5001.0), (5000.25, 5000.75)],  # the clock does not start at 0
]


def check_parallelism(function: Callable[[list], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 0: `function(tasks)` returns the sum of the tasks' times divided by
    the wall time, from the first start to the last finish (TaskRecords)."""
    cases = [[_record(number, *times) for number, times in enumerate(case, start=1)] for case in PARALLELISM_CASES]
    run = run_learner_code(lambda: [function(list(case)) for case in cases], timeout)
    report(find_trouble(run, timeout) or _judge_parallelism(run.value, cases))


def _record(number: int, started: float, finished: float) -> tracing.TaskRecord:
    return tracing.TaskRecord(
        id=number, call=1, index=number - 1, function="work", args="()", submitted=started,
        started=started, finished=finished, worker=number % 2, pid=None, status="ok",
    )  # fmt: skip


def _judge_parallelism(answers: list, cases: list) -> Verdict:
    for answer, case in zip(answers, cases):
        ran = sum(r.finished - r.started for r in case)
        wall = max(r.finished for r in case) - min(r.started for r in case)
        times = ", ".join(f"{r.started:g}-{r.finished:g}" for r in case)
        if answer is None:
            return Verdict(False, "your function returned None. Did you forget the `return`?")
        if not isinstance(answer, (int, float)):
            return Verdict(False, f"return a number, got {type(answer).__name__}: {answer!r:.80}")
        if math.isclose(answer, ran / wall, rel_tol=1e-6):
            continue
        if math.isclose(answer, ran / max(r.finished for r in case), rel_tol=1e-6):
            hint = "you divided by the last finish time; the wall time runs from the first start, not from 0"
        elif math.isclose(answer, ran / len(case), rel_tol=1e-6):
            hint = "you divided by the number of tasks; divide by the wall time instead"
        elif math.isclose(answer, wall / ran, rel_tol=1e-6):
            hint = "that is upside down: the sum of task times goes on top, the wall time below"
        else:
            hint = f"expected {ran:g} s of tasks / {wall:g} s of wall time = {ran / wall:g}"
        return Verdict(False, f"for tasks running {times} your function returned {answer!r}: {hint}.")
    return Verdict(True, f"{len(cases)} traces, {len(cases)} right answers: parallelism is how many tasks "
                         f"were in progress at once, on average.")  # fmt: skip


# Seconds. Of different lengths, so that naps returned in the order they ended
# are in the wrong order; and any two of them together last longer than the
# longest one, so that a thread that naps twice shows in the wall time.
NAPS = [0.4, 0.25, 0.35, 0.3]


def check_naps_in_threads(function: Callable[[list], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 0: `function(naps)` calls time.sleep for each number of seconds, at
    the same time, and returns the list of the naps in order."""
    began = time.monotonic()
    run = run_learner_code(lambda: function(list(NAPS)), timeout)
    took = time.monotonic() - began
    report(find_trouble(run, timeout) or _judge_naps(run.value, took))


def _judge_naps(value: Any, took: float) -> Verdict:
    serial, longest = sum(NAPS), max(NAPS)
    # With fewer threads than naps, some thread takes two naps, one after the
    # other: the naps then last at least as long as the two shortest together.
    napped_twice = sum(sorted(NAPS)[:2])
    if value is None:
        return Verdict(False, "your function returned None. Did you forget the `return`?")
    if hasattr(value, "__next__"):
        return Verdict(False, "your function returned an iterator: executor.map() gives one; "
                              "return list(...) of it, inside the `with` block.")  # fmt: skip
    if not isinstance(value, (list, tuple)):
        return Verdict(False, f"return a list of what the calls returned, got {type(value).__name__}: {value!r:.80}")
    value = list(value)
    if value != NAPS and all(isinstance(v, (int, float)) for v in value) and sorted(value) == sorted(NAPS):
        return Verdict(False, f"the right naps in another order: {value!r}. Return them in the order of "
                              f"`naps`, {NAPS}, not in the order they ended: executor.map() keeps that order, "
                              f"and so does going through your futures in the order you submitted them.")  # fmt: skip
    if value != NAPS:
        return Verdict(False, f"expected the naps back, in order: {NAPS}, got {value!r:.80}")
    if took > serial * 0.8:
        return Verdict(False, f"the {len(NAPS)} naps took {took:.1f} s, as long as one after another "
                              f"({serial:.1f} s). Give each nap a thread of its own: "
                              f"ThreadPoolExecutor(max_workers={len(NAPS)}).")  # fmt: skip
    if took >= napped_twice:
        return Verdict(False, f"the {len(NAPS)} naps took {took:.2f} s, longer than the longest nap "
                              f"({longest} s): some thread took two naps, one after the other. Give each nap "
                              f"a thread of its own: ThreadPoolExecutor(max_workers=len(naps)), not a fixed "
                              f"number of threads.")  # fmt: skip
    return Verdict(True, f"{len(NAPS)} naps of {min(NAPS)} to {longest} s took about as long as the longest, "
                         f"not {serial:.1f} s: a sleeping thread lets go of the GIL, so threads are fine "
                         f"for waiting.")  # fmt: skip
