"""Bytes to text for the text case files (JSONL, CSV, TSV, TXT): the encoding by byte order mark,
by the manifest's ``encoding:``, or by trying UTF-8 and then GB18030, and a decode failure named
by its line.
"""

from __future__ import annotations

import codecs
import re
from pathlib import Path

from ...exceptions import GoldenFileError

LINE_BREAK = re.compile(r"\r\n|\r|\n")
"""Every line break a text case file may use; line numbers count these."""

_BOMS = (  # UTF-32 first: its little-endian BOM begins with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def read_bytes(path: Path) -> bytes:
    """The file's bytes; an unreadable file is a :class:`GoldenFileError` naming it."""
    try:
        return path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise GoldenFileError(
            f"cannot read the case file ({reason}): check the 'cases:' path in the manifest",
            path=path,
        ) from exc


def _resolve_encoding(encoding: object, path: Path) -> str | None:
    """The codec to use strictly, or None for ``auto``."""
    if not isinstance(encoding, str):
        raise GoldenFileError(
            f"encoding must be text, like 'auto' or 'utf-8', not {encoding!r}", path=path
        )
    name = encoding.strip()
    if name.lower() == "auto":
        return None
    try:
        info = codecs.lookup(name)
        if not getattr(info, "_is_text_encoding", True):  # rot13, base64, zlib, ...
            raise LookupError(name)
        b"".decode(info.name)  # empty: "a" is not whole UTF-16 or UTF-32
    except Exception:  # LookupError, and whatever an odd codec or name raises
        raise GoldenFileError(
            f"unknown encoding '{encoding}': use auto, utf-8, utf-8-sig, gb18030 or gbk",
            path=path,
        ) from None
    return info.name


def _count_lines(text: str) -> int:
    return len(LINE_BREAK.findall(text))


def _decode_failure(data: bytes, encoding: str, exc: Exception) -> tuple[int | None, str]:
    """Line and description of a decode failure."""
    if isinstance(exc, UnicodeDecodeError):
        try:
            before = data[: exc.start].decode(encoding, errors="replace")
        except Exception:
            before = data[: exc.start].decode("latin-1")  # only line breaks are counted
        bad = data[exc.start : max(exc.end, exc.start + 1)][:4]
        what = f"byte 0x{bad.hex()} is" if len(bad) == 1 else f"bytes {bad.hex(' ')} are"
        return _count_lines(before) + 1, f"{what} not valid {encoding}"
    return None, str(exc) or type(exc).__name__


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except Exception:  # UnicodeError, and whatever an exotic codec raises
        return None


def bom_encoding(data: bytes) -> str | None:
    """The codec the file's byte order mark names (it decodes and drops the mark), or None."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def _guess_encoding(data: bytes) -> str | None:
    """What ``auto`` would read the bytes as, or None."""
    named = bom_encoding(data)
    if named is not None:
        return named if _try_decode(data, named) is not None else None
    for candidate in ("utf-8", "gb18030"):
        if _try_decode(data, candidate) is not None:
            return candidate
    return None


def _describe_encoding(name: str) -> str:
    if name == "gb18030":
        return "gb18030 (GBK, as Chinese-locale Excel saves CSV)"
    if name == "utf-16":
        return "utf-16 (it starts with a UTF-16 byte order mark, as Excel's 'Unicode Text' does)"
    return name


def decode(data: bytes, encoding: str, path: Path, *, gb18030_fallback: bool) -> str:
    """Decode a text case file; the returned text has no byte order mark."""
    declared = _resolve_encoding(encoding, path)
    if declared is not None:
        try:
            text = data.decode(declared)
        except Exception as exc:
            line, what = _decode_failure(data, declared, exc)
            guess = _guess_encoding(data)
            if guess is not None and guess != declared:
                todo = (
                    f"the file looks like {_describe_encoding(guess)}: set 'encoding: {guess}' "
                    "(or 'encoding: auto') in the manifest"
                )
            else:
                todo = "check the file's encoding and set 'encoding:' in the manifest to it"
            raise GoldenFileError(
                f"cannot be read as {declared} ({what}): {todo}", path=path, line=line
            ) from None
        return text.removeprefix("\ufeff")

    named = bom_encoding(data)
    if named is not None:
        try:
            return data.decode(named).removeprefix("\ufeff")
        except Exception as exc:
            line, what = _decode_failure(data, named, exc)
            raise GoldenFileError(
                f"cannot be decoded ({what}): the file starts with a {named.removesuffix('-sig')} "
                "byte order mark but is not valid text in that encoding (is it cut short or "
                "damaged?): save it again from its program, e.g. from Excel as 'CSV UTF-8' or "
                "'Unicode Text', or set 'encoding:' in the manifest to its encoding",
                path=path,
                line=line,
            ) from None
    candidates = ["utf-8", "gb18030"] if gb18030_fallback else ["utf-8"]
    first_failure: tuple[int | None, str] | None = None
    for candidate in candidates:
        try:
            return data.decode(candidate).removeprefix("\ufeff")
        except Exception as exc:
            if first_failure is None:
                first_failure = _decode_failure(data, candidate, exc)
    assert first_failure is not None
    line, what = first_failure
    if gb18030_fallback and len(candidates) > 1:
        todo = (
            "it is neither UTF-8 nor GB18030/GBK: save it from Excel as 'CSV UTF-8', or set "
            "'encoding:' in the manifest to its encoding"
        )
    else:
        todo = "save the file as UTF-8, or set 'encoding:' in the manifest to its encoding"
    raise GoldenFileError(f"cannot be decoded ({what}): {todo}", path=path, line=line)
