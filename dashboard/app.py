"""The workshop dashboard: `streamlit run dashboard/app.py` (or `sim dashboard`, or `make
dashboard`).

Five pages share the sidebar, where sides A and B are set up (every control bound to the URL):
"Compare" (the landing page: both ensembles as bands, KPI cards), "One run up close" (one
company's month-by-month story), "Lessons" and "Explore" (survival against one or two levers,
filled in from the run store), "Play" (create a workshop where each team steers its own company;
a link with ``?workshop=TOKEN`` or ``?team=TOKEN`` opens the facilitator console or a team's page
without the sidebar: ``dashboard/views/play.py``). Each page is a function of a ``PageContext``
(the sides, the ensemble size, the horizon and the pages themselves, for links), registered with
``st.navigation``. No model logic here: the pages call `sim` and `sim.report.charts`.

The ``dashboard`` package is installed with ``sim`` (``pip install -e .``), so its imports resolve
whichever directory Streamlit starts in; nothing here edits ``sys.path``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial

import streamlit as st

from dashboard.common import PageContext, apply_style, engine, presentation_toggle
from dashboard.controls import sidebar
from dashboard.views.compare import compare_page
from dashboard.views.explore import explore_page
from dashboard.views.lessons import lessons_page
from dashboard.views.one_run import one_run_page
from dashboard.views.play import play_entry, play_page
from sim.config.hints import one_line

LOG = logging.getLogger("dashboard")

PAGES: tuple[tuple[str, Callable[[PageContext], None], str, str], ...] = (
    # name, function, title, URL path; the first is the landing page
    ("compare", compare_page, "Compare", "compare"),  # short: four fit a 768 px tablet
    ("one_run", one_run_page, "One run", "one-run"),
    ("lessons", lessons_page, "Lessons", "lessons"),
    ("explore", explore_page, "Explore", "explore"),
    ("play", play_page, "Play", "play"),
)


def main() -> None:
    """One run of the app script: style, sidebar, navigation, then the chosen page."""
    st.set_page_config(
        page_title="Sales-led or product-led? A company simulator",
        layout="wide",
        initial_sidebar_state="expanded",
    )
    apply_style()
    try:
        if play_entry():  # a facilitator console or a team page: no sidebar, no other pages
            return
    except Exception as err:  # noqa: BLE001 - never a traceback on the page (server paths)
        st.error(page_error(err))
        return
    presentation_toggle()
    try:
        engine()  # start the worker pool early
        sides, seeds, months = sidebar()
        pages: dict[str, st.Page] = {}
        context = PageContext(sides=sides, seeds=seeds, months=months, pages=pages)
        for i, (name, page, title, url_path) in enumerate(PAGES):
            pages[name] = st.Page(
                partial(page, context), title=title, url_path=url_path, default=i == 0
            )
        st.navigation(list(pages.values()), position="top").run()
    except Exception as err:  # noqa: BLE001 - never a traceback on the page (server paths)
        st.error(page_error(err))


def page_error(err: BaseException) -> str:
    """The one line the page shows for an error it did not expect (the server logs the rest)."""
    LOG.exception("dashboard page failed")
    return one_line(
        f"Something went wrong drawing this page ({type(err).__name__}). Reset the controls or "
        "reload the page without its link parameters; the server log has the details."
    )


main()
