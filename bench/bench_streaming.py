"""Does imap stream? Peak memory of an imap over a long generator, minimp and the standard library.

Run from the repository root (`make bench` runs it last)::

    .venv/bin/python bench/bench_streaming.py            # about half a minute
    .venv/bin/python bench/bench_streaming.py --quick    # fewer items

Each measurement runs in a fresh interpreter of its own, so that its peak
resident memory (`ru_maxrss`) is its own: a pool of 2 workers (fork) maps
`abs` over a generator of N integers with `imap(chunksize=10_000)` while
the caller takes the results one by one (a slow caller too: one that
sleeps a little after each chunk's worth of results, so the pool could
run ahead of it). Printed per library: the time, and the parent's peak
memory above what it used before the map. A pool that reads only what it
can keep busy stays flat as N grows; one that reads ahead of the caller
grows with N.
"""

import json
import subprocess
import sys
import time

CHUNK = 10_000

CHILD = """
import json, resource, sys, time
import multiprocessing, minimp
library, n, slow = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "slow"
lib = minimp if library == "minimp" else multiprocessing
ctx = lib.get_context("fork")
with ctx.Pool(2) as pool:
    pool.map(abs, range(10))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    total = 0
    for index, value in enumerate(pool.imap(abs, iter(range(n)), chunksize=%d)):
        total += value
        if slow and index %% %d == 0:
            time.sleep(0.002)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert total == n * (n - 1) // 2
print(json.dumps({"seconds": seconds, "mib": (peak - before) / 1024}))
""" % (CHUNK, CHUNK)


def measure(library: str, n: int, slow: bool) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, library, str(n), "slow" if slow else "fast"],
                         capture_output=True, text=True, check=True, timeout=600)
    return json.loads(out.stdout)


def main(argv: list[str]) -> int:
    sizes = [200_000, 2_000_000] if "--quick" in argv else [1_000_000, 10_000_000]
    started = time.perf_counter()
    print("imap(abs, generator of N ints, chunksize=10_000) on 2 workers (fork), the caller taking each result")
    print(f"{'N':>12} {'caller':>7} {'library':>8} {'seconds':>8} {'peak MiB above start':>21}")
    for n in sizes:
        for slow in (False, True):
            for library in ("stdlib", "minimp"):
                row = measure(library, n, slow)
                print(f"{n:>12,} {'slow' if slow else 'fast':>7} {library:>8} {row['seconds']:>8.2f} {row['mib']:>21.1f}")
    print(f"\ndone in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
