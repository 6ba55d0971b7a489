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
- **floors**: beside the round trip, a raw ping-pong of a small pickled
  message with a forked child over two pipes; beside the CPU-bound row,
  two raw `os.fork()`ed children running 4 of the 8 calls each. No pool
  can beat these; the line under each row says how close minimp comes.
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
import warnings

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


# -- the machine's floors: what no pool can beat, measured in the same run ------------------


def raw_ping_pong(n):
    """One round trip of a small pickled message between this process and a forked child that
    echoes it, over two os pipes (multiprocessing's Connection): the floor of a task's round trip."""
    import os
    import pickle

    to_child, from_parent = multiprocessing.Pipe(duplex=False)
    to_parent, from_child = multiprocessing.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # the child: echo until None
        try:
            while (message := pickle.loads(to_child.recv_bytes())) is not None:
                from_child.send_bytes(pickle.dumps(message))
        finally:
            os._exit(0)
    try:
        for i in range(10):  # warm-up
            from_parent.send_bytes(pickle.dumps((_targets.tiny, (i,))))
            pickle.loads(to_parent.recv_bytes())
        start = time.perf_counter()
        for i in range(n):
            from_parent.send_bytes(pickle.dumps((_targets.tiny, (i,))))
            pickle.loads(to_parent.recv_bytes())
        return (time.perf_counter() - start) / n
    finally:
        from_parent.send_bytes(pickle.dumps(None))
        os.waitpid(pid, 0)
        for end in (to_child, from_parent, to_parent, from_child):
            end.close()


def raw_two_forks(n):
    """The 8 spins of cpu_bound, 4 in each of two os.fork()ed children: the floor of a 2-worker speedup."""
    import os

    start = time.perf_counter()
    children = []
    for _ in range(WORKERS):
        pid = os.fork()
        if pid == 0:
            try:
                for _ in range(8 // WORKERS):
                    _targets.spin(n)
            finally:
                os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
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

    warnings.simplefilter("ignore", minimp.MinimpExtraWarning)  # Pool.submit, on purpose: the executors' figure

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
        with_floor = dict(pools, floor=None)  # the floor is measured in the same interleaved rounds
        medians = measure(with_floor, lambda pool, n: raw_ping_pong(n) if pool is None else round_trip(pool, n),
                          n_trip, rounds)
        print_row("submit round trip (µs)", 1e6, medians)
        print(f"  floor: a raw pipe ping-pong with a forked child, {medians['floor'] * 1e6:.3g} µs; "
              f"minimp's round trip is {medians['minimp'] / medians['floor']:.2f}x it", flush=True)
        serial = statistics.median(serial_cpu_bound(spin_n) for _ in range(3))
        medians = measure(with_floor, lambda pool, n: raw_two_forks(n) if pool is None else cpu_bound(pool, n),
                          spin_n, max(3, rounds // 2))
        speedups = {k: serial / v for k, v in medians.items()}
        print_row("CPU-bound, 8 x 40 ms (speedup)", 1, speedups, "{:.2f}", True)
        print(f"  floor: two raw os.fork()ed children, 4 each, speedup {speedups['floor']:.2f}; "
              f"minimp's is {speedups['minimp'] / speedups['floor']:.2f}x it", flush=True)

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
