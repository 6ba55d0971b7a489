"""Chapter 4's checkers: a right answer passes, each usual mistake gets its hint.

Each test plays a learner, as tests/test_exercises.py does: it writes an
answer (right, or with one of the usual mistakes), hands it to the checker as
the notebook does, and reads the one verdict the checker prints. The
learners' functions live at module level, so that spawned children can
import them; the checkers start their processes with spawn, as the notebook
does.
"""

import re

import pytest

import minimp
from minimp.course import exercises

pytestmark = pytest.mark.timeout(60)  # every test here starts processes

ctx = minimp.get_context("spawn")


def verdict(capsys) -> str:
    """The verdict the checker printed (and assert that it printed exactly one)."""
    printed = capsys.readouterr().out
    verdicts = [line for line in printed.splitlines() if line.startswith(("✅ Correct — ", "❌ Not yet: "))]
    assert len(verdicts) == 1, printed
    assert printed.count("✅") + printed.count("❌") == 1, printed
    return verdicts[0]


# -- Exercise 1: deposits without lost updates ------------------------------------------------


def deposit_stub(balance, amounts):
    for amount in amounts:
        current = balance.value
        balance.value = current + amount


def deposit_locked(balance, amounts):
    for amount in amounts:
        with balance.get_lock():
            current = balance.value
            balance.value = current + amount


def deposit_all_at_once(balance, amounts):
    total = sum(amounts)  # a local total, added once under the lock
    with balance.get_lock():
        balance.value += total


def deposit_plus_equals(balance, amounts):
    for amount in amounts:
        balance.value += amount  # the Value's per-access lock, not around both


def deposit_with_own_lock(balance, amounts):
    lock = ctx.Lock()  # a new lock in each process: keeps nobody out
    for amount in amounts:
        with lock:
            balance.value += amount


def deposit_reading_outside(balance, amounts):
    for amount in amounts:
        current = balance.value
        with balance.get_lock():
            balance.value = current + amount


def deposit_writing_outside(balance, amounts):
    for amount in amounts:
        with balance.get_lock():
            current = balance.value
        balance.value = current + amount


def deposit_without_parentheses(balance, amounts):
    for amount in amounts:
        with balance.get_lock:  # the method, not the lock: TypeError in each child
            balance.value += amount


def deposit_twice(balance, amounts):
    for amount in amounts:
        with balance.get_lock():
            balance.value += 2 * amount


def deposit_nothing(balance, amounts):
    pass


def deposit_never_releasing(balance, amounts):
    balance.get_lock().acquire()  # the first process takes the token with it when it exits
    balance.value += sum(amounts)


def test_deposits_under_the_lock_pass(capsys):
    exercises.check_deposit(deposit_locked)
    printed = verdict(capsys)
    assert printed.startswith("✅") and "the balance is exactly 18,000" in printed


def test_one_deposit_of_the_local_total_passes(capsys):
    exercises.check_deposit(deposit_all_at_once)
    assert verdict(capsys).startswith("✅")


@pytest.mark.parametrize("deposit", [deposit_stub, deposit_plus_equals, deposit_with_own_lock])
def test_forgetting_the_lock_is_named_even_when_no_update_was_lost(deposit, capsys):
    exercises.check_deposit(deposit)
    printed = verdict(capsys)
    assert "no read or write of balance.value happened while the process held the balance's lock" in printed
    assert "a Lock you create inside deposit() is a new lock in each process" in printed


def test_reading_outside_the_lock_is_named(capsys):
    exercises.check_deposit(deposit_reading_outside)
    assert "you read it before taking the lock" in verdict(capsys)


def test_writing_outside_the_lock_is_locking_too_little(capsys):
    exercises.check_deposit(deposit_writing_outside)
    assert "you locked too little" in verdict(capsys)


def test_a_child_that_fails_is_reported_with_its_exit_code(capsys):
    exercises.check_deposit(deposit_without_parentheses)
    printed = verdict(capsys)
    assert "3 of the 3 processes running deposit() failed, with exit code 1" in printed
    assert "with the parentheses" in printed


def test_a_wrong_total_under_the_lock_is_a_wrong_sum(capsys):
    exercises.check_deposit(deposit_twice)
    printed = verdict(capsys)
    assert "the balance is 36,000, expected 18,000: add each amount exactly once" in printed


def test_a_deposit_that_never_touches_the_balance(capsys):
    exercises.check_deposit(deposit_nothing)
    assert "the balance is 0, expected 18,000, and deposit() never read or wrote balance.value" in verdict(capsys)


def test_a_lock_never_released_times_out_and_leaves_nothing_running(capsys):
    exercises.check_deposit(deposit_never_releasing, timeout=2)
    assert "was still running after 2 s" in verdict(capsys)


def test_the_result_of_calling_deposit_is_not_a_function(capsys):
    exercises.check_deposit(None)
    assert "pass your function itself to the checker" in verdict(capsys)


# -- Exercise 2: at most `limit` at once ------------------------------------------------------


def in_a_slot(slots, section, name):
    with slots:
        section(name)


def start_all_then_join(target, args_list):
    workers = [ctx.Process(target=target, args=args) for args in args_list]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def run_limited_right(section, names, limit):
    slots = ctx.Semaphore(limit)
    start_all_then_join(in_a_slot, [(slots, section, name) for name in names])


def run_limited_stub(section, names, limit):
    start_all_then_join(section, [(name,) for name in names])


def in_a_slot_of_its_own(limit, section, name):
    with ctx.Semaphore(limit):  # a semaphore of its own: keeps nobody out
        section(name)


def run_limited_semaphore_per_child(section, names, limit):
    start_all_then_join(in_a_slot_of_its_own, [(limit, section, name) for name in names])


def run_limited_with_a_lock(section, names, limit):
    slots = ctx.Lock()
    start_all_then_join(in_a_slot, [(slots, section, name) for name in names])


def run_limited_with_two(section, names, limit):
    slots = ctx.Semaphore(2)  # right for the first run only
    start_all_then_join(in_a_slot, [(slots, section, name) for name in names])


def run_limited_one_after_another(section, names, limit):
    slots = ctx.Semaphore(limit)
    for name in names:
        start_all_then_join(in_a_slot, [(slots, section, name)])


def run_limited_here(section, names, limit):
    for name in names:
        section(name)


def run_limited_first_three(section, names, limit):
    slots = ctx.Semaphore(limit)
    start_all_then_join(in_a_slot, [(slots, section, name) for name in names[:3]])


def in_a_slot_never_released(slots, section, name):
    slots.acquire()
    section(name)


def run_limited_never_releasing(section, names, limit):
    slots = ctx.Semaphore(limit)
    start_all_then_join(in_a_slot_never_released, [(slots, section, name) for name in names])


def test_a_semaphore_of_limit_passes_both_runs(capsys):
    exercises.check_limited(run_limited_right)
    printed = verdict(capsys)
    assert printed.startswith("✅") and "5 processes with limit=2 and 4 processes with limit=3" in printed


@pytest.mark.parametrize("run_limited", [run_limited_stub, run_limited_semaphore_per_child])
def test_no_shared_semaphore_lets_everyone_in(run_limited, capsys):
    exercises.check_limited(run_limited)
    printed = verdict(capsys)
    assert "with limit=2, more than 2 processes were inside section() at the same time" in printed


def test_a_lock_lets_in_only_one(capsys):
    exercises.check_limited(run_limited_with_a_lock)
    printed = verdict(capsys)
    assert "never more than 1 process was inside section() at once" in printed
    assert "Is it a Lock, or a Semaphore(1)?" in printed


def test_a_number_instead_of_limit_fails_the_second_run(capsys):
    exercises.check_limited(run_limited_with_two)
    printed = verdict(capsys)
    assert "with limit=3, never more than 2 processes were inside" in printed
    assert "Did you write a number instead of `limit`?" in printed


def test_processes_started_one_after_another(capsys):
    exercises.check_limited(run_limited_one_after_another)
    assert "the processes ran one after another" in verdict(capsys)


def test_the_section_run_in_the_notebooks_process(capsys):
    exercises.check_limited(run_limited_here)
    assert "section() ran here, in the notebook's own process" in verdict(capsys)


def test_names_left_out(capsys):
    exercises.check_limited(run_limited_first_three)
    assert "section() never ran for D, E" in verdict(capsys)


def test_a_semaphore_never_released_times_out(capsys):
    exercises.check_limited(run_limited_never_releasing, timeout=3)
    printed = verdict(capsys)
    assert "was still running after 3 s" in printed
    assert "Does every acquire() have its release()?" in printed


def test_the_result_of_calling_run_limited_is_not_a_function(capsys):
    exercises.check_limited(None)
    assert "pass your function itself to the checker" in verdict(capsys)


# -- Exercise 3: two phases, nobody ahead --------------------------------------------


def phases_stub(name, barrier, log):
    log.put(f"{name}: phase 1")
    log.put(f"{name}: phase 2")


def phases_with_the_barrier(name, barrier, log):
    log.put(f"{name}: phase 1")
    barrier.wait()
    log.put(f"{name}: phase 2")


def phases_waiting_twice(name, barrier, log):
    log.put(f"{name}: phase 1")
    barrier.wait()
    if name == "A":
        barrier.wait()  # A waits for a second round that nobody else joins
    log.put(f"{name}: phase 2")


def phases_waiting_before_phase_1(name, barrier, log):
    barrier.wait()
    log.put(f"{name}: phase 1")
    log.put(f"{name}: phase 2")


def test_two_phases_with_the_barrier_pass(capsys):
    exercises.check_two_phases(phases_with_the_barrier)
    assert verdict(capsys) == (
        "✅ Correct — A, B, C came to phase 1 0.3 s apart, and none began phase 2 before the last "
        "had finished phase 1: each waited at the barrier for the others."
    )


def test_two_phases_without_a_barrier_names_who_ran_ahead(capsys):
    exercises.check_two_phases(phases_stub)
    assert verdict(capsys).startswith("❌ Not yet: A began phase 2 before B had finished phase 1.")


def test_two_phases_waiting_at_the_wrong_place_is_caught(capsys):
    exercises.check_two_phases(phases_waiting_before_phase_1)
    assert "began phase 2 before" in verdict(capsys)


def test_two_phases_waiting_twice_names_the_broken_barrier(capsys, monkeypatch):
    monkeypatch.setattr(exercises.ch04, "PHASE_PATIENCE", 1.0)  # the barrier breaks sooner: a quicker test
    exercises.check_two_phases(phases_waiting_twice)
    printed = verdict(capsys)
    assert printed.startswith("❌ Not yet: the process A failed")
    assert "each of the 3 processes must call barrier.wait() once" in printed


# -- Exercise 4: a tally that a pool's tasks share --------------------------------------------


def tally_stub(counts, lock, word):
    counts[word] = counts.get(word, 0) + 1


def tally_locked(counts, lock, word):
    with lock:
        counts[word] = counts.get(word, 0) + 1


def tally_acquire_release(counts, lock, word):
    lock.acquire()
    try:
        counts[word] = counts.get(word, 0) + 1
    finally:
        lock.release()


def tally_setdefault_then_locked(counts, lock, word):
    counts.setdefault(word, 0)  # one request: safe without the lock
    with lock:
        counts[word] += 1


def tally_plus_equals(counts, lock, word):
    with lock:
        counts[word] += 1  # reads counts[word] first: KeyError for a new word


def tally_with_own_lock(counts, lock, word):
    import threading

    with threading.Lock():  # a new lock in each task: keeps nobody out
        counts[word] = counts.get(word, 0) + 1


def tally_reading_outside(counts, lock, word):
    current = counts.get(word, 0)
    with lock:
        counts[word] = current + 1


def tally_writing_outside(counts, lock, word):
    with lock:
        current = counts.get(word, 0)
    counts[word] = current + 1


def tally_returned(counts, lock, word):
    with lock:
        return counts.get(word, 0) + 1


def tally_into_a_copy(counts, lock, word):
    mine = dict(counts)  # a plain dict in the worker: the manager never hears of it
    with lock:
        mine[word] = mine.get(word, 0) + 1


def tally_a_fixed_key(counts, lock, word):
    with lock:
        counts["word"] = counts.get("word", 0) + 1


def tally_twice(counts, lock, word):
    with lock:
        counts[word] = counts.get(word, 0) + 2


def tally_nothing(counts, lock, word):
    pass


def tally_never_releasing(counts, lock, word):
    lock.acquire()
    counts[word] = counts.get(word, 0) + 1


@pytest.mark.timeout(60)
@pytest.mark.parametrize("tally", [tally_locked, tally_acquire_release, tally_setdefault_then_locked])
def test_a_tally_under_the_lock_passes(tally, capsys):
    exercises.check_tally(tally)
    assert verdict(capsys) == (
        "✅ Correct — 60 tasks on 2 workers counted apple 25 times, pear 20 times, fig 15 times, exactly: every "
        "read and write of counts happened inside the lock, so no worker could come between another's read and "
        "its write."
    )


@pytest.mark.timeout(60)
@pytest.mark.parametrize("tally", [tally_stub, tally_with_own_lock])
def test_a_tally_without_the_managers_lock_is_named_whatever_the_run_lost(tally, capsys):
    exercises.check_tally(tally)
    printed = verdict(capsys)
    assert printed.startswith("❌ Not yet: you read then wrote without the lock: 60 reads and 60 writes")
    assert "two messages to the manager, a get and then a set" in printed
    assert "A lock you create inside tally() is a new one in each task" in printed


@pytest.mark.timeout(60)
def test_reading_outside_the_lock_is_named(capsys):
    exercises.check_tally(tally_reading_outside)
    assert "you write counts under the lock, but read it before taking the lock (60 reads" in verdict(capsys)


@pytest.mark.timeout(60)
def test_writing_outside_the_lock_is_locking_too_little(capsys):
    exercises.check_tally(tally_writing_outside)
    assert "you locked too little" in verdict(capsys)


@pytest.mark.timeout(60)
def test_plus_equals_on_an_empty_dict_gets_the_keyerror_explained(capsys):
    exercises.check_tally(tally_plus_equals)
    printed = verdict(capsys)
    # whichever word's task failed first: the workers race to it
    assert re.match(r"❌ Not yet: your function raised KeyError: '\w+'\. The dict starts empty", printed), printed
    assert "counts.get(word, 0) + 1" in printed


@pytest.mark.timeout(60)
def test_a_count_returned_instead_of_stored(capsys):
    exercises.check_tally(tally_returned)
    printed = verdict(capsys)
    assert "your tally() returned 1 and stored nothing in counts" in printed
    assert "The pool's map collects what tasks return" in printed


@pytest.mark.timeout(60)
def test_a_copy_of_the_dict_is_the_workers_own(capsys):
    exercises.check_tally(tally_into_a_copy)
    assert "counts is still empty: the workers changed their own copies" in verdict(capsys)


@pytest.mark.timeout(60)
def test_a_key_written_in_the_code_instead_of_the_word(capsys):
    exercises.check_tally(tally_a_fixed_key)
    assert "counts has keys that are not the words counted: 'word'" in verdict(capsys)


@pytest.mark.timeout(60)
def test_a_wrong_count_under_the_lock(capsys):
    exercises.check_tally(tally_twice)
    assert "apple: 50 (expected 25), pear: 40 (expected 20), fig: 30 (expected 15)" in verdict(capsys)


@pytest.mark.timeout(60)
def test_a_tally_that_does_nothing(capsys):
    exercises.check_tally(tally_nothing)
    assert "your tally() stored nothing in counts, which is still empty" in verdict(capsys)


@pytest.mark.timeout(60)
def test_a_lock_never_released_times_out_and_leaves_nothing_running(capsys):
    exercises.check_tally(tally_never_releasing, timeout=3)
    printed = verdict(capsys)
    assert "the pool's tasks were still running after 3 s" in printed
    assert "Does every acquire() have its release()?" in printed


def test_the_result_of_calling_tally_is_not_a_function(capsys):
    exercises.check_tally(None)
    assert "pass your function itself to the checker" in verdict(capsys)
