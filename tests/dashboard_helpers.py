"""What the AppTest dashboard tests share: opening a page by its URL path, reading the sides."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from dashboard.controls import LAST_SIDES


def goto(at: AppTest, url_path: str) -> AppTest:
    """Open the page registered under ``url_path`` at the next ``run()``.

    The pages are functions (``st.Page(callable)``), and ``AppTest.switch_page`` only finds pages
    defined by files; a page's script hash is the hash of its URL path, as in ``st.Page``.
    """
    at._page_hash = calc_hash(url_path)
    return at


def sides(at: AppTest) -> dict[str, Any]:
    """The sides (``dashboard.controls.Side``) the sidebar drew in the last run."""
    return at.session_state[LAST_SIDES]
