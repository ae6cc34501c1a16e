"""How untrusted text (model answers, server replies) is shown: on a terminal, in Markdown, in
the HTML page.

A model's answer can hold any character: an ESC that recolours or clears the terminal, a BEL,
a NUL that cuts a line short in some viewers, right-to-left overrides that make text read other
than it is stored, ``<script>`` or ``<img onerror=...>`` that a Markdown viewer renders as HTML.
Whatever shows such text goes through one helper per medium, here, so the text reads as what the
model said and does nothing else. The stored records (``results.json``, the prediction cache)
keep the text exactly as it came: JSON escapes what it must.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence

__all__ = [
    "for_html",
    "for_markdown",
    "for_markdown_code",
    "for_terminal",
    "shorten",
    "with_invisibles",
]

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and
# isolates (U+202A-U+202E, U+2066-U+2069) that reorder how the text around them displays.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def for_terminal(text: str) -> str:
    """*text* with every control character written as its escape (``\\x1b``, ``\\x00``...);
    newlines and tabs are kept, so a multi-line answer still reads as one."""
    return _CONTROL.sub(_visible, text)


def with_invisibles(text: str) -> str:
    """*text* for a terminal (:func:`for_terminal`) with the characters that show as nothing
    or as a plain space written as escapes too: format characters (zero-width space and
    joiners, U+2060, the BOM) and every space but the ASCII one (U+3000, the ideographic
    space; U+00A0). Where two texts differ only by such characters (a robustness variant and
    its original), the difference must be seen."""
    visible = for_terminal(text)
    return "".join(
        f"\\u{ord(char):04x}"
        if unicodedata.category(char) == "Cf"
        or (unicodedata.category(char) == "Zs" and char != " ")
        else char
        for char in visible
    )


def for_html(text: str) -> str:
    """*text* for ``report.html``, before the page's autoescape (``& < > " '``): control
    characters as escapes, as on the terminal. A NUL, ESC or BEL in a page is kept by the
    browser or shown as a box, a CR breaks copied text, and the bidirectional overrides reorder
    what is read; the escapes show what the model said."""
    return for_terminal(text)


def shorten(text: str, width: int, *, ellipsis: str = "...") -> str:
    """*text* on one line (runs of whitespace, newlines included, become one space), cut to
    *width* characters with *ellipsis* at the end when longer. The one shortening helper: reports,
    check reasons and file errors all cut text here."""
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: max(width - len(ellipsis), 0)] + ellipsis


def first_items(items: Sequence[str], shown: int = 5) -> str:
    """The first *shown* of *items*, comma-separated, with ``...`` when there are more: how a
    message names a few of many cases (their count is said beside it)."""
    return ", ".join(items[:shown]) + (", ..." if len(items) > shown else "")


def for_markdown(text: object, width: int | None = None) -> str:
    """*text* as one line of Markdown that renders as the plain text it is: control characters
    as escapes, HTML's ``& < >`` as entities (Markdown renders raw HTML), ``|`` escaped (it
    would end a table cell), newlines as spaces; shortened to *width* characters first."""
    flat = " ".join(for_terminal(str(text)).split())
    if width is not None:
        flat = shorten(flat, width)
    return html.escape(flat, quote=False).replace("|", "\\|")


def for_markdown_code(text: object) -> str:
    """*text* as an inline code span (HTML inside one shows as text): on one line, control
    characters as escapes, fenced by more backticks than any run of them in *text*."""
    flat = " ".join(for_terminal(str(text)).split())
    fence = "`" * (max((len(run) for run in re.findall("`+", flat)), default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") else ""
    return f"{fence}{pad}{flat}{pad}{fence}"
