"""Every chapter, run in JupyterLab in a real browser, as a learner runs it.

The learner without Binder: the wheel installed with the course's extras in
a new environment (the `wheel_python` fixture), `python -m minimp.course DIR`
opening JupyterLab (here on 127.0.0.1, with a token, no browser of its own),
and Debian's Chromium, headless, driven by Playwright (its own browsers
cannot be downloaded here, so it is given /usr/bin/chromium). For each
chapter the test presses Run ▸ Run All Cells, waits until no prompt shows
[*], saves, and then asserts what a learner would see:

- every cell ran, and only cells tagged raises-exception hold an error;
- every widget rendered: no "Error displaying widget", none stuck at
  "Loading widget...";
- where the chapter shows a timeline widget, its lanes are drawn, a click
  on its zoom slider redraws it, and (for a single trace's timeline) a
  click on its task slider shows that task's details;
- and without a mouse: from its first control, Tab reaches every control
  of a single trace's timeline in turn, the right arrow on the task slider
  shows the next task, Enter chooses a colouring, Space shows the table;
- then in JupyterLab Dark as well as Light (Settings ▸ Theme, on the page
  that ran): every text of minimp's pictures stands out from what is behind
  it, by WCAG's contrast ratio measured on the rendered page (at least 4.5,
  what WCAG asks of text), and each picture is an image named for a screen
  reader.

A screenshot of each chapter in each theme goes to test-artifacts/browser/ (not committed),
with each chapter's time in times.txt. Without Chromium the tests skip on a
contributor's machine and fail in CI (CI=1), where `make test` installs it.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted(path.name for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ARTIFACTS = ROOT / "test-artifacts" / "browser"
RUN_LIMIT = 240  # seconds for one chapter's cells; nbval needs at most 20
THEMES = ("JupyterLab Light", "JupyterLab Dark")  # the first is where each chapter runs
LEAST_CONTRAST = 4.5  # WCAG 2's ratio for text (AA): between 1 (none) and 21 (black on white)


@pytest.fixture(scope="module")
def browser(chromium):
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # this run's pictures and times only
    return chromium


@pytest.fixture(scope="module")
def lab(wheel_python, tmp_path_factory):
    """JupyterLab, opened by `python -m minimp.course DIR` from the wheel's environment.

    Yields (base URL, token, DIR). Its settings, workspaces and kernels'
    files live in a scratch folder, so nothing of this machine's Jupyter
    setup takes part."""
    scratch = tmp_path_factory.mktemp("lab")
    token = secrets.token_hex(16)
    with socket.socket() as probe:  # a free port; JupyterLab listens on it only on 127.0.0.1
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "PYTEST_", "MINIMP_"))},
        "PATH": f"{wheel_python.parent}:{os.environ['PATH']}",
        "JUPYTER_CONFIG_DIR": str(scratch / "config"), "JUPYTER_DATA_DIR": str(scratch / "data"),
        "JUPYTER_RUNTIME_DIR": str(scratch / "runtime"), "JUPYTERLAB_SETTINGS_DIR": str(scratch / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(scratch / "workspaces"),
    }  # fmt: skip
    server_args = ["--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
                   f"--IdentityProvider.token={token}", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]  # fmt: skip
    # A learner's first visit asks which kernel to start and whether to fetch
    # news; answer both in the settings, so no dialog covers the notebook.
    # And render every cell, not only those in view, so each can be checked.
    for plugin, settings in [("notebook-extension/tracker", {"autoStartDefaultKernel": True, "windowingMode": "none"}),
                             ("apputils-extension/notification", {"fetchNews": "false"})]:  # fmt: skip
        path = scratch / "settings" / "@jupyterlab" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    if os.getuid() == 0:
        server_args.append("--allow-root")  # JupyterLab refuses root without it
    log = open(scratch / "lab.log", "w")
    server = subprocess.Popen([wheel_python, "-m", "minimp.course", scratch / "course", "--", *server_args],
                              env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(base, token, server, scratch / "lab.log")
        yield base, token, scratch / "course"
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # JupyterLab shuts its kernels down, then exits
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


def _wait_until_serving(base: str, token: str, server: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"JupyterLab did not answer within 60 s:\n{log.read_text()[-3000:]}")


def _api(base: str, token: str, path: str, method: str = "GET"):
    request = urllib.request.Request(f"{base}{path}", method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        body = answer.read()
    return json.loads(body) if body else None


@pytest.mark.timeout(600)  # the first chapter also builds the wheel's environment (about a minute)
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_in_jupyterlab(chapter, browser, lab):
    base, token, folder = lab
    page = browser.new_page(viewport={"width": 1280, "height": 2000})
    began = time.monotonic()
    try:
        page.goto(f"{base}/lab/tree/{chapter}?reset&token={token}")
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        # Connected to its kernel, which is idle: before that, Run All would skip every cell.
        page.locator(".jp-StatusBar-TextItem", has_text=re.compile(r"\| Idle$")).wait_for(timeout=60_000)
        _click_menu(page, "Run", "Run All Cells")
        _wait_for_all_cells(page, chapter)
        saved_before = (folder / chapter).stat().st_mtime_ns
        _click_menu(page, "File", "Save Notebook")
        if not _eventually(lambda: (folder / chapter).stat().st_mtime_ns != saved_before, 10):
            pytest.fail(f"{chapter}: JupyterLab did not save")
        ran = time.monotonic() - began

        _assert_widgets_rendered(page, chapter)
        _assert_cells_ran(folder / chapter)
        if _shows_a_timeline(folder / chapter):
            _assert_timeline_drawn_and_responds(page, chapter)
        _assert_pictures_readable(page, chapter, THEMES[0])  # in the theme it ran in
        for theme in THEMES[1:]:
            _change_theme(page, theme)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=ARTIFACTS / chapter.replace(".ipynb", f" ({theme}).png"))
            _assert_pictures_readable(page, chapter, theme)
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=ARTIFACTS / chapter.replace(".ipynb", ".png"))
        if page.evaluate("document.body.dataset.jpThemeName") != THEMES[0]:
            _change_theme(page, THEMES[0])  # JupyterLab keeps the choice: the next chapter runs in light
        page.close()
        for kernel in _api(base, token, "/api/kernels"):  # each chapter gets both CPUs to itself
            _api(base, token, f"/api/kernels/{kernel['id']}", "DELETE")
    with open(ARTIFACTS / "times.txt", "a") as times:
        times.write(f"{chapter}: all cells run and saved in {ran:.1f} s, checked in {time.monotonic() - began:.1f} s\n")


def _click_menu(page, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).click()


def _eventually(condition, seconds: float) -> bool:
    """Whether `condition()` holds within `seconds` (asked every 0.2 s)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


def _wait_for_all_cells(page, chapter: str) -> None:
    """Until no code cell shows [*] (running or queued) or [ ] (not run).
    (A hidden solution's prompt is empty: its input is collapsed.) If some
    stay [ ] with none running, Run All stopped at an error: return, and let
    the saved notebook tell which."""
    deadline, stalled_since = time.monotonic() + RUN_LIMIT, None
    while time.monotonic() < deadline:
        prompts = [p.strip() for p in page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()]
        running, not_run = prompts.count("[*]:"), prompts.count("[ ]:")
        if prompts and not running and not not_run:
            return
        stalled_since = (stalled_since or time.monotonic()) if not running else None
        if stalled_since and time.monotonic() - stalled_since > 5:
            return
        time.sleep(0.5)
    pytest.fail(f"{chapter}: {running} cells still running or queued after {RUN_LIMIT} s")


def _assert_widgets_rendered(page, chapter: str) -> None:
    # A widget shows "Loading widget..." until its model arrives; give it a moment.
    _eventually(lambda: page.get_by_text("Loading widget...").count() == 0, 15)
    assert page.get_by_text("Error displaying widget").count() == 0, f"{chapter}: a widget failed to display"
    assert page.get_by_text("Loading widget...").count() == 0, f"{chapter}: a widget never loaded"


def _assert_cells_ran(saved: Path) -> None:
    """From the notebook as JupyterLab saved it: every code cell ran, in order,
    and errors only where the chapter expects them."""
    cells = [cell for cell in json.loads(saved.read_text())["cells"] if cell["cell_type"] == "code"]
    for number, cell in enumerate(cells, start=1):
        errors = [output for output in cell["outputs"] if output["output_type"] == "error"]
        if errors and "raises-exception" not in cell["metadata"].get("tags", []):
            raise AssertionError(f"{saved.name}, code cell {number}: {errors[0]['ename']}: {errors[0]['evalue']}")
    counts = [cell["execution_count"] for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), f"{saved.name}: execution counts {counts}"


def _shows_a_timeline(saved: Path) -> bool:
    cells = [cell for cell in json.loads(saved.read_text())["cells"] if cell["cell_type"] == "code"]
    return any(re.search(r"\.timeline\(|live_timeline\(|widgets\.compare\(", "".join(cell["source"])) for cell in cells)


def _assert_timeline_drawn_and_responds(page, chapter: str) -> None:
    """The chapter's first timeline widget has lanes and answers the mouse."""
    view = page.locator(".minimp-timeline-view, .minimp-compare-view").first
    view.scroll_into_view_if_needed()
    assert view.locator("svg.minimp-timeline text.lane").count() >= 1, f"{chapter}: the timeline has no lanes"
    # Drag the zoom's right handle halfway back: the picture shows the first half.
    zoom = _slider(view, "zoom")
    _changes_view(view, f"{chapter}: dragging the zoom slider", lambda: _drag(page, zoom.locator(".noUi-handle-upper"), zoom, 0.5))
    if "minimp-timeline-view" in view.get_attribute("class"):
        # A click on the task slider picks a task: outlined, and described below.
        task = _slider(view, "task")
        _changes_view(view, f"{chapter}: a click on the task slider", lambda: task.click())
        assert "arguments" in view.locator(".minimp-task-details").inner_text(), f"{chapter}: no task details"
    single = page.locator(".minimp-timeline-view")
    if single.count():
        _assert_operable_by_keyboard(page, single.first, chapter)


# What the keyboard is on, inside a timeline view: its control's kind and name ("slider task").
FOCUSED = r"""(view) => {
  const e = document.activeElement;
  if (!e || !view.contains(e)) return null;
  const control = e.closest(".widget-slider, .widget-toggle-buttons, .widget-button, .widget-toggle-button");
  if (!control) return "other";
  const label = (control.querySelector(".widget-label") || control).innerText.trim().split("\n")[0];
  if (control.matches(".widget-slider")) return `slider ${label}` + (e.matches(".noUi-handle-upper") ? " (upper)" : "");
  return `button ${control.matches(".widget-toggle-buttons") ? e.innerText.trim() : label}`;
}"""


def _assert_operable_by_keyboard(page, view, chapter: str) -> None:
    """Tab, from the view's first control, reaches each of them in turn; the arrow keys move a
    slider, and Space or Enter presses a button, as a learner without a mouse would use them."""
    view.locator(".widget-toggle-buttons button").first.focus()
    reached, handle = [], view.element_handle()
    for _ in range(40):
        where = page.evaluate(FOCUSED, handle)
        if where is None:  # past the view's last control
            break
        if where not in reached:
            reached.append(where)
        page.keyboard.press("Tab")
    wanted = ["button status", "button function", "slider zoom (s)", "slider zoom (s) (upper)", "button ▶ replay",
              "slider replay", "slider task", "button table"]  # fmt: skip
    assert [w for w in wanted if w not in reached] == [], f"{chapter}: Tab did not reach these controls: {reached}"
    view.locator(".widget-slider", has_text=re.compile("^task")).locator(".noUi-handle").focus()
    details = view.locator(".minimp-task-details")
    before = details.inner_text()
    page.keyboard.press("ArrowRight")  # the next task (perhaps outside the zoom: its details, then)
    assert _eventually(lambda: details.inner_text() != before and "arguments" in details.inner_text(), 10), \
        f"{chapter}: the right arrow on the task slider showed no other task"  # fmt: skip
    by_function = view.locator(".widget-toggle-buttons button", has_text=re.compile("^function$"))
    by_function.focus()
    page.keyboard.press("Enter")  # (the picture may look the same: a run of one function has one colour)
    assert _eventually(lambda: "mod-active" in by_function.get_attribute("class"), 10), \
        f"{chapter}: Enter on 'colour by function' did not choose it"  # fmt: skip
    view.locator(".widget-toggle-button", has_text=re.compile("^table$")).focus()
    page.keyboard.press("Space")
    table = view.locator(".minimp-summary-table table.minimp-summary")
    assert _eventually(lambda: table.count() and table.first.is_visible(), 10), f"{chapter}: Space on 'table' showed no table"


def _slider(view, label: str):
    return view.locator(".widget-slider", has_text=re.compile(f"^{label}")).locator(".noUi-target")


def _drag(page, handle, track, to: float) -> None:
    """Press the mouse on `handle`, move it to `to` (0..1) of `track`, release."""
    grip, rail = handle.bounding_box(), track.bounding_box()
    y = grip["y"] + grip["height"] / 2
    page.mouse.move(grip["x"] + grip["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(rail["x"] + rail["width"] * to, y, steps=8)
    page.mouse.up()


def _changes_view(view, what: str, action) -> None:
    """`action` must redraw the picture itself, not only move a control."""
    picture = view.locator("svg.minimp-timeline").first
    before = picture.inner_html()
    action()
    assert _eventually(lambda: picture.inner_html() != before, 10), f"{what} did not redraw the timeline"


def _change_theme(page, theme: str) -> None:
    """Settings ▸ Theme ▸ `theme`, as a learner would; wait until the page wears it."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Settings$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Theme$")).hover()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{theme}$")).click()
    if not _eventually(lambda: page.evaluate("document.body.dataset.jpThemeName") == theme, 20):
        pytest.fail(f"JupyterLab did not change to {theme}")
    page.wait_for_timeout(500)  # the theme's style sheet is in; let the page draw with it


# For every text of minimp's SVG pictures: its colour and the colour of what is drawn behind
# it (the band of its lane, or the first element around it with a background), composed where
# translucent, and WCAG 2's contrast ratio of the two. (Read on the rendered page: what the
# theme's variables really gave, not what the SVG asked for.)
CONTRASTS = r"""() => {
  const rgba = (text) => { if (!text.startsWith("rgb")) return null; const n = text.match(/[\d.]+/g).map(Number); return [n[0], n[1], n[2], n.length > 3 ? n[3] : 1]; };
  const over = (top, bottom) => [0, 1, 2].map(i => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const luminance = (c) => { const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const page = (element) => { const layers = []; for (let e = element; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor); if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } } return layers.reverse().reduce((below, top) => over(top, below), [255, 255, 255, 1]); };
  const found = [];
  for (const svg of document.querySelectorAll("svg.minimp-timeline, svg.minimp-queue-depth")) {
    const bands = [...svg.querySelectorAll("rect:not(.bar)")].map(r => [r.getBoundingClientRect(), rgba(getComputedStyle(r).fill)]).filter(([b, fill]) => fill);
    for (const text of svg.querySelectorAll("text")) {
      const box = text.getBoundingClientRect(), x = box.x + box.width / 2, y = box.y + box.height / 2;
      let behind = page(svg);
      for (const [b, fill] of bands) if (x >= b.left && x <= b.right && y >= b.top && y <= b.bottom) behind = over(fill, behind);
      const ink = over(rgba(getComputedStyle(text).fill), behind);
      const [light, dark] = [luminance(ink), luminance(behind)].sort((a, b) => b - a);
      found.push({text: text.textContent, ratio: (light + 0.05) / (dark + 0.05), named: svg.getAttribute("role") === "img" && !!svg.getAttribute("aria-label")});
    }
  }
  return found;
}"""


def _assert_pictures_readable(page, chapter: str, theme: str) -> None:
    texts = page.evaluate(CONTRASTS)
    unnamed = sorted({t["text"] for t in texts if not t["named"]})
    assert not unnamed, f"{chapter} in {theme}: a picture with these texts has no name for a screen reader: {unnamed[:5]}"
    faint = sorted((round(t["ratio"], 2), t["text"]) for t in texts if t["ratio"] < LEAST_CONTRAST)
    assert not faint, f"{chapter} in {theme}: texts fainter than {LEAST_CONTRAST}:1 against their background: {faint[:5]}"
