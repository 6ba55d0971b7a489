"""Run one fault case (faultcases.py) in a fresh Python process, and say what became of it.

A fault case may hang for ever, kill its own process, or leave processes
running that no one will stop. So it never runs in the test's process: each
run is a new `python` of its own, in a *session* of its own
(`start_new_session=True`), so that everything it starts — workers,
grandchildren, a manager, a forkserver — can be found afterwards by its
session id in /proc, whatever process group it moved to::

    run_case("pool_map_worker_killed", "stdlib", "fork")
      └─ python -c CHILD ...      session S (S is its pid): runs the case, writes outcome.json
           ├─ pool worker         still in session S, whatever its group
           │    └─ sleep 60       S too
           ...
    after it returns: anything still in S after GRACE seconds is "left behind",
    and is killed; after `timeout` seconds it is a "hang": all of S is killed.

An outcome is one of

    returned <repr>                  the case's function returned
    raised <Type>: <message>         it raised (BaseException too)
    hang                             the timeout passed; "hang at exit, after ..." if the
                                     case had returned but its interpreter never exited
    died <how>                       the case's own process died without an outcome

plus the processes it left behind (their pids and command lines), the time it
took, and the last lines it printed. Nothing this module starts outlives it:
`run_case` kills what is left in the session before it returns; `serve` (the
dispatcher that test_fault_suite.py uses to run several cases at once) kills
every run it has in flight when its stdin closes; and a case whose runner is
killed ends its own session (`end_with_the_runner`).

    python tests/faultrunner.py CASE [minimp|stdlib] [METHOD]    # one run, printed
"""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

TESTS = Path(__file__).resolve().parent
SRC = TESTS.parent / "src"

HANG_TIMEOUT = 4.0  # seconds, for a run expected to hang: it costs this much each time
TIMEOUT = 12.0  # seconds, for a run expected to end (two noisy cores, several runs at once)
GRACE = 2.0  # seconds for what a case started to exit after the case returned (a watchdog's poll)

# What the new process runs: the case, then the interpreter's own exit (atexit handlers,
# non-daemon children joined), which is part of what a user meets.
CHILD = "import sys, faultrunner; faultrunner.child_main(*sys.argv[1:])"


@dataclass
class Outcome:
    """What became of one run of a case."""

    kind: str  # "returned", "raised", "hang" or "died"
    detail: str = ""  # the repr returned; "Type: message" raised; how it died; for a hang, what came first
    elapsed: float = 0.0  # seconds, from the start of the process to its end (or to the timeout)
    left_behind: list[str] = field(default_factory=list)  # "pid command line" of each process left, killed
    output: str = ""  # the last lines the run printed (stdout and stderr), to see why

    def __str__(self) -> str:
        text = f"{self.kind} {self.detail}".rstrip()
        if self.left_behind:
            text += f"; left processes behind ({len(self.left_behind)})"
        return text

    @property
    def shape(self) -> tuple:
        """What a user must see alike for two outcomes to be "equal": the kind, and the type
        raised or the value returned (not a message, which names pids and differs in wording)."""
        if self.kind == "raised":
            return "raised", self.detail.split(":", 1)[0]
        if self.kind == "hang":
            return ("hang",)
        return self.kind, self.detail

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> Outcome:
        return cls(**json.loads(text))


# -- the parent's half: start the run, wait, classify, clean up -------------------------------------


def run_case(name: str, library: str, method: str, timeout: float = TIMEOUT) -> Outcome:
    """Run case `name` against `library` ("minimp" or "stdlib") under start method `method`."""
    path = [str(SRC), str(TESTS), *filter(None, [os.environ.get("PYTHONPATH")])]  # minimp, and the cases
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path))
    env.pop("PYTEST_CURRENT_TEST", None)
    with tempfile.TemporaryDirectory(prefix="faultcase-") as scratch:
        # Its temporary files too (a killed stdlib run leaves its pymp-* folder): gone with the scratch.
        env["TMPDIR"] = scratch
        outcome_file, log_file = Path(scratch, "outcome.json"), Path(scratch, "output.txt")
        # Output goes to a file, not a pipe: a process left behind would hold a pipe open,
        # and reading it to the end would wait for that process.
        with open(log_file, "wb") as log:
            started = time.monotonic()
            case = subprocess.Popen([sys.executable, "-c", CHILD, name, library, method, str(outcome_file)],
                                    cwd=scratch, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
        _running.add(case.pid)
        try:
            hung = not exits_within(case.pid, timeout)
            elapsed = time.monotonic() - started
            left = [] if hung else wait_for_session_to_empty(case.pid, GRACE)
        finally:
            end_session(case.pid)  # the whole session, the case's own process first
            case.wait()  # reaped only now: until then its pid, the session's id, was no one else's
            _running.discard(case.pid)
        output = last_lines(log_file)
        returned = json.loads(outcome_file.read_text()) if outcome_file.exists() else None
    if hung:
        first = f"at exit, after {returned['kind']} {returned['detail']}" if returned else ""
        return Outcome("hang", first, elapsed, [], output)
    if returned is None:
        how = (f"killed by signal {signal.Signals(-case.returncode).name}" if case.returncode < 0
               else f"exited with code {case.returncode}")  # fmt: skip
        return Outcome("died", how, elapsed, left, output)
    return Outcome(returned["kind"], returned["detail"], elapsed, left, output)


def exits_within(pid: int, timeout: float) -> bool:
    """Wait up to `timeout` seconds for child `pid` to exit, without reaping it.

    A reaped pid may be given to a new process (pid_max is often 32768), and one that makes a
    session or a group of its own, as the next case does, would then bear our session's id:
    until `run_case` has ended the session, its leader stays a zombie that keeps the number.
    """
    pidfd = os.pidfd_open(pid)  # readable once the process has exited (Linux 5.3)
    try:
        return bool(select.select([pidfd], [], [], timeout)[0])
    finally:
        os.close(pidfd)


def session_members(session: int) -> dict[int, str]:
    """The live processes of `session` (zombies are not: they have ended), and their command lines."""
    members = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                state, _ppid, _group, sid = stat.read().rsplit(")", 1)[1].split()[:4]
            if int(sid) != session or state == "Z":
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                members[int(entry)] = cmdline.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except (FileNotFoundError, ProcessLookupError, ValueError):  # it ended while we looked
            pass
    return members


def wait_for_session_to_empty(session: int, grace: float) -> list[str]:
    """Give what the case started `grace` seconds to exit; return "pid command" of each that did not."""
    deadline = time.monotonic() + grace
    while (members := session_members(session)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return [f"{pid} {command}" for pid, command in sorted(members.items())]


def end_session(session: int) -> None:
    """SIGKILL every process of `session`, until none is left (one may fork while we kill)."""
    for _ in range(100):
        try:
            os.killpg(session, signal.SIGKILL)  # the case's own group, in one call
        except (ProcessLookupError, PermissionError):
            pass
        members = session_members(session)
        if not members:
            return
        for pid in members:  # the others: pool workers lead groups of their own
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.02)
    raise RuntimeError(f"could not end session {session}: {session_members(session)}")


def last_lines(path: Path, count: int = 15) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-count:])


# -- the child's half: run the case, write what it did ------------------------------------------


def child_main(name: str, library: str, method: str, outcome_path: str) -> None:
    """In the new process: run the case and write its outcome, then exit as a program does."""
    import importlib

    import faultcases

    case = faultcases.CASES[name]
    mp = importlib.import_module("minimp" if library == "minimp" else "multiprocessing")
    end_with_the_runner()
    try:
        value = case.run(mp, method)
        outcome = {"kind": "returned", "detail": shorten(repr(value))}
    except BaseException as error:  # noqa: B036 - SystemExit and KeyboardInterrupt are outcomes too
        outcome = {"kind": "raised", "detail": shorten(f"{type(error).__name__}: {error}")}
    partial = Path(outcome_path + ".partial")
    partial.write_text(json.dumps(outcome))
    partial.rename(outcome_path)  # all at once: a run killed while writing leaves no half outcome
    sys.stdout.flush()


def end_with_the_runner() -> None:
    """If the runner dies (killed, not ended by its stdin), end this case's whole session too:
    nothing else would ever stop a case that hangs. A daemon thread, asleep on a pidfd."""
    try:
        runner = os.pidfd_open(os.getppid())
    except OSError:  # the runner is gone already
        end_session(os.getsid(0))
        return

    def watch():
        select.select([runner], [], [])
        end_session(os.getsid(0))

    threading.Thread(target=watch, name="faultrunner-watchdog", daemon=True).start()


def shorten(text: str, limit: int = 600) -> str:
    text = " ".join(text.split())  # one line
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- several runs at once: the dispatcher -----------------------------------------------------------

_running: set[int] = set()  # the sessions of the runs in flight, to end if the dispatcher must stop


def serve(jobs: int) -> None:
    """Run the runs asked on stdin, `jobs` at a time, in the order asked; answer on stdout.

    Each request is a JSON line [key, case, library, method, timeout]; each answer is a
    JSON line [key, outcome] written as the run ends. A test process cannot start the runs
    itself ahead of time: they would be its children while another test runs, and that
    test's leak check would blame it for them. They are this process's children instead.
    When stdin closes (the tests are done, or their process died), every run still in
    flight is ended and this process exits.
    """
    answers, stopping = threading.Lock(), threading.Event()

    def run(key, name, library, method, timeout):
        if stopping.is_set():
            return
        try:
            outcome = run_case(name, library, method, timeout)
        except Exception as error:  # noqa: BLE001 - say what broke, rather than never answer
            outcome = Outcome("died", f"the runner failed: {type(error).__name__}: {error}")
        with answers:
            print(json.dumps([key, outcome.to_json()]), flush=True)

    runner = ThreadPoolExecutor(jobs, thread_name_prefix="fault-run")
    for line in sys.stdin:
        runner.submit(run, *json.loads(line))
    stopping.set()
    runner.shutdown(wait=False, cancel_futures=True)
    while _running:  # end the runs in flight; their threads then see them exit
        for session in list(_running):
            end_session(session)
        time.sleep(0.05)
    runner.shutdown(wait=True)


class Dispatcher:
    """The tests' end of `serve`: ask for runs now, wait for each outcome later."""

    def __init__(self, jobs: int):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(TESTS), *filter(None, [os.environ.get("PYTHONPATH")])]))
        self._process = subprocess.Popen([sys.executable, "-c", f"import faultrunner; faultrunner.serve({jobs})"],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
        self._outcomes: dict[str, Outcome] = {}
        self._arrived = threading.Condition()
        self._reader = threading.Thread(target=self._read, name="fault-dispatcher-reader", daemon=True)
        self._reader.start()

    def ask(self, key: str, name: str, library: str, method: str, timeout: float) -> None:
        self._process.stdin.write(json.dumps([key, name, library, method, timeout]) + "\n")
        self._process.stdin.flush()

    def outcome(self, key: str, timeout: float) -> Outcome:
        with self._arrived:
            if not self._arrived.wait_for(lambda: key in self._outcomes or not self._reader.is_alive(), timeout):
                raise TimeoutError(f"no outcome for {key} within {timeout} s")
            if key not in self._outcomes:
                raise RuntimeError(f"the dispatcher ended (exit code {self._process.poll()}) before {key}")
            return self._outcomes.pop(key)

    def _read(self) -> None:
        for line in self._process.stdout:
            key, outcome = json.loads(line)
            with self._arrived:
                self._outcomes[key] = Outcome.from_json(outcome)
                self._arrived.notify_all()
        with self._arrived:
            self._arrived.notify_all()

    def close(self) -> None:
        self._process.stdin.close()  # the dispatcher ends what is in flight, and exits
        self._process.wait()
        self._reader.join()
        self._process.stdout.close()


if __name__ == "__main__":
    sys.path.insert(0, str(TESTS))
    import faultcases

    case_name, library, method = [*sys.argv[1:], "", ""][:3]
    result = run_case(case_name, library or "minimp", method or faultcases.CASES[case_name].method)
    print(f"{library or 'minimp'}: {result}  ({result.elapsed:.2f} s)")
    for process in result.left_behind:
        print(f"  left: {process}")
    if result.output:
        print("  output:\n    " + result.output.replace("\n", "\n    "))
