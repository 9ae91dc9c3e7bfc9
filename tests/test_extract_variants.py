"""Variants of one fixture page, each changing the single thing a rule is about."""
from __future__ import annotations

import re
from pathlib import Path

from scraper.extract import extract_article

PAGES = Path(__file__).parent / "fixtures" / "pages"
TRS = (PAGES / "trs_gov.html").read_bytes().decode("gb18030")
URL = "http://www.example.gov.cn/zwgk/tzgg/202311/t20231105_101.html"
SIGNATURE = '<p style="text-align:right">某某市发展和改革委员会</p>'


def test_signing_date_beats_metadata_and_url_when_the_header_shows_none():
    html = TRS.replace('<meta name="PubDate" content="2023-11-05 10:30">', "")
    html = html.replace("<span>发布日期：2023年11月05日 10:30</span>", "")
    art = extract_article(html, URL)
    assert art.published_at == "2023-11-03"
    assert art.body.endswith("2023年11月3日")


def test_many_attachment_lines_keep_a_notice_an_article():
    # a short notice (no table) whose attachment links outnumber a third of its lines
    links = "".join(f'<p><a href="./P{i}.pdf">附件{i}：第{i}批项目申报材料清单.pdf</a></p>' for i in range(3, 9))
    html = re.sub(r"<p>二、主要安排</p>\s*<table.*?</table>", "", TRS, flags=re.S)
    art = extract_article(html.replace(SIGNATURE, links + SIGNATURE), URL)
    assert art.reason is None
    assert [a.url.rsplit("/", 1)[1] for a in art.attachments][2:] == [f"P{i}.pdf" for i in range(3, 9)]
    assert "附件8：第8批项目申报材料清单.pdf" in art.body


def test_column_page_with_an_intro_paragraph_is_still_a_list():
    intro = ("<div class=\"intro\"><p>" + "本栏目发布县人民政府及其部门的各类通知公告，内容涵盖政策文件、人事信息、"
             "招标采购、公共服务等方面，欢迎广大群众查阅并提出意见建议。" * 4 + "</p></div>")
    html = (PAGES / "gov_list.html").read_bytes().decode("gb18030").replace('<ul class="list">', intro + '<ul class="list">')
    html = html.replace("<title>", '<meta name="PubDate" content="2023-11-05"><title>')   # dated, too
    art = extract_article(html, "http://www.example.gov.cn/zwgk/tzgg/index.html")
    assert len(art.body) >= 200
    assert art.reason == "not-article"


def test_signing_date_in_chinese_numerals():
    html = TRS.replace('<meta name="PubDate" content="2023-11-05 10:30">', "")
    html = html.replace("<span>发布日期：2023年11月05日 10:30</span>", "")
    html = html.replace("2023年11月3日", "二〇二三年十一月三日")
    art = extract_article(html, "http://www.example.gov.cn/zwgk/tzgg/notice.html")
    assert art.published_at == "2023-11-03"
    assert art.body.endswith("二〇二三年十一月三日")


def test_labelled_line_above_the_headline_gives_date_and_source():
    page = (PAGES / "xinhua_split_date.html").read_text("utf-8")
    html = page.replace("<em> 2024</em></span><span class=\"day\"><em> 11</em>/<em>04</em></span>"
                        "<span class=\"time\"> 10:42:31</span>", "").replace("来源：新华网", "来源：新华网 2024-11-04")
    art = extract_article(html)
    assert (art.published_at, art.source) == ("2024-11-04", "新华网")


def test_widget_date_above_the_headline_is_not_the_article_date():
    page = (PAGES / "xinhua_split_date.html").read_text("utf-8")
    html = page.replace("<em> 2024</em></span><span class=\"day\"><em> 11</em>/<em>04</em></span>"
                        "<span class=\"time\"> 10:42:31</span>", "今天是2024年11月06日 星期三")
    assert extract_article(html).published_at is None


def test_date_and_time_in_two_blocks_under_the_headline():
    page = (PAGES / "xinhua_split_date.html").read_text("utf-8")
    html = page.replace('<div class="header-time left"><span class="year"><em> 2024</em></span><span class="day"><em> 11</em>/<em>04</em></span><span class="time"> 10:42:31</span></div>', "")
    html = html.replace("</h1>", '</h1><div class="date">2024-11-04</div><div class="time">10:42</div>')
    assert extract_article(html).published_at == "2024-11-04T10:42:00+08:00"


def test_editor_in_brackets_without_colon_is_no_text():
    page = (PAGES / "xinhua_split_date.html").read_text("utf-8")
    html = page.replace("【责任编辑:王晓雪】", "（编辑 王晓雪 审核 李强）")
    art = extract_article(html)
    assert art.editor == "王晓雪"
    assert "审核" not in art.body


def test_headline_longer_than_the_cut_title_element():
    page = (PAGES / "phpcms_news.html").read_text("utf-8")
    html = page.replace("<h1>我市启动冬季供暖试运行<br />", "<h1>我市启动冬季供暖试运行 11月15日起正式供暖<br />")
    art = extract_article(html)
    assert art.title == "我市启动冬季供暖试运行 11月15日起正式供暖"
    assert (art.published_at, art.source) == ("2024-11-08T09:15:42+08:00", "某某日报")
