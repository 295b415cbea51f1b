"""Shared fixtures: the real-browser tests' chromium and Streamlit server
(tests/browser_driver.py)."""

from __future__ import annotations

import os

import pytest
from browser_driver import ARTIFACTS, find_chromium, streamlit_server


@pytest.fixture(autouse=True, scope="session")
def _run_store_off_the_repo(tmp_path_factory: pytest.TempPathFactory):
    """The run store of every test lives in a temporary folder, never in the repo's results/."""
    if os.environ.get("SIM_STORE_DIR") is None:
        os.environ["SIM_STORE_DIR"] = str(tmp_path_factory.mktemp("run-store"))
    yield


@pytest.fixture(autouse=True)
def _whole_reruns_in_apptest(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """The AppTest suites (tests/test_dashboard*.py) read the sidebar's widgets after a lever's
    move, and AppTest keeps only a rerun fragment's elements: they run with whole reruns
    (``SIM_DASHBOARD_FRAGMENT_RERUNS=0``) unless a test asks for fragment reruns itself. The
    browser tests run the default (a browser keeps the sidebar)."""
    if request.node.path.name.startswith("test_dashboard"):
        monkeypatch.setenv("SIM_DASHBOARD_FRAGMENT_RERUNS", "0")
    yield


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
