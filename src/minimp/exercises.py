"""Exercises: the checkers that the chapters' notebooks call.

A chapter's exercise is two cells: a stub the learner edits, then a check::

    from minimp.exercises import check_terminated_exit_code
    check_terminated_exit_code(terminated_exit_code)

A checker receives the learner's function (or value), runs it, and *prints*
one verdict:

    ✅ Correct — <what the answer shows>
    ❌ Not yet: <what is wrong, and what to try>

It prints rather than raising AssertionError, so that the hint stays in the
notebook next to the stub, and so that nbval, which compares a notebook's
stored outputs with fresh ones, checks the hints as well as the solutions.

The learner's code can be wrong in ways that would spoil the notebook: a
join() on a child that never ends, a child left running, a Pool never
closed. So a checker runs the learner's function in a helper thread and
waits at most `timeout` seconds for it (`_run_learner_code`), then
terminates every minimp Pool or ProcessPoolExecutor the function left
running, and stops every child process it left running, with terminate()
and, if that is not enough, kill(). The helper thread carries the cell's
`contextvars` context, so what the function prints still appears in the
cell that called the checker.

Limits: a function stuck in a loop of its own (not waiting for a child)
cannot be stopped from outside; the checker reports it and leaves the
thread running in the background.

The checkers are grouped by chapter, in the order the chapters ask for them.

Read next: the notebooks; this module is where they come to check.
"""

from __future__ import annotations

import concurrent.futures as concurrent_futures
import contextvars
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from . import errors, process, tracing
from .connection import wait

__all__ = [
    "check_setup",
    "check_parallelism",
    "check_naps_in_threads",
    "check_exit_code_predictions",
    "check_exit_codes_in_start_order",
    "check_terminated_exit_code",
    "check_pool_squares",
    "check_default_chunksize",
    "check_squares_or_none",
    "check_answer_or_late",
    "check_outcomes",
]

TIMEOUT = 20.0  # seconds a learner's function may take before a checker gives up
PASS, FAIL = "✅ Correct — ", "❌ Not yet: "


# -- what every checker shares -------------------------------------------------


@dataclass
class Verdict:
    """The outcome of a check: passed or not, and what to tell the learner."""

    passed: bool
    message: str

    def __str__(self) -> str:
        return (PASS if self.passed else FAIL) + self.message


@dataclass
class LearnerRun:
    """What happened when a checker called the learner's function."""

    value: Any = None  # what the function returned
    error: BaseException | None = None  # what it raised instead
    timed_out: bool = False  # still running when the time limit was reached
    abandoned: bool = False  # still running even after its children were stopped
    left_running: list[str] = field(default_factory=list)  # children it left alive
    pools_left: int = 0  # minimp pools and executors it left running (the checker terminated them)


def _running_children() -> list:
    """The children of this process still running, minimp's and the standard library's."""
    return process.active_children() + multiprocessing.active_children()


def _running_pools() -> list:
    """minimp's pools (an executor has one too) of this process that are not stopped yet."""
    pool_module = sys.modules.get("minimp.pool")  # none if no pool was ever made
    return list(pool_module._pools) if pool_module is not None else []


def _run_learner_code(function: Callable[[], Any], timeout: float) -> LearnerRun:
    """Call `function()` in a helper thread; stop it from hanging or leaking.

    Waits at most `timeout` seconds, then terminates every minimp pool made
    meanwhile and still running (a pool would replace the workers stopped
    below), then stops every child process started meanwhile that is still
    running. Stopping a child, or terminating its pool, also releases a
    learner's join() or get() that waits for it, so the helper thread can
    finish.
    """
    run = LearnerRun()
    if not callable(function):
        run.error = _NotAFunction(function)
        return run
    already_running = {id(p) for p in _running_children()}
    pools_before = _running_pools()  # held, so that their ids stay theirs
    known_pools = {id(pool) for pool in pools_before}

    def call() -> None:
        try:
            run.value = function()
        except BaseException as error:  # SystemExit too: it is a hint, not an exit
            run.error = error

    # The copied context is how ipykernel knows which cell the prints belong to.
    helper = threading.Thread(
        target=contextvars.copy_context().run, args=(call,), name="minimp-exercise", daemon=True
    )
    helper.start()
    try:
        helper.join(timeout)
        run.timed_out = helper.is_alive()
    finally:
        pools_left = [pool for pool in _running_pools() if id(pool) not in known_pools]
        run.pools_left = len(pools_left)
        for pool in pools_left:
            pool.terminate()  # kills and collects its workers; fails what waits on it
        leftovers = [p for p in _running_children() if id(p) not in already_running]
        run.left_running = [p.name for p in leftovers]
        _stop(leftovers)
        helper.join(2.0)  # a learner's join() on a stopped child returns now
        run.abandoned = helper.is_alive()
        for p in leftovers:
            p.join(1.0)  # collect the exit codes, so that no zombie is left
    return run


def _stop(processes: list) -> None:
    """terminate() each process; kill() those still alive a second later."""
    for p in processes:
        p.terminate()
    # Wait on the sentinels rather than join(): the learner's thread may be
    # joining the same process, and two threads must not collect one child.
    deadline = time.monotonic() + 1.0
    alive = list(processes)
    while alive and time.monotonic() < deadline:
        ready = wait([p.sentinel for p in alive], timeout=deadline - time.monotonic())
        alive = [p for p in alive if p.sentinel not in ready]
    for p in alive:
        p.kill()


class _NotAFunction(Exception):
    """The checker was given something else than the learner's function."""

    def __init__(self, given: Any):
        super().__init__(given)
        self.given = given


def _error_hint(error: BaseException) -> str:
    """What to tell a learner whose function raised `error`."""
    if isinstance(error, _NotAFunction):
        return (
            f"pass your function itself to the checker, without calling it: "
            f"check(my_function), not check(my_function()). You passed "
            f"{error.given!r:.60} (of type {type(error.given).__name__})."
        )
    if isinstance(error, SystemExit):
        return (
            f"your function called sys.exit({error.code!r}) itself, in this process, "
            f"instead of in a child. Give the function to the Process without calling it: "
            f"target=sys.exit, args=({error.code!r},)"
        )
    return f"your function raised {type(error).__name__}: {error}"


def _trouble(run: LearnerRun, timeout: float) -> Verdict | None:
    """A verdict if the function did not return a value in time, else None."""
    if run.timed_out:
        message = (
            f"your function was still running after {timeout:g} s, so the checker stopped "
            f"the processes it had started. Is a join() waiting for a process that does not "
            f"end by itself?"
        )
        if run.abandoned:
            message += " (It is still running in the background; restart the kernel to stop it.)"
        return Verdict(False, message)
    if run.error is not None:
        return Verdict(False, _error_hint(run.error))
    return None


def _left_running_note(run: LearnerRun) -> str:
    note = ""
    if run.pools_left:
        pools = "a Pool" if run.pools_left == 1 else f"{run.pools_left} Pools"
        them = "it" if run.pools_left == 1 else "them"
        note += (
            f" (Your function left {pools} running; the checker terminated {them}. Use "
            f"`with ctx.Pool(...) as pool:` (or `with ProcessPoolExecutor(...)`), which stops "
            f"the pool when the block ends, or call close() and join().)"
        )
    if run.left_running:
        them = "it" if len(run.left_running) == 1 else "them"
        note += (
            f" (Your function left {', '.join(run.left_running)} running; the checker "
            f"stopped {them}. join() every process you start.)"
        )
    return note


def _report(verdict: Verdict) -> None:
    print(verdict)


# -- Chapter 0: Welcome ------------------------------------------------------------


def check_setup() -> None:
    """Chapter 0: is this environment ready for the course? One line per check,
    and what to do about a failed one."""
    import platform

    checks = [(sys.version_info >= (3, 10), f"Python {platform.python_version_tuple()[0]}."
               f"{platform.python_version_tuple()[1]}", "minimp needs Python 3.10 or newer")]  # fmt: skip
    try:
        import ipywidgets

        checks.append((int(ipywidgets.__version__.split(".")[0]) >= 8, f"ipywidgets {ipywidgets.__version__.split('.')[0]}",
                       "the course's views need ipywidgets 8: run `make lab`, or pip install 'ipywidgets>=8'"))  # fmt: skip
    except ImportError:
        checks.append((False, "ipywidgets", "not installed: run `make lab`, or pip install 'ipywidgets>=8'"))
    methods = multiprocessing.get_all_start_methods()
    checks.append(("fork" in methods and "spawn" in methods, "start methods fork and spawn",
                   f"this system offers only {methods}: the chapters that fork will not run here (Windows?); "
                   f"use Linux or macOS, or Binder"))  # fmt: skip
    from .cpus import cpu_count

    cpus = cpu_count()
    checks.append((cpus >= 2, f"{cpus} usable CPU{'s' if cpus > 1 else ''}",
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
    run = _run_learner_code(lambda: [function(list(case)) for case in cases], timeout)
    _report(_trouble(run, timeout) or _judge_parallelism(run.value, cases))


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


NAPS = [0.3, 0.3, 0.3, 0.3]  # seconds: one after another, 1.2 s


def check_naps_in_threads(function: Callable[[list], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 0: `function(naps)` calls time.sleep for each number of seconds, at
    the same time, and returns the list of the naps in order."""
    began = time.monotonic()
    run = _run_learner_code(lambda: function(list(NAPS)), timeout)
    took = time.monotonic() - began
    _report(_trouble(run, timeout) or _judge_naps(run.value, took))


def _judge_naps(value: Any, took: float) -> Verdict:
    serial = sum(NAPS)
    if value is None:
        return Verdict(False, "your function returned None. Did you forget the `return`?")
    if hasattr(value, "__next__"):
        return Verdict(False, "your function returned an iterator: executor.map() gives one; "
                              "return list(...) of it, inside the `with` block.")  # fmt: skip
    if list(value) != NAPS:
        return Verdict(False, f"expected the naps back, in order: {NAPS}, got {value!r:.80}")
    if took > serial * 0.8:
        return Verdict(False, f"the {len(NAPS)} naps took {took:.1f} s, as long as one after another "
                              f"({serial:.1f} s). Give each nap a thread of its own: "
                              f"ThreadPoolExecutor(max_workers={len(NAPS)}).")  # fmt: skip
    return Verdict(True, f"{len(NAPS)} naps of {NAPS[0]} s in well under {serial:.1f} s: a sleeping "
                         f"thread lets go of the GIL, so threads are fine for waiting.")  # fmt: skip


# -- Chapter 1: Processes ----------------------------------------------------------

# The cases of the "predict the exit code" quiz, with the right answer and a
# hint for a wrong one.
EXIT_CODE_CASES: dict[str, tuple[int | None, str]] = {
    "returns normally": (
        0,
        "a function that returns is a success, and a process that succeeds exits with 0",
    ),
    "calls sys.exit(3)": (
        3,
        "sys.exit(n) ends the child with exit code n, and the parent reads that n",
    ),
    "raises ValueError": (
        1,
        "any uncaught exception ends a child with exit code 1, after it prints its traceback",
    ),
    "terminate()": (
        -signal.SIGTERM,
        "terminate() sends the signal SIGTERM, number 15; "
        "a process killed by signal N has exit code -N",
    ),
    "kill()": (
        -signal.SIGKILL,
        "kill() sends the signal SIGKILL, number 9; a process killed by signal N has exit code -N",
    ),
    "still running": (
        None,
        "a running process has no exit code yet: exitcode is None until it has ended",
    ),
}


def check_exit_code_predictions(predictions: dict) -> None:
    """Chapter 1: compare predicted exit codes with what `Process.exitcode` reports.

    `predictions` maps each case of `EXIT_CODE_CASES` to the exit code the
    learner expects (an int, or None); `...` marks a case not answered yet.
    """
    _report(_judge_exit_code_predictions(predictions))


def _judge_exit_code_predictions(predictions: Any) -> Verdict:
    if not isinstance(predictions, dict):
        return Verdict(False, f"pass the dict of predictions, got {type(predictions).__name__}")
    missing = [case for case in EXIT_CODE_CASES if case not in predictions]
    if missing:
        return Verdict(False, f"the dict needs an entry for each case; missing: {', '.join(missing)}")
    unanswered = [case for case in EXIT_CODE_CASES if predictions[case] is ...]
    if len(unanswered) == len(EXIT_CODE_CASES):
        return Verdict(False, "replace each ... with the exit code you expect (a number, or None)")
    wrong = []
    for case, (expected, hint) in EXIT_CODE_CASES.items():
        predicted = predictions[case]
        if predicted is ...:
            wrong.append(f"  • {case!r}: not answered yet")
        elif predicted != expected or isinstance(predicted, bool):
            if expected is not None and predicted == -expected:
                hint = f"right number, wrong sign: {hint}"
            wrong.append(f"  • {case!r}: you said {predicted!r}; {hint}")
    if wrong:
        right = len(EXIT_CODE_CASES) - len(wrong)
        return Verdict(False, f"{right} of {len(EXIT_CODE_CASES)} right.\n" + "\n".join(wrong))
    return Verdict(
        True,
        f"all {len(EXIT_CODE_CASES)} predictions are right: 0 for success, n for sys.exit(n), "
        f"1 for an exception, -N for death by signal N, None while running.",
    )


def check_exit_codes_in_start_order(function: Callable[[], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 1: `function()` starts 3 processes that exit with 1, 2 and 3,
    and returns their exit codes in start order: [1, 2, 3]."""
    run = _run_learner_code(function, timeout)
    _report(_trouble(run, timeout) or _judge_exit_codes_in_start_order(run))


def _judge_exit_codes_in_start_order(run: LearnerRun) -> Verdict:
    codes = run.value
    note = _left_running_note(run)
    if codes is None:
        return Verdict(False, "your function returned None. Did you forget the `return`?" + note)
    if not isinstance(codes, (list, tuple)):
        return Verdict(False, f"return a list of exit codes, got {type(codes).__name__}: {codes!r}" + note)
    if len(codes) == 0:
        return Verdict(
            False,
            "your function returned an empty list. Start three processes, join them, "
            "and return their exit codes." + note,
        )
    if len(codes) != 3:
        return Verdict(False, f"expected 3 exit codes, one per process, got {len(codes)}: {codes!r}" + note)
    if list(codes) == [1, 2, 3]:
        return Verdict(
            True,
            "[1, 2, 3]: each child ended with sys.exit(n), and join() made sure each had "
            "ended before you read its exitcode." + note,
        )
    if None in codes:
        return Verdict(
            False,
            f"you got {list(codes)!r}. An exitcode of None means that process had not ended "
            f"when you read it: join() each process before reading its exitcode." + note,
        )
    if sorted(codes) == [1, 2, 3]:
        return Verdict(
            False,
            f"the right exit codes in the wrong order: {list(codes)!r}. Keep the processes "
            f"in a list in the order you start them, and read the exit codes in that order." + note,
        )
    if all(code == 0 for code in codes):
        return Verdict(
            False,
            "every child exited with 0, a normal return. Child number n should end with "
            "sys.exit(n)." + note,
        )
    if all(code == 1 for code in codes):
        return Verdict(
            False,
            "every child exited with 1, the exit code of a child that raised an exception: "
            "look for a traceback above. Child number n should end with sys.exit(n)." + note,
        )
    return Verdict(False, f"expected [1, 2, 3], got {list(codes)!r}." + note)


def check_terminated_exit_code(function: Callable[[], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 1: `function()` starts a process that sleeps, terminates it,
    and returns its exit code: -15, that is -signal.SIGTERM."""
    run = _run_learner_code(function, timeout)
    verdict = _trouble(run, timeout)
    if verdict is not None and run.timed_out:
        verdict.message += (
            " join() waits until the child ends, so join() before terminate() waits for "
            "the whole sleep: terminate first, then join."
        )
    _report(verdict or _judge_terminated_exit_code(run))


def _judge_terminated_exit_code(run: LearnerRun) -> Verdict:
    code = run.value
    note = _left_running_note(run)
    if code == -signal.SIGTERM:
        return Verdict(
            True,
            "-15 is -signal.SIGTERM: terminate() sent SIGTERM (signal 15), the child died "
            "of it, and join() collected its exit code." + note,
        )
    if code is None:
        return Verdict(
            False,
            "the exit code is None, so the process had not ended when you read it: it was "
            "never started, or it was still dying. terminate() only sends a signal, it does "
            "not wait: start() the process, terminate() it, join() it, then read "
            "exitcode." + note,
        )
    if code == -signal.SIGKILL:
        return Verdict(
            False,
            "-9 is -signal.SIGKILL: that is what kill() gives. Use terminate(), "
            "which sends SIGTERM." + note,
        )
    if code == signal.SIGTERM:
        return Verdict(
            False,
            "right signal, wrong sign: a process killed by signal N reports exit code -N. "
            "Return the process's exitcode." + note,
        )
    if code == 0:
        return Verdict(
            False,
            "0 means the child finished its work normally. Terminate it while it is still "
            "sleeping: right after start()." + note,
        )
    if code == 1:
        return Verdict(
            False,
            "1 means the child raised an exception (look for its traceback above). Give it "
            "a target that sleeps, such as target=time.sleep, args=(60,)." + note,
        )
    if not isinstance(code, int):
        return Verdict(False, f"return the process's exitcode (an int), got {type(code).__name__}: {code!r}" + note)
    return Verdict(False, f"expected the exit code of a terminated process, got {code!r}." + note)


# -- Chapter 5: Pools --------------------------------------------------------------

POOL_SQUARES_INPUT = [1, 2, 3, 4, 5, 6, 7, 8]


def check_pool_squares(function: Callable[[list], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 5: `function(numbers)` returns `[x * x for x in numbers]`,
    computed by the workers of a Pool with `map`, in order.

    The checker calls it with POOL_SQUARES_INPUT inside a `trace()`, whose
    records show whether the squares were computed by a pool's workers.
    """
    with tracing.trace() as trace:
        run = _run_learner_code(lambda: function(list(POOL_SQUARES_INPUT)), timeout)
    if run.error is not None and not run.timed_out:
        _report(Verdict(False, _pool_error_hint(run.error) + _left_running_note(run)))
        return
    _report(_trouble(run, timeout) or _judge_pool_squares(run, trace.tasks))


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
    return _error_hint(error)


def _judge_pool_squares(run: LearnerRun, tasks: list) -> Verdict:
    value = run.value
    note = _left_running_note(run)
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
    from .pool import CHUNKS_PER_WORKER  # here: importing pool.py costs a spawned child

    return max(1, math.ceil(items / (processes * CHUNKS_PER_WORKER)))


def check_default_chunksize(function: Callable[[int, int], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 5: `function(items, processes)` returns the chunksize that
    `Pool.map` uses by default for `items` items on `processes` workers."""
    run = _run_learner_code(lambda: [function(n, p) for n, p in CHUNKSIZE_CASES], timeout)
    _report(_trouble(run, timeout) or _judge_default_chunksize(run.value))


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


# The numbers for the "survive a crash" exercise; the notebook's
# fragile_square(x) ends its worker with os._exit(1) when x is 13.
FRAGILE_INPUT = [10, 11, 12, 13, 14, 15]
FRAGILE_NUMBER = 13


def check_squares_or_none(function: Callable[[list], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 5: `function(numbers)` returns the square of each number, computed
    by the notebook's `fragile_square` in a pool, with None for the number
    whose task crashed its worker: [100, 121, 144, None, 196, 225]."""
    run = _run_learner_code(lambda: function(list(FRAGILE_INPUT)), timeout)
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
        _report(Verdict(False, message + _left_running_note(run)))
        return
    _report(_trouble(run, timeout) or _judge_squares_or_none(run))


def _judge_squares_or_none(run: LearnerRun) -> Verdict:
    value = run.value
    note = _left_running_note(run)
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
    if value == expected[:crashed]:
        return Verdict(
            False,
            f"your list stops where the crash happened: {value!r}. An exception that next() "
            f"raises inside a `for` loop ends the loop. Call next() yourself, once per number, "
            f"with the try/except inside the loop, and append None when it fails." + note,
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


# -- Chapter 6: Results and futures ------------------------------------------------

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

    run = _run_learner_code(both, timeout)
    if run.error is not None and not run.timed_out:
        if isinstance(run.error, (errors.TimeoutError, multiprocessing.TimeoutError)):
            message = (
                f"your function raised {type(run.error).__module__}.TimeoutError: {run.error}. "
                f"A pool's get(timeout) raises multiprocessing.TimeoutError (mp.TimeoutError in "
                f"minimp), which is not the built-in TimeoutError: catch it with "
                f"`except mp.TimeoutError:`."
            )
        else:
            message = _error_hint(run.error)
        _report(Verdict(False, message + _left_running_note(run)))
        return
    _report(_trouble(run, timeout) or _judge_answer_or_late(run))


def _judge_answer_or_late(run: LearnerRun) -> Verdict:
    (quick, _), (slow, slow_took) = run.value
    note = _left_running_note(run)
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


def check_outcomes(function: Callable[[list], Any], timeout: float = TIMEOUT) -> None:
    """Chapter 6: `function(numbers)` submits math.sqrt(x) for each number to an
    executor and returns, in the order of the numbers, each call's result, or
    the exception it raised: [2.0, ValueError('math domain error'), 3.0, 0.5]."""
    run = _run_learner_code(lambda: function(list(OUTCOMES_INPUT)), timeout)
    if run.error is not None and not run.timed_out and isinstance(run.error, ValueError):
        _report(
            Verdict(
                False,
                f"your function raised ValueError: {run.error}. That is the error of sqrt(-1): "
                f"future.result() raises the call's exception again, here, and so does "
                f"executor.map(). Catch it (try/except around result()), or ask "
                f"future.exception(), which returns it (None if the call succeeded)."
                + _left_running_note(run),
            )
        )
        return
    _report(_trouble(run, timeout) or _judge_outcomes(run))


def _judge_outcomes(run: LearnerRun) -> Verdict:
    value = run.value
    note = _left_running_note(run)
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
