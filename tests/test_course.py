"""`python -m minimp.course DIR`: the chapters copied out of the package.

The first tests run the command from this checkout (an editable install
reads the checkout's notebooks/). The last ones build the wheel, install it
with the course's extras in a new virtual environment, and run the command
there, as a learner without Binder would; tests/test_browser.py then runs
every chapter so copied in JupyterLab.
"""

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from minimp.course import command as course

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
CHAPTERS = sorted(path.name for path in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def run_course(*args, python=sys.executable, **kwargs):
    return subprocess.run([python, "-m", "minimp.course", *map(str, args)], capture_output=True, text=True,
                          timeout=60, **kwargs)  # fmt: skip


def test_copies_the_chapters_and_the_files_they_read(tmp_path):
    done = run_course(tmp_path / "course", "--no-lab")
    assert done.returncode == 0, done.stderr
    assert "copied: 23 files (11 chapters)" in done.stdout
    copied = tmp_path / "course"
    assert sorted(path.name for path in copied.glob("*.ipynb")) == CHAPTERS
    for name in ["helpers_ch02.py", "helpers_ch03.py", "helpers_ch04.py", *(f"primer/{p.name}" for p in NOTEBOOKS.glob("primer/*.py"))]:
        assert copied.joinpath(name).read_bytes() == NOTEBOOKS.joinpath(name).read_bytes()
    # What only the tests and reviewers use stays behind.
    assert not (copied / "text").exists() and not (copied / "conftest.py").exists()


def test_a_second_run_keeps_the_learners_work(tmp_path):
    course.copy_course(tmp_path)
    mine = tmp_path / "05_pools.ipynb"
    mine.write_text("my work")
    done = course.copy_course(tmp_path)
    assert mine.read_text() == "my work"
    assert len(done["kept"]) == 23 and not done["copied"]
    (tmp_path / "06_futures.ipynb").unlink()
    assert course.copy_course(tmp_path)["copied"] == [Path("06_futures.ipynb")]


def test_reset_restores_a_chapter_and_keeps_the_learners_copy(tmp_path):
    course.copy_course(tmp_path)
    (tmp_path / "05_pools.ipynb").write_text("my work")
    (tmp_path / "05_pools.backup.ipynb").write_text("an older backup")
    done = run_course(tmp_path, "--reset", "5", "--no-lab")
    assert done.returncode == 0, done.stderr
    assert "05_pools.ipynb is the original again; yours is now 05_pools.backup-2.ipynb" in done.stdout
    assert (tmp_path / "05_pools.ipynb").read_bytes() == (NOTEBOOKS / "05_pools.ipynb").read_bytes()
    assert (tmp_path / "05_pools.backup-2.ipynb").read_text() == "my work"
    assert (tmp_path / "05_pools.backup.ipynb").read_text() == "an older backup"


@pytest.mark.parametrize("name", ["05", "5", "05_pools", "pools", "05_pools.ipynb"])
def test_a_chapter_can_be_named_by_number_or_name(tmp_path, name):
    course.copy_course(tmp_path)
    (tmp_path / "05_pools.ipynb").write_text("my work")
    (tmp_path / "06_futures.ipynb").write_text("other work")
    assert course.copy_course(tmp_path, [name])["reset"] == [Path("05_pools.ipynb")]
    assert (tmp_path / "06_futures.ipynb").read_text() == "other work"


def test_reset_all_restores_every_changed_file(tmp_path):
    course.copy_course(tmp_path)
    for name in ("00_welcome.ipynb", "helpers_ch02.py", "primer/using_pool.py"):
        (tmp_path / name).write_text("changed")
    done = course.copy_course(tmp_path, ["all"])
    assert done["reset"] == [Path("00_welcome.ipynb"), Path("helpers_ch02.py"), Path("primer/using_pool.py")]
    assert (tmp_path / "primer/using_pool.backup.py").read_text() == "changed"


def test_an_unknown_chapter_is_an_error_that_lists_them(tmp_path):
    done = run_course(tmp_path, "--reset", "12", "--no-lab")
    assert done.returncode == 2
    assert "--reset 12: no such chapter; the chapters are 00_welcome, 01_processes" in done.stderr
    assert "10_beyond (or all)" in done.stderr
    assert not any(tmp_path.iterdir()), "nothing is copied when the command is wrong"


def test_a_file_in_the_way_is_an_error(tmp_path):
    (tmp_path / "course").write_text("")
    done = run_course(tmp_path / "course", "--no-lab")
    assert done.returncode == 2
    assert "is a file; give a folder for the course" in done.stderr


def test_it_opens_jupyterlab_in_the_folder_with_what_follows_the_double_dash(tmp_path):
    # JupyterLab's --version answers and exits: the command got as far as
    # starting JupyterLab, and its own report, buffered as a pipe's output
    # is, was not lost when it did.
    buffered = {name: value for name, value in os.environ.items() if name != "PYTHONUNBUFFERED"}
    done = run_course(tmp_path / "course", "--", "--version", env=buffered)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:2] == [f"The course is in {tmp_path / 'course'}:", "  copied: 23 files (11 chapters)"]
    assert re.fullmatch(r"4\.\d+\.\d+", lines[-1]), f"JupyterLab's version, not {lines[-1]!r}"


def test_as_root_it_tells_jupyterlab_that_root_is_allowed():
    assert course.with_root_allowed(["--port", "8890"], uid=0) == ["--allow-root", "--port", "8890"]
    assert course.with_root_allowed(["--allow-root"], uid=0) == ["--allow-root"]
    assert course.with_root_allowed(["--port", "8890"], uid=1000) == ["--port", "8890"]


def test_without_jupyterlab_it_copies_and_says_what_to_install(tmp_path):
    # A Python with minimp but no JupyterLab: a new environment, with this
    # checkout's src/ on its path (the course module needs nothing else).
    venv.create(tmp_path / "bare")
    done = run_course(tmp_path / "course", python=tmp_path / "bare/bin/python", env={"PYTHONPATH": str(ROOT / "src")})
    assert done.returncode == 1
    assert "copied: 23 files" in done.stdout
    assert "JupyterLab is not installed in this Python" in done.stderr
    assert 'python -m pip install "minimp[course]"' in done.stderr


@pytest.mark.timeout(300)
def test_the_wheel_carries_the_chapters(wheel_python, tmp_path):
    done = run_course(tmp_path / "course", "--no-lab", python=wheel_python)
    assert done.returncode == 0, done.stderr
    where = subprocess.run([wheel_python, "-c", "import minimp.course.command; print(minimp.course.command.chapters_folder())"],
                           capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert where.startswith(str(wheel_python.parent.parent)), f"chapters read from {where}, not from the wheel"
    for chapter in CHAPTERS:
        assert (tmp_path / "course" / chapter).read_bytes() == (NOTEBOOKS / chapter).read_bytes()
    checked = subprocess.run([wheel_python, "-m", "pip", "check"], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout
