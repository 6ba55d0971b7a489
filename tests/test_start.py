"""Start methods and contexts: choosing fork or spawn, as multiprocessing does."""

import os
import subprocess
import sys
import textwrap

import pytest

import minimp
from minimp.runtime import start


@pytest.fixture
def fresh_start_method(monkeypatch):
    """Each test starts as a new program would: no start method chosen yet."""
    monkeypatch.setattr(start, "_method", None)


def test_the_default_is_the_platforms(fresh_start_method):
    assert minimp.get_start_method(allow_none=True) is None
    expected = "fork" if sys.version_info < (3, 14) else "forkserver"
    assert minimp.get_start_method() == expected
    assert minimp.get_all_start_methods()[0] == expected
    assert sorted(minimp.get_all_start_methods()) == ["fork", "forkserver", "spawn"]


@pytest.mark.parametrize("version, platform, expected", [
    ((3, 13, 0), "linux", "fork"), ((3, 14, 0), "linux", "forkserver"), ((3, 14, 0), "darwin", "spawn"),
])  # fmt: skip
def test_the_default_follows_the_standard_librarys_by_version(fresh_start_method, monkeypatch, version, platform,
                                                              expected):
    monkeypatch.setattr(sys, "version_info", version)
    monkeypatch.setattr(sys, "platform", platform)
    assert minimp.get_start_method() == expected


def test_set_start_method_once(fresh_start_method):
    minimp.set_start_method("spawn")
    assert minimp.get_start_method() == "spawn"
    with pytest.raises(RuntimeError, match="context has already been set"):
        minimp.set_start_method("fork")
    minimp.set_start_method("fork", force=True)
    assert minimp.get_start_method() == "fork"
    minimp.set_start_method(None, force=True)
    assert minimp.get_start_method(allow_none=True) is None


def test_the_first_get_fixes_the_default_as_in_the_standard_library(fresh_start_method):
    minimp.get_start_method()
    with pytest.raises(RuntimeError, match="context has already been set"):
        minimp.set_start_method("spawn")


def test_unknown_methods_are_refused_with_the_choices():
    with pytest.raises(ValueError, match="cannot find context for 'threads': minimp offers 'fork', 'spawn' and "
                                         "'forkserver'"):
        minimp.get_context("threads")


def test_forkserver_is_refused_where_descriptors_cannot_be_passed(monkeypatch, fresh_start_method):
    import socket
    monkeypatch.delattr(socket, "send_fds")
    with pytest.raises(ValueError, match="'forkserver': it passes descriptors with socket.send_fds, which this "
                                         "platform lacks; use 'spawn'"):
        minimp.set_start_method("forkserver")
    with pytest.raises(ValueError, match="send_fds"):
        minimp.get_context("forkserver")


def test_a_context_binds_the_start_method(fresh_start_method):
    minimp.set_start_method("fork")
    spawn = minimp.get_context("spawn")
    assert spawn.get_start_method() == "spawn"
    assert issubclass(spawn.Process, minimp.Process)
    assert spawn.Process._start_method == "spawn"
    assert minimp.get_context().get_start_method() == "fork"
    assert minimp.get_context("fork") is minimp.get_context()
    with pytest.raises(ValueError, match="cannot set start method of concrete context"):
        spawn.set_start_method("fork")


def test_a_context_offers_the_same_api_as_the_module():
    ctx = minimp.get_context("spawn")
    for name in ["Queue", "JoinableQueue", "SimpleQueue", "Lock", "RLock", "Semaphore", "BoundedSemaphore",
                 "Event", "Condition", "Barrier", "Pipe", "Value", "Array", "RawValue", "RawArray", "cpu_count",
                 "current_process", "parent_process", "active_children", "set_executable",
                 "set_forkserver_preload"]:  # fmt: skip
        assert getattr(ctx, name) is getattr(minimp, name) or getattr(ctx, name) == getattr(minimp, name), name
    left, right = ctx.Pipe(duplex=False)
    right.send("through a context's pipe")
    assert left.recv() == "through a context's pipe"
    left.close()
    right.close()


def test_import_minimp_as_multiprocessing_offers_every_public_name():
    import multiprocessing
    import multiprocessing.connection  # submodules: only there once imported
    import multiprocessing.managers

    # What minimp offers beyond the standard library's module (README, "Where minimp differs").
    extras = {"ProcessPoolExecutor", "LockOwnerDiedError", "CallCancelledError", "MinimpExtraWarning", "trace", "traced", "mark", "RemoteTraceback", "TaskExitError",
              "WorkerDiedError", "WorkerStartError", "PoolTerminatedError", "ManagerGoneError", "live_timeline",
              "widgets"}  # fmt: skip
    for name in minimp.__all__:
        assert name in dir(minimp), name
        assert getattr(minimp, name) is not None, name
        assert hasattr(multiprocessing, name) or name in extras, f"{name} is not a multiprocessing name"
    with pytest.raises(AttributeError, match="module 'minimp' has no attribute 'allow_connection_pickling'"):
        minimp.allow_connection_pickling


def report_minimp_modules(connection):
    connection.send(sorted(name for name in sys.modules if name.startswith("minimp")))


def test_a_spawned_child_imports_only_what_a_process_needs():
    # Importing minimp is lazy (see __init__.py): a spawned child whose
    # process uses no queue, lock or shared memory never imports them, and
    # so starts faster.
    reader, writer = minimp.Pipe(duplex=False)
    p = minimp.get_context("spawn").Process(target=report_minimp_modules, args=(writer,))
    p.start()
    writer.close()
    modules = reader.recv()
    p.join(10)
    reader.close()

    assert p.exitcode == 0
    assert {"minimp.runtime.process", "minimp.runtime.start", "minimp.runtime.connection"} <= set(modules)
    assert not {"minimp.pools.context", "minimp.runtime.queues", "minimp.runtime.synchronize", "minimp.runtime.sharedctypes"} & set(modules)


def test_set_executable_chooses_the_python_that_spawn_starts(tmp_path):
    marker = tmp_path / "ran"
    python = tmp_path / "python-for-children"
    python.write_text(f'#!/bin/sh\necho "$@" >> "{marker}"\nexec "{sys.executable}" "$@"\n')
    python.chmod(0o755)
    minimp.set_executable(str(python))  # as in multiprocessing: a path, str or bytes or os.PathLike
    try:
        child = minimp.get_context("spawn").Process(target=report_start_method, args=(minimp.SimpleQueue(),))
        child.start()
        child.join(30)
    finally:
        minimp.set_executable(None)  # None: sys.executable again
    assert child.exitcode == 0
    assert "spawn_child" in marker.read_text()  # the child was started through our wrapper


def test_set_executable_refuses_what_is_not_a_path():
    with pytest.raises(TypeError, match=r"set_executable\(42\): the executable must be a path or None"):
        minimp.set_executable(42)
    assert start._executable is None


def report_start_method(queue):
    queue.put(minimp.get_start_method())


def test_a_child_uses_the_method_it_was_started_with(ctx):
    queue = ctx.Queue()
    p = ctx.Process(target=report_start_method, args=(queue,))
    p.start()
    assert queue.get(timeout=10) == ctx.get_start_method()
    p.join()


def run_script(code: str) -> subprocess.CompletedProcess:
    """Run `code` as a fresh program: its functions live in __main__."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=os.path.dirname(__file__),
    )


@pytest.mark.timeout(90)
def test_functions_defined_in_main_work_under_spawn():
    # The standard library fails here: the spawned child cannot find
    # `square` in its own __main__. minimp sends it by value.
    program = """
        import minimp

        def square(x, queue):
            queue.put(x * x)

        if __name__ == "__main__":
            ctx = minimp.get_context("spawn")
            queue = ctx.Queue()
            p = ctx.Process(target=square, args=(7, queue))
            p.start()
            p.join()
            print(p.exitcode)
            if p.exitcode == 0:
                print(queue.get(timeout=10))
    """
    result = run_script(program)
    assert (result.stdout, result.returncode) == ("0\n49\n", 0), result.stderr
    stdlib = run_script(program.replace("import minimp", "import multiprocessing as minimp"))
    assert "Can't get attribute 'square' on <module '__main__'" in stdlib.stderr


@pytest.mark.timeout(90)
def test_a_spawned_child_does_not_rerun_the_main_script():
    # No `if __name__ == "__main__":` guard: the standard library's spawned
    # child re-imports the script and fails; minimp's never runs it again.
    result = run_script(
        """
        import minimp
        print("top of the script")

        def hello():
            print("hello from the child")

        p = minimp.get_context("spawn").Process(target=hello)
        p.start()
        p.join()
        print("exit code", p.exitcode)
        """
    )
    assert result.stdout == "top of the script\nhello from the child\nexit code 0\n", result.stderr
