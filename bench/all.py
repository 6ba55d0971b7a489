"""Run every benchmark, one after another, and keep what each printed: `make bench`.

Each script runs in its own process (a benchmark must not inherit another's
pools, caches or heap) and prints as it goes; its output is also kept in
build/bench/NAME.txt, from which `tools/bench_readme.py` writes the README's
tables, so that the README shows one run of `make bench`, not figures
gathered by hand from several.

    .venv/bin/python bench/all.py            # every benchmark, 10 minutes or so
    .venv/bin/python bench/all.py --quick    # a rough look
"""

import pathlib
import subprocess
import sys
import time

SCRIPTS = [
    "bench_core",  # processes, pipes, queues, locks, a manager's dict
    "bench_queue",  # a Queue of 1 MB items as a program meets it, beside a raw pipe; peak memory
    "bench_pool",  # the pools, against multiprocessing.Pool and concurrent.futures
    "bench_peers",  # the pools, against loky and mpire
    "bench_replace",  # maxtasksperchild: replacing a worker
    "bench_widgets",  # drawing the views
    "bench_streaming",  # imap's memory on endless input
    "bench_fds",  # descriptors per object
]
HERE = pathlib.Path(__file__).parent
OUT = HERE.parent / "build" / "bench"


def run(name: str, options: list[str]) -> int:
    """Run bench/NAME.py, echo its output line by line, and keep it in build/bench/NAME.txt."""
    OUT.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(HERE / f"{name}.py"), *options]
    with open(OUT / f"{name}.txt", "w") as kept, subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as child:
        for line in child.stdout:
            print(line, end="", flush=True)
            kept.write(line)
    return child.returncode


def main(argv: list[str]) -> int:
    options = [arg for arg in argv if arg == "--quick"]
    chosen = [arg for arg in argv if not arg.startswith("-")] or SCRIPTS
    failed = []
    began = time.perf_counter()
    for name in chosen:
        print(f"\n== {name}.py ==", flush=True)
        if run(name, options) != 0:
            failed.append(name)
    print(f"\nall benchmarks done in {time.perf_counter() - began:.0f} s; output kept in build/bench/")
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
