"""Running the course on a JupyterHub: the nbgitpuller link, and what cpu_count() reports there."""

import subprocess
import sys
from urllib.parse import parse_qs, urlsplit

import pytest
from test_cpus import cpu_count_under, limit_seen_by

from minimp.course.hub import hub_link


def test_the_link_is_nbgitpullers_and_opens_a_chapter_in_jupyterlab():
    link = hub_link("https://hub.example.org/", "https://github.com/owner/minimp.git", branch="v1.0", chapter="05")
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "hub.example.org", "/hub/user-redirect/git-pull")
    assert parse_qs(parts.query) == {
        "repo": ["https://github.com/owner/minimp.git"],
        "branch": ["v1.0"],
        "urlpath": ["lab/tree/minimp/notebooks/05_pools.ipynb"],  # nbgitpuller clones into the repo's name
    }
    assert "%2F" in parts.query and "/" not in parts.query  # every value URL-encoded, as nbgitpuller expects


def test_bad_input_says_which_argument_and_what_is_expected():
    with pytest.raises(ValueError, match=r"hub_link\(hub='hub.example.org'\): hub must be an http\(s\) URL"):
        hub_link("hub.example.org", "https://github.com/owner/minimp")
    with pytest.raises(ValueError, match=r"hub_link\(repo='git@github.com:owner/minimp'\): repo must be"):
        hub_link("https://hub.example.org", "git@github.com:owner/minimp")
    with pytest.raises(ValueError, match=r"hub_link\(chapter='42'\): no such chapter; the chapters are 00, 01,"):
        hub_link("https://hub.example.org", "https://github.com/owner/minimp", chapter="42")
    with pytest.raises(ValueError, match=r"hub_link\(branch='a b'\)"):
        hub_link("https://hub.example.org", "https://github.com/owner/minimp", branch="a b")


def test_the_command_prints_the_link_and_refuses_a_bad_hub():
    run = [sys.executable, "-m", "minimp.course.hub"]
    out = subprocess.run(run + ["https://hub.example.org", "https://github.com/owner/minimp"],
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert out.returncode == 0 and out.stdout.strip().endswith("notebooks%2F00_welcome.ipynb")
    bad = subprocess.run(run + ["hub", "https://github.com/owner/minimp"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "hub must be an http(s) URL" in bad.stderr


def test_a_hub_users_cpu_limit_is_what_cpu_count_reports(tmp_path, monkeypatch):
    # The Littlest JupyterHub runs each user's server as a systemd unit; `tljh-config set
    # limits.cpu 1` becomes CPUQuota=100%, which the kernel shows as cpu.max "100000 100000".
    monkeypatch.setattr("os.sched_getaffinity", lambda pid: set(range(16)), raising=False)  # a 16-core server
    unit = "system.slice/jupyter-alice-singleuser.service"
    one = limit_seen_by(tmp_path, f"0::/{unit}\n", {f"{unit}/cpu.max": "100000 100000\n"})
    (tmp_path / "two").mkdir()
    two = limit_seen_by(tmp_path / "two", f"0::/{unit}\n", {f"{unit}/cpu.max": "200000 100000\n"})
    assert one == 1.0 and cpu_count_under(monkeypatch, one) == 1  # one worker, not 16
    assert cpu_count_under(monkeypatch, two) == 2
