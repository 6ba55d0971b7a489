"""The checkers of chapter 2, How a process starts."""

from __future__ import annotations

import functools
import multiprocessing
import os
import pickle
import subprocess
import sys
from typing import Any, Callable

from ._base import TIMEOUT, Verdict, report, run_learner_code, find_trouble

__all__ = ["check_pickle_predictions", "check_spawn_picklable", "check_start_method_predictions"]


# -- Exercise 1: which objects can pickle.dumps() turn into bytes? -----------------

# The objects of the notebook's quiz (the notebook builds them under these
# names), whether pickle.dumps() accepts each, and why.
PICKLE_CASES: dict[str, tuple[bool, str]] = {
    "a dict of lists": (
        True,
        "plain data (numbers, strings, lists, tuples, dicts, sets) always pickles, "
        "as long as what is inside it does",
    ),
    "math.sqrt": (
        True,
        "a function of an importable module pickles by reference: pickle writes "
        "only 'math' and 'sqrt', and the receiver imports math to find it",
    ),
    "square, defined in this notebook": (
        True,
        "pickle.dumps() succeeds: it writes only the name, '__main__' and 'square', "
        "and finds that name in this kernel. Loading the bytes in another interpreter is "
        "what fails, because there __main__ is not your notebook (section 6)",
    ),
    "lambda x: x * x": (
        False,
        "a lambda's name is '<lambda>', which nobody can look up in a module, so pickle "
        "refuses it (PicklingError)",
    ),
    "make_multiplier(3), a local function": (
        False,
        "a function defined inside another function ('make_multiplier.<locals>.multiply') "
        "cannot be found by importing anything, so pickle refuses it",
    ),
    "functools.partial(pow, exp=3)": (
        True,
        "a functools.partial pickles as its function and its arguments, and pow is a "
        "built-in that pickle finds by name",
    ),
    "an open file": (
        False,
        "an open file is this process's file descriptor and a position in it; pickle "
        "refuses it (TypeError). Send the file's name, and open it in the child",
    ),
    "a threading.Lock": (
        False,
        "a threading.Lock coordinates the threads of this one process; pickle refuses it "
        "(TypeError). (A Lock made by multiprocessing or minimp is another object, given to "
        "a child when it starts)",
    ),
}


def check_pickle_predictions(predictions: dict) -> None:
    """Chapter 2: predict, for each object of PICKLE_CASES, whether
    `pickle.dumps(obj)` succeeds (True) or raises (False); `...` marks a
    case not answered yet."""
    report(_judge_pickle_predictions(predictions))


def _judge_pickle_predictions(predictions: Any) -> Verdict:
    if not isinstance(predictions, dict):
        return Verdict(False, f"pass the dict of predictions, got {type(predictions).__name__}")
    missing = [case for case in PICKLE_CASES if case not in predictions]
    if missing:
        return Verdict(False, f"the dict needs an entry for each object; missing: {', '.join(missing)}")
    if all(predictions[case] is ... for case in PICKLE_CASES):
        return Verdict(False, "replace each ... with True (pickle.dumps() succeeds) or False (it raises)")
    wrong = []
    for case, (expected, why) in PICKLE_CASES.items():
        predicted = predictions[case]
        if predicted is ...:
            wrong.append(f"  • {case!r}: not answered yet")
        elif not isinstance(predicted, bool):
            wrong.append(f"  • {case!r}: you said {predicted!r}; answer True or False")
        elif predicted != expected:
            wrong.append(f"  • {case!r}: you said {predicted}; {why}")
    if wrong:
        right = len(PICKLE_CASES) - len(wrong)
        return Verdict(False, f"{right} of {len(PICKLE_CASES)} right.\n" + "\n".join(wrong))
    return Verdict(
        True,
        f"all {len(PICKLE_CASES)} right: data and functions that can be found by name pickle; "
        f"lambdas, local functions, open files and locks do not. And a notebook's function "
        f"pickles only as a name, which a spawned child cannot look up.",
    )


# -- Exercise 2: a cube function that the standard library's spawn can send ------

CUBE_INPUT = [1, 2, 3, 4]
CUBE_OUTPUT = [x**3 for x in CUBE_INPUT]

# What a fresh interpreter does with the learner's pickle, as a spawned child
# of the standard library would: take the parent's sys.path, then unpickle.
# It prints nothing when the load works, the error when it does not.
_LOAD_IN_FRESH_PYTHON = """\
import pickle, sys
path, payload = pickle.loads(sys.stdin.buffer.read())
sys.path[:] = path
try:
    pickle.loads(payload)
except Exception as error:
    print(f"{type(error).__name__}: {error}")
"""


def check_spawn_picklable(cube: Any, timeout: float = TIMEOUT) -> None:
    """Chapter 2: `cube` is a callable with cube(x) == x ** 3 that the standard
    library's spawn start method can send to a child.

    The checker pickles it as the standard library does, loads the bytes in a
    fresh interpreter (which names the usual mistakes precisely, where a real
    Pool would hang), and then runs it on a real spawn Pool of the standard
    library: pool.map(cube, CUBE_INPUT) must give CUBE_OUTPUT.
    """
    verdict = _judge_before_the_pool(cube)
    if verdict is None:
        run = run_learner_code(lambda: _map_on_standard_spawn_pool(cube, timeout), timeout + 5)
        if run.error is not None and not run.timed_out:
            verdict = Verdict(
                False,
                f"the standard library's workers received your function, but calling it raised "
                f"{type(run.error).__name__}: {run.error}. It should compute x ** 3 for one number x.",
            )
        else:
            verdict = find_trouble(run, timeout) or _judge_cubes(cube, run.value)
    report(verdict)


def _judge_before_the_pool(cube: Any) -> Verdict | None:
    """A verdict if `cube` cannot reach a spawned child; None if it can."""
    if not callable(cube):
        return Verdict(
            False,
            f"cube should be a function (or a functools.partial) that the pool can call, not "
            f"{type(cube).__name__} {cube!r:.60}. Did you call it? Give the function itself.",
        )
    inner = _innermost(cube)
    try:
        payload = pickle.dumps(cube)
    except Exception as error:
        return Verdict(False, _unpicklable_hint(inner, error))
    problem = _load_in_fresh_python(payload)
    if problem is None:
        return None
    if "Can't get attribute" in problem and "__main__" in problem:
        return Verdict(
            False,
            f"pickle.dumps() works here, but a fresh interpreter says: {problem}. pickle wrote only "
            f"the name '__main__.{getattr(inner, '__qualname__', '?')}', and a spawned child's __main__ "
            f"is not your notebook. Use a function that can be imported: functools.partial(pow, exp=3), "
            f"or power from helpers_ch02.py (functools.partial(power, exp=3)).",
        )
    if problem.startswith(("ModuleNotFoundError", "ImportError")):
        return Verdict(
            False,
            f"a fresh interpreter cannot import what your function needs: {problem}. The module must be "
            f"a file the child can find: in the notebooks folder (the kernel's working directory), "
            f"like helpers_ch02.py, or an installed package.",
        )
    return Verdict(False, f"a fresh interpreter could not load your function: {problem}")


def _innermost(function: Any) -> Any:
    """The function inside a functools.partial (of a partial ...)."""
    while isinstance(function, functools.partial):
        function = function.func
    return function


def _unpicklable_hint(inner: Any, error: Exception) -> str:
    said = f"pickle.dumps() raised {type(error).__name__}: {error}."
    if getattr(inner, "__name__", None) == "<lambda>":
        return (
            f"{said} A lambda has no name that pickle can look up, so the standard library cannot "
            f"send it to any child. Instead of lambda x: x ** 3, use functools.partial(pow, exp=3): "
            f"a partial pickles as pow (found by name) and its argument exp=3."
        )
    if "<locals>" in getattr(inner, "__qualname__", ""):
        return (
            f"{said} A function defined inside another function cannot be found by importing "
            f"anything. Use functools.partial(pow, exp=3), or a function at the top level of a "
            f"module such as helpers_ch02.py."
        )
    return f"{said} Use functools.partial(pow, exp=3), which pickles as pow and exp=3."


def _load_in_fresh_python(payload: bytes) -> str | None:
    """Unpickle `payload` in a new interpreter with this one's sys.path and
    working directory, as a spawned child would; the error it met, or None."""
    data = pickle.dumps((list(sys.path), payload))
    done = subprocess.run(
        [sys.executable, "-c", _LOAD_IN_FRESH_PYTHON],
        input=data,
        capture_output=True,
        cwd=os.getcwd(),
        timeout=60,
    )
    if done.returncode != 0:
        return done.stderr.decode(errors="replace").strip().splitlines()[-1]
    return done.stdout.decode(errors="replace").strip() or None


def _map_on_standard_spawn_pool(cube: Callable, timeout: float) -> list:
    """pool.map(cube, CUBE_INPUT) on the standard library's spawn Pool of 2."""
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        return pool.map_async(cube, CUBE_INPUT, chunksize=1).get(timeout)


def _judge_cubes(cube: Any, value: Any) -> Verdict:
    if value == CUBE_OUTPUT:
        return Verdict(
            True,
            f"the standard library's spawned workers loaded {_described(cube)} by name and "
            f"computed {value!r} for {CUBE_INPUT!r}.",
        )
    if isinstance(cube, functools.partial) and cube.func is pow and cube.args == (3,):
        return Verdict(
            False,
            f"the workers computed {value!r}: functools.partial(pow, 3) fixes pow's *first* "
            f"argument, so it computes pow(3, x), 3 to the power x. Fix the exponent: "
            f"functools.partial(pow, exp=3).",
        )
    return Verdict(False, f"the workers loaded your function, but computed {value!r} for {CUBE_INPUT!r}; "
                          f"expected {CUBE_OUTPUT!r}, the cube of each number.")  # fmt: skip


def _described(cube: Any) -> str:
    inner = _innermost(cube)
    name = f"{getattr(inner, '__module__', None) or 'builtins'}.{getattr(inner, '__qualname__', repr(inner))}"
    return f"a functools.partial of {name}" if isinstance(cube, functools.partial) else name



# -- Exercise 3: what does a child get under each start method? ----------------------

METHODS = ("fork", "spawn", "forkserver")

# The facts of the notebook's table, what each start method gives, and why.
START_FACTS: dict[str, dict[str, tuple[bool, str]]] = {
    "has colorsys, which the parent imported": {
        "fork": (True, "a forked child is a copy of the parent's memory, imported modules included"),
        "spawn": (False, "a spawned child is a fresh interpreter: it imports only what unpickling the "
                         "process needs"),
        "forkserver": (False, "the child is a copy of the server, which imported only minimp (and what "
                              "set_forkserver_preload() names), not of your parent"),
    },
    "runs one thread, though the parent runs two": {
        "fork": (True, "fork() copies the memory of all threads but lets only the thread that called it go "
                       "on: the other thread is not there (section 2)"),
        "spawn": (True, "a fresh interpreter starts with its main thread only"),
        "forkserver": (True, "the server has one thread, so each copy of it has one too"),
    },
    "os.getppid() is the parent's pid": {
        "fork": (True, "the parent called fork() itself, so it is the child's parent for the operating system"),
        "spawn": (True, "the parent started the new interpreter itself (fork, then exec)"),
        "forkserver": (False, "the server forked the child, so os.getppid() is the server's pid; "
                              "minimp.parent_process() still names the process that called start()"),
    },
}

# A parent with two threads that has imported colorsys starts one child by each method;
# each child reports the three facts. Run in a fresh interpreter, so the kernel never forks.
_START_FACTS_PROGRAM = """\
import colorsys, os, sys, threading, minimp

def report(queue):
    queue.put(("colorsys" in sys.modules, threading.active_count() == 1,
               os.getppid() == minimp.parent_process().pid))

if __name__ == "__main__":
    stop = threading.Event()
    threading.Thread(target=stop.wait, daemon=True).start()  # the parent's second thread
    found = {}
    for method in sys.argv[1:]:
        ctx = minimp.get_context(method)
        queue = ctx.Queue()
        child = ctx.Process(target=report, args=(queue,))
        child.start()
        found[method] = queue.get(timeout=30)
        child.join()
    print(repr(found))
"""


def check_start_method_predictions(predictions: dict) -> None:
    """Chapter 2: for each fact of START_FACTS, predict True or False for a child started by
    fork, spawn and forkserver. The checker starts the three children, in a fresh
    interpreter, and compares your predictions with what they report."""
    report(_judge_start_predictions(predictions, _measure_start_facts))


def _measure_start_facts() -> dict[str, dict[str, bool]]:
    """What three real children report: {fact: {method: bool}}."""
    done = subprocess.run(  # -W: from 3.12, Python warns of fork in a process with threads; we know
        [sys.executable, "-W", "ignore::DeprecationWarning", "-c", _START_FACTS_PROGRAM, *METHODS],
        capture_output=True, text=True, timeout=60, cwd=os.getcwd())
    if done.returncode != 0:
        raise RuntimeError(f"the three children could not report: {done.stderr.strip()[-500:]}")
    import ast
    found = ast.literal_eval(done.stdout.strip())
    return {fact: {method: found[method][i] for method in METHODS} for i, fact in enumerate(START_FACTS)}


def _judge_start_predictions(predictions: Any, measure: Callable[[], dict]) -> Verdict:
    if not isinstance(predictions, dict):
        return Verdict(False, f"pass the dict of predictions, got {type(predictions).__name__}")
    missing = [fact for fact in START_FACTS if not isinstance(predictions.get(fact), dict)]
    if missing:
        return Verdict(False, f"the dict needs, for each fact, a dict with fork, spawn and forkserver; "
                              f"missing: {', '.join(map(repr, missing))}")
    answers = [(fact, method, predictions[fact].get(method, ...)) for fact in START_FACTS for method in METHODS]
    if all(answer is ... for _, _, answer in answers):
        return Verdict(False, "replace each ... with True (the child does) or False (it does not)")
    measured = measure()
    wrong = []
    for fact, method, predicted in answers:
        why = START_FACTS[fact][method][1]
        expected = measured[fact][method]  # what the children said is the truth
        if predicted is ...:
            wrong.append(f"  • {fact!r} under {method}: not answered yet")
        elif not isinstance(predicted, bool):
            wrong.append(f"  • {fact!r} under {method}: you said {predicted!r}; answer True or False")
        elif predicted != expected:
            wrong.append(f"  • {fact!r} under {method}: you said {predicted}, the child says {expected}: {why}")
    if wrong:
        return Verdict(False, f"{len(answers) - len(wrong)} of {len(answers)} right.\n" + "\n".join(wrong))
    return Verdict(True, f"all {len(answers)} right, as three real children just reported: only fork copies "
                         f"the parent's modules, no method copies its other threads, and under forkserver the "
                         f"child's parent for the operating system is the server.")
