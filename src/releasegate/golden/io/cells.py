"""A workbook cell's value as the sheet shows it, by the cell's number format.

A workbook stores numbers, not what its author sees: ``15%`` is stored as ``0.15``, ``10:30`` as
``0.4375``, a sum that shows ``12.3`` as ``12.299999999999999``. A case is judged against what
its author typed and sees, so :func:`shown_text` renders the stored value through the number
format the way Excel does (General: up to 15 significant digits; ``0.00``, ``#,##0``, ``0%``,
``0.00E+00``, literal text, sections for negative numbers; dates and times by their codes). A
format it cannot render faithfully (fractions, conditions, digits broken up by literal text)
raises :class:`UnshownFormat` rather than guessing.

The one exception is Excel's locale-dependent short date (built-in format 14, and 22 with a
time): Excel shows it in each reader's own system format (5/1/2024 in the US, 01/05/2024 in the
UK), so it is read as ISO ``2024-05-01`` (``2024-05-01 13:30``), the one unambiguous form.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["UnshownFormat", "shown_text"]

_BASE = dt.datetime(1899, 12, 30)
"""Excel's day zero (in the 1900 date system, from 1 March 1900 on)."""
_LOCALE_DATE_FORMATS = {14: "yyyy-mm-dd", 22: "yyyy-mm-dd hh:mm"}
"""Built-in formats Excel shows in each reader's locale, read as ISO instead."""
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_ENDS = ("uary", "ruary", "ch", "il", "", "e", "y", "ust", "tember", "ober", "ember", "ember")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

_TOKEN = re.compile(
    r'"(?P<quoted>[^"]*)"'
    r"|\\(?P<escaped>.)"
    r"|_(?P<space>.)"
    r"|\*(?P<fill>.)"
    r"|\[(?P<bracket>[^\]]*)\]"
    r"|(?P<ampm>AM/PM|am/pm|A/P|a/p)"
    r"|(?P<general>General)"
    r"|(?P<sci>E[+-])"
    r"|(?P<date>y+|m+|d+|h+|s+)"
    r"|(?P<digit>[0#?])"
    r"|(?P<char>.)",
    re.IGNORECASE,
)
_FRACTION = re.compile(r"[0#?]\s*/\s*[0-9#?]")
_COLOR = re.compile(r"(?i)(black|blue|cyan|green|magenta|red|white|yellow|color\s*\d+)")


class UnshownFormat(ValueError):
    """A number format that cannot be rendered as Excel shows it; the message says which part."""


def shown_text(value: object, number_format: str | None, format_id: int | None = None) -> str:
    """*value* (as openpyxl reads it: a number, bool, date, time, timedelta or text) as the sheet
    shows it under *number_format*; *format_id* tells Excel's locale-dependent built-in date
    formats apart from a custom format with the same code."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    code = number_format or "General"
    if format_id in _LOCALE_DATE_FORMATS:
        code = _LOCALE_DATE_FORMATS[format_id]
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        moment = _moment(value)
        section = _section(code, 1.0)
        if section is None or not _is_date(section):
            # a date with a number format: Excel shows its serial number
            return _number(_serial(moment), code)
        return _date(moment, section)
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise UnshownFormat(f"the value {value} is not a number Excel can hold")
        section = _section(code, value)
        if section is not None and _is_date(section):
            return _date(_BASE + dt.timedelta(days=float(value)), section)
        return _number(value, code)
    return str(value)


def _sections(code: str) -> list[str]:
    """A format's sections (positive;negative;zero;text), split outside quotes and escapes."""
    sections, current, quoted, index = [], "", False, 0
    while index < len(code):
        char = code[index]
        if char == '"':
            quoted = not quoted
        elif char == "\\" and not quoted and index + 1 < len(code):
            current += code[index : index + 2]
            index += 2
            continue
        elif char == ";" and not quoted:
            sections.append(current)
            current = ""
            index += 1
            continue
        current += char
        index += 1
    sections.append(current)
    return sections


def _section(code: str, value: float) -> str | None:
    """The section of *code* that shows *value*; None for General."""
    if code.strip().lower() in ("general", ""):
        return None
    sections = _sections(code)
    if any(re.search(r"\[[<>=]", section) for section in sections):
        raise UnshownFormat(f"the number format '{code}' has conditions ([<100] and the like)")
    if value < 0 and len(sections) > 1:
        return sections[1]
    if value == 0 and len(sections) > 2:
        return sections[2]
    return sections[0]


def _is_date(section: str) -> bool:
    return any(
        match["date"]
        or match["ampm"]
        or (match["bracket"] or "").lower() in ("h", "hh", "mm", "ss")
        for match in _TOKEN.finditer(section)
        if match["quoted"] is None
    )


def _literal(match: re.Match[str], code: str) -> str | None:
    """The text a token shows if it is literal; None if it is a placeholder."""
    if match["quoted"] is not None:
        return match["quoted"]
    if match["escaped"] is not None:
        return match["escaped"]
    if match["space"] is not None:
        return " "
    if match["fill"] is not None:
        return ""
    if match["bracket"] is not None:
        inner = match["bracket"]
        if inner.startswith("$"):  # [$€-407]: a currency symbol and a locale
            return inner[1:].split("-", 1)[0]
        if _COLOR.fullmatch(inner):
            return ""
        if inner.lower() in ("h", "hh", "m", "mm", "s", "ss"):
            return None
        raise UnshownFormat(f"the number format '{code}' has [{inner}]")
    if match["char"] is not None:
        return match["char"]
    return None


# ------------------------------------------------------------------------------------------------
# numbers
# ------------------------------------------------------------------------------------------------


def general(value: float) -> str:
    """A number as Excel's General format shows it: up to 15 significant digits."""
    if isinstance(value, int) and abs(value) < 10**15:
        return str(value)
    if value == 0:
        return "0"
    text = f"{value:.15g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        sign = "-" if exponent.startswith("-") else "+"
        text = f"{mantissa}E{sign}{abs(int(exponent)):02d}"
    return text


def _number(value: float, code: str) -> str:
    section = _section(code, value)
    if section is None:
        return general(value)
    if _FRACTION.search(section):  # "# ?/?", "0/4": said so, not "text between digits"
        raise UnshownFormat(f"the number format '{code}' shows fractions")
    sections = _sections(code)
    negative = value < 0
    magnitude = abs(value) if negative and len(sections) > 1 else value
    prefix, pattern, suffix, percents, general_at = "", "", "", 0, False
    for match in _TOKEN.finditer(section):
        text = _literal(match, code)
        if match["general"]:
            general_at = True
            pattern += "G"
        elif match["digit"] or (match["char"] in (".", ",") and pattern):
            pattern += match[0]
        elif match["sci"]:
            pattern += match[0].upper()
        elif match["char"] == "%":
            percents += 1
            if pattern:
                suffix += "%"
            else:
                prefix += "%"
        elif match["char"] == "@":
            raise UnshownFormat(f"the number format '{code}' shows a number as text (@)")
        elif text is not None:
            if pattern and re.search(r"[0#?]", section[match.end() :]):
                raise UnshownFormat(
                    f"the number format '{code}' puts text between a number's digits"
                )
            if pattern:
                suffix += text
            else:
                prefix += text
        else:
            raise UnshownFormat(f"the number format '{code}' has '{match[0]}'")
    sign = "-" if magnitude < 0 else ""
    magnitude = abs(magnitude) * 100**percents
    if general_at:
        if pattern != "G":
            raise UnshownFormat(f"the number format '{code}' mixes General with digits")
        return f"{sign}{prefix}{general(magnitude)}{suffix}"
    if not pattern:
        return f"{prefix}{suffix}"
    if "/" in pattern:
        raise UnshownFormat(f"the number format '{code}' shows fractions")
    return f"{sign}{prefix}{_digits(magnitude, pattern, code)}{suffix}"


def _decimal(value: float) -> Decimal:
    """The value as Excel holds it: 15 significant digits."""
    return Decimal(f"{value:.15g}") if isinstance(value, float) else Decimal(value)


def _digits(value: float, pattern: str, code: str) -> str:
    match = re.fullmatch(r"([0#?,]*)(\.[0#?]*)?(?:([Ee][+-])([0#?]+))?", pattern)
    if match is None:
        raise UnshownFormat(f"the number format '{code}' has digits this reader cannot place")
    integer, fraction, exponent_sign, exponent_digits = match.groups()
    scale = len(integer) - len(integer.rstrip(","))  # trailing commas: thousands
    integer = integer.rstrip(",")
    grouped = "," in integer
    places = len(fraction) - 1 if fraction else 0
    keep = len((fraction or ".")[1:].rstrip("#?"))
    number = _decimal(value) / Decimal(1000) ** scale
    exponent = 0
    if exponent_sign and number:
        exponent = number.adjusted() - (integer.count("0") + integer.count("#") - 1)
        number = number.scaleb(-exponent)
        rounded = number.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
        if rounded >= 10 ** max(1, integer.count("0") + integer.count("#")):
            exponent += 1
            number = number.scaleb(-1)
    rounded = number.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)
    whole, _, decimals = f"{rounded:f}".partition(".")
    whole = whole.lstrip("0")
    whole = whole.rjust(integer.count("0"), "0")
    if grouped and whole:
        whole = f"{int(whole):,}".rjust(len(whole), "0")
    decimals = decimals.ljust(places, "0")
    while len(decimals) > keep and decimals.endswith("0"):
        decimals = decimals[:-1]
    text = whole + ("." + decimals if fraction else "")
    if exponent_sign:
        shown_sign = "-" if exponent < 0 else ("+" if exponent_sign[1] == "+" else "")
        text += f"E{shown_sign}{str(abs(exponent)).rjust(len(exponent_digits), '0')}"
    return text


# ------------------------------------------------------------------------------------------------
# dates and times
# ------------------------------------------------------------------------------------------------


def _moment(value: dt.datetime | dt.date | dt.time | dt.timedelta) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, dt.time):
        return dt.datetime.combine(_BASE.date(), value.replace(tzinfo=None))
    return _BASE + value


def _serial(moment: dt.datetime) -> float:
    return (moment - _BASE) / dt.timedelta(days=1)


def _date(moment: dt.datetime, section: str) -> str:
    tokens = [match for match in _TOKEN.finditer(section)]
    twelve = any(match["ampm"] for match in tokens)
    # fractional seconds shown as ss.0, ss.00: the digits after a '.' that follows seconds
    places = 0
    found = re.search(r"s\.(0+)", section, re.IGNORECASE)
    if found:
        places = len(found[1])
    step = dt.timedelta(seconds=10**-places) if places else dt.timedelta(seconds=1)
    moment = _BASE + round((moment - _BASE) / step) * step  # Excel rounds to what it shows
    parts: list[str] = []
    kinds = [(match["date"] or match["bracket"] or "").lower()[:1] for match in tokens]
    for position, match in enumerate(tokens):
        code = match[0]
        lower = (match["date"] or "").lower()
        if lower:
            previous = next((k for k in reversed(kinds[:position]) if k), "")
            following = next((k for k in kinds[position + 1 :] if k), "")
            parts.append(_date_part(moment, lower, twelve, previous, following))
        elif match["ampm"]:
            am = moment.hour < 12
            if "/" in code and len(code) == 3:
                parts.append(code[0] if am else code[2])
            else:
                parts.append(
                    ("AM" if am else "PM") if code[0].isupper() else ("am" if am else "pm")
                )
        elif match["bracket"] is not None and match["bracket"].lower() in ("h", "hh", "m", "mm"):
            elapsed = moment - _BASE
            unit = 3600 if match["bracket"].lower().startswith("h") else 60
            parts.append(
                str(int(elapsed.total_seconds() // unit)).rjust(len(match["bracket"]), "0")
            )
        elif match["bracket"] is not None and match["bracket"].lower() in ("s", "ss"):
            parts.append(str(int((moment - _BASE).total_seconds())))
        elif match["digit"] == "0" and places:
            continue  # the fraction of a second, shown with the '.' before it
        elif match["char"] == "." and places and kinds[position - 1 : position] == ["s"]:
            digits = f"{moment.microsecond / 1e6:.{places}f}"[1:]
            parts.append(digits)
        else:
            text = _literal(match, section)
            if text is None:
                raise UnshownFormat(f"the date format '{section}' has '{code}'")
            parts.append(text)
    return "".join(parts)


def _date_part(moment: dt.datetime, code: str, twelve: bool, previous: str, following: str) -> str:
    kind, width = code[0], len(code)
    if kind == "m" and width <= 2 and (previous == "h" or following == "s"):
        return f"{moment.minute:0{width}d}"
    if kind == "y":
        return f"{moment.year:04d}" if width > 2 else f"{moment.year % 100:02d}"
    if kind == "m":
        name = _MONTHS[moment.month - 1] + _MONTH_ENDS[moment.month - 1]
        if width <= 2:
            return f"{moment.month:0{width}d}"
        return {3: name[:3], 4: name}.get(width, name[0])
    if kind == "d":
        if width <= 2:
            return f"{moment.day:0{width}d}"
        name = _DAYS[moment.weekday()]
        return name[:3] if width == 3 else name
    if kind == "h":
        hour = moment.hour
        if twelve:
            hour = hour % 12 or 12
        return f"{hour:0{min(width, 2)}d}"
    return f"{moment.second:0{min(width, 2)}d}"
