"""What the leak check counts with (tests/conftest.py's no_leaks, and the soak): this process's
children, its open file descriptors, and the forkserver that is the whole run's, not a test's.

A module of its own, not conftest.py: `from conftest import ...` would find whichever
conftest.py pytest imported last (notebooks/ has one too)."""

import os
import time

import minimp.runtime.forkserver


def os_children() -> set[int]:
    """The pids of this process's children, zombies included (Linux /proc)."""
    pids = set()
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children") as f:
                pids.update(int(pid) for pid in f.read().split())
        except FileNotFoundError:  # the thread ended meanwhile
            pass
    return pids


def open_fds() -> set[int]:
    return {int(fd) for fd in os.listdir("/proc/self/fd")}


def _wait_for(condition, timeout=3.0):
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def the_forkserver() -> tuple[set[int], set[int]]:
    """The forkserver's pid and our socket to it: the run's one server (started by conftest.py, or
    again by a test that stopped it) is not a test's leak."""
    server, socket = minimp.runtime.forkserver._server, minimp.runtime.forkserver._socket
    return ({server.pid} if server else set()), ({socket.fileno()} if socket else set())
