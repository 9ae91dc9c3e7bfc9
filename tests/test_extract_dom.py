"""The page model: lines, the links on them and the blocks around them, from one walk."""
from __future__ import annotations

from scraper.extract import parse_page
from scraper.extract.dom import build_page


def test_every_link_knows_the_line_it_sits_on():
    html = ("<div><a href='/1'>一</a> 和 <a href='/2'>二</a><br><a href='/3'>三</a>"
            "<a href='/4'><div>块中的链接</div>之后</a><p>段落 <a href='/5'>五</a></p>"
            "<a href='/6'>  </a><span><a href='/7'>七</a></span></div>")
    page = build_page(parse_page(html).tree)
    on_lines = [(a.href, i) for i, line in enumerate(page.lines) for a in line.anchors]
    assert on_lines and all(a.line == i for i, line in enumerate(page.lines) for a in line.anchors)
    assert [line.text for line in page.lines][:2] == ["一 和 二", "三"]
    assert ("/5", [line.text for line in page.lines].index("段落 五")) in on_lines


def test_blank_text_between_inline_elements_still_separates_words():
    page = build_page(parse_page("<p><span>2024-01-05</span>\n<span>10:30</span></p><div>\n  <p>下一段</p>\n</div>").tree)
    assert [line.text for line in page.lines] == ["2024-01-05 10:30", "下一段"]
