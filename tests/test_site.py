"""The course as a website (`make site`): built here, then every page opened in Chromium.

tools/build_site.py builds it with Jupyter Book from the chapters as they are stored, for
Binder's ref REF. What a reader of the site would notice is held to:

- every chapter and the instructor guide has a page, listed in every page's table of
  contents, in the order of site/_toc.yml;
- a chapter's page shows its stored outputs, executing nothing: one picture for each PNG
  the notebook holds, and its printed output;
- on every page every picture loads and has a text alternative (not its file's name), and
  every link inside the site reaches a page that exists, at an anchor that exists;
- each chapter's page has a button that opens that chapter on Binder at REF, and a link
  that downloads the notebook itself, byte for byte;
- the search finds a chapter by a word of it.

A screenshot of each page goes to test-artifacts/site/ (not committed). Without Chromium,
the browser tests skip on a contributor's machine and fail in CI (CI=1), as the browser
test of the chapters does (tests/test_browser.py).
"""

import html
import json
import re
import shutil
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
import yaml
from browsers import require

ROOT = Path(__file__).resolve().parent.parent
REF = "v0.1.0"  # the ref the README's Binder links name (tests/test_binder.py holds them to it)
ARTIFACTS = ROOT / "test-artifacts" / "site"
TOC = yaml.safe_load((ROOT / "site" / "_toc.yml").read_text())
DOCUMENTS = [entry["file"] for part in TOC["parts"] for entry in part["chapters"]]  # notebooks/05_pools, ...
PAGES = [TOC["root"], *DOCUMENTS]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    require(None if shutil.which("jupyter-book", path=str(Path(sys.executable).parent)) else
            "Jupyter Book is missing (it is in the dev extras: make test installs it)")  # fmt: skip
    output = tmp_path_factory.mktemp("site") / "site"
    built = subprocess.run([sys.executable, ROOT / "tools" / "build_site.py", output, "--ref", REF],
                           capture_output=True, text=True, timeout=120)  # fmt: skip
    assert built.returncode == 0, f"make site failed:\n{built.stdout[-3000:]}\n{built.stderr[-3000:]}"
    return output


@pytest.fixture(scope="module")
def page(chromium):
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    yield page
    page.close()


def html_of(site: Path, document: str) -> str:
    return (site / f"{document}.html").read_text()


def stored_outputs(document: str) -> tuple[int, list[str]]:
    """A chapter's PNG outputs (how many) and the first line of each printed output."""
    pictures, printed = 0, []
    for cell in json.loads((ROOT / f"{document}.ipynb").read_text())["cells"]:
        for output in cell.get("outputs", []):
            pictures += "image/png" in output.get("data", {})
            text = "".join(output.get("text", ""))
            if output.get("output_type") == "stream" and output.get("name") == "stdout" and text.strip():
                printed.append(text.strip().splitlines()[0])
    return pictures, printed


# -- the pages, as built -----------------------------------------------------------------------


def test_every_chapter_and_the_guide_has_a_page_in_the_table_of_contents(site):
    assert [path.stem for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))] == \
        [Path(document).name for document in DOCUMENTS if document.startswith("notebooks/")]  # every chapter, in order
    for document in PAGES:
        nav = html_of(site, document).split('aria-label="Main">')[1].split("</nav>")[0]  # the sidebar
        links = re.findall(r'<a class="[^"]*reference internal" href="([^"]*)"', nav)  # "#": the page itself
        listed = [Path(urllib.parse.urljoin(f"/{document}.html", link)).with_suffix("").as_posix().lstrip("/") for link in links]
        assert [doc for doc in listed if doc in DOCUMENTS] == DOCUMENTS, f"{document}'s table of contents"


@pytest.mark.parametrize("document", [d for d in DOCUMENTS if d.startswith("notebooks/")])
def test_a_chapters_page_shows_its_stored_outputs(site, document):
    page = html_of(site, document)
    pictures, printed = stored_outputs(document)
    assert len(re.findall(r'<img [^>]*src="\.\./_images/', page)) == pictures
    text = html.unescape(re.sub(r"<[^>]+>", "", page))
    missing = [line for line in printed if line not in text]
    assert not missing, f"printed output of {document} not on its page: {missing[:3]}"


# -- the pages, in a browser -------------------------------------------------------------------


@pytest.mark.parametrize("document", PAGES)
def test_a_page_loads_its_pictures_and_every_link_inside_the_site_works(site, page, document):
    page.goto((site / f"{document}.html").as_uri())
    page.wait_for_load_state("load")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{document.replace('/', '-')}.png", full_page=False)
    images = page.eval_on_selector_all("img", "all => all.map(i => [i.currentSrc, i.complete && i.naturalWidth > 0, i.alt])")
    assert [src for src, loaded, _ in images if not loaded] == [], "pictures that did not load"
    assert [src for src, _, alt in images if not alt.strip() or Path(alt).name == Path(src).name] == [], \
        "pictures without a text alternative"  # fmt: skip
    broken = []
    for href in set(page.eval_on_selector_all("a[href]", "all => all.map(a => a.href)")):
        url = urllib.parse.urlsplit(href)
        if url.scheme != "file":
            continue  # Binder, GitHub, the chapters' references: outside the site
        target = Path(urllib.parse.unquote(url.path))
        if not target.exists():
            broken.append(f"{href}: no such file")
        elif url.fragment and target.suffix == ".html" and f'id="{url.fragment}"' not in target.read_text():
            broken.append(f"{href}: no such anchor")
    assert not broken, f"broken links on {document}: {sorted(broken)[:5]}"


@pytest.mark.parametrize("document", [d for d in DOCUMENTS if d.startswith("notebooks/")])
def test_a_chapters_page_opens_it_on_binder_and_downloads_the_notebook(site, page, document):
    page.goto((site / f"{document}.html").as_uri())
    binder = page.eval_on_selector_all('a[href*="mybinder.org"]', "all => all.map(a => a.href)")
    assert f"https://mybinder.org/v2/gh/minimp/minimp/{REF}?urlpath=lab/tree/{document}.ipynb" in binder
    downloads = page.eval_on_selector_all('a[href$=".ipynb"]', "all => all.map(a => a.href)")
    notebook = [Path(urllib.parse.urlsplit(href).path) for href in downloads if "/_sources/" in href]
    assert notebook, f"no link that downloads {document}.ipynb"
    assert notebook[0].read_bytes() == (ROOT / f"{document}.ipynb").read_bytes()


def test_the_search_finds_a_chapter_by_a_word_of_it(site, page):
    page.goto((site / "search.html").as_uri() + "?q=chunksize")
    page.wait_for_selector("#search-results ul.search li", timeout=20_000)
    found = page.eval_on_selector_all("#search-results ul.search li a", "all => all.map(a => a.href)")
    assert any("notebooks/05_pools.html" in href for href in found), found
