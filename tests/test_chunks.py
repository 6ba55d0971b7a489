"""A traced chunk of a map (pools/chunks.py): which task the worker's slot names while each
runs, and the times, read at some boundaries and interpolated in between."""

import pickle
from types import SimpleNamespace

from minimp.pools import chunks
from minimp.pools.chunks import Stamps
from minimp.pools.failures import crashed_task
from minimp.pools.worker import Job
from minimp.runtime.sharedctypes import RawArray


def test_stamps_give_the_times_read_and_interpolate_between_them():
    stamps = Stamps([0, 1, 2, 66, 100], [10.0, 10.5, 11.0, 43.0, 60.0])
    assert len(stamps) == 101  # boundaries 0..100: the chunk had 100 tasks
    assert (stamps[0], stamps[1], stamps[66], stamps[100], stamps[-1]) == (10.0, 10.5, 43.0, 60.0, 60.0)
    assert stamps[34] == 27.0  # halfway from 2 to 66
    assert stamps[83] == 51.5
    times = [stamps[i] for i in range(101)]
    assert times == sorted(times) and list(stamps) == times  # one pass gives the very same numbers


def test_stamps_travel_in_a_pickle():
    stamps = Stamps([0, 64, 65], [1.0, 2.0, 3.0])
    again = pickle.loads(pickle.dumps(stamps))
    assert [again[i] for i in range(66)] == [stamps[i] for i in range(66)]


# -- run_timed_chunk in this process: what a worker does with a traced chunk ----------------------

FIRST = 1000  # the id of the chunk's first task
running = RawArray("q", 1)
noted = {}


def note_running(x):
    """A task that looks at its own slot, as the pool would if the worker died now."""
    noted[x] = running[0]
    if x == 50:
        raise ValueError("bad input 50")
    return x


def job(size):
    return Job(1, b"", FIRST, list(range(size)), False, {}, frozenset(), True)


def test_tiny_tasks_are_noted_one_by_one_then_in_groups_of_64(monkeypatch):
    monkeypatch.setattr(chunks, "TINY", 1.0)  # every task counts as tiny, however busy the machine
    noted.clear()
    results, failures, times = chunks.run_timed_chunk(note_running, job(100), running, 0)
    assert results == [None if x == 50 else x for x in range(100)] and list(failures) == [50]
    assert str(failures[50]) == "bad input 50"
    assert [noted[x] for x in (0, 15)] == [FIRST, FIRST + 15]  # the first 16: each task's own id
    assert {noted[x] for x in range(16, 51)} == {-(FIRST + 16)}  # a group, by its first task
    assert {noted[x] for x in range(51, 100)} == {-(FIRST + 51)}  # after the failure, a new group
    assert isinstance(times, chunks.Stamps) and times.at == [*range(17), 51, 100]  # read after each, then per group
    assert running[0] == 0  # done: no task runs


def test_tasks_that_are_not_tiny_are_each_noted_and_timed(monkeypatch):
    monkeypatch.setattr(chunks, "TINY", 0.0)  # no task is tiny
    noted.clear()
    results, failures, times = chunks.run_timed_chunk(note_running, job(100), running, 0)
    assert [noted[x] for x in range(100)] == [FIRST + x for x in range(100)]
    assert type(times) is list and len(times) == 101 and times == sorted(times)
    assert list(failures) == [50] and results[49] == 49


def test_a_crash_in_a_group_names_the_groups_items():
    chunk = SimpleNamespace(first_task=FIRST, size=100, start=200, call=SimpleNamespace(label="map(f)"))
    assert crashed_task(-(FIRST + 16), chunk) == "one of items 216-279 of map(f)"
    assert crashed_task(-(FIRST + 80), chunk) == "one of items 280-299 of map(f)"  # the last group is short
    assert crashed_task(0, chunk) == "one of items 200-299 of map(f)"  # untraced: the whole chunk
