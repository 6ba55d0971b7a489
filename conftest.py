"""How the tests are shared out when they run in parallel.

`make test` runs pytest on two pytest-xdist workers, a file at a time
(`-n 2 --dist loadfile`): a worker runs all of a file's tests, in order, in
one process, and takes the next file when it is nearly done. So a chapter's
cells (nbval) run in order in one kernel, as before, and so do a test
module's tests, with its module-scoped fixtures built once. Each worker is a
process of its own: the leak check of tests/conftest.py still sees only the
children and file descriptors of the test it wraps. The `wheel_python`
fixture is built once for both workers (tests/conftest.py).

The files are handed out in the order pytest collects them, except that the
long ones come first, so that none is the last file left while the other
worker has nothing to do: a file whose every test runs in the wheel's
environment (the browser test, which runs every chapter in JupyterLab, for
minutes), and the soak (tests/test_soak.py, marked `soak`), which runs for a
minute. Without xdist (plain `pytest`), nothing here applies.

Every test that uses the wheel's environment is also marked `wheel`, so
that `make quick` can leave them out, with the soak and the fault tests
(`-m "not wheel and not soak and not fault"`, and only the fork variants).
"""

import pytest


def _uses_the_wheel(item: pytest.Item) -> bool:
    return "wheel_python" in getattr(item, "fixturenames", ())


def _is_the_soak(item: pytest.Item) -> bool:
    return item.get_closest_marker("soak") is not None


def pytest_itemcollected(item):
    if _uses_the_wheel(item):
        item.add_marker(pytest.mark.wheel)


@pytest.hookimpl(trylast=True)  # the order, once every other hook has chosen the tests
def pytest_collection_modifyitems(config, items):
    if not getattr(config, "workerinput", None):  # not one of xdist's workers
        return
    files = {item.path for item in items}
    all_in_the_wheel = files - {item.path for item in items if not _uses_the_wheel(item)}
    soak = {item.path for item in items if _is_the_soak(item)}
    first = all_in_the_wheel | soak
    items.sort(key=lambda item: item.path not in first)  # a stable sort: each file keeps its order
