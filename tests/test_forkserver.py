"""The forkserver start method: what forkserver.py promises beyond "a child starts".

Everything a child can be given (queues, locks, shared memory, pools) is tested under
forkserver by the `ctx` fixture of the other test files. Here: who really forks the child,
that the server can be reached by nobody else, exit codes reported by the server, descriptors
renumbered, preloaded modules, and the server's own end (stopped, killed, or its parent gone).
"""

import os
import signal
import sys
import textwrap
import threading
import time

import pytest

import minimp
from minimp.runtime import forkserver
from programs import SRC, run_program

WAIT = 30  # seconds: "for ever", so a bug fails a test instead of hanging it
ctx = minimp.get_context("forkserver")


def run(target, *args):
    p = ctx.Process(target=target, args=args)
    p.start()
    p.join(WAIT)
    return p


def tell_family(queue):
    queue.put((os.getppid(), minimp.parent_process().pid, threading.active_count()))


def test_the_server_forks_the_child_and_the_parent_stays_its_parent():
    queue = ctx.Queue()
    p = run(tell_family, queue)
    real_parent, minimp_parent, threads = queue.get(timeout=WAIT)
    assert p.exitcode == 0
    assert real_parent == forkserver._server.pid != os.getpid()  # forked by the server...
    assert minimp_parent == os.getpid()  # ...yet the child's parent is the process that started it
    assert threads == 1  # forked from a single thread: no lock of another thread came along


def test_the_server_has_one_thread_and_no_socket_anyone_could_connect_to():
    pid = forkserver._server.pid
    assert len(os.listdir(f"/proc/{pid}/task")) == 1
    inodes = {os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] for fd in os.listdir(f"/proc/{pid}/fd")
              if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")}
    assert inodes, "the server holds its end of the socket pair"
    with open("/proc/net/unix") as table:  # Num RefCount Protocol Flags Type St Inode [Path]
        rows = {row.split()[6]: row.split() for row in list(table)[1:]}
    for inode in inodes:
        flags, path = int(rows[inode][3], 16), rows[inode][7:]
        assert not flags & 0x10000, "a listening socket (__SO_ACCEPTCON)"
        assert not path, f"a socket with an address: {path}"


@pytest.mark.parametrize("target, args, exitcode", [
    (time.sleep, (0,), 0), (os._exit, (7,), 7), (sys.exit, ("bye",), 1), (divmod, (1, 0), 1),
])  # fmt: skip
def test_the_server_reports_each_exit_code(target, args, exitcode, capfd):
    p = run(target, *args)
    assert p.exitcode == exitcode
    assert minimp.connection.wait([p.sentinel], timeout=0) == [p.sentinel]


def test_a_signal_reaches_the_child_and_its_exit_code_says_so():
    p = ctx.Process(target=time.sleep, args=(WAIT,))
    p.start()
    assert p.is_alive()
    p.kill()
    p.join(WAIT)
    assert p.exitcode == -signal.SIGKILL
    p.kill()  # once reported, never signalled again: the pid may be somebody else's


def echo_through(pipes):
    for reader, writer in pipes:
        writer.send(reader.recv() * 2)


def test_many_descriptors_arrive_under_the_numbers_the_pickle_names():
    # Each Pipe is two descriptors, pickled by number; the server receives them under other
    # numbers and the child moves each back to the parent's (forkserver._renumber).
    pipes = [(minimp.Pipe(duplex=False), minimp.Pipe(duplex=False)) for _ in range(12)]
    p = ctx.Process(target=echo_through, args=([(to_child[0], from_child[1]) for to_child, from_child in pipes],))
    p.start()
    for i, (to_child, from_child) in enumerate(pipes):
        to_child[1].send(i)
        assert from_child[0].recv() == 2 * i
    p.join(WAIT)
    assert p.exitcode == 0
    for pair in pipes:
        for connection in (*pair[0], *pair[1]):
            connection.close()


def test_threads_may_start_children_at_the_same_time():
    queue, results = ctx.Queue(), []

    def start_five():
        for _ in range(5):
            results.append(run(queue.put, threading.get_ident()).exitcode)

    threads = [threading.Thread(target=start_five) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    assert results == [0] * 30
    assert sorted(queue.get(timeout=WAIT) for _ in range(30)) == sorted(t.ident for t in threads for _ in range(5))


def test_an_unpicklable_argument_fails_in_the_caller_naming_the_method():
    with pytest.raises(TypeError, match=r"cannot start ForkServerProcess-\d+ with the forkserver start method: "
                                        r"args\[0\] \(<unlocked _thread.lock"):
        ctx.Process(target=print, args=(threading.Lock(),)).start()


def test_a_function_defined_in_the_main_program_works_as_under_spawn(tmp_path):
    # As in a notebook: the function exists only in __main__, which the server never imported.
    result = run_program(textwrap.dedent("""
        import minimp
        square = lambda x: x * x
        if __name__ == "__main__":
            with minimp.get_context("forkserver").Pool(2) as pool:
                print(pool.map(square, range(5)))
    """), tmp_path, timeout=WAIT)
    assert result[:2] == (0, "[0, 1, 4, 9, 16]\n"), result


PRELOAD = """
    import os, sys, minimp
    from minimp.runtime import forkserver

    def report(queue):
        queue.put(("colorsys" in sys.modules, os.getppid()))

    if __name__ == "__main__":
        minimp.set_forkserver_preload(["colorsys"])
        ctx = minimp.get_context("forkserver")
        queue = ctx.Queue()
        p = ctx.Process(target=report, args=(queue,))
        p.start()
        preloaded, server = queue.get(timeout=30)
        p.join()
        print(preloaded, "colorsys" in sys.modules, server == forkserver._server.pid)
        forkserver.stop()
        print(os.path.exists(f"/proc/{server}"))
"""


def test_preloaded_modules_are_imported_once_by_the_server_and_stop_ends_it(tmp_path):
    result = run_program(textwrap.dedent(PRELOAD), tmp_path, timeout=WAIT)
    assert result[:2] == (0, "True False True\nFalse\n"), result


def test_preload_wants_a_list_of_module_names():
    with pytest.raises(TypeError, match=r"set_forkserver_preload\('numpy'\): expected a list of module names"):
        minimp.set_forkserver_preload("numpy")
    with pytest.raises(TypeError, match="expected a list of module names"):
        minimp.set_forkserver_preload([3])


SERVER_KILLED = """
    import os, signal, time, minimp
    from minimp.runtime import forkserver

    if __name__ == "__main__":
        ctx = minimp.get_context("forkserver")
        sleeper = ctx.Process(target=time.sleep, args=(30,))
        sleeper.start()
        first = forkserver._server.pid
        os.kill(first, signal.SIGKILL)
        sleeper.join(10)
        print(sleeper.exitcode)  # its exit code died with the server: 255, as in the standard library
        os.kill(sleeper.pid, signal.SIGKILL)
        p = ctx.Process(target=os._exit, args=(3,))  # a new server starts
        p.start()
        p.join()
        print(p.exitcode, forkserver._server.pid != first)
"""


def test_a_killed_server_is_replaced_at_the_next_start(tmp_path):
    result = run_program(textwrap.dedent(SERVER_KILLED), tmp_path, timeout=WAIT)
    assert result[:2] == (0, "255\n3 True\n"), result


PARENT_GOES = """
    import os, sys, time, minimp
    from minimp.runtime import forkserver

    if __name__ == "__main__":
        p = minimp.get_context("forkserver").Process(target=time.sleep, args=(0,))
        p.start()
        p.join()
        print(forkserver._server.pid, flush=True)
        if sys.argv[1:] == ["killed"]:
            os._exit(0)  # no clean-up at all: as if killed
"""


@pytest.mark.parametrize("how", ["exits", "killed"])
def test_the_server_ends_with_its_parent(tmp_path, how):
    (tmp_path / "program.py").write_text(textwrap.dedent(PARENT_GOES))
    import subprocess
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    run = subprocess.run([sys.executable, "program.py", how], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=WAIT)
    assert run.returncode == 0, run.stderr
    server = int(run.stdout)
    deadline = time.monotonic() + 5
    while not gone(server) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert gone(server), "the server outlived its parent"


def gone(pid):
    """Exited: no such process, or a zombie its new parent has not reaped yet."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


AT_EXIT = """
    import threading, time, warnings, minimp
    warnings.simplefilter("default")  # show ResourceWarnings, which Python hides by default

    def nap(queue, seconds):
        time.sleep(seconds)
        queue.put(seconds)

    if __name__ == "__main__":
        ctx = minimp.get_context("forkserver")
        queue = ctx.Queue()
        ctx.Process(target=nap, args=(queue, 0.3)).start()  # never joined: the exit joins it
        ctx.Process(target=nap, args=(queue, 30), daemon=True).start()  # the exit terminates it
        print("bye")
"""


def test_at_exit_the_children_are_joined_first_then_the_server_stops_cleanly(tmp_path):
    result = run_program(textwrap.dedent(AT_EXIT), tmp_path, timeout=WAIT)
    assert result[:2] == (0, "bye\n"), result
    assert "Warning" not in result[2] and "Traceback" not in result[2], result[2]


def test_threads_that_poll_and_join_one_child_agree_on_its_exit_code():
    p = ctx.Process(target=os._exit, args=(5,))
    p.start()
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(p._child.wait())) for _ in range(3)]
    threads += [threading.Thread(target=lambda: [p._child.poll() for _ in range(200)]) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    p.join(WAIT)
    assert seen == [5, 5, 5] and p.exitcode == 5
