"""The workshop dashboard: `streamlit run dashboard/app.py` (or `sim dashboard`, or `make dashboard`).

Two pages share the sidebar, where sides A and B are set up (every control bound to the URL):
"Compare" (the landing page: both ensembles as bands, KPI cards) and "One run up close" (one
company's month-by-month story). No model logic here: the pages call `sim` and `sim.charts`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # `streamlit run` adds it; AppTest and other runners may not
    sys.path.insert(0, str(HERE))

from common import apply_style, engine
from controls import sidebar

st.set_page_config(page_title="Sales-led or product-led? A company simulator", layout="wide",
                   initial_sidebar_state="expanded")
apply_style()
engine()  # start the worker pool early

pages = [
    st.Page(str(HERE / "views" / "compare.py"), title="Compare A and B", url_path="compare", default=True),
    st.Page(str(HERE / "views" / "one_run.py"), title="One run up close", url_path="one-run"),
    st.Page(str(HERE / "views" / "lessons.py"), title="Lessons", url_path="lessons"),
]
page = st.navigation(pages, position="top")
sides, seeds, months = sidebar()
st.session_state["_context"] = {"sides": sides, "seeds": seeds, "months": months}
page.run()
