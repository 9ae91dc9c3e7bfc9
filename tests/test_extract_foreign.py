"""trafilatura's job: pages that are not Chinese, and pages where ours finds no body.

The English pages under fixtures/english imitate the English editions of Chinese government,
university, SOE and portal sites (their own boilerplate: 中文 links, ICP lines, share bars,
related lists); labels.jsonl follows ../shared/corpus's conventions, so
`bench/eval_corpus.py --corpus tests/fixtures/english --no-fallback` scores them field by field.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import scraper.extract.foreign as foreign
from scraper.extract import extract_article
from scraper.extract.fields import label_values
from scraper.extract.foreign import cjk_share, is_chinese

FIXTURES = Path(__file__).parent / "fixtures"
ENGLISH = [json.loads(line) for line in (FIXTURES / "english" / "labels.jsonl").read_text("utf-8").splitlines()]
CHINESE_PAGES = sorted((FIXTURES / "pages").glob("*.htm*"))

# Paragraphs whose whole text is a link (pages that click through to the next picture or page):
# every line is link text, so ours finds no prose; trafilatura keeps link text inside <p>.
_PARAS = ["10月28日，市政府召开常务会议，研究部署今冬明春农村供暖保障工作。会议指出，要坚持先立后破，确保群众温暖过冬。",
          "会议要求，各区县要对燃气、电力供应进行全面排查，对独居老人、困难家庭逐户走访，发现问题立即整改。",
          "会议还研究了其他事项。市政府领导班子成员出席会议，各有关部门主要负责同志列席会议。"]
LINKED_TEXT = ("<html><head><title>市政府召开常务会议_某某市人民政府</title></head><body><div class=nav><a href=/>首页</a>"
               " <a href=/xw/>新闻</a></div><h1>市政府召开常务会议</h1><div class=info>发布时间：2024-10-28</div>"
               "<div class=content>" + "".join(f"<p><a href='2.htm'>{p}</a></p>" for p in _PARAS) + "</div>"
               "<div class=foot>版权所有 某某市人民政府</div></body></html>")


@pytest.mark.parametrize("text, chinese", [
    ("BEIJING, Nov. 5 -- China will expand a pilot program for elderly care. 中文 京ICP备05070218号", False),
    ("国家统计局发布数据，10月份CPI同比上涨0.3%，PPI同比下降2.9%，GDP增速符合预期。", True),
    ("华为发布HarmonyOS NEXT，支持Mate 60 Pro等机型", True),
    ("Привет, мир", False),
    ("2024-11-05 10:30", True),             # nothing says foreign: the Chinese extractor keeps it
])
def test_language_by_share_of_han_characters(text, chinese):
    assert is_chinese(text) is chinese
    assert 0.0 <= cjk_share(text) <= 1.0


@pytest.mark.parametrize("page", CHINESE_PAGES, ids=lambda p: p.name)
def test_chinese_pages_with_a_body_never_call_trafilatura(page, monkeypatch):
    def refuse(html, url):
        raise AssertionError("trafilatura called on a Chinese page with a body")
    art = extract_article(page.read_bytes(), "http://www.example.gov.cn/a/1.htm", fallback=False)
    if art.body:
        monkeypatch.setattr(foreign, "run_trafilatura", refuse)
        assert extract_article(page.read_bytes(), "http://www.example.gov.cn/a/1.htm") == art


def test_no_body_found_falls_back_to_trafilatura():
    alone = extract_article(LINKED_TEXT, "http://www.x.gov.cn/xw/1.htm", fallback=False)
    assert (alone.body, alone.reason) == ("", "not-article")
    art = extract_article(LINKED_TEXT, "http://www.x.gov.cn/xw/1.htm")
    assert art.reason is None and art.body.split("\n") == _PARAS
    assert art.evidence["body"] == "trafilatura"
    # ours still reads what it can: the headline and the labelled date
    assert (art.title, art.published_at, art.evidence["published_at"]) == ("市政府召开常务会议", "2024-10-28", "label")


@pytest.mark.parametrize("label", ENGLISH, ids=lambda lab: lab["id"])
def test_english_editions_are_articles_with_their_headline_and_date(label):
    art = extract_article((FIXTURES / "english" / label["file"]).read_bytes(), "http://english.example.gov.cn/a/1.html")
    assert art.reason is None
    assert not is_chinese(art.body)
    assert art.title == label["title"]
    assert (art.published_at or "")[:10] == label["published"][:10]
    lines = art.body.split("\n")
    assert {label["body"].split("\n")[0], label["body"].split("\n")[-1]} <= set(lines)   # the text, not a sidebar


def test_on_a_page_that_is_not_chinese_trafilatura_fills_only_what_ours_left_open():
    page = next(lab for lab in ENGLISH if lab["id"] == "portal-daily")
    data = (FIXTURES / "english" / page["file"]).read_bytes()
    alone = extract_article(data, "http://www.example.com.cn/a/1.html", fallback=False)
    art = extract_article(data, "http://www.example.com.cn/a/1.html")
    assert alone.author is None and art.author == "Zhang Yi"          # <meta name="author">
    assert art.evidence["author"] == "trafilatura"
    assert (art.title, art.body, art.published_at) == (alone.title, alone.body, alone.published_at)


def test_a_failing_trafilatura_loses_nothing(monkeypatch):
    import trafilatura

    def boom(*args, **kwargs):
        raise RecursionError("deep tree")
    monkeypatch.setattr(trafilatura, "bare_extraction", boom)
    art = extract_article(LINKED_TEXT, "http://www.x.gov.cn/xw/1.htm")
    assert (art.body, art.reason, art.title) == ("", "not-article", "市政府召开常务会议")


def test_start_up_does_not_import_trafilatura():
    code = ("import sys, scraper.cli, scraper.extract, scraper.pipeline; "
            "print(sorted(m for m in ('trafilatura', 'htmldate', 'justext', 'courlan') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("label", ENGLISH, ids=lambda lab: lab["id"])
def test_english_labels_and_bylines_are_read(label):
    # `Source: … Writer: … Editor: …`, `(Editor: …)`, `By A and B`: the CMS templates' English editions
    art = extract_article((FIXTURES / "english" / label["file"]).read_bytes(), "http://english.example.gov.cn/a/1.html")
    names = lambda v: {p.lower() for p in re.split(r"[\s,]+", v or "") if p}   # noqa: E731
    assert (art.source, art.editor) == (label["source"], label["editor"])
    assert names(art.author) == names(label["author"])


@pytest.mark.parametrize("line, expected", [
    ("Source: Jiangsu Daily   Font size: A+ A A-", {"source": ["Jiangsu Daily"]}),
    ("Source: School of Environment    Writer: Liu Chen    Editor: Zhou Jing    Date: 2024-03-18    Clicks:",
     {"source": ["School of Environment"], "author": ["Liu Chen"], "editor": ["Zhou Jing"]}),
    ("DataSource: x.cn  Editorial: the view", {}),           # inside a word, or no colon after the label
    ("Sources say the plan will be announced soon", {}),
])
def test_english_labels_need_their_colon_and_a_word_of_their_own(line, expected):
    found = {k: v for k, v in label_values(line).items() if k in ("source", "author", "editor") and any(v)}
    assert found == expected


# The last page of a column: a few linked headlines with their dates between the menu and the
# footer. Ours finds no article; trafilatura returns the page's whole text, none of it prose.
SHORT_LIST = ("<html><head><title>新闻中心_某某市人民政府</title></head><body><div class=nav><a href=/>首页</a>"
              " <a href=/xw/>新闻中心</a> <a href=/tz/>通知公告</a></div><div class=info>更新时间：2023-01-19</div>"
              "<ul class=list>" + "".join(f"<li><a href='/xw/{n}.htm'>市有关部门召开第{n}次专题工作推进会议</a>"
                                          f"<span>2023-01-{n % 28 + 1:02d}</span></li>" for n in range(5001, 5006)) +
              "</ul><div class=page><a href='index_1.htm'>上一页</a> <a href='index.htm'>首页</a></div>"
              "<div class=foot>版权所有 某某单位 地址：某市某路1号</div></body></html>")


def test_a_list_page_stays_a_list_page_when_trafilatura_returns_its_menus_and_rows():
    art = extract_article(SHORT_LIST, "http://www.x.gov.cn/xw/index_2.htm")
    assert (art.body, art.reason) == ("", "not-article")
    assert "body" not in art.evidence


@pytest.mark.parametrize("body, prose", [
    ("首页\n新闻中心\n市有关部门召开第5010次专题工作推进会议\n2023-01-19\n版权所有 某某单位", False),
    ("\n".join(_PARAS), True),
    ("Home\nNews\nChina expands pilot program.\nThe State Council said on Tuesday it would widen the program.", True),
    ("Version 2.1.0\n2023.01.19", False),
    ("", False),
])
def test_a_fallback_body_must_read_as_prose(body, prose):
    assert foreign.reads_as_prose(body) is prose


def test_a_page_without_a_body_or_a_single_sentence_never_calls_trafilatura(monkeypatch):
    def refuse(html, url):
        raise AssertionError("trafilatura called on a list page")
    monkeypatch.setattr(foreign, "run_trafilatura", refuse)
    assert extract_article(SHORT_LIST, "http://www.x.gov.cn/xw/index_2.htm").reason == "not-article"
