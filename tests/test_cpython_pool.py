"""CPython's own Pool tests (test._test_multiprocessing's _TestPool: map, imap,
imap_unordered, apply, async, terminate, the context manager...; and
_TestPoolWorkerErrors, _TestPoolWorkerLifetime), run against minimp's Pool
under fork (tests/cpython_suite.py). _TestPool's class-wide pool is started
before the conftest's leak check first counts the children, so its four
workers are no test's leak. SKIPS says what minimp's Pool does not do, and why.
"""

import unittest

import pytest

from cpython_suite import MinimpProcessesMixin, cpython_tests, minimp_as_multiprocessing, skipping

pytestmark = [pytest.mark.timeout(60),
              pytest.mark.skipif(cpython_tests is None, reason="this Python has no test suite")]

SKIPS = {
    "_TestPool": {
        "test_imap_handle_iterable_exception": "minimp's imap yields every result before the iterable's error "
                                               "(streaming.py); the stdlib's loses the chunk that the error cut short",
        "test_make_pool": "counts the workers in the stdlib's private Pool._pool",
        "test_resource_warning": "sets the stdlib's private Pool._state to fake a running pool (minimp's own "
                                 "ResourceWarning on a dropped pool: test_nothing_left.py)",
    },
    "_TestPoolWorkerErrors": {
        "test_unpickleable_result": "minimp pickles by value (cloudpickle): a lambda result travels, and a result "
                                    "that cannot be pickled fails with TypeError, not MaybeEncodingError",
    },
    "_TestPoolWorkerLifetime": {
        "test_pool_worker_lifetime": "reads the stdlib's private Pool._pool and calls _repopulate_pool()",
        "test_worker_finalization_via_atexit_handler_of_multiprocessing":
            "its program imports the stdlib's Pool, not minimp's (test_pool.py's "
            "test_a_program_ends_even_if_it_does_not_join_its_pool tells minimp's)",
    },
}


@pytest.fixture
def cpython_tests_on_minimp(monkeypatch):
    monkeypatch.setattr(cpython_tests, "multiprocessing", minimp_as_multiprocessing)


if cpython_tests is not None:

    @skipping(SKIPS["_TestPool"])
    @pytest.mark.usefixtures("cpython_tests_on_minimp")
    class TestCPythonPoolTestsOnMinimp(MinimpProcessesMixin, cpython_tests._TestPool, unittest.TestCase):
        pass

    @skipping(SKIPS["_TestPoolWorkerErrors"])
    @pytest.mark.usefixtures("cpython_tests_on_minimp")
    class TestCPythonPoolWorkerErrorsOnMinimp(MinimpProcessesMixin, cpython_tests._TestPoolWorkerErrors,
                                              unittest.TestCase):
        pass

    @skipping(SKIPS["_TestPoolWorkerLifetime"])
    @pytest.mark.usefixtures("cpython_tests_on_minimp")
    class TestCPythonPoolWorkerLifetimeOnMinimp(MinimpProcessesMixin, cpython_tests._TestPoolWorkerLifetime,
                                                unittest.TestCase):
        pass
