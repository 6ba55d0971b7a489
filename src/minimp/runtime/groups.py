"""Process groups: a pool's worker and every process it starts, ended together.

A task may start processes of its own (`subprocess.Popen(["sleep", "60"])`, a
Pool of its own). Signalling the worker alone would leave those *grandchildren*
running, reparented to init, with no one to stop them: the standard library's
`Pool.terminate()` does just that. Unix has the tool for "a process and all it
started": the *process group*. Every process belongs to one, named by a pid; a
child starts in its parent's. A worker makes its own, led by itself, before it
runs a task::

    parent (pool)                 group of the parent (a terminal's Ctrl-C goes here)
    ├─ worker 4242  ──────────────┐ group 4242: setpgid(0, 0)
    │   └─ sleep 60 (a task's)    │   inherited: in group 4242 too
    └─ worker 4243  ──────────────┘ group 4243
    killpg(4242, SIGTERM): the worker and its sleep, in one system call

The pool signals the group where it would signal the worker (terminate, an
interrupt, a crash that leaves orphans); a worker whose parent died ends its
group as it exits. `Process.terminate()` keeps the standard library's meaning:
one process. (A grandchild that makes a group or a session of its own, as a
daemon does, leaves ours: it asked to.)

A group's id is its leader's pid, and a pid is not reused while a group bears
it: signalling the group of a worker that exited, before it is reaped or while
its descendants live, reaches no stranger.

Read next: `pools/context.py`, the whole API bound to one start method; its pools'
workers lead such groups (`pools/worker.py`).
"""

from __future__ import annotations

import os
import signal
import threading

from .connection import wait
from .process import parent_process

__all__ = ["lead_own_group", "signal_group", "end_own_group", "exit_with_parent"]


def lead_own_group() -> None:
    """Make the calling process the leader of a new group: what it starts joins it."""
    try:
        os.setpgid(0, 0)
    except OSError:  # a session leader cannot; then its group stays its parent's
        pass


def signal_group(pid: int, sig: int = signal.SIGKILL) -> None:
    """Send `sig` to the group led by `pid`: the process and everything it started.
    Nothing happens if there is no such group (it had not made it yet, or all of it is gone)."""
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def end_own_group() -> None:
    """End this process and the group it leads: its parent is gone, no one else will."""
    if os.getpgrp() == os.getpid():  # never a group we do not lead: it would be our parent's
        os.killpg(0, signal.SIGKILL)
    os._exit(1)


def exit_with_parent() -> None:
    """Start a watchdog thread that ends this process, and the group it leads, once its parent has exited."""
    parent = parent_process()

    def watchdog() -> None:
        wait([parent.sentinel])
        end_own_group()

    threading.Thread(target=watchdog, name="minimp-worker-watchdog", daemon=True).start()
