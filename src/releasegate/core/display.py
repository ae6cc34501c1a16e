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
from collections.abc import Sequence

__all__ = [
    "for_html",
    "for_markdown",
    "for_markdown_code",
    "for_terminal",
    "shorten",
    "with_invisibles_shown",
]

# C0 controls but tab and newline, DEL, C1 controls, and the bidirectional overrides and
# isolates (U+202A-U+202E, U+2066-U+2069) that reorder how the text around them displays.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code > 0xFFFF:
        return f"\\U{code:08x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# What a reader cannot see, or cannot tell from a plain space: format characters (zero-width
# space and joiners, word joiner, soft hyphen, BOM, bidirectional marks), white space other
# than the ASCII space (tab, newline, no-break and ideographic spaces...), and an ASCII space
# that starts or ends the text or follows another (a table cell or a flattened line shows
# none of them).
_INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f"
    "\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001"
    "\U000e0020-\U000e007f"
    "\t\n\x0b\x0c\r\x85\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]"
    "|^ | $|(?<= ) "
)


def with_invisibles_shown(text: str) -> str:
    """*text* with every character a reader cannot see written as its escape (``\\u200b``,
    ``\\u3000``, ``\\t``, ``\\x20`` for a leading, trailing or doubled space), control
    characters too: where the point is how a text differs from another that looks the same
    (a robustness variant beside its original). Run it before the medium's own helper, which
    then leaves the escapes as they are."""
    named = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
    return for_terminal(_INVISIBLE.sub(lambda m: named.get(m.group(0)) or _visible(m), text))


def for_terminal(text: str) -> str:
    """*text* with every control character written as its escape (``\\x1b``, ``\\x00``...);
    newlines and tabs are kept, so a multi-line answer still reads as one."""
    return _CONTROL.sub(_visible, text)


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
