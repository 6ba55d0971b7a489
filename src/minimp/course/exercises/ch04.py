"""The checkers of chapter 4, Shared state and locks.

The exercises are about processes that run at the same time, so a wrong
answer may or may not show its bug in one run: a race loses updates only
when two processes happen to interleave. These checkers do not rely on
luck. They watch *how* the learner's code uses the shared object, in
shared memory (or a manager) of their own, and judge that:

- `check_deposit` gives each process a balance that notes, for every read
  and write of `balance.value`, whether that process held the balance's
  lock at that moment. A read outside the lock is a bug even in a run that
  happened to come out right.
- `check_two_phases` starts the learner's processes at different times, so
  that one with no barrier to wait at is sure to run ahead of the others.
- `check_limited` gives the learner a `section` that counts how many
  processes are inside it at once, and that waits inside until every child
  has started: a child that should have been kept out by a Semaphore is
  then sure to walk in, if nothing stops it.
- `check_tally` runs the learner's `tally` in a pool's tasks, on a manager's
  dict and Lock of its own: the dict notes, for every read and write, whether
  the task held the lock. (Each read also returns a little late, so that a
  task without the lock really loses counts, as it would with a slower
  manager; but how many it loses is luck, and the verdict does not use it.)
"""

from __future__ import annotations

import collections
import os
import threading
import time
from typing import Any, Callable

from ...pools.context import get_context
from ...runtime.barrier import Barrier
from ...runtime.managers import AcquirerProxy, DictProxy, SyncManager
from ...runtime.process import SpawnProcess
from ...runtime.queues import Queue
from ...runtime.sharedctypes import RawArray, Value
from ...runtime.synchronize import Lock
from ._base import (
    LearnerRun, TIMEOUT, Verdict, error_hint, left_running_note, report, run_learner_code, find_trouble,
)

__all__ = ["check_deposit", "check_limited", "check_two_phases", "check_tally"]


# -- Exercise 1: deposits without lost updates ------------------------------------------------

DEPOSIT_PROCESSES = 3
DEPOSITS_EACH = 2000


def deposit_amounts(slot: int) -> list[int]:
    """The amounts the process number `slot` deposits: 1 to 5, over and over."""
    return [1 + (slot + k) % 5 for k in range(DEPOSITS_EACH)]


# What a watched balance notes, per process: reads and writes of .value, with
# and without the lock held (four counters in a row of the log).
READ_LOCKED, READ_UNLOCKED, WRITE_LOCKED, WRITE_UNLOCKED = range(4)


class WatchedBalance:
    """A shared `Value('i')` as `deposit()` sees it, watched.

    It behaves like the Value (`.value`, `get_lock()`, `with balance:`), and
    notes in `log`, row `slot` (one row per process, so the notes cannot race),
    whether each read and write of `.value` happened while this process held
    the Value's lock.
    """

    def __init__(self, value: Any, log: Any, slot: int):
        self._value, self._log, self._slot = value, log, slot

    def _note(self, what: int) -> None:
        held = self._value.get_lock()._is_mine()  # minimp's RLock knows its owner
        self._log[4 * self._slot + what + (0 if held else 1)] += 1

    @property
    def value(self) -> int:
        self._note(READ_LOCKED)
        return self._value.value

    @value.setter
    def value(self, value: int) -> None:
        self._note(WRITE_LOCKED)
        self._value.value = value

    def get_lock(self) -> Any:
        return self._value.get_lock()

    def get_obj(self) -> Any:
        return self._value.get_obj()

    def acquire(self, *args: Any, **kwargs: Any) -> bool:
        return self._value.acquire(*args, **kwargs)

    def release(self) -> None:
        self._value.release()

    def __enter__(self) -> bool:
        return self._value.__enter__()

    def __exit__(self, *exc_info: Any) -> None:
        self._value.__exit__(*exc_info)

    def __repr__(self) -> str:
        return f"<Synchronized wrapper for c_int({self._value.get_obj().value})>"


def check_deposit(function: Callable[[Any, list], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 4: `function(balance, amounts)` adds each amount to the shared
    `balance` (a `Value('i')`), correctly even while other processes do the same.

    The checker runs it in DEPOSIT_PROCESSES processes at once, each with
    DEPOSITS_EACH amounts, on one balance, and judges from what the balance
    noted (see WatchedBalance) and from the final total. One run is enough:
    what is judged is where the lock was held, not whether updates happened
    to be lost this time.
    """
    if not callable(function):  # say so, rather than let each child fail to call it
        report(find_trouble(run_learner_code(function, timeout), timeout))
        return
    run = run_learner_code(lambda: _run_deposits(function), timeout)
    report(find_trouble(run, timeout) or _judge_deposits(run))


def _run_deposits(function: Callable) -> tuple[int, list[int], list[int | None]]:
    """Run `function` in the processes; return (final balance, log, exit codes)."""
    value = Value("i", 0)
    log = RawArray("q", 4 * DEPOSIT_PROCESSES)
    workers = [
        SpawnProcess(target=function, args=(WatchedBalance(value, log, slot), deposit_amounts(slot)),
                     name=f"depositor-{slot}")
        for slot in range(DEPOSIT_PROCESSES)
    ]  # fmt: skip
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    # The bare number: a child that died holding the lock took its token, and
    # value.value would wait for it for ever.
    return value.get_obj().value, list(log), [worker.exitcode for worker in workers]


def _judge_deposits(run: LearnerRun) -> Verdict:
    balance, log, exit_codes = run.value
    note = left_running_note(run)
    expected = sum(sum(deposit_amounts(slot)) for slot in range(DEPOSIT_PROCESSES))
    failed = [code for code in exit_codes if code != 0]
    if failed:
        return Verdict(
            False,
            f"{len(failed)} of the {DEPOSIT_PROCESSES} processes running deposit() failed, with exit "
            f"code {failed[0]}: the traceback above says why. (Is it `with balance.get_lock():`, "
            f"with the parentheses?)" + note,
        )
    read_locked, read_unlocked, write_locked, write_unlocked = (sum(log[what::4]) for what in range(4))
    reads, writes = read_locked + read_unlocked, write_locked + write_unlocked
    where = f"{DEPOSIT_PROCESSES} processes deposited {DEPOSIT_PROCESSES * DEPOSITS_EACH:,} amounts at once"
    if reads + writes == 0:
        if balance == expected:
            return Verdict(True, f"{where}, and the balance is exactly {expected:,}." + note)
        return Verdict(
            False,
            f"the balance is {balance:,}, expected {expected:,}, and deposit() never read or wrote "
            f"balance.value. Add each amount to balance.value." + note,
        )
    if read_unlocked == 0 and write_unlocked == 0:
        if balance != expected:
            return Verdict(
                False,
                f"every read and write of balance.value happened under the lock, but the balance is "
                f"{balance:,}, expected {expected:,}: add each amount exactly once." + note,
            )
        return Verdict(
            True,
            f"{where}, and the balance is exactly {expected:,}: every read and write of "
            f"balance.value happened while its process held balance.get_lock(), so no process "
            f"could come between another's read and its write." + note,
        )
    if read_locked == 0 and write_locked == 0:
        return Verdict(
            False,
            "no read or write of balance.value happened while the process held the balance's lock. "
            "`balance.value = balance.value + amount` is a read, then a write, and another process "
            "can write in between: its update is lost. (The Value's `.value` takes the lock for the "
            "read and again for the write, never around both; and a Lock you create inside deposit() "
            "is a new lock in each process, which keeps nobody out.) Put the read and the write "
            "inside one `with balance.get_lock():` block." + note,
        )
    if write_unlocked == 0:
        return Verdict(
            False,
            "you write balance.value under the lock, but you read it before taking the lock. "
            "Between your read and your write, another process can deposit, and your write, "
            "computed from the old balance, erases its deposit. The read must be inside the "
            "`with balance.get_lock():` block too." + note,
        )
    if read_unlocked == 0:
        return Verdict(
            False,
            "you locked too little: you read balance.value under the lock, but write it after the "
            "`with` block has ended. Another process can take the lock and deposit between your "
            "read and your write, and your write erases its deposit. Put the write inside the "
            "`with balance.get_lock():` block too." + note,
        )
    return Verdict(
        False,
        f"{read_unlocked:,} of {reads:,} reads and {write_unlocked:,} of {writes:,} writes of "
        f"balance.value happened without the balance's lock. Every read and write must be inside "
        f"one `with balance.get_lock():` block." + note,
    )


# -- Exercise 2: at most `limit` at once ------------------------------------------------------

# (names, limit) of the two runs: a learner who writes Semaphore(2) instead of
# Semaphore(limit) passes the first and not the second.
LIMITED_RUNS = [(["A", "B", "C", "D", "E"], 2), (["F", "G", "H", "I"], 3)]
HOLD = 0.15  # seconds each call stays inside, once the section is as full as it may be
PATIENCE = 2.0  # seconds a call waits for company before giving up

ARRIVED, INSIDE, MOST_INSIDE, FINISHED, GAVE_UP, ARRIVED_WHEN_GAVE_UP = range(6)


class Section:
    """`section(name)`, the code that at most `limit` processes may run at once.

    It counts, in shared memory, the children that have started (each one
    unpickles the section when it starts), the calls inside it now and at
    most. A call stays inside until every child has started and the
    section is as full as it may legally be, then HOLD seconds more: so a
    child that nothing keeps out walks in while the others are there, and
    the count shows it. If that never happens (the children run one after
    another, or a Lock lets in only one), the first call gives up after
    PATIENCE seconds, and the others do not wait at all.

    It works in processes started with minimp's spawn, which pickles it.
    """

    def __init__(self, names: list[str], limit: int):
        self.names, self.limit = list(names), limit
        self._lock = Lock()
        self._state = RawArray("i", 6)
        self._calls = RawArray("i", len(names))  # per name: how many times it ran
        self._pids = RawArray("i", len(names))  # per name: the process that ran it

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        with self._lock:
            self._state[ARRIVED] += 1

    def __call__(self, name: str) -> None:
        total, state = len(self.names), self._state
        with self._lock:
            if name in self.names:
                self._calls[self.names.index(name)] += 1
                self._pids[self.names.index(name)] = os.getpid()
            state[INSIDE] += 1
            state[MOST_INSIDE] = max(state[MOST_INSIDE], state[INSIDE])
        deadline = time.monotonic() + PATIENCE
        while not state[GAVE_UP]:
            if state[ARRIVED] >= total and state[INSIDE] >= min(self.limit, total - state[FINISHED]):
                break
            if time.monotonic() > deadline:
                with self._lock:
                    state[GAVE_UP], state[ARRIVED_WHEN_GAVE_UP] = 1, state[ARRIVED]
                break
            time.sleep(0.005)
        time.sleep(HOLD)
        with self._lock:
            state[INSIDE] -= 1
            state[FINISHED] += 1

    def __repr__(self) -> str:
        return f"<section: at most {self.limit} processes at once>"


def check_limited(function: Callable[[Any, list, int], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 4: `function(section, names, limit)` calls `section(name)` for
    each name, each in a child process, all started at once, with at most
    `limit` of them inside `section` at any moment, and waits for them all.

    The checker runs it twice (LIMITED_RUNS), each time with a new Section,
    whose counts it judges.
    """
    if not callable(function):
        report(find_trouble(run_learner_code(function, timeout), timeout))
        return
    for names, limit in LIMITED_RUNS:
        section = Section(names, limit)
        run = run_learner_code(lambda: function(section, list(names), limit), timeout)
        trouble = find_trouble(run, timeout)
        if trouble is not None:
            if run.timed_out:
                trouble.message += (
                    " Does every acquire() have its release()? `with slots:` releases the "
                    "semaphore even when the code inside fails."
                )
            report(trouble)
            return
        verdict = _judge_limited(run, section, names, limit)
        if not verdict.passed:
            report(verdict)
            return
    report(verdict)


def _judge_limited(run: LearnerRun, section: Section, names: list[str], limit: int) -> Verdict:
    note = left_running_note(run)
    state, calls, pids = list(section._state), list(section._calls), list(section._pids)
    missing = [name for name, count in zip(names, calls) if count == 0]
    twice = [name for name, count in zip(names, calls) if count > 1]
    if len(missing) == len(names):
        return Verdict(
            False,
            f"section() never ran (names: {', '.join(names)}). Start one child process per name "
            f"that calls section(name)." + note,
        )
    if missing:
        return Verdict(
            False,
            f"section() never ran for {', '.join(missing)}: start one process per name, and join "
            f"them all before you return." + note,
        )
    if twice:
        return Verdict(False, f"section() ran more than once for {', '.join(twice)}: once per name." + note)
    if os.getpid() in pids:
        return Verdict(
            False,
            "section() ran here, in the notebook's own process. Run it in child processes: "
            "ctx.Process(target=..., args=(...)), one per name." + note,
        )
    most = state[MOST_INSIDE]
    if most > limit:
        return Verdict(
            False,
            f"with limit={limit}, more than {limit} processes were inside section() at the same "
            f"time. Create one `slots = ctx.Semaphore(limit)` in your function, before starting the "
            f"children, pass it to each child, and let the child call section(name) inside "
            f"`with slots:`. (A semaphore that each child creates for itself is a different one "
            f"in each process, and keeps nobody out.)" + note,
        )
    if most < limit:
        if state[GAVE_UP] and state[ARRIVED_WHEN_GAVE_UP] < len(names):
            return Verdict(
                False,
                f"the processes ran one after another, never {limit} at once: start them all "
                f"first, then join them all. The semaphore alone limits how many are inside." + note,
            )
        hint = (
            "Is it a Lock, or a Semaphore(1)? A Lock lets in one process at a time. "
            if most == 1
            else "Did you write a number instead of `limit`? "
        )
        return Verdict(
            False,
            f"with limit={limit}, never more than {most} {'process was' if most == 1 else 'processes were'} "
            f"inside section() at once, though all had started: the limit is {limit}. {hint}"
            f"Create the semaphore with `ctx.Semaphore(limit)`." + note,
        )
    runs = " and ".join(f"{len(n)} processes with limit={k}" for n, k in LIMITED_RUNS)
    return Verdict(
        True,
        f"{runs}: each time exactly `limit` processes were inside section() at once, never more; "
        f"the others waited in acquire() until one left and released the semaphore." + note,
    )


# -- Exercise 3: two phases, nobody ahead -----------------------------------------------------

PHASE_NAMES = ["A", "B", "C"]
PHASE_DELAY = 0.3  # seconds between the starts of two processes: A, then B, then C
PHASE_PATIENCE = 5.0  # seconds the checker's barrier waits before it breaks


def _start_late(function: Callable, delay: float, name: str, barrier: Any, log: Any) -> None:
    time.sleep(delay)  # the checker's doing: each process comes to phase 1 later than the one before
    function(name, barrier, log)


def check_two_phases(function: Callable[[str, Any, Any], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 4: `function(name, barrier, log)` puts f"{name}: phase 1" on `log`, then
    f"{name}: phase 2", and no process starts phase 2 before all have finished phase 1.

    The checker runs it in one process per name of PHASE_NAMES, started PHASE_DELAY apart,
    with one Barrier for them all, and judges the order of the log.
    """
    if not callable(function):
        report(find_trouble(run_learner_code(function, timeout), timeout))
        return
    run = run_learner_code(lambda: _run_phases(function), timeout)
    report(find_trouble(run, timeout) or _judge_two_phases(run))


def _run_phases(function: Callable) -> tuple[list[str], list[int | None]]:
    barrier, log = Barrier(len(PHASE_NAMES), timeout=PHASE_PATIENCE), Queue()
    workers = [SpawnProcess(target=_start_late, args=(function, n * PHASE_DELAY, name, barrier, log), name=name)
               for n, name in enumerate(PHASE_NAMES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    lines = []
    while not log.empty():
        lines.append(log.get())
    log.close()
    return lines, [worker.exitcode for worker in workers]


def _judge_two_phases(run: LearnerRun) -> Verdict:
    lines, exit_codes = run.value
    note = left_running_note(run)
    expected = {f"{name}: phase {phase}" for name in PHASE_NAMES for phase in (1, 2)}
    if any(code != 0 for code in exit_codes):
        failed = ", ".join(name for name, code in zip(PHASE_NAMES, exit_codes) if code != 0)
        return Verdict(
            False,
            f"the process{'es' if ',' in failed else ''} {failed} failed (see the traceback above). "
            f"A BrokenBarrierError means a process waited {PHASE_PATIENCE:.0f} s at the barrier for "
            f"the others: each of the {len(PHASE_NAMES)} processes must call barrier.wait() once." + note,
        )
    if sorted(lines) != sorted(expected):
        return Verdict(
            False,
            f"the log should hold {', '.join(repr(line) for line in sorted(expected))}, each once; "
            f"it held {lines!r}." + note,
        )
    first_phase_2 = next(index for index, line in enumerate(lines) if line.endswith("phase 2"))
    late = [line for line in lines[first_phase_2:] if line.endswith("phase 1")]
    if late:
        ahead = lines[first_phase_2].split(":")[0]
        return Verdict(
            False,
            f"{ahead} began phase 2 before {late[0].split(':')[0]} had finished phase 1. Between "
            f"the two phases, wait for the others: barrier.wait()." + note,
        )
    return Verdict(
        True,
        f"{', '.join(PHASE_NAMES)} came to phase 1 {PHASE_DELAY} s apart, and none began phase 2 "
        f"before the last had finished phase 1: each waited at the barrier for the others." + note,
    )


# -- Exercise 4: a tally that a pool's tasks share ------------------------------------------

TALLY_COUNTS = {"apple": 25, "pear": 20, "fig": 15}  # how many tasks count each word: 60 tasks in all
TALLY_WORKERS = 2
TALLY_PAUSE = 0.002  # seconds a read of the dict waits before it returns: a write computed from it comes late


def tally_words() -> list[str]:
    """The words the checker's pool counts, one task each, taken in turns: apple, pear, fig, apple, ..."""
    most = max(TALLY_COUNTS.values())
    return [word for turn in range(most) for word, count in TALLY_COUNTS.items() if turn < count]


# What the watched dict notes as reads; __setitem__ and update are its writes. setdefault and pop
# are not watched: each is one request, whole, and so safe without the lock.
READS = ("__getitem__", "get", "__contains__", "copy", "keys", "items", "values")

_held_here = 0  # in a task's process: how many times it holds the checker's lock now (see WatchedLockProxy)


class WatchedDict(dict):
    """The dict that check_tally's manager holds: it notes each read and write it is asked for,
    with whether the asking task held the checker's lock (which only the task's process knows)."""

    def __init__(self):
        super().__init__()
        self._notes: collections.Counter = collections.Counter()
        self._guard = threading.Lock()  # the server's threads, one per worker, note at once

    def watched(self, method: str, args: tuple, held: bool) -> Any:
        with self._guard:
            self._notes["read" if method in READS else "write", held] += 1
        result = getattr(dict, method)(self, *args)
        return list(result) if method in ("keys", "items", "values") else result

    def report(self) -> tuple[dict, dict]:
        """A plain copy of the counts, and the notes: {("read" or "write", held): how many}."""
        return dict(self), dict(self._notes)


class WatchedDictProxy(DictProxy):
    """The learner's `counts`: a DictProxy whose reads and writes tell the dict whether the lock is held."""

    _exposed_ = (*DictProxy._exposed_, "watched", "report")

    def _watch(self, method: str, *args: Any) -> Any:
        result = self._callmethod("watched", (method, args, _held_here > 0))
        if method in READS:
            time.sleep(TALLY_PAUSE)  # another task may now read the same count: without the lock, it will
        return result

    def __getitem__(self, key):
        return self._watch("__getitem__", key)

    def get(self, key, default=None):
        return self._watch("get", key, default)

    def __contains__(self, key):
        return self._watch("__contains__", key)

    def copy(self):
        return self._watch("copy")

    def keys(self):
        return self._watch("keys")

    def items(self):
        return self._watch("items")

    def values(self):
        return self._watch("values")

    def __setitem__(self, key, value):
        return self._watch("__setitem__", key, value)

    def update(self, other=(), **kwargs):
        return self._watch("update", {**dict(other), **kwargs})


class WatchedLockProxy(AcquirerProxy):
    """The learner's `lock`: a manager's Lock that keeps count, in the task's process, of whether it is held."""

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        got = super().acquire(blocking, timeout)
        _note_held(+1 if got else 0)
        return got

    def release(self) -> None:
        super().release()
        _note_held(-1)

    def __enter__(self) -> bool:
        got = super().__enter__()
        _note_held(+1)
        return got

    def __exit__(self, *exc_info) -> None:
        super().__exit__(*exc_info)
        _note_held(-1)


def _note_held(change: int) -> None:
    global _held_here
    _held_here = max(0, _held_here + change)


class TallyManager(SyncManager):
    """The checker's manager: a SyncManager that also holds a watched dict and a watched Lock."""


TallyManager.register("WatchedDict", WatchedDict, WatchedDictProxy)
TallyManager.register("WatchedLock", threading.Lock, WatchedLockProxy)


def check_tally(function: Callable[[Any, Any, str], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 4: `function(counts, lock, word)` adds 1 to `counts[word]` (0 if absent), where
    `counts` is a manager's dict and `lock` a manager's Lock, shared by all the tasks of a pool.

    The checker runs `pool.starmap(function, ...)` over tally_words() on TALLY_WORKERS workers, and
    judges from the counts, what the tasks returned, and the dict's notes (WatchedDict): one run is
    enough, since what is judged is whether each read and write happened under the lock.
    """
    if not callable(function):
        report(find_trouble(run_learner_code(function, timeout), timeout))
        return
    run = run_learner_code(lambda: _run_tally(function), timeout)
    if run.timed_out:
        report(Verdict(False, (
            f"the pool's tasks were still running after {timeout:g} s, so the checker stopped them: a task "
            f"waits in lock.acquire() for a lock that another never released. Does every acquire() have its "
            f"release()? `with lock:` releases the lock even when the code inside fails.")))
        return
    if isinstance(run.error, KeyError):
        report(Verdict(False, (
            f"your function raised KeyError: {run.error}. The dict starts empty, so the first time a word "
            f"comes, `counts[word]` has nothing to read (that is what `counts[word] += 1` does first). Read "
            f"it with a default: counts[word] = counts.get(word, 0) + 1.") + left_running_note(run)))
        return
    report(find_trouble(run, timeout) or _judge_tally(run))


def _run_tally(function: Callable) -> tuple[dict, dict, list]:
    """Run `function` in a pool's tasks; return (the counts, the dict's notes, what the tasks returned)."""
    spawn = get_context("spawn")
    with TallyManager(ctx=spawn) as manager:
        counts, lock = manager.WatchedDict(), manager.WatchedLock()
        with spawn.Pool(TALLY_WORKERS) as pool:
            returned = pool.starmap(function, [(counts, lock, word) for word in tally_words()], chunksize=1)
        final, notes = counts._callmethod("report")
    return final, notes, returned


def _judge_tally(run: LearnerRun) -> Verdict:
    final, notes, returned = run.value
    note = left_running_note(run)
    words = tally_words()
    expected = dict(TALLY_COUNTS)
    tasks = f"{len(words)} tasks on {TALLY_WORKERS} workers"
    reads_locked, reads_unlocked = notes.get(("read", True), 0), notes.get(("read", False), 0)
    writes_locked, writes_unlocked = notes.get(("write", True), 0), notes.get(("write", False), 0)
    if not final:
        given = next((value for value in returned if value is not None), None)
        if given is not None:
            return Verdict(False, (
                f"your tally() returned {given!r} and stored nothing in counts, which is still empty. The pool's "
                f"map collects what tasks return, and nobody adds those up: store the count in the shared dict "
                f"itself, counts[word] = counts.get(word, 0) + 1.") + note)
        if reads_locked + reads_unlocked:
            return Verdict(False, (
                "counts is still empty: the workers changed their own copies. A copy of the manager's dict "
                "(dict(counts), counts.copy()) is a plain dict in the task's process, and what you write into "
                "it stays there. Write through the proxy itself: counts[word] = ...") + note)
        return Verdict(False, (
            "your tally() stored nothing in counts, which is still empty. Add 1 to the word's count in the "
            "shared dict: counts[word] = counts.get(word, 0) + 1.") + note)
    strangers = sorted(map(repr, set(final) - set(expected)))
    if strangers:
        return Verdict(False, (
            f"counts has keys that are not the words counted: {', '.join(strangers)}. Use the word itself as "
            f"the key, counts[word], not a string written in the code.") + note)
    # How many counts this run lost is luck (the verdict would change from run to run); where the lock was
    # held is not. The counts are only judged once every read and write was under the lock.
    if reads_unlocked and writes_unlocked:
        return Verdict(False, (
            f"you read then wrote without the lock: {reads_unlocked} reads and {writes_unlocked} writes of counts "
            f"happened while the task did not hold `lock`. `counts[word] = counts.get(word, 0) + 1` "
            f"is two messages to the manager, a get and then a set; between them another worker can read the "
            f"same count, and one of the two updates is lost. Put the read and the write in one `with lock:` "
            f"block. (A lock you create inside tally() is a new one in each task, and keeps nobody out.)") + note)
    if reads_unlocked:
        return Verdict(False, (
            f"you write counts under the lock, but read it before taking the lock ({reads_unlocked} reads "
            f"without it). Between your read and your write another worker can count the same word, "
            f"and your write, computed from the old count, erases it. The read must be inside the "
            f"`with lock:` block too.") + note)
    if writes_unlocked:
        return Verdict(False, (
            f"you locked too little: you read counts under the lock, but write it after the `with lock:` block "
            f"has ended ({writes_unlocked} writes without it). Another worker can take the lock and "
            f"count the same word between your read and your write. Put the write inside the block too.") + note)
    if final != expected:
        wrong = ", ".join(f"{word}: {final.get(word, 0)} (expected {count})" for word, count in expected.items()
                          if final.get(word, 0) != count)
        return Verdict(False, (
            f"every read and write of counts happened under the lock, but the counts are wrong: {wrong}. Add "
            f"exactly 1 per task.") + note)
    counted = ", ".join(f"{word} {count} times" for word, count in expected.items())
    return Verdict(True, (
        f"{tasks} counted {counted}, exactly: every read and write of counts happened inside the lock, so no "
        f"worker could come between another's read and its write.") + note)
