"""Discovery and extraction read one table of attachment extensions and 上一篇/下一篇 labels:
what the crawler leaves to the article (an attachment) the extractor records, and a chain link
the crawler follows the extractor reports as prev/next."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from scraper.discover import classify_url, discover_links
from scraper.extract import extract_article
from scraper.linkwords import ATTACHMENT_EXTENSIONS, ATTACHMENT_NAME, NEXT_LABELS, PREV_LABELS, caseless_alternatives

PAGES = Path(__file__).parent / "fixtures" / "pages"
TRS = (PAGES / "trs_gov.html").read_bytes().decode("gb18030")
URL = "http://www.example.gov.cn/zwgk/tzgg/202311/t20231105_101.html"
SIGNATURE = '<p style="text-align:right">某某市发展和改革委员会</p>'
ORIGIN = "http://www.example.gov.cn"


@pytest.mark.parametrize("ext", sorted(ATTACHMENT_EXTENSIONS))
def test_an_attachment_the_crawler_skips_is_one_the_extractor_records(ext):
    target = f"{ORIGIN}/zwgk/tzgg/202311/P020231105_{ext}.{ext}"
    assert classify_url(target) == "attachment"
    link = f'<p>附件：<a href="{target}">申报材料</a></p>'
    art = extract_article(TRS.replace(SIGNATURE, link + SIGNATURE), URL)
    assert target in [a.url for a in art.attachments]
    assert [link.points_to for link in discover_links(link, URL) if link.url == target] == ["attachment"]


def test_a_gzipped_sitemap_is_no_attachment_on_either_side():
    target = f"{ORIGIN}/sitemap.xml.gz"
    assert classify_url(target) != "attachment"
    art = extract_article(TRS.replace(SIGNATURE, f'<p><a href="{target}">网站地图</a></p>' + SIGNATURE), URL)
    assert target not in [a.url for a in art.attachments]


@pytest.mark.parametrize("prev_label, next_label", list(zip(PREV_LABELS, NEXT_LABELS)))
def test_chain_labels_both_sides_read(prev_label, next_label):
    before, after = f"{ORIGIN}/zwgk/tzgg/202311/t20231104_1.html", f"{ORIGIN}/zwgk/tzgg/202311/t20231106_2.html"
    chain = (f'<p>{prev_label}：<a href="{before}">关于开展秋季安全检查的通知</a></p>'
             f'<p>{next_label}：<a href="{after}">关于做好冬季供暖工作的通知</a></p>')
    html = TRS.replace(SIGNATURE, SIGNATURE + chain)
    rels = {link.url: link.rel for link in discover_links(html, URL)}
    assert (rels.get(before), rels.get(after)) == ("prev", "next")
    art = extract_article(html, URL)
    assert (art.prev_url, art.next_url) == (before, after)


CASE_PROBES = ("COPYRIGHT 2024", "copyright", "ıcp备", "İCP证", "Icp备", "ICP单", "Previous  Post", "NEXT ARTICLE",
               "ſhare", "\u212aid", "下一篇", "上 一篇", "rights", "x.PDF", "sitemap.XML.gz", "a.xml.pdf", "")


@pytest.mark.parametrize("words", [("版权所有", "Copyright", "©", "ICP[备证]", "主办[:：单]"),
                                   ("icon", "share", "kid", "pdf", r"previous\s*post", r"next\s*article", "上一篇")])
def test_caseless_alternatives_match_what_ignorecase_matches(words):
    """The rewrite that lets the regex engine skip ahead (first letter spelled out in every case,
    İ ı for i, ſ for s, the Kelvin sign for k) finds exactly what re.IGNORECASE finds."""
    fast = re.compile("|".join(caseless_alternatives(words)))
    flagged = re.compile("|".join(words), re.I)
    for text in CASE_PROBES:
        for start in range(len(text) + 1):
            got, want = fast.search(text, start), flagged.search(text, start)
            assert (got and got.span()) == (want and want.span()), (words, text, start)


def test_attachment_name_looks_back_for_xml_from_the_dot():
    assert [bool(ATTACHMENT_NAME.search(u)) for u in ("a/b.PDF", "a.xml.gz", "a.XML.zip", "a.xmlx.zip", "a.doc?x=1")] \
        == [True, False, False, True, True]
