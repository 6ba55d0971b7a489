"""minimp's pools next to the pools a user would pick instead: loky and mpire.

Run from the repository root (`make bench` installs the `bench` extra and runs it)::

    .venv/bin/python bench/bench_peers.py            # about a minute
    .venv/bin/python bench/bench_peers.py --quick    # a rough look

Each pool has 2 workers and is used the way its own documentation starts it:

- **minimp**: `minimp.Pool(2)` (fork, the default on Linux);
- **loky**: `loky.get_reusable_executor(max_workers=2)` (its own start method,
  which execs a fresh interpreter as spawn does; the workers are kept between calls);
- **mpire**: `mpire.WorkerPool(n_jobs=2, keep_alive=True)` (fork; `keep_alive`
  keeps the workers from one map to the next, as a Pool does).

The figures are those of bench_pool.py that the three APIs share: a map of
20,000 tiny tasks with each library's default chunking and with one task per
message, one call's round trip, and the speedup of eight 40 ms pure-Python
tasks over running them one after another here. The pools are started and
warmed up before the clock runs; each figure is the median of interleaved rounds.

ratio = the peer's median / minimp's: above 1 means minimp is faster (for the
speedup row, minimp's speedup / the peer's).
"""

import statistics
import sys
import time
import warnings

import _targets
from bench_pool import measure, serial_cpu_bound  # the same rounds and serial baseline as bench_pool.py

ROUNDS, QUICK_ROUNDS = 7, 3
WORKERS = 2
PEERS = ("loky", "mpire")


def map_default(pool, n):
    start = time.perf_counter()
    list(pool.map(_targets.tiny, range(n)))
    return time.perf_counter() - start


def map_chunksize_1(pool, n):
    start = time.perf_counter()
    if type(pool).__module__.startswith("mpire"):
        pool.map(_targets.tiny, range(n), chunk_size=1)
    else:
        list(pool.map(_targets.tiny, range(n), chunksize=1))
    return time.perf_counter() - start


def round_trip(pool, n):
    start = time.perf_counter()
    for i in range(n):
        if hasattr(pool, "submit"):  # loky's executor
            pool.submit(_targets.tiny, i).result()
        else:
            pool.apply_async(_targets.tiny, (i,)).get()
    return (time.perf_counter() - start) / n


def cpu_bound(pool, n):
    start = time.perf_counter()
    if type(pool).__module__.startswith("mpire"):
        pool.map(_targets.spin, [n] * 8, chunk_size=1)
    else:
        list(pool.map(_targets.spin, [n] * 8, chunksize=1))
    return time.perf_counter() - start


def make_pools():
    import loky
    import minimp
    from mpire import WorkerPool

    return {
        "minimp": minimp.Pool(WORKERS),
        "loky": loky.get_reusable_executor(max_workers=WORKERS),
        "mpire": WorkerPool(n_jobs=WORKERS, keep_alive=True),
    }


def stop(pools):
    pools["minimp"].terminate()
    pools["minimp"].join()
    pools["loky"].shutdown(wait=True, kill_workers=True)
    pools["mpire"].terminate()


ROW = "{:<34} {:>10} {:>10} {:>10} {:>10} {:>10}"


def print_row(name, unit_scale, medians, fmt="{:.3g}", speedup=False):
    ours = medians["minimp"]
    ratios = [ours / medians[peer] if speedup else medians[peer] / ours for peer in PEERS]
    cells = [fmt.format(medians[k] * unit_scale) for k in ("minimp", *PEERS)]
    print(ROW.format(name, *cells, *(f"{r:.2f}x" for r in ratios)), flush=True)


def main(argv=None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    try:
        import loky  # noqa: F401
        import mpire  # noqa: F401
    except ImportError as error:
        print(f"bench_peers.py needs the bench extra: pip install -e '.[bench]' ({error})")
        return 1
    import minimp

    warnings.simplefilter("ignore", minimp.MinimpExtraWarning)  # Pool.submit, on purpose: the executors' figure
    rounds = QUICK_ROUNDS if args.quick else ROUNDS
    n_map = 5_000 if args.quick else 20_000
    n_trip = 300 if args.quick else 2_000
    spin_n = _targets.calibrate_spin(0.040)

    print(f"minimp vs loky and mpire, {WORKERS} workers each: medians of {rounds} interleaved rounds")
    print(f"Python {sys.version.split()[0]}, {sys.platform}")
    print("ratio = the peer's median / minimp's: above 1 means minimp is faster\n")
    print(ROW.format("benchmark", "minimp", *PEERS, *(f"vs {peer}" for peer in PEERS)))
    print(ROW.format(*["-" * w for w in (34, 10, 10, 10, 10, 10)]))
    began = time.perf_counter()
    pools = make_pools()
    try:
        print_row(f"map, {n_map} tiny, default chunks (ms)", 1e3, measure(pools, map_default, n_map, rounds))
        print_row(f"map, {n_map} tiny, chunksize=1 (ms)", 1e3, measure(pools, map_chunksize_1, n_map, rounds))
        print_row("one call's round trip (µs)", 1e6, measure(pools, round_trip, n_trip, rounds))
        serial = statistics.median(serial_cpu_bound(spin_n) for _ in range(3))
        medians = measure(pools, cpu_bound, spin_n, max(3, rounds // 2))
        speedups = {name: serial / seconds for name, seconds in medians.items()}
        print_row("CPU-bound, 8 x 40 ms (speedup)", 1, speedups, "{:.2f}", True)
    finally:
        stop(pools)
    print(f"\ndone in {time.perf_counter() - began:.0f} s")
    return 0



if __name__ == "__main__":
    sys.exit(main())
