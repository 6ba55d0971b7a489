"""Chapter 10's checkers: a right answer passes, each usual mistake gets its hint.

Each test plays a learner: it writes an answer the way a learner might, hands
it to the checker as the notebook does, and reads the one verdict printed.
check_total_with starts a minimp ProcessPoolExecutor (spawn), hence the timeouts.
"""

import pytest

from minimp.course.exercises import check_across_machines, check_total_with
from minimp.course.exercises.ch10 import ACROSS_MACHINES

from verdicts import verdict


def square(x):
    return x * x


# -- Exercise 1: total_with(executor) ------------------------------------------


@pytest.mark.timeout(60)
def test_total_with_passes_on_any_executor(capsys):
    def total_with(executor):
        return sum(executor.map(square, range(1, 101)))

    check_total_with(total_with)
    printed = verdict(capsys)
    assert printed.startswith("✅") and "338350" in printed


@pytest.mark.timeout(60)
def test_total_with_returning_the_iterator_is_told_to_sum(capsys):
    check_total_with(lambda executor: executor.map(square, range(1, 101)))
    assert "returned an iterator" in verdict(capsys)


@pytest.mark.timeout(60)
def test_total_with_returning_the_list_of_squares(capsys):
    check_total_with(lambda executor: list(executor.map(square, range(1, 101))))
    assert "the squares, not their total" in verdict(capsys)


@pytest.mark.timeout(60)
def test_total_with_range_100_is_off_by_one(capsys):
    check_total_with(lambda executor: sum(executor.map(square, range(100))))
    assert "range(1, 101)" in verdict(capsys)


@pytest.mark.timeout(60)
def test_total_with_without_the_executor(capsys):
    check_total_with(lambda executor: sum(n * n for n in range(1, 101)))
    assert "without the executor" in verdict(capsys)


@pytest.mark.timeout(60)
def test_total_with_one_task_for_everything(capsys):
    check_total_with(lambda executor: executor.submit(sum, [n * n for n in range(1, 101)]).result())
    assert "executor.map" in verdict(capsys)


@pytest.mark.timeout(60)
def test_total_with_a_future(capsys):
    check_total_with(lambda executor: executor.submit(square, 3))
    assert "returned a Future" in verdict(capsys)


@pytest.mark.timeout(60)
def test_total_with_map_given_a_number_not_an_iterable(capsys):
    check_total_with(lambda executor: sum(executor.map(pow, range(1, 101), 2)))
    assert "one iterable per argument" in verdict(capsys)


@pytest.mark.timeout(60)
def test_total_with_no_return(capsys):
    def total_with(executor):
        sum(executor.map(square, range(1, 101)))

    check_total_with(total_with)
    assert "returned None" in verdict(capsys)


# -- Exercise 2: what works across machines ------------------------------------


def test_across_machines_right_answers_pass(capsys):
    check_across_machines(dict(ACROSS_MACHINES))
    assert verdict(capsys).startswith("✅")


@pytest.mark.parametrize("key", list(ACROSS_MACHINES))
def test_across_machines_each_wrong_answer_gets_its_hint(capsys, key):
    answers = dict(ACROSS_MACHINES)
    answers[key] = "works" if ACROSS_MACHINES[key] != "works" else "fails"
    check_across_machines(answers)
    printed = verdict(capsys)
    assert printed.startswith("❌") and repr(key) in printed


def test_across_machines_lists_every_mistake_at_once(capsys):
    answers = {**ACROSS_MACHINES, "queue": "works", "lock": "slow", "global_variable": "maybe"}
    check_across_machines(answers)
    printed = verdict(capsys)
    assert f"3 of {len(ACROSS_MACHINES)} right" in printed
    assert "'queue': not 'works'" in printed and "'lock': not 'slow'" in printed
    assert "'global_variable': answer with one of ['fails', 'slow', 'works'], not 'maybe'" in printed


def test_across_machines_none_left_in_the_stub(capsys):
    answers = dict.fromkeys(ACROSS_MACHINES)
    check_across_machines(answers)
    assert "one of ['fails', 'slow', 'works']" in verdict(capsys)


def test_across_machines_missing_and_unknown_keys(capsys):
    answers = dict(ACROSS_MACHINES)
    del answers["lock"]
    check_across_machines(answers)
    assert "'lock' is missing" in verdict(capsys)
    check_across_machines({**ACROSS_MACHINES, "pipe": "fails"})
    assert "unknown key" in verdict(capsys)
