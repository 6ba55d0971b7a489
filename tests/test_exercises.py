"""The chapters' checkers: a right answer passes, a typical wrong one gets its hint.

Each test plays a learner: it writes an answer the way a learner might (right,
or with one of the usual mistakes), hands it to the checker as the notebook
does, and reads the one verdict the checker prints. A checker must also
leave nothing behind: the `no_leaks` fixture (conftest.py) fails any test
after which a child process is still running, even one the "learner" forgot.
"""

import signal
import sys
import time

import pytest

import minimp
from minimp import exercises


def verdict(capsys) -> str:
    """The verdict the checker printed (and assert that it printed exactly one)."""
    printed = capsys.readouterr().out
    assert printed.startswith(("✅ Correct — ", "❌ Not yet: ")), printed
    assert printed.count("✅") + printed.count("❌") == 1, printed
    return printed


# Targets for the learners' children: defined here, at module level, so that
# a spawned child can import them.


def sleep_then_exit(seconds, code):
    time.sleep(seconds)
    sys.exit(code)


def raise_value_error():
    raise ValueError("a learner's bug")


@pytest.fixture
def fork():
    """The fast start method, for tests where the method does not matter."""
    return minimp.get_context("fork")


# -- Chapter 1, exercise 1: predict the exit codes -------------------------------

RIGHT_PREDICTIONS = {
    "returns normally": 0,
    "calls sys.exit(3)": 3,
    "raises ValueError": 1,
    "terminate()": -15,
    "kill()": -9,
    "still running": None,
}


def test_predictions_right_pass(capsys):
    exercises.check_exit_code_predictions(dict(RIGHT_PREDICTIONS))
    assert verdict(capsys).startswith("✅ Correct — all 6 predictions are right")


def test_predictions_stub_asks_for_answers(capsys):
    exercises.check_exit_code_predictions({case: ... for case in RIGHT_PREDICTIONS})
    assert "replace each ... with the exit code you expect" in verdict(capsys)


def test_predictions_forgetting_the_minus_sign_is_named(capsys):
    exercises.check_exit_code_predictions({**RIGHT_PREDICTIONS, "terminate()": 15, "kill()": 9})
    printed = verdict(capsys)
    assert "4 of 6 right" in printed
    assert "'terminate()': you said 15; right number, wrong sign" in printed
    assert "'kill()': you said 9; right number, wrong sign" in printed


def test_predictions_an_exception_is_not_a_success(capsys):
    exercises.check_exit_code_predictions({**RIGHT_PREDICTIONS, "raises ValueError": 0})
    assert "'raises ValueError': you said 0; any uncaught exception ends a child with exit code 1" in verdict(
        capsys
    )


def test_predictions_a_running_process_has_no_exit_code(capsys):
    exercises.check_exit_code_predictions({**RIGHT_PREDICTIONS, "still running": 0})
    assert "exitcode is None until it has ended" in verdict(capsys)


def test_predictions_half_answered_lists_what_is_missing(capsys):
    exercises.check_exit_code_predictions({**RIGHT_PREDICTIONS, "kill()": ...})
    assert "'kill()': not answered yet" in verdict(capsys)


def test_predictions_with_a_case_deleted_names_it(capsys):
    predictions = dict(RIGHT_PREDICTIONS)
    del predictions["kill()"]
    exercises.check_exit_code_predictions(predictions)
    assert "missing: kill()" in verdict(capsys)


# -- Chapter 1, exercise 2: three exit codes, in start order -----------------------


def test_start_order_right_answer_passes(ctx, capsys):
    def exit_codes_in_start_order():
        processes = [ctx.Process(target=sys.exit, args=(code,)) for code in (1, 2, 3)]
        for p in processes:
            p.start()
        for p in processes:
            p.join()
        return [p.exitcode for p in processes]

    exercises.check_exit_codes_in_start_order(exit_codes_in_start_order)
    assert verdict(capsys).startswith("✅ Correct — [1, 2, 3]")


def test_start_order_stub_gets_a_start(capsys):
    def exit_codes_in_start_order():
        processes = []
        return [p.exitcode for p in processes]

    exercises.check_exit_codes_in_start_order(exit_codes_in_start_order)
    assert "your function returned an empty list. Start three processes" in verdict(capsys)


def test_start_order_forgotten_return(capsys):
    def exit_codes_in_start_order():
        [1, 2, 3]  # noqa: B018 - the mistake under test

    exercises.check_exit_codes_in_start_order(exit_codes_in_start_order)
    assert "returned None. Did you forget the `return`?" in verdict(capsys)


def test_start_order_reading_exit_codes_before_join(fork, capsys):
    def exit_codes_in_start_order():
        processes = [fork.Process(target=sleep_then_exit, args=(0.5, code)) for code in (1, 2, 3)]
        for p in processes:
            p.start()
        return [p.exitcode for p in processes]  # too early: nobody joined

    exercises.check_exit_codes_in_start_order(exit_codes_in_start_order)
    printed = verdict(capsys)
    assert "you got [None, None, None]" in printed
    assert "join() each process before reading its exitcode" in printed
    # ... and the checker stopped the three children the function left behind.
    assert "running; the checker stopped them" in printed
    assert minimp.active_children() == []


def test_start_order_children_that_return_normally(fork, capsys):
    def exit_codes_in_start_order():
        processes = [fork.Process(target=time.sleep, args=(0,)) for _ in range(3)]
        for p in processes:
            p.start()
        for p in processes:
            p.join()
        return [p.exitcode for p in processes]

    exercises.check_exit_codes_in_start_order(exit_codes_in_start_order)
    assert "every child exited with 0, a normal return" in verdict(capsys)


def test_start_order_children_that_raise(fork, capsys):
    def exit_codes_in_start_order():
        processes = [fork.Process(target=raise_value_error) for _ in range(3)]
        for p in processes:
            p.start()
        for p in processes:
            p.join()
        return [p.exitcode for p in processes]

    exercises.check_exit_codes_in_start_order(exit_codes_in_start_order)
    printed = verdict(capsys)
    assert "every child exited with 1, the exit code of a child that raised an exception" in printed


def test_start_order_wrong_order(fork, capsys):
    def exit_codes_in_start_order():
        processes = [fork.Process(target=sys.exit, args=(code,)) for code in (1, 2, 3)]
        for p in processes:
            p.start()
        for p in processes:
            p.join()
        return [p.exitcode for p in reversed(processes)]

    exercises.check_exit_codes_in_start_order(exit_codes_in_start_order)
    assert "the right exit codes in the wrong order: [3, 2, 1]" in verdict(capsys)


def test_start_order_calling_sys_exit_in_the_parent(fork, capsys):
    def exit_codes_in_start_order():
        # The mistake: sys.exit(1) runs here, in the parent, before Process exists.
        processes = [fork.Process(target=sys.exit(code)) for code in (1, 2, 3)]
        return [p.exitcode for p in processes]

    exercises.check_exit_codes_in_start_order(exit_codes_in_start_order)
    printed = verdict(capsys)
    assert "your function called sys.exit(1) itself, in this process" in printed
    assert "target=sys.exit, args=(1,)" in printed


def test_start_order_an_exception_is_reported_without_a_traceback(fork, capsys):
    def exit_codes_in_start_order():
        processes = [fork.Process(target=sys.exit, args=(code,)) for code in (1, 2, 3)]
        processes[0].join()  # the mistake: join before start
        return [p.exitcode for p in processes]

    exercises.check_exit_codes_in_start_order(exit_codes_in_start_order)
    assert "your function raised AssertionError: can only join a started process" in verdict(capsys)


def test_start_order_too_few_exit_codes(capsys):
    exercises.check_exit_codes_in_start_order(lambda: [1, 2])
    assert "expected 3 exit codes, one per process, got 2: [1, 2]" in verdict(capsys)


# -- Chapter 1, exercise 3: terminate a sleeper ------------------------------------


def test_terminate_right_answer_passes(ctx, capsys):
    def terminated_exit_code():
        p = ctx.Process(target=time.sleep, args=(60,))
        p.start()
        p.terminate()
        p.join()
        return p.exitcode

    exercises.check_terminated_exit_code(terminated_exit_code)
    assert verdict(capsys).startswith("✅ Correct — -15 is -signal.SIGTERM")


def test_terminate_stub_that_never_starts(fork, capsys):
    def terminated_exit_code():
        p = fork.Process(target=time.sleep, args=(60,))
        return p.exitcode

    exercises.check_terminated_exit_code(terminated_exit_code)
    printed = verdict(capsys)
    assert "the exit code is None, so the process had not ended when you read it" in printed
    assert "terminate() only sends a signal, it does not wait" in printed


def test_terminate_with_kill_instead(fork, capsys):
    def terminated_exit_code():
        p = fork.Process(target=time.sleep, args=(60,))
        p.start()
        p.kill()
        p.join()
        return p.exitcode

    exercises.check_terminated_exit_code(terminated_exit_code)
    assert "-9 is -signal.SIGKILL: that is what kill() gives. Use terminate()" in verdict(capsys)


def test_terminate_join_first_waits_for_the_sleep_and_is_stopped(fork, capsys):
    def terminated_exit_code():
        p = fork.Process(target=time.sleep, args=(60,))
        p.start()
        p.join()  # the mistake: waits for the whole minute
        p.terminate()
        return p.exitcode

    started = time.monotonic()
    exercises.check_terminated_exit_code(terminated_exit_code, timeout=1)
    assert time.monotonic() - started < 5  # the checker gave up; it did not wait a minute
    printed = verdict(capsys)
    assert "your function was still running after 1 s" in printed
    assert "terminate first, then join" in printed
    # Stopping the child released the learner's join(), so nothing is left
    # running in the background either.
    assert "background" not in printed


def test_terminate_with_the_signal_number_instead_of_the_exit_code(capsys):
    exercises.check_terminated_exit_code(lambda: signal.SIGTERM)
    assert "right signal, wrong sign" in verdict(capsys)


def test_terminate_after_the_child_has_finished(fork, capsys):
    def terminated_exit_code():
        p = fork.Process(target=time.sleep, args=(0,))
        p.start()
        p.join()
        p.terminate()  # too late: the child has already ended
        return p.exitcode

    exercises.check_terminated_exit_code(terminated_exit_code)
    assert "0 means the child finished its work normally" in verdict(capsys)


def test_terminate_a_process_left_running_is_stopped_and_named(fork, capsys):
    def terminated_exit_code():
        forgotten = fork.Process(target=time.sleep, args=(60,), name="forgotten")
        forgotten.start()  # never joined
        p = fork.Process(target=time.sleep, args=(60,))
        p.start()
        p.terminate()
        p.join()
        return p.exitcode

    exercises.check_terminated_exit_code(terminated_exit_code)
    printed = verdict(capsys)
    assert printed.startswith("✅ Correct")
    assert "Your function left forgotten running; the checker stopped it." in printed
    assert minimp.active_children() == []


def test_checker_given_a_value_instead_of_the_function(capsys):
    exercises.check_terminated_exit_code(-15)
    printed = verdict(capsys)
    assert "pass your function itself to the checker, without calling it" in printed
    assert "You passed -15 (of type int)." in printed
