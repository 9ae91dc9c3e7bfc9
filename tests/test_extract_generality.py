"""Rules that make extraction hold on CMSs nobody here has seen, each on a snippet written in the
style of such a site (never a copy of a corpus page)."""
from __future__ import annotations

import json

import pytest

from scraper.extract import extract_article
from scraper.extract.fields import label_values

_PARA = "<p>{}</p>"
_TEXT = ("为进一步弘扬志愿服务精神，学院于本周组织开展了社区志愿服务活动，全体师生积极参与，"
         "活动取得了良好的社会效果。")


def page(head: str, body: str, *, title: str = "", tail: str = "") -> str:
    paras = "".join(_PARA.format(_TEXT) for _ in range(4))
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>"
            f"<div class='nav'><a href='/'>首页</a> <a href='/xw/'>学院新闻</a></div>"
            f"<div class='main'>{head}<div class='content'>{body}{paras}</div>{tail}</div>"
            f"<div class='footer'>版权所有 某某学院</div></body></html>")


def first(text: str, field: str) -> str | None:
    return next((v for v in label_values(text).get(field, ()) if v), None)


@pytest.mark.parametrize("line,field,value", [
    ("上一条：优秀志愿工作者表彰", "author", None),          # 作者 inside 工作者
    ("素材来源 视觉中国", "source", None),                 # a credit, not the outlet
    ("图片来源：网络", "source", None),
    ("活动时间：2024-05-01", "published_at", None),        # an event's date, not the page's
    ("本报记者 王丽", "author", "王丽"),                   # outlet words before 记者 are fine
    ("本文作者：王丽", "author", "王丽"),
    ("稿件来源：某某日报", "source", "某某日报"),
    ("来源：某某市志愿工作者协会", "source", "某某市志愿工作者协会"),   # a value is not cut at 作者
])
def test_label_counts_only_at_a_word_boundary(line, field, value):
    assert first(line, field) == value


def test_link_to_another_article_is_never_a_header_line():
    html = page("<h1>学院开展社区志愿服务活动</h1><div class='info'>发布时间：2024-05-08</div>", "",
                title="学院开展社区志愿服务活动-某某学院",
                tail="<div class='pn'><a href='/xw/1.htm'>上一条：优秀志愿工作者表彰</a><br>"
                     "<a href='/xw/3.htm'>关于评选优秀志愿服务组织者的通知</a></div>")
    art = extract_article(html, "https://www.example.edu.cn/xw/2.htm")
    assert art.author is None and art.published_at == "2024-05-08"


def test_labels_run_together_after_a_value():
    assert first("来源：某某证券网作者：王丽", "author") == "王丽"
    assert first("来源：某某证券网作者：王丽", "source") == "某某证券网"


_GOV_TABLE = """<html><head><meta charset="utf-8"><title>区开安全会_工作动态_某某区人民政府</title></head>
<body><table><tr><td><img src="/images/logo.gif" alt="某某区人民政府"></td></tr>
<tr><td><a href="/">首页</a> <a href="/gzdt/">工作动态</a> <a href="/tzgg/">通知公告</a></td></tr>
<tr><td align="center"><font size="4"><b>区开安<br>全会</b></font></td></tr>
<tr><td>发布时间：2005年04月05日</td></tr>
<tr><td>{paras}</td></tr>
<tr><td>主办：某某区人民政府办公室 版权所有</td></tr></table></body></html>"""


def test_title_drops_column_and_site_parts_of_the_document_title():
    html = _GOV_TABLE.format(paras="".join(_PARA.format(_TEXT) for _ in range(4)))
    assert extract_article(html, "http://www.example.gov.cn/gzdt/1.htm").title == "区开安全会"


def test_logo_heading_is_not_the_headline():
    html = (f"<html><head><meta charset='utf-8'><title>某某新闻网_(新闻)</title>"
            f"<meta property='og:site_name' content='某某新闻网'></head><body>"
            f"<h1 class='logo'><a href='/'>某某新闻网</a></h1><div class='nav'><a href='/xw/'>新闻</a></div>"
            f"<div class='article'><h2>某某县举办农民丰收节庆祝活动</h2><p>2024-09-22 10:00</p>"
            f"{''.join(_PARA.format(_TEXT) for _ in range(4))}</div></body></html>")
    assert extract_article(html, "https://www.example.com/xw/1.html").title == "某某县举办农民丰收节庆祝活动"


def _chapter(h1: str) -> str:
    """A reading site's page: `<title>` opens with the headline, its longest part names the work."""
    return (f"<html><head><meta charset='utf-8'><title>第十章 雨夜归来的旅人 _《山海长歌》小说在线阅读 - 某某文学网</title>"
            f"</head><body><div class='crumb'><a href='/'>首页</a> <a href='/book/1/'>山海长歌</a></div>"
            f"<div class='chapter'><h1 class='title'>{h1}</h1><div class='info'>2022年07月10日 07:15</div>"
            f"<main class='content'>{''.join(_PARA.format(_TEXT) for _ in range(4))}</main></div></body></html>")


@pytest.mark.parametrize("badge", ["86", "1.2万", "999+"])
def test_count_badge_inside_the_heading_is_not_the_headline(badge):
    html = _chapter(f"第十章 雨夜归来的旅人<span class='review'><span class='review-count'>{badge}</span></span>")
    assert extract_article(html, "https://book.example.com/chapter/1/10/").title == "第十章 雨夜归来的旅人"


def test_short_headline_that_opens_the_document_title():
    crumbs = "<div class='crumb'><a href='/'>首页</a> › <a href='/shi/'>诗</a> › <a href='/p/1'>春晓</a></div>"
    more = "".join(f"<li><a href='/p/{i}'>{t}</a></li>" for i, t in enumerate(("春晓", "宿建德江", "过故人庄")))
    html = (f"<html><head><meta charset='utf-8'><title>春晓_原文、翻译及赏析_孟浩然诗词_某某诗词网</title></head>"
            f"<body>{crumbs}<div class='main'><h1>春晓</h1><p class='sub'>作者：孟浩然</p>"
            f"<div class='content'>{''.join(_PARA.format(_TEXT) for _ in range(2))}</div>"
            f"<h3>译文及注释</h3><div>{''.join(_PARA.format(_TEXT) for _ in range(2))}</div></div>"
            f"<h2>孟浩然其他诗词</h2><ul>{more}</ul></body></html>")
    art = extract_article(html, "https://poems.example.com/p/1")
    assert art.title == "春晓" and art.author == "孟浩然"


@pytest.mark.parametrize("doc_title,site,want", [
    ("学院召开会议_学院新闻_某某大学新闻网", "某某大学", "学院召开会议"),
    ("新车到店实拍：某某汽车", "某某汽车", "新车到店实拍"),
    ("魏少军：产业结构扭曲", "某某网", "魏少军：产业结构扭曲"),     # a colon inside the headline stays
    ("2024-2025学年校历发布-某某大学", "某某大学", "2024-2025学年校历发布"),
    ("新车上市 - 某某汽车", "", "新车上市"),
])
def test_strip_site_suffix(doc_title, site, want):
    from scraper.extract.title import strip_site_suffix
    assert strip_site_suffix(doc_title, lambda p: bool(site) and site in p) == want


def test_page_without_title_element_takes_its_first_heading():
    html = page("<h1>学院开展社区志愿服务活动</h1><p>2024-05-08</p>", "")
    assert extract_article(html, "https://www.example.edu.cn/xw/2.htm").title == "学院开展社区志愿服务活动"


_EPAPER = """<html><head><meta charset="utf-8"><title>某某日报数字报</title></head><body>
<div class="top"><span>某某日报</span><span>2022年02月12日 星期六</span></div>
<div class="ban"><a href="node_1.htm">第01版：要闻</a> <a href="node_2.htm">第02版：综合</a></div>
<div class="bmnr"><h1>春节假期全市消费市场持续升温</h1><div id="ozoom">{paras}</div></div>
<div class="list"><a href="content_2.htm">全市重点项目集中开工</a></div></body></html>"""


def test_epaper_issue_date_beside_the_page_header():
    html = _EPAPER.format(paras="".join(_PARA.format(_TEXT) for _ in range(4)))
    art = extract_article(html, "https://epaper.example.cn/html/content_1.htm")
    assert art.published_at == "2022-02-12"


def test_today_widget_without_page_marker_is_not_a_date():
    html = _EPAPER.replace("第01版：要闻", "要闻").replace("第02版：综合", "综合")
    html = html.format(paras="".join(_PARA.format(_TEXT) for _ in range(4)))
    assert extract_article(html, "https://www.example.cn/a/1.htm").published_at is None


def test_date_badge_day_and_year_month_in_two_blocks():
    html = page("<h1>研究所召开干部职工大会</h1><div class='date'><div class='d'>21</div>"
                "<div class='ym'>2024年02月</div></div>", "")
    assert extract_article(html, "https://www.example.org/news/1").published_at == "2024-02-21"


@pytest.mark.parametrize("shown,want", [
    ("2005年04月05日06:40", "2005-04-05T06:40:00+08:00"),
    ("发布于 资讯 · 1 分钟阅读 · Apr 22, 2025", "2025-04-22"),
    ("Published 22 April 2025 3:05 pm", "2025-04-22T15:05:00+08:00"),
    ("2025年4月22号 15:49", "2025-04-22T15:49:00+08:00"),
    ("2024年5月22日週三 上午8:21", "2024-05-22T08:21:00+08:00"),    # traditional weekday, 12-hour clock
    ("2024年5月20日 禮拜一 下午2:05", "2024-05-20T14:05:00+08:00"),
])
def test_date_formats_in_the_header(shown, want):
    html = page(f"<h1>学院开展社区志愿服务活动</h1><div class='info'>{shown}</div>", "")
    assert extract_article(html, "https://www.example.cn/a/1").published_at == want


@pytest.mark.parametrize("url,want", [
    ("http://www.example.cn/news/2022-02/12/content_5673.htm", "2022-02-12"),
    ("http://www.example.com.cn/news/200504/05/a1.html", "2005-04-05"),
    ("https://www.example.cn/20220212/a1b2.html", "2022-02-12"),
    ("http://www.example.gov.cn/xxgk/t20220212_123.html", "2022-02-12"),
])
def test_url_date_is_the_last_resort_and_only_a_date(url, want):
    html = page("<h1>学院开展社区志愿服务活动</h1>", "")
    assert extract_article(html, url).published_at == want


@pytest.mark.parametrize("line,field,value", [
    ("作者：王丽中国人民大学法学院教授", "author", "王丽"),        # name run into its affiliation
    ("作者：王丽 某某大学法学院教授", "author", "王丽"),
    ("记者 李强 某某县报道", "author", "李强"),                  # a dateline after the name
    ("文/王丽发自北京", "author", "王丽"),
    ("作者：张三摄", "author", "张三"),
    ("撰 稿 人：王丽", "author", "王丽"),                       # a spaced-out label, no 人： residue
    ("本报记者 王乐文 方 敏", "author", "王乐文 方敏"),           # a 2-character name aligned with a space
    ("来源：某某日报 某某网收集", "source", "某某日报"),           # two outlets: the first
    ("来源：中国新闻网 王帆", "source", "中国新闻网"),
    ("来源：http://www.example.com.cn", "source", None),        # an address is not an outlet name
    ("编辑：王丽 责任编辑：李强", "editor", "王丽"),
])
def test_value_residue(line, field, value):
    assert first(line, field) == value


def test_unlabelled_outlet_beside_the_date():
    from scraper.extract.fields import unlabelled_values
    assert unlabelled_values("2009年11月09日 11:58 某某娱乐 我要评论") == {"source": "某某娱乐"}
    assert unlabelled_values("2021-01-20 04:29:4439健康网") == {"source": "39健康网"}   # seconds run into it


def _wordpress(meta: str, note: str) -> str:
    related = "".join(f"<article><h4><a href='/p/{i}'>另一篇相关文章的标题第{i}篇</a></h4>"
                      f"<p>这是相关文章的摘要内容，介绍了活动的基本情况和主要成效。</p></article>" for i in range(8))
    return (f"<html><head><meta charset='utf-8'><title>某某市举办读书节活动 – 某某资讯</title></head><body>"
            f"<header><a class='logo' href='/'>某某资讯</a></header><main id='main'><article class='post'>"
            f"<h1 class='entry-title'>某某市举办读书节活动</h1><div class='entry-meta'>{meta}</div>"
            f"<div class='entry-content'>{''.join(_PARA.format(_TEXT) for _ in range(3))}{note}</div>"
            f"<section class='more'>{related}</section></article></main></body></html>")


def test_several_editors_and_the_closing_editor_note():
    art = extract_article(_wordpress("2024-05-08 10:00 编辑：王丽", "<p class='editor-note'>（责任编辑：李强）</p>"),
                          "https://news.example.com/p/2")
    assert art.editor == "王丽 李强"
    assert "责任编辑" not in art.body


def test_source_label_does_not_take_the_navigation_below():
    html = page("<h1>学院开展社区志愿服务活动</h1><div>2024-05-08 来源：</div>"
                "<div class='subnav'><a href='/a/'>学院概况</a> <a href='/b/'>机构设置</a></div>", "")
    assert extract_article(html, "https://www.example.edu.cn/xw/2.htm").source is None


# ---------------------------------------------------------------- body: whole-block failures
_LONG = "".join(_PARA.format("推荐文章的正文段落，讲述了另一件与本文无关的事情，篇幅很长，内容详细，细节丰富，读来引人入胜。")
                for _ in range(20))


def test_short_post_beats_a_long_recommendation_below_it():
    html = (f"<html><head><meta charset='utf-8'><title>某县举办农民丰收节</title></head><body>"
            f"<div class='detail'><h1>某县举办农民丰收节</h1><div class='meta'>某某号 2024-09-22 10:00</div>"
            f"<div class='detail-text'><p>{_TEXT}{_TEXT}</p></div>"
            f"<div class='tools'>分享至： 举报</div>"
            f"<div class='detail-recommend'><h2>另一篇很长的推荐文章标题</h2>{_LONG}</div></div></body></html>")
    art = extract_article(html, "https://www.example.com/a/1")
    assert art.body == _TEXT + _TEXT


def test_image_post_with_two_lines_keeps_its_own_lines():
    html = (f"<html><head><meta charset='utf-8'><title>春日校园美景</title></head><body>"
            f"<div class='article'><h1>春日校园美景</h1><div class='post'><img src='/a.jpg'>"
            f"<p>春日校园美景</p><p>图片由摄影协会提供，转载请联系</p></div></div>"
            f"<div class='related'><h3>相关推荐</h3><p><a href='/b'>另一篇文章</a></p>{_LONG}</div></body></html>")
    art = extract_article(html, "https://blog.example.com/p/1")
    assert "推荐文章" not in art.body


def test_article_container_hidden_until_a_script_runs_is_read():
    html = (f"<html><head><meta charset='utf-8'><title>某县举办农民丰收节</title></head><body>"
            f"<h1 id='activity-name'>某县举办农民丰收节</h1><div id='meta'>某某发布 2024-09-22 10:00</div>"
            f"<div id='js_content' style='visibility: hidden;'>{''.join(_PARA.format(_TEXT) for _ in range(4))}</div>"
            f"<div style='display:none'>二维码 弹窗</div></body></html>")
    art = extract_article(html, "https://mp.example.com/s/abc")
    assert art.body.count(_TEXT) == 4 and "弹窗" not in art.body


def test_video_player_controls_are_not_text():
    player = "".join(f"<div>{w}</div>" for w in ("广告", "00:00/01:45", "倍速", "2.0X", "1.5X", "高清", "标清", "循环播放"))
    html = page("<h1>学院开展社区志愿服务活动</h1><div>2024-05-08</div>", f"<div class='video-box'>{player}</div>")
    art = extract_article(html, "https://www.example.cn/a/1")
    assert art.body.startswith(_TEXT) and "倍速" not in art.body


def test_photo_story_keeps_its_credited_captions():
    captions = "".join("<p>5月19日，某地群众参加植树活动，现场气氛热烈。 记者 王丽 摄</p>" for _ in range(3))
    html = page("<h1>群众参加植树活动</h1><div>2024-05-19</div>", "").replace(
        "<div class='content'>", f"<div class='content'><p>某地群众19日参加义务植树活动。</p>{captions}")
    html = html.replace(_PARA.format(_TEXT) * 4, "")
    art = extract_article(html, "https://www.example.cn/a/1")
    assert art.body.count("记者 王丽 摄") == 3


@pytest.mark.parametrize("closing,author", [
    ("<p>5月19日，某地群众参加植树活动，现场气氛热烈。 新华社记者 王丽 摄</p>" * 2, None),   # the photographer
    ("<p>（作者：王丽摄）</p>", "王丽"),                                                    # a credit line
])
def test_photo_caption_closing_the_text_names_no_author(closing, author):
    paras = "".join(_PARA.format(_TEXT) for _ in range(4))
    html = page("<h1>群众参加植树活动</h1><div>2024-05-20 14:33·新华社</div>", "").replace(
        paras + "</div>", paras + closing + "</div>")
    assert extract_article(html, "https://www.example.cn/a/1").author == author


def test_sibling_sections_of_one_class_are_one_article():
    sections = "".join(f"<div class='section'><h3>{h}</h3><div><p>{_TEXT}</p></div></div>"
                       for h in ("译文", "创作背景", "赏析"))
    html = (f"<html><head><meta charset='utf-8'><title>夜雨诗词赏析</title></head><body><div class='main'>"
            f"<h1>夜雨诗词赏析</h1>{sections}</div><div class='side'><a href='/x'>其他诗词</a></div></body></html>")
    art = extract_article(html, "https://poems.example.com/p/1")
    assert art.body.count(_TEXT) == 3


# ---------------------------------------------------------------- evidence
def test_each_field_records_how_it_was_found():
    html = page("<h1>学院开展社区志愿服务活动</h1><div class='info'>来源：某某日报 作者：王丽</div>", "",
                title="学院开展社区志愿服务活动-某某学院")
    art = extract_article(html, "https://www.example.edu.cn/2024-05/08/a1.htm")
    assert art.evidence == {"title": "heading", "source": "label", "author": "label", "published_at": "url"}


def test_evidence_is_stored_with_the_article(tmp_path):
    from scraper.store import open_archive
    html = page("<h1>学院开展社区志愿服务活动</h1><div class='info'>发布时间：2024-05-08</div>", "",
                title="学院开展社区志愿服务活动-某某学院")
    art = extract_article(html, "https://www.example.edu.cn/a1.htm")
    with open_archive(tmp_path / "a.db") as archive:
        archive.save_article(art, art.url, "s", None)
        (stored,) = archive.query("SELECT evidence FROM articles").rows
    assert json.loads(stored[0]) == {"title": "heading", "published_at": "label"}
