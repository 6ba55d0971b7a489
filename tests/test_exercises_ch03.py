"""Chapter 3's checkers: a right answer passes, each usual mistake gets its hint.

Each test plays a learner, as tests/test_exercises.py does: it writes an
answer (right, or with one of the usual mistakes), hands it to the checker as
the notebook does, and reads the one verdict the checker prints. The
learners' children are forked: the start method does not matter here, and
fork is fast.
"""

import time

import pytest

import minimp
from minimp.course import exercises

from verdicts import verdict

pytestmark = pytest.mark.timeout(60)

fork = minimp.get_context("fork")


# -- Exercise 1: add up what a child sends, until None ---------------------------------


def send_numbers(conn, numbers):
    """The notebook's child: each number, then the sentinel None."""
    for number in numbers:
        conn.send(number)
    conn.send(None)


def start_sender(numbers):
    """What every learner writes first: a one-way pipe, and a child with its sending end."""
    receiver, sender = fork.Pipe(duplex=False)
    child = fork.Process(target=send_numbers, args=(sender, numbers))
    child.start()
    return receiver, sender, child


def sum_until_none(numbers):
    receiver, sender, child = start_sender(numbers)
    sender.close()
    total = 0
    while (number := receiver.recv()) is not None:
        total += number
    child.join()
    receiver.close()
    return total


def test_sum_right_answer_passes(capsys):
    exercises.check_sum_from_child(sum_until_none)
    assert verdict(capsys).startswith("✅ Correct — [108, 12, 0]")


def test_sum_stub_reads_one_message(capsys):
    def sum_from_child(numbers):  # the notebook's stub
        receiver, sender, child = start_sender(numbers)
        sender.close()
        total = receiver.recv()
        child.join()
        return total

    exercises.check_sum_from_child(sum_from_child)
    assert "only the first message of each child" in verdict(capsys)


def test_sum_stopping_at_a_falsy_zero(capsys):
    def sum_from_child(numbers):
        receiver, sender, child = start_sender(numbers)
        sender.close()
        total = 0
        while number := receiver.recv():
            total += number
        child.join()
        return total

    exercises.check_sum_from_child(sum_from_child)
    assert "your loop stopped at the 0" in verdict(capsys)


def test_sum_adding_the_sentinel(capsys):
    def sum_from_child(numbers):
        receiver, sender, child = start_sender(numbers)
        sender.close()
        total = 0
        while True:
            number = receiver.recv()
            total += number
            if number is None:
                break
        child.join()
        return total

    exercises.check_sum_from_child(sum_from_child)
    assert "You added the sentinel None to the total" in verdict(capsys)


def test_sum_reading_past_the_sentinel_gets_eof(capsys):
    def sum_from_child(numbers):
        receiver, sender, child = start_sender(numbers)
        sender.close()
        total = 0
        while True:
            number = receiver.recv()  # EOFError once the child has ended
            if number is not None:
                total += number
        return total

    exercises.check_sum_from_child(sum_from_child)
    assert "your function raised EOFError: recv() was called again after the sentinel" in verdict(capsys)


def test_sum_reading_past_the_sentinel_with_the_sender_open_waits(capsys):
    held = []

    def sum_from_child(numbers):
        receiver, sender, child = start_sender(numbers)
        held.append(sender)  # the mistake: this process keeps its copy of the sending end
        total = 0
        while True:
            number = receiver.recv()  # after None: waits for ever
            if number is not None:
                total += number

    started = time.monotonic()
    exercises.check_sum_from_child(sum_from_child, timeout=1)
    assert time.monotonic() - started < 10
    printed = verdict(capsys)
    assert "still running after 1 s. Is recv() waiting for a message that never comes?" in printed
    assert "close this process's copy of the sending end" in printed
    # Closing the last sending end gives the stuck recv() its EOFError: the
    # learner's thread ends, and its pipe is closed (the leak check).
    for sender in held:
        sender.close()


def test_sum_returning_none(capsys):
    exercises.check_sum_from_child(lambda numbers: None)
    assert "Did you forget the `return`?" in verdict(capsys)


# -- Exercise 2: squares from workers that share a JoinableQueue ----------------------


def square_worker(tasks, results):
    """The notebook's worker: square each number from `tasks` until None."""
    while True:
        number = tasks.get()
        if number is not None:
            results.put((number, number * number))
        tasks.task_done()
        if number is None:
            return


def start_workers(numbers, workers):
    tasks, results = fork.JoinableQueue(), fork.Queue()
    procs = [fork.Process(target=square_worker, args=(tasks, results)) for _ in range(workers)]
    for p in procs:
        p.start()
    for number in numbers:
        tasks.put(number)
    return tasks, results, procs


def squares_right(numbers, workers=3):
    tasks, results, procs = start_workers(numbers, workers)
    tasks.join()
    squares = dict(results.get() for _ in numbers)
    for _ in procs:
        tasks.put(None)
    for p in procs:
        p.join()
    return squares


def test_squares_right_answer_passes(capsys):
    exercises.check_squares_by_workers(squares_right)
    assert verdict(capsys).startswith("✅ Correct — the squares of 1..12 from 3 workers")


def test_squares_stub_returns_empty_and_leaves_the_workers(capsys):
    def squares_by_workers(numbers, workers=3):  # the notebook's stub
        start_workers(numbers, workers)
        return {}

    exercises.check_squares_by_workers(squares_by_workers)
    printed = verdict(capsys)
    assert "your function returned an empty dict" in printed
    assert "3 workers were still running when your function returned" in printed
    assert "put one None per worker" in printed


def test_squares_without_sentinels_leave_the_workers_running(capsys):
    def squares_by_workers(numbers, workers=3):
        tasks, results, procs = start_workers(numbers, workers)
        tasks.join()
        return dict(results.get() for _ in numbers)

    exercises.check_squares_by_workers(squares_by_workers)
    printed = verdict(capsys)
    assert printed.startswith("❌ Not yet: the right squares, but the workers did not end: 3 workers were")


def test_squares_joining_the_workers_before_their_none_waits(capsys):
    def squares_by_workers(numbers, workers=3):
        tasks, results, procs = start_workers(numbers, workers)
        tasks.join()
        for p in procs:
            p.join()  # the mistake: the workers still wait for tasks
        for _ in procs:
            tasks.put(None)
        return dict(results.get() for _ in numbers)

    exercises.check_squares_by_workers(squares_by_workers, timeout=1)
    printed = verdict(capsys)
    assert "still running after 1 s" in printed
    assert "Did you join() a worker before giving it its None?" in printed
    assert "background" not in printed  # stopping the workers released the join()


def test_squares_as_a_list_of_pairs(capsys):
    def squares_by_workers(numbers, workers=3):
        tasks, results, procs = start_workers(numbers, workers)
        tasks.join()
        pairs = [results.get() for _ in numbers]
        for _ in procs:
            tasks.put(None)
        for p in procs:
            p.join()
        return pairs

    exercises.check_squares_by_workers(squares_by_workers)
    assert "a list of (number, square) pairs: make a dict of them" in verdict(capsys)


def test_squares_missing_some_results(capsys):
    def squares_by_workers(numbers, workers=3):
        tasks, results, procs = start_workers(numbers, workers)
        tasks.join()
        squares = dict(results.get() for _ in numbers[:-2])  # two too few
        for _ in procs:
            tasks.put(None)
        for p in procs:
            p.join()
        return squares

    exercises.check_squares_by_workers(squares_by_workers)
    assert "you got 10 of the 12 squares" in verdict(capsys)
