"""The docs page as a person uses it: in a real (headless) Chromium, the operations render, every
path of the document is on the page, and "Authorize" then "Try it out" on `GET /ot/` answers 200.

Uses the machine's Chromium (Debian's `chromium`; `.ci/run` installs it) through Playwright,
which downloads no browser of its own. Where none is installed the test is skipped, saying so.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestServer

from tests.api import Api

CHROMIUM = (
    os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
pytestmark = [
    pytest.mark.browser,
    # CI sets REQUIRE_BROWSER: there a missing browser fails instead.
    pytest.mark.skipif(
        CHROMIUM is None and "REQUIRE_BROWSER" not in os.environ,
        reason="no Chromium installed (apt-get install chromium)",
    ),
]
# Without these, Chromium tries the network at start (refused here) and, as root, refuses to
# start without --no-sandbox.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 30_000


@pytest.fixture
async def page() -> AsyncIterator:  # type: ignore[type-arg]
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield await browser.new_page()
        finally:
            await browser.close()


async def test_the_docs_page_renders_every_path_and_tries_a_request(
    page, gateway: TestServer, planner: Api
) -> None:  # type: ignore[no-untyped-def]
    spec = (await Api(planner.http, None).get("/openapi.json")).body
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(str(gateway.make_url("/mantenimiento/docs/")))
    await page.wait_for_selector(".opblock", timeout=WAIT_MS)
    shown = set(
        await page.eval_on_selector_all(
            ".opblock-summary-path", "nodes => nodes.map(n => n.dataset.path)"
        )
    )
    assert shown == set(spec["paths"]), set(spec["paths"]) ^ shown
    assert errors == []

    # Log in on the page: "Authorize", the bearer token, "Authorize", close.
    await page.click("button.authorize")
    await page.fill(".auth-container input", planner.token or "")
    await page.click(".auth-btn-wrapper button.authorize")
    await page.click(".auth-btn-wrapper button.btn-done")

    operation = page.locator("#operations-default-get_mantenimiento_ot_")
    await operation.locator(".opblock-summary").click()
    await operation.locator("button.try-out__btn").click()
    await operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table tr.response .response-col_status").first
    await status.wait_for(timeout=WAIT_MS)
    assert (await status.inner_text()).strip() == "200"
