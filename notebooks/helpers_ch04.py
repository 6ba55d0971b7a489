"""Functions that chapter 4's standard-library children run.

A child that the standard library spawns finds its function by name, in a
module it can import: this file, next to the notebook. (minimp's children
receive the notebook's own functions by value, so they need no such file.)
Each function here is the twin of one defined in the notebook.
"""

import time


def at_the_start_line(ready, start):
    """Say "I am here" on the `ready` queue, then wait for the `start` event."""
    ready.put(None)
    start.wait()


def add_many_locked(counter, n, ready, start):
    """Add 1 to the shared counter n times, each time holding its lock."""
    at_the_start_line(ready, start)
    for _ in range(n):
        with counter.get_lock():
            counter.value += 1


def nap(seconds):
    """The work done inside the limited section: a nap."""
    time.sleep(seconds)


def limited(slots, inside, seconds, ready, start):
    """Run `inside(seconds)` while holding one of the semaphore's `slots`."""
    at_the_start_line(ready, start)
    with slots:
        inside(seconds)


def put_square(args):
    """A pool's task: put i * i on the queue q."""
    q, i = args
    q.put(i * i)


def record(args):
    """A pool's task: store i * i under the key i of the shared dict d."""
    d, i = args
    d[i] = i * i


def take_and_exit(lock):
    """Take `lock` and end the process at once: no release, no cleanup (section 7)."""
    import os

    lock.acquire()
    os._exit(0)
