"""Decoding text case files that carry no byte order mark and are not UTF-8: what Windows "CSV"
saves in the local code page. A file loads only in an encoding it cannot be mistaken for; else one
error names the line, the candidate encodings and the manifest line to write."""

# Chinese and Japanese fixtures use full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from case_file_helpers import raises, without_source, write

from releasegate.golden.io import load_cases
from releasegate.golden.io.text import MIN_HAN_FOR_GB18030

ZH = [
    ("营业时间是几点？", "每天上午九点到晚上六点。"),
    ("退货需要什么材料？", "需要购物小票和完整的原包装。"),
    ("你们发货到加拿大吗？", "是的，我们发货到加拿大和美国。"),
    ("会员积分怎么使用？", "积分可以在结账时抵扣现金。"),
    ("运费是多少？", "订单满两百元免运费，否则收取十元。"),
    ("可以开发票吗？", "可以，请在订单页面填写发票抬头。"),
    ("商品有质量问题怎么办？", "请拍照联系客服，我们会尽快处理。"),
    ("支持哪些付款方式？", "支持银行卡、支付宝和微信支付。"),
    ("多久能收到退款？", "审核通过后五到七个工作日到账。"),
    ("可以修改收货地址吗？", "发货前可以在订单详情里修改地址。"),
]
TW = [("營業時間是幾點？", "每天上午九點到晚上六點。"), ("退貨需要什麼？", "需要收據和原包裝。")]
JA = [
    ("営業時間は何時ですか？", "毎日九時から六時までです。"),
    ("返品できますか？", "はい、七日以内です。"),
]
FR = [("Où est le café ?", "À côté de la gare; déjà ouvert."), ("Prix réduit ?", "Oui; l'été.")]
DE = [("Größe ändern für Müller?", "Schöne Grüße über die Straße."), ("Öl?", "Äußerst gut.")]


def table(pairs: list[tuple[str, str]], rows: int) -> str:
    """A case table as Excel saves it (CRLF), *rows* rows cycling through *pairs*."""
    lines = ["id,input,expected"]
    lines += [f"q{n},{pairs[n % len(pairs)][0]},{pairs[n % len(pairs)][1]}" for n in range(rows)]
    return "\r\n".join(lines) + "\r\n"


@pytest.mark.parametrize(
    ("pairs", "codec", "first_bad_line"),
    [(ZH, "gb18030", 2), (TW, "big5", 2), (JA, "cp932", 2), (FR, "cp1252", 2), (DE, "cp1252", 2)],
)
@pytest.mark.parametrize("rows", [1, 2])
def test_short_files_in_a_code_page_are_refused_naming_the_candidates(
    tmp_path: Path, pairs: list[tuple[str, str]], codec: str, first_bad_line: int, rows: int
) -> None:
    # Chinese-locale Excel saves GBK, which the candidates call gb18030, its superset
    text = table(pairs, rows)
    path = write(tmp_path / "faq.csv", text.encode(codec))
    error = raises(path)
    message = str(error)
    assert error.line == first_bad_line
    assert message.startswith(f"{path}, line {first_bad_line}: the file is not UTF-8 (byte 0x")
    assert "and its encoding is not certain: it reads as " in message
    assert f"{codec} (" in message  # the true encoding is among the candidates
    assert "write that in the manifest, e.g. the line 'encoding: " in message
    # the line the message asks for loads exactly what the author typed
    cases = load_cases(path, suite="demo", encoding=codec)
    assert [(c.input, c.expected) for c in cases] == [pairs[n % len(pairs)] for n in range(rows)]


def test_short_gbk_says_why_gb18030_is_not_taken(tmp_path: Path) -> None:
    path = write(tmp_path / "faq.csv", table(ZH, 2).encode("gbk"))
    assert str(raises(path)) == (
        f"{path}, line 2: the file is not UTF-8 (byte 0xbc on this line is not valid UTF-8) and "
        "its encoding is not certain: it reads as gb18030 (GBK, Simplified Chinese, as "
        "Chinese-locale Excel saves CSV) or big5 (Traditional Chinese) (GB18030 is likeliest, "
        "but 39 Chinese characters are too few to be sure: it takes 100). Open it, see which "
        "shows the text right, and write that in the manifest, e.g. the line 'encoding: "
        "gb18030'; or save the file from its program as UTF-8 ('CSV UTF-8' in Excel)"
    )


def test_a_long_gbk_file_loads_as_what_its_author_typed(tmp_path: Path) -> None:
    # what Chinese-locale Excel writes: 20 rows of Chinese in GBK
    text = table(ZH, 20)
    assert sum("\u4e00" <= c <= "\u9fff" for c in text) >= MIN_HAN_FOR_GB18030
    gbk = load_cases(write(tmp_path / "gbk.csv", text.encode("gbk")), suite="demo")
    utf8 = load_cases(write(tmp_path / "utf8.csv", text.encode("utf-8")), suite="demo")
    assert without_source(gbk) == without_source(utf8)
    assert gbk[2].input == "你们发货到加拿大吗？"


def test_gbk_at_the_threshold(tmp_path: Path) -> None:
    # four rows hold 81 Chinese characters, five 101
    path = write(tmp_path / "faq.csv", table(ZH, 4).encode("gbk"))
    assert "but 81 Chinese characters are too few to be sure: it takes 100" in str(raises(path))
    cases = load_cases(write(tmp_path / "ok.csv", table(ZH, 5).encode("gbk")), suite="x")
    assert [(c.input, c.expected) for c in cases] == ZH[:5]


@pytest.mark.parametrize(
    ("pairs", "codec"), [(TW, "big5"), (JA, "cp932"), (DE, "cp1252"), (FR, "cp1252")]
)
def test_long_files_in_other_code_pages_never_load_as_gb18030(
    tmp_path: Path, pairs: list[tuple[str, str]], codec: str
) -> None:
    data = table(pairs, 60).encode(codec)
    if pairs in (TW, DE):  # these are valid GB18030 byte for byte: only evidence tells
        assert data.decode("gb18030") != data.decode(codec)
    error = raises(write(tmp_path / "faq.csv", data))
    assert f"it reads as {codec} (" in str(error)  # its true encoding named first
    assert error.line == 2


def test_utf8_with_one_stray_byte_is_refused_at_its_line(tmp_path: Path) -> None:
    text = table(ZH, 20)
    data = text.encode("utf-8")
    at = data.index(b"q7,")
    path = write(tmp_path / "faq.csv", data[:at] + "Café".encode("cp1252") + data[at:])
    error = raises(path)
    assert str(error) == (
        f"{path}, line 9: the file is UTF-8 except for 1 byte (the first, 0xe9, on this line): "
        "text saved in another encoding was pasted into it (e.g. from a Windows-1252 or GBK "
        "file), and no encoding reads the whole file right. Retype the damaged characters on "
        "this line (and any after it) and save the file as UTF-8 ('CSV UTF-8' in Excel)"
    )
    # the same with a few GBK characters pasted into a long UTF-8 file
    path = write(tmp_path / "gbk.csv", data[:at] + "退货".encode("gbk") + data[at:])
    error = raises(path)
    assert error.line == 9
    assert "the file is UTF-8 except for 2 bytes (the first, 0xcd, on this line)" in str(error)


def test_utf8_bom_file_with_a_stray_byte_is_one_clear_error(tmp_path: Path) -> None:
    data = codecs.BOM_UTF8 + "id,input,expected\r\nq1,营业,九点\r\nq2,caf".encode()
    path = write(tmp_path / "faq.csv", data + b"\xe9,b\r\n")
    error = raises(path)
    assert error.line == 3
    assert "byte 0xe9 is not valid utf-8" in str(error)


def test_a_utf8_file_with_a_gbk_file_appended_is_refused(tmp_path: Path) -> None:
    text = table(ZH, 20)
    tail = "\r\n".join(f"x{n},{q},{a}" for n, (q, a) in enumerate(ZH)) + "\r\n"
    path = write(tmp_path / "faq.csv", text.encode("utf-8") + tail.encode("gbk"))
    error = raises(path)
    assert error.line == 22
    assert "the file is UTF-8 except for" in str(error)


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le")],
)
def test_byte_order_marks_still_decide_short_files(tmp_path: Path, bom: bytes, codec: str) -> None:
    # a one-row file is too short to detect, but a byte order mark is certain
    text = table(ZH, 1).replace(",", "\t")
    (case,) = load_cases(write(tmp_path / "faq.txt", bom + text.encode(codec)), suite="x")
    assert (case.id, case.input, case.source) == ("q0", ZH[0][0], f"{tmp_path / 'faq.txt'}:2")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_refused_not_read_as_utf8(
    tmp_path: Path, codec: str
) -> None:
    # valid UTF-8 byte for byte (NUL is ASCII), but read so the header is "i\0d\0..."
    text = table(ZH, 1).replace(",", "\t")
    path = write(tmp_path / "faq.txt", text.encode(codec))
    assert str(raises(path)) == (
        f"{path}: the file holds NUL bytes between its letters: it is UTF-16 without a byte order "
        f"mark; write the line 'encoding: {codec}' in the manifest, or save the file as UTF-8 "
        "('CSV UTF-8' in Excel)"
    )
    (case,) = load_cases(path, suite="x", encoding=codec)
    assert case.input == ZH[0][0]


def test_a_nul_byte_in_a_text_file_is_refused_at_its_line(tmp_path: Path) -> None:
    for name in ("faq.csv", "faq.jsonl"):
        content = (
            b'{"id": 1, "input": "a", "expected": "b"}\n'
            b'{"id": 2, "input": "c\x00", "expected": "d"}\n'
            if name.endswith("jsonl")
            else b"id,input,expected\n1,a,b\n2,c\x00,d\n"
        )
        path = write(tmp_path / name, content)
        assert str(raises(path)) == (
            f"{path}, line {2 if name.endswith('jsonl') else 3}: the file holds a NUL byte (0x00) "
            "on this line, which no text holds: is it a binary file, or damaged? Save it again "
            "from its program as UTF-8 ('CSV UTF-8' in Excel)"
        )


def test_a_declared_encoding_that_reads_nul_characters_is_refused(tmp_path: Path) -> None:
    text = table([("What time do you open?", "At nine.")], 1).replace(",", "\t")
    path = write(tmp_path / "faq.txt", text.encode("utf-16-le"))
    assert str(raises(path, encoding="utf-8")) == (
        f"{path}, line 1: the file holds a NUL character (U+0000) on this line when read as "
        "utf-8: is 'encoding:' in the manifest the file's encoding, and is it a text file?"
    )


@pytest.mark.parametrize(
    ("pasted", "after", "shown"),
    [
        ("\u2014", "a", "鈥"),  # an em dash from Word, before a Latin letter
        ("\u201c", "b", "鈥"),  # a curly quote
        ("\u2122", "x", "鈩"),  # a trade mark sign
        ("\u20ac", "\u20ac", "鈧"),  # two euro signs
        ("\u00a0", "我们", "聽"),  # a no-break space from a web page
    ],
)
def test_utf8_pasted_into_a_long_gbk_file_is_refused_at_its_line(
    tmp_path: Path, pasted: str, after: str, shown: str
) -> None:
    # every byte is GBK, so GB18030 reads the file whole: but the pasted UTF-8 reads as rare
    # characters, mojibake its author never typed (before: loaded as "质量问题鈥攁")
    text = table(ZH, 20)
    at = text.index("q7,")
    tail = after.encode() if after == pasted else after.encode("gbk")
    line = "q7,问".encode("gbk") + pasted.encode() + tail + ",答\r\n".encode("gbk")
    data = text[:at].encode("gbk") + line + text[at:].encode("gbk")
    assert data.decode("gb18030")  # valid GB18030 byte for byte
    path = write(tmp_path / "faq.csv", data)
    error = raises(path)
    assert error.line == 9
    utf8 = pasted.encode().hex(" ")
    assert str(error) == (
        f"{path}, line 9: the file is GB18030 (GBK, Simplified Chinese), but bytes {utf8} on this "
        f"line are the UTF-8 for '{pasted}' (U+{ord(pasted):04X}), which GBK reads as '{shown}': "
        "text from a UTF-8 file was pasted into it. Retype the pasted characters on this line "
        "(and any after it) and save the file as UTF-8 ('CSV UTF-8' in Excel); if "
        f"'{shown}' is really what the file says, write the line 'encoding: gb18030' in the "
        "manifest"
    )


def test_utf8_pasted_into_gbk_that_breaks_gbk_is_refused_at_its_line(tmp_path: Path) -> None:
    # a dash before Chinese leaves a byte GBK cannot read: the file was refused naming cp1252,
    # which reads it as mojibake; now it says what happened, on the pasted line
    text = table(ZH, 20)
    at = text.index("q7,")
    line = "q7,问".encode("gbk") + "\u2014".encode() + "我们,答\r\n".encode("gbk")
    data = text[:at].encode("gbk") + line + text[at:].encode("gbk")
    path = write(tmp_path / "faq.csv", data)
    error = raises(path)
    assert error.line == 9
    assert str(error) == (
        f"{path}, line 9: the file is GB18030 (GBK, Simplified Chinese) except at 1 place on "
        "this line: text in another encoding (often UTF-8, from a web page or another file) was "
        "pasted into it, and no encoding reads the whole file right. Retype the damaged "
        "characters on this line (and any after it) and save the file as UTF-8 ('CSV UTF-8' in "
        "Excel)"
    )


def test_gbk_with_rare_characters_of_its_own_still_loads(tmp_path: Path) -> None:
    # GBK's own extension characters are not taken for pasted UTF-8 unless their bytes are UTF-8
    pairs = [*ZH, ("們的說明", "镕和喆")]
    text = table(pairs, 22)
    cases = load_cases(write(tmp_path / "faq.csv", text.encode("gbk")), suite="demo")
    assert cases[10].input == "們的說明"
    assert cases[10].expected == "镕和喆"
