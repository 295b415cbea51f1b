"""A hostile link and a hostile upload against a real server (issue 16): after each, the server
answers its health check, the page shows one line (no traceback) and a slider still redraws."""

from __future__ import annotations

import urllib.request

import pytest
from browser_driver import (
    browser,
    chart_data,
    drag_slider,
    slider,
    slider_value,
    wait_chart_change,
    wait_charts,
    wait_done,
)
from hostile_corpus import BOMB

from dashboard.controls import encode_upload

pytestmark = pytest.mark.browser

SMALL = "seeds=4&months=24"


def _healthy(server: str) -> bool:
    with urllib.request.urlopen(f"{server}/_stcore/health", timeout=10) as response:
        return response.status == 200


def _slider_redraws(page) -> None:
    wait_charts(page, 9)
    box = slider(page, "deals accepted", 0)
    before = chart_data(page, "cash")
    drag_slider(page, box, 0.3)
    assert slider_value(box) == 30
    wait_chart_change(page, "cash", before)


def test_bomb_link_then_the_page_still_works(server, chromium):
    with browser(chromium) as page:
        page.goto(f"{server}/?{SMALL}&a_upload={encode_upload(BOMB)}&a_base=uploaded")
        wait_done(page)
        assert _healthy(server)
        assert page.get_by_text("aliases (*name) are not allowed").count() >= 1
        assert page.get_by_text("Traceback").count() == 0
        _slider_redraws(page)
        assert _healthy(server)


def test_bomb_upload_then_the_page_still_works(server, chromium, tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB, encoding="utf-8")
    with browser(chromium) as page:
        page.goto(f"{server}/?{SMALL}")
        wait_done(page)
        page.get_by_text("Save or load this scenario").first.click()
        page.locator("input[type=file]").first.set_input_files(str(bomb))
        page.get_by_text("aliases (*name) are not allowed").first.wait_for(timeout=60_000)
        assert _healthy(server)
        assert page.get_by_text("Traceback").count() == 0
        _slider_redraws(page)
        assert _healthy(server)
