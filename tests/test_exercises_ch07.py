"""Chapter 7's checkers: a right answer passes, each usual mistake gets its hint.

Each test plays a learner: it writes an answer the way a learner might, hands
it to the checker as the notebook does, and reads the one verdict printed.
The `no_leaks` fixture (conftest.py) fails a test that leaves a child behind,
even one the "learner" forgot: the checker must stop it.
"""

import time

import pytest

import minimp
from minimp.course import exercises

from verdicts import verdict


@pytest.fixture
def fork():
    """The fast start method, for tests where the method does not matter."""
    return minimp.get_context("fork")


def risky(x):
    """The notebook's risky: x * x after 50 ms; ValueError for a negative x; 0 hangs."""
    time.sleep(0.05)
    if x < 0:
        raise ValueError(f"negative number: {x}")
    if x == 0:
        time.sleep(60)
    return x * x


def outcomes_with(pool, numbers, wait=2, catch=Exception, failed=lambda error: error):
    """The notebook's solution, with knobs for the usual mistakes."""
    pending = [pool.apply_async(risky, (x,)) for x in numbers]
    outcomes = []
    for result in pending:
        try:
            outcomes.append(result.get(timeout=wait))
        except catch as error:
            outcomes.append(failed(error))
    return outcomes


# -- Exercise 1: safe_results ------------------------------------------------------------


@pytest.mark.timeout(60)
def test_safe_results_right_answer_passes(ctx, capsys):
    def safe_results(numbers):
        with ctx.Pool(2) as pool:
            return outcomes_with(pool, numbers)

    exercises.check_safe_results(safe_results)
    printed = verdict(capsys)
    assert printed.startswith("✅ Correct — [9, ValueError('negative number: -1'), TimeoutError(")
    assert "4, 25]: each result in its place" in printed


@pytest.mark.timeout(60)
def test_safe_results_with_imap_waits_for_the_same_task_again(fork, capsys):
    def safe_results(numbers):
        with fork.Pool(2) as pool:
            results = pool.imap(risky, numbers)
            outcomes = []
            for _ in numbers:
                try:
                    outcomes.append(results.next(timeout=0.5))
                except Exception as error:
                    outcomes.append(error)
            return outcomes

    exercises.check_safe_results(safe_results)
    printed = verdict(capsys)
    assert "not only risky(0) timed out" in printed
    assert "after a timeout, its next() waits for the same task again" in printed


@pytest.mark.timeout(60)
def test_safe_results_the_stub_raises_the_tasks_error(fork, capsys):
    def safe_results(numbers):
        with fork.Pool(2) as pool:
            pending = [pool.apply_async(risky, (x,)) for x in numbers]
            return [result.get() for result in pending]

    exercises.check_safe_results(safe_results)
    printed = verdict(capsys)
    assert "your function raised ValueError: negative number: -1. That is risky(-1)'s exception" in printed
    assert "Put a try/except around each get()" in printed


@pytest.mark.timeout(60)
@pytest.mark.parametrize("catch", [ValueError, (ValueError, TimeoutError)], ids=["only-ValueError", "builtin-Timeout"])
def test_safe_results_not_catching_the_pools_timeout_error(fork, capsys, catch):
    def safe_results(numbers):
        with fork.Pool(2) as pool:
            return outcomes_with(pool, numbers, wait=0.5, catch=catch)

    exercises.check_safe_results(safe_results)
    printed = verdict(capsys)
    assert "your function raised minimp.runtime.errors.TimeoutError: no result from apply_async(risky)" in printed
    assert "not the built-in TimeoutError: catch it too" in printed


@pytest.mark.timeout(60)
def test_safe_results_without_a_timeout_waits_for_the_task_that_hangs(fork, capsys):
    def safe_results(numbers):
        with fork.Pool(2) as pool:
            return outcomes_with(pool, numbers, wait=None)

    exercises.check_safe_results(safe_results, timeout=2)
    printed = verdict(capsys)
    assert "your function was still running after 2 s, so the checker stopped its pool" in printed
    assert "Give each get() a timeout: result.get(timeout=2)" in printed


@pytest.mark.timeout(60)
def test_safe_results_close_and_join_wait_for_the_task_that_hangs(fork, capsys):
    def safe_results(numbers):
        pool = fork.Pool(2)
        outcomes = outcomes_with(pool, numbers, wait=0.5)
        pool.close()
        pool.join()  # waits for risky(0), a minute
        return outcomes

    exercises.check_safe_results(safe_results, timeout=3)
    printed = verdict(capsys)
    assert "close() + join()" in printed
    assert "(Your function left a Pool running; the checker terminated it." in printed


@pytest.mark.timeout(60)
def test_safe_results_with_one_worker_times_out_the_rest_too(fork, capsys):
    def safe_results(numbers):
        with fork.Pool(1) as pool:
            return outcomes_with(pool, numbers, wait=0.3)

    exercises.check_safe_results(safe_results)
    printed = verdict(capsys)
    assert "not only risky(0) timed out" in printed
    assert "Use a pool of 2 workers" in printed


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "failed, hint",
    [
        (lambda error: None, "where a task failed you put None"),
        (str, "you put text where a task failed"),
        (repr, "you put text where a task failed"),
    ],
    ids=["None", "str", "repr"],
)
def test_safe_results_something_else_than_the_exception(fork, capsys, failed, hint):
    def safe_results(numbers):
        with fork.Pool(2) as pool:
            return outcomes_with(pool, numbers, wait=0.5, failed=failed)

    exercises.check_safe_results(safe_results)
    assert hint in verdict(capsys)


@pytest.mark.timeout(60)
def test_safe_results_in_another_order(fork, capsys):
    def safe_results(numbers):
        with fork.Pool(2) as pool:
            outcomes = outcomes_with(pool, numbers, wait=0.5)
            return outcomes[::-1]

    exercises.check_safe_results(safe_results)
    assert "the right outcomes in another order" in verdict(capsys)


@pytest.mark.timeout(60)
def test_safe_results_returning_the_async_results(fork, capsys):
    def safe_results(numbers):
        with fork.Pool(2) as pool:
            pending = [pool.apply_async(risky, (x,)) for x in numbers]
            for result in pending:
                result.wait(0.5)
            return pending

    exercises.check_safe_results(safe_results)
    assert "your list holds AsyncResult objects" in verdict(capsys)


@pytest.mark.timeout(60)
def test_safe_results_that_waited_too_long(fork, capsys, monkeypatch):
    monkeypatch.setattr(exercises.ch07, "SAFE_TOO_SLOW", 0.2)

    def safe_results(numbers):
        with fork.Pool(2) as pool:
            return outcomes_with(pool, numbers, wait=0.5)

    exercises.check_safe_results(safe_results)
    assert "the right outcomes, but your function took" in verdict(capsys)


def test_safe_results_returning_none(capsys):
    exercises.check_safe_results(lambda numbers: None)
    assert "your function returned None. Did you forget the `return`?" in verdict(capsys)


def test_safe_results_given_a_call_instead_of_the_function(capsys):
    exercises.check_safe_results([9, None])
    assert "pass your function itself to the checker" in verdict(capsys)


# -- Exercise 2: predict what happens ------------------------------------------------------

CASES = list(exercises.ch07.FAILURE_CASES)
RIGHT = ["exit code 1", "ValueError", "WorkerDiedError", "TimeoutError", "PoolTerminatedError"]


def predictions(*answers):
    return dict(zip(CASES, answers))


def test_failure_predictions_right(capsys):
    exercises.check_failure_predictions(predictions(*RIGHT))
    assert verdict(capsys).startswith("✅ Correct — all 5 right")


def test_failure_predictions_accept_other_spellings(capsys):
    answers = [1, "valueerror", minimp.WorkerDiedError, "multiprocessing.TimeoutError", "mp.PoolTerminatedError"]
    exercises.check_failure_predictions(predictions(*answers))
    assert verdict(capsys).startswith("✅ Correct — ")


def test_failure_predictions_unanswered(capsys):
    exercises.check_failure_predictions(predictions(*[...] * 5))
    assert "replace each ... with what you expect, one of: 'exit code 1'" in verdict(capsys)


@pytest.mark.parametrize(
    "position, answer, hint",
    [
        (0, "ValueError", "join() does not raise the child's exception"),
        (1, "exit code 1", "a pool's worker does not die of a task's exception"),
        (2, "waits for ever", "that is what the standard library's Pool does"),
        (2, "BrokenProcessPool", "that is what an executor does"),
        (3, "waits forever", "but this get() has timeout=5"),
        (3, "WorkerDiedError", "the standard library has no WorkerDiedError"),
        (4, "hangs", "that is the standard library's terminate()"),
        (4, "TimeoutError", "terminate() kills the workers and fails every task not yet finished"),
    ],
)
def test_failure_predictions_wrong_answers_get_their_hint(capsys, position, answer, hint):
    answers = list(RIGHT)
    answers[position] = answer
    exercises.check_failure_predictions(predictions(*answers))
    printed = verdict(capsys)
    assert printed.startswith("❌ Not yet: 4 of 5 right.")
    assert hint in printed


def test_failure_predictions_an_answer_that_is_not_a_choice(capsys):
    answers = list(RIGHT)
    answers[1] = "it crashes"
    exercises.check_failure_predictions(predictions(*answers))
    assert "'it crashes' is not one of the choices" in verdict(capsys)


def test_failure_predictions_a_missing_scenario(capsys):
    answers = predictions(*RIGHT)
    del answers[CASES[2]]
    exercises.check_failure_predictions(answers)
    assert "the dict needs an entry for each scenario; missing: " + CASES[2] in verdict(capsys)


def test_failure_predictions_not_a_dict(capsys):
    exercises.check_failure_predictions(RIGHT)
    assert "pass the dict of predictions, got list" in verdict(capsys)
