"""A link that hands every participant of a JupyterHub the chapters: nbgitpuller's.

    python -m minimp.course.hub https://hub.example.org https://github.com/OWNER/minimp

prints a link to give the room. Clicked, it logs the participant into the hub,
starts their server, and nbgitpuller (installed in the hub's user environment)
clones the repository into their home, or, on a second click, pulls what changed
without overwriting their edits; then JupyterLab opens chapter 00. The
instructor guide's "Running the course on a JupyterHub" section says how to set
the hub up.

The link's shape, as nbgitpuller reads it::

    HUB/hub/user-redirect/git-pull?repo=REPO&branch=BRANCH&urlpath=lab/tree/NAME/notebooks/CHAPTER

with each value URL-encoded; NAME is the folder nbgitpuller clones into, the
repository's last path component (without `.git`).
"""

from __future__ import annotations

import argparse
import sys
from urllib.parse import quote, urlsplit

from .command import chapters_folder

__all__ = ["hub_link"]


def hub_link(hub: str, repo: str, branch: str = "main", chapter: str = "00") -> str:
    """The nbgitpuller link that opens chapter `chapter` ("05", or a file name) of `repo` on `hub`."""
    for name, url in (("hub", hub), ("repo", repo)):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"hub_link({name}={url!r}): {name} must be an http(s) URL, e.g. "
                             f"{'https://hub.example.org' if name == 'hub' else 'https://github.com/OWNER/minimp'}")  # fmt: skip
    if not branch or any(c in branch for c in " ?&#"):
        raise ValueError(f"hub_link(branch={branch!r}): branch must be a git branch name, e.g. 'main'")
    folder = urlsplit(repo).path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    path = f"lab/tree/{folder}/notebooks/{_chapter(chapter)}"
    return (f"{hub.rstrip('/')}/hub/user-redirect/git-pull?repo={quote(repo, safe='')}"
            f"&branch={quote(branch, safe='')}&urlpath={quote(path, safe='')}")  # fmt: skip


def _chapter(chapter: str) -> str:
    """The chapter's file name, from "05" or "05_pools.ipynb": one the course has."""
    names = sorted(path.name for path in chapters_folder().glob("[0-9][0-9]_*.ipynb"))
    found = [name for name in names if name == chapter or name.startswith(f"{chapter}_")]
    if len(found) != 1:
        raise ValueError(f"hub_link(chapter={chapter!r}): no such chapter; the chapters are "
                         f"{', '.join(name.split('_')[0] for name in names)}")  # fmt: skip
    return found[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minimp.course.hub", description=__doc__.split("\n\n")[0])
    parser.add_argument("hub", help="the hub's address, e.g. https://hub.example.org")
    parser.add_argument("repo", help="the course's git repository, e.g. https://github.com/OWNER/minimp")
    parser.add_argument("--branch", default="main", help="the branch or tag to hand out (default: main)")
    parser.add_argument("--chapter", default="00", help="the chapter the link opens (default: 00)")
    args = parser.parse_args(argv)
    try:
        print(hub_link(args.hub, args.repo, args.branch, args.chapter))
    except ValueError as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    sys.exit(main())
