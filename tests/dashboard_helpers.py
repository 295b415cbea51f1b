"""What the AppTest dashboard tests share: opening a page by its URL path, reading the sides."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Block
from streamlit.util import calc_hash

from dashboard.controls import LAST_SIDES, NOTE_SPACER


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


def visible_captions(at: AppTest) -> list[str]:
    """The sidebar's captions a reader sees: not the invisible copies that keep A's and B's
    controls on the same rows (``controls.align_notes``)."""
    out: list[str] = []

    def walk(node: Any, hidden: bool) -> None:
        if isinstance(node, Block):
            hidden = hidden or NOTE_SPACER in str(getattr(node.proto, "id", "") or "")
            for child in node.children.values():
                walk(child, hidden)
        elif node.type == "caption" and not hidden:
            out.append(node.value)

    walk(at.sidebar, False)
    return out


def spacer_captions(at: AppTest) -> list[str]:
    """The invisible copies of the other side's notes (``controls.align_notes``)."""
    seen = visible_captions(at)
    every = [c.value for c in at.sidebar.caption]
    for text in seen:
        every.remove(text)
    return every
