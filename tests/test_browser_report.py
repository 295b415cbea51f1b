"""`sim report` files in a real browser with the network cut: Debian's chromium via Playwright.

Every request other than the file itself is aborted (and recorded); the page must draw every
chart, log no console error and ask for nothing. Screenshots at 1920x1080 and 1280x720 go to
artifacts/ (look at them: they are what a participant takes home).
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from browser_driver import ARTIFACTS, CHROMIUM_ARGS

from sim.cli.entry import EXIT_OK, main
from sim.config import preset
from sim.experiment.runner import run
from sim.report.html import Reference, Team, workshop_report

pytestmark = pytest.mark.browser

SIZES = ((1920, 1080), (1280, 720))


def _sim(argv: list[str]) -> dict[str, Any]:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main([*argv, "--json"]) == EXIT_OK
    return json.loads(buffer.getvalue())


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, int]]:
    """Three report files, each with the number of charts it holds."""
    folder = tmp_path_factory.mktemp("reports")
    out: dict[str, tuple[Path, int]] = {}
    small = ["--months", "18"]
    run_file = folder / "run.html"
    out["run"] = (
        run_file,
        len(_sim(["report", "sales_led", *small, "--out", str(run_file)])["figures"]),
    )
    ab = folder / "ab.html"
    printed = _sim(
        ["report", "sales_led", "--vs", "product_led", "--seeds", "3", *small, "--out", str(ab)]
    )
    out["comparison"] = (ab, len(printed["figures"]))
    base = preset("sales_led").with_overrides({"months": 18})
    teams = [
        Team(name, [{"month": 6, "set": sets}], run(base.with_overrides(sets), seed=4))
        for name, sets in (
            ("Falcons", {"sales.contingent_acceptance": 0.8}),
            ("Otters", {"product.custom_capacity_cap": 0.2}),
            ("Ravens", {"company.initial_cash": 6_000_000}),
        )
    ]
    refs = [
        Reference("product_led", run(preset("product_led").with_overrides({"months": 18}), seed=4))
    ]
    report = workshop_report("Workshop", teams, refs, scenario=base)
    workshop_file = folder / "workshop.html"
    workshop_file.write_bytes(report.to_bytes())
    out["workshop"] = (workshop_file, len(report.figures))
    return out


@pytest.mark.parametrize("kind", ["run", "comparison", "workshop"])
def test_report_draws_every_chart_offline(kind: str, reports, chromium) -> None:
    from playwright.sync_api import sync_playwright

    path, charts = reports[kind]
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            for width, height in SIZES:
                page = browser.new_page(viewport={"width": width, "height": height})
                asked: list[str] = []
                errors: list[str] = []

                def route(r: Any, asked: list[str] = asked) -> None:
                    if r.request.url.startswith("file://"):
                        r.continue_()
                    else:
                        asked.append(r.request.url)
                        r.abort()

                page.route("**", route)
                page.on(
                    "console", lambda m, e=errors: e.append(m.text) if m.type == "error" else None
                )
                page.on("pageerror", lambda err, e=errors: e.append(str(err)))
                page.goto(path.as_uri())
                page.wait_for_function(
                    """(n) => Array.from(document.querySelectorAll('.js-plotly-plot'))
                           .filter(e => e.querySelector('.plotly .main-svg')
                                        && (e._fullData || []).length > 0).length === n""",
                    arg=charts,
                    timeout=60_000,
                )
                drawn = page.evaluate(
                    """() => Array.from(document.querySelectorAll('.js-plotly-plot'))
                             .map(e => e.querySelectorAll('.scatterlayer .trace, .barlayer .trace')
                                        .length)"""
                )
                assert len(drawn) == charts and all(n > 0 for n in drawn), drawn
                overflow = page.evaluate(
                    "() => document.scrollingElement.scrollWidth - window.innerWidth"
                )
                assert overflow <= 0, f"{kind} at {width}x{height} scrolls sideways by {overflow}px"
                page.wait_for_timeout(300)
                page.screenshot(path=str(ARTIFACTS / f"report_{kind}_{width}x{height}.png"))
                if width == 1920:
                    page.locator("figure.chart").first.scroll_into_view_if_needed()
                    page.screenshot(path=str(ARTIFACTS / f"report_{kind}_charts_{width}.png"))
                assert asked == [], f"the report asked the network for {asked}"
                assert errors == [], errors
                page.close()
        finally:
            browser.close()
