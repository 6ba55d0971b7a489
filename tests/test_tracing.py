"""Traces, told as small stories (tracing.py, and the records pool.py makes).

`with minimp.trace() as t:` collects one TaskRecord per task run by any
pool or executor while it is open, and one WorkerRecord per worker that
exits. The stories, in order: what a map leaves behind; single tasks and
their ids; tasks that fail or crash; the workers' lives; which calls a trace
sees (no trace, nested traces); the table; and last `minimp.traced()`, which
makes the standard library's pools record too.
"""

import concurrent.futures
import multiprocessing
import os
import re
import signal
import tempfile
import time

import pytest

import minimp

# The standard library keeps its Values (a Barrier's count) in one shared-memory
# arena per process, opened on first use and kept open; open it now, as conftest.py
# does for minimp's alive pipe, so that no test is blamed for that descriptor.
multiprocessing.get_context("fork").Value("i")


# -- what the workers run ------------------------------------------------------------------


def square(x):
    return x * x


def fail_on_300(x):
    if x == 300:
        raise ValueError(f"bad input {x}")
    return x * x


def fail_on_3(x):
    if x == 3:
        raise ValueError(f"bad input {x}")
    return x * x


def kill_self():
    os.kill(os.getpid(), signal.SIGKILL)


def fail_to_start():
    raise ConnectionError("no database")


_barrier = None


def keep_barrier(barrier):
    global _barrier
    _barrier = barrier


def meet_then_square(x):
    """Wait for the other worker: with two workers, each runs every other task."""
    _barrier.wait(10)
    return x * x, os.getpid()


# -- helpers ----------------------------------------------------------------------------


def worker_pids():
    return {p.pid for p in minimp.active_children()}


def assert_in_time_order(record, trace):
    """submitted <= started <= finished, all within the trace (one monotonic clock)."""
    assert trace.started <= record.submitted <= record.started <= record.finished <= trace.finished


# -- a map -------------------------------------------------------------------------------------


def test_a_map_leaves_one_record_per_task(ctx):
    with minimp.trace() as t:
        with minimp.Pool(2, context=ctx) as pool:
            mapped = pool.map_async(square, range(10), chunksize=1)
            assert mapped.get(timeout=10) == [x * x for x in range(10)]
            pids = worker_pids()

    assert len(t.tasks) == 10
    assert sorted(r.index for r in t.tasks) == list(range(10))
    assert len({r.id for r in t.tasks}) == 10  # each task its own id...
    for record in t.tasks:
        assert record.call == mapped.id  # ...and one call, the MapResult's
        assert record.function == "square"
        assert record.args == f"({record.index},)"
        assert record.worker in {0, 1} and record.pid in pids
        assert_in_time_order(record, t)
        assert (record.status, record.error) == ("ok", None)


def test_a_chunk_of_tiny_tasks_is_recorded_task_by_task_and_in_order(ctx):
    # Past its first 16, a chunk of tiny tasks is timed in groups of 64 (chunks.py): every task
    # still gets a record, one after the other in its worker, and the failed one its error.
    with minimp.trace() as t:
        with minimp.Pool(2, context=ctx) as pool:
            with pytest.raises(ValueError, match="bad input 300"):
                pool.map(fail_on_300, range(1000), chunksize=500)
    records = sorted(t.tasks, key=lambda record: record.index)
    assert [record.index for record in records] == list(range(1000))
    assert [record.index for record in records if record.status == "error"] == [300]
    assert records[300].error == "ValueError: bad input 300"
    for chunk in (records[:500], records[500:]):
        assert len({record.pid for record in chunk}) == 1
        assert all(a.finished == b.started for a, b in zip(chunk, chunk[1:]))  # one clock reading between two
        for record in chunk:
            assert_in_time_order(record, t)


def test_the_tasks_of_an_imap_share_its_id(ctx):
    with minimp.trace() as t:
        with minimp.Pool(2, context=ctx) as pool:
            results = pool.imap_unordered(square, range(6), chunksize=2)
            assert sorted(results) == [0, 1, 4, 9, 16, 25]
    assert [r.call for r in t.tasks] == [results.id] * 6
    assert sorted(r.index for r in t.tasks) == list(range(6))


# -- single tasks -------------------------------------------------------------------------------


def test_a_single_task_is_recorded_under_its_results_id(ctx):
    with minimp.trace() as t:
        with minimp.Pool(2, context=ctx) as pool:
            applied = pool.apply_async(square, (4,))
            submitted = pool.submit(square, 5)
            assert (applied.get(timeout=10), submitted.result(timeout=10)) == (16, 25)
            pids = worker_pids()
        with minimp.ProcessPoolExecutor(1, mp_context=ctx) as executor:
            executed = executor.submit(square, 6)
            assert executed.result(timeout=10) == 36

    records = {r.id: r for r in t.tasks}
    assert sorted(records) == sorted([applied.id, submitted.id, executed.id])
    assert (records[applied.id].args, records[submitted.id].args, records[executed.id].args) == ("(4,)", "(5,)", "(6,)")
    for result in (applied, submitted, executed):
        record = records[result.id]
        assert (record.call, record.index) == (result.id, 0)
        assert (record.function, record.status) == ("square", "ok")
        assert_in_time_order(record, t)
    assert {records[applied.id].pid, records[submitted.id].pid} <= pids


def test_a_task_that_raises_is_recorded_as_an_error(ctx):
    with minimp.trace() as t:
        with minimp.Pool(2, context=ctx) as pool:
            results = [pool.apply_async(fail_on_3, (x,)) for x in range(5)]
            with pytest.raises(ValueError, match="bad input 3"):
                results[3].get(timeout=10)
            assert [r.get(timeout=10) for r in results if r is not results[3]] == [0, 1, 4, 16]

    by_id = {r.id: r for r in t.tasks}
    failed = by_id[results[3].id]
    assert (failed.status, failed.error) == ("error", "ValueError: bad input 3")
    assert failed.worker in {0, 1}
    assert_in_time_order(failed, t)  # it ran: it has its times in the worker
    assert sorted(r.status for r in t.tasks) == ["error", "ok", "ok", "ok", "ok"]


def test_a_task_whose_worker_dies_is_recorded_as_crashed(ctx):
    with minimp.trace() as t:
        with minimp.Pool(2, context=ctx) as pool:
            crashed = pool.apply_async(kill_self)
            with pytest.raises(minimp.WorkerDiedError) as died:
                crashed.get(timeout=10)

    (record,) = t.tasks
    worker, pid = map(int, re.match(r"worker (\d) \(pid (\d+)\)", str(died.value)).groups())
    assert (record.id, record.status) == (crashed.id, "crashed")
    assert record.error == f"WorkerDiedError: {died.value}"
    assert "was killed by signal SIGKILL" in record.error
    assert (record.worker, record.pid) == (worker, pid)
    assert t.started <= record.submitted <= record.finished <= t.finished


def executor_crash(ctx):
    """Trace an executor whose only worker dies under a task. (A helper, so that a
    failing test's frame, which pytest keeps, holds no executor: it would count as leaked.)"""
    with minimp.trace() as t:
        with minimp.ProcessPoolExecutor(1, mp_context=ctx) as executor:
            crashed = executor.submit(kill_self)
            error = crashed.exception(timeout=10)
    return t, crashed.id, str(error)


def test_a_crashed_task_of_an_executor_is_recorded_in_its_workers_lane(ctx):
    t, crashed_id, error = executor_crash(ctx)
    (record,) = t.tasks
    assert (record.id, record.status) == (crashed_id, "crashed")
    assert "was killed by signal SIGKILL" in record.error
    assert (record.worker, record.pid) == (0, int(re.search(r"pid (\d+)", error)[1]))


# -- the workers' lives -------------------------------------------------------------------------


def test_each_worker_is_recorded_when_it_exits(ctx):
    with minimp.trace() as t:
        with minimp.Pool(2, context=ctx) as pool:
            assert pool.map(square, range(4)) == [0, 1, 4, 9]
            pids = worker_pids()
            assert t.workers == []  # none has exited yet
    assert sorted(w.index for w in t.workers) == [0, 1]
    assert {w.pid for w in t.workers} == pids
    first_task = {}
    for record in sorted(t.tasks, key=lambda r: r.started):
        first_task.setdefault(record.worker, record)
    assert first_task  # some worker ran a task...
    for worker in t.workers:
        assert t.started <= worker.started < worker.exited <= t.finished
        if worker.index in first_task:  # ...and was ready before it started its first one
            assert worker.ready <= first_task[worker.index].started
            # (Not `started <= ready`: `started` is read after fork() returns in the
            # parent, and a forked worker can be ready a few microseconds before that.)
        assert worker.exitcode == -signal.SIGTERM  # terminate() at the end of the with block


def test_a_crashed_worker_and_its_replacement_are_both_recorded(ctx):
    with minimp.trace() as t:
        with minimp.Pool(1, context=ctx) as pool:
            first = pool.apply(os.getpid)
            with pytest.raises(minimp.WorkerDiedError):
                pool.apply(kill_self)
            second = pool.apply(os.getpid)
    lives = [(w.index, w.pid, w.exitcode) for w in t.workers]
    assert lives == [(0, first, -signal.SIGKILL), (0, second, -signal.SIGTERM)]


def end_by_close_and_join(pool):
    pool.close()
    pool.join()


def end_by_terminate(pool):
    pool.terminate()


@pytest.mark.parametrize(
    "end, initializer",
    [
        (end_by_close_and_join, None),
        (end_by_terminate, None),
        (None, fail_to_start),
    ],
    ids=["close-join-terminate", "terminate-terminate", "broken-terminate"],
)
def test_each_worker_is_recorded_once_however_the_pool_ends(ctx, end, initializer):
    workers = worker_records(ctx, end, initializer)
    assert sorted(w.index for w in workers) == [0, 1]
    assert len({w.pid for w in workers}) == 2


def worker_records(ctx, end, initializer):
    """The WorkerRecords of a pool of two that ends with `end` then terminate() (what
    leaving a with block does), or whose `initializer` fails. (A helper: see executor_crash.)"""
    with minimp.trace() as t:
        # Not `with Pool() as pool`: entering a pool that is already broken raises.
        pool = minimp.Pool(2, initializer=initializer, context=ctx)
        try:
            if initializer is None:
                assert pool.map(square, range(4)) == [0, 1, 4, 9]
                end(pool)
            else:
                with pytest.raises(minimp.WorkerStartError):
                    pool.apply(square, (2,))
        finally:
            pool.terminate()
    return t.workers


# -- which calls a trace sees ---------------------------------------------------------------------


def test_a_trace_records_the_calls_made_while_it_is_open(ctx):
    with minimp.Pool(1, context=ctx) as pool:
        with minimp.trace() as closed_before:
            pass
        before = pool.apply_async(square, (1,))  # made with no trace open...
        with minimp.trace() as t:
            assert before.get(timeout=10) == 1  # ...it finishes inside one: not recorded
            during = pool.apply_async(square, (2,))
        assert during.get(timeout=10) == 4  # made inside, finishes outside: recorded
    assert [r.id for r in t.tasks] == [during.id]
    assert closed_before.tasks == []


def test_nested_traces_both_record(ctx):
    with minimp.trace() as outer:
        with minimp.Pool(2, context=ctx) as pool:
            with minimp.trace() as inner:
                both = pool.map(square, range(3))
            only_outer = pool.apply(square, (7,))
    assert (both, only_outer) == ([0, 1, 4], 49)
    assert len(inner.tasks) == 3
    assert outer.tasks[:3] == inner.tasks  # the same records, as they arrived
    assert len(outer.tasks) == 4 and outer.tasks[-1].args == "(7,)"


# -- the table --------------------------------------------------------------------------------------


def test_the_table_has_a_header_and_one_line_per_task(ctx):
    with minimp.trace() as t:
        with minimp.Pool(2, context=ctx) as pool:
            assert pool.map(square, range(5)) == [0, 1, 4, 9, 16]
    table = t.table()
    assert isinstance(table, str)
    header, *lines = table.splitlines()
    assert header.split() == ["task", "worker", "pid", "function", "start", "ms", "run", "ms", "status"]
    assert len(lines) == 5
    for record in t.tasks:
        (line,) = [line for line in lines if line.split()[0] == str(record.id)]
        assert line.split()[1:4] == [str(record.worker), str(record.pid), "square"]
        assert line.split()[-1] == "ok"
    assert minimp.trace().table().splitlines() == [header]  # an empty trace: the header alone


# -- traced(): the standard library's pools record too ----------------------------------------------


def stdlib_pool(barrier):
    return multiprocessing.get_context("fork").Pool(2, initializer=keep_barrier, initargs=(barrier,))


def stdlib_executor(barrier):
    fork = multiprocessing.get_context("fork")
    return concurrent.futures.ProcessPoolExecutor(2, mp_context=fork, initializer=keep_barrier, initargs=(barrier,))


@pytest.mark.parametrize("make_pool", [stdlib_pool, stdlib_executor], ids=["Pool", "ProcessPoolExecutor"])
def test_traced_records_tasks_run_by_the_standard_library(make_pool, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the trace keeps its file
    barrier = multiprocessing.get_context("fork").Barrier(2)
    with minimp.trace() as t:
        with make_pool(barrier) as pool:
            results = list(pool.map(minimp.traced(meet_then_square), range(6)))
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith("minimp-trace-")] != []
        assert t.tasks == []  # read back when the with block ends

    assert [value for value, _ in results] == [x * x for x in range(6)]
    pid_of = {f"({x},)": pid for x, (_, pid) in enumerate(results)}
    assert len(t.tasks) == 6
    assert sorted(r.args for r in t.tasks) == sorted(pid_of)
    for record in t.tasks:
        assert record.pid == pid_of[record.args]
        assert (record.function, record.status, record.error) == ("meet_then_square", "ok", None)
        assert record.submitted is None  # the standard library does not say
        assert t.started <= record.started <= record.finished <= t.finished
    # The ids number the tasks in the order they started; the lanes, the workers in
    # the order they first started one.
    assert [r.id for r in sorted(t.tasks, key=lambda r: r.started)] == [1, 2, 3, 4, 5, 6]
    first_start = {}
    for record in sorted(t.tasks, key=lambda r: r.started):
        first_start.setdefault(record.pid, len(first_start))
        assert record.worker == first_start[record.pid]
    assert sorted(first_start.values()) == [0, 1]
    assert [p for p in tmp_path.iterdir() if p.name.startswith("minimp-trace-")] == []  # removed


def test_an_exception_in_a_traced_task_is_recorded_as_an_error():
    with minimp.trace() as t:
        with multiprocessing.get_context("fork").Pool(1) as pool:
            with pytest.raises(ValueError, match="bad input 3"):  # the caller still gets it
                pool.map(minimp.traced(fail_on_3), [1, 3])
    by_args = {r.args: r for r in t.tasks}
    assert (by_args["(1,)"].status, by_args["(1,)"].error) == ("ok", None)
    assert (by_args["(3,)"].status, by_args["(3,)"].error) == ("error", "ValueError: bad input 3")


def test_traced_needs_a_trace_and_a_callable():
    with pytest.raises(RuntimeError, match=r"call it inside `with minimp.trace\(\):`"):
        minimp.traced(square)
    with pytest.raises(TypeError, match="traced\\(\\) needs a callable, not int"):
        minimp.traced(42)
    with minimp.trace():
        with pytest.raises(TypeError, match="not str"):
            minimp.traced("square")


@pytest.mark.timeout(60)
def test_a_workers_start_up_never_ends_before_it_began():
    # A forked worker can say Ready before the parent's start() returns: the
    # pool must note the start before it starts the process, not after.
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # output copied by threads, as in a notebook
        for _ in range(20):
            with minimp.trace() as t:
                with minimp.get_context("fork").Pool(2) as pool:
                    pool.map(abs, [-1, -2], chunksize=1)
            assert all(w.ready is None or w.ready >= w.started for w in t.workers), t.workers
