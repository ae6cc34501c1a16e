"""Bytes to text for the text case files (JSONL, CSV, TSV, TXT): the encoding by the manifest's
``encoding:``, by byte order mark, or UTF-8; for a table that is none of these, GB18030 where the
evidence is overwhelming, else one error at the first byte that is not UTF-8 naming the
encodings that read the file and the ``encoding:`` line to write.

Why so cautious: every byte sequence is some text in Windows-1252, and a short GBK file reads as
Big5, Shift-JIS or Korean as well. A gate must not judge a model against mojibake, so a file is
read only in an encoding it cannot be mistaken for; its author names the encoding otherwise.
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
        if isinstance(exc.object, bytes):  # utf-8-sig counts from after the byte order mark
            data = exc.object
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


# ------------------------------------------------------------------------------------------------
# Text without a byte order mark that is not UTF-8: evidence, or a refusal naming the candidates
# ------------------------------------------------------------------------------------------------

MIN_HAN_FOR_GB18030 = 100
"""Chinese characters a file needs before ``auto`` reads it as GB18030 without being told.

Fewer decode as Big5, Shift-JIS or Korean just as well, and no detector tells them apart on a
line or two; a sheet of a hundred Chinese characters is about five rows of questions and answers.
"""

_GB_FAMILY = ("gb18030", "gbk", "gb2312")
_CJK_CODE_PAGES = ("gb18030", "big5", "cp932", "cp949")
"""The double-byte code pages of Windows "CSV": any of them may read a short file of another."""
_LIKELY_FIRST = (
    "cp1252",
    "gb18030",
    "cp932",
    "big5",
    "cp949",
    "cp1251",
    "cp1250",
    "cp1253",
    "cp1254",
    "cp1257",
)
"""The code pages Excel saves "CSV" in, most common first: a candidate list names these first."""
_NAMES = {
    "gb18030": "gb18030 (GBK, Simplified Chinese, as Chinese-locale Excel saves CSV)",
    "big5": "big5 (Traditional Chinese)",
    "cp950": "cp950 (Big5, Traditional Chinese)",
    "cp932": "cp932 (Shift-JIS, Japanese)",
    "shift_jis": "shift_jis (Japanese)",
    "cp949": "cp949 (Korean)",
    "euc_kr": "euc_kr (Korean)",
    "cp1252": "cp1252 (Windows-1252, Western European)",
    "cp1250": "cp1250 (Central European)",
    "cp1251": "cp1251 (Cyrillic)",
    "cp1253": "cp1253 (Greek)",
    "cp1254": "cp1254 (Turkish)",
    "cp1257": "cp1257 (Baltic)",
    "utf-16": "utf-16 (it starts with a UTF-16 byte order mark, as Excel's 'Unicode Text' does)",
}
_MAX_CANDIDATES = 3


def _describe_encoding(name: str) -> str:
    return _NAMES.get(name, name)


def _codec_name(name: str) -> str:
    """The name a manifest's ``encoding:`` takes for a detector's answer (GBK and GB2312 as
    GB18030, their superset, which reads them the same)."""
    try:
        name = codecs.lookup(name).name
    except LookupError:
        return name
    return "gb18030" if name in _GB_FAMILY else name


_ASCII = re.compile("[\x00-\x7f]+")
_HAN = re.compile("[\u4e00-\u9fff]+")


def _utf8_damage(data: bytes) -> tuple[int, int, int]:
    """Multi-byte UTF-8 characters, bytes that are not UTF-8, and the offset of the first of
    those (counted by C-speed decodes: a large file is read in a fraction of a second)."""
    whole = data.decode("utf-8", errors="ignore")  # the invalid bytes dropped
    invalid = len(data.decode("utf-8", errors="surrogateescape")) - len(whole)
    valid = len(whole) - len(whole.encode("ascii", errors="ignore"))
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return valid, invalid, exc.start
    return valid, invalid, 0


def _detector_matches(data: bytes) -> list[tuple[str, float]]:
    """What charset-normalizer reads the bytes as, best first: (codec, chaos 0-1), only codecs
    that decode every byte."""
    import charset_normalizer  # a detector is only needed for the rare file that is not UTF-8

    matches: list[tuple[str, float]] = []
    for match in charset_normalizer.from_bytes(data):
        name = _codec_name(match.encoding)
        if name not in (found for found, _ in matches) and _try_decode(data, name) is not None:
            matches.append((name, float(match.chaos)))
    return matches


def _gb18030_doubt(data: bytes, matches: list[tuple[str, float]]) -> str | None:
    """Why the bytes are not certainly GB18030 (a clause for the message); None when the
    evidence is overwhelming: the detector ranks GB18030 first, without mess, with every other
    reading at least 0.1 messier; the text holds at least :data:`MIN_HAN_FOR_GB18030` Chinese
    characters; and 95% of its other characters than ASCII are common ones (GB2312), which
    Big5, Shift-JIS and Windows-1252 bytes read as GBK are not."""
    if not matches or matches[0][0] != "gb18030":
        return ""
    best_chaos = matches[0][1]
    rival = next((name for name, chaos in matches[1:] if chaos < best_chaos + 0.1), None)
    if best_chaos > 0.05 or rival is not None:
        return f" (GB18030 is likeliest, but {_describe_encoding(rival or 'gb18030')} reads too)"
    han, rare, wide = _gb18030_counts(data.decode("gb18030"))
    if han < MIN_HAN_FOR_GB18030:
        return (
            f" (GB18030 is likeliest, but {han} Chinese characters are too few to be sure: "
            f"it takes {MIN_HAN_FOR_GB18030})"
        )
    if rare > 0.05 * wide:
        return " (as GB18030 it holds many rare characters, the sign of another encoding)"
    return None


def _candidates(data: bytes, matches: list[tuple[str, float]]) -> list[str]:
    """The encodings to name in a refusal, likeliest first. Where the detector's best is a
    double-byte code page, its order, then every other double-byte code page that decodes the
    bytes; else (single-byte code pages, between which a detector's ranking on a short file means
    little) the code pages Excel saves CSV in first, most common first."""
    names = [name for name, _ in matches]
    if names and names[0] in _CJK_CODE_PAGES:
        names += [n for n in _CJK_CODE_PAGES if n not in names and _try_decode(data, n) is not None]
        return names[:_MAX_CANDIDATES]
    if "cp1252" not in names and _try_decode(data, "cp1252") is not None:
        names.append("cp1252")  # the detector may prefer a neighbour for text both read alike
    rank = {name: index for index, name in enumerate(names)}

    def likely_first(name: str) -> tuple[int, int]:
        if name in _LIKELY_FIRST:
            return 0, _LIKELY_FIRST.index(name)
        return 1, rank[name]

    return sorted(names, key=likely_first)[:_MAX_CANDIDATES]


def _words(items: list[str], last: str) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {last} {items[-1]}"


def _line_of(data: bytes, offset: int) -> int:
    return _count_lines(data[:offset].decode("utf-8", errors="replace")) + 1


def _gb18030_counts(text: str) -> tuple[int, int, int]:
    """The Chinese characters of *text* (bytes read as GB18030), its rare characters (outside
    GB2312), and all its characters other than ASCII: the evidence both
    :func:`_gb18030_doubt` and :func:`_gb18030_bulk` weigh."""
    wide = _ASCII.sub("", text)
    han = len(wide) - len(_HAN.sub("", wide))
    rare = wide.encode("gb2312", errors="replace").count(b"?")  # no "?" in wide: it is ASCII
    return han, rare, len(wide)


def _gb18030_bulk(text: str) -> bool:
    """Whether *text* (bytes read as GB18030) is Chinese in bulk: at least
    :data:`MIN_HAN_FOR_GB18030` Chinese characters, 95% of its other characters than ASCII
    common ones (GB2312). Other code pages read as GB18030 are mostly rare characters."""
    han, rare, wide = _gb18030_counts(text)
    return han >= MIN_HAN_FOR_GB18030 and rare <= 0.05 * wide


def _pasted_utf8(data: bytes, text: str) -> tuple[int, bytes, str, str] | None:
    """The first UTF-8 character pasted into GB18030 text (*text* is *data* read as GB18030):
    its offset, its bytes, the character, and what GB18030 reads there; None if none.

    UTF-8 punctuation and symbols (curly quotes, dashes, a no-break space, the euro, a bullet)
    are valid GBK bytes too, and read as rare characters (``—`` as ``鈥``, a no-break space as
    ``聽``): a character outside GB2312 whose bytes are one UTF-8 character is taken as one.
    (Accented Latin letters read as common characters, ``é`` as ``茅``: no byte tells them.)"""
    offset = 0
    for char in text:
        size = 1 if char.isascii() else len(char.encode("gb18030"))
        if size == 2 and data[offset] >= 0xC2 and not _in_gb2312(char):
            for length in (2, 3):
                piece = data[offset : offset + length]
                pasted = _try_decode(piece, "utf-8")
                if pasted is not None and len(pasted) == 1:
                    return offset, piece, pasted, char
        offset += size
    return None


def _in_gb2312(char: str) -> bool:
    try:
        char.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _refuse_damaged_gb18030(data: bytes, path: Path, *, save_as: str) -> None:
    """A GB18030 (GBK) file into which text in another encoding was pasted is refused at the
    first pasted character: read as GBK, it would load mojibake; as anything else, nonsense."""
    text = data.decode("gb18030", errors="replace")
    if not _gb18030_bulk(text):
        return
    bad = text.count("\ufffd")
    if bad:
        if bad > 3:
            return
        first = text.index("\ufffd")
        offset = len(text[:first].encode("gb18030"))
        some = "1 place" if bad == 1 else f"{bad} places, the first"
        raise GoldenFileError(
            f"the file is GB18030 (GBK, Simplified Chinese) except at {some} on this line: "
            "text in another encoding "
            "(often UTF-8, from a web page or another file) was pasted into it, and no encoding "
            "reads the whole file right. Retype the damaged characters on this line (and any "
            f"after it) and {save_as}",
            path=path,
            line=_line_of(data, offset),
        )
    found = _pasted_utf8(data, text)
    if found is None:
        return
    offset, piece, pasted, shown = found
    raise GoldenFileError(
        f"the file is GB18030 (GBK, Simplified Chinese), but bytes {piece.hex(' ')} on this line "
        f"are the UTF-8 for '{pasted}' (U+{ord(pasted):04X}), which GBK reads as '{shown}': text "
        "from a UTF-8 file was pasted into it. Retype the pasted characters on this line (and "
        f"any after it) and {save_as}; if '{shown}' is really what the file says, write the line "
        "'encoding: gb18030' in the manifest",
        path=path,
        line=_line_of(data, offset),
    )


def _auto_decode(data: bytes, path: Path, *, guess: bool = True) -> str:
    """Bytes without a byte order mark that are not UTF-8: GB18030 on overwhelming evidence
    (only if *guess*: JSON Lines is UTF-8 by definition, and refused naming the encoding),
    else a :class:`GoldenFileError` at the first byte that is not UTF-8, naming the candidates."""
    excel = " ('CSV UTF-8' in Excel)" if guess else ""
    save_as = f"save the file as UTF-8{excel}"
    valid, invalid, first = _utf8_damage(data)
    line = _line_of(data, first)
    byte = f"0x{data[first : first + 1].hex()}"
    if valid >= invalid:
        some = "1 byte" if invalid == 1 else f"{invalid} bytes"
        raise GoldenFileError(
            f"the file is UTF-8 except for {some} (the first, {byte}, on this line): text saved "
            "in another encoding was pasted into it (e.g. from a Windows-1252 or GBK file), and "
            "no encoding reads the whole file right. Retype the damaged characters on this line "
            f"(and any after it) and {save_as}",
            path=path,
            line=line,
        )
    _refuse_damaged_gb18030(data, path, save_as=save_as)
    matches = _detector_matches(data)
    doubt = _gb18030_doubt(data, matches)
    if doubt is None and guess:
        return data.decode("gb18030")
    if doubt is None:
        raise GoldenFileError(
            f"the file is not UTF-8 (byte {byte} on this line is not valid UTF-8) but GB18030 "
            "(GBK, Simplified Chinese): JSON Lines files are UTF-8. Save the file as UTF-8, or "
            "write the line 'encoding: gb18030' in the manifest",
            path=path,
            line=line,
        )
    candidates = _candidates(data, matches)
    if not candidates:
        raise GoldenFileError(
            f"the file is not UTF-8 (byte {byte} on this line is not valid UTF-8) and no common "
            f"encoding reads it: {save_as}, or "
            "write its encoding in the manifest, e.g. the line 'encoding: cp1252'",
            path=path,
            line=line,
        )
    shown = _words([_describe_encoding(name) for name in candidates], "or")
    raise GoldenFileError(
        f"the file is not UTF-8 (byte {byte} on this line is not valid UTF-8) and its encoding "
        f"is not certain: it reads as {shown}{doubt}. Open it, see which shows the text right, and "
        f"write that in the manifest, e.g. the line 'encoding: {candidates[0]}'; or save the "
        f"file from its program as UTF-8{excel}",
        path=path,
        line=line,
    )


def _refuse_nul_bytes(data: bytes, path: Path) -> None:
    """NUL bytes are no text anyone typed: most often UTF-16 without its byte order mark (every
    other byte of ASCII text is NUL), which UTF-8 would read as letters between NULs."""
    first = data.find(b"\x00")
    if first < 0:
        return
    for codec, nul_at in (("utf-16-le", 1), ("utf-16-be", 0)):
        every_other_nul = len(data) % 2 == 0 and data[nul_at::2].count(0) > len(data) // 4
        if every_other_nul and _try_decode(data, codec) is not None:
            raise GoldenFileError(
                f"the file holds NUL bytes between its letters: it is UTF-16 without a byte "
                f"order mark; write the line 'encoding: {codec}' in the manifest, or save the "
                "file as UTF-8 ('CSV UTF-8' in Excel)",
                path=path,
            )
    raise GoldenFileError(
        "the file holds a NUL byte (0x00) on this line, which no text holds: is it a binary "
        "file, or damaged? Save it again from its program as UTF-8 ('CSV UTF-8' in Excel)",
        path=path,
        line=_line_of(data, first),
    )


def _guess_encoding(data: bytes) -> tuple[str, bool] | None:
    """What the bytes most likely are, and whether ``auto`` reads them so, for the message of a
    declared encoding that failed; None if nothing reads them."""
    named = bom_encoding(data)
    if named is not None:
        return (named, True) if _try_decode(data, named) is not None else None
    if _try_decode(data, "utf-8") is not None:
        return "utf-8", True
    matches = _detector_matches(data)
    if not matches:
        return None
    return matches[0][0], _gb18030_doubt(data, matches) is None


def decode(data: bytes, encoding: str, path: Path, *, detect: bool) -> str:
    """Decode a text case file; the returned text has no byte order mark.

    ``encoding`` is ``auto`` or a codec used strictly. ``auto`` reads a byte order mark's
    encoding, else UTF-8; where the bytes are not UTF-8, *detect* (CSV, TSV, TXT) reads
    GB18030 on overwhelming evidence and refuses anything else naming the candidates; without
    it (JSONL, UTF-8 by definition) a file that is not UTF-8 is refused.
    """
    declared = _resolve_encoding(encoding, path)
    if declared is not None:
        try:
            text = data.decode(declared)
        except Exception as exc:
            line, what = _decode_failure(data, declared, exc)
            guess = _guess_encoding(data)
            if guess is not None and guess[0] != declared:
                name, auto_reads_it = guess
                auto = "(or 'encoding: auto') " if auto_reads_it else ""
                todo = (
                    f"the file looks like {_describe_encoding(name)}: set 'encoding: {name}' "
                    f"{auto}in the manifest"
                )
            else:
                todo = "check the file's encoding and set 'encoding:' in the manifest to it"
            raise GoldenFileError(
                f"cannot be read as {declared} ({what}): {todo}", path=path, line=line
            ) from None
        if "\x00" in text:  # a NUL character is no more typed than a NUL byte
            raise GoldenFileError(
                f"the file holds a NUL character (U+0000) on this line when read as {declared}: "
                "is 'encoding:' in the manifest the file's encoding, and is it a text file?",
                path=path,
                line=_count_lines(text[: text.index("\x00")]) + 1,
            )
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
    _refuse_nul_bytes(data, path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return _auto_decode(data, path, guess=detect)
