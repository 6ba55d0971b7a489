"""The children's side of bench_core.py: what each benchmark's child process runs.

These functions live in their own module, not in bench_core.py, so that a
spawned child of either library can import them by name, and they take
every object they use (pipe ends, queues, events) as arguments, so the same
function serves `multiprocessing` and `minimp` alike. This module imports
only the standard library: a spawned child pays for nothing else.

Every data benchmark follows the same handshake, so that the parent's clock
measures only the transfer, not the child's start::

    child                               parent
    ready.set()           ───────────▶  ready.wait()
    go.wait()             ◀───────────  clock starts; go.set()
    send or put n items   ───────────▶  recv or get n items; clock stops
"""

SMALL_MESSAGE = (12345, "a small message", 3.14)
MIB = 1024 * 1024


def noop() -> None:
    """The target of the start+join benchmark: return at once."""


def send_small(ready, go, conn, n: int) -> None:
    """Send `n` small tuples (pickled by `send`) through `conn`."""
    ready.set()
    go.wait()
    for _ in range(n):
        conn.send(SMALL_MESSAGE)
    conn.close()


def send_mib(ready, go, conn, n: int) -> None:
    """Send `n` raw 1 MiB messages through `conn` with `send_bytes`."""
    payload = bytes(MIB)
    ready.set()
    go.wait()
    for _ in range(n):
        conn.send_bytes(payload)
    conn.close()


def echo(ready, go, conn) -> None:
    """Send back every message received on `conn`, until a None arrives."""
    ready.set()
    go.wait()
    while (message := conn.recv()) is not None:
        conn.send(message)
    conn.close()


def put_small(ready, go, queue, n: int) -> None:
    """Put `n` small tuples on `queue`."""
    ready.set()
    go.wait()
    for _ in range(n):
        queue.put(SMALL_MESSAGE)


def put_mib(ready, go, queue, n: int) -> None:
    """Put `n` 1 MiB bytes objects on `queue`."""
    payload = bytes(MIB)
    ready.set()
    go.wait()
    for _ in range(n):
        queue.put(payload)


def locked_adds(ready, go, value, n: int, done) -> None:
    """Add 1 to a shared `value` `n` times, each under its lock; then set `done`."""
    ready.set()
    go.wait()
    for _ in range(n):
        with value.get_lock():
            value.value += 1
    done.set()


# -- bench_pool.py -------------------------------------------------------------------


def tiny(x):
    """The smallest useful task: all cost is the pool's own."""
    return x + 1


def spin(n: int) -> int:
    """Pure-Python CPU work: `n` additions."""
    total = 0
    for i in range(n):
        total += i
    return total


def calibrate_spin(seconds: float) -> int:
    """The `n` for which spin(n) takes about `seconds` here."""
    import time

    n = 100_000
    start = time.perf_counter()
    spin(n)
    return int(n * seconds / (time.perf_counter() - start))


# -- bench_queue.py ------------------------------------------------------------------

MB = 1_000_000


def put_megabytes(ready, go, queue, n: int) -> None:
    """Put `n` payloads of 1 MB (random bytes, made once) on `queue`, then this process's peak
    resident memory above its start, in kB, as the last item."""
    import os

    payload = os.urandom(MB)
    start = peak_kb()
    ready.set()
    go.wait()
    for _ in range(n):
        queue.put(payload)
    queue.put(("peak", peak_kb() - start))


def write_megabytes(ready, go, fd: int, n: int) -> None:
    """The floor: write `n` payloads of 1 MB into the pipe `fd` with os.write, nothing else."""
    import os

    payload = memoryview(os.urandom(MB))
    ready.set()
    go.wait()
    for _ in range(n):
        sent = 0
        while sent < MB:
            sent += os.write(fd, payload[sent:])
    os.close(fd)


def peak_kb() -> int:
    """This process's peak resident memory so far (VmHWM, Linux), in kB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise OSError("no VmHWM in /proc/self/status")
