"""How many file descriptors does one object cost, in minimp and in the standard library?

Run from the repository root (`make bench` does the same)::

    .venv/bin/python bench/bench_fds.py

For each kind of object, the script counts this process's open descriptors
(/proc/self/fd), makes 100 objects of that kind with each library, keeps them
alive, counts again, and prints the difference divided by 100: what one
object costs. (Shared pieces made once, such as minimp's shared-memory arena
or the standard library's resource tracker, are made before the counting.)
Then it says how many Queues and how many Values fit under a soft limit of
1024 descriptors, with the descriptors a Python process has open anyway.

Linux only: it reads /proc/self/fd.
"""

import gc
import multiprocessing
import os
import sys

N = 100
LIMIT = 1024

KINDS = {
    "Lock": lambda mp: mp.Lock(),
    "RLock": lambda mp: mp.RLock(),
    "Semaphore": lambda mp: mp.Semaphore(2),
    "Event": lambda mp: mp.Event(),
    "Condition": lambda mp: mp.Condition(),
    "Value": lambda mp: mp.Value("i", 0),
    "Array": lambda mp: mp.Array("d", 10),
    "RawValue": lambda mp: mp.RawValue("i", 0),
    "RawArray": lambda mp: mp.RawArray("d", 10),
    "Queue": lambda mp: mp.Queue(),
    "Queue(maxsize=10)": lambda mp: mp.Queue(10),
    "JoinableQueue": lambda mp: mp.JoinableQueue(),
    "SimpleQueue": lambda mp: mp.SimpleQueue(),
    "Pipe": lambda mp: mp.Pipe(),
}


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def cost(mp, make) -> float:
    """Descriptors per object: the open count before and after making N of them, kept alive."""
    gc.collect()
    before = open_fds()
    objects = [make(mp) for _ in range(N)]
    after = open_fds()
    del objects
    gc.collect()
    return (after - before) / N


def fit(per_object: float, baseline: int) -> str:
    return "any number" if per_object == 0 else str(int((LIMIT - baseline) // per_object))


def main() -> int:
    import minimp
    import minimp.runtime.arena

    stdlib = multiprocessing.get_context("fork")
    minimp.runtime.arena.current_arena()  # made once per process: not any one object's cost
    stdlib.Queue().put(None)  # the stdlib's feeder thread machinery, made once
    baseline = open_fds()

    row = "{:<20} {:>8} {:>8}"
    print(f"descriptors per object, measured over {N} objects (Python {sys.version.split()[0]}, {sys.platform})")
    print()
    print(row.format("object", "stdlib", "minimp"))
    print(row.format("-" * 20, "-" * 8, "-" * 8))
    costs = {}
    for kind, make in KINDS.items():
        costs[kind] = (cost(stdlib, make), cost(minimp, make))
        print(row.format(kind, f"{costs[kind][0]:g}", f"{costs[kind][1]:g}"), flush=True)
    print()
    print(f"under a soft limit of {LIMIT} descriptors, with the {baseline} this process has open anyway:")
    for kind in ("Queue", "Value", "Lock"):
        theirs, ours = costs[kind]
        print(f"  {kind}s that fit: stdlib {fit(theirs, baseline)}, minimp {fit(ours, baseline)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
