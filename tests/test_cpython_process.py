"""CPython's own Process tests (test._test_multiprocessing's _TestProcess and
_TestSubclassingProcess), run against minimp under fork (tests/cpython_suite.py).

All of them run as they are: CPython itself skips its forkserver tests and
test_child_fd_inflation under fork.
"""

import multiprocessing.process
import unittest

import pytest

import minimp
import minimp.runtime.start
from cpython_suite import MinimpProcessesMixin, cpython_tests, fork, minimp_as_multiprocessing

pytestmark = [pytest.mark.timeout(60),
              pytest.mark.skipif(cpython_tests is None, reason="this Python has no test suite")]


@pytest.fixture
def cpython_tests_on_minimp(monkeypatch):
    monkeypatch.setattr(cpython_tests, "multiprocessing", minimp_as_multiprocessing)
    # Run in a forked child, `from multiprocessing.process import parent_process` must find minimp's.
    monkeypatch.setattr(multiprocessing.process, "parent_process", minimp.parent_process)
    # _UpperCaser subclasses multiprocessing.Process: the same class on minimp's Process.
    monkeypatch.setattr(cpython_tests, "_UpperCaser", type("_UpperCaser", (fork.Process,), {
        key: value for key, value in vars(cpython_tests._UpperCaser).items() if key not in ("__dict__", "__weakref__")
    }))
    monkeypatch.setattr(minimp.runtime.start, "_executable", minimp.runtime.start._executable)  # set_executable()


if cpython_tests is not None:

    @pytest.mark.usefixtures("cpython_tests_on_minimp")
    class TestCPythonProcessTestsOnMinimp(MinimpProcessesMixin, cpython_tests._TestProcess, unittest.TestCase):
        pass

    @pytest.mark.usefixtures("cpython_tests_on_minimp")
    class TestCPythonSubclassingProcessTestsOnMinimp(MinimpProcessesMixin, cpython_tests._TestSubclassingProcess,
                                                     unittest.TestCase):
        pass
