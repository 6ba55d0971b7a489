"""Process: start, join, exit codes, names, daemons, and the errors users make."""

import os
import signal
import sys
import threading
import time

import pytest

import minimp
import minimp.runtime.process
from minimp.runtime.connection import wait


def do_nothing():
    pass


def ignore(*args):
    pass


def exit_with(code):
    sys.exit(code)


def raise_value_error():
    raise ValueError("something went wrong in the child")


def sleep_for(seconds):
    time.sleep(seconds)


def hard_exit(code):
    os._exit(code)


def report_identity(queue):
    me = minimp.current_process()
    parent = minimp.parent_process()
    queue.put((me.name, me.pid, os.getpid(), me.daemon, parent.name, parent.pid, parent.is_alive()))


def start_grandchild(queue):
    child = minimp.Process(target=report_identity, args=(queue,))
    child.start()
    child.join()


class Counter(minimp.Process):
    """A Process subclass with its own run()."""

    def __init__(self, queue, n):
        super().__init__()
        self.queue = queue
        self.n = n

    def run(self):
        for i in range(self.n):
            self.queue.put(i)


# -- starting and joining ------------------------------------------------------------


def test_a_child_runs_the_target_with_args_and_kwargs(ctx):
    queue = ctx.Queue()
    p = ctx.Process(target=queue.put, args=("hello",), kwargs={"block": True})
    p.start()
    assert queue.get(timeout=10) == "hello"
    p.join()
    assert p.exitcode == 0
    assert not p.is_alive()


def test_before_start_there_is_no_pid_and_no_exitcode(ctx):
    p = ctx.Process(target=do_nothing)
    assert p.pid is None and p.exitcode is None and not p.is_alive()
    p.start()
    assert isinstance(p.pid, int) and p.pid != os.getpid()
    p.join()
    assert p.exitcode == 0


def test_join_with_timeout_returns_while_the_child_still_runs(ctx):
    p = ctx.Process(target=sleep_for, args=(30,))
    p.start()
    started = time.monotonic()
    p.join(timeout=0.2)
    assert 0.15 < time.monotonic() - started < 5
    assert p.is_alive() and p.exitcode is None
    p.terminate()
    p.join()


def test_a_subclass_runs_its_own_run_method(ctx):
    process = minimp.runtime.process
    class_for_method = {"fork": process.ForkProcess, "spawn": process.SpawnProcess,
                        "forkserver": process.ForkServerProcess}
    assert ctx.Process is class_for_method[ctx.get_start_method()]
    queue = ctx.Queue()
    p = Counter(queue, 3)
    p._start_method = ctx.get_start_method()
    p.start()
    p.join()
    assert [queue.get(timeout=5) for _ in range(3)] == [0, 1, 2]
    assert p.name.startswith("Counter-")


def test_the_sentinel_becomes_ready_when_the_child_exits(ctx):
    slow, quick = ctx.Process(target=sleep_for, args=(30,)), ctx.Process(target=do_nothing)
    slow.start()
    quick.start()
    assert wait([slow.sentinel, quick.sentinel], timeout=10) == [quick.sentinel]
    quick.join()
    slow.kill()
    slow.join()


# -- exit codes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target, args, expected",
    [
        (do_nothing, (), 0),
        (exit_with, (42,), 42),
        (exit_with, (None,), 0),
        (hard_exit, (7,), 7),
    ],
)
def test_exit_codes(ctx, target, args, expected):
    p = ctx.Process(target=target, args=args)
    p.start()
    p.join()
    assert p.exitcode == expected


def test_an_exception_gives_exit_code_1_and_a_traceback_on_stderr(ctx, capfd):
    p = ctx.Process(target=raise_value_error, name="Failing")
    p.start()
    p.join()
    assert p.exitcode == 1
    err = capfd.readouterr().err
    assert err.startswith("Process Failing:\nTraceback (most recent call last):")
    assert "in raise_value_error" in err
    assert err.rstrip().endswith("ValueError: something went wrong in the child")


def test_sys_exit_with_a_message_prints_it_and_gives_1(ctx, capfd):
    p = ctx.Process(target=exit_with, args=("bye",))
    p.start()
    p.join()
    assert p.exitcode == 1
    assert capfd.readouterr().err == "bye\n"


@pytest.mark.parametrize("stop, signum", [("terminate", signal.SIGTERM), ("kill", signal.SIGKILL)])
def test_a_signal_gives_minus_the_signal_number(ctx, stop, signum):
    p = ctx.Process(target=sleep_for, args=(30,))
    p.start()
    getattr(p, stop)()
    p.join()
    assert p.exitcode == -signum
    assert f"exitcode=-{signum.name}" in repr(p)


def test_exit_codes_match_the_standard_library(mp):
    results = []
    for target, args in [(do_nothing, ()), (exit_with, (3,)), (raise_value_error, ()), (hard_exit, (5,))]:
        p = mp.Process(target=target, args=args)
        p.start()
        p.join()
        results.append(p.exitcode)
    assert results == [0, 3, 1, 5]


# -- who am I --------------------------------------------------------------------------


def test_the_main_process_knows_itself():
    me = minimp.current_process()
    assert me.name == "MainProcess" and me.pid == os.getpid() and me.is_alive()
    assert minimp.parent_process() is None


def test_a_child_knows_itself_and_its_parent(ctx):
    queue = ctx.Queue()
    p = ctx.Process(target=report_identity, args=(queue,), name="Worker")
    p.start()
    name, pid, real_pid, daemon, parent_name, parent_pid, parent_alive = queue.get(timeout=10)
    p.join()
    assert (name, pid, real_pid, daemon) == ("Worker", p.pid, p.pid, False)
    assert (parent_name, parent_pid, parent_alive) == ("MainProcess", os.getpid(), True)


def report_main_thread_native_id(queue):
    queue.put((threading.main_thread().native_id, threading.get_native_id()))


def test_a_childs_main_thread_has_its_own_native_id_not_its_parents(mp):
    # A forked child's main thread is a copy of the parent's Thread object, native id and all.
    queue = mp.Queue()
    p = mp.Process(target=report_main_thread_native_id, args=(queue,))
    p.start()
    cached, real = queue.get(timeout=10)
    p.join()
    assert cached == real != threading.main_thread().native_id


def test_a_grandchild_is_named_after_its_parent(ctx):
    queue = ctx.Queue()
    p = ctx.Process(target=start_grandchild, args=(queue,))
    p.start()
    name, _, _, _, parent_name, parent_pid, _ = queue.get(timeout=20)
    p.join()
    number = p.name.split("-")[1]
    assert name == f"Process-{number}:1"
    assert parent_name == p.name and parent_pid == p.pid


def test_default_names_count_up():
    first, second = minimp.Process(target=do_nothing), minimp.Process(target=do_nothing)
    n = int(first.name.split("-")[1])
    assert second.name == f"Process-{n + 1}"


def test_active_children_lists_running_children_only(ctx):
    p = ctx.Process(target=sleep_for, args=(30,))
    p.start()
    assert p in minimp.active_children()
    p.terminate()
    p.join()
    assert p not in minimp.active_children()


# -- daemons ---------------------------------------------------------------------------


def start_a_child():
    minimp.Process(target=do_nothing).start()


def test_a_daemon_may_not_start_children(ctx, capfd):
    p = ctx.Process(target=start_a_child, daemon=True)
    p.start()
    p.join()
    assert p.exitcode == 1
    assert "AssertionError: daemonic processes are not allowed to have children" in capfd.readouterr().err


def test_daemon_children_are_terminated_when_their_parent_exits(ctx):
    queue = ctx.Queue()
    p = ctx.Process(target=start_daemon_and_exit, args=(queue,))
    p.start()
    daemon_pid = queue.get(timeout=20)
    p.join()
    assert p.exitcode == 0
    # The daemon was our grandchild, so we cannot wait for it; it is gone
    # once its parent has exited.
    deadline = time.monotonic() + 5
    while _exists(daemon_pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _exists(daemon_pid)


def start_daemon_and_exit(queue):
    d = minimp.Process(target=sleep_for, args=(60,), daemon=True)
    d.start()
    queue.put(d.pid)


def _exists(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def test_daemon_flag_cannot_change_after_start(ctx):
    p = ctx.Process(target=do_nothing)
    p.daemon = True
    p.start()
    with pytest.raises(AssertionError, match="process has already started"):
        p.daemon = False
    p.join()


# -- errors users make -----------------------------------------------------------------


def test_starting_twice_is_refused(mp):
    p = mp.Process(target=do_nothing)
    p.start()
    with pytest.raises(AssertionError, match="cannot start a process twice"):
        p.start()
    p.join()


def test_joining_before_start_is_refused(mp):
    with pytest.raises(AssertionError, match="can only join a started process"):
        mp.Process(target=do_nothing).join()


def test_a_process_cannot_join_itself(mp):
    with pytest.raises(AssertionError, match="can only join a child process"):
        mp.current_process().join()


def test_a_target_that_is_not_callable_is_refused_at_once():
    # The standard library accepts it and the child fails later with exit code 1.
    with pytest.raises(TypeError, match=r"Process\(target=42\): target must be callable"):
        minimp.Process(target=42)
    with pytest.raises(TypeError, match="got str"):
        minimp.Process(target="do_nothing")


def test_group_must_be_none(mp):
    with pytest.raises(AssertionError, match="group argument must be None"):
        mp.Process(group="g", target=do_nothing)


def test_close_refuses_a_running_process_and_closes_a_finished_one(mp):
    p = mp.Process(target=sleep_for, args=(30,))
    p.start()
    with pytest.raises(ValueError, match="Cannot close a process while it is still running"):
        p.close()
    p.kill()
    p.join()
    p.close()
    for use in (lambda: p.exitcode, lambda: p.pid, p.is_alive, p.join, p.start, p.terminate):
        with pytest.raises(ValueError, match="process object is closed"):
            use()


def test_sentinel_before_start_is_an_error(mp):
    with pytest.raises(ValueError, match="process not started"):
        mp.Process(target=do_nothing).sentinel


def test_terminate_before_start_says_so():
    with pytest.raises(AssertionError, match="call start\\(\\) first"):
        minimp.Process(target=do_nothing).terminate()


def test_repr_tells_the_state(ctx):
    p = ctx.Process(target=exit_with, args=(3,), name="Worker")
    assert repr(p).endswith(f"name='Worker' parent={os.getpid()} initial>")
    p.start()
    p.join()
    assert repr(p) == f"<{type(p).__name__} name='Worker' pid={p.pid} parent={os.getpid()} stopped exitcode=3>"


# -- spawn: what travels to the child ---------------------------------------------------


def test_an_unpicklable_argument_fails_in_the_caller_and_names_it():
    import threading

    p = minimp.get_context("spawn").Process(target=do_nothing, args=(1, threading.Lock()))
    with pytest.raises(TypeError, match=r"args\[1\] \(<unlocked _thread.lock.*cannot be pickled"):
        p.start()
    assert minimp.active_children() == []


def test_an_unpicklable_argument_is_fine_under_fork():
    import threading

    p = minimp.get_context("fork").Process(target=ignore, args=(threading.Lock(),))
    p.start()
    p.join()
    assert p.exitcode == 0


def test_a_lambda_target_works_under_spawn(ctx):
    queue = ctx.Queue()
    offset = 10
    p = ctx.Process(target=lambda q: q.put(offset + 1), args=(queue,))
    p.start()
    assert queue.get(timeout=10) == 11
    p.join()


# -- the authkey: the family's secret ------------------------------------------------------


def report_authkeys(queue):
    """Put this process's authkey, and its own child's, on the queue (as plain bytes: an authkey
    refuses to be pickled outside spawning)."""
    queue.put(bytes(minimp.current_process().authkey))
    child = minimp.Process(target=report_authkey, args=(queue,))
    child.start()
    child.join()


def report_authkey(queue):
    queue.put(bytes(minimp.current_process().authkey))


def test_the_main_process_has_a_random_32_byte_authkey(mp):
    key = mp.current_process().authkey
    assert isinstance(key, bytes) and len(key) == 32
    assert key != b"\0" * 32


@pytest.mark.timeout(60)
def test_a_child_and_a_grandchild_inherit_the_authkey(ctx):
    queue = ctx.Queue()
    p = ctx.Process(target=report_authkeys, args=(queue,))
    assert p.authkey == minimp.current_process().authkey  # taken from its creator, at creation
    p.start()
    child, grandchild = queue.get(timeout=20), queue.get(timeout=20)
    p.join()
    assert child == grandchild == minimp.current_process().authkey


@pytest.mark.timeout(60)
def test_an_authkey_set_before_start_reaches_the_child_and_its_children(ctx):
    queue = ctx.Queue()
    p = ctx.Process(target=report_authkeys, args=(queue,))
    p.authkey = b"our secret"
    p.start()
    assert (queue.get(timeout=20), queue.get(timeout=20)) == (b"our secret", b"our secret")
    p.join()
    assert minimp.current_process().authkey != b"our secret"  # the parent's stays its own


def test_an_authkey_must_be_bytes():
    p = minimp.Process(target=do_nothing)
    with pytest.raises(TypeError, match=r"Process-\d+\.authkey = 'secret': an authkey must be bytes, not str; "
                                        r"for a text secret pass its bytes \('my secret'\.encode\(\)\)"):
        p.authkey = "secret"
    p.authkey = b"secret"
    assert p.authkey == b"secret" and type(p.authkey).__name__ == "AuthenticationString"


def test_an_authkey_refuses_to_be_pickled_outside_spawning_as_in_the_standard_library(mp):
    import pickle

    with pytest.raises(TypeError, match="Pickling an AuthenticationString object is disallowed for security reasons"):
        pickle.dumps(mp.current_process().authkey)


def test_an_authkey_cannot_travel_on_a_queue():
    queue = minimp.Queue()
    with pytest.raises(TypeError, match="an authkey travels only to a child being spawned; send bytes"):
        queue.put(minimp.current_process().authkey)
    queue.put(bytes(minimp.current_process().authkey))  # plain bytes can: the sender means it
    assert queue.get(timeout=5) == minimp.current_process().authkey
