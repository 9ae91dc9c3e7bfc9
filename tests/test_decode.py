"""decode_html: declared charsets are hints, the bytes decide."""
from __future__ import annotations

import codecs

import pytest

from scraper.decode import declared_charset, decode_html

TEXT = "中华人民共和国监察法：朱镕基、王喆出席会议。"   # 镕 and 喆 are GBK-only (not GB2312)


def page(body: str, meta: str = "") -> str:
    return f"<html><head>{meta}<title>t</title></head><body><p>{body}</p></body></html>"


def test_utf8_declared_utf8():
    html = page(TEXT, '<meta charset="utf-8">')
    assert decode_html(html.encode("utf-8")) == (html, "utf-8")


def test_gb2312_declared_with_gbk_only_characters_decodes_as_gb18030():
    html = page(TEXT, '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
    text, codec = decode_html(html.encode("gb18030"))
    assert (text, codec) == (html, "gb18030")


def test_declared_utf8_but_really_gbk():
    html = page(TEXT, '<meta charset="utf-8">')
    assert decode_html(html.encode("gbk")) == (html, "gb18030")


def test_declared_gb2312_but_really_utf8():
    html = page(TEXT, '<meta charset="gb2312">')
    assert decode_html(html.encode("utf-8")) == (html, "utf-8")


def test_http_charset_used_when_bytes_are_not_utf8():
    html = page("中華人民共和國")
    assert decode_html(html.encode("big5"), "big5") == (html, "big5hkscs")


def test_undeclared_gbk_is_guessed():
    html = page(TEXT)
    assert decode_html(html.encode("gbk")) == (html, "gb18030")


@pytest.mark.parametrize("bom,codec", [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16")])
def test_bom_wins(bom, codec):
    html = page(TEXT, '<meta charset="gbk">')
    enc = "utf-8" if codec == "utf-8" else "utf-16-le"
    assert decode_html(bom + html.encode(enc)) == (html, codec)


def test_truncated_multibyte_sequence_at_end_is_tolerated():
    data = page(TEXT).encode("utf-8")[:-len("</p></body></html>") - 1]   # cuts '。' in half
    text, codec = decode_html(data)
    assert codec == "utf-8" and text.endswith("出席会议")


def test_damaged_bytes_never_raise_and_pick_the_likelier_codec():
    data = page(TEXT * 5).encode("gbk") + b"\xff\xff\xff"
    text, codec = decode_html(data)
    assert codec == "gb18030" and TEXT in text


@pytest.mark.parametrize("data", [b"", b"plain ascii", b"\x00\x01\x02\xff\xfe\xfd" * 50])
def test_garbage_never_raises(data):
    text, codec = decode_html(data)
    assert isinstance(text, str) and codec


def test_declared_charset_sniffs_meta_forms():
    assert declared_charset(b'<meta charset="GB2312">') == "GB2312"
    assert declared_charset(b"<meta http-equiv=Content-Type content='text/html; charset=gbk'>") == "gbk"
    assert declared_charset(b"<html><body>no meta</body></html>") is None


def test_utf16_declared_without_bom_does_not_raise():
    # found by tests/test_fuzz.py: the UTF-16 decoder raises UnicodeError (not a decode error)
    text, codec = decode_html(b"\x00\x80", "utf-16")
    assert isinstance(text, str) and codec
