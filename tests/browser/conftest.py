"""Headless Chromium (Debian's package) driven by Playwright against a real threaded server.

The server serves the session's test database, so pages show the committed session data
(tests/conftest.py). Without Chromium these tests skip with one line saying how to get it;
in CI (CI=true) a missing Chromium is a failure.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
HOW_TO_GET_IT = (
    "Chromium not found: browser tests skipped. Install it with "
    "`sudo apt-get install chromium` (or set CHROMIUM_PATH)."
)


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    if os.environ.get("CI"):
        raise pytest.UsageError("CI must run the browser tests. " + HOW_TO_GET_IT)
    marker = pytest.mark.skip(reason=HOW_TO_GET_IT)
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(marker)


@pytest.fixture(scope="session")
def live_url(django_db_setup, django_db_blocker):
    """Start a threaded server on 127.0.0.1 and return ``url(host, path)`` for it."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    with django_db_blocker.unblock():
        server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
        server.daemon = True
        server.start()
        server.is_ready.wait()
        if server.error:
            raise server.error

        def url(host: str, path: str = "/") -> str:
            return f"http://{host}:{server.port}{path}"

        yield url
        server.terminate()


@pytest.fixture(scope="module")
def browser():
    # Playwright's sync API runs an event loop in this thread, and while it runs Django's
    # connection handler (context-local) hands this thread other connections: keep it to the
    # browser modules, so that no other test's connection outlives the session unseen.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-quic",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
                # Every test host (alpha.localhost, ...) is this machine.
                "--host-resolver-rules=MAP *.localhost 127.0.0.1, MAP localhost 127.0.0.1",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=1, locale="fr-FR"
    )
    yield context.new_page()
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="fr-FR")
    yield context.new_page()
    context.close()
