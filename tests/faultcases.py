"""Fault cases: one fault a careful user meets, run on minimp and on the standard library.

Each case is a small function `case(mp, method)`: `mp` is the library
(`minimp` or `multiprocessing`), `method` a start method. It does what a
user would do — a pool whose worker is killed, a lock whose owner died, a
queue joined before it is drained — and returns or raises what that user
would see. faultrunner.py runs it in a fresh process with a timeout, so a
case may hang, crash or leave processes: that is what it measures.

Beside each case, in its `@case(...)`, is what minimp must do (a regular
expression that the outcome's text must match from its start, see
faultrunner.Outcome) and what the standard library is known to do:

    stdlib=EQUAL              it does what minimp does (same kind of outcome, same
                              exception type or value): test_fault_suite.py asserts it
    stdlib=hangs("why")       it hangs: run with a short timeout, recorded, not asserted
    stdlib=safer("why")       it does something worse (an error where minimp returns, a
                              process left running, a lost error): recorded, not asserted
    stdlib=clearer("why")     both raise at once, but the standard library's error does not
                              say what happened or where: recorded, not asserted
    stdlib=na("why")          the case means nothing there: not run

A case whose minimp outcome is a minimp bug says so in `bug=`: its test is
then an expected failure (strict), with the bug's story in the reason.

The cases, in order: pools whose workers die; tasks that end their worker;
initializers; what cannot be pickled; exceptions; big results; callbacks and
timeouts; a pool's lifetime; executors; processes; queues and pipes; locks
and other synchronization; managers.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import gc
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

# -- the catalogue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stdlib:
    """What the standard library does with a case (see the module's docstring)."""

    claim: str  # "equal", "safer" (the stdlib hangs, errs, loses or leaves processes), "clearer" or "na"
    why: str = ""  # one line: what the standard library does, or why the case means nothing there
    hangs: bool = False  # expected to hang: run it with faultrunner.HANG_TIMEOUT


EQUAL = Stdlib("equal")


def hangs(why: str) -> Stdlib:
    return Stdlib("safer", why, hangs=True)


def safer(why: str) -> Stdlib:
    return Stdlib("safer", why)


def clearer(why: str) -> Stdlib:
    return Stdlib("clearer", why)


def na(why: str) -> Stdlib:
    return Stdlib("na", why)


@dataclass(frozen=True)
class Case:
    name: str
    run: Callable[[Any, str], Any]  # run(mp, method): what the user sees
    minimp: str  # a regular expression the minimp outcome (str(Outcome)) must match from its start
    stdlib: Stdlib
    method: str = "fork"  # fork where the start method does not matter: it is the fastest
    bug: str | None = None  # a minimp bug this case shows: its test is xfail(strict=True)

    @property
    def doc(self) -> str:
        return (self.run.__doc__ or "").strip().splitlines()[0]


CASES: dict[str, Case] = {}


def case(minimp: str, stdlib: Stdlib, method: str = "fork", bug: str | None = None):
    """Add the decorated function to CASES, under its name."""

    def register(function):
        CASES[function.__name__] = Case(function.__name__, function, minimp, stdlib, method, bug)
        return function

    return register


# -- helpers --------------------------------------------------------------------------------


def executor(mp, method: str, workers: int = 2, **options):
    """A ProcessPoolExecutor: minimp's, or the standard library's (in concurrent.futures)."""
    cls = mp.ProcessPoolExecutor if mp.__name__ == "minimp" else concurrent.futures.ProcessPoolExecutor
    return cls(workers, mp_context=mp.get_context(method), **options)


def running(pid: int) -> bool:
    """Is `pid` a live process? (A zombie has ended: only its exit status is left.)"""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):  # gone, or going while we read
        return False


def still_running(pids, wait: float = 2.0) -> int:
    """How many of `pids` still run after at most `wait` seconds (0 as soon as none does)."""
    deadline = time.monotonic() + wait
    while (alive := sum(map(running, pids))) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


def wait_for_file(path: str, timeout: float = 10.0) -> str:
    """The text a task wrote to `path` (its pid, say), once it is there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if os.path.exists(path):
            with open(path) as f:
                if (text := f.read()).endswith("\n"):  # all of it
                    return text
        time.sleep(0.01)
    raise TimeoutError(f"nothing in {path} after {timeout} s")


def notebook_function(source: str, name: str):
    """Define a function in `__main__`, as a notebook cell or a script does, and return it."""
    main = sys.modules["__main__"]
    exec(source, main.__dict__)  # noqa: S102 - the case's own source
    return main.__dict__[name]


def interrupt_in(seconds: float) -> threading.Timer:
    """Ctrl-C, in `seconds`: SIGINT to this process (a shell may have left SIGINT ignored: restore it)."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


# -- what the workers run (module-level: both libraries can send them by reference) --------------


def square(x):
    return x * x


def nap(seconds):
    time.sleep(seconds)
    return seconds


def kill_on_3(x):
    if x == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return x * x


def add_or_kill_on_3(x, y):
    if x == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return x + y


def exit_on_3(x):
    if x == 3:
        os._exit(7)
    return x * x


def sys_exit_on_3(x):
    if x == 3:
        sys.exit(3)
    return x * x


def segfault_on_3(x):
    if x == 3:
        segfault()
    return x * x


def segfault():
    import faulthandler

    faulthandler.disable()  # a stack dump would only fill the output
    ctypes.string_at(0)  # read address 0: the kernel sends SIGSEGV


def interrupt_on_3(x):
    if x == 3:
        raise KeyboardInterrupt
    return x * x


def fail_on_3(x):
    if x == 3:
        raise ValueError(f"bad item {x}")
    return x * x


def write_pid_and_sleep(path):
    with open(path, "w") as f:
        f.write(f"{os.getpid()}\n")
    time.sleep(30)


def start_a_sleeper(_=None):
    """A task that starts a process of its own (a grandchild of the pool) and leaves it running."""
    return subprocess.Popen(["sleep", "60"]).pid


def give_a_lock(_=None):
    return threading.Lock()  # cannot be pickled


def identity(x):
    return x


def make_bytes(size):
    return b"x" * size


def getpid_slowly(_):
    time.sleep(0.05)  # so that every worker gets a task
    return os.getpid()


class BreaksOnLoad:
    """Pickles fine; unpickling it raises, as an object whose class changed meanwhile would."""

    def __reduce__(self):
        return (refuse_to_load, ("BreaksOnLoad",))


def refuse_to_load(what):
    raise RuntimeError(f"{what} cannot be rebuilt here")


def give_breaks_on_load(_=None):
    return BreaksOnLoad()


class TwoArgumentError(Exception):
    """An exception whose __init__ takes two arguments but passes one message up: pickling
    keeps only `args` (the message), so rebuilding it calls TwoArgumentError(message) and fails."""

    def __init__(self, path, reason):
        super().__init__(f"{path}: {reason}")
        self.path, self.reason = path, reason


def raise_two_argument_error(_=None):
    raise TwoArgumentError("/data/x.csv", "no such file")


class LockHoldingError(Exception):
    """An exception with an attribute that cannot be pickled: it cannot travel back at all."""

    def __init__(self, message):
        super().__init__(message)
        self.lock = threading.Lock()


def raise_lock_holding_error(_=None):
    raise LockHoldingError("the connection broke")


# === pools whose workers die ===================================================================


@case(minimp=r"raised WorkerDiedError: worker \d \(pid \d+\) was killed by signal SIGKILL \(exit code -9\) "
             r"while running item 3 of map\(kill_on_3\), argument 3$",
      stdlib=hangs("the item dies with its worker, and map() waits for its result for ever"))
def pool_map_worker_killed(mp, method):
    """Pool.map, and the worker running item 3 is killed (SIGKILL)."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.map(kill_on_3, range(6), chunksize=1)


@case(minimp=r"raised WorkerDiedError: worker \d \(pid \d+\) was killed by signal SIGKILL \(exit code -9\) "
             r"while running item 3 of map\(kill_on_3\), argument 3$",
      stdlib=hangs("the item dies with its worker, and map() waits for ever"), method="forkserver")
def pool_map_worker_killed_forkserver(mp, method):
    """The same, under forkserver."""
    return pool_map_worker_killed(mp, method)


@case(minimp=r"raised WorkerDiedError: worker \d \(pid \d+\) was killed by signal SIGKILL \(exit code -9\) "
             r"while running apply_async\(write_pid_and_sleep\), args \('/.*/task.pid',\)$",
      stdlib=hangs("get() waits for ever for the task that died with its worker"))
def pool_apply_async_worker_killed(mp, method):
    """apply_async(), and the parent kills the worker running it (kill -9 from outside)."""
    with mp.get_context(method).Pool(2) as pool:
        path = os.path.abspath("task.pid")
        result = pool.apply_async(write_pid_and_sleep, (path,))
        os.kill(int(wait_for_file(path)), signal.SIGKILL)
        return result.get()


@case(minimp=r"raised WorkerDiedError: .*killed by signal SIGKILL \(exit code -9\) "
             r"while running item 3 of imap\(kill_on_3\), argument 3$",
      stdlib=hangs("the iterator waits for ever for item 3"))
def pool_imap_worker_killed(mp, method):
    """list(pool.imap(...)), and the worker running item 3 is killed."""
    with mp.get_context(method).Pool(2) as pool:
        return list(pool.imap(kill_on_3, range(6)))


@case(minimp=r"raised WorkerDiedError: .*killed by signal SIGKILL \(exit code -9\) while running item 3 of "
             r"imap_unordered\(kill_on_3\), argument 3$",
      stdlib=hangs("the iterator waits for ever for item 3"))
def pool_imap_unordered_worker_killed(mp, method):
    """Results of imap_unordered() as they come, and the worker running item 3 is killed."""
    with mp.get_context(method).Pool(2) as pool:
        return sorted(pool.imap_unordered(kill_on_3, range(6)))


@case(minimp=r"raised WorkerDiedError: .*killed by signal SIGKILL \(exit code -9\) while running item 3 of "
             r"starmap\(add_or_kill_on_3\), arguments \(3, 30\)$",
      stdlib=hangs("starmap() waits for ever for item 3"))
def pool_starmap_worker_killed(mp, method):
    """Pool.starmap, and the worker running item 3 is killed."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.starmap(add_or_kill_on_3, [(x, 10 * x) for x in range(6)], chunksize=1)


@case(minimp=r"raised WorkerDiedError: .*killed by signal SIGKILL \(exit code -9\) while running item 3 of "
             r"map\(kill_on_3\), argument 3$",
      stdlib=hangs("get() waits for ever"))
def pool_map_async_worker_killed(mp, method):
    """map_async(...).get(), and the worker running item 3 is killed."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.map_async(kill_on_3, range(6), chunksize=1).get()


@case(minimp=r"returned \(\[0, 1, 4, 'WorkerDiedError', 16, 25\], 25\)$",
      stdlib=hangs("the get() of the task that died waits for ever"))
def pool_goes_on_after_a_crash(mp, method):
    """One task of six kills its worker: the other five still finish, and the pool takes more work."""
    with mp.get_context(method).Pool(2) as pool:
        outcomes = []
        for result in [pool.apply_async(kill_on_3, (x,)) for x in range(6)]:
            try:
                outcomes.append(result.get())
            except Exception as error:  # noqa: BLE001 - what the user would catch
                outcomes.append(type(error).__name__)
        return outcomes, pool.apply(square, (5,))


@case(minimp=r"raised WorkerDiedError: .*exited with exit code 7 while running submit\(exit_on_3\), args \(3,\)$",
      stdlib=na("multiprocessing.Pool has no submit(): it is minimp's"))
def pool_submit_task_exits(mp, method):
    """pool.submit(f, 3).result(), and the task calls os._exit(7)."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.submit(exit_on_3, 3).result(timeout=10)


@case(minimp=r"returned \(\[0, 1, 4\], 'WorkerDiedError'\)$",
      stdlib=na("its imap has no buffersize and reads an endless iterable to the end first: it would fill the memory"))
def pool_imap_endless_iterable_crash(mp, method):
    """imap over itertools.count() (buffersize=4), item 3 kills its worker: the results before it, then the error."""
    seen = []
    with mp.get_context(method).Pool(2) as pool:
        try:
            for value in pool.imap(kill_on_3, itertools.count(), buffersize=4):
                seen.append(value)
        except Exception as error:  # noqa: BLE001 - what the user would catch
            return seen, type(error).__name__


@case(minimp=r"returned 'joined'$", stdlib=hangs("join() waits for ever for the task that died with its worker"))
def pool_close_join_after_crash(mp, method):
    """A task kills its worker; the pool is closed and joined, its result never asked for."""
    pool = mp.get_context(method).Pool(2)
    pool.apply_async(kill_on_3, (3,))
    pool.close()
    pool.join()
    return "joined"


# === tasks that end their worker ================================================================


@case(minimp=r"raised WorkerDiedError: .*exited with exit code 7 while running item 3 of map\(exit_on_3\), argument 3$",
      stdlib=hangs("the worker exits under the task, which never ends"))
def pool_task_calls_os_exit(mp, method):
    """A task calls os._exit(7)."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.map(exit_on_3, range(6), chunksize=1)


@case(minimp=r"raised TaskExitError: the task raised SystemExit\(3\), which would have ended its worker",
      stdlib=hangs("SystemExit is not an Exception: it ends the worker, and the task never ends"))
def pool_task_calls_sys_exit(mp, method):
    """A task calls sys.exit(3)."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.map(sys_exit_on_3, range(6), chunksize=1)


@case(minimp=r"raised WorkerDiedError: .*killed by signal SIGSEGV \(exit code -11\) while running item 3 of "
             r"map\(segfault_on_3\), argument 3$",
      stdlib=hangs("the worker crashes under the task, which never ends"))
def pool_task_segfaults(mp, method):
    """A task crashes its interpreter (a segmentation fault in C code)."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.map(segfault_on_3, range(6), chunksize=1)


@case(minimp=r"raised TaskExitError: the task raised KeyboardInterrupt\(\), which would have ended its worker",
      stdlib=hangs("KeyboardInterrupt is not an Exception: it ends the worker, and the task never ends"))
def pool_task_raises_keyboard_interrupt(mp, method):
    """A task raises KeyboardInterrupt (as code that catches Ctrl-C and re-raises it does)."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.map(interrupt_on_3, range(6), chunksize=1)


@case(minimp=r"raised WorkerDiedError: .*exited with exit code 7 while running item 3 of map\(exit_on_3\)",
      stdlib=hangs("the task dies with its worker, as without maxtasksperchild"))
def pool_maxtasksperchild_with_a_crash(mp, method):
    """Pool(maxtasksperchild=1), whose workers are replaced after each task, and a task exits."""
    with mp.get_context(method).Pool(2, maxtasksperchild=1) as pool:
        return pool.map(exit_on_3, range(6), chunksize=1)


@case(minimp=r"returned \(\[0, 1, 4, 9, 16, 25, 36, 49, 64, 81\], True\)$", stdlib=EQUAL)
def pool_maxtasksperchild_replaces_workers(mp, method):
    """Pool(maxtasksperchild=2): every result comes, from more than two workers."""
    with mp.get_context(method).Pool(2, maxtasksperchild=2) as pool:
        values = pool.map(square, range(10), chunksize=1)
        pids = pool.map(getpid_slowly, range(10), chunksize=1)
        return values, len(set(pids)) > 2


# === initializers ===============================================================================


def fail_to_connect():
    raise ConnectionError("no database at db.example:5432")


def exit_at_start():
    sys.exit(1)


@case(minimp=r"raised WorkerStartError: .*ConnectionError: no database at db.example:5432",
      stdlib=hangs("each worker dies at start and is replaced, for ever; map() never returns"))
def pool_initializer_raises(mp, method):
    """Pool(initializer=...) whose initializer raises."""
    with mp.get_context(method).Pool(2, initializer=fail_to_connect) as pool:
        return pool.map(square, range(4))


@case(minimp=r"raised WorkerStartError: .*ConnectionError: no database", method="spawn",
      stdlib=hangs("each worker dies at start and is replaced, for ever"))
def pool_initializer_raises_spawn(mp, method):
    """The same, under spawn."""
    return pool_initializer_raises(mp, method)


@case(minimp=r"raised WorkerStartError: worker \d \(pid \d+\) failed to start: its initializer "
             r"(raised SystemExit\(1\)|called sys.exit\(1\)|exited with exit code 1)",
      stdlib=hangs("each worker exits at start and is replaced, for ever"))
def pool_initializer_exits(mp, method):
    """Pool(initializer=...) whose initializer calls sys.exit(1)."""
    with mp.get_context(method).Pool(2, initializer=exit_at_start) as pool:
        return pool.map(square, range(4))


# === what cannot be pickled ======================================================================


@case(minimp=r"raised TypeError: item 1 of map\(identity\), argument <unlocked _thread.* at 0x\w+>: "
             r"its argument could not be pickled: cannot pickle '_thread.lock' object$",
      stdlib=EQUAL)
def pool_map_unpicklable_argument(mp, method):
    """Pool.map over a list with a threading.Lock in it."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.map(identity, [1, threading.Lock(), 3])


@case(minimp=r"raised TypeError: .*apply_async\(identity\).*could not be pickled", stdlib=EQUAL)
def pool_apply_unpicklable_argument(mp, method):
    """pool.apply(f, (a_lock,))."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.apply(identity, (threading.Lock(),))


@case(minimp=r"raised TypeError: .*item (\d) of map\(give_a_lock\), argument \1: its result could not be pickled",
      stdlib=clearer("MaybeEncodingError, which shows the result but not which item or argument it came from"))
def pool_unpicklable_result(mp, method):
    """A task returns a threading.Lock."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.map(give_a_lock, range(3))


@case(minimp=r"raised RuntimeError: the results of give_breaks_on_load could not be unpickled in the parent: "
             r"BreaksOnLoad cannot be rebuilt here$",
      stdlib=hangs("the pool's result thread dies on the bad result, and every get() waits for ever"))
def pool_result_fails_to_unpickle(mp, method):
    """A task returns an object that pickles but whose unpickling raises in the parent."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.map(give_breaks_on_load, range(3))


@case(minimp=r"raised RuntimeError: .*apply_async\(identity\).*: BreaksOnLoad cannot be rebuilt here$",
      stdlib=hangs("the worker dies reading the task, and the task never ends"))
def pool_argument_fails_to_unpickle(mp, method):
    """An argument that pickles in the parent but whose unpickling raises in the worker."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.apply(identity, (BreaksOnLoad(),))


@case(minimp=r"returned \[0, 1, 4, 9\]$",
      stdlib=safer("raises PicklingError/AttributeError: a lambda cannot be pickled"))
def pool_map_lambda(mp, method):
    """pool.map(lambda x: x * x, ...), under fork."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.map(lambda x: x * x, range(4))


NOTEBOOK_CELL = "def cube(x):\n    return x ** 3\n"


@case(minimp=r"returned \[0, 1, 8, 27\]$", method="spawn",
      stdlib=hangs("the spawned worker cannot find __main__.cube, dies reading the task, and map() waits for ever"))
def pool_notebook_function_spawn(mp, method):
    """pool.map of a function defined in __main__ (a notebook cell), under spawn."""
    cube = notebook_function(NOTEBOOK_CELL, "cube")
    with mp.get_context(method).Pool(2) as pool:
        return pool.map(cube, range(4))


@case(minimp=r"returned \[0, 1, 8, 27\]$", method="forkserver",
      stdlib=hangs("the forkserver's worker cannot find __main__.cube either"))
def pool_notebook_function_forkserver(mp, method):
    """The same under forkserver."""
    return pool_notebook_function_spawn(mp, method)


@case(minimp=r"returned 27$", method="spawn",
      stdlib=safer("BrokenProcessPool: the worker cannot find __main__.cube and dies"))
def executor_notebook_function_spawn(mp, method):
    """executor.submit of a function defined in __main__, under spawn."""
    cube = notebook_function(NOTEBOOK_CELL, "cube")
    with executor(mp, method) as pool:
        return pool.submit(cube, 3).result()


@case(minimp=r"returned 0$", method="spawn",
      stdlib=safer("the child cannot find __main__.cube: it prints a traceback and exits with 1"))
def process_notebook_function_spawn(mp, method):
    """Process(target=a function defined in __main__), under spawn: its exit code."""
    cube = notebook_function(NOTEBOOK_CELL, "cube")
    child = mp.get_context(method).Process(target=cube, args=(3,))
    child.start()
    child.join()
    return child.exitcode


# === exceptions ====================================================================================


@case(minimp=r"raised ValueError: bad item 3$", stdlib=EQUAL)
def pool_task_raises(mp, method):
    """A task raises ValueError: map() raises it."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.map(fail_on_3, range(6))


@case(minimp=r"returned True$", stdlib=EQUAL)
def pool_exception_has_remote_traceback(mp, method):
    """The exception re-raised by get() has the worker's traceback as its cause."""
    with mp.get_context(method).Pool(2) as pool:
        try:
            pool.apply(fail_on_3, (3,))
        except ValueError as error:
            return "fail_on_3" in str(error.__cause__)


@case(minimp=r"raised TaskExitError: the task raised TwoArgumentError: /data/x.csv: no such file, which could not "
             r"be sent back to the parent \(TypeError: .*missing 1 required positional argument: 'reason'\)$",
      stdlib=hangs("rebuilding the exception in the parent raises TypeError in the result thread, which dies"))
def pool_exception_breaks_reraising(mp, method):
    """A task raises an exception whose __init__ takes two arguments (pickling keeps one)."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.apply(raise_two_argument_error)


@case(minimp=r"raised TaskExitError: the task raised LockHoldingError: the connection broke, which could not be sent "
             r"back to the parent \(TypeError: cannot pickle '_thread.lock' object\)$",
      stdlib=clearer("MaybeEncodingError, which shows neither the exception's type nor its message"))
def pool_exception_cannot_be_pickled(mp, method):
    """A task raises an exception with an attribute that cannot be pickled."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.apply(raise_lock_holding_error)


@case(minimp=r"raised TaskExitError: the task raised TwoArgumentError: /data/x.csv: no such file, which could not "
             r"be sent back",
      stdlib=safer("BrokenProcessPool: the executor breaks on an exception it cannot rebuild"))
def executor_exception_breaks_reraising(mp, method):
    """executor.submit of a task raising an exception whose __init__ breaks re-raising."""
    with executor(mp, method) as pool:
        return pool.submit(raise_two_argument_error).result()


# === big results ====================================================================================


@case(minimp=r"returned 67108864$", stdlib=EQUAL)
def pool_huge_result(mp, method):
    """A task returns 64 MiB."""
    with mp.get_context(method).Pool(1) as pool:
        return len(pool.apply(make_bytes, (64 * 2**20,)))


@case(minimp=r"returned \[33554432, 33554432\]$", stdlib=EQUAL)
def executor_huge_results(mp, method):
    """executor.map whose tasks return 32 MiB each."""
    with executor(mp, method) as pool:
        return [len(b) for b in pool.map(make_bytes, [32 * 2**20] * 2)]


# === callbacks and timeouts =======================================================================


def broken_callback(value):
    raise RuntimeError(f"callback broke on {value}")


@case(minimp=r"returned \[4, 9\]$",
      stdlib=hangs("the callback's exception kills the pool's result thread: the next get() waits for ever"))
def pool_callback_raises(mp, method):
    """apply_async(callback=...) whose callback raises; then the pool is used again."""
    with mp.get_context(method).Pool(2) as pool:
        first = pool.apply_async(square, (2,), callback=broken_callback)
        first.wait(5)
        return [first.get(timeout=5), pool.apply_async(square, (3,)).get()]


@case(minimp=r"returned \('ValueError', 'ValueError'\)$", stdlib=EQUAL)
def pool_error_callback(mp, method):
    """apply_async(error_callback=...): it gets the task's exception, and get() raises it."""
    seen = []
    with mp.get_context(method).Pool(2) as pool:
        result = pool.apply_async(fail_on_3, (3,), error_callback=seen.append)
        try:
            result.get(timeout=5)
        except Exception as error:  # noqa: BLE001
            return type(error).__name__, type(seen[0]).__name__


@case(minimp=r"returned 9$",
      stdlib=hangs("the error callback's exception kills the result thread too"))
def pool_error_callback_raises(mp, method):
    """An error_callback that raises; then the pool is used again."""
    with mp.get_context(method).Pool(2) as pool:
        pool.apply_async(fail_on_3, (3,), error_callback=broken_callback).wait(5)
        return pool.apply_async(square, (3,)).get()


@case(minimp=r"raised TimeoutError: no result from apply_async\(nap\) within 0.3 seconds$", stdlib=EQUAL)
def pool_get_timeout_expires(mp, method):
    """apply_async(nap, (10,)).get(timeout=0.3)."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.apply_async(nap, (10,)).get(timeout=0.3)


@case(minimp=r"raised TimeoutError: no result for item 0 of imap\(nap\) within 0.3 seconds$", stdlib=EQUAL)
def pool_imap_next_timeout_expires(mp, method):
    """pool.imap(nap, [10]).next(timeout=0.3)."""
    with mp.get_context(method).Pool(2) as pool:
        return pool.imap(nap, [10]).next(timeout=0.3)


@case(minimp=r"returned \(.RuntimeError: a callback waited for a result of its own pool", stdlib=hangs(
    "the callback waits for a result that only the thread running it can deliver; terminate() waits for the callback"))
def pool_callback_waits_on_its_pool(mp, method):
    """A callback that itself waits on its pool (pool.apply inside it); then terminate()."""
    pool = mp.get_context(method).Pool(2)
    raised = []

    def callback(value):
        try:
            pool.apply(square, (3,))
        except Exception as error:
            raised.append(f"{type(error).__name__}: {error}")

    pool.apply_async(square, (2,), callback=callback)
    time.sleep(0.5)
    pool.terminate()
    pool.join()
    return (*raised, "terminated")


@case(minimp=r"raised ValueError:", stdlib=EQUAL)
def pool_apply_after_close(mp, method):
    """apply_async() on a closed pool."""
    with mp.get_context(method).Pool(2) as pool:
        pool.close()
        return pool.apply_async(square, (2,))


# === a pool's lifetime =========================================================================


@case(minimp=r"raised KeyboardInterrupt", stdlib=EQUAL)
def pool_interrupted_in_map(mp, method):
    """Ctrl-C (SIGINT to the parent) while map() waits on long tasks, in a with block."""
    with mp.get_context(method).Pool(2) as pool:
        interrupt_in(0.5)
        return pool.map(nap, [30, 30])


@case(minimp=r"returned \('map\(nap\) cancelled: 2 tasks not yet started dropped, 2 workers running its tasks "
             r"stopped and replaced\. The pool is ready for more work\.', 9\)$",
      stdlib=safer("the interrupted map's queued tasks still run: the next call waits behind them"))
def pool_interrupted_then_used_again(mp, method):
    """Ctrl-C while map() waits; then the same pool gets a new call."""
    pool = mp.get_context(method).Pool(2)
    try:
        pool.map(abs, [0, 0])  # both workers are up
        interrupt_in(0.5)
        try:
            pool.map(nap, [30] * 4, chunksize=1)
        except KeyboardInterrupt as error:
            message = str(error)
        return message, pool.apply_async(square, (3,)).get(timeout=3)
    finally:
        pool.terminate()


@case(minimp=r"returned \('KeyboardInterrupt', 0\)$",
      stdlib=safer("the workers go on running the interrupted map's tasks until the program exits"))
def pool_interrupted_without_with(mp, method):
    """Ctrl-C while map() waits, the pool made without `with`: how many workers still run after it?"""
    pool = mp.get_context(method).Pool(2)
    workers = pool.map(getpid_slowly, range(2), chunksize=1)
    interrupt_in(0.5)
    try:
        pool.map(nap, [30, 30], chunksize=1)
    except KeyboardInterrupt as error:
        return type(error).__name__, still_running(workers, 2)


@case(minimp=r"raised PoolTerminatedError: .*terminated before this task finished",
      stdlib=hangs("get() on a task that terminate() stopped waits for ever"))
def pool_get_after_terminate(mp, method):
    """terminate() while a task runs, then get() its result."""
    pool = mp.get_context(method).Pool(2)
    result = pool.apply_async(nap, (30,))
    time.sleep(0.3)
    pool.terminate()
    pool.join()
    return result.get()


def drop_a_pool(mp, method):
    pool = mp.get_context(method).Pool(2)  # never closed nor terminated
    return pool.map(getpid_slowly, range(4), chunksize=1)


@case(minimp=r"returned 0$", stdlib=EQUAL)
def pool_dropped_without_close(mp, method):
    """A Pool made in a function and dropped without close(): do its workers go?"""
    workers = set(drop_a_pool(mp, method))
    gc.collect()
    return still_running(workers, 2)


@case(minimp=r"returned 0$", stdlib=safer("terminate() kills the workers only: the task's `sleep 60` runs on"))
def pool_terminate_ends_grandchildren(mp, method):
    """terminate() while a task's own child process (`sleep 60`) runs: is it still running after?"""
    pool = mp.get_context(method).Pool(2)
    sleeper = pool.apply(start_a_sleeper)
    pool.terminate()
    pool.join()
    return still_running([sleeper], 2)


@case(minimp=r"returned 0$", stdlib=safer("the with block's terminate() leaves the task's `sleep 60` running"))
def pool_with_block_ends_grandchildren(mp, method):
    """Leaving `with Pool() as pool:` while a task's child process runs."""
    with mp.get_context(method).Pool(2) as pool:
        sleepers = pool.map(start_a_sleeper, range(2), chunksize=1)
    return still_running(sleepers, 2)


@case(minimp=r"returned 0$",
      stdlib=hangs("the `with` block's terminate() waits for ever for the task queue's lock, which the killed "
                   "worker held (and the task's `sleep 60` is orphaned)"))
def pool_crash_ends_grandchildren(mp, method):
    """A worker is killed while a process its task started runs: is that process still running?"""
    with mp.get_context(method).Pool(1) as pool:
        sleeper = pool.apply(start_a_sleeper)
        os.kill(pool.apply(os.getpid), signal.SIGKILL)
        return still_running([sleeper], 2)


@case(minimp=r"returned 9$",
      stdlib=hangs("the idle worker died holding the task queue's read lock: no new worker ever gets a task"))
def pool_idle_worker_killed(mp, method):
    """An idle worker is killed (the OOM killer, say); then the pool is given a task."""
    with mp.get_context(method).Pool(1) as pool:
        os.kill(pool.apply(os.getpid), signal.SIGKILL)
        time.sleep(0.2)  # it waits for its next task, or is dead
        return pool.apply(square, (3,))


PARENT_PROGRAM = """
import os, sys, time
library, method, kind = sys.argv[1:]
if library == "minimp":
    import minimp as mp
else:
    import multiprocessing as mp
    import concurrent.futures

def busy(path):
    open(path, "w").close()
    time.sleep(60)

started = os.path.abspath("busy.started")
if kind == "Pool":
    pool = mp.get_context(method).Pool(2)
    pool.map(time.sleep, [0.05, 0.05], chunksize=1)
    pool.apply_async(busy, (started,))
else:
    cls = mp.ProcessPoolExecutor if library == "minimp" else concurrent.futures.ProcessPoolExecutor
    pool = cls(2, mp_context=mp.get_context(method))
    list(pool.map(time.sleep, [0.05, 0.05]))
    pool.submit(busy, started)
while not os.path.exists(started):  # a worker runs the task now
    time.sleep(0.01)
print(*[p.pid for p in mp.active_children()], flush=True)
os.kill(os.getpid(), 9)
"""


def kill_the_parent_of(mp, method, kind):
    library = "minimp" if mp.__name__ == "minimp" else "stdlib"
    # Read its one line, not its whole output: workers left running would hold the pipe open.
    with subprocess.Popen([sys.executable, "-c", PARENT_PROGRAM, library, method, kind],
                          stdout=subprocess.PIPE, text=True) as parent:  # fmt: skip
        workers = [int(pid) for pid in parent.stdout.readline().split()]
        parent.wait()
    return len(workers), still_running(workers, 3)


@case(minimp=r"returned \(2, 0\)$", stdlib=safer("the worker running the task outlives its killed parent"))
def pool_parent_killed(mp, method):
    """The program running a Pool is killed (kill -9): (its workers, how many still run 3 s later)."""
    return kill_the_parent_of(mp, method, "Pool")


@case(minimp=r"returned \(2, 0\)$", stdlib=safer("both of the executor's workers outlive their killed parent"))
def executor_parent_killed(mp, method):
    """The program running a ProcessPoolExecutor is killed: (its workers, how many still run 3 s later)."""
    return kill_the_parent_of(mp, method, "executor")


# === executors ==================================================================================


@case(minimp=r"raised BrokenProcessPool: worker \d \(pid \d+\) was killed by signal SIGKILL \(exit code -9\) "
             r"while running submit\(write_pid_and_sleep\), args \('/.*/task.pid',\); the executor is broken",
      stdlib=EQUAL)
def executor_submit_worker_killed(mp, method):
    """executor.submit(), and the worker running the task is killed from outside."""
    path = os.path.abspath("task.pid")
    with executor(mp, method) as pool:
        future = pool.submit(write_pid_and_sleep, path)
        os.kill(int(wait_for_file(path)), signal.SIGKILL)
        return future.result()


@case(minimp=r"raised BrokenProcessPool: .*killed by signal SIGKILL", stdlib=EQUAL)
def executor_map_worker_killed(mp, method):
    """list(executor.map(...)), and the worker running item 3 is killed."""
    with executor(mp, method) as pool:
        return list(pool.map(kill_on_3, range(6)))


@case(minimp=r"raised BrokenProcessPool: .*exited with exit code 7", stdlib=EQUAL)
def executor_task_calls_os_exit(mp, method):
    """executor.submit of a task that calls os._exit(7)."""
    with executor(mp, method) as pool:
        return pool.submit(exit_on_3, 3).result()


@case(minimp=r"raised BrokenProcessPool: .*SIGSEGV", stdlib=EQUAL)
def executor_task_segfaults(mp, method):
    """executor.submit of a task that segfaults."""
    with executor(mp, method) as pool:
        return pool.submit(segfault_on_3, 3).result()


@case(minimp=r"raised BrokenProcessPool:", stdlib=EQUAL)
def executor_submit_after_break(mp, method):
    """After a worker died, the next submit() fails at once."""
    with executor(mp, method) as pool:
        pool.submit(exit_on_3, 3).exception()
        return pool.submit(square, 2).result()


@case(minimp=r"raised TaskExitError: the task raised SystemExit\(3\)",
      stdlib=safer("re-raises the task's SystemExit in the caller: the caller's program exits"))
def executor_task_calls_sys_exit(mp, method):
    """executor.submit of a task that calls sys.exit(3)."""
    with executor(mp, method) as pool:
        return pool.submit(sys_exit_on_3, 3).result()


@case(minimp=r"raised BrokenProcessPool: .*ConnectionError", stdlib=EQUAL)
def executor_initializer_raises(mp, method):
    """ProcessPoolExecutor(initializer=...) whose initializer raises."""
    with executor(mp, method, initializer=fail_to_connect) as pool:
        return pool.submit(square, 2).result()


@case(minimp=r"raised TypeError:", stdlib=EQUAL)
def executor_unpicklable_argument(mp, method):
    """executor.submit(f, a_lock)."""
    with executor(mp, method) as pool:
        return pool.submit(identity, threading.Lock()).result()


@case(minimp=r"raised TypeError:", stdlib=EQUAL)
def executor_unpicklable_result(mp, method):
    """executor.submit of a task that returns a lock."""
    with executor(mp, method) as pool:
        return pool.submit(give_a_lock).result()


@case(minimp=r"raised TimeoutError:", stdlib=EQUAL)
def executor_result_timeout_expires(mp, method):
    """future.result(timeout=0.3) on a long task."""
    with executor(mp, method) as pool:
        future = pool.submit(nap, 1)
        try:
            return future.result(timeout=0.3)
        finally:
            future.cancel()


@case(minimp=r"returned 'BrokenProcessPool'$",
      stdlib=na("Python 3.11's concurrent.futures has no terminate_workers() (new in 3.14)"))
def executor_terminate_workers(mp, method):
    """executor.terminate_workers() while a task runs: what its future then raises."""
    pool = executor(mp, method)
    future = pool.submit(nap, 30)
    time.sleep(0.3)
    pool.terminate_workers()
    return type(future.exception(timeout=5)).__name__


# === processes =====================================================================================


def raise_value_error():
    raise ValueError("the child failed")


def exit_5():
    sys.exit(5)


@case(minimp=r"returned 1$", stdlib=EQUAL)
def process_target_raises(mp, method):
    """A Process whose target raises: its exit code."""
    child = mp.get_context(method).Process(target=raise_value_error)
    child.start()
    child.join()
    return child.exitcode


@case(minimp=r"returned -11$", stdlib=EQUAL)
def process_target_segfaults(mp, method):
    """A Process whose target segfaults: its exit code."""
    child = mp.get_context(method).Process(target=segfault)
    child.start()
    child.join()
    return child.exitcode


@case(minimp=r"returned \(-9, False\)$", stdlib=EQUAL)
def process_killed(mp, method):
    """A Process killed while it sleeps: its exit code, and is_alive()."""
    child = mp.get_context(method).Process(target=time.sleep, args=(30,))
    child.start()
    child.kill()
    child.join()
    return child.exitcode, child.is_alive()


@case(minimp=r"returned 5$", stdlib=EQUAL)
def process_target_calls_sys_exit(mp, method):
    """A Process whose target calls sys.exit(5)."""
    child = mp.get_context(method).Process(target=exit_5)
    child.start()
    child.join()
    return child.exitcode


@case(minimp=r"returned \(None, -15\)$", stdlib=EQUAL)
def process_join_timeout_then_terminate(mp, method):
    """join(timeout=0.3) on a child that sleeps, then terminate(): the exit codes seen."""
    child = mp.get_context(method).Process(target=time.sleep, args=(30,))
    child.start()
    child.join(0.3)
    before = child.exitcode
    child.terminate()
    child.join()
    return before, child.exitcode


@case(minimp=r"returned -9$", method="spawn", stdlib=EQUAL)
def process_killed_spawn(mp, method):
    """A spawned Process killed while it sleeps: its exit code."""
    child = mp.get_context(method).Process(target=time.sleep, args=(30,))
    child.start()
    child.kill()
    child.join()
    return child.exitcode


# === queues and pipes ================================================================================


def put_big(queue):
    queue.put(b"x" * (4 * 2**20))  # more than a pipe holds


@case(minimp=r"returned 4194304$", stdlib=hangs("the child cannot exit until its item is read: join() waits for ever"))
def queue_join_before_drain(mp, method):
    """A child puts a big item in a Queue; the parent joins the child, then gets the item."""
    ctx = mp.get_context(method)
    queue = ctx.Queue()
    child = ctx.Process(target=put_big, args=(queue,))
    child.start()
    child.join()
    return len(queue.get(timeout=5))


@case(minimp=r"raised TypeError: .*lock",
      stdlib=safer("put() returns; a feeder thread prints the error, and get() finds nothing (Empty)"))
def queue_put_unpicklable(mp, method):
    """queue.put(a_lock), then queue.get(timeout=1)."""
    queue = mp.get_context(method).Queue()
    queue.put(threading.Lock())
    return queue.get(timeout=1)


def wait_in_get(queue, ready):
    ready.set()
    queue.get()


@case(minimp=r"returned 'hello'$",
      stdlib=safer("the killed consumer held the queue's read lock: get() raises Empty, though an item is there"))
def queue_consumer_killed_in_get(mp, method):
    """A child waiting in queue.get() is killed; the parent puts an item, then gets it."""
    ctx = mp.get_context(method)
    queue, ready = ctx.Queue(), ctx.Event()
    child = ctx.Process(target=wait_in_get, args=(queue, ready))
    child.start()
    ready.wait(10)
    time.sleep(0.3)  # in get() by now
    child.kill()
    child.join()
    queue.put("hello")
    return queue.get(timeout=2)


def die_quietly(*_):
    os._exit(0)


@case(minimp=r"raised Empty", stdlib=EQUAL)
def queue_get_producer_died(mp, method):
    """The producer dies before it puts anything: get(timeout=0.5)."""
    ctx = mp.get_context(method)
    queue = ctx.Queue()
    child = ctx.Process(target=die_quietly, args=(queue,))
    child.start()
    child.join()
    return queue.get(timeout=0.5)


@case(minimp=r"raised ValueError:", stdlib=EQUAL)
def joinable_queue_task_done_too_often(mp, method):
    """JoinableQueue.task_done() once more than there were items."""
    queue = mp.get_context(method).JoinableQueue()
    queue.put(1)
    queue.get(timeout=5)
    queue.task_done()
    queue.task_done()


@case(minimp=r"raised EOFError", stdlib=EQUAL)
def pipe_peer_dies(mp, method):
    """The child at the other end of a Pipe exits without sending: recv()."""
    ctx = mp.get_context(method)
    mine, theirs = ctx.Pipe()
    child = ctx.Process(target=die_quietly, args=(theirs,))
    child.start()
    theirs.close()  # as a careful user does: only the child holds it now
    child.join()
    return mine.recv()


@case(minimp=r"raised EOFError", stdlib=EQUAL)
def pipe_peer_killed_while_parent_waits(mp, method):
    """recv() while the child at the other end is killed."""
    ctx = mp.get_context(method)
    mine, theirs = ctx.Pipe()
    child = ctx.Process(target=time.sleep, args=(30,))
    child.start()
    theirs.close()
    threading.Timer(0.3, child.kill).start()
    try:
        return mine.recv()
    finally:
        child.join()


@case(minimp=r"raised TypeError:", stdlib=EQUAL)
def pipe_send_unpicklable(mp, method):
    """conn.send(a_lock)."""
    mine, theirs = mp.get_context(method).Pipe()
    mine.send(threading.Lock())


# === locks and other synchronization =============================================================


def hold_and_die(lock):
    lock.acquire()
    os._exit(0)  # dies holding it


def hold_value_lock_and_die(value):
    value.get_lock().acquire()
    os._exit(0)


def child_holds_then_dies(mp, method, target, thing):
    child = mp.get_context(method).Process(target=target, args=(thing,))
    child.start()
    child.join()


@case(minimp=r"raised LockOwnerDiedError: .*\(pid \d+\) died holding",
      stdlib=hangs("acquire() waits for ever for a lock whose owner is dead"))
def lock_owner_died(mp, method):
    """A child takes a Lock and dies holding it; the parent calls acquire()."""
    lock = mp.get_context(method).Lock()
    child_holds_then_dies(mp, method, hold_and_die, lock)
    return lock.acquire()


@case(minimp=r"raised LockOwnerDiedError:", method="spawn",
      stdlib=hangs("acquire() waits for ever"))
def lock_owner_died_spawn(mp, method):
    """The same, under spawn."""
    return lock_owner_died(mp, method)


@case(minimp=r"raised LockOwnerDiedError:",
      stdlib=safer("acquire(timeout=1) returns False after a second, and says nothing of the dead owner"))
def lock_owner_died_acquire_timeout(mp, method):
    """A child dies holding a Lock; the parent calls acquire(timeout=1)."""
    lock = mp.get_context(method).Lock()
    child_holds_then_dies(mp, method, hold_and_die, lock)
    return lock.acquire(timeout=1)


@case(minimp=r"raised LockOwnerDiedError:", stdlib=hangs("the with statement waits for ever"))
def rlock_owner_died(mp, method):
    """A child dies holding an RLock; the parent enters `with rlock:`."""
    lock = mp.get_context(method).RLock()
    child_holds_then_dies(mp, method, hold_and_die, lock)
    with lock:
        return "entered"


@case(minimp=r"raised LockOwnerDiedError:",
      stdlib=hangs("reading .value takes the lock, and waits for ever"))
def value_lock_owner_died(mp, method):
    """A child dies holding a Value's lock; the parent reads value.value."""
    value = mp.get_context(method).Value("i", 7)
    child_holds_then_dies(mp, method, hold_value_lock_and_die, value)
    return value.value


@case(minimp=r"returned \(True, 'holder', True\)$",
      stdlib=na("LockOwnerDiedError is minimp's: the standard library's acquire() waits for ever (lock_owner_died)"))
def lock_owner_died_names_the_owner(mp, method):
    """The LockOwnerDiedError names the dead owner (pid and name), and the lock is free again."""
    ctx = mp.get_context(method)
    lock = ctx.Lock()
    child = ctx.Process(target=hold_and_die, args=(lock,), name="holder")
    child.start()
    child.join()
    try:
        lock.acquire()
    except mp.LockOwnerDiedError as error:
        return error.pid == child.pid, error.name, lock.acquire(timeout=1)


@case(minimp=r"raised LockOwnerDiedError:", stdlib=hangs("entering `with condition:` waits for ever"))
def condition_owner_died(mp, method):
    """A child dies inside `with condition:`; the parent enters `with condition:`."""
    condition = mp.get_context(method).Condition()
    child_holds_then_dies(mp, method, hold_and_die, condition)
    with condition:
        return "entered"


@case(minimp=r"returned 7$", stdlib=EQUAL)
def raw_value_after_owner_died(mp, method):
    """A child dies holding a Value's lock; the parent reads it without the lock (get_obj())."""
    value = mp.get_context(method).Value("i", 7)
    child_holds_then_dies(mp, method, hold_value_lock_and_die, value)
    return value.get_obj().value


@case(minimp=r"returned False$", stdlib=EQUAL)
def semaphore_holder_died(mp, method):
    """A child takes a Semaphore(1) and dies: acquire(timeout=0.5) fails in both (a semaphore has no owner)."""
    semaphore = mp.get_context(method).Semaphore(1)
    child_holds_then_dies(mp, method, hold_and_die, semaphore)
    return semaphore.acquire(timeout=0.5)


@case(minimp=r"returned False$", stdlib=EQUAL)
def event_setter_died(mp, method):
    """The child that should set an Event dies first: wait(timeout=0.5)."""
    ctx = mp.get_context(method)
    event = ctx.Event()
    child = ctx.Process(target=die_quietly, args=(event,))
    child.start()
    child.join()
    return event.wait(timeout=0.5)


def set_and_die(event):
    event.set()
    os._exit(0)


@case(minimp=r"returned True$", stdlib=EQUAL)
def event_set_then_setter_died(mp, method):
    """A child sets an Event and dies: wait() in the parent returns True."""
    ctx = mp.get_context(method)
    event = ctx.Event()
    child = ctx.Process(target=set_and_die, args=(event,))
    child.start()
    child.join()
    return event.wait(timeout=5)


@case(minimp=r"returned False$", stdlib=EQUAL)
def condition_notifier_died(mp, method):
    """The child that should notify a Condition dies first: wait(timeout=0.5)."""
    ctx = mp.get_context(method)
    condition = ctx.Condition()
    child = ctx.Process(target=die_quietly, args=(condition,))
    child.start()
    child.join()
    with condition:
        return condition.wait(timeout=0.5)


@case(minimp=r"raised BrokenBarrierError", stdlib=EQUAL)
def barrier_party_died(mp, method):
    """Barrier(2): the other party dies before it arrives; the parent's wait(timeout=1)."""
    ctx = mp.get_context(method)
    barrier = ctx.Barrier(2)
    child = ctx.Process(target=die_quietly, args=(barrier,))
    child.start()
    child.join()
    return barrier.wait(timeout=1)


# === managers ====================================================================================


@case(minimp=r"raised ManagerGoneError:",
      stdlib=clearer("a bare BrokenPipeError, which does not say that the manager died"))
def manager_server_killed(mp, method):
    """A Manager's server process is killed; then a dict proxy is used."""
    with mp.get_context(method).Manager() as manager:
        shared = manager.dict()
        shared["a"] = 1
        manager._process.kill()
        manager._process.join()
        shared["b"] = 2
        return dict(shared)


@case(minimp=r"raised ManagerGoneError:",
      stdlib=clearer("a bare FileNotFoundError, which does not say that the manager was shut down"))
def manager_proxy_after_shutdown(mp, method):
    """A proxy used after its manager's shutdown()."""
    manager = mp.get_context(method).Manager()
    queue = manager.Queue()
    manager.shutdown()
    return queue.put(1)


def put_pid_on(queue):
    queue.put(os.getpid())


@case(minimp=r"returned \[True, True\]$", stdlib=EQUAL)
def manager_queue_reaches_pool_workers(mp, method):
    """A manager's Queue given to pool workers as an argument (a plain Queue cannot be)."""
    with mp.get_context(method).Manager() as manager:
        shared = manager.Queue()
        with mp.get_context(method).Pool(2) as pool:
            pool.map(put_pid_on, [shared, shared])
        return [isinstance(shared.get(timeout=5), int) for _ in range(2)]
