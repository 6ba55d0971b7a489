"""A chunk of a map, run fast: the loop in C, and under a trace few readings of the clock.

`run_job` (worker.py) runs a job's tasks one by one, in Python. A chunk of a map is
many tasks of one function, and for tiny tasks that loop costs more than the tasks:

    run_chunk        untraced: `map()` runs the tasks, in C. A map of tiny tasks takes
                     1.4 times as long with the loop in Python. The price: the `running`
                     slot is not written, so a crash names the chunk, not the task.
    run_timed_chunk  traced: the first EXACT tasks one by one, each noted in `running`
                     and timed, still in C. If they took under TINY seconds each, the rest
                     go in groups of GROUP tasks: one note (the group's first task, negated)
                     and one clock reading per group; `Stamps` gives the times in between.

Timing every task of a map of 20,000 empty tasks took 2.2 times its untraced time
(bench/bench_pool.py, "tracing on"): a clock reading, a note and a tuple per task cost
five times what an empty task does. In groups, the clock is read once per 64 tasks, and
a picture of the run cannot tell the difference: a group of tiny tasks lasts a few
microseconds, less than a pixel of any timeline longer than a millisecond.

Both return (results, failures, times): failures maps a position to the exception itself
(worker.py makes it sendable); times is None, or task i ran from times[i] to times[i + 1].

Read next: `pools/inbox.py`, what a worker says, read in bulk.
"""

from __future__ import annotations

import bisect
import itertools
import operator
import time

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Callable

__all__ = ["run_chunk", "run_timed_chunk", "Stamps", "EXACT", "TINY", "GROUP"]

EXACT = 16  # tasks of a traced chunk timed one by one, always
TINY = 5e-6  # seconds: below this, a task costs less than timing it (about 0.15 µs) adds 3 %
GROUP = 64  # tiny tasks per clock reading


def run_chunk(function: Callable, job: Any) -> tuple[list, dict, None]:
    """The chunk's tasks, untraced, by `map()` in C."""
    results: list = []
    failures: dict = {}
    remaining = iter(job.arguments)
    calls = itertools.starmap(function, remaining) if job.star else map(function, remaining)
    while True:
        try:
            results.extend(calls)  # keeps what it got before an exception
            return results, failures, None
        except BaseException as error:  # the task at len(results) failed; go on after it
            failures[len(results)] = error
            results.append(None)


def run_timed_chunk(function: Callable, job: Any, running: Any, index: int) -> tuple[list, dict, list | Stamps]:
    """The chunk's tasks, traced: the first EXACT one by one; the rest one by one too, or, if
    those were tiny, in groups (see above)."""
    clock, size = time.monotonic, len(job.arguments)
    remaining = iter(job.arguments)
    calls = itertools.starmap(function, remaining) if job.star else map(function, remaining)
    slots = memoryview(running).cast("B").cast("q")  # the same memory; its item assignment is cheaper than ctypes'
    notes = itertools.starmap(slots.__setitem__, zip(itertools.repeat(index), itertools.count(job.first_task)))
    results, failures, stamps = [], {}, [clock()]  # task i ran from stamps[i] to stamps[i + 1]
    _one_by_one(calls, notes, clock, min(EXACT, size), results, failures, stamps)
    if len(results) == size or stamps[-1] - stamps[0] >= TINY * len(results):
        _one_by_one(calls, notes, clock, size - len(results), results, failures, stamps)
        slots[index] = 0
        return results, failures, stamps
    at, times = list(range(len(stamps))), stamps  # the boundaries read so far: every one
    while len(results) < size:
        slots[index] = -(job.first_task + len(results))  # one of the next GROUP tasks runs (failures.py)
        try:
            results.extend(itertools.islice(calls, GROUP))
        except BaseException as error:
            failures[len(results)] = error
            results.append(None)
        at.append(len(results))
        times.append(clock())
    slots[index] = 0
    return results, failures, Stamps(at, times)


def _one_by_one(calls: Any, notes: Any, clock: Callable, count: int, results: list, failures: dict,
                stamps: list) -> None:
    """`count` more tasks, each noted in `running` and timed, in C (`zip` writes its id, calls it,
    reads the clock)."""
    end = len(results) + count
    while len(results) < end:
        outcomes: list = []  # (None, result, when it ended) per task
        try:
            outcomes.extend(itertools.islice(zip(notes, calls, itertools.starmap(clock, itertools.repeat(()))),
                                             end - len(results)))  # fmt: skip
        except BaseException as error:  # the task after those in `outcomes` failed; go on after it
            outcomes.append((None, None, clock()))
            failures[len(results) + len(outcomes) - 1] = error
        results.extend(map(operator.itemgetter(1), outcomes))
        stamps.extend(map(operator.itemgetter(2), outcomes))


class Stamps:
    """The clock at each boundary of a chunk's tasks, as `times` is for a timed job: task i ran
    from self[i] to self[i + 1]. Read at the boundaries `at` (ascending), interpolated in between."""

    __slots__ = ("at", "times")

    def __init__(self, at: list[int], times: list[float]) -> None:
        self.at, self.times = at, times

    def __len__(self) -> int:
        return self.at[-1] + 1

    def __getitem__(self, boundary: int) -> float:
        if boundary < 0:
            boundary += len(self)
        k = bisect.bisect_right(self.at, boundary) - 1  # the last boundary read at or before it
        if self.at[k] == boundary:
            return self.times[k]
        return self.times[k] + (self.times[k + 1] - self.times[k]) / (self.at[k + 1] - self.at[k]) * (boundary - self.at[k])

    def __iter__(self):
        """Every boundary's time, in order: the same numbers as self[i], made in one pass."""
        for k in range(len(self.at) - 1):
            start, step = self.times[k], (self.times[k + 1] - self.times[k]) / (self.at[k + 1] - self.at[k])
            yield start
            yield from (start + step * i for i in range(1, self.at[k + 1] - self.at[k]))
        yield self.times[-1]

    def __reduce__(self) -> tuple:
        return Stamps, (self.at, self.times)
