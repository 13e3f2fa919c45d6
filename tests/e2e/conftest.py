"""Browser fixtures: Playwright driving Debian's Chromium against the live test server."""

import os
import shutil
from pathlib import Path

import pytest

from .html_check import html_checker  # noqa: F401 - a fixture, used by `page`

CHROMIUM = os.environ.get("CONSULT_CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM):
        reason = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, html_checker):  # noqa: F811 - the fixture imported above
    """A fresh browser tab whose relative URLs go to the live server; the Nu HTML checker
    reads every page it loads (tests/e2e/html_check.py)."""
    context = browser.new_context(base_url=live_server.url, locale="fr-CA")
    page = context.new_page()
    html_checker.watch(page)
    page.set_default_timeout(10_000)
    yield page
    context.close()


#: Where the browser tests keep their screenshots (gitignored), to be looked at.
SCREENSHOTS = Path(__file__).parent / "screenshots"


@pytest.fixture
def screenshot():
    """screenshot(page, "name"): the whole page, kept as screenshots/name.png."""

    def take(page, name, full_page=True):
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=path, full_page=full_page)
        return path

    return take


#: What axe-core reports that fails a test; "moderate" and "minor" are read, not failed on.
BLOCKING_IMPACTS = ("serious", "critical")


@pytest.fixture
def accessible():
    """accessible(page): axe-core (bundled with axe-playwright-python, no network) finds no
    serious or critical issue on the page as it stands; fails with what it found."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page):
        results = axe.run(page)
        blocking = [
            f"{violation['id']} ({violation['impact']}): {violation['help']} — "
            + ", ".join(node["target"][0] for node in violation["nodes"][:3])
            for violation in results.response["violations"]
            if violation["impact"] in BLOCKING_IMPACTS
        ]
        assert not blocking, f"{page.url}:\n" + "\n".join(blocking)
        return results

    return check
