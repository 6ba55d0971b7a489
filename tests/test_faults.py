"""Fault tests: children that crash, die, ignore signals, or lose their parent."""

import os
import signal
import threading
import time

import pytest

import minimp

pytestmark = pytest.mark.fault


def segfault():
    import ctypes
    import faulthandler

    faulthandler.disable()  # pytest's handler would print a stack dump
    ctypes.string_at(0)  # read address 0: the kernel sends SIGSEGV


def ignore_sigterm_and_sleep(ready):
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ready.set()
    time.sleep(60)


def sleep_forever():
    time.sleep(60)


def test_a_crashing_child_reports_the_signal(ctx):
    p = ctx.Process(target=segfault)
    p.start()
    p.join()
    assert p.exitcode == -signal.SIGSEGV


def test_terminate_can_be_ignored_but_kill_cannot(ctx):
    ready = ctx.Event()
    p = ctx.Process(target=ignore_sigterm_and_sleep, args=(ready,))
    p.start()
    assert ready.wait(20)
    p.terminate()
    p.join(timeout=0.3)
    assert p.is_alive()
    p.kill()
    p.join()
    assert p.exitcode == -signal.SIGKILL


def test_interrupting_join_raises_keyboard_interrupt_promptly(ctx):
    p = ctx.Process(target=sleep_forever)
    p.start()
    threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT)).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        p.join()
    assert time.monotonic() - started < 5
    p.kill()
    p.join()


def watch_parent(report):
    """Grandchild: wait until our parent dies, then say so."""
    minimp.parent_process().join(timeout=30)
    report.put(("parent gone", minimp.parent_process().is_alive()))


def start_watcher_and_sleep(report):
    watcher = minimp.Process(target=watch_parent, args=(report,))
    watcher.start()
    report.put(watcher.pid)
    time.sleep(60)


def test_a_child_sees_its_parent_die(ctx):
    report = ctx.Queue()
    middle = ctx.Process(target=start_watcher_and_sleep, args=(report,))
    middle.start()
    watcher_pid = report.get(timeout=20)
    middle.kill()  # no goodbye: the kernel closes its end of the alive pipe
    middle.join()
    assert report.get(timeout=10) == ("parent gone", False)
    _wait_until_gone(watcher_pid)


def _wait_until_gone(pid, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{pid}/stat") as f:
                if f.read().split()[2] == "Z":
                    return
        except FileNotFoundError:
            return
        time.sleep(0.02)
    raise AssertionError(f"process {pid} is still running")


def exit_without_flushing():
    print("buffered but never flushed", end="")
    os._exit(3)


def test_os_exit_skips_cleanup_as_documented(ctx, capsys):
    # os._exit ends the process at once: Python's buffers are not flushed.
    p = ctx.Process(target=exit_without_flushing)
    p.start()
    p.join()
    assert p.exitcode == 3
