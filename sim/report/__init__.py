"""Presenting results: plotly figures (pure functions of result frames) and text formatting."""
