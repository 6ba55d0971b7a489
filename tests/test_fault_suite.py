"""The fault suite: each case of faultcases.py, run on minimp and on the standard library.

One test per case. It runs the case twice, each in a fresh process with a
timeout (faultrunner.py): once on minimp, once on `multiprocessing` (unless
the case means nothing there). The two runs go at the same time, so a
standard-library hang costs no more than the minimp run beside it. The test
then asserts what minimp must do:

- it never hangs, and leaves no process behind;
- its outcome matches the case's regular expression (the error and message a
  user reads, or the value returned);
- where the case says the standard library is EQUAL, the standard library's
  outcome has the same shape (kind, and exception type or value), so that the
  claim "equal" can fail.

Otherwise the standard library's outcome is only recorded. The summary at the
end of the run (conftest.py) sets the two side by side, case by case.

Several cases run at once: a dispatcher (faultrunner.serve) starts the runs of
this file's selected tests, in their order, JOBS at a time, before the tests
ask for them; most runs of the standard library wait out a hang, and cost no
CPU while they do. (Under pytest-xdist this wants `--dist loadfile`, as `make
test` and `make quick` use: a worker given only some of this file's tests
would still run every case of it.)

    python tests/faultrunner.py pool_map_worker_killed stdlib     # one case, one library, by hand
"""

import json
import re

import pytest

import faultrunner
from faultcases import CASES
from faultrunner import Outcome

pytestmark = pytest.mark.fault

JOBS = 6  # runs at once: most of the standard library's wait out their timeout, idle
SLACK = 20.0  # seconds a test may wait for its runs beyond their timeouts: queueing, GRACE, a busy machine


def timeouts(case) -> dict[str, float]:
    """Each library's run of `case` and its timeout (none for the standard library where it is n/a)."""
    runs = {"minimp": faultrunner.TIMEOUT}
    if case.stdlib.claim != "na":
        runs["stdlib"] = faultrunner.HANG_TIMEOUT if case.stdlib.hangs else faultrunner.TIMEOUT
    return runs


def params():
    for case in CASES.values():
        marks = [pytest.mark.timeout(max(timeouts(case).values()) + faultrunner.GRACE + SLACK + 10)]
        if case.bug:
            marks.append(pytest.mark.xfail(strict=True, reason=f"minimp bug: {case.bug}"))
        yield pytest.param(case.name, id=case.name, marks=marks)


@pytest.fixture(scope="module")
def dispatcher(request):
    """Start every run this file's selected tests will ask for, in their order."""
    names = [item.callspec.params["name"] for item in request.session.items
             if item.getparent(pytest.Module) is request.node and hasattr(item, "callspec")]  # fmt: skip
    dispatcher = faultrunner.Dispatcher(JOBS)
    for name in names:
        for library, timeout in timeouts(CASES[name]).items():
            dispatcher.ask(f"{name} {library}", name, library, CASES[name].method, timeout)
    yield dispatcher
    dispatcher.close()


def verdict(case, minimp: Outcome, stdlib: Outcome | None) -> str:
    """minimp beside the standard library, in two words."""
    if stdlib is None:
        return "stdlib n/a"
    if stdlib.shape == minimp.shape and not stdlib.left_behind and not minimp.left_behind:
        return "equal"
    return {"safer": "minimp safer", "clearer": "minimp clearer"}.get(case.stdlib.claim, "differs")


@pytest.mark.parametrize("name", list(params()))
def test_fault_case(name, dispatcher, record_property):
    case = CASES[name]
    wait = max(timeouts(case).values()) + faultrunner.GRACE + SLACK
    outcomes = {library: dispatcher.outcome(f"{name} {library}", wait) for library in timeouts(case)}
    minimp, stdlib = outcomes["minimp"], outcomes.get("stdlib")
    record_property("fault_case", json.dumps({
        "case": name, "index": list(CASES).index(name), "method": case.method,
        "minimp": json.loads(minimp.to_json()), "stdlib": stdlib and json.loads(stdlib.to_json()),
        "claim": case.stdlib.claim, "why": case.stdlib.why, "verdict": verdict(case, minimp, stdlib),
        "bug": case.bug,
    }))  # fmt: skip

    seen = f"{case.doc}\nminimp: {minimp}\n{minimp.output}"
    assert minimp.kind != "hang", f"minimp hung: {seen}"
    assert not minimp.left_behind, f"minimp left processes behind: {minimp.left_behind}\n{seen}"
    assert re.match(case.minimp, str(minimp)), f"expected /{case.minimp}/\n{seen}"
    if case.stdlib.claim == "equal":
        assert not stdlib.left_behind, f"the standard library left {stdlib.left_behind}"
        assert stdlib.shape == minimp.shape, f"not equal: stdlib {stdlib}, minimp {minimp}\n{stdlib.output}"
