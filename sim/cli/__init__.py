"""The `sim` command: one module per command; ``main`` is the console script's entry point."""

from sim.cli.entry import main

__all__ = ["main"]
