"""Chapter 9's checkers: a right answer passes, a typical wrong one gets its hint."""

import multiprocessing
import time

import pytest

import minimp
from minimp.course import exercises
from minimp.course.exercises.ch09 import PRIMER_EXIT_CODES

from verdicts import verdict


RIGHT = {name: code for name, (code, _) in PRIMER_EXIT_CODES.items()}


def test_exit_codes_right(capsys):
    exercises.check_primer_exit_codes(dict(RIGHT))
    assert verdict(capsys).startswith("✅ Correct — all 9 right")


@pytest.mark.parametrize(
    "change, hint",
    [
        ({"importing_the_module": ...}, "no prediction yet for importing_the_module"),
        ({"process_termination": 0}, "exit(42) does not end a child: it ends the main program"),
        ({"using_pool_submit": 0}, "multiprocessing.Pool has no submit(): AttributeError, exit code 1"),
        ({"sharing_data_between_processes": 1}, "the other stays in the queue"),
    ],
)
def test_exit_code_mistakes_get_their_hint(capsys, change, hint):
    exercises.check_primer_exit_codes({**RIGHT, **change})
    printed = verdict(capsys)
    assert printed.startswith("❌ Not yet: ") and hint in printed


def test_exit_codes_not_a_dict(capsys):
    exercises.check_primer_exit_codes([0, 0])
    assert "give a dict of program name -> exit code, not list" in verdict(capsys)


def worker(q):
    q.put("Worker has finished")


@pytest.fixture
def ctx():
    return minimp.get_context("fork")


@pytest.mark.timeout(60)
def test_both_messages_in_a_tuple_is_not_the_list_asked_for(capsys):
    def both_messages():
        q = minimp.Queue()
        workers = [minimp.Process(target=worker, args=(q,)) for _ in range(2)]
        for p in workers:
            p.start()
        messages = (q.get(), q.get())
        for p in workers:
            p.join()
        return messages

    exercises.check_both_messages(both_messages)
    printed = verdict(capsys)
    assert printed.startswith("❌") and "both messages, but in a tuple" in printed
    assert "the exercise asks for a list" in printed


@pytest.mark.timeout(60)
def test_both_messages_right(capsys, ctx):
    def both_messages():
        q = ctx.Queue()
        workers = [ctx.Process(target=worker, args=(q,)) for _ in range(2)]
        for p in workers:
            p.start()
        messages = [q.get() for _ in workers]
        for p in workers:
            p.join()
        return messages

    exercises.check_both_messages(both_messages)
    assert verdict(capsys).startswith("✅ Correct — both messages")


@pytest.fixture(params=["minimp", "stdlib"])
def library(request):
    """minimp's fork context or the standard library's: the checker knows both."""
    return minimp.get_context("fork") if request.param == "minimp" else multiprocessing.get_context("fork")


@pytest.mark.timeout(60)
def test_both_messages_right_with_the_standard_library_too(capsys, library):
    def both_messages():
        q = library.Queue()
        workers = [library.Process(target=worker, args=(q,)) for _ in range(2)]
        for p in workers:
            p.start()
        messages = [q.get(), q.get()]
        for p in workers:
            p.join()
        return messages

    exercises.check_both_messages(both_messages)
    assert verdict(capsys).startswith("✅ Correct — both messages")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("order", ["join, join, get, get", "get, join, get, join"])
def test_joining_before_reading_every_message_gets_its_hint(capsys, library, order):
    # The primer's order, with both messages read: it works here because the
    # messages are short, and the checker cannot make them big; it sees the
    # order of the calls instead.
    def both_messages():
        q = library.Queue()
        workers = [library.Process(target=worker, args=(q,)) for _ in range(2)]
        for p in workers:
            p.start()
        if order == "join, join, get, get":
            for p in workers:
                p.join()
            return [q.get(), q.get()]
        messages = []
        for p in workers:
            messages.append(q.get())
            p.join()  # the first join() comes before the last get()
        return messages

    exercises.check_both_messages(both_messages)
    printed = verdict(capsys)
    assert printed.startswith("❌ Not yet: both messages, but you joined a worker before reading them all")
    assert "get() every message first, then join() the workers." in printed


@pytest.mark.timeout(60)
def test_the_primers_one_message_gets_its_hint(capsys, ctx):
    def primer(return_list):
        q = ctx.Queue()
        workers = [ctx.Process(target=worker, args=(q,)) for _ in range(2)]
        for p in workers:
            p.start()
        for p in workers:
            p.join()
        return [q.get()] if return_list else q.get()

    exercises.check_both_messages(lambda: primer(False))
    assert "you returned one string" in verdict(capsys)
    exercises.check_both_messages(lambda: primer(True))
    assert "one message: the primer's mistake" in verdict(capsys)


@pytest.mark.timeout(60)
def test_a_function_that_does_not_return_gets_the_hint_about_one_get_too_many(capsys):
    # (A real extra get() would wait for ever, and keep its queue open: the
    # checker cannot stop a thread. A nap longer than the timeout stands for it.)
    exercises.check_both_messages(lambda: time.sleep(2), timeout=0.5)
    assert "call get() once per message a worker put(), no more" in verdict(capsys)
    time.sleep(2)  # let the nap end
