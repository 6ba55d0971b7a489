"""Chapter 8's checkers: a right answer passes, a typical wrong one gets its hint.

The exercises are arithmetic (Amdahl's law and its inverse), or a reading of a trace
made by hand: no process is started, so the tests need no timeout.
"""

import pytest

from minimp.course.exercises import bar_puzzle, check_amdahl, check_bar_reading, check_parallel_fraction

from verdicts import verdict


# -- Exercise 1: amdahl(p, n) ------------------------------------------------------


def test_amdahl_right(capsys):
    check_amdahl(lambda p, n: 1 / ((1 - p) + p / n))
    assert verdict(capsys).startswith("✅ Correct — with p = 0.9, 8 workers give a speedup of 4.71")


def test_amdahl_right_with_ints_and_other_spelling(capsys):
    check_amdahl(lambda p, n: n / (n * (1 - p) + p))
    assert verdict(capsys).startswith("✅ Correct")


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda p, n: 1 / (p + (1 - p) / n), "p and 1 - p are swapped"),
        (lambda p, n: (1 - p) + p / n, "that is the *time* on n workers"),
        (lambda p, n: n, "you forgot the serial part"),
        (lambda p, n: 1 / (p / n), "you forgot the serial part"),
        (lambda p, n: 1 / (1 - p) + p / n, "check the parentheses"),
        (lambda p, n: p * n + (1 - p), "Gustafson's law"),
        (lambda p, n: None, "returned None"),
        (lambda p, n: 2 * p, "expected 4.706, 1.333, 39.26"),
    ],
)
def test_amdahl_mistakes_get_their_hint(capsys, answer, hint):
    check_amdahl(answer)
    printed = verdict(capsys)
    assert printed.startswith("❌ Not yet: ") and hint in printed, printed


def test_amdahl_that_raises_is_reported(capsys):
    check_amdahl(lambda p, n: p / 0)
    assert "your function raised ZeroDivisionError" in verdict(capsys)


def test_amdahl_given_a_value_instead_of_a_function(capsys):
    check_amdahl(4.7)
    assert "pass your function itself to the checker" in verdict(capsys)


# -- Exercise 2: parallel_fraction(speedup, n) ----------------------------------------


def test_parallel_fraction_right(capsys):
    check_parallel_fraction(lambda s, n: (1 - 1 / s) / (1 - 1 / n))
    assert verdict(capsys).startswith("✅ Correct — a speedup of 1.6 on 2 workers means p = 0.75")


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda s, n: s / n, "is the *efficiency*"),
        (lambda s, n: 1 - 1 / s, "you have the top half"),
        (lambda s, n: (1 - 1 / n) / (1 - 1 / s), "upside down"),
        (lambda s, n: (s - 1) / (n - 1), "(S - 1) / (n - 1) looks right"),
        (lambda s, n: None, "returned None"),
        (lambda s, n: 0.5, "expected 0.75, 0.9167, 1"),
    ],
)
def test_parallel_fraction_mistakes_get_their_hint(capsys, answer, hint):
    check_parallel_fraction(answer)
    printed = verdict(capsys)
    assert printed.startswith("❌ Not yet: ") and hint in printed, printed


# -- Read the bars, then name the gaps ---------------------------------------------------------

RIGHT_READING = {"task 9": "sending", "gap 1": "a smaller chunksize", "gap 2": "smaller arguments"}


def test_the_puzzle_is_the_picture_the_exercise_describes():
    from minimp.views.gaps import explain
    from minimp.views.layout import layout

    view = layout(bar_puzzle())
    assert [(gap.kind, gap.line) for gap in explain(view, cpus=2)] == [
        ("idle", "worker 1 idle 0.86 s while 2 tasks waited for worker 0"),
        ("tail", "worker 1 alone for the last 0.45 s: task 9 (length) held the end"),
    ]
    nine = {bar.kind: round(bar.end - bar.start, 3) for bar in view.bars if bar.task == 9}
    assert nine == {"sending": 0.4, "ok": 0.02, "returning": 0.03}  # no wait: worker 1 was free


def test_bar_reading_right(capsys):
    check_bar_reading(RIGHT_READING)
    assert verdict(capsys).startswith("✅ Correct — task 9 spent 0.40 s of its 0.45 s being sent")


@pytest.mark.parametrize(
    "key, answer, hint",
    [
        ("task 9", "running", "task 9's bar is mostly purple: 0.40 s sending its 20 MB argument"),
        ("task 9", "waiting", "and no wait: worker 1 was free when it came"),
        ("gap 1", "more workers", "those tasks were in worker 0's chunk of 3. With chunksize=1"),
        ("gap 2", "a smaller chunksize", "it is one task, so no chunksize or worker helps"),
        ("gap 2", "a timeout", "(0.40 s of 0.45 s)"),
    ],
)
def test_bar_reading_each_mistake_is_explained_alone(capsys, key, answer, hint):
    check_bar_reading({**RIGHT_READING, key: answer})
    text = verdict(capsys)
    assert text.startswith("❌ Not yet: your reading differs from the picture:") and hint in text
    assert text.count("•") == 1


@pytest.mark.parametrize(
    "reading, problem",
    [
        (["sending"], "pass your reading as a dict, {'task 9': ..., 'gap 1': ..., 'gap 2': ...}; you passed a list"),
        ({**RIGHT_READING, "gap 3": "a timeout"}, "the key 'gap 3', which this exercise does not ask for"),
        ({"task 9": "sending", "gap 1": "a smaller chunksize"}, "needs the key 'gap 2': what would have made it shorter"),
        ({**RIGHT_READING, "task 9": "sendng"}, "'task 9' is one of 'waiting', 'sending', 'running', 'returning'; you gave 'sendng'"),
    ],
)  # fmt: skip
def test_bar_reading_of_the_wrong_shape_says_what_to_give(capsys, reading, problem):
    check_bar_reading(reading)
    text = verdict(capsys)
    assert text.startswith("❌ Not yet: ") and problem in text
