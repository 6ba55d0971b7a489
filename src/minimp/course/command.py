"""The course on your machine: copy the chapters into a folder and open JupyterLab.

    python -m pip install "minimp-0.1.0-py3-none-any.whl[course]"
    python -m minimp.course minimp-course

copies the chapters (with the files they read: `helpers_chNN.py`, the
primer's programs) into the folder `minimp-course`, then opens JupyterLab
there on chapter 00. Run it again later and it copies only what is missing:
your work in a chapter is never overwritten. To start a chapter afresh,

    python -m minimp.course minimp-course --reset 05 --no-lab

puts the original chapter 05 back and keeps yours beside it as
`05_pools.backup.ipynb`; `--reset all` does the same for every file. On
Binder the folder is `notebooks`.

Where the chapters come from: an installed wheel carries them inside the
package, as `minimp/chapters/` (see pyproject.toml); an editable install
from a checkout reads them from the checkout's `notebooks/` folder.
Anything after `--` goes to JupyterLab unchanged (`-- --port 8890`).
"""

from __future__ import annotations

import argparse
import filecmp
import importlib.util
import os
import shutil
import sys
from pathlib import Path

_CHECKOUT_NOTEBOOKS = Path(__file__).resolve().parents[3] / "notebooks"


def chapters_folder() -> Path:
    """Where this installation of minimp keeps the original chapters."""
    for folder in (Path(__file__).resolve().parents[1] / "chapters", _CHECKOUT_NOTEBOOKS):
        if (folder / "00_welcome.ipynb").is_file():
            return folder
    raise FileNotFoundError(
        "this installation of minimp has no chapters: install minimp from its wheel "
        "or from a checkout of its repository"
    )


def course_files(source: Path) -> list[Path]:
    """The files a learner needs, relative to `source`: chapters first."""
    chapters = sorted(source.glob("[0-9][0-9]_*.ipynb"))
    companions = sorted(source.glob("helpers_*.py")) + sorted(source.glob("primer/*.py"))
    return [path.relative_to(source) for path in chapters + companions]


def copy_course(folder: Path, reset: list[str] = ()) -> dict[str, list[Path]]:
    """Copy what is missing into `folder`; restore the files `reset` names.

    Returns what happened to each file: "copied", "kept" (yours, unchanged
    by us), "reset" (the original is back) and "backup" (where yours went).
    """
    source = chapters_folder()
    files = course_files(source)
    to_reset = _resolve(reset, files)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"{folder} is a file; give a folder for the course")
    done: dict[str, list[Path]] = {"copied": [], "kept": [], "reset": [], "backup": []}
    for name in files:
        original, target = source / name, folder / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(original, target)
            done["copied"].append(name)
        elif name not in to_reset or filecmp.cmp(original, target, shallow=False):
            done["kept"].append(name)
        else:
            backup = _free_name(target)
            target.rename(backup)
            shutil.copyfile(original, target)
            done["reset"].append(name)
            done["backup"].append(backup.relative_to(folder))
    return done


def _resolve(reset: list[str], files: list[Path]) -> set[Path]:
    """Turn "05", "5", "05_pools", "pools" or "all" into the files they name."""
    if "all" in reset:
        return set(files)
    chapters = [name for name in files if name.suffix == ".ipynb"]
    chosen = set()
    for wanted in reset:
        matches = [name for name in chapters if _names(wanted, name)]
        if not matches:
            known = ", ".join(name.stem for name in chapters)
            raise ValueError(f"--reset {wanted}: no such chapter; the chapters are {known} (or all)")
        chosen.update(matches)
    return chosen


def _names(wanted: str, chapter: Path) -> bool:
    """Does `wanted` ("5", "05", "05_pools", "pools" or "05_pools.ipynb") name `chapter`?"""
    number, _, title = chapter.stem.partition("_")
    if wanted.isdigit():
        return int(wanted) == int(number)
    return wanted in (chapter.name, chapter.stem, title)


def _free_name(target: Path) -> Path:
    """05_pools.ipynb -> 05_pools.backup.ipynb (or .backup-2, -3 … if taken)."""
    candidate, n = target.with_name(f"{target.stem}.backup{target.suffix}"), 1
    while candidate.exists():
        n += 1
        candidate = target.with_name(f"{target.stem}.backup-{n}{target.suffix}")
    return candidate


def open_lab(folder: Path, lab_args: list[str]) -> None:
    """Replace this process with JupyterLab, serving `folder`, on chapter 00."""
    if importlib.util.find_spec("jupyterlab") is None:
        raise RuntimeError(
            f"JupyterLab is not installed in this Python ({sys.executable}). Install the "
            'course\'s extras with  python -m pip install "minimp[course]"  (or the wheel with '
            f'[course]), or open {folder} in the Jupyter you have'
        )
    sys.stdout.flush()  # execv() replaces the process: what is still buffered would be lost
    os.chdir(folder)
    os.execv(sys.executable, [sys.executable, "-m", "jupyterlab", *with_root_allowed(lab_args), "00_welcome.ipynb"])


def with_root_allowed(lab_args: list[str], uid: int | None = None) -> list[str]:
    """JupyterLab refuses to run as root unless told --allow-root: as root (a container, a workshop
    VM) the course tells it, as `make lab` does."""
    uid = os.getuid() if uid is None else uid
    return ["--allow-root", *lab_args] if uid == 0 and "--allow-root" not in lab_args else lab_args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    lab_args = argv[argv.index("--") + 1 :] if "--" in argv else []
    ours = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(
        prog="python -m minimp.course",
        description="Copy minimp's chapters into a folder and open JupyterLab there.",
        epilog="Arguments after -- go to JupyterLab, for example: -- --port 8890",
    )
    parser.add_argument("folder", nargs="?", default="minimp-course", help="where the chapters go (default: minimp-course)")
    parser.add_argument("--reset", nargs="+", default=[], metavar="CHAPTER", help="put these chapters back as they were (05, 05_pools, or all); yours are kept as NN_name.backup.ipynb")
    parser.add_argument("--no-lab", action="store_true", help="copy only; do not open JupyterLab")
    args = parser.parse_args(ours)
    folder = Path(args.folder).expanduser()
    try:
        done = copy_course(folder, args.reset)
    except (ValueError, OSError) as error:
        parser.error(str(error))
    print(report(folder, done))
    if args.no_lab:
        return 0
    try:
        open_lab(folder, lab_args)
    except RuntimeError as error:
        print(f"minimp.course: {error}", file=sys.stderr)
        return 1
    return 0  # not reached: open_lab() replaces this process


def report(folder: Path, done: dict[str, list[Path]]) -> str:
    lines = [f"The course is in {folder}:"]
    for what, names in done.items():
        if names and what != "backup":
            chapters = sum(1 for name in names if name.suffix == ".ipynb")
            lines.append(f"  {what:>6}: {_count(len(names), 'file')} ({_count(chapters, 'chapter')})")
    for name, backup in zip(done["reset"], done["backup"]):
        lines.append(f"  {name} is the original again; yours is now {backup}")
    if done["kept"] and not done["reset"]:
        lines.append("  Files you already had were kept; --reset 05 restores chapter 05 (your copy is kept).")
    return "\n".join(lines)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"

