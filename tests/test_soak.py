"""A soak: a minute of mixed work under random faults, and nothing left behind.

`make test` runs it for 60 seconds; `make quick` leaves it out. For a long run by hand:

    MINIMP_SOAK_SECONDS=1800 python -m pytest tests/test_soak.py -m soak -s

Round after round, drawn at random from one seed, the soak makes a Pool or a
ProcessPoolExecutor (under fork mostly, spawn and forkserver too) of 1 to 3
workers, with a random chunksize and maxtasksperchild, and gives it mixed work
(map, starmap, imap, imap_unordered, apply_async, submit; the executor's submit
and map): tasks that return a value computed from their argument, tasks that
raise a known error, tasks that sleep a little. Most rounds inject one fault:

    kill         SIGKILL a random worker in the middle of a call (from a Timer thread)
    interrupt    SIGINT to this process while it waits: KeyboardInterrupt comes out of the wait
    drop         the pool is dropped unclosed: minimp terminates it and warns (ResourceWarning)
    grandchild   tasks start `sleep 30`, then the pool is terminated or a worker killed
    timeout      a wait shorter than its task: minimp's TimeoutError, then the value after all
    child        a Process that feeds a Queue, or echoes one into another, is killed

Every task must have returned its right value, raised its own error, or failed
with the error minimp documents for the fault (WorkerDiedError naming the item
and the pid that was killed, BrokenProcessPool, CallCancelledError for the call an
interrupt cancelled, ...), once: never a wrong value, never twice, never no outcome at
all (every wait has a timeout, far below the test's). Every few rounds and at
the end, nothing may be left: no child process, no worker, no `sleep`, no
file descriptor.

The first problem ends the soak; the failure lists every problem with its round,
and the counts. The seed is printed first: MINIMP_SOAK_SEED=<seed> draws the
same rounds again (their timing differs, so a race may take a few runs to come back).
"""

from __future__ import annotations

import collections
import gc
import os
import queue as queue_module
import random
import re
import signal
import subprocess
import sys
import threading
import time
import traceback
import types
import warnings
from concurrent.futures.process import BrokenProcessPool
from typing import NamedTuple

import pytest

import minimp
from minimp.pools import lifetime

# What no_leaks (tests/conftest.py) counts with (pytest puts tests/ on the path).
from leaks import _wait_for, open_fds, os_children, the_forkserver

pytestmark = pytest.mark.soak

DURATION = float(os.environ.get("MINIMP_SOAK_SECONDS", "60"))
SEED = int(os.environ.get("MINIMP_SOAK_SEED") or random.SystemRandom().randrange(1 << 32))
WAIT = 20.0  # no wait of the soak takes longer: a task with no outcome by then is lost (or hung)
CHECK_EVERY = 8  # rounds between two looks for what was left behind
SETTLE = 5.0  # how long a leftover may take to go (a child exiting, a descriptor closed by gc)


# -- what the tasks and children run ----------------------------------------------------------


class SoakError(Exception):
    """The known error: a task of kind "raise" raises it with its own number."""


def value_of(n: int) -> tuple[int, int]:
    """The right value of task `n`: it names the task, so a value given to the wrong task shows."""
    return n, 3 * n + 1


def work(item: tuple[int, str, float]):
    """A task: `item` is (its number, its kind, seconds to sleep). Kinds: "value" and "sleep"
    return value_of(n), "raise" raises SoakError(n), "hang" sleeps 30 s (until an interrupt)."""
    n, kind, seconds = item
    if seconds:
        time.sleep(seconds)
    if kind == "raise":
        raise SoakError(n)
    return value_of(n)


def work_star(n: int, kind: str, seconds: float):
    """starmap's task: the same, its item spread into arguments."""
    return work((n, kind, seconds))


def start_a_sleeper(item: tuple[int, str, float]) -> tuple[int, int]:
    """A task that starts a process of its own, `sleep 30`, and leaves it running."""
    return item[0], subprocess.Popen(["sleep", "30"]).pid


def produce(queue, first: int, count: int) -> None:
    """A child that puts the values of tasks first, first + 1, ... into `queue`, in order."""
    for n in range(first, first + count):
        queue.put(value_of(n))
        time.sleep(0.0005)


def echo(requests, replies) -> None:
    """A child that takes each number from `requests` and puts its value into `replies`."""
    while True:
        try:
            n = requests.get_nowait()
        except queue_module.Empty:
            return
        replies.put(value_of(n))


# -- processes, told apart by pid and start time ---------------------------------------------------


def identity(pid: int) -> tuple[int, str] | None:
    """(pid, start time): a process, not a later one that reuses its pid; None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return pid, f.read().rsplit(")", 1)[1].split()[19]  # field 22, starttime
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None


def running(process: tuple[int, str]) -> bool:
    """Does this very process still run? A zombie does not, but only once each of its threads is
    one: a killed process's first thread can be a zombie while another still exits, holding the
    process's descriptors (a worker's watchdog thread: its task pipe still takes a task then)."""
    if identity(process[0]) != process:
        return False
    try:
        threads = os.listdir(f"/proc/{process[0]}/task")
    except (FileNotFoundError, ProcessLookupError):
        return False
    for thread in threads:
        try:
            with open(f"/proc/{process[0]}/task/{thread}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] not in "ZX":
                    return True
        except (FileNotFoundError, ProcessLookupError):
            pass
    return False


def parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None


def pool_workers() -> list[int]:
    """The pids of the pool workers alive now (one pool at a time runs, so: the current pool's)."""
    return sorted(p.pid for p in minimp.active_children() if "PoolWorker" in p.name)


def eventually(condition, timeout: float = SETTLE) -> bool:
    return _wait_for(condition, timeout)


# -- the ledger: every outcome, every fault, every problem ------------------------------------------


class Failure(NamedTuple):
    """An exception as the soak keeps it: its class, message and args. Not the exception itself,
    whose traceback's frames would keep the pool alive (the drop rounds need it to be garbage)."""

    kind: type
    message: str
    args: tuple


def failure(error: BaseException) -> Failure:
    # The exception is the one a result or future keeps, and raises again on every get(): the
    # traceback this raise gave it would hold the soak's frames, and through them the pool, for
    # as long as the pool's thread holds the future (a map's other chunks running), then until
    # a garbage collection. A dropped pool would live on, and not because of minimp.
    error.__traceback__ = None
    return Failure(type(error), str(error), error.args)


def outcome_of(wait):
    """What `wait()` returned, or a Failure if it raised."""
    try:
        return wait()
    except Exception as error:
        return failure(error)


class Ledger:
    """What the soak saw, for its report: tasks by outcome, faults by kind, and the problems."""

    def __init__(self):
        self.tasks = collections.Counter()  # outcome -> tasks
        self.faults = collections.Counter()  # kind -> times injected (and what they hit)
        self.calls = collections.Counter()  # "Pool.map", "ProcessPoolExecutor.submit", ...
        self.rounds = collections.Counter()  # scenario -> rounds
        self.methods = collections.Counter()  # start method -> rounds
        self.messages = collections.Counter()  # the child rounds' queue messages, by fate
        self.problems: list[str] = []
        self.seen: set[int] = set()  # the numbers of the tasks that had an outcome
        self.watched: set = set()  # identities of the workers and children seen, until seen gone
        self.sleepers: set = set()  # identities of the tasks' `sleep 30`, until seen gone
        self.plan: types.SimpleNamespace | None = None  # the round running now
        self.started = time.monotonic()

    def problem(self, text: str) -> None:
        where = f"round {self.plan.number} ({describe(self.plan)})" if self.plan else "the end"
        self.problems.append(f"{where}: {text}")

    def settle(self, n: int) -> bool:
        """Task `n` has its outcome: False (and a problem) if it had one already."""
        if n in self.seen:
            self.problem(f"task {n} had a second outcome")
            return False
        self.seen.add(n)
        return True

    def saw_workers(self) -> None:
        for pid in pool_workers():
            if process := identity(pid):
                self.watched.add(process)

    def report(self) -> str:
        def counts(counter):
            return ", ".join(f"{key} {count}" for key, count in counter.most_common()) or "none"

        lines = [
            f"soak: seed {SEED} (replay with MINIMP_SOAK_SEED={SEED}), {DURATION:g} s planned, "
            f"{time.monotonic() - self.started:.0f} s run, {sum(self.rounds.values())} rounds, "
            f"{sum(self.tasks.values())} tasks",
            f"  rounds: {counts(self.rounds)}",
            f"  start methods: {counts(self.methods)}",
            f"  calls: {counts(self.calls)}",
            f"  tasks by outcome: {counts(self.tasks)}",
            f"  faults: {counts(self.faults)}",
            f"  queue messages: {counts(self.messages)}",
            f"  problems: {len(self.problems)}",
            *(f"    {problem}" for problem in self.problems),
        ]
        return "\n".join(lines)


def describe(plan) -> str:
    if plan.scenario == "child":
        return f"child, {plan.method}, {plan.variant}, {plan.count} messages, kill at {plan.kill_at}"
    return (f"{plan.scenario}, {plan.kind}({plan.processes}) under {plan.method}, "
            f"max tasks per child {plan.max_tasks}")


# -- a call and its check ---------------------------------------------------------------------------

DIED = re.compile(r"\(pid (\d+)\) was killed by signal SIGKILL")


class Call:
    """One call of the API in a round: its tasks, what faults it may meet, the pids killed during it."""

    def __init__(self, api: str, items: list, label: str, chunksize=None, kill=None, buffersize=None):
        self.api, self.items, self.label, self.chunksize, self.buffersize = api, items, label, chunksize, buffersize
        self.kill = kill  # (delay, pick) of a Killer, or None
        self.killed: list[int] = []  # set once its Killer has run
        self.terminated = False  # terminate() stopped its pool: PoolTerminatedError is fine
        self.cancelled = False  # an interrupt cancelled it: CallCancelledError is fine

    def __repr__(self) -> str:
        return (f"{self.api}({len(self.items)} tasks, chunksize {self.chunksize}, buffersize {self.buffersize}, "
                f"kill {self.kill})")


def explain(ledger: Ledger, plan, call: Call, outcome: Failure, position: int | None) -> str | None:
    """The documented outcome `outcome` is for the task at `position` of `call` (None: for the
    whole call, as a map raises), as a count's name; None, with a problem, if it is none."""
    kind, message = outcome.kind, outcome.message
    items = call.items if position is None else [call.items[position]]
    if kind is SoakError:
        if any(item[1] == "raise" and outcome.args == (item[0],) for item in items):
            return "raised its own SoakError"
    elif kind in (minimp.WorkerDiedError, minimp.WorkerStartError, BrokenProcessPool):
        killed = DIED.search(message)
        ours = killed and int(killed[1]) in plan.killed
        if kind is minimp.WorkerDiedError and ours and plan.kind == "Pool" and call.killed:
            if names_the_task(message, call, position):
                return "WorkerDiedError (its worker was killed)"
        elif kind is minimp.WorkerStartError and ours and plan.kind == "Pool":
            return "WorkerStartError (workers killed while starting)"
        elif kind is BrokenProcessPool and ours and plan.kind == "ProcessPoolExecutor":
            return "BrokenProcessPool (a worker was killed)"
    elif kind is minimp.PoolTerminatedError and call.terminated:
        return "PoolTerminatedError (its pool was stopped)"
    elif kind is minimp.CallCancelledError and call.cancelled:
        return "CallCancelledError (an interrupt cancelled its call)"
    elif kind in (minimp.TimeoutError, TimeoutError):
        ledger.problem(f"{call}: no outcome within {WAIT:g} s, lost or hung: {message}")
        return None
    ledger.problem(f"{call}: {'the call' if position is None else f'task {items[0]}'} failed with "
                   f"{kind.__name__}: {message!r}, which no fault of the call explains "
                   f"(killed in this call: {call.killed}, in this round: {plan.killed})")
    return None


def names_the_task(message: str, call: Call, position: int | None) -> bool:
    """Does a WorkerDiedError's message name this call and the task at `position` (None: any of its tasks)?
    "apply_async(work), args ((12, 'sleep', 0.01),)", "item 5 of map(work), argument (17, ...)",
    or, for a chunk that ran untraced, "one of items 5-9 of map(work)"."""
    label = re.escape(call.label)
    single = re.search(rf"while running {label}, args \(\((\d+),", message)
    item = re.search(rf"while running item (\d+) of {label}, ", message)
    chunk = re.search(rf"while running one of items (\d+)-(\d+) of {label}$", message)
    if position is None:
        return bool(single or item or chunk)
    if single:
        return int(single[1]) == call.items[position][0]
    return bool(item and int(item[1]) == position or chunk and int(chunk[1]) <= position <= int(chunk[2]))


def judge(ledger: Ledger, plan, call: Call, shape: str, outcomes: list) -> None:
    """Check the outcomes of `call`, observed in one of three shapes:
    "whole": one outcome for the whole call (map, starmap, or a call refused at once);
    "ordered": the outcome of each task, in order (an executor's map stops at its first error);
    "unordered": imap_unordered's, in the order they came."""
    ledger.calls[f"{plan.kind}.{call.api}"] += 1
    if shape == "whole":
        [outcome] = outcomes
        for item in call.items:
            ledger.settle(item[0])
        if isinstance(outcome, Failure):
            if name := explain(ledger, plan, call, outcome, None):
                ledger.tasks[f"{name} (for its whole call)"] += len(call.items)
        elif outcome != [value_of(item[0]) for item in call.items] or any(i[1] == "raise" for i in call.items):
            ledger.problem(f"{call} returned {outcome!r}, not its values")
        else:
            ledger.tasks["returned its value"] += len(call.items)
        return
    if shape == "unordered":
        outcomes = place(ledger, call, outcomes)
        if outcomes is None:
            return
    if len(outcomes) > len(call.items):
        ledger.problem(f"{call}: {len(outcomes)} outcomes for {len(call.items)} tasks: {outcomes[len(call.items):]!r}")
        outcomes = outcomes[: len(call.items)]
    for position, outcome in enumerate(outcomes):
        judge_task(ledger, plan, call, position, outcome)
    if len(outcomes) < len(call.items):  # only an executor's map that raised ends there
        if not call.api.startswith("executor.map") or not (outcomes and isinstance(outcomes[-1], Failure)):
            ledger.problem(f"{call}: {len(outcomes)} outcomes for {len(call.items)} tasks, and no error last")
        ledger.tasks["not taken: its map had raised"] += len(call.items) - len(outcomes)
        for item in call.items[len(outcomes):]:
            ledger.settle(item[0])


def judge_task(ledger: Ledger, plan, call: Call, position: int, outcome) -> None:
    n, kind, _ = item = call.items[position]
    if not ledger.settle(n):
        return
    if isinstance(outcome, Failure):
        if name := explain(ledger, plan, call, outcome, position):
            ledger.tasks[name] += 1
    elif kind == "raise" or outcome != value_of(n):
        ledger.problem(f"{call}: task {item} returned {outcome!r}")
    else:
        ledger.tasks["returned its value"] += 1


def place(ledger: Ledger, call: Call, outcomes: list) -> list | None:
    """imap_unordered's outcomes put in their tasks' places: a value or a SoakError names its
    task; each WorkerDiedError takes the place of a task it names that nothing else took."""
    by_number = {item[0]: position for position, item in enumerate(call.items)}
    placed: dict[int, object] = {}
    died = []
    for outcome in outcomes:
        if isinstance(outcome, Failure) and outcome.kind is not SoakError:
            died.append(outcome)
            continue
        n = outcome.args[0] if isinstance(outcome, Failure) else outcome[0] if isinstance(outcome, tuple) else None
        if n not in by_number or by_number[n] in placed:
            ledger.problem(f"{call}: {outcome!r} is for no task of the call, or for one that had its outcome")
            return None
        placed[by_number[n]] = outcome
    left = [position for position in range(len(call.items)) if position not in placed]
    if len(left) != len(died):
        ledger.problem(f"{call}: {len(placed)} values and own errors and {len(died)} other failures "
                       f"for {len(call.items)} tasks: {died!r}")
        return None
    for position, outcome in zip(left, died):  # a chunk's tasks fail together, so any order will do
        if outcome.kind is minimp.WorkerDiedError and not names_the_task(outcome.message, call, position):
            ledger.problem(f"{call}: {outcome.message!r} does not name task {position}, which had no outcome")
        placed[position] = outcome
    return [placed[position] for position in range(len(call.items))]


# -- running a call -------------------------------------------------------------------------------


def run(pool, call: Call) -> tuple[str, list]:
    """Make `call` on `pool`, wait for every outcome (never longer than WAIT); return them
    in a shape `judge` reads."""
    api, items, chunksize = call.api, call.items, call.chunksize
    try:
        if api == "map":
            return "whole", [outcome_of(lambda: pool.map_async(work, items, chunksize).get(WAIT))]
        if api == "starmap":
            return "whole", [outcome_of(lambda: pool.starmap_async(work_star, items, chunksize).get(WAIT))]
        if api in ("imap", "imap_unordered"):
            results = getattr(pool, api)(work, items, chunksize)
            outcomes = [outcome_of(lambda: results.next(WAIT)) for _ in items]
            return ("ordered" if api == "imap" else "unordered"), outcomes + unexpected_more(results)
        if api == "apply_async":
            results = [pool.apply_async(work, (item,)) for item in items]
            return "ordered", [outcome_of(lambda r=r: r.get(WAIT)) for r in results]
        if api == "submit":
            futures = [pool.submit(work, item) for item in items]
            return "ordered", [outcome_of(lambda f=f: f.result(WAIT)) for f in futures]
        if api in ("executor.map", "executor.map(buffersize)"):
            buffersize = call.buffersize if api == "executor.map(buffersize)" else None
            results = pool.map(work, items, timeout=WAIT, chunksize=chunksize, buffersize=buffersize)
            outcomes = []
            while len(outcomes) < len(items) and not any(isinstance(o, Failure) for o in outcomes):
                outcomes.append(outcome_of(lambda: next(results)))
            return "ordered", outcomes
    except Exception as error:  # refused at once: the pool had broken
        return "whole", [failure(error)]
    raise ValueError(f"no such call: {api}")


def unexpected_more(results) -> list:
    """An imap's iterator must end after its tasks: anything more is an outcome too many."""
    try:
        return [results.next(1)]
    except StopIteration:
        return []
    except Exception as error:
        return [failure(error)]


LABELS = {"map": "map(work)", "starmap": "starmap(work_star)", "imap": "imap(work)",
          "imap_unordered": "imap_unordered(work)", "apply_async": "apply_async(work)", "submit": "submit(work)",
          "executor.map": "map(work)", "executor.map(buffersize)": "map(work)"}  # fmt: skip


# -- the faults -------------------------------------------------------------------------------------


class Killer:
    """SIGKILL a worker of the running pool `delay` seconds from now, from a Timer thread:
    the one at `pick` (0 to 1) along their sorted pids. `killed`: the pid, once killed."""

    def __init__(self, ledger: Ledger, delay: float, pick: float):
        self.killed: list[int] = []
        self._victim: tuple[int, str] | None = None
        self._timer = threading.Timer(delay, self._kill, (ledger, pick))
        self._timer.name = "soak-killer"

    def _kill(self, ledger: Ledger, pick: float) -> None:
        workers = pool_workers()
        if not workers:
            return
        pid = workers[int(pick * len(workers))]
        self._victim = identity(pid)
        if self._victim:
            ledger.watched.add(self._victim)
        try:
            os.kill(pid, signal.SIGKILL)
            self.killed.append(pid)
        except ProcessLookupError:  # it exited meanwhile (its max tasks done)
            pass

    def __enter__(self) -> Killer:
        self._timer.start()
        return self

    def __exit__(self, *exc_info) -> None:
        # The call ends once its victim is dead: a SIGKILL takes effect when the victim next runs,
        # and until then it may take a task of the next call (which would fail, rightly, with it).
        # Dead (every thread, see running()), it takes no more: a task written into its pipe comes
        # back (EPIPE), to another worker.
        self._timer.join()
        if self.killed and self._victim:
            eventually(lambda: not running(self._victim))


WAITING = threading.Condition.wait.__code__  # where a main thread waiting for a result is


class Interrupter:
    """Ctrl-C, in `delay` seconds, once the main thread is waiting (in a Condition's wait, as
    every result and future waits): a real SIGINT sent to it, which wakes it up. Only then:
    an interrupt that came between two waits would come out of the soak's own code."""

    def __init__(self, delay: float):
        self.sent_at: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(delay,), name="soak-interrupter")

    def _run(self, delay: float) -> None:
        main = threading.main_thread()
        if self._stop.wait(delay):
            return
        while not self._stop.is_set():
            frame = sys._current_frames().get(main.ident)
            if frame is not None and frame.f_code is WAITING:
                self.sent_at = time.monotonic()
                signal.pthread_kill(main.ident, signal.SIGINT)
                return
            time.sleep(0.002)

    def __enter__(self) -> Interrupter:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()


# -- planning a round: every random draw is made here, before it runs ---------------------------------


class Planner:
    """Draws the rounds from the seed. Only here: what a round meets (its timing) cannot
    change what the next rounds are, so a seed always draws the same rounds."""

    SCENARIOS = {"calls": 22, "kill": 26, "interrupt": 12, "drop": 10, "grandchild": 8, "timeout": 8, "child": 14}
    METHODS = {"fork": 70, "forkserver": 15, "spawn": 15}
    POOL_CALLS = {"map": 3, "starmap": 2, "imap": 3, "imap_unordered": 3, "apply_async": 3, "submit": 2}
    EXECUTOR_CALLS = {"submit": 3, "executor.map": 2, "executor.map(buffersize)": 2}

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.number = 0
        self.next_task = 1

    def pick(self, weights: dict):
        return self.rng.choices(list(weights), list(weights.values()))[0]

    def items(self, count: int, sleepy: float = 0.25, raising: float = 0.15) -> list[tuple[int, str, float]]:
        """`count` tasks: sleeping ones (1 to 30 ms) `sleepy` of the time, raising ones `raising`."""
        items = []
        for _ in range(count):
            draw = self.rng.random()
            kind = "sleep" if draw < sleepy else "raise" if draw < sleepy + raising else "value"
            items.append((self.next_task, kind, round(self.rng.uniform(0.001, 0.03), 4) if kind == "sleep" else 0))
            self.next_task += 1
        return items

    def hang(self) -> tuple[int, str, float]:
        self.next_task += 1
        return self.next_task - 1, "hang", 30

    def next_round(self) -> types.SimpleNamespace:
        self.number += 1
        rng = self.rng
        plan = types.SimpleNamespace(number=self.number, scenario=self.pick(self.SCENARIOS),
                                     method=self.pick(self.METHODS), killed=[])
        slow_start = plan.method != "fork"
        if plan.scenario == "child":
            plan.variant = rng.choice(["producer", "echo"])
            plan.count, plan.first = rng.randint(5, 300), self.next_task
            self.next_task += plan.count
            plan.kill_at = round(rng.uniform(0, 0.4 if slow_start else 0.12), 3) if rng.random() < 0.8 else None
            return plan
        plan.kind = "ProcessPoolExecutor" if rng.random() < 0.3 else "Pool"
        plan.processes = rng.randint(1, 3)
        plan.max_tasks = rng.choice([None, None, None, 2, 5] + ([] if slow_start else [1]))
        plan.close = rng.random() < 0.3  # a Pool ends with close() and join(), not terminate()
        most = 12 if slow_start else 40

        def a_call(kill: bool = False, calls: dict | None = None) -> Call:
            api = self.pick(calls or (self.EXECUTOR_CALLS if plan.kind == "ProcessPoolExecutor" else self.POOL_CALLS))
            chunksize = rng.choice({"map": [None, 1, 2, 3, 7], "starmap": [None, 1, 2, 3, 7]}.get(api, [1, 1, 2, 5]))
            # A map raises its first error only: most maps raise none, so that their values are checked.
            raising = 0.15 if api in ("imap", "imap_unordered", "apply_async", "submit") or rng.random() < 0.3 else 0
            items = self.items(rng.randint(1, most), sleepy=0.5 if kill else 0.25, raising=raising)
            killing = (round(rng.uniform(0, 0.4 if slow_start else 0.12), 3), rng.random()) if kill else None
            buffersize = rng.randint(1, 8) if api == "executor.map(buffersize)" else None
            return Call(api, items, LABELS[api], chunksize if api not in ("apply_async", "submit") else None, killing,
                        buffersize)

        if plan.scenario in ("calls", "kill"):
            plan.calls = [a_call(kill=plan.scenario == "kill" and rng.random() < 0.7) for _ in range(rng.randint(1, 4))]
            if plan.scenario == "kill" and not any(call.kill for call in plan.calls):
                plan.calls[-1] = a_call(kill=True)
        elif plan.scenario == "interrupt":
            plan.others = self.items(rng.randint(0, 6))  # submitted before the interrupted wait
            # No imap or imap_unordered here: a cancelled imap reads no more of its iterable, so
            # its later items never become tasks, and have no outcome to judge.
            waits = ["submit", "executor.map"] if plan.kind == "ProcessPoolExecutor" else \
                ["map", "apply_async", "submit"]
            api = rng.choice(waits)
            if api in ("apply_async", "submit"):
                items = [self.hang()]
            elif api == "imap_unordered":  # its first next() would return a quick task's value
                items = [self.hang() for _ in range(rng.randint(1, 3))]
            else:  # the wait is for the hang, first: quick tasks end meanwhile
                items = [self.hang(), *self.items(rng.randint(0, 20))]
            plan.wait = Call(api, items, LABELS[api], 1 if api in ("imap", "imap_unordered", "executor.map") else None)
            plan.delay = round(rng.uniform(0.02, 0.4), 3)
        elif plan.scenario == "drop":
            plan.calls = [a_call() for _ in range(rng.randint(0, 2))]
            plan.pending = self.items(rng.randint(0, 8))  # still running when the pool is dropped
        elif plan.scenario == "grandchild":
            plan.sleepers = self.items(rng.randint(1, 4), sleepy=0)
            plan.end = rng.choice(["terminate", "kill a worker"] if plan.kind == "Pool" else
                                  ["terminate_workers", "kill_workers"])
            plan.after = self.items(1, sleepy=0)[0][:1] + ("value", 0)  # a task for the pool that lost a worker
        elif plan.scenario == "timeout":
            api = rng.choice(["submit"] if plan.kind == "ProcessPoolExecutor" else
                             ["apply_async", "map", "imap", "submit"])
            plan.slow = Call(api, [(self.next_task, "sleep", 0.3)], LABELS[api], 1 if api != "apply_async" else None)
            self.next_task += 1
            plan.calls = [a_call() for _ in range(rng.randint(0, 1))]
        return plan


def make_pool(plan):
    ctx = minimp.get_context(plan.method)
    if plan.kind == "Pool":
        return ctx.Pool(plan.processes, maxtasksperchild=plan.max_tasks)
    return minimp.ProcessPoolExecutor(plan.processes, mp_context=ctx, max_tasks_per_child=plan.max_tasks)


def end_pool(pool, plan) -> None:
    """The normal end of a round's pool: close() and join(), terminate() or shutdown()."""
    if plan.kind == "ProcessPoolExecutor":
        pool.shutdown(wait=True)
    elif plan.close:
        pool.close()
        pool.join()
    else:
        pool.terminate()


def workers_gone(ledger: Ledger, why: str) -> None:
    """After a pool's end, its workers must exit (within SETTLE seconds)."""
    if not eventually(lambda: not pool_workers()):
        ledger.problem(f"workers still running {SETTLE:g} s after {why}: {pool_workers()}")


# -- the rounds -------------------------------------------------------------------------------------


def calls_round(ledger: Ledger, plan) -> None:
    """Mixed calls on one pool; in a "kill" round, a worker is killed during some of them."""
    pool = make_pool(plan)
    try:
        for call in plan.calls:
            if call.kill:
                ledger.faults["kill a worker"] += 1
                with Killer(ledger, *call.kill) as killer:
                    shape, outcomes = run(pool, call)
                call.killed = killer.killed
                plan.killed += killer.killed
            else:
                shape, outcomes = run(pool, call)
            ledger.saw_workers()
            judge(ledger, plan, call, shape, outcomes)
    finally:
        end_pool(pool, plan)
    workers_gone(ledger, "the pool's end")


def interrupt_round(ledger: Ledger, plan) -> None:
    """Ctrl-C while waiting: KeyboardInterrupt comes out of the wait, and that call is cancelled:
    its tasks that had not finished fail with CallCancelledError; the other calls are untouched;
    the pool takes more work."""
    executor = plan.kind == "ProcessPoolExecutor"
    pool = make_pool(plan)
    try:
        others = [pool.submit(work, item) if executor else pool.apply_async(work, (item,)) for item in plan.others]
        call = plan.wait
        api, items = call.api, call.items
        ledger.faults["interrupt a wait"] += 1
        if api == "map":
            result = pool.map_async(work, items)
            wait, again = (lambda: result.get(WAIT)), (lambda: [outcome_of(lambda: result.get(WAIT))])
        elif api in ("imap", "imap_unordered", "executor.map"):
            result = pool.map(work, items, timeout=WAIT) if executor else getattr(pool, api)(work, items)
            wait = (lambda: next(result)) if executor else (lambda: result.next(WAIT))
            # After the interrupt, an imap's every task has its outcome still (the one waited
            # for too); an executor's map has ended, as a generator does once it has raised.
            again = (lambda: []) if executor else (lambda: [outcome_of(lambda: result.next(WAIT)) for _ in items])
        else:
            result = pool.submit(work, items[0]) if api == "submit" else pool.apply_async(work, items)
            wait = (lambda: result.result(WAIT)) if api == "submit" else (lambda: result.get(WAIT))
            again = (lambda: [outcome_of(wait)])
        started = time.monotonic()
        with Interrupter(plan.delay) as interrupter:
            try:
                outcome = wait()
            except KeyboardInterrupt:
                outcome = KeyboardInterrupt
            except Exception as error:
                outcome = failure(error)
        if outcome is not KeyboardInterrupt:
            ledger.problem(f"the wait in {call} ended with {outcome!r}, not KeyboardInterrupt "
                           f"(interrupt sent: {interrupter.sent_at is not None})")
            return
        took = time.monotonic() - (interrupter.sent_at or started)
        if took > SETTLE:
            ledger.problem(f"KeyboardInterrupt came out of {call} {took:.1f} s after the SIGINT")
        ledger.tasks["KeyboardInterrupt out of the wait (its call)"] += 1

        # The call was cancelled: each of its outcomes is a value, its own error or
        # CallCancelledError; the other calls' tasks end as they would have; the pool goes on.
        call.cancelled = True
        others_call = Call("submit" if executor else "apply_async", plan.others, LABELS["submit" if executor else "apply_async"])
        judge(ledger, plan, others_call, "ordered",
              [outcome_of(lambda o=o: o.result(WAIT) if executor else o.get(WAIT)) for o in others])
        outcomes = again()
        if api in ("map", "apply_async", "submit"):
            judge(ledger, plan, call, "whole" if api == "map" else "ordered", outcomes)
        elif api == "executor.map":
            ledger.calls[f"{plan.kind}.{api}"] += 1
            ledger.tasks["KeyboardInterrupt out of the wait (its map ended)"] += len(items)
            for item in items:
                ledger.settle(item[0])
        else:
            judge(ledger, plan, call, "ordered" if api == "imap" else "unordered",
                  outcomes + unexpected_more(result))
        after = outcome_of(lambda: pool.submit(work, (0, "value", 0)).result(WAIT) if executor
                           else pool.apply_async(work, ((0, "value", 0),)).get(WAIT))
        if after != value_of(0):
            ledger.problem(f"after the interrupt the pool did not answer a new call: {after!r}")
    finally:
        pool.shutdown() if executor else pool.terminate()


def drop_round(ledger: Ledger, plan) -> None:
    """A pool dropped unclosed, maybe with tasks still running. A Pool finishes them (each result
    keeps it alive), then is terminated, with a ResourceWarning naming the line that made it;
    an executor finishes its work, then its workers exit, with no warning (concurrent.futures)."""
    executor = plan.kind == "ProcessPoolExecutor"
    api = "submit" if executor else "apply_async"
    pending = Call(f"{api} (then dropped)", plan.pending, LABELS[api])
    ledger.faults["drop a pool"] += 1
    arrived = []  # a Pool's pending outcomes, from callbacks: a result kept would keep the Pool alive
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pool = make_pool(plan)
        for call in plan.calls:
            shape, outcomes = run(pool, call)
            judge(ledger, plan, call, shape, outcomes)
        ledger.saw_workers()
        if executor:
            futures = [pool.submit(work, item) for item in plan.pending]  # a future does not keep its executor
        else:
            for item in plan.pending:
                pool.apply_async(work, (item,), callback=arrived.append,
                                 error_callback=lambda error: arrived.append(failure(error)))
        del pool
        gc.collect()
        if executor:
            shape, outcomes = "ordered", [outcome_of(lambda f=f: f.result(WAIT)) for f in futures]
            del futures
        else:
            shape, outcomes = "unordered", arrived
            if not eventually(lambda: len(arrived) == len(plan.pending), WAIT):
                ledger.problem(f"a dropped Pool's {len(plan.pending) - len(arrived)} pending tasks had no "
                               f"outcome within {WAIT:g} s")
                return
            # The last result lets go of the Pool in the pool's thread: the warning comes from there.
            eventually(lambda: any(issubclass(w.category, ResourceWarning) for w in caught))
            lifetime.wait_for_dropped(SETTLE)
    judge(ledger, plan, pending, shape, outcomes)
    dropped = [w for w in caught if issubclass(w.category, ResourceWarning)]
    made_at = f"unclosed running minimp.Pool created at {__file__}:"
    if executor and dropped:
        ledger.problem(f"a dropped executor warned: {[str(w.message) for w in dropped]}")
    elif not executor and [str(w.message).startswith(made_at) and w.filename == __file__ for w in dropped] != [True]:
        ledger.problem(f"a dropped Pool gave {len(dropped)} ResourceWarnings, not one naming its line: "
                       f"{[(w.filename, w.lineno, str(w.message)) for w in dropped]}")
    workers_gone(ledger, "the pool was dropped")


def grandchild_round(ledger: Ledger, plan) -> None:
    """Tasks start `sleep 30`s; ending the pool (terminate, or an executor's terminate_workers or
    kill_workers) ends them too, and so does a worker's death for the sleeps its tasks started."""
    executor = plan.kind == "ProcessPoolExecutor"
    pool = make_pool(plan)
    try:
        if executor:
            started = [pool.submit(start_a_sleeper, item).result(WAIT) for item in plan.sleepers]
        else:
            started = pool.map_async(start_a_sleeper, plan.sleepers, 1).get(WAIT)
        sleepers = {}
        for (n, pid), item in zip(started, plan.sleepers):
            if n != item[0]:
                ledger.problem(f"start_a_sleeper({item}) returned the number {n}")
            if process := identity(pid):
                sleepers[process] = parent_of(pid)
        ledger.sleepers.update(sleepers)
        ledger.tasks["started a sleep 30"] += len(started)
        for item in plan.sleepers:
            ledger.settle(item[0])
        ledger.calls[f"{plan.kind}.{'submit' if executor else 'map'} (start_a_sleeper)"] += 1
        ledger.saw_workers()
        ledger.faults[f"sleeps, then {plan.end}"] += 1
        if plan.end == "kill a worker":
            victim = next(iter(sleepers.values()))
            if victim in pool_workers() and (process := identity(victim)):  # not if it exited, its max tasks done
                os.kill(victim, signal.SIGKILL)
                plan.killed.append(victim)
                eventually(lambda: not running(process))  # dead: it takes no more tasks (see Killer)
                its_sleeps = [process for process, parent in sleepers.items() if parent == victim]
                if not eventually(lambda: not any(running(process) for process in its_sleeps)):
                    ledger.problem(f"the sleeps {its_sleeps} of killed worker {victim} outlived it")
            after = outcome_of(lambda: pool.apply_async(work, (plan.after,)).get(WAIT))
            if after != value_of(plan.after[0]):
                ledger.problem(f"after its worker was killed, the pool's next task gave {after!r}")
            ledger.settle(plan.after[0])
        getattr(pool, "terminate" if plan.end in ("terminate", "kill a worker") else plan.end)()
        if not eventually(lambda: not any(running(process) for process in sleepers)):
            ledger.problem(f"sleeps outlived {plan.end}: {[p for p in sleepers if running(p)]}")
    finally:
        pool.shutdown() if executor else pool.terminate()
    workers_gone(ledger, plan.end)


def timeout_round(ledger: Ledger, plan) -> None:
    """A wait shorter than its task raises minimp's TimeoutError (a future's: the built-in one),
    naming the call; the task goes on, and a second wait gets its value."""
    pool = make_pool(plan)
    executor = plan.kind == "ProcessPoolExecutor"
    try:
        for call in plan.calls:
            shape, outcomes = run(pool, call)
            judge(ledger, plan, call, shape, outcomes)
        call = plan.slow
        [item] = call.items
        ledger.faults["a wait too short"] += 1
        if call.api == "submit":
            result = pool.submit(work, item)
            wait, error, said = result.result, TimeoutError, ""
        elif call.api == "apply_async":
            result = pool.apply_async(work, (item,))
            wait, error, said = result.get, minimp.TimeoutError, "no result from apply_async(work) within 0.02 seconds"
        elif call.api == "map":
            result = pool.map_async(work, [item], 1)
            wait, error = result.get, minimp.TimeoutError
            said = "no result from map(work) within 0.02 seconds: 1 of its 1 items had not finished"
        else:
            result = pool.imap(work, [item])
            wait, error, said = result.next, minimp.TimeoutError, "no result for item 0 of imap(work) within 0.02 seconds"
        value = [value_of(item[0])] if call.api == "map" else value_of(item[0])
        first = outcome_of(lambda: wait(0.02))
        then = outcome_of(lambda: wait(WAIT)) if isinstance(first, Failure) else first
        ledger.calls[f"{plan.kind}.{call.api} (a wait too short)"] += 1
        ledger.settle(item[0])
        if first == value:  # the wait began late, the task done already (a busy machine)
            ledger.tasks["returned its value before a short timeout"] += 1
        elif not (isinstance(first, Failure) and first.kind is error and first.message == said):
            ledger.problem(f"a wait of 0.02 s for {call} gave {first!r}, not {error.__name__}({said!r})")
        elif then != value:
            ledger.problem(f"after its TimeoutError, {call} gave {then!r}, not {value!r}")
        else:
            ledger.tasks["TimeoutError, then its value"] += 1
    finally:
        end_pool(pool, plan)
    workers_gone(ledger, "the pool's end")


def child_round(ledger: Ledger, plan) -> None:
    """A Process feeds a Queue (or echoes one into another) and is killed, or not. What the parent
    reads is right and in order, a prefix of what was sent; only a message the child was holding
    when it died is missing; or the queue says the child died inside it (LockOwnerDiedError)."""
    ctx = minimp.get_context(plan.method)
    numbers = list(range(plan.first, plan.first + plan.count))
    replies = ctx.Queue()
    if plan.variant == "producer":
        requests = None
        child = ctx.Process(target=produce, args=(replies, plan.first, plan.count))
    else:
        requests = ctx.Queue()
        for n in numbers:
            requests.put(n)
        child = ctx.Process(target=echo, args=(requests, replies))
    child.start()
    if process := identity(child.pid):
        ledger.watched.add(process)  # under forkserver, not our child: look for it by pid
    if plan.kill_at is not None:
        time.sleep(plan.kill_at)
        child.kill()
        ledger.faults["kill a queue's child"] += 1
    child.join(WAIT)
    if child.exitcode is None:
        ledger.problem(f"the child did not exit within {WAIT:g} s")
        child.kill()
        child.join()
    exitcode, pid = child.exitcode, child.pid
    child.close()
    got, broken = drain(replies)
    left, broken_too = drain(requests) if requests is not None else ([], None)
    for reason in (broken, broken_too):
        if reason is None:
            continue
        if plan.kill_at is None or exitcode != -signal.SIGKILL or f"process {pid} died inside" not in reason:
            ledger.problem(f"a queue refused with LockOwnerDiedError, though its child was not killed in it: {reason}")
        ledger.messages["queue refused: the child died inside it (LockOwnerDiedError)"] += 1
    if broken or broken_too:
        return
    expected = [value_of(n) for n in numbers]
    if exitcode not in (0, -signal.SIGKILL) or (exitcode == -signal.SIGKILL and plan.kill_at is None):
        ledger.problem(f"the child's exit code is {exitcode}")
    taken = len(numbers) - len(left)  # what the echo took out of its requests
    in_flight = taken - len(got) if requests is not None else 0
    if got != expected[: len(got)] or left != numbers[taken:] or not 0 <= in_flight <= (exitcode != 0):
        ledger.problem(f"the parent read {got[:3]}...({len(got)}) and left {left[:3]}...({len(left)}) "
                       f"of {plan.count} messages, exit code {exitcode}")
    if exitcode == 0 and len(got) != len(numbers):
        ledger.problem(f"the child exited 0 but the parent read {len(got)} of {plan.count} messages")
    ledger.messages["read, right and in order"] += len(got)
    ledger.messages["not sent: the child was killed"] += len(numbers) - len(got) - in_flight
    ledger.messages["lost in flight: held by the killed child"] += in_flight


def drain(queue) -> tuple[list, str | None]:
    """Every message in `queue` (its writers have exited); or the LockOwnerDiedError it raised."""
    got = []
    while True:
        try:
            got.append(queue.get_nowait())
        except queue_module.Empty:
            return got, None
        except minimp.LockOwnerDiedError as error:
            return got, str(error)


ROUNDS = {"calls": calls_round, "kill": calls_round, "interrupt": interrupt_round, "drop": drop_round,
          "grandchild": grandchild_round, "timeout": timeout_round, "child": child_round}


# -- nothing left behind ------------------------------------------------------------------------------


def leftovers(ledger: Ledger, children_before: set, fds_before: set, collect: bool = False) -> list[str]:
    """What is still there and should not be: child processes, workers, sleeps, descriptors."""
    if collect:
        gc.collect()  # a descriptor in a reference cycle (an exception's traceback) closes only then
    ledger.watched = {process for process in ledger.watched if running(process)}
    ledger.sleepers = {process for process in ledger.sleepers if running(process)}
    left = []
    if children := os_children() - children_before - the_forkserver()[0]:
        left.append(f"child processes {sorted(children)}")
    if ledger.watched:
        left.append(f"workers or children {sorted(ledger.watched)}")
    if ledger.sleepers:
        left.append(f"sleep 30s {sorted(ledger.sleepers)}")
    if fds := open_fds() - fds_before - the_forkserver()[1]:
        left.append(f"file descriptors {[(fd, _readlink(fd)) for fd in sorted(fds)]}")
    return left


def _readlink(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return "?"


def check_nothing_left(ledger: Ledger, children_before: set, fds_before: set) -> None:
    if leftovers(ledger, children_before, fds_before):
        eventually(lambda: not leftovers(ledger, children_before, fds_before, collect=True))
        if left := leftovers(ledger, children_before, fds_before, collect=True):
            ledger.problem(f"left behind after {SETTLE:g} s: {'; '.join(left)}")


# -- the soak ---------------------------------------------------------------------------------------


@pytest.fixture
def ctrl_c_raises():
    """SIGINT raises KeyboardInterrupt in the main thread, as in an interactive session (a shell
    starts background jobs with SIGINT ignored, and the interrupts would vanish)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.timeout(DURATION + 60)
@pytest.mark.usefixtures("ctrl_c_raises")
def test_soak():
    assert threading.current_thread() is threading.main_thread(), "the interrupts go to the main thread"
    print(f"\nsoak: {DURATION:g} s, seed {SEED} (replay with MINIMP_SOAK_SEED={SEED})", flush=True)
    ledger, planner = Ledger(), Planner(SEED)
    children_before, fds_before = os_children(), open_fds()
    deadline = time.monotonic() + DURATION
    with warnings.catch_warnings(record=True) as stray:
        warnings.simplefilter("always", ResourceWarning)  # a pool dropped where no round drops one
        while time.monotonic() < deadline and not ledger.problems:
            ledger.plan = plan = planner.next_round()
            ledger.rounds[plan.scenario] += 1
            ledger.methods[plan.method] += 1
            try:
                ROUNDS[plan.scenario](ledger, plan)
            except KeyboardInterrupt:
                ledger.problem(f"a KeyboardInterrupt came out of no wait:\n{traceback.format_exc()}")
            except Exception:
                ledger.problem(f"the round raised:\n{traceback.format_exc()}")
            if stray_warnings := [w for w in stray if issubclass(w.category, ResourceWarning)]:
                ledger.problem(f"ResourceWarning outside a drop: {[str(w.message) for w in stray_warnings]}")
            stray.clear()
            if plan.number % CHECK_EVERY == 0 and not ledger.problems:
                check_nothing_left(ledger, children_before, fds_before)
        ledger.plan = None
        check_nothing_left(ledger, children_before, fds_before)
    print(ledger.report(), flush=True)
    assert not ledger.problems, ledger.report()
