"""How fast is minimp's core, next to the standard library's `multiprocessing`?

Run from the repository root (`make bench` does the same)::

    .venv/bin/python bench/bench_core.py            # about a minute
    .venv/bin/python bench/bench_core.py --quick    # a rough look in seconds
    .venv/bin/python bench/bench_core.py --only pipe

What is measured, each with both libraries:

- **start+join** (fork, spawn, forkserver): start a process whose target
  returns at once, and join it. The clock runs from `start()` to the end
  of `join()`: creating the process, its first Python code, its exit, and
  the parent noticing it. Reported per process. Under forkserver the server
  is started by the warm-up sample, as a program's first child would.
- **pipe, small, one-way**: a child `send()`s small tuples through a
  one-way Pipe (an `os.pipe`); the parent `recv()`s them. Per message.
- **pipe, small, round trip**: the parent sends a small tuple through a
  duplex Pipe (a socket pair), a child sends it back. This is latency, not
  throughput: each message waits for the other process to be scheduled.
- **pipe, 1 MiB, one-way**: `send_bytes`/`recv_bytes` of 1 MiB, no pickling.
- **queue, small / 1 MiB**: one child `put()`s, the parent `get()`s. The parent runs
  every round in one process, warmed by the rounds before: "1 MiB" is what a long-running
  program sees of its later queues. A program's first Queue of big items, in a fresh
  interpreter, beside a raw pipe and with its memory, is `bench_queue.py`'s figure.
- **lock, acquire+release**: one process takes and gives back a Lock that
  nobody else wants: the cost of the lock itself.
- **value +=, 2 processes**: a child and the parent each add 1 to a shared
  Value `n` times, each time under its lock (`with v.get_lock():`): a
  contended lock. Per pair of additions, until both have finished.
- **manager dict, get/set**: the parent sets a key of a manager's dict and
  reads it back: two round trips to the manager's process, through a Unix
  socket (minimp) or a socket of the standard library's choosing (also a
  Unix socket on Linux). The manager starts before the clock does.

In the data benchmarks the clock measures the transfer only: the child is
started with fork first, and a pair of Events (see `_targets.py`) starts
the clock once the child is ready to send.

How to read the table:

- Every number is a **median** over several rounds (9, or 3 with --quick),
  and the rounds of the two libraries alternate, so that whatever else the
  machine does slows both alike. On a small (2-core) machine expect a few
  percent of noise, and far more while other programs run. The `spread`
  column shows how much: the interquartile range of the rounds (the
  middle half of them) divided by their median, the larger of the two
  libraries'.
- **ratio = stdlib median / minimp median.** Above 1 means minimp is
  faster (2.0: twice as fast); below 1, slower (0.5: it takes twice as
  long). A ratio that differs from 1 by less than the spread (1.05x with
  a spread of 10%, say) is no difference you can trust.

Fairness: under spawn the standard library's child re-imports this script
(as `__mp_main__`), so the script imports minimp inside `main()`, never at
the top: otherwise every stdlib child would pay for importing minimp. For
the same reason the children's functions live in `_targets.py`, which
imports only the standard library.
"""

import collections
import multiprocessing
import os
import signal
import sys
import time

import _targets  # the children's side; python puts this script's folder on sys.path

ROUNDS, QUICK_ROUNDS = 9, 3
TIMEOUT = 120  # seconds one sample may take before we call it a hang

# One row of the table. `function(ctx, n)` does `n` operations with the
# library behind `ctx` and returns the seconds they took; the table shows
# seconds per operation times `scale`, in `unit`.
Benchmark = collections.namedtuple("Benchmark", "name unit scale method function n quick_n")


# -- the benchmarks: each returns the seconds that n operations took ---------------------


def start_and_join(ctx, n: int) -> float:
    """Start and join `n` no-op processes, one after another."""
    total = 0.0
    for _ in range(n):
        process = ctx.Process(target=_targets.noop)
        start = time.perf_counter()
        process.start()
        process.join()
        total += time.perf_counter() - start
        check_exit(process)
    return total


def pipe_small(ctx, n: int) -> float:
    """A child sends `n` small tuples; the parent receives them."""
    receiver, sender = ctx.Pipe(duplex=False)

    def receive():
        for _ in range(n):
            receiver.recv()

    try:
        return time_transfer(ctx, _targets.send_small, (sender, n), receive, child_end=sender)
    finally:
        receiver.close()


def pipe_round_trip(ctx, n: int) -> float:
    """The parent sends a small tuple `n` times, and each time waits for the child's echo."""
    here, there = ctx.Pipe(duplex=True)

    def ping_pong():
        for _ in range(n):
            here.send(_targets.SMALL_MESSAGE)
            here.recv()
        here.send(None)  # tells the echo loop to stop

    try:
        return time_transfer(ctx, _targets.echo, (there,), ping_pong, child_end=there)
    finally:
        here.close()


def pipe_mib(ctx, n: int) -> float:
    """A child sends `n` messages of 1 MiB with send_bytes; the parent receives them."""
    receiver, sender = ctx.Pipe(duplex=False)

    def receive():
        for _ in range(n):
            receiver.recv_bytes()

    try:
        return time_transfer(ctx, _targets.send_mib, (sender, n), receive, child_end=sender)
    finally:
        receiver.close()


def queue_small(ctx, n: int) -> float:
    """A child puts `n` small tuples on a Queue; the parent gets them."""
    return queue_transfer(ctx, _targets.put_small, n)


def queue_mib(ctx, n: int) -> float:
    """A child puts `n` bytes objects of 1 MiB on a Queue; the parent gets them."""
    return queue_transfer(ctx, _targets.put_mib, n)


def queue_transfer(ctx, target, n: int) -> float:
    queue = ctx.Queue()

    def receive():
        for _ in range(n):
            queue.get()

    try:
        return time_transfer(ctx, target, (queue, n), receive)
    finally:
        queue.close()


def lock_uncontended(ctx, n: int) -> float:
    """Acquire and release a Lock `n` times in one process."""
    lock = ctx.Lock()
    start = time.perf_counter()
    for _ in range(n):
        lock.acquire()
        lock.release()
    return time.perf_counter() - start


def value_contended(ctx, n: int) -> float:
    """A child and the parent each add 1 to a shared Value `n` times, under its lock."""
    value, done = ctx.Value("i", 0), ctx.Event()

    def add_and_wait():
        for _ in range(n):
            with value.get_lock():
                value.value += 1
        done.wait()

    elapsed = time_transfer(ctx, _targets.locked_adds, (value, n, done), add_and_wait)
    if value.value != 2 * n:
        raise RuntimeError(f"the Value's lock lost updates: {value.value} instead of {2 * n}")
    return elapsed


def manager_dict(ctx, n: int) -> float:
    """Set a key of a manager's dict and read it back, `n` times, from the parent."""
    with ctx.Manager() as manager:
        d = manager.dict()
        d["key"] = 0  # this thread's connection to the manager is made before the clock starts
        start = time.perf_counter()
        for i in range(n):
            d["key"] = i
            d["key"]
        return time.perf_counter() - start


BENCHMARKS = [
    Benchmark("start+join, fork", "ms/process", 1e3, "fork", start_and_join, n=20, quick_n=10),
    Benchmark("start+join, spawn", "ms/process", 1e3, "spawn", start_and_join, n=4, quick_n=2),
    Benchmark("start+join, forkserver", "ms/process", 1e3, "forkserver", start_and_join, n=20, quick_n=10),
    Benchmark("pipe, small, one-way", "µs/message", 1e6, "fork", pipe_small, n=50_000, quick_n=10_000),
    Benchmark("pipe, small, round trip", "µs/round trip", 1e6, "fork", pipe_round_trip, n=10_000, quick_n=2_000),
    Benchmark("pipe, 1 MiB, one-way", "ms/MiB", 1e3, "fork", pipe_mib, n=200, quick_n=50),
    Benchmark("queue, small", "µs/item", 1e6, "fork", queue_small, n=50_000, quick_n=10_000),
    Benchmark("queue, 1 MiB", "ms/MiB", 1e3, "fork", queue_mib, n=100, quick_n=25),
    Benchmark("lock, acquire+release", "µs/pair", 1e6, "fork", lock_uncontended, n=200_000, quick_n=50_000),
    Benchmark("value +=, 2 processes", "µs/2 adds", 1e6, "fork", value_contended, n=20_000, quick_n=5_000),
    Benchmark("manager dict, get/set", "µs/get+set", 1e6, "fork", manager_dict, n=5_000, quick_n=1_000),
]  # fmt: skip


# -- running a child and timing the transfer --------------------------------------------


def time_transfer(ctx, target, args: tuple, receive, child_end=None) -> float:
    """Start `target(ready, go, *args)` in a child; time `receive()` once it is ready.

    `child_end`, a pipe end only the child uses, is closed in the parent
    after the start: while the parent holds a copy, a child that dies early
    would leave the parent waiting for data instead of seeing EOFError.
    """
    ready, go = ctx.Event(), ctx.Event()
    child = ctx.Process(target=target, args=(ready, go, *args))
    child.start()
    try:
        if child_end is not None:
            child_end.close()
        ready.wait()
        start = time.perf_counter()
        go.set()
        receive()
        elapsed = time.perf_counter() - start
        child.join()
        check_exit(child)
        return elapsed
    finally:
        stop(child)


def check_exit(process) -> None:
    if process.exitcode != 0:
        raise RuntimeError(f"{process!r} failed (exit code {process.exitcode}); see its traceback above")


def stop(process) -> None:
    """Make sure a child is gone, even when a benchmark failed half-way."""
    if process.exitcode is None:
        process.kill()
        process.join()


def sample(benchmark: Benchmark, ctx, n: int) -> float:
    """Run `benchmark` once with `n` operations; seconds per operation.

    An alarm turns a hang (a lost message, a dead child) into an error
    instead of a benchmark that never ends.
    """
    signal.alarm(TIMEOUT)
    try:
        return benchmark.function(ctx, n) / n
    finally:
        signal.alarm(0)


def _hang(signum, frame):
    raise TimeoutError(f"a benchmark sample took more than {TIMEOUT} s: something hangs")


# -- the table ------------------------------------------------------------------------


ROW = "{:<26} {:<14} {:>10} {:>10} {:>7} {:>7}"


def print_header(rounds: int) -> None:
    print(f"minimp vs multiprocessing: medians of {rounds} interleaved rounds")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {sys.platform}")
    print("ratio = stdlib median / minimp median: above 1 means minimp is faster")
    print()
    print(ROW.format("benchmark", "unit", "stdlib", "minimp", "ratio", "spread"))
    print(ROW.format(*["-" * width for width in (26, 14, 10, 10, 7, 7)]), flush=True)


def print_row(benchmark: Benchmark, times: dict) -> None:
    """One line of the table from the seconds per operation of every round."""
    import statistics  # here, not at the top: see main()

    stdlib, ours = statistics.median(times["multiprocessing"]), statistics.median(times["minimp"])
    print(
        ROW.format(
            benchmark.name,
            benchmark.unit,
            f"{stdlib * benchmark.scale:.3g}",
            f"{ours * benchmark.scale:.3g}",
            f"{stdlib / ours:.2f}x",
            f"{max(spread(t) for t in times.values()):.0%}",
        ),
        flush=True,
    )


def spread(samples: list) -> float:
    """How far apart the middle half of the rounds are, relative to their median.

    The interquartile range rather than slowest - fastest: one round hit by
    a burst of other work should not hide how steady the other rounds were.
    """
    import statistics  # here, not at the top: see main()

    low, median, high = statistics.quantiles(samples, n=4, method="inclusive")
    return (high - low) / median


# -- main -------------------------------------------------------------------------------


def main(argv=None) -> int:
    # Imported here, not at the top: a stdlib spawn child re-imports this
    # module, and must not pay for minimp (nor for argparse and statistics,
    # which only the parent uses).
    import argparse

    import minimp

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROUNDS} rounds of smaller runs")
    parser.add_argument("--only", metavar="TEXT", help="run the benchmarks whose name contains TEXT")
    args = parser.parse_args(argv)

    libraries = {"multiprocessing": multiprocessing, "minimp": minimp}
    rounds = QUICK_ROUNDS if args.quick else ROUNDS
    chosen = [b for b in BENCHMARKS if args.only is None or args.only in b.name]
    signal.signal(signal.SIGALRM, _hang)

    began = time.perf_counter()
    print_header(rounds)
    for benchmark in chosen:
        n = benchmark.quick_n if args.quick else benchmark.n
        contexts = {name: library.get_context(benchmark.method) for name, library in libraries.items()}
        # A warm-up sample each, not counted: the first run of a benchmark
        # pays once for things like page faults in fresh buffers and the
        # stdlib's resource tracker process, started on its first spawn.
        for ctx in contexts.values():
            sample(benchmark, ctx, max(1, n // 10))
        times = {name: [] for name in libraries}
        for round_number in range(rounds):
            order = list(libraries) if round_number % 2 == 0 else list(reversed(libraries))
            for name in order:
                times[name].append(sample(benchmark, contexts[name], n))
        print_row(benchmark, times)

    leftovers = multiprocessing.active_children() + minimp.active_children()
    for process in leftovers:
        stop(process)
    print(f"\ndone in {time.perf_counter() - began:.0f} s", end="")
    print(f"; {len(leftovers)} processes left behind (stopped)" if leftovers else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
