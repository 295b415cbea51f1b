"""The `sim` command: one module per command; ``console`` is the console script's entry point
(``main`` with a deadline on Ctrl-C), ``main`` the same command for callers in their own
process."""

from sim.cli.entry import console, main

__all__ = ["console", "main"]
