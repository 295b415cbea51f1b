"""Shared fixtures: the real-browser tests' chromium and Streamlit server
(tests/browser_driver.py)."""

from __future__ import annotations

import os

import pytest
from browser_driver import ARTIFACTS, find_chromium, streamlit_server


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        message = "chromium not found (install Debian's 'chromium' package; `make test` tries to)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        import playwright  # noqa: F401
    except ImportError:
        if os.environ.get("CI"):
            pytest.fail("playwright is not installed (pip install -e '.[dev]')")
        pytest.skip("playwright is not installed")
    return path


@pytest.fixture(scope="module")
def server(chromium):
    ARTIFACTS.mkdir(exist_ok=True)
    with streamlit_server() as url:
        yield url
