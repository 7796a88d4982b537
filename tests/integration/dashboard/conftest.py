"""A daemon with real containers for the dashboard's browser tests, and Debian's headless
Chromium driven by Playwright (`executable_path`: Playwright's own browser download is never
used). One daemon and one browser per module; each test gets a fresh browser context, logged in
over TCP unless it says otherwise. Screenshots go to $DOCKFORM_TEST_ARTIFACTS (default
tests/artifacts), and the README's to docs/ when DOCKFORM_README_SCREENSHOTS=1."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.integration.api.conftest import (  # noqa: F401 - fixtures used by the tests
    ApiDaemon,
    build_context,
    free_port,
    image_yaml,
)
from tests.integration.engine.conftest import start_daemon, teardown_daemon

CHROMIUM = "/usr/bin/chromium"
REPO = Path(__file__).resolve().parents[3]
ARTIFACTS = Path(os.environ.get("DOCKFORM_TEST_ARTIFACTS", REPO / "tests" / "artifacts"))


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory, docker_runtime: Any) -> Iterator[ApiDaemon]:
    """A daemon on a private home, on its socket and a loopback TCP port. A test may restart
    it (`restart`): the holder then points at the new process."""
    port = free_port()
    home = tmp_path_factory.mktemp("dockform-dash")
    running = ApiDaemon(start_daemon(home, "--listen", f"tcp://127.0.0.1:{port}"), port)
    yield running
    teardown_daemon(running.daemon)


def restart(running: ApiDaemon) -> None:
    running.daemon.stop()
    running.daemon = start_daemon(running.home, "--listen", f"tcp://127.0.0.1:{running.port}")


@pytest.fixture(scope="module")
def dash_image(dash: ApiDaemon, build_context: Path) -> str:  # noqa: F811
    name = "dashimg" + os.urandom(3).hex()
    with dash.http() as http:
        response = http.post("/v1/apply", content=image_yaml(name, build_context))
        assert response.status_code == 200, response.text
    dash.daemon.wait_phase("Image", name, "Ready", timeout_s=120)
    return name


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: apt-get install chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context(viewport={"width": 1280, "height": 800})
    yield opened
    opened.close()


def log_in(page: Page, running: ApiDaemon, path: str = "/") -> None:
    page.goto(running.tcp_url + path)
    page.fill("#token", running.token)
    page.click("#login")
    page.wait_for_url(running.tcp_url + path)


@pytest.fixture
def page(context: BrowserContext, dash: ApiDaemon) -> Iterator[Page]:
    """A logged-in page; the test fails on a script error or a Content-Security-Policy report
    (an inline script or style, or an asset from elsewhere, would be one)."""
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    log_in(opened, dash)
    yield opened
    assert errors == []


def screenshot(page: Page, name: str, readme: bool = False) -> Path:
    """A PNG of the page into the artifacts directory; with `readme`, and
    DOCKFORM_README_SCREENSHOTS=1 in the environment, into docs/ too (the committed one is
    replaced only when asked, so a test run leaves the work tree clean)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    if readme and os.environ.get("DOCKFORM_README_SCREENSHOTS") == "1":
        (REPO / "docs").mkdir(exist_ok=True)
        shutil.copyfile(path, REPO / "docs" / f"{name}.png")
    return path
