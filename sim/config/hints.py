"""One-line messages: the 'did you mean' hint and flattening text to one line."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable

HINT_CUTOFF = 0.6  # difflib similarity above which a misspelt name gets a "did you mean" hint


def did_you_mean(name: object, choices: Iterable[object]) -> str:
    """`` (did you mean 'x'?)`` for the closest choice, or an empty string when none is close."""
    close = difflib.get_close_matches(str(name), [str(c) for c in choices], n=1, cutoff=HINT_CUTOFF)
    return f" (did you mean '{close[0]}'?)" if close else ""


def one_line(text: object) -> str:
    """The text with every run of whitespace (newlines included) turned into one space, and
    every other control character (an ANSI escape, a bidi override) shown as an escape, so a
    message is one line and safe to print on a terminal."""
    return " ".join(_escape_controls(str(text)).split())


def _escape_controls(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() or c.isspace() and unicodedata.category(c) != "Cf" else ascii(c)[1:-1]
        for c in text
    )
