"""The chapters' checkers: a right answer passes, a typical wrong one gets its hint.

Each test plays a learner: it writes an answer the way a learner might (right,
or with one of the usual mistakes), hands it to the checker as the notebook
does, and reads the one verdict the checker prints. A checker must also
leave nothing behind: the `no_leaks` fixture (conftest.py) fails any test
after which a child process is still running, even one the "learner" forgot.
"""

import ast
import itertools
import math
import multiprocessing
import os
import re
import signal
import subprocess
import sys
import time

import pytest

import minimp
from minimp.course import exercises

from verdicts import verdict


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


# -- Chapter 0: the setup check, parallelism, naps on threads ---------------------


def test_the_setup_check_says_ready_on_this_machine(capsys):
    exercises.check_setup()
    printed = capsys.readouterr().out
    assert "✅ start methods fork and spawn" in printed and printed.endswith("widgets work too.\n")
    assert "❌" not in printed


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs 2 CPUs to take one away")
def test_the_setup_check_tells_the_quota_from_the_hosts_cpus():
    # One CPU allowed, as a container's quota would: os.cpu_count() still
    # counts the machine's, and the check says both, and what one CPU means.
    program = "import os; os.sched_setaffinity(0, {0}); from minimp.course.exercises import check_setup; check_setup()"
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert f"❌ 1 usable CPU (os.cpu_count() says {os.cpu_count()}: the others are not yours): with one CPU" in done.stdout
    assert done.stdout.endswith("❌ Something needs fixing first: see the lines above.\n")


def right_parallelism(tasks):
    ran = sum(task.finished - task.started for task in tasks)
    return ran / (max(task.finished for task in tasks) - min(task.started for task in tasks))


def test_parallelism_right(capsys):
    exercises.check_parallelism(right_parallelism)
    assert verdict(capsys).startswith("✅ Correct — 5 traces, 5 right answers")


@pytest.mark.parametrize(
    "answer, hint",
    [
        (lambda tasks: sum(t.finished - t.started for t in tasks) / max(t.finished for t in tasks),
         "the wall time runs from the first start, not from 0"),
        (lambda tasks: sum(t.finished - t.started for t in tasks) / len(tasks), "divided by the number of tasks"),
        (lambda tasks: 1 / right_parallelism(tasks), "upside down"),
        (lambda tasks: None, "Did you forget the `return`?"),
        (lambda tasks: 2.0, "for tasks running 100-101, 101-102 your function returned 2.0: expected 2 s"),
    ],
)  # fmt: skip
def test_parallelism_mistakes_get_their_hint(capsys, answer, hint):
    exercises.check_parallelism(answer)
    printed = verdict(capsys)
    assert printed.startswith("❌ Not yet: ") and hint in printed


def nap(seconds):
    time.sleep(seconds)
    return seconds


def test_naps_on_threads_right(capsys):
    import concurrent.futures

    def nap_all(naps):
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(naps)) as executor:
            return list(executor.map(nap, naps))

    exercises.check_naps_in_threads(nap_all)
    assert verdict(capsys).startswith("✅ Correct — 4 naps of 0.25 to 0.4 s took about as long as the longest")


def test_naps_one_after_another_are_too_slow(capsys):
    exercises.check_naps_in_threads(lambda naps: [nap(seconds) for seconds in naps])
    printed = verdict(capsys)
    assert "as long as one after another (1.3 s). Give each nap a thread of its own" in printed


@pytest.mark.parametrize("threads", [2, 3])
def test_naps_on_fewer_threads_than_naps_take_two_naps_on_a_thread(capsys, threads):
    import concurrent.futures

    def nap_all(naps):
        with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as executor:  # the mistake: not len(naps)
            return list(executor.map(nap, naps))

    exercises.check_naps_in_threads(nap_all)
    printed = verdict(capsys)
    assert "longer than the longest nap (0.4 s): some thread took two naps, one after the other" in printed
    assert "ThreadPoolExecutor(max_workers=len(naps)), not a fixed number of threads" in printed


def test_naps_returned_in_the_order_they_ended(capsys):
    import concurrent.futures

    def nap_all(naps):
        with concurrent.futures.ThreadPoolExecutor(max_workers=len(naps)) as executor:
            futures = [executor.submit(nap, seconds) for seconds in naps]
            return [future.result() for future in concurrent.futures.as_completed(futures)]

    exercises.check_naps_in_threads(nap_all)
    printed = verdict(capsys)
    # The order they ended in: shortest first, give or take a busy machine's 50 ms.
    ended = re.search(r"the right naps in another order: (\[[^\]]*\])", printed)
    assert ended and sorted(ast.literal_eval(ended[1])) == [0.25, 0.3, 0.35, 0.4], printed
    assert "Return them in the order of `naps`, [0.4, 0.25, 0.35, 0.3], not in the order they ended" in printed


def test_naps_returned_as_an_iterator_get_their_hint(capsys):
    exercises.check_naps_in_threads(lambda naps: iter(naps))
    assert "returned an iterator" in verdict(capsys)


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


def test_predictions_a_string_is_not_a_number(capsys):
    exercises.check_exit_code_predictions({**RIGHT_PREDICTIONS, "terminate()": "-15"})
    assert "'terminate()': you said '-15'; '-15' is a string, not a number: write it without quotes" in verdict(
        capsys
    )


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


def test_start_order_right_answer_passes_with_the_standard_library_too(mp, capsys):
    def exit_codes_in_start_order():
        processes = [mp.Process(target=sys.exit, args=(code,)) for code in (1, 2, 3)]
        for p in processes:
            p.start()
        for p in reversed(processes):  # the order of joining does not matter
            p.join()
        return [p.exitcode for p in processes]

    exercises.check_exit_codes_in_start_order(exit_codes_in_start_order)
    assert verdict(capsys).startswith("✅ Correct — [1, 2, 3]")


@pytest.mark.parametrize("loops", ["one loop", "start, join, start, join"])
def test_start_order_one_process_at_a_time(mp, loops, capsys):
    # The text asks to start all three before joining any. Joining each one
    # before starting the next gives the same exit codes, one process at a time.
    def exit_codes_in_start_order():
        processes = [mp.Process(target=sys.exit, args=(code,)) for code in (1, 2, 3)]
        if loops == "one loop":
            for p in processes:
                p.start()
                p.join()
        else:
            processes[0].start()
            processes[1].start()
            processes[0].join()
            processes[2].start()  # after a join: not all three ran at once
            processes[1].join()
            processes[2].join()
        return [p.exitcode for p in processes]

    originals = (mp.Process.start, mp.Process.join)
    exercises.check_exit_codes_in_start_order(exit_codes_in_start_order)
    printed = verdict(capsys)
    assert printed.startswith("❌ Not yet: [1, 2, 3], but not all at the same time: you joined a process before")
    assert "Start all three first, then join them: one loop of start(), then one loop of join()." in printed
    # The checker recorded the calls only while the function ran.
    assert (mp.Process.start, mp.Process.join) == originals


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


def test_terminate_returning_the_exit_code_as_a_string(fork, capsys):
    def terminated_exit_code():
        p = fork.Process(target=time.sleep, args=(60,))
        p.start()
        p.terminate()
        p.join()
        return str(p.exitcode)

    exercises.check_terminated_exit_code(terminated_exit_code)
    assert "you returned the string '-15', not a number: exitcode is an int" in verdict(capsys)


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


# -- Chapter 5: pools ---------------------------------------------------------------
#
# Targets for the learners' pools, at module level like the ones above.


def square(x):
    return x * x


def all_squares(numbers):
    return [x * x for x in numbers]


def slow_square(x):
    time.sleep(0.3)
    return x * x


def fragile_square(x):
    """The notebook's: the task of 13 ends its worker, as a crash would."""
    if x == 13:
        os._exit(1)
    return x * x


# -- Chapter 5, exercise 1: squares computed by a pool -----------------------------


def test_pool_squares_right_answer_passes(ctx, capsys):
    def pool_squares(numbers):
        with ctx.Pool(2) as pool:
            return pool.map(square, numbers)

    exercises.check_pool_squares(pool_squares)
    printed = verdict(capsys)
    assert printed.startswith("✅ Correct — [1, 4, 9, 16, 25, 36, 49, 64]: each of the 8 numbers was a task")
    assert "left" not in printed


def test_pool_squares_computed_in_the_parent(capsys):
    exercises.check_pool_squares(lambda numbers: [x * x for x in numbers])
    assert "the right squares, but no task ran in a pool's worker" in verdict(capsys)


def test_pool_squares_with_the_primers_list_of_functions(fork, capsys):
    def pool_squares(numbers):
        with fork.Pool([square]) as pool:  # the primer: "takes a list of callable functions"
            return pool.map(square, numbers)

    exercises.check_pool_squares(pool_squares)
    printed = verdict(capsys)
    assert "processes must be an int" in printed
    assert "not a list of functions (the primer's mistake)" in printed


def test_pool_squares_returning_the_map_result(fork, capsys):
    def pool_squares(numbers):
        with fork.Pool(2) as pool:
            result = pool.map_async(square, numbers)
            result.wait()
            return result

    exercises.check_pool_squares(pool_squares)
    assert "your function returned MapResult" in verdict(capsys)


def test_pool_squares_reading_imap_after_the_with_block(fork, capsys):
    def pool_squares(numbers):
        with fork.Pool(2) as pool:
            results = pool.imap(slow_square, numbers)
        return list(results)  # too late: leaving the block terminated the pool

    exercises.check_pool_squares(pool_squares)
    printed = verdict(capsys)
    assert "your function raised PoolTerminatedError" in printed
    assert "get the results (map, or .get()) inside the block" in printed


def test_pool_squares_in_another_order(fork, capsys):
    def pool_squares(numbers):
        with fork.Pool(2) as pool:
            return pool.map(square, numbers)[::-1]

    exercises.check_pool_squares(pool_squares)
    assert "the right squares in another order" in verdict(capsys)


def test_pool_squares_all_in_one_task(fork, capsys):
    def pool_squares(numbers):
        with fork.Pool(2) as pool:
            return pool.apply(all_squares, (numbers,))

    exercises.check_pool_squares(pool_squares)
    assert "the right squares, but one task computed all 8 of them" in verdict(capsys)


def test_pool_squares_a_pool_left_running_is_terminated_and_named(fork, capsys):
    def pool_squares(numbers):
        pool = fork.Pool(2)  # never closed
        return pool.map(square, numbers)

    exercises.check_pool_squares(pool_squares)
    printed = verdict(capsys)
    assert printed.startswith("✅ Correct")
    assert "Your function left a Pool running; minimp terminated it once nothing referred to it." in printed
    assert "PoolWorker" not in printed  # its workers went with it, not as processes left running
    assert minimp.active_children() == []


def test_pool_squares_a_pool_that_never_answers_is_stopped(fork, capsys):
    def pool_squares(numbers):
        pool = fork.Pool(2)
        return pool.map(time.sleep, [60] * 2)  # waits for a minute

    started = time.monotonic()
    exercises.check_pool_squares(pool_squares, timeout=1)
    assert time.monotonic() - started < 5
    printed = verdict(capsys)
    assert "your function was still running after 1 s" in printed
    assert "background" not in printed  # terminating the pool released the learner's map()
    assert minimp.active_children() == []


# -- Chapter 5, exercise 2: map's default chunksize ----------------------------------


@pytest.mark.parametrize(
    "default_chunksize",
    [
        lambda items, processes: math.ceil(items / (processes * 4)),
        lambda items, processes: -(-items // (processes * 4)),
        lambda items, processes: max(1, math.ceil(items / (4 * processes))),
    ],
    ids=["ceil", "negative floor division", "max 1"],
)
def test_chunksize_right_answers_pass(default_chunksize, capsys):
    exercises.check_default_chunksize(default_chunksize)
    assert verdict(capsys).startswith("✅ Correct — for 100 items on 2 workers, chunks of 13 make 8 chunks, 4 per worker")


def test_chunksize_agrees_with_the_standard_librarys_formula():
    # multiprocessing/pool.py, Pool._map_async
    def stdlib(items, processes):
        chunksize, extra = divmod(items, processes * 4)
        return chunksize + 1 if extra else chunksize

    for items in range(1, 300):
        for processes in range(1, 9):
            assert exercises.ch05.pool_default_chunksize(items, processes) == stdlib(items, processes)


def test_chunksize_stub_asks_for_a_return(capsys):
    def default_chunksize(items, processes):
        pass

    exercises.check_default_chunksize(default_chunksize)
    assert "your function returned None: compute the chunksize, and `return` it." in verdict(capsys)


def test_chunksize_rounded_down(capsys):
    exercises.check_default_chunksize(lambda items, processes: items // (processes * 4))
    assert "you rounded down" in verdict(capsys)


def test_chunksize_as_a_float(capsys):
    exercises.check_default_chunksize(lambda items, processes: items / (processes * 4))
    assert "a chunksize is a number of items, a whole number: return an int" in verdict(capsys)


def test_chunksize_one_chunk_per_worker(capsys):
    exercises.check_default_chunksize(lambda items, processes: math.ceil(items / processes))
    assert "that is one chunk per worker" in verdict(capsys)


def test_chunksize_four_chunks_in_all(capsys):
    exercises.check_default_chunksize(lambda items, processes: math.ceil(items / 4))
    assert "that is 4 chunks in all, whatever the number of workers" in verdict(capsys)


def test_chunksize_another_mistake_lists_the_wrong_cases(capsys):
    exercises.check_default_chunksize(lambda items, processes: math.ceil(items / (processes * 2)))
    printed = verdict(capsys)
    assert "of 8 right" in printed
    assert "100 items on 2 workers: you said 25, the pool uses 13" in printed


# -- Chapter 5, exercise 3: the first square over a limit, from endless numbers ----------


def test_first_square_over_right_answer_passes(ctx, capsys):
    def first_square_over(numbers, limit):
        with ctx.Pool(2) as pool:
            for square_of_x in pool.imap(square, numbers):
                if square_of_x > limit:
                    return square_of_x

    exercises.check_first_square_over(first_square_over)
    printed = verdict(capsys)
    assert printed.startswith("✅ Correct — 10201: the workers squared the numbers as imap read them")
    read = int(printed.split("it read ")[1].split(" ")[0].replace(",", ""))
    assert 101 <= read <= 101 + 32  # what was needed, and at most the default buffersize ahead


def test_first_square_over_with_map_reads_for_ever_and_is_stopped(fork, capsys):
    def first_square_over(numbers, limit):
        with fork.Pool(2) as pool:
            return next(s for s in pool.map(square, numbers) if s > limit)

    exercises.check_first_square_over(first_square_over)
    printed = verdict(capsys)
    assert "your function read all the numbers it could (100,000, then the checker stopped it)" in printed
    assert "pool.imap(square, numbers)" in printed


def test_first_square_over_computed_here(capsys):
    def first_square_over(numbers, limit):
        return next(x * x for x in numbers if x * x > limit)

    exercises.check_first_square_over(first_square_over)
    assert "10201 is right, but no square was computed in a pool's worker" in verdict(capsys)


def test_first_square_over_returning_the_number(fork, capsys):
    def first_square_over(numbers, limit):
        with fork.Pool(2) as pool:
            for x, square_of_x in zip(itertools.count(1), pool.imap(square, numbers)):
                if square_of_x > limit:
                    return x

    exercises.check_first_square_over(first_square_over)
    assert "101 is the number; return its square, 10201." in verdict(capsys)


# -- Chapter 5, exercise 3: squares despite a crash -----------------------------------


def test_squares_or_none_right_answer_passes(ctx, capsys):
    def squares_or_none(numbers):
        squares = []
        with ctx.Pool(2) as pool:
            results = pool.imap(fragile_square, numbers)
            for _ in numbers:
                try:
                    squares.append(next(results))
                except minimp.WorkerDiedError:
                    squares.append(None)
        return squares

    exercises.check_squares_or_none(squares_or_none)
    assert verdict(capsys).startswith("✅ Correct — [100, 121, 144, None, 196, 225]: only the task of 13 failed")


def test_squares_or_none_with_map(fork, capsys):
    def squares_or_none(numbers):
        with fork.Pool(2) as pool:
            return pool.map(fragile_square, numbers)

    exercises.check_squares_or_none(squares_or_none)
    printed = verdict(capsys)
    assert "your function raised WorkerDiedError" in printed
    assert "Use imap()" in printed


def test_squares_or_none_stopping_at_the_crash(fork, capsys):
    def squares_or_none(numbers):
        squares = []
        with fork.Pool(2) as pool:
            try:
                for square in pool.imap(fragile_square, numbers):
                    squares.append(square)
            except minimp.WorkerDiedError:
                squares.append(None)
        return squares[:-1]  # the None, then the loop is over

    exercises.check_squares_or_none(squares_or_none)
    assert "your list stops where the crash happened" in verdict(capsys)


def test_squares_or_none_with_one_try_around_the_whole_loop(fork, capsys):
    """The natural wrong answer: the first error ends the loop, and every square after it is lost."""

    def squares_or_none(numbers):
        squares = []
        with fork.Pool(2) as pool:
            try:
                for square in pool.imap(fragile_square, numbers):
                    squares.append(square)
            except minimp.WorkerDiedError:
                squares.append(None)
        return squares

    exercises.check_squares_or_none(squares_or_none)
    printed = verdict(capsys)
    assert "[100, 121, 144, None], and the squares of 14, 15 are lost" in printed
    assert "one `try` around the whole loop" in printed
    assert "Put the try/except inside the loop" in printed


def test_squares_or_none_with_chunks_of_two(fork, capsys):
    def squares_or_none(numbers):
        squares = []
        with fork.Pool(2) as pool:
            results = pool.imap(fragile_square, numbers, chunksize=2)
            for _ in numbers:
                try:
                    squares.append(next(results))
                except minimp.WorkerDiedError:
                    squares.append(None)
        return squares

    exercises.check_squares_or_none(squares_or_none)
    printed = verdict(capsys)
    assert "[100, 121, None, None, 196, 225]: more numbers than 13 lost their squares" in printed
    assert "keep imap's default chunksize of 1" in printed


def test_squares_or_none_with_the_exception_in_the_list(fork, capsys):
    def squares_or_none(numbers):
        squares = []
        with fork.Pool(2) as pool:
            results = pool.imap(fragile_square, numbers)
            for _ in numbers:
                try:
                    squares.append(next(results))
                except minimp.WorkerDiedError as error:
                    squares.append(error)
        return squares

    exercises.check_squares_or_none(squares_or_none)
    assert "you put the exception (WorkerDiedError); put None there instead" in verdict(capsys)


def test_squares_or_none_stub_gets_a_start(fork, capsys):
    def squares_or_none(numbers):
        squares = []
        with fork.Pool(2) as pool:  # noqa: F841 - the stub does not use it yet
            pass
        return squares

    exercises.check_squares_or_none(squares_or_none)
    assert "your function returned an empty list. Inside the `with` block, make the iterator" in verdict(capsys)


# -- Chapter 6, exercise 1: an answer, or "late" --------------------------------------


def slow_answer(delay):
    time.sleep(delay)
    return 42


@pytest.fixture
def quicker_slow_task(monkeypatch):
    """The slow task takes 1.5 s instead of 3: enough to tell a wait from a timeout."""
    monkeypatch.setattr(exercises.ch06, "SLOW", 1.5)


def test_answer_or_late_right_answer_passes(ctx, capsys):
    def answer_or_late(delay):
        with ctx.Pool(1) as pool:
            pool.apply(int)  # its worker has started: a busy machine's slow spawn is not the task's time
            result = pool.apply_async(slow_answer, (delay,))
            try:
                return result.get(timeout=1)
            except minimp.TimeoutError:
                return "late"

    exercises.check_answer_or_late(answer_or_late)  # "late" for the slow task: it did not wait for it
    assert verdict(capsys).startswith("✅ Correct — the quick task answered 42 in time")


def test_answer_or_late_catching_the_builtin_timeout_error(fork, capsys):
    def answer_or_late(delay):
        with fork.Pool(1) as pool:
            result = pool.apply_async(slow_answer, (delay,))
            try:
                return result.get(timeout=1)
            except TimeoutError:  # the mistake: the built-in one
                return "late"

    exercises.check_answer_or_late(answer_or_late)
    printed = verdict(capsys)
    assert "your function raised minimp.runtime.errors.TimeoutError: no result from apply_async(slow_answer) within 1 second" in printed
    assert "which is not the built-in TimeoutError: catch it with `except mp.TimeoutError:`" in printed


def test_answer_or_late_without_a_timeout_waits(fork, quicker_slow_task, capsys):
    def answer_or_late(delay):
        with fork.Pool(1) as pool:
            return pool.apply_async(slow_answer, (delay,)).get()

    exercises.check_answer_or_late(answer_or_late)
    printed = verdict(capsys)
    assert "for a task that takes 1.5 s you waited" in printed
    assert "get(timeout=1) raises mp.TimeoutError" in printed


def test_answer_or_late_asking_ready_without_waiting(fork, quicker_slow_task, capsys):
    def answer_or_late(delay):
        with fork.Pool(1) as pool:
            result = pool.apply_async(slow_answer, (delay,))
            return result.get() if result.ready() else "late"

    exercises.check_answer_or_late(answer_or_late)
    assert "ready() answers at once, it does not wait" in verdict(capsys)


def test_answer_or_late_returning_the_async_result(fork, quicker_slow_task, capsys):
    def answer_or_late(delay):
        with fork.Pool(1) as pool:
            return pool.apply_async(slow_answer, (delay,))

    exercises.check_answer_or_late(answer_or_late)
    assert "your function returned the AsyncResult itself" in verdict(capsys)


# -- Chapter 6, exercise 2: results and exceptions, in order ---------------------------


def test_outcomes_right_answer_passes(ctx, capsys):
    def outcomes(numbers):
        with minimp.ProcessPoolExecutor(max_workers=2, mp_context=ctx) as executor:
            futures = [executor.submit(math.sqrt, x) for x in numbers]
            return [future.exception() or future.result() for future in futures]

    exercises.check_outcomes(outcomes)
    printed = verdict(capsys)
    assert printed.startswith("✅ Correct — [2.0, ValueError('math domain error'), 3.0, 0.5]")
    assert "Its __cause__ holds the worker's traceback." in printed


def test_outcomes_with_try_except_pass(fork, capsys):
    def outcomes(numbers):
        results = []
        with minimp.ProcessPoolExecutor(max_workers=2, mp_context=fork) as executor:
            for future in [executor.submit(math.sqrt, x) for x in numbers]:
                try:
                    results.append(future.result())
                except ValueError as error:
                    results.append(error)
        return results

    exercises.check_outcomes(outcomes)
    assert verdict(capsys).startswith("✅ Correct")


@pytest.mark.parametrize("how", ["result", "map"])
def test_outcomes_without_catching_the_exception(fork, how, capsys):
    def outcomes(numbers):
        with minimp.ProcessPoolExecutor(max_workers=2, mp_context=fork) as executor:
            if how == "map":
                return list(executor.map(math.sqrt, numbers))
            return [future.result() for future in [executor.submit(math.sqrt, x) for x in numbers]]

    exercises.check_outcomes(outcomes)
    printed = verdict(capsys)
    assert "your function raised ValueError: math domain error" in printed
    assert "future.result() raises the call's exception again" in printed


def test_outcomes_in_another_order(fork, capsys):
    def outcomes(numbers):
        with minimp.ProcessPoolExecutor(max_workers=2, mp_context=fork) as executor:
            futures = [executor.submit(math.sqrt, x) for x in numbers]
            return [future.exception() or future.result() for future in reversed(futures)]

    exercises.check_outcomes(outcomes)
    assert "the right outcomes in another order" in verdict(capsys)


@pytest.mark.parametrize("executor", ["minimp", "stdlib"])
def test_outcomes_in_the_order_they_were_completed(fork, executor, capsys):
    # The checker's first call ends last, so as_completed() does not give the
    # order of the numbers, as it might with calls that all take a moment.
    import concurrent.futures

    def outcomes(numbers):
        if executor == "minimp":
            pool = minimp.ProcessPoolExecutor(max_workers=2, mp_context=fork)
        else:
            pool = concurrent.futures.ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork"))
        with pool:
            futures = [pool.submit(math.sqrt, x) for x in numbers]
            return [future.exception() or future.result() for future in concurrent.futures.as_completed(futures)]

    exercises.check_outcomes(outcomes)
    printed = verdict(capsys)
    assert printed.startswith("❌ Not yet: the right outcomes in another order: [")
    assert "as_completed() yields futures as they finish; keep your list of futures in the order you submitted" in printed


def test_outcomes_with_the_message_instead_of_the_exception(fork, capsys):
    def outcomes(numbers):
        results = []
        with minimp.ProcessPoolExecutor(max_workers=2, mp_context=fork) as executor:
            for future in [executor.submit(math.sqrt, x) for x in numbers]:
                try:
                    results.append(future.result())
                except ValueError as error:
                    results.append(str(error))
        return results

    exercises.check_outcomes(outcomes)
    assert "for -1 you put 'math domain error'; put the exception object itself there" in verdict(capsys)


def test_outcomes_returning_the_futures(fork, capsys):
    def outcomes(numbers):
        with minimp.ProcessPoolExecutor(max_workers=2, mp_context=fork) as executor:
            futures = [executor.submit(math.sqrt, x) for x in numbers]
        return futures

    exercises.check_outcomes(outcomes)
    assert "your list holds the futures themselves" in verdict(capsys)

