"""How much does replacing a worker cost? `maxtasksperchild`, next to the standard library.

Run from the repository root (`make bench` runs it after bench_pool.py)::

    .venv/bin/python bench/bench_replace.py            # about a minute
    .venv/bin/python bench/bench_replace.py --quick    # a rough look

`Pool(2, maxtasksperchild=1).map(tiny, range(n), chunksize=1)`: every task
gets a fresh worker, so the figure is the time to retire a worker and start
the next, n times, on 2 places. Each round makes a new pool (its start is
inside the clock, as it is for a user), under fork (n = 100) and spawn
(n = 20); medians of interleaved rounds.

ratio = the standard library's median / minimp's: above 1 means minimp is faster.
"""

import multiprocessing
import statistics
import sys
import time

import _targets

ROUNDS, QUICK_ROUNDS = 5, 3
WORKERS = 2


def replace_all(library, method, n):
    began = time.perf_counter()
    with library.get_context(method).Pool(WORKERS, maxtasksperchild=1) as pool:
        assert pool.map(_targets.tiny, range(n), chunksize=1) == [_targets.tiny(i) for i in range(n)]
    return time.perf_counter() - began


def main(argv=None) -> int:
    import argparse

    import minimp

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    rounds = QUICK_ROUNDS if args.quick else ROUNDS
    libraries = {"stdlib": multiprocessing, "minimp": minimp}
    print(f"maxtasksperchild=1, {WORKERS} workers: medians of {rounds} interleaved rounds")
    print(f"Python {sys.version.split()[0]}, {minimp.cpu_count()} usable CPUs, {sys.platform}\n")
    row = "{:<36} {:>10} {:>10} {:>8}"
    print(row.format("benchmark", "stdlib", "minimp", "ratio"))
    for method, n in (("fork", 100), ("spawn", 20)):
        times = {name: [] for name in libraries}
        for round_number in range(rounds):
            order = list(libraries) if round_number % 2 == 0 else list(reversed(libraries))
            for name in order:
                times[name].append(replace_all(libraries[name], method, n))
        medians = {name: statistics.median(samples) for name, samples in times.items()}
        print(row.format(f"{n} tasks, a worker each, {method} (s)", f"{medians['stdlib']:.3f}",
                         f"{medians['minimp']:.3f}", f"{medians['stdlib'] / medians['minimp']:.2f}x"), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
