"""Make user-supplied text safe to show inside our HTML messages."""

from __future__ import annotations

import html
import re

_DIRECTION_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")
_FIRST_STRONG_ISOLATE, _POP_ISOLATE = "\u2068", "\u2069"


def neutralise(text: str) -> str:
    """Remove direction-override and isolate characters a user could use to spoof text."""
    return _DIRECTION_CONTROLS.sub("", text)


def user_text_html(text: str) -> str:
    """Escape a user's text for HTML and isolate its direction so it can't reorder ours."""
    return f"{_FIRST_STRONG_ISOLATE}{html.escape(neutralise(text))}{_POP_ISOLATE}"
