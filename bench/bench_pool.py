"""How fast are minimp's pools, next to the standard library's two?

Run from the repository root (`make bench` runs it after bench_core.py)::

    .venv/bin/python bench/bench_pool.py            # about a minute
    .venv/bin/python bench/bench_pool.py --quick    # a rough look

Three pools do the same work, each with 2 workers started with fork:
`multiprocessing.Pool` ("mp.Pool"), `concurrent.futures.ProcessPoolExecutor`
("cf.PPE") and `minimp.Pool` ("minimp"). The pools are started before the
clock runs; each measurement is the median of several interleaved rounds.

- **map, 20k tiny, default chunksize**: `map(tiny, range(20_000))` with each
  API's default chunksize (the Pools cut the work into 4 chunks per worker;
  the executor sends one call per message unless told otherwise).
- **map, 20k tiny, chunksize=1**: the same, one call per message.
- **submit round trip**: submit one call, wait for its result, repeat.
- **CPU-bound, 8 tasks**: eight calls of about 40 ms of pure Python each;
  the figure is the *speedup* over running them one after another in this
  process (2.0 would be perfect on 2 workers).
- **tracing on**: minimp's map with `minimp.trace()` active, against minimp
  without it; the ratio is the cost of tracing (0.95x: 5 % slower). With
  tiny tasks that is the whole cost per task; tasks of 0.1 ms show what it
  costs a real workload.

ratio = the other's median / minimp's median: above 1 means minimp is
faster. For the CPU-bound row, the cells are speedups and the ratio is
minimp's speedup / the other's.
"""

import concurrent.futures
import multiprocessing
import statistics
import sys
import time

import _targets

ROUNDS, QUICK_ROUNDS = 7, 3
WORKERS = 2


def map_default(pool, n):
    start = time.perf_counter()
    if isinstance(pool, concurrent.futures.Executor):
        list(pool.map(_targets.tiny, range(n)))
    else:
        pool.map(_targets.tiny, range(n))
    return time.perf_counter() - start


def map_chunksize_1(pool, n):
    start = time.perf_counter()
    if isinstance(pool, concurrent.futures.Executor):
        list(pool.map(_targets.tiny, range(n), chunksize=1))
    else:
        pool.map(_targets.tiny, range(n), chunksize=1)
    return time.perf_counter() - start


def round_trip(pool, n):
    start = time.perf_counter()
    for i in range(n):
        if hasattr(pool, "submit"):
            pool.submit(_targets.tiny, i).result()
        else:
            pool.apply_async(_targets.tiny, (i,)).get()
    return (time.perf_counter() - start) / n


def cpu_bound(pool, n):
    start = time.perf_counter()
    if isinstance(pool, concurrent.futures.Executor):
        list(pool.map(_targets.spin, [n] * 8))
    else:
        pool.map(_targets.spin, [n] * 8, chunksize=1)
    return time.perf_counter() - start


def spin_map(pool, n, spin_n):
    start = time.perf_counter()
    pool.map(_targets.spin, [spin_n] * n)
    return time.perf_counter() - start


def serial_cpu_bound(n):
    start = time.perf_counter()
    for _ in range(8):
        _targets.spin(n)
    return time.perf_counter() - start


def make_pools():
    import minimp

    fork = multiprocessing.get_context("fork")
    return {
        "mp.Pool": fork.Pool(WORKERS),
        "cf.PPE": concurrent.futures.ProcessPoolExecutor(WORKERS, mp_context=fork),
        "minimp": minimp.Pool(WORKERS, context=minimp.get_context("fork")),
    }


def measure(pools, function, n, rounds):
    times = {name: [] for name in pools}
    for name, pool in pools.items():  # warm-up: workers started, code paths hot
        function(pool, max(1, n // 10))
    for round_number in range(rounds):
        order = list(pools) if round_number % 2 == 0 else list(reversed(pools))
        for name in order:
            times[name].append(function(pools[name], n))
    return {name: statistics.median(samples) for name, samples in times.items()}


ROW = "{:<34} {:>10} {:>10} {:>10} {:>13} {:>13}"


def print_row(name, unit_scale, medians, fmt="{:.3g}", speedup=False):
    ours = medians["minimp"]
    ratios = [(ours / medians[other]) if speedup else (medians[other] / ours) for other in ("mp.Pool", "cf.PPE")]
    print(ROW.format(name, *(fmt.format(medians[k] * unit_scale) for k in ("mp.Pool", "cf.PPE", "minimp")),
                     *(f"{r:.2f}x" for r in ratios)), flush=True)  # fmt: skip


def main(argv=None) -> int:
    import argparse

    import minimp

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    rounds = QUICK_ROUNDS if args.quick else ROUNDS
    n_map = 5_000 if args.quick else 20_000
    n_trip = 300 if args.quick else 2_000
    spin_n = _targets.calibrate_spin(0.040)

    print(f"pools of {WORKERS} workers (fork): medians of {rounds} interleaved rounds")
    print(f"Python {sys.version.split()[0]}, {minimp.cpu_count()} usable CPUs, {sys.platform}")
    print("ratio = the other's median / minimp's: above 1 means minimp is faster\n")
    print(ROW.format("benchmark", "mp.Pool", "cf.PPE", "minimp", "vs mp.Pool", "vs cf.PPE"))
    print(ROW.format(*["-" * w for w in (34, 10, 10, 10, 13, 13)]))
    began = time.perf_counter()
    pools = make_pools()
    try:
        medians = measure(pools, map_default, n_map, rounds)
        print_row(f"map, {n_map} tiny, default chunks (ms)", 1e3, medians)
        medians = measure(pools, map_chunksize_1, n_map, rounds)
        print_row(f"map, {n_map} tiny, chunksize=1 (ms)", 1e3, medians)
        medians = measure(pools, round_trip, n_trip, rounds)
        print_row("submit round trip (µs)", 1e6, medians)
        serial = statistics.median(serial_cpu_bound(spin_n) for _ in range(3))
        medians = measure(pools, cpu_bound, spin_n, max(3, rounds // 2))
        print_row("CPU-bound, 8 x 40 ms (speedup)", 1, {k: serial / v for k, v in medians.items()}, "{:.2f}", True)

        # Tracing: tiny tasks show its whole cost per task; tasks of 0.1 ms,
        # still small, show what it costs a real workload.
        ours = {"minimp": pools["minimp"]}
        spin_small = _targets.calibrate_spin(0.0001)
        print()
        for label, function, n in [
            (f"map, {n_map} tiny, default chunks", map_default, n_map),
            (f"map, {n_map} tiny, chunksize=1", map_chunksize_1, n_map),
            ("map, 2000 x 0.1 ms, default chunks", lambda pool, n: spin_map(pool, n, spin_small), 2000),
        ]:

            def traced(pool, n, function=function):
                with minimp.trace():
                    return function(pool, n)

            off = measure(ours, function, n, rounds)["minimp"]
            on = measure(ours, traced, n, rounds)["minimp"]
            print(f"tracing on, {label}: {on * 1e3:.3g} ms vs {off * 1e3:.3g} ms off: {off / on:.2f}x (1.00x: no cost)")
    finally:
        for pool in pools.values():
            if isinstance(pool, concurrent.futures.Executor):
                pool.shutdown()
            else:
                pool.terminate()
                pool.join()
    print(f"\ndone in {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
