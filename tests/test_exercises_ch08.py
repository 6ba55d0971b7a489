"""Chapter 8's checkers: a right answer passes, a typical wrong one gets its hint.

Both exercises are arithmetic (Amdahl's law and its inverse): no process is
started, so the tests need no timeout.
"""

import pytest

from minimp.course.exercises import check_amdahl, check_parallel_fraction

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
