"""A Queue of big items as a user's program sees it, beside a raw pipe and the standard library.

Run from the repository root (`make bench` does the same)::

    .venv/bin/python bench/bench_queue.py            # about half a minute
    .venv/bin/python bench/bench_queue.py --quick

What is measured:

- **throughput, 1 MB items**: a program creates a Queue, starts a producer process (fork)
  that puts 100 payloads of 1 MB (random bytes, the same object each time), and gets them
  all. The clock runs from the producer's go (after its start: see `_targets.py`) to the
  parent's last get(). MB/s, higher is better.
- **the floor, a raw pipe**: the same 100 MB written with `os.write` into an `os.pipe` in
  1 MB writes, read with `os.readv` into one reused buffer: the least work any queue of
  processes can do through the kernel, measured in the same run.
- **memory, 1 GB in 1 MB items**: the parent's peak resident memory (VmHWM) above its start
  while 1,000 items flow; also the producer's, and for minimp the largest size the queue's
  shared file reached (memory of neither process, but memory all the same).

Each sample runs in a **fresh interpreter**: a program's first Queue is what a user meets,
and a parent that has run many rounds (as in bench_core.py) has warmed its allocator, which
hides the page faults a first run pays. Rounds of the libraries alternate; every figure is
a median, with the spread (interquartile range / median) beside it.
"""

import json
import os
import subprocess
import sys
import time

import _targets

ROUNDS, QUICK_ROUNDS = 9, 3
ITEMS, MEMORY_ITEMS = 100, 1000
LIBRARIES = ("pipe", "multiprocessing", "minimp")


def throughput(library: str, n: int) -> dict:
    """In this (fresh) process: MB/s of `n` 1 MB items from a producer to this process."""
    import multiprocessing

    if library == "pipe":
        return {"mb_per_s": pipe_floor(n)}
    lib = multiprocessing if library == "multiprocessing" else __import__("minimp")
    ctx = lib.get_context("fork")
    queue, ready, go = ctx.Queue(), ctx.Event(), ctx.Event()
    start_kb = _targets.peak_kb()
    producer = ctx.Process(target=_targets.put_megabytes, args=(ready, go, queue, n))
    producer.start()
    ready.wait()
    began = time.perf_counter()
    go.set()
    largest_file = 0
    for _ in range(n):
        item = queue.get()
        if len(item) != _targets.MB:
            raise RuntimeError(f"got {len(item)} bytes instead of {_targets.MB}")
        if library == "minimp":
            largest_file = max(largest_file, queue._counters.file_size)  # a peek: no public size
    elapsed = time.perf_counter() - began
    _, producer_kb = queue.get()
    producer.join()
    if producer.exitcode != 0:
        raise RuntimeError(f"the producer failed (exit code {producer.exitcode})")
    return {"mb_per_s": n / elapsed, "parent_kb": _targets.peak_kb() - start_kb, "producer_kb": producer_kb,
            "file_mb": largest_file / _targets.MB}


def pipe_floor(n: int) -> float:
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    read_end, write_end = os.pipe()
    ready, go = ctx.Event(), ctx.Event()
    writer = ctx.Process(target=_targets.write_megabytes, args=(ready, go, write_end, n))
    writer.start()
    os.close(write_end)
    buffer = memoryview(bytearray(_targets.MB))
    ready.wait()
    began = time.perf_counter()
    go.set()
    for _ in range(n):
        got = 0
        while got < _targets.MB:
            got += os.readv(read_end, [buffer[got:]])
    elapsed = time.perf_counter() - began
    os.close(read_end)
    writer.join()
    return n / elapsed


def sample(library: str, n: int) -> dict:
    """Run one measurement in a fresh interpreter; its figures."""
    done = subprocess.run([sys.executable, __file__, "--sample", library, str(n)], capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"a {library} sample failed:\n{done.stderr}")
    return json.loads(done.stdout)


def median_and_spread(values: list) -> tuple:
    import statistics

    if len(values) < 2:
        return values[0], 0.0
    low, median, high = statistics.quantiles(values, n=4, method="inclusive")
    return median, (high - low) / median if median else 0.0


def main(argv: list) -> int:
    if argv[:1] == ["--sample"]:
        print(json.dumps(throughput(argv[1], int(argv[2]))))
        return 0
    rounds = QUICK_ROUNDS if "--quick" in argv else ROUNDS
    print(f"Queue of 1 MB items, a producer process -> the parent: medians of {rounds} interleaved rounds, "
          f"each in a fresh interpreter")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {sys.platform}\n")
    figures: dict = {library: [] for library in LIBRARIES}
    for round_number in range(rounds):
        order = LIBRARIES if round_number % 2 == 0 else LIBRARIES[::-1]
        for library in order:
            figures[library].append(sample(library, ITEMS))
    floor, _ = median_and_spread([f["mb_per_s"] for f in figures["pipe"]])
    print(f"{'throughput, ' + str(ITEMS) + ' x 1 MB':<28} {'MB/s':>8} {'spread':>7} {'/ pipe':>7}")
    for library in LIBRARIES:
        median, spread = median_and_spread([f["mb_per_s"] for f in figures[library]])
        print(f"{library if library != 'pipe' else 'raw pipe (the floor)':<28} {median:>8.0f} {spread:>7.0%} "
              f"{median / floor:>6.2f}x")
    ratio = (median_and_spread([f["mb_per_s"] for f in figures["minimp"]])[0]
             / median_and_spread([f["mb_per_s"] for f in figures["multiprocessing"]])[0])
    print(f"minimp / stdlib: {ratio:.2f}x\n")

    memory_rounds = max(1, rounds // 3)
    peaks: dict = {library: [] for library in LIBRARIES[1:]}
    for round_number in range(memory_rounds):
        for library in LIBRARIES[1:] if round_number % 2 == 0 else LIBRARIES[:0:-1]:
            peaks[library].append(sample(library, MEMORY_ITEMS))
    print(f"memory, {MEMORY_ITEMS} x 1 MB (medians of {memory_rounds}): peak resident memory above the start")
    print(f"{'':<28} {'parent MB':>10} {'producer MB':>12} {'queue file MB':>14}")
    for library, runs in peaks.items():
        parent, _ = median_and_spread([r["parent_kb"] / 1000 for r in runs])
        producer, _ = median_and_spread([r["producer_kb"] / 1000 for r in runs])
        file_mb, _ = median_and_spread([r["file_mb"] for r in runs])
        shown = f"{file_mb:.0f}" if library == "minimp" else "-"
        print(f"{library:<28} {parent:>10.0f} {producer:>12.0f} {shown:>14}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
