"""Chapter 2's checkers: a right answer passes, each usual mistake gets its hint.

Each test plays a learner, as tests/test_exercises.py does: it writes an
answer (right, or with one of the usual mistakes), hands it to the checker as
the notebook does, and reads the one verdict the checker prints.
"""

import functools
import math
import multiprocessing.resource_tracker
import pickle
import sys
import threading

import pytest

from minimp.course import exercises
from minimp.course.exercises import ch02

from verdicts import verdict


@pytest.fixture(scope="module", autouse=True)
def resource_tracker_running():
    """The standard library starts its resource tracker, a process that lives as
    long as this one, the first time it spawns a child. Start it before the
    leak check (conftest.py) takes its list of children, so no test is blamed."""
    multiprocessing.resource_tracker.ensure_running()


# -- Exercise 1: which objects pickle ------------------------------------------------

RIGHT = {case: expected for case, (expected, _) in ch02.PICKLE_CASES.items()}


def make_multiplier(n):
    def multiply(x):
        return n * x

    return multiply


def the_quiz_objects():
    """The objects of the notebook's quiz, as the notebook builds them (the
    notebook's `square` lives in __main__; here the test puts one there)."""
    return {
        "a dict of lists": {"primes": [2, 3, 5], "squares": [1, 4, 9]},
        "math.sqrt": math.sqrt,
        "square, defined in this notebook": sys.modules["__main__"].square,
        "lambda x: x * x": lambda x: x * x,
        "make_multiplier(3), a local function": make_multiplier(3),
        "functools.partial(pow, exp=3)": functools.partial(pow, exp=3),
        "an open file": open(__file__),
        "a threading.Lock": threading.Lock(),
    }


def a_notebook_function(name, source, monkeypatch):
    """A function defined in __main__, as a notebook cell defines one."""
    namespace = {"__name__": "__main__"}
    exec(source, namespace)
    monkeypatch.setattr(sys.modules["__main__"], name, namespace[name], raising=False)
    return namespace[name]


def test_the_answers_are_what_pickle_does(monkeypatch):
    a_notebook_function("square", "def square(x):\n    return x * x\n", monkeypatch)
    objects = the_quiz_objects()
    try:
        for case, obj in objects.items():
            try:
                pickle.dumps(obj)
                pickled = True
            except Exception:
                pickled = False
            assert pickled == RIGHT[case], case
    finally:
        objects["an open file"].close()


def test_predictions_right_pass(capsys):
    exercises.check_pickle_predictions(dict(RIGHT))
    assert verdict(capsys).startswith("✅ Correct — all 8 right")


def test_predictions_stub_asks_for_answers(capsys):
    exercises.check_pickle_predictions({case: ... for case in RIGHT})
    assert "replace each ... with True (pickle.dumps() succeeds) or False" in verdict(capsys)


def test_predictions_notebook_function_pickles_as_a_name(capsys):
    exercises.check_pickle_predictions({**RIGHT, "square, defined in this notebook": False})
    printed = verdict(capsys)
    assert "7 of 8 right" in printed
    assert "'square, defined in this notebook': you said False; pickle.dumps() succeeds" in printed


@pytest.mark.parametrize(
    "case, hint",
    [
        ("lambda x: x * x", "a lambda's name is '<lambda>'"),
        ("make_multiplier(3), a local function", "'make_multiplier.<locals>.multiply'"),
        ("an open file", "Send the file's name, and open it in the child"),
        ("a threading.Lock", "coordinates the threads of this one process"),
        ("math.sqrt", "pickles by reference"),
        ("functools.partial(pow, exp=3)", "pickles as its function and its arguments"),
        ("a dict of lists", "plain data"),
    ],
)
def test_predictions_each_wrong_answer_gets_its_hint(capsys, case, hint):
    exercises.check_pickle_predictions({**RIGHT, case: not RIGHT[case]})
    printed = verdict(capsys)
    assert f"{case!r}: you said {not RIGHT[case]}; " in printed and hint in printed


def test_predictions_not_a_bool(capsys):
    exercises.check_pickle_predictions({**RIGHT, "an open file": "no"})
    assert "'an open file': you said 'no'; answer True or False" in verdict(capsys)


def test_predictions_half_answered_and_deleted_cases(capsys):
    exercises.check_pickle_predictions({**RIGHT, "a threading.Lock": ...})
    assert "'a threading.Lock': not answered yet" in verdict(capsys)
    predictions = dict(RIGHT)
    del predictions["math.sqrt"]
    exercises.check_pickle_predictions(predictions)
    assert "missing: math.sqrt" in verdict(capsys)


# -- Exercise 2: a cube the standard library's spawn can send ----------------------


def cube_at_module_level(x):
    return x**3


@pytest.mark.timeout(60)
def test_spawn_picklable_partial_of_pow_passes(capsys):
    exercises.check_spawn_picklable(functools.partial(pow, exp=3))
    assert verdict(capsys).startswith(
        "✅ Correct — the standard library's spawned workers loaded a functools.partial of builtins.pow"
    )


@pytest.mark.timeout(60)
def test_spawn_picklable_importable_function_passes(capsys):
    exercises.check_spawn_picklable(cube_at_module_level)
    assert "loaded test_exercises_ch02.cube_at_module_level by name and computed [1, 8, 27, 64]" in verdict(
        capsys
    )


def test_spawn_picklable_stub_lambda_gets_partial_hint(capsys):
    exercises.check_spawn_picklable(lambda x: x**3)
    printed = verdict(capsys)
    assert "A lambda has no name that pickle can look up" in printed
    assert "functools.partial(pow, exp=3)" in printed


def test_spawn_picklable_partial_of_a_lambda_is_still_a_lambda(capsys):
    exercises.check_spawn_picklable(functools.partial(lambda x, e: x**e, e=3))
    assert "A lambda has no name that pickle can look up" in verdict(capsys)


def test_spawn_picklable_local_function(capsys):
    def cube(x):
        return x**3

    exercises.check_spawn_picklable(cube)
    assert "A function defined inside another function" in verdict(capsys)


@pytest.mark.timeout(60)
def test_spawn_picklable_notebook_function_cannot_be_found(capsys, monkeypatch):
    cube = a_notebook_function("cube", "def cube(x):\n    return x ** 3\n", monkeypatch)
    exercises.check_spawn_picklable(cube)
    printed = verdict(capsys)
    assert "Can't get attribute 'cube' on <module '__main__'" in printed
    assert "a spawned child's __main__ is not your notebook" in printed


@pytest.mark.timeout(60)
def test_spawn_picklable_partial_fixing_the_base(capsys):
    exercises.check_spawn_picklable(functools.partial(pow, 3))
    assert "computed [3, 9, 27, 81]: functools.partial(pow, 3) fixes pow's *first* argument" in verdict(capsys)


@pytest.mark.timeout(60)
def test_spawn_picklable_wrong_function(capsys):
    exercises.check_spawn_picklable(functools.partial(pow, exp=2))
    assert "computed [1, 4, 9, 16] for [1, 2, 3, 4]; expected [1, 8, 27, 64]" in verdict(capsys)


@pytest.mark.timeout(60)
def test_spawn_picklable_function_that_raises(capsys):
    exercises.check_spawn_picklable(math.factorial)  # fine for ints: a wrong value, no error
    assert "computed [1, 2, 6, 24]" in verdict(capsys)
    exercises.check_spawn_picklable(functools.partial(pow, exp="three"))
    assert "calling it raised TypeError" in verdict(capsys)


def test_spawn_picklable_called_instead_of_given(capsys):
    exercises.check_spawn_picklable(pow(2, 3))
    assert "not int 8. Did you call it?" in verdict(capsys)


# -- Exercise 3: what a child gets under each start method ---------------------------

START_RIGHT = {fact: {method: expected for method, (expected, _) in by_method.items()}
               for fact, by_method in ch02.START_FACTS.items()}


@pytest.mark.timeout(90)
def test_start_predictions_right_as_three_real_children_report(capsys):
    assert ch02._measure_start_facts() == START_RIGHT  # the table says what real children do
    exercises.check_start_method_predictions(START_RIGHT)
    assert "all 9 right, as three real children just reported" in verdict(capsys)


def judged(predictions):
    return str(ch02._judge_start_predictions(predictions, lambda: START_RIGHT))


def test_start_predictions_each_wrong_answer_gets_its_reason():
    believes_fork_copies_threads = {fact: dict(answers) for fact, answers in START_RIGHT.items()}
    believes_fork_copies_threads["runs one thread, though the parent runs two"]["fork"] = False
    believes_fork_copies_threads["os.getppid() is the parent's pid"]["forkserver"] = True
    printed = judged(believes_fork_copies_threads)
    assert printed.startswith("❌ Not yet: 7 of 9 right.")
    assert "under fork: you said False, the child says True: fork() copies the memory of all threads" in printed
    assert "under forkserver: you said True, the child says False: the server forked the child" in printed


def test_start_predictions_not_answered_or_not_a_bool():
    blank = {fact: {method: ... for method in ch02.METHODS} for fact in START_RIGHT}
    assert judged(blank) == "❌ Not yet: replace each ... with True (the child does) or False (it does not)"
    half = {fact: dict(answers) for fact, answers in START_RIGHT.items()}
    half["has colorsys, which the parent imported"]["spawn"] = "no"
    del half["os.getppid() is the parent's pid"]["fork"]
    printed = judged(half)
    assert "under spawn: you said 'no'; answer True or False" in printed
    assert "\"os.getppid() is the parent's pid\" under fork: not answered yet" in printed
    assert "missing: 'has colorsys" in judged({"runs one thread, though the parent runs two": {}})
    assert judged([]) == "❌ Not yet: pass the dict of predictions, got list"
