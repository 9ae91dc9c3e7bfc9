"""Site and column names a page shows (`site_names`): the footer words count only on a copyright
or 主办 line, wherever else on the page the same words stand."""
from __future__ import annotations

from scraper.extract import parse_page
from scraper.extract.dom import build_page
from scraper.extract.site import site_names


def names_of(body: str):
    page = build_page(parse_page(f"<html><body>{body}</body></html>").tree)
    return site_names(page, {})


def test_footer_words_found_on_the_copyright_line_after_other_lines_holding_them():
    site = names_of("<h1>某某学院召开会议</h1><p>某某学院 新闻网 报道</p><p>另一行</p>"
                    "<div>Copyright © 2024 某某 学院 All Rights Reserved</div>")
    assert site.is_site("某某学院")          # squashed: the spaces of the footer line do not count
    assert not site.is_site("另一行")        # on the page, but on no footer line
    assert not site.is_site("召开会议")


def test_footer_pattern_is_caseless_and_the_part_is_squashed():
    site = names_of("<p>Example College News</p><p>COPYRIGHT Example College</p>")
    assert site.is_site("example  COLLEGE")
    assert not names_of("<p>Example College News</p>").is_site("Example College")


def test_link_texts_are_names_only_when_short():
    site = names_of("<div><a href='/'>学院 新闻</a> <a href='/x'>一个很长的标题链接不是栏目名称</a></div>")
    assert site.is_site("学院新闻")
    assert not site.is_site("一个很长的标题链接不是栏目名称")
