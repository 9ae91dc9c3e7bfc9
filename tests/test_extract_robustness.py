"""Garbage in never raises: it yields a record with a reason. Overrides win over heuristics."""
from __future__ import annotations

from pathlib import Path

import pytest

from scraper.extract import extract_article
from scraper.extract.body import is_boilerplate

PAGES = Path(__file__).parent / "fixtures" / "pages"


@pytest.mark.parametrize("data,reason", [
    (b"", "empty"),
    (b"   \n\t  ", "empty"),
    ("", "empty"),
    (b"%PDF-1.4\n\x00\x01\x02binary stream", "binary"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (b"<html><head><title>x</title></head><body></body></html>", "empty"),
    (b"<html><body><p>\xe4\xb8\xad</p></body></html>", "not-article"),
])
def test_garbage_gets_a_reason(data, reason):
    art = extract_article(data, "http://example.com/x.html")
    assert art.reason == reason
    assert art.url == "http://example.com/x.html"


def test_undecodable_bytes_are_a_decode_error():
    data = b"<html><body><p>" + bytes(range(0x80, 0x100)) * 40 + b"</p></body></html>"
    assert extract_article(data).reason == "decode-error"


def test_truncated_page_still_extracts():
    html = (PAGES / "portal_byline.html").read_bytes()
    cut = html[: html.index("此次首航为期".encode())]
    art = extract_article(cut, "https://news.example.com/a.shtml")
    assert art.title == "我国首艘大型邮轮完成首次商业航行"
    assert art.body.startswith("新华社上海1月1日电")
    assert art.reason is None


def test_deeply_nested_markup_does_not_overflow():
    html = "<div>" * 5000 + "<p>" + "深层嵌套的正文内容，" * 30 + "</p>"
    art = extract_article(html)
    assert "深层嵌套的正文内容" in art.body


def test_long_text_without_sentences_or_signals_is_not_an_article():
    art = extract_article("<div>".join(["x"] * 3000))
    assert art.reason == "not-article"


def test_plain_text_input():
    art = extract_article("这只是一段纯文本，没有任何标签。" * 3)
    assert art.reason == "not-article"


def test_overrides_win_over_heuristics():
    html = (PAGES / "portal_byline.html").read_bytes()
    art = extract_article(html, overrides={
        "title": ".crumbs", "author": ".right h3", "source": ".topbar a", "editor": ".share a",
        "published_at": ".related li", "body": ".related",
    })
    assert art.title == "首页 > 新闻中心 > 正文"
    assert (art.author, art.source, art.editor) == ("热门排行", "某某网首页", "微信")
    assert art.published_at == "2023-12-20"
    assert art.body.startswith("国产大型邮轮出坞")


def test_override_label_is_stripped_and_bad_selectors_are_ignored():
    html = (PAGES / "portal_byline.html").read_bytes()
    art = extract_article(html, overrides={"editor": ".show_author", "title": "h1[[", "source": ".missing",
                                           "colour": "p"})
    assert art.editor == "赵六"
    assert art.title == "我国首艘大型邮轮完成首次商业航行"
    assert art.source == "新华网"


def test_undated_article_with_a_headline_stays_an_article():
    html = (PAGES / "split_lead.html").read_text("utf-8").replace("2023-06-09 10:20:00 ", "")
    art = extract_article(html, "https://finance.example.com/a/abc.html")
    assert art.published_at is None
    assert art.reason is None


@pytest.mark.parametrize("line", ["欢迎关注“某某发布”微信公众号", "长按识别二维码，关注我们", "分享到：微信 微博",
                                  "【责任编辑：王五】", "本文来源：新华社", "Copyright © 2023 某某网"])
def test_boilerplate_lines_are_not_text(line):
    assert is_boilerplate(line)


@pytest.mark.parametrize("line", ["网友纷纷点赞，认为这一举措切实解决了群众的急难愁盼问题。",
                                  "记者从市公安局获悉，该案件已移送检察机关审查起诉。"])
def test_prose_is_not_boilerplate(line):
    assert not is_boilerplate(line)


def test_deep_nesting_is_capped_like_a_browser_and_keeps_the_text():
    """10^5 nested elements cost an HTML5 tree builder minutes (scope checks walk the stack of
    open elements); the markup is flattened past MAX_DEPTH first, its text kept."""
    from scraper.htmltree import MAX_DEPTH, flatten, parse_html
    deep = "<html><body>" + "<div><span>" * 50_000 + "最深处的文字" + "</span></div>" * 50_000 + "<p>之后</p>"
    tree = parse_html(deep)
    assert "最深处的文字" in tree.body.text() and "之后" in tree.body.text()
    depth, node = 0, tree.body
    while node.child is not None and node.child.tag != "-text":
        node, depth = node.child, depth + 1
    assert depth <= MAX_DEPTH
    assert flatten("<div><div>shallow</div></div>") is None      # nothing to do: None
    page = (PAGES / "portal_byline.html").read_bytes().decode("utf-8")
    article = extract_article(page.replace("<p>", "<div>" * 20_000 + "<p>", 1), "https://news.example.com/a.shtml")
    assert article.reason is None and article.title == "我国首艘大型邮轮完成首次商业航行"


def test_utf16_is_text_not_binary():
    from scraper.decode import looks_binary
    assert not looks_binary("<html><body>正文</body></html>".encode("utf-16"))
    assert looks_binary(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
