"""Barrier: wait until `parties` processes have all arrived, then go on together.

    barrier = Barrier(3)                 # in each of three processes:
                                         load_my_part()
                                         barrier.wait()    # the first two sleep here
                                         use_everyones_parts()

The algorithm is `threading.Barrier`'s, unchanged: a Condition, a count of
the arrived, and a state (filling, draining, resetting, broken) that tells a
waiter whether to sleep, go or raise `threading.BrokenBarrierError`. The
threads of one process share those numbers because they share memory;
processes do not. So this Barrier inherits the code and moves only the
state: the Condition is minimp's (conditions.py), and the count and the
state are two C ints in shared memory (sharedctypes.py), read by every
process. That is the whole difference between a thread's Barrier and a
process's, as in `multiprocessing.synchronize.Barrier`.

Limits: like a Condition, a Barrier reaches a child only when the child is
started (an argument of Process or a pool's initializer), not through a
Queue later; an `action` must be picklable to reach a spawned child.

Read next: `runtime/listener.py`, how processes that are not parent and child can talk: managers.
"""

from __future__ import annotations

import threading

from . import serialize
from .conditions import Condition
from .sharedctypes import RawArray
from .synchronize import Lock

__all__ = ["Barrier", "BrokenBarrierError"]

BrokenBarrierError = threading.BrokenBarrierError


class Barrier(threading.Barrier):
    """`parties` processes wait for each other; mirrors `multiprocessing.Barrier`.

    `wait()` returns each waiter a different number from 0 to parties-1;
    the last to arrive runs `action()` first. `abort()` breaks the barrier
    and `reset()` mends it: waiters then get `BrokenBarrierError`.
    """

    def __init__(self, parties: int, action=None, timeout: float | None = None):
        if not isinstance(parties, int) or isinstance(parties, bool):
            raise TypeError(f"Barrier(parties={parties!r}): parties must be an int, not {type(parties).__name__}")
        if parties < 1:
            raise ValueError(f"Barrier(parties={parties}): parties must be at least 1")
        if action is not None and not callable(action):
            raise TypeError(f"Barrier(action={action!r}): action must be callable or None")
        # threading.Barrier.__init__ would make a thread's Condition; set its fields instead.
        self._cond = Condition(Lock())
        self._action, self._timeout, self._parties = action, timeout, parties
        self._shared = RawArray("i", 2)  # [state, count], both 0: filling, nobody in

    # threading.Barrier reads and writes self._state and self._count:
    # here they are the two shared ints.
    @property
    def _state(self) -> int:
        return self._shared[0]

    @_state.setter
    def _state(self, value: int) -> None:
        self._shared[0] = value

    @property
    def _count(self) -> int:
        return self._shared[1]

    @_count.setter
    def _count(self, value: int) -> None:
        self._shared[1] = value

    def __getstate__(self) -> dict:
        serialize.assert_spawning("Barrier")
        return self.__dict__

    def __repr__(self) -> str:
        state = "broken" if self.broken else f"waiters={self.n_waiting}/{self.parties}"
        return f"<{type(self).__name__} at {id(self):#x}: {state}>"
