"""cpu_count() and the cgroup quota, told with fake /proc and /sys trees.

Each test builds the two things the kernel would show a process: its line(s)
in /proc/self/cgroup and the quota files under the cgroup mount. Then it asks
how many CPUs that process may use.
"""

import math
import os

import pytest

from minimp.runtime import cpus


def limit_seen_by(tmp_path, proc_self_cgroup: str, files: dict[str, str]):
    """Write a fake /proc/self/cgroup and cgroup tree; return the limit found."""
    proc = tmp_path / "proc_self_cgroup"
    proc.write_text(proc_self_cgroup)
    root = tmp_path / "sys_fs_cgroup"
    root.mkdir()
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return cpus.cgroup_cpu_limit(proc_self_cgroup=proc, cgroup_root=root)


@pytest.fixture
def eight_core_machine(monkeypatch):
    """A process whose affinity allows 8 cores, so only the quota can cap it."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)


def cpu_count_under(monkeypatch, limit) -> int:
    """cpu_count() as a process would see it if its cgroup granted `limit` CPUs."""
    monkeypatch.setattr(cpus, "cgroup_cpu_limit", lambda: limit)
    return cpus.cpu_count()


# --- cgroup v2: one file, cpu.max ------------------------------------------


def test_v2_max_means_no_limit(tmp_path):
    assert limit_seen_by(tmp_path, "0::/\n", {"cpu.max": "max 100000\n"}) is None


def test_v2_one_and_a_half_cpus_round_up_to_two(tmp_path, monkeypatch, eight_core_machine):
    limit = limit_seen_by(tmp_path, "0::/\n", {"cpu.max": "150000 100000\n"})
    assert limit == 1.5
    assert cpu_count_under(monkeypatch, limit) == 2


def test_v2_half_a_cpu_still_gets_one_worker(tmp_path, monkeypatch, eight_core_machine):
    limit = limit_seen_by(tmp_path, "0::/\n", {"cpu.max": "50000 100000\n"})
    assert limit == 0.5
    assert cpu_count_under(monkeypatch, limit) == 1


def test_affinity_caps_a_generous_quota(tmp_path, monkeypatch, eight_core_machine):
    limit = limit_seen_by(tmp_path, "0::/\n", {"cpu.max": "1600000 100000\n"})
    assert limit == 16.0  # 16 CPUs of time, but only 8 cores to spend it on
    assert cpu_count_under(monkeypatch, limit) == 8


def test_no_quota_leaves_affinity_alone(monkeypatch, eight_core_machine):
    assert cpu_count_under(monkeypatch, None) == 8


def test_v2_smallest_limit_on_the_way_to_the_root_wins(tmp_path):
    files = {
        "cpu.max": "max 100000\n",
        "user.slice/cpu.max": "100000 100000\n",  # the parent grants 1 CPU
        "user.slice/app/cpu.max": "400000 100000\n",  # the leaf asks for 4
    }
    assert limit_seen_by(tmp_path, "0::/user.slice/app\n", files) == 1.0


def test_v2_leaf_without_limit_inherits_the_ancestors(tmp_path):
    files = {"kubepods/cpu.max": "200000 100000\n", "kubepods/pod1/ctr/cpu.max": "max 100000\n"}
    assert limit_seen_by(tmp_path, "0::/kubepods/pod1/ctr\n", files) == 2.0


# --- cgroup v1: quota and period in two files ------------------------------


def test_v1_quota_minus_one_means_no_limit(tmp_path):
    files = {"cpu,cpuacct/cpu.cfs_quota_us": "-1\n", "cpu,cpuacct/cpu.cfs_period_us": "100000\n"}
    assert limit_seen_by(tmp_path, "4:cpu,cpuacct:/\n", files) is None


def test_v1_docker_two_cpus(tmp_path):
    files = {
        "cpu,cpuacct/docker/abc/cpu.cfs_quota_us": "200000\n",
        "cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
    }
    proc = "5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/docker/abc\n"
    assert limit_seen_by(tmp_path, proc, files) == 2.0


def test_v1_cpu_mounted_on_its_own(tmp_path):
    files = {"cpu/cpu.cfs_quota_us": "300000\n", "cpu/cpu.cfs_period_us": "100000\n"}
    assert limit_seen_by(tmp_path, "2:cpuacct:/\n1:cpu:/\n0::/\n", files) == 3.0


def test_cpuacct_alone_is_not_the_cpu_controller(tmp_path):
    files = {"cpuacct/cpu.cfs_quota_us": "100000\n", "cpuacct/cpu.cfs_period_us": "100000\n"}
    assert limit_seen_by(tmp_path, "2:cpuacct:/\n", files) is None


# --- when the files are not where the path says -----------------------------


def test_host_path_not_under_the_mount_falls_back_to_the_root(tmp_path):
    # A container without a cgroup namespace sees the host's path, but only
    # its own cgroup is mounted, at the root.
    files = {"cpu.max": "100000 100000\n"}
    assert limit_seen_by(tmp_path, "0::/system.slice/docker-abc.scope\n", files) == 1.0


def test_path_escaping_the_namespace_falls_back_to_the_root(tmp_path):
    # A process outside our cgroup namespace is shown as "/../<its cgroup>";
    # we must not follow ".." out of the cgroup mount.
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "cpu.max").write_text("100000 100000\n")
    files = {"cpu.max": "200000 100000\n"}
    assert limit_seen_by(tmp_path, "0::/../outside\n", files) == 2.0


def test_no_proc_file_means_no_limit(tmp_path):
    missing = tmp_path / "no_such_file"
    assert cpus.cgroup_cpu_limit(proc_self_cgroup=missing, cgroup_root=tmp_path) is None


def test_no_quota_files_means_no_limit(tmp_path):
    assert limit_seen_by(tmp_path, "0::/\n4:cpu,cpuacct:/\n", {}) is None


def test_v1_quota_without_period_means_no_limit(tmp_path):
    files = {"cpu,cpuacct/cpu.cfs_quota_us": "100000\n"}
    assert limit_seen_by(tmp_path, "4:cpu,cpuacct:/\n", files) is None


@pytest.mark.parametrize(
    "cpu_max", ["", "garbage", "100000", "lots 100000", "100000 0", "1 2 3"]
)
def test_malformed_cpu_max_means_no_limit(tmp_path, cpu_max):
    assert limit_seen_by(tmp_path, "0::/\n", {"cpu.max": cpu_max}) is None


def test_undecodable_bytes_mean_no_limit(tmp_path):
    (tmp_path / "cpu.max").write_bytes(b"\xff\xfe 100000\n")
    (tmp_path / "proc_self_cgroup").write_bytes(b"0::/\xff\n")
    assert cpus.cgroup_cpu_limit(tmp_path / "proc_self_cgroup", tmp_path) is None
    (tmp_path / "proc_self_cgroup").write_text("0::/\n")
    assert cpus.cgroup_cpu_limit(tmp_path / "proc_self_cgroup", tmp_path) is None


def test_malformed_file_does_not_hide_a_good_one_above_it(tmp_path):
    files = {"cpu.max": "100000 100000\n", "app/cpu.max": "nonsense\n"}
    assert limit_seen_by(tmp_path, "0::/app\n", files) == 1.0


def test_malformed_proc_self_cgroup_lines_are_skipped(tmp_path):
    proc = "hello\n\n::\n0::/\n"
    assert limit_seen_by(tmp_path, proc, {"cpu.max": "100000 100000\n"}) == 1.0


# --- this machine -------------------------------------------------------------


def test_cpu_count_on_this_machine_is_sensible():
    count = cpus.cpu_count()
    assert isinstance(count, int)
    assert 1 <= count <= os.cpu_count()
    if hasattr(os, "sched_getaffinity"):
        assert count <= len(os.sched_getaffinity(0))


def test_cpu_count_agrees_with_the_real_cgroup_files():
    limit = cpus.cgroup_cpu_limit()
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    expected = affinity if limit is None else max(1, min(affinity, math.ceil(limit)))
    assert cpus.cpu_count() == expected
