"""Build the course as a website into build/site/: `make site` (`make site REF=v0.1.0`).

Jupyter Book 1 (Sphinx, MyST-NB and the book theme: Python only) renders each chapter
from the outputs it is stored with, executing nothing; site/_config.yml and site/_toc.yml
say what and how. Each chapter's page has a button that opens it on Binder, at the git
ref REF (default `main`: for a workshop, its tag), and one that downloads the notebook.
The HTML is built in build/site-work/ and copied alone to the output folder, which is then
ready to publish as it is (README.md, "The course as a website").
"""

import argparse
import pathlib
import shutil
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent


def build(output: pathlib.Path, ref: str) -> pathlib.Path:
    """Build the site for Binder's `ref` into `output` (replacing it); returns `output`."""
    config = yaml.safe_load((ROOT / "site" / "_config.yml").read_text())
    config["repository"]["branch"] = ref
    config["sphinx"]["local_extensions"] = {name: str(ROOT / "site") for name in config["sphinx"]["local_extensions"]}
    work = output.with_name(output.name + "-work")
    shutil.rmtree(work, ignore_errors=True)  # a page taken out of _toc.yml must not stay
    work.mkdir(parents=True)
    (work / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    jupyter_book = pathlib.Path(sys.executable).with_name("jupyter-book")
    subprocess.run([jupyter_book, "build", ROOT, "--config", work / "_config.yml", "--toc", ROOT / "site" / "_toc.yml",
                    "--path-output", work, "--warningiserror", "--keep-going", "--quiet"], check=True)  # fmt: skip
    shutil.rmtree(output, ignore_errors=True)
    shutil.copytree(work / "_build" / "html", output)
    (output / ".nojekyll").touch()  # GitHub Pages: serve _static/ and _images/ as they are
    return output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=pathlib.Path, default=ROOT / "build" / "site")
    parser.add_argument("--ref", default="main", help="the git ref each page's Binder button opens (default: main)")
    args = parser.parse_args()
    try:
        index = build(args.output.resolve(), args.ref) / "index.html"
    except subprocess.CalledProcessError as error:
        print(f"build_site: Jupyter Book failed (exit code {error.returncode}): see its messages above", file=sys.stderr)
        return 1
    print(f"build_site: the site is in {index.parent}; open {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
