"""The browser tests' shared fixtures: Playwright, and one headless chromium per test module."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.support import CHROMIUM, FLAGS, sync_api


@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    with sync_api().sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright: Any) -> Iterator[Any]:
    launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
    yield launched
    launched.close()
