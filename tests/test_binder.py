"""Binder's configuration (binder/), checked without Docker.

Binder (repo2docker) builds one environment from binder/: runtime.txt picks
the Python, requirements.txt is what pip installs, and with a binder/ folder
nothing else is installed, not even minimp, unless requirements.txt says `.`.
`make test` builds that environment the same way, in .venv-binder/, and
runs every chapter under nbval with its Python (notebooks/conftest.py).
These tests check the files themselves and that environment.
"""

import os
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BINDER = ROOT / "binder"
KERNEL_PYTHON = os.environ.get("MINIMP_KERNEL_PYTHON")


@pytest.fixture
def binder_env():
    """Binder's environment from `make test`; outside it, skip (but never in CI)."""
    if not KERNEL_PYTHON:
        message = "Binder's environment is built by `make test` (MINIMP_KERNEL_PYTHON is not set)"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)


def requirement_lines() -> list[str]:
    lines = BINDER.joinpath("requirements.txt").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def runtime_version() -> tuple[int, int]:
    runtime = BINDER.joinpath("runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(\d+)\.(\d+)", runtime)
    assert match, f"binder/runtime.txt says {runtime!r}; repo2docker expects python-X.Y"
    return int(match[1]), int(match[2])


def test_runtime_names_a_python_minimp_supports():
    needed = tomllib.loads(ROOT.joinpath("pyproject.toml").read_text())["project"]["requires-python"]
    assert needed == ">=3.10"
    assert runtime_version() >= (3, 10)


def test_every_requirement_is_pinned_and_minimp_comes_from_the_root():
    lines = requirement_lines()
    assert lines[-1] == ".", "the last line must install minimp itself from the repository's root"
    loose = [line for line in lines[:-1] if not re.fullmatch(r"[A-Za-z0-9_.-]+==[A-Za-z0-9_.+!-]+", line)]
    assert not loose, f"not pinned with ==: {loose}"
    names = [re.split("==", line)[0].lower().replace("_", "-") for line in lines[:-1]]
    assert len(names) == len(set(names)), "a package is pinned twice"
    for needed in ("jupyterlab", "ipykernel", "ipywidgets", "jupyterlab-widgets", "cloudpickle", "matplotlib", "dask", "distributed"):
        assert needed in names, f"binder/requirements.txt does not pin {needed}"


def test_no_postbuild_or_a_strict_one():
    postbuild = BINDER / "postBuild"
    if postbuild.exists():
        assert postbuild.read_text().splitlines()[1:2] == ["set -euo pipefail"]


def in_binder_env(code: str) -> str:
    done = subprocess.run([KERNEL_PYTHON, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_environment_runs_the_python_of_runtime_txt(binder_env):
    version = tuple(int(part) for part in in_binder_env("import sys; print(*sys.version_info[:2])").split())
    if version != runtime_version() and not os.environ.get("CI"):
        pytest.skip(f"this machine has no Python {runtime_version()}; Binder's environment uses {version}")
    assert version == runtime_version()


def test_the_pins_satisfy_minimp_and_the_course_extras(binder_env):
    # pip check covers minimp's own requirements; the extras it does not, so
    # read each Requires-Dist of the course (course, dask) and compare.
    done = subprocess.run([KERNEL_PYTHON, "-m", "pip", "check"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    unmet = in_binder_env(
        "from importlib.metadata import requires, version, PackageNotFoundError\n"
        "from packaging.requirements import Requirement\n"
        "for line in requires('minimp'):\n"
        "    r = Requirement(line)\n"
        "    if r.name == 'minimp' or not any(r.marker is None or r.marker.evaluate({'extra': e}) for e in ('', 'course', 'dask')):\n"
        "        continue\n"
        "    try:\n"
        "        if not r.specifier.contains(version(r.name), prereleases=True): print(r, version(r.name))\n"
        "    except PackageNotFoundError: print(r, 'missing')\n"
    )
    assert unmet == ""


def test_the_environment_has_this_checkouts_minimp_and_its_chapters(binder_env):
    where = in_binder_env("import minimp, minimp.course.command; print(minimp.__version__, minimp.course.command.chapters_folder())")
    version, chapters = where.split(" ", 1)
    project = tomllib.loads(ROOT.joinpath("pyproject.toml").read_text())["project"]
    assert version == project["version"]
    assert ".venv-binder" in chapters, f"minimp's chapters should come from the installed wheel, not {chapters}"
    installed, ours = Path(chapters), ROOT / "notebooks"
    for chapter in sorted(ours.glob("[0-9][0-9]_*.ipynb")):
        assert installed.joinpath(chapter.name).read_bytes() == chapter.read_bytes(), f"{chapter.name} is stale in .venv-binder"



def test_readme_binder_links_open_chapter_00_of_this_repository_at_a_release_tag():
    project = tomllib.loads(ROOT.joinpath("pyproject.toml").read_text())["project"]
    repository = project["urls"]["Repository"].removeprefix("https://github.com/")
    readme = ROOT.joinpath("README.md").read_text()
    links = re.findall(r"https://mybinder\.org/v2/gh/([^/]+/[^/]+)/([^?\s)]+)\?urlpath=lab/tree/([^\s)]+)", readme)
    assert "[![Binder](https://mybinder.org/badge_logo.svg)](https://mybinder.org/v2/gh/" in readme
    assert {ref for _, ref, _ in links} == {f"v{project['version']}", "main"}, "links go to this release's tag (and main)"
    for repo, ref, path in links:
        assert repo == repository, f"a Binder link opens {repo}, not {repository}"
        assert ROOT.joinpath(path).is_file(), f"a Binder link opens {path}, which does not exist"
    assert links[0] == (repository, f"v{project['version']}", "notebooks/00_welcome.ipynb"), "the badge opens chapter 00 at the tag"
