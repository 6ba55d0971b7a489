"""minimp's extras warn once (runtime/extras.py), told as small stories.

Each extra is a name minimp runs that the standard library refuses: the
first story checks that, with the standard library as the oracle. Then, on
minimp: the first use of each extra warns, naming the portable spelling, at
the line of the code that used it (this file, not a module of minimp); a
second use is silent; one `simplefilter` line silences them all; minimp's
own reads of an extra attribute and minimp's own features never warn.

The test suite ignores MinimpExtraWarning (pyproject.toml), so that tests
that use extras on purpose stay quiet; `pytest.warns` sees it all the same.
"""

import multiprocessing
import sys
import warnings

import pytest

import minimp
import minimp.runtime.extras as extras

pytestmark = pytest.mark.timeout(60)


def square(x):
    return x * x


@pytest.fixture
def fresh(monkeypatch):
    """A process in which no extra has warned yet."""
    monkeypatch.setattr(extras, "_warned", set())
    monkeypatch.delitem(vars(minimp), "ProcessPoolExecutor", raising=False)  # looked up anew (PEP 562)


# Each extra, used as a learner would, on a Pool `pool` of the library `lib`.
USES = {
    "minimp.ProcessPoolExecutor": lambda lib, pool: lib.ProcessPoolExecutor,
    "Pool.submit()": lambda lib, pool: pool.submit(square, 3).result(),
    "AsyncResult.id": lambda lib, pool: pool.apply_async(square, (3,)).id,
    "Future.id": lambda lib, pool: minimp_future(pool).id,
    "imap iterator .id": lambda lib, pool: pool.imap(square, [1]).id,
    "progress=": lambda lib, pool: pool.map(square, [1, 2], progress=True),
    "Pool.imap(buffersize=)": lambda lib, pool: list(pool.imap(square, [1, 2], buffersize=2)),
}
PORTABLE = {  # a piece of the portable spelling each warning names
    "minimp.ProcessPoolExecutor": "from concurrent.futures import ProcessPoolExecutor",
    "Pool.submit()": "pool.apply_async(f, args)",
    "AsyncResult.id": "keep your own label",
    "Future.id": "keep your own label",
    "imap iterator .id": "keep your own label",
    "progress=": "tqdm.tqdm(pool.imap(f, items)",
    "Pool.imap(buffersize=)": "itertools.islice",
}


def minimp_future(pool):
    """A Future of minimp's (from submit), made without counting as the learner's use of submit."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", minimp.MinimpExtraWarning)
        return pool.submit(square, 3)


def test_every_extra_has_a_use_and_a_portable_spelling():
    assert set(USES) == set(extras.EXTRAS) == set(PORTABLE)


@pytest.mark.parametrize("name", [n for n in USES if n not in ("Future.id",)])
def test_the_standard_library_refuses_each_extra(name):
    """The oracle: each is an AttributeError or TypeError on multiprocessing (Future.id: below)."""
    if name == "Pool.imap(buffersize=)" and sys.version_info >= (3, 16):
        pytest.skip("Python 3.16's Pool.imap takes buffersize=")
    std = multiprocessing.get_context("fork")
    with std.Pool(1) as pool:
        with pytest.raises((AttributeError, TypeError)):
            USES[name](std, pool)
        pool.close()
        pool.join()


def test_a_concurrent_futures_future_has_no_id():
    import concurrent.futures

    with pytest.raises(AttributeError):
        concurrent.futures.Future().id


@pytest.mark.parametrize("name", list(USES))
def test_the_first_use_warns_at_your_line_and_names_the_portable_spelling(fresh, name):
    with minimp.Pool(1) as pool:
        with pytest.warns(minimp.MinimpExtraWarning) as warned:
            USES[name](minimp, pool)
        mine = [w for w in warned if w.category is minimp.MinimpExtraWarning]
        assert len(mine) == 1, [str(w.message) for w in mine]
        assert str(mine[0].message).startswith(f"{name} is minimp's: ")
        assert PORTABLE[name] in str(mine[0].message)
        assert mine[0].filename == __file__  # the line that used it, not one inside minimp
        with warnings.catch_warnings(record=True) as again:
            warnings.simplefilter("always")
            USES[name](minimp, pool)
        assert [str(w.message) for w in again if w.category is minimp.MinimpExtraWarning] == []


def test_one_line_silences_every_extra(fresh):
    with minimp.Pool(1) as pool, warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        warnings.simplefilter("ignore", minimp.MinimpExtraWarning)  # the line a chapter adds
        for use in USES.values():
            use(minimp, pool)
    assert [str(w.message) for w in seen if w.category is minimp.MinimpExtraWarning] == []


def test_minimps_own_uses_and_features_stay_silent(fresh):
    """A repr or a wait reads the id inside minimp; trace, the errors, interrupt() are minimp's features
    (or Python 3.14's): none of them warns."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with minimp.trace() as t, minimp.Pool(1) as pool:
            result = pool.apply_async(square, (3,))
            assert result.get(timeout=10) == 9 and "id=" in repr(result)
            assert list(pool.imap(square, [1, 2])) == [1, 4]
            assert pool.map(square, [1, 2]) == [1, 4]
        assert len(t.tasks) == 5
        assert issubclass(minimp.WorkerDiedError, Exception)
        child = minimp.Process(target=square, args=(1,))
        child.start()
        child.join(10)
        assert child.exitcode == 0
    assert [str(w.message) for w in seen if w.category is minimp.MinimpExtraWarning] == []
