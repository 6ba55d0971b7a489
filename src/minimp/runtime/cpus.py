"""How many CPUs may this process really use?

`cpu_count()` answers the question a pool asks before it starts workers (it is pools/pool.py's
default size). Unlike `multiprocessing.cpu_count()`, which returns `os.cpu_count()` (the
machine's cores), it counts only the CPUs this process may run on:

- **CPU affinity**: the cores the scheduler may place us on (`os.sched_getaffinity`, which
  also reflects a cgroup `cpuset`); Python 3.13's `os.process_cpu_count()` counts only this.
- **The cgroup CPU quota** of a container: "run for at most `quota` microseconds in every
  `period`". 150000 per 100000 is 1.5 CPUs of time, spread over any cores: 2 workers.

On Binder, say, `os.cpu_count()` reports the host's many cores, but the notebook's container
is granted about one CPU: "one worker per core" starts many processes that take turns on it,
and parallel timings come out no faster than serial ones.

Where the quota lives (Linux only; see `cgroup_cpu_limit`):

    /proc/self/cgroup names our cgroup, per hierarchy:
        0::/user.slice/app                  (v2)
        4:cpu,cpuacct:/docker/abc           (v1)
    the cgroup mount holds its quota:
        /sys/fs/cgroup/user.slice/app/cpu.max                    "150000 100000"
        /sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us   "150000"
        /sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us  "100000"

From Python 3.13, `-X cpu_count=n` and the `PYTHON_CPU_COUNT=n` environment variable
override `os.cpu_count()`, `os.process_cpu_count()` and `multiprocessing.cpu_count()`:
there, minimp's answer is that n too, whatever the affinity and the quota (the user has
said how many). Python 3.11 and 3.12 ignore both, and so does minimp there.

Limits: `cpu.shares`/`cpu.weight` (priorities, not caps) and other processes' load are
ignored; without `/proc` (macOS, ...) the answer is `os.cpu_count()`.

Read next: `tracing/__init__.py`, the record of what a pool's workers did.
"""

from __future__ import annotations

import math
import os
import sys


def cpu_count() -> int:
    """The number of CPUs this process may use: affinity, capped by quota, >= 1; or the number Python was told."""
    if (told := cpu_count_override()) is not None:
        return told
    # macOS and Windows have no affinity API in `os`
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    limit = cgroup_cpu_limit()
    return max(1, usable if limit is None else min(usable, math.ceil(limit)))


def cpu_count_override() -> int | None:
    """n if Python 3.13+ was started with -X cpu_count=n or PYTHON_CPU_COUNT=n (os.cpu_count(),
    os.process_cpu_count() and multiprocessing.cpu_count() then say n); None on 3.11 and 3.12."""
    if sys.version_info < (3, 13):
        return None
    # What Python read at startup, -1 for neither. Lib/os.py asks this private function too:
    # only it tells an override from the machine's own count.
    n = sys._get_cpu_count_config()
    return n if n > 0 else None


def cgroup_cpu_limit(proc_self_cgroup: str | os.PathLike = "/proc/self/cgroup",
                     cgroup_root: str | os.PathLike = "/sys/fs/cgroup") -> float | None:
    """The CPU quota of this process's cgroup, in CPUs (1.5 = 150000/100000), or None. A quota may
    sit on any ancestor of our cgroup, so we walk up to the root and keep the smallest. Missing or
    malformed files count as "no limit here", never as an error."""
    try:
        lines = _read(proc_self_cgroup).splitlines()
    except (OSError, ValueError):
        return None  # not Linux, or /proc is not mounted
    root = os.fspath(cgroup_root)
    limits = []
    for line in lines:
        fields = line.split(":", 2)  # hierarchy-id:controllers:path
        if len(fields) != 3:
            continue
        hierarchy_id, controllers, path = fields
        if hierarchy_id == "0" and controllers == "":
            # cgroup v2; "hybrid" systems mount it at unified/ (their cpu controller is usually v1's)
            mounts = [root, os.path.join(root, "unified")]
            read_limit = _read_cpu_max
        elif "cpu" in controllers.split(","):
            # cgroup v1 mounts the cpu controller under its controller list: "cpu,cpuacct" or "cpu".
            mounts = [os.path.join(root, name) for name in (controllers, "cpu,cpuacct", "cpu")]
            read_limit = _read_cfs_quota
        else:
            continue
        for mount in mounts:
            for directory in _self_and_ancestors(mount, path):
                limit = read_limit(directory)
                if limit is not None:
                    limits.append(limit)
    return min(limits, default=None)


def _self_and_ancestors(mount: str, cgroup_path: str) -> list[str]:
    """Our cgroup's directory under `mount`, then each parent up to `mount`."""
    parts = [part for part in cgroup_path.split("/") if part]
    # A container without its own cgroup namespace sees the host's path (/docker/<id>)
    # but has only its own cgroup mounted at the root; and a process outside its
    # namespace's root sees "/../..". Either way the mount root is the best place left.
    if ".." in parts or not os.path.isdir(os.path.join(mount, *parts)):
        return [mount]
    return [os.path.join(mount, *parts[:depth]) for depth in range(len(parts), -1, -1)]


def _read_cpu_max(directory: str) -> float | None:
    """cgroup v2: one line "<quota> <period>"; a quota of "max" is no limit."""
    try:
        quota, period = _read(os.path.join(directory, "cpu.max")).split()
        return None if quota == "max" else _cpus(int(quota), int(period))
    except (OSError, ValueError):
        return None


def _read_cfs_quota(directory: str) -> float | None:
    """cgroup v1: quota and period in two files; a quota of -1 is no limit."""
    try:
        quota = int(_read(os.path.join(directory, "cpu.cfs_quota_us")))
        period = int(_read(os.path.join(directory, "cpu.cfs_period_us")))
        return _cpus(quota, period)
    except (OSError, ValueError):
        return None


def _cpus(quota: int, period: int) -> float | None:
    # -1 is v1's "unlimited"; a zero or negative period would be a corrupt file.
    return quota / period if quota > 0 and period > 0 else None


def _read(path: str | os.PathLike) -> str:
    with open(path, encoding="utf-8") as file:
        return file.read()
