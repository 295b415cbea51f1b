"""Drive the dashboard in a real browser: Debian's chromium through Playwright (no download).

Shared by tests/test_browser.py and benchmarks/dashboard_latency.py. Starts
`streamlit run dashboard/app.py` on a free localhost port as a subprocess and stops it (by its
process id) afterwards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
ARTIFACTS = ROOT / "artifacts"
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def find_chromium() -> str | None:
    for path in (os.environ.get("CHROMIUM"), *CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if path and Path(path).is_file() and os.access(path, os.X_OK):
            return path
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(env: dict[str, str] | None = None, timeout: float = 60.0) -> Iterator[str]:
    """Serve the dashboard on a free port; yield its base URL; stop it afterwards."""
    port = free_port()
    log = open(ARTIFACTS / f"streamlit-{port}.log", "w")  # noqa: SIM115 (closed below)
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    ok = False
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"streamlit did not start within {timeout:.0f} s; see {log.name}"
                )
            time.sleep(0.3)
        yield url
        ok = True
    finally:
        # Stop the server and its worker processes: they share the process group we started.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
        log.close()
        if ok and not os.environ.get("KEEP_STREAMLIT_LOG"):
            Path(log.name).unlink(missing_ok=True)  # kept when something failed


@contextlib.contextmanager
def browser(chromium: str, width: int = 1920, height: int = 1080) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = b.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            b.close()


# ---------------------------------------------------------------------------------------------
# Reading and moving the page
# ---------------------------------------------------------------------------------------------

STATUS = '[data-testid="stMain"] [data-status]'
_TRACES = "(e.data || []).map(t => [t.name, t.y])"  # y may be a typed-array spec {dtype, bdata}
# While a script run replaces a chart, Streamlit keeps the stale one (collapsed) next to it: take
# the one on screen.
_VISIBLE = (
    "Array.from(document.querySelectorAll('.st-key-chart-{name} .js-plotly-plot'))"
    ".find(p => p.getBoundingClientRect().height > 0)"
)


def status(page: Any) -> dict[str, str]:
    """The compare page's status line: data-status, data-comparison, data-shown."""
    return page.evaluate(
        """() => { const e = document.querySelector('[data-status]');
                   return e ? {status: e.dataset.status, comparison: e.dataset.comparison,
                               shown: e.dataset.shown} : {}; }"""
    )


def wait_done(page: Any, other_than: str | None = None, timeout: float = 240.0) -> dict[str, str]:
    """Wait until the status line says done (for a comparison other than ``other_than``) and the
    cash chart on screen shows that many runs per side."""
    page.wait_for_function(
        f"""(old) => {{ const e = document.querySelector('[data-status]');
                       if (!(e && e.dataset.status === 'done'
                             && e.dataset.comparison !== old)) return false;
                       const c = {_VISIBLE.format(name="cash")};
                       return !!(c && c.layout && c.layout.meta)
                              && String(c.layout.meta.runs_per_side) === e.dataset.shown; }}""",
        arg=other_than or "",
        timeout=timeout * 1000,
        polling=50,
    )
    return status(page)


def chart_runs(page: Any, name: str) -> int | None:
    """Runs per side behind the compare page's chart ``name`` on screen (None: previous result)."""
    return page.evaluate(
        f"""() => {{ const e = {_VISIBLE.format(name=name)};
                     return e && e.layout && e.layout.meta
                            ? (e.layout.meta.runs_per_side ?? null) : null; }}"""
    )


def wait_charts(page: Any, count: int, timeout: float = 120.0) -> None:
    """Wait until ``count`` plotly charts are drawn."""
    page.wait_for_function(
        """(n) => Array.from(document.querySelectorAll('.js-plotly-plot'))
                   .filter(e => e.data).length >= n""",
        arg=count,
        timeout=timeout * 1000,
        polling=50,
    )


def chart_data(page: Any, name: str) -> str:
    """The traces (name and y values, as JSON) the compare page's chart ``name`` draws now."""
    return page.evaluate(
        f"""() => {{ const e = {_VISIBLE.format(name=name)};
                     return e && e.data ? JSON.stringify({_TRACES}) : null; }}"""
    )


def wait_chart_change(page: Any, name: str, before: str | None, timeout: float = 240.0) -> None:
    """Wait until the compare page's chart ``name`` draws a new result other than ``before``.

    The faded copy of the previous result that the page shows while computing does not count.
    """
    page.wait_for_function(
        f"""(old) => {{ const e = {_VISIBLE.format(name=name)};
                        const previous = !!(e && e.layout && e.layout.meta
                                            && e.layout.meta.previous);
                        return !!(e && e.data) && !previous
                               && JSON.stringify({_TRACES}) !== old; }}""",
        arg=before,
        timeout=timeout * 1000,
        polling=20,
    )


def slider(page: Any, label: str, nth: int = 0) -> Any:
    """The sidebar slider whose label contains ``label`` (nth: 0 = side A, 1 = side B)."""
    return (
        page.locator('[data-testid="stSidebar"] [data-testid="stSlider"]')
        .filter(has_text=label)
        .nth(nth)
    )


def slider_value(box: Any) -> float:
    return float(box.locator('input[type="range"]').evaluate("e => e.value"))


def drag_slider(page: Any, box: Any, fraction: float) -> float:
    """Drag a slider's thumb to ``fraction`` (0-1) of its track with the mouse, as a person would.

    Returns the moment (``time.perf_counter()``) the mouse button was released.
    """
    box.scroll_into_view_if_needed()
    track = box.locator('[role="group"] > div').first.bounding_box()
    thumb = box.locator('input[type="range"]').locator("xpath=../..").bounding_box()
    assert track and thumb, "slider not laid out"
    y = thumb["y"] + thumb["height"] / 2
    page.mouse.move(thumb["x"] + thumb["width"] / 2, y)
    page.mouse.down()
    page.mouse.move(track["x"] + track["width"] * fraction, y, steps=10)
    page.mouse.up()
    return time.perf_counter()


def scroll_main(page: Any, y: float) -> None:
    page.evaluate(f"document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, {y})")
