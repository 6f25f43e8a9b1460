"""The Prefect UI in headless Chromium: open the deployment, run it, see it complete.

Marked `browser`. Needs Debian's chromium (`apt-get install chromium`) and Playwright from
PyPI, which drives that executable (no browser download). Without chromium the test is
skipped, unless WIREHOUSE_REQUIRE_BROWSER=1 (set by CI) makes that a failure.
Set WIREHOUSE_SCREENSHOT_DIR to also save the README's screenshots there (`make screenshots`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import SEEDS, query
from live import LivePrefect, Served

pytestmark = [pytest.mark.browser, pytest.mark.server]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags for a sandboxed machine without internet: no background calls to Google services.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("WIREHOUSE_REQUIRE_BROWSER") == "1":
            pytest.fail(f"chromium not found at {CHROMIUM}")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    source = tmp_path_factory.mktemp("ui") / "source"
    shutil.copytree(SEEDS, source)
    (source / "scan-of-a-fax.txt").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3 binary")
    prefect = LivePrefect(tmp_path_factory.mktemp("prefect-home-ui"))
    prefect.start()
    service = Served(prefect, source, source.parent / "wh", "0 6 * * *")
    try:
        service.start()
        yield service
    finally:
        service.stop()
        prefect.stop()


def test_run_a_deployment_from_the_ui(browser, served):
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.set_default_timeout(30_000)
    page.goto(f"{served.prefect.url}/deployments")
    page.get_by_role("link", name="ingest", exact=True).first.click()
    page.get_by_text("Description", exact=True).click()
    page.get_by_text("Ingest a folder now").first.wait_for()  # the deployment description

    page.get_by_role("button", name="Run", exact=True).click()
    page.get_by_role("button", name="Custom run").click()
    page.get_by_text("Folder of raw article files, walked recursively").wait_for()
    run_id = _submit_until_scheduled(page)
    # Open the new run's page. (The confirmation toast's "View run" button races the UI's
    # own return to the deployment page and can lose on a slow machine.)
    page.wait_for_url("**/deployments/deployment/**")
    page.goto(f"{served.prefect.url}/runs/flow-run/{run_id}")

    page.get_by_text("Completed").first.wait_for(timeout=120_000)
    _wait_for_log_text(page, "batch-1-of-1")
    _screenshot(page, "ui-flow-run.png")

    page.get_by_text("Artifacts", exact=True).click()
    page.get_by_text("ingest-summary").last.click()
    page.get_by_text("files found under the source folder").wait_for()
    assert page.get_by_text("scan-of-a-fax.txt").count() == 1  # the rejected file is listed
    _screenshot(page, "ui-artifact.png")
    page.close()

    assert query(served.warehouse, "SELECT count(*) FROM articles") == [(5,)]
    assert query(served.warehouse, "SELECT source_path, reason FROM rejects") == [
        ("scan-of-a-fax.txt", "binary")
    ]


def _submit_until_scheduled(page: object, attempts: int = 3) -> str:
    """Submit the run form until the server creates the run; return the run's id.

    Prefect's SQLite-backed server answers 503 ("database is locked") when two of its own
    writers collide, as happens on a busy machine right after `serve` registers. Submit
    first validates the parameters, then creates the run; when either call is refused the
    UI keeps the form and does not retry. A user submits again, and so does this test,
    printing why.
    """
    for attempt in range(1, attempts + 1):
        with page.expect_response(_created_or_refused) as answer:
            page.get_by_role("button", name="Submit").click()
        response = answer.value
        if response.ok:
            page.locator(".toast-flow-run-create").first.wait_for()  # the UI confirms it
            return response.json()["id"]
        print(f"attempt {attempt}: {response.url} answered {response.status}: {response.text()}")
        page.wait_for_timeout(1000)  # let the form take the failure in
    raise AssertionError(f"the server refused the run {attempts} times")


def _created_or_refused(response: object) -> bool:
    """The create call's answer, or a failed validation call (then no create follows)."""
    if response.url.endswith("/create_flow_run"):
        return True
    return response.url.endswith("/ui/schemas/validate") and response.status >= 500


def _wait_for_log_text(page: object, text: str, reloads: int = 2) -> None:
    """Wait for `text` in the run's logs. The UI stops polling a run's logs 30 s after it
    ends, and a busy SQLite server can make logs arrive later (Prefect's client retries
    its 503s); a user then reloads the page, and so does this test."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    for _ in range(reloads):
        try:
            page.get_by_text(text).first.wait_for()
            return
        except PlaywrightTimeout:
            print(f"{text!r} not shown yet: reloading the run's page")
            page.reload()
    page.get_by_text(text).first.wait_for()


def _screenshot(page: object, name: str) -> None:
    folder = os.environ.get("WIREHOUSE_SCREENSHOT_DIR")
    if folder:
        page.get_by_text("did not generate any task").wait_for(state="hidden")
        page.wait_for_timeout(3000)  # let the run graph finish drawing
        page.screenshot(path=str(Path(folder) / name))
