"""The workshop dashboard (Streamlit only): `streamlit run dashboard/app.py`, or `sim dashboard`.

A package: ``app`` (the entry script: sidebar, navigation), ``views`` (one module per page, each a
function taking a ``common.PageContext``), ``controls`` (the sidebar), ``engine`` (the run worker
pool and store), ``common`` (context, cached results, style), ``why`` and ``lesson_pair``. It
reads sim's public API and holds no model logic; nothing in ``sim`` imports it.
"""
