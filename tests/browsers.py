"""What the browser tests share (tests/test_browser.py, tests/test_site.py): Debian's
Chromium, driven by Playwright, and what to do where it is missing.

Playwright cannot download its own browsers here, so it is given /usr/bin/chromium, which
`make test` installs with apt when it may. Without it, or without Playwright, a browser test
skips on a contributor's machine and fails in CI (CI=1), where nothing may be skipped.
"""

import contextlib
import os

import pytest

CHROMIUM = "/usr/bin/chromium"
# The flags that keep Chromium quiet on a machine without a network.
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]  # fmt: skip


def require(what_is_missing: str | None) -> None:
    """Skip a test that cannot run here, on a contributor's machine; in CI, fail it."""
    if what_is_missing:
        message = f"this test cannot run: {what_is_missing}"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)


@contextlib.contextmanager
def launch():
    """Chromium, headless, for as long as the block runs."""
    require(None if os.access(CHROMIUM, os.X_OK) else
            f"{CHROMIUM} is missing; `make test` installs Debian's chromium when it may (apt-get install chromium)")  # fmt: skip
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require("Playwright's Python package is missing (it is in the dev extras: make test installs it)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()
