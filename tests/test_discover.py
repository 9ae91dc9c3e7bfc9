"""HTML discovery: classification of URL shapes, pagination, the article chain, sitemaps, feeds."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scraper.decode import decode_html
from scraper.discover import Link, classify_url, discover_links
from scraper.sitemaps import parse_sitemap

FIXTURES = Path(__file__).parent / "fixtures" / "discover"


def fixture(name: str, encoding: str = "utf-8") -> str:
    return (FIXTURES / name).read_bytes().decode(encoding)


def by_url(links: list[Link]) -> dict[str, Link]:
    return {link.url: link for link in links}


# --------------------------------------------------------------------------------------------
# classify_url
# --------------------------------------------------------------------------------------------

CLASSIFY_CASES = [
    # VSB/博达
    ("http://www.example.edu.cn/info/1012/3456.htm", "article"),
    ("http://www.example.edu.cn/xwzx.htm", "list"),
    ("http://www.example.edu.cn/xwzx/3.htm", "list"),
    ("http://www.example.edu.cn/xwzx/tzgg.htm", "list"),
    ("http://www.example.edu.cn/list1012/2.htm", "list"),
    ("http://www.example.edu.cn/list1012.htm", "list"),
    ("http://www.example.edu.cn/content.jsp?urltype=news.NewsContentUrl&wbtreeid=1012&wbnewsid=3456", "article"),
    ("http://www.example.edu.cn/system/_content/download.jsp?urltype=news.DownloadAttachUrl&owner=1&wbfileid=5", "attachment"),
    # TRS WCM
    ("http://www.example.gov.cn/zwgk/ywdt/202311/t20231105_4567890.html", "article"),
    ("http://www.example.gov.cn/xxgk/202311/t20231105_4567890_1.shtml", "article"),
    ("http://www.example.gov.cn/zwgk/ywdt/index.html", "list"),
    ("http://www.example.gov.cn/zwgk/ywdt/index_3.html", "list"),
    ("http://www.example.gov.cn/zwgk/ywdt/202311/P020231105512345678901.pdf", "attachment"),
    # 大汉 JCMS
    ("http://www.example.gov.cn/art/2023/11/5/art_1234_567890.html", "article"),
    ("http://www.example.gov.cn/col/col1234/index.html", "list"),
    ("http://www.example.gov.cn/col/col1234/index.html?uid=5678&pageNum=3", "list"),
    ("http://www.example.gov.cn/module/download/downfile.jsp?classid=0&filename=2311051234.pdf", "attachment"),
    # dated paths and portals
    ("http://www.news.cn/politics/2023-11/05/c_1129955123.htm", "article"),
    ("http://politics.people.com.cn/n1/2023/1105/c1001-40112345.html", "article"),
    ("https://news.sina.com.cn/c/2023-11-05/doc-imzxyzab1234567.shtml", "article"),
    ("https://www.sohu.com/a/712345678_121106991", "article"),
    ("https://www.thepaper.cn/newsDetail_forward_25123456", "article"),
    ("https://new.qq.com/rain/a/20231105A01ABC00", "article"),
    ("https://www.example.com/2023/11/05/some-story.html", "article"),
    ("https://www.example.com/20231105/a1b2c3.html", "article"),
    ("https://www.example.com/news/2023/1105/123.html", "article"),
    ("https://www.example.com/2023/11/05/", "list"),
    ("https://www.example.com/2023/11/05/index.html", "list"),
    ("http://www.gov.cn/zhengce/content/2023-11/05/content_6912345.htm", "article"),
    ("http://www.example.cn/content_123456.htm", "article"),
    # WordPress
    ("https://blog.example.cn/?p=123", "article"),
    ("https://blog.example.cn/2023/11/rural-revitalization/", "article"),
    ("https://blog.example.cn/2023/11/%e5%85%89%e4%bc%8f/", "article"),
    ("https://blog.example.cn/category/industry/page/2/", "list"),
    # taxonomy pages are hubs: their articles are on the section lists too
    ("https://blog.example.cn/tag/ev/", "other"),
    ("https://blog.example.cn/tag/ev/page/2/", "other"),
    ("https://www.example.cn/tags/%E6%95%99%E8%82%B2.html", "other"),
    ("https://www.example.cn/tags-12.html", "other"),
    ("https://www.example.cn/tags.php?/%E6%95%99%E8%82%B2/", "other"),
    ("https://bbs.example.cn/misc.php?mod=tag&id=3", "other"),
    ("https://blog.example.cn/author/admin/", "other"),
    ("https://blog.example.cn/2023/11/05/tag-day-story/", "article"),
    ("https://www.example.cn/tags/2023/1105/123.html", "article"),
    ("https://www.example.cn/tag/jiaoyu/index.html", "other"),
    # dynamic detail pages
    ("http://www.example.cn/news/show.aspx?id=1234", "article"),
    ("http://www.example.cn/plus/view.php?aid=5678", "article"),
    ("http://www.example.cn/NewsDetail.aspx?NewsID=99", "article"),
    ("http://www.example.cn/NewsInfo.aspx?id=99", "article"),
    ("http://www.example.cn/ArticleShow.asp?ArticleID=7", "article"),
    ("http://www.example.cn/news.php?id=7", "other"),
    ("http://www.example.cn/html/2023/1105/123.html", "article"),
    ("http://www.example.cn/uploadfile/2023/1105/20231105123456.jpg", "asset"),
    ("http://www.example.cn/zwgk/zfxxgk/fdzdgknr/", "list"),
    ("http://www.example.cn/login.aspx", "other"),
    ("http://www.example.cn/index.php?m=content&c=index&a=show&catid=10&id=123", "article"),
    ("http://www.example.cn/index.php?m=content&c=index&a=lists&catid=10", "list"),
    ("http://www.example.cn/show-10-123-1.html", "article"),
    ("http://www.example.cn/article/2023-ev-report", "article"),
    ("http://www.example.cn/detail/8a7b6c", "article"),
    ("http://www.example.cn/news/12345678.html", "article"),
    ("http://www.example.cn/news/n1234567.html", "article"),
    ("http://www.example.cn/news/1234567", "article"),
    # lists
    ("http://www.example.cn/", "list"),
    ("http://www.example.cn", "list"),
    ("http://www.example.cn/news/", "list"),
    ("http://www.example.cn/news/list_2.html", "list"),
    ("http://www.example.cn/news/list.php?cid=5", "list"),
    ("http://www.example.cn/plus/list.php?tid=5", "list"),
    ("http://www.example.cn/node_1234.htm", "list"),
    ("http://www.example.cn/column/economy", "list"),
    ("http://www.example.cn/search?q=x&page=2", "list"),
    ("http://www.example.cn/news.php?cat=3&pn=4", "list"),
    ("http://www.example.cn/default.aspx", "list"),
    # attachments and assets
    ("http://www.example.cn/uploads/通知.docx", "attachment"),
    ("http://www.example.cn/files/table.XLSX", "attachment"),
    ("http://www.example.cn/files/slides.pptx", "attachment"),
    ("http://www.example.cn/files/doc.wps", "attachment"),
    ("http://www.example.cn/files/archive.rar", "attachment"),
    ("http://www.example.cn/files/readme.txt", "attachment"),
    ("http://www.example.cn/css/main.css?v=3", "asset"),
    ("http://www.example.cn/js/jquery.min.js", "asset"),
    ("http://www.example.cn/images/logo.PNG", "asset"),
    ("http://www.example.cn/fonts/icon.woff2", "asset"),
    ("http://www.example.cn/video/a.mp4", "asset"),
    # unsure
    ("http://www.example.cn/news/123.html", "other"),
    ("http://www.example.cn/about.html", "other"),
    ("http://www.example.cn/sitemap.xml", "other"),
    ("http://www.example.cn/sitemap.xml.gz", "other"),
    ("http://www.example.cn/search.jsp?q=abc", "other"),
]


@pytest.mark.parametrize("url,expected", CLASSIFY_CASES)
def test_classify_url(url, expected):
    assert classify_url(url) == expected


# --------------------------------------------------------------------------------------------
# Real-looking pages of the common CMSs
# --------------------------------------------------------------------------------------------

def test_vsb_list_page_pagination_range_and_articles():
    page = "http://www.example.edu.cn/xwzx.htm"
    links = by_url(discover_links(fixture("vsb_list.htm"), page))
    base = "http://www.example.edu.cn/"
    assert links[base + "info/1012/3456.htm"].points_to == "article"
    assert links[base + "info/1012/3456.htm"].text == "我校召开2023年秋季学期教学工作会议"
    assert links[base + "info/1012/3454.htm"].points_to == "article"          # fragment removed
    assert links[base + "xwzx/82.htm"].rel == "page" and links[base + "xwzx/82.htm"].text == "2"
    assert links[base + "xwzx/1.htm"].rel == "page"                      # 尾页
    # 下页 (82) and 尾页 (1) span the range: every page in between is found without crawling it.
    assert all(links[f"{base}xwzx/{n}.htm"].points_to == "list" for n in range(1, 83))
    assert base + "xwzx/83.htm" not in links and base + "xwzx/0.htm" not in links
    assert links[base + "wzdt.htm"].rel == "sitemap-page" and links[base + "wzdt.htm"].points_to == "list"
    assert links[base + "system/_content/download.jsp?urltype=news.DownloadAttachUrl&owner=1234&wbfileid=5678"].points_to == "attachment"
    # 首页 in the navigation is the home page, not a page of this list.
    assert links[base + "index.htm"].rel is None
    # dropped: the page itself, javascript:, mailto:, tel:, images
    assert page not in links
    assert not [u for u in links if u.split(":")[0] not in ("http", "https")]
    assert base + "images/logo.png" not in links


def test_vsb_article_chain_with_label_outside_the_link():
    page = "http://www.example.edu.cn/info/1012/3456.htm"
    links = by_url(discover_links(fixture("vsb_article.htm"), page))
    prev = links["http://www.example.edu.cn/info/1012/3455.htm"]
    nxt = links["http://www.example.edu.cn/info/1012/3457.htm"]
    assert (prev.points_to, prev.rel, prev.text) == ("article", "prev", "学校举行第十届校园文化艺术节")
    assert (nxt.points_to, nxt.rel) == ("article", "next")
    assert links["http://www.example.edu.cn/xwzx.htm"].points_to == "list"
    attachment = [l for l in links.values() if l.text == "会议材料.pdf"]
    assert attachment and attachment[0].points_to == "attachment"


def test_trs_list_script_pagination_gbk_page():
    page = "http://www.example.gov.cn/zwgk/ywdt/index.html"
    links = by_url(discover_links(fixture("trs_list.html", "gbk"), page))
    base = "http://www.example.gov.cn/zwgk/ywdt/"
    # createPageHTML(countPage, currentPage, "index", "html") with countPage = 25
    generated = [u for u, l in links.items() if l.rel == "page"]
    assert generated == [f"{base}index_{i}.html" for i in range(1, 25)]
    art = links[base + "202311/t20231105_4567890.html"]
    assert (art.points_to, art.text) == ("article", "省政府常务会议研究部署今冬明春重点工作")
    assert links["http://www.example.gov.cn/zwgk/tzgg/202311/t20231103_4566002.html"].points_to == "article"
    assert links[base + "202311/P020231103512345678901.pdf"].points_to == "attachment"
    assert links["http://www.example.gov.cn/rss/ywdt.xml"].points_to == "feed"
    assert links["http://www.example.gov.cn/wzdt/"] == Link("http://www.example.gov.cn/wzdt/", "list", "sitemap-page", "网站地图")
    assert links["http://www.example.gov.cn/sitemap.xml"].points_to == "sitemap"
    assert links["http://www.example.gov.cn/sitemap.xml"].rel == "sitemap-page"


def test_trs_article_chain_in_table_cells_and_link_rel():
    page = "http://www.example.gov.cn/zwgk/ywdt/202311/t20231105_4567890.html"
    links = discover_links(fixture("trs_article.html", "gbk"), page)
    chain = [(l.rel, l.url) for l in links if l.rel in ("prev", "next")]
    # <link rel=prev> and 上一篇 name the same article once; 下一篇：没有了 is javascript:.
    assert chain == [("prev", "http://www.example.gov.cn/zwgk/ywdt/202311/t20231104_4567001.html")]
    found = by_url(links)
    assert found[chain[0][1]].text == "全省秋粮收购进度过半"
    assert found["http://www.example.gov.cn/zwgk/ywdt/202311/P020231105512345678901.docx"].points_to == "attachment"
    assert found["http://www.example.gov.cn/zwgk/ywdt/"].points_to == "list"               # 更多>>


def test_jcms_datastore_records_and_pagenum_range():
    page = "http://www.example.gov.cn/col/col1234/index.html"
    links = by_url(discover_links(fixture("jcms_list.html"), page))
    assert links["http://www.example.gov.cn/art/2023/11/5/art_1234_567890.html"].points_to == "article"
    assert links["http://www.example.gov.cn/art/2023/11/4/art_1234_567881.html"].text == "我市开展安全生产大检查"
    pages = [u for u, l in links.items() if l.rel == "page"]
    expected = {f"{page}?uid=5678&pageNum={n}" for n in range(2, 13)}
    assert set(pages) == expected
    assert links["http://www.example.gov.cn/col/col9999/index.html"].rel == "sitemap-page"


def test_wordpress_archive():
    page = "https://www.example.cn/category/industry/page/2/"
    links = by_url(discover_links(fixture("wordpress_archive.html"), page))
    assert links["https://www.example.cn/feed/"].points_to == "feed"
    assert links["https://www.example.cn/category/industry/page/3/"].rel == "page"       # <link rel=next>
    assert links["https://www.example.cn/category/industry/"].rel == "page"              # <link rel=prev>
    assert {f"https://www.example.cn/category/industry/page/{n}/" for n in range(3, 10)} <= set(links)
    assert links["https://www.example.cn/2023/11/05/ev-exports-surge/"].points_to == "article"
    assert links["https://www.example.cn/?p=4567"].points_to == "article"
    sitemap = links["https://www.example.cn/wp-sitemap.xml"]
    assert (sitemap.points_to, sitemap.rel) == ("sitemap", "sitemap-page")
    assert links["https://www.example.cn/wp-content/uploads/2023/11/report.xlsx"].points_to == "attachment"
    assert not any("wp-includes" in u or "wp-json" in u for u in links)                 # css, api


# --------------------------------------------------------------------------------------------
# The article chain: label inside the anchor, before it, around it
# --------------------------------------------------------------------------------------------

PAGE = "http://www.example.cn/news/202311/t20231105_100.html"
TARGET = "http://www.example.cn/news/202311/t20231104_99.html"


@pytest.mark.parametrize("snippet,rel", [
    ('<a href="t20231104_99.html">上一篇：全省秋粮收购进度过半</a>', "prev"),
    ('<a href="t20231104_99.html">下一篇:全省秋粮收购进度过半</a>', "next"),
    ('<a href="t20231104_99.html">【上一条】全省秋粮收购</a>', "prev"),
    ('<p>上一条：<a href="t20231104_99.html">全省秋粮收购进度过半</a></p>', "prev"),
    ('<li><span>下一条：</span><a href="t20231104_99.html">全省秋粮收购进度过半</a></li>', "next"),
    ('<li><strong>前一篇</strong> <a href="t20231104_99.html">全省秋粮</a></li>', "prev"),
    ('<p><b>下一篇</b>： <a href="t20231104_99.html">全省秋粮</a></p>', "next"),
    ('<div>后一篇：<span><a href="t20231104_99.html">全省秋粮</a></span></div>', "next"),
    ('<table><tr><td>上一篇</td><td><a href="t20231104_99.html">全省秋粮</a></td></tr></table>', "prev"),
    ('<a href="t20231104_99.html" title="下一篇">›</a>', "next"),
    ('<a href="t20231104_99.html">Previous post</a>', "prev"),
])
def test_article_chain_labels(snippet, rel):
    links = by_url(discover_links(f"<html><body>{snippet}</body></html>", PAGE))
    assert (links[TARGET].points_to, links[TARGET].rel) == ("article", rel)


def test_one_label_is_not_credited_to_two_links():
    html = ('<div>上一篇：<a href="t20231104_99.html">甲</a> <a href="t20231103_98.html">乙</a>'
            ' 下一篇：<a href="t20231106_101.html">丙</a></div>')
    links = by_url(discover_links(html, PAGE))
    assert links[TARGET].rel == "prev"
    assert links["http://www.example.cn/news/202311/t20231103_98.html"].rel is None
    assert links["http://www.example.cn/news/202311/t20231106_101.html"].rel == "next"


def test_chain_label_pointing_at_a_list_page_is_not_an_article():
    html = '<p>下一篇：<a href="../index.html">返回列表</a></p>'
    link = discover_links(html, PAGE)[0]
    assert (link.points_to, link.rel) == ("list", None)


def test_link_rel_next_on_article_is_chain_on_list_is_pagination():
    head = '<html><head><link rel="next" href="{}"></head><body></body></html>'
    art = discover_links(head.format("t20231106_101.html"), PAGE)[0]
    assert (art.points_to, art.rel) == ("article", "next")
    lst = discover_links(head.format("index_2.html"), "http://www.example.cn/news/index_1.html")[0]
    assert (lst.points_to, lst.rel) == ("list", "page")


# --------------------------------------------------------------------------------------------
# Pagination
# --------------------------------------------------------------------------------------------

LIST = "http://www.example.cn/news/index.html"


@pytest.mark.parametrize("script,count", [
    ('createPageHTML(8, 0, "index", "html");', 7),
    ("createPageHTML('page_div', 5, 1, 'index', 'shtml');", 4),
    ('var countPage = 6;var currentPage = 0;createPageHTML(countPage, currentPage, "index", "html");', 5),
    ('var currentPage = 0;\nvar countPage = 4//共多少页\nif(currentPage < countPage-1)'
     ' document.write("<a href=\\"index_" + (currentPage+1) + ".html\\">下一页</a>");', 3),
])
def test_trs_script_pagination_variants(script, count):
    html = f"<html><body><div class=page><script>{script}</script></div></body></html>"
    suffix = "shtml" if "shtml" in script else "html"
    pages = [l for l in discover_links(html, f"http://www.example.cn/news/index.{suffix}") if l.rel == "page"]
    assert [l.url for l in pages] == [f"http://www.example.cn/news/index_{i}.{suffix}" for i in range(1, count + 1)]
    assert all(l.points_to == "list" for l in pages)


def test_jcms_jpage_script_pagination():
    html = ("<div id='5678'></div><script>$(document).ready(function(){ $('#5678').jpage({"
            "dataStore: dataStore, proxyUrl: '/module/web/jpage/dataproxy.jsp', perPage: 15,"
            " totalRecord: 245, groupSize: 3, barPosition: 'bottom' }); });</script>")
    page = "http://www.example.gov.cn/col/col1234/index.html"
    urls = [l.url for l in discover_links(html, page) if l.rel == "page"]
    assert urls == [f"{page}?uid=5678&pageNum={n}" for n in range(2, 18)]     # ⌈245/15⌉ = 17


@pytest.mark.parametrize("script", [
    "function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){ var _nPageCount = 3; }",
    "var countPage = 12; $('#pager').pagination({total: countPage});",   # someone else's pager
    'createPageHTML(total, 0, "index", "html");',                        # total unknown
    "$('#5678').jpage({dataStore: dataStore, perPage: 0, totalRecord: 245});",
])
def test_scripts_that_do_not_say_where_pages_are_generate_nothing(script):
    assert discover_links(f"<script>{script}</script>", LIST) == []


def test_script_total_is_capped():
    html = '<script>createPageHTML(999999, 0, "index", "html");</script>'
    assert len(discover_links(html, LIST, max_fill=50)) == 49


@pytest.mark.parametrize("text", ["下一页", "下页", "末页", "尾页", "[3]", "第3页", "3", "»", "Next", ">>"])
def test_pagination_texts(text):
    link = discover_links(f'<a href="?page=3">{text}</a>', LIST)[0]
    assert (link.points_to, link.rel, link.url) == ("list", "page", LIST + "?page=3")


def test_numbered_links_on_another_host_are_not_pagination():
    links = discover_links('<a href="http://127.0.0.2/a/">2</a>', LIST)
    assert links[0].rel is None


def test_range_fill_between_query_pages_and_its_cap():
    html = '<a href="list.php?cid=5&pn=2">下一页</a> <a href="list.php?cid=5&pn=5000">末页</a>'
    links = discover_links(html, "http://www.example.cn/news/list.php?cid=5", max_fill=100)
    pages = [l.url for l in links if l.rel == "page"]
    assert pages[:3] == [
        "http://www.example.cn/news/list.php?cid=5&pn=2",
        "http://www.example.cn/news/list.php?cid=5&pn=5000",
        "http://www.example.cn/news/list.php?cid=5&pn=3",
    ]
    assert len(pages) == 101                                      # pn=2..101 (max_fill numbers), 5000


def test_a_first_page_linked_with_its_page_number_is_the_page_without_it():
    """Old ASP pagers write page 1 as `list.asp?classid=11&page=1` (首页, the number 1, and
    上一页 from page 2): another URL of `list.asp?classid=11`. A first-page label or the number
    1 on `page=1` says the numbers start at 1; a site counting from 0 labels its `page=1` 2."""
    html = ('共3页 <a href="list.asp?classid=11&page=1">首页</a> <a href="list.asp?classid=11&page=1">上一页</a>'
            ' <a href="list.asp?classid=11&page=1">1</a> <b>2</b> <a href="list.asp?classid=11&page=3">3</a>'
            ' <a href="list.asp?classid=11&page=3">下一页</a>')
    pages = {l.url for l in discover_links(html, "http://a.gov.cn/list.asp?classid=11&page=2") if l.rel == "page"}
    assert pages == {"http://a.gov.cn/list.asp?classid=11", "http://a.gov.cn/list.asp?classid=11&page=3"}
    first = '<a href="list.asp?classid=11&page=1">首页</a> <b>1</b> <a href="list.asp?classid=11&page=2">2</a>'
    links = discover_links(first, "http://a.gov.cn/list.asp?classid=11")
    assert [l.url for l in links if l.rel == "page"] == ["http://a.gov.cn/list.asp?classid=11&page=2"]
    zero = '<a href="list?page=1">2</a> <a href="list?page=2">3</a> <a href="list?page=1">下一页</a>'
    links = discover_links(zero, "http://a.cn/list")
    assert {l.url for l in links if l.rel == "page"} == {"http://a.cn/list?page=1", "http://a.cn/list?page=2"}


def test_capped_range_keeps_the_pages_next_to_this_one():
    # VSB numbers pages downwards: 下页 is xwzx/5000.htm, 尾页 xwzx/1.htm; the newest are high.
    html = '<a href="xwzx/5000.htm">下页</a><a href="xwzx/1.htm">尾页</a>'
    links = discover_links(html, "http://www.example.edu.cn/xwzx.htm", max_fill=100)
    numbers = sorted(int(l.url.rsplit("/", 1)[1].split(".")[0]) for l in links)
    assert numbers == [1] + list(range(4901, 5001))


def test_javascript_links_that_open_a_page():
    html = ('<a href="javascript:void(0)" onclick="window.open(\'/art/2023/11/5/art_1234_567890.html\')">甲</a>'
            '<a href="javascript:openWin(\'content.jsp?id=5\')">乙</a>'
            '<a href="javascript:void(0)" onclick="toggle(this)">丙</a>')
    links = discover_links(html, LIST)
    assert [(l.url, l.points_to) for l in links] == [
        ("http://www.example.cn/art/2023/11/5/art_1234_567890.html", "article"),
        ("http://www.example.cn/news/content.jsp?id=5", "article"),
    ]


def test_dedecms_jump_menu_pages():
    html = ("<select name='sldd' onchange='location.href=this.options[this.selectedIndex].value;'>"
            "<option value='list_5_1.html' selected>1</option><option value='list_5_2.html'>2</option>"
            "<option value='list_5_9.html'>9</option></select>"
            "<select onchange='window.open(this.value)'><option value='0'>友情链接</option>"
            "<option value='http://127.0.0.2/'>某某网</option></select>"
            "<select name='q'><option value='/news/a.html'>not a menu</option></select>")
    links = by_url(discover_links(html, "http://www.example.cn/news/list_5_1.html"))
    assert {u for u, l in links.items() if l.rel == "page"} == {
        f"http://www.example.cn/news/list_5_{n}.html" for n in range(2, 10)}
    assert "http://127.0.0.2/" in links and "http://www.example.cn/news/a.html" not in links


def test_meta_refresh_frames_and_redirect_scripts():
    html = ('<html><head><meta http-equiv="Refresh" content="0; URL=\'/col/col1234/index.html\'">'
            '<meta http-equiv="Content-Type" content="text/html; charset=gbk"></head>'
            '<frameset><frame src="top.htm"><frame src="/xwzx/list.htm"></frameset></html>')
    links = [(l.url, l.points_to) for l in discover_links(html, "http://www.example.gov.cn/")]
    assert links == [
        ("http://www.example.gov.cn/col/col1234/index.html", "list"),
        ("http://www.example.gov.cn/top.htm", "list"),
        ("http://www.example.gov.cn/xwzx/list.htm", "list"),
    ]
    iframes = '<iframe src="/player/video.html?vid=3"></iframe><iframe src="/tzgg/index.html"></iframe>'
    assert [l.url for l in discover_links(iframes, "http://www.example.gov.cn/")] == [
        "http://www.example.gov.cn/tzgg/index.html"]                 # players, maps, ads: not followed
    redirect = "<html><body><script>window.location.href = '/web/index.html';</script></body></html>"
    assert [l.url for l in discover_links(redirect, "http://www.example.gov.cn/")] == [
        "http://www.example.gov.cn/web/index.html"]
    # a page with links of its own is not a redirect page: its script is left alone
    mobile = "<a href='/news/12345678.html'>甲</a><script>if (isMobile) location.href = '/m/';</script>"
    assert [l.url for l in discover_links(mobile, "http://www.example.gov.cn/")] == [
        "http://www.example.gov.cn/news/12345678.html"]


def test_jcms_dataproxy_answer_is_read_like_the_page():
    xml = ('<?xml version="1.0" encoding="UTF-8"?><datastore><nextgroup><![CDATA[]]></nextgroup><recordset>'
           '<record><![CDATA[<li><a href="/art/2023/10/9/art_1234_567001.html">国庆假期安全生产检查</a></li>]]></record>'
           '</recordset></datastore>')
    links = discover_links(xml, "http://www.example.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=46&endrecord=90&perpage=15")
    assert [(l.url, l.points_to, l.text) for l in links] == [
        ("http://www.example.gov.cn/art/2023/10/9/art_1234_567001.html", "article", "国庆假期安全生产检查")]


def test_links_differing_in_two_numbers_are_not_a_range():
    html = '<a href="/list1012/2.htm">下一页</a><a href="/list1050/9.htm">末页</a>'
    links = discover_links(html, "http://www.example.edu.cn/list1012.htm")
    assert len(links) == 2


# --------------------------------------------------------------------------------------------
# Hygiene: what is dropped, merged, resolved
# --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("tag", ["base", "BASE", "Base"])   # the text is searched before the tree
def test_base_href_is_honoured(tag):
    html = f'<html><head><{tag} href="http://www.example.cn/news/"></head><body><a href="a/12345678.html">x</a></body></html>'
    assert discover_links(html, "http://www.example.cn/other/page.html")[0].url == "http://www.example.cn/news/a/12345678.html"


@pytest.mark.parametrize("href,expected", [
    ("12345678.html", "http://www.example.cn/news/a/12345678.html"),
    ("./12345678.html", "http://www.example.cn/news/a/12345678.html"),
    ("../b/12345678.html", "http://www.example.cn/news/b/12345678.html"),
    ("/news/../other/12345678.html", "http://www.example.cn/other/12345678.html"),
    ("/x/12345678.html?a=1#frag", "http://www.example.cn/x/12345678.html?a=1"),
    ("?page=2", "http://www.example.cn/news/a/index.html?page=2"),
    ("//m.example.cn/12345678.html", "http://m.example.cn/12345678.html"),
    ("HTTPS://WWW.EXAMPLE.CN/A/12345678.html", "HTTPS://WWW.EXAMPLE.CN/A/12345678.html"),
    ("  \n/news/\t12345678.html ", "http://www.example.cn/news/12345678.html"),
    ("\\news\\12345678.html", "http://www.example.cn/news/12345678.html"),
    ("http://127.0.0.2:8080/12345678.html", "http://127.0.0.2:8080/12345678.html"),
    ("http://user:pw@www.example.cn/12345678.html", None),
    ("http:///12345678.html", None),
    ("weixin://dl/chat", None),
])
def test_href_resolution(href, expected):
    page = "http://www.example.cn/news/a/index.html"
    links = discover_links(f'<a href="{href}">甲</a>', page)
    assert [l.url for l in links] == ([expected] if expected else [])


def test_unusable_hrefs_are_dropped():
    html = "".join(f'<a href="{h}">x</a>' for h in (
        "", "#", "#top", "javascript:void(0)", " JavaScript:openWin()", "mailto:a@example.cn",
        "tel:12345", "data:text/html,x", "ftp://example.cn/f", "http://[::1", "//", "a.css",
        "/img/a.jpg", "/js/x.js?v=1",
    ))
    assert discover_links(html, LIST) == []


def test_duplicates_are_merged_keeping_order_and_best_rel():
    html = ('<a href="index_2.html">2</a><a href="/news/12345678.html">甲</a>'
            '<a href="/news/12345678.html#c">甲（评论）</a><a href="index_2.html">下一页</a>')
    links = discover_links(html, LIST)
    assert [l.url for l in links] == ["http://www.example.cn/news/index_2.html",
                                      "http://www.example.cn/news/12345678.html"]
    assert links[0].text == "2" and links[0].rel == "page"


def test_text_falls_back_to_title_and_image_alt():
    html = ('<a href="/news/12345678.html" title="标题甲"></a>'
            '<a href="/news/12345679.html"><img src="a.jpg" alt="图片乙"></a>')
    assert [l.text for l in discover_links(html, LIST)] == ["标题甲", "图片乙"]


def test_sitemap_labels():
    html = ('<a href="/sitemap.html">网站地图</a><a href="/map.xml">XML地图</a>'
            '<a href="/sitemap.xml.gz">Sitemap</a><a href="/site-map/">站点地图</a>')
    links = discover_links(html, LIST)
    assert [(l.points_to, l.rel) for l in links] == [("list", "sitemap-page"), ("sitemap", "sitemap-page"),
                                               ("sitemap", "sitemap-page"), ("list", "sitemap-page")]


def test_empty_and_broken_html():
    assert discover_links("", LIST) == []
    assert discover_links("<a href='/news/12345678.html'>未闭合", LIST)[0].points_to == "article"


def test_large_page_keeps_every_link():
    rows = "".join(
        f'<li><a href="/info/1012/{3000 + i}.htm" title="标题{i}">我校召开第{i}次教学工作会议暨表彰大会</a>'
        f'<span>2023-11-05</span><p>{"摘要文字" * 10}</p></li>' for i in range(600)
    )
    html = f"<html><body><ul>{rows}</ul><a href='xwzx/2.htm'>下页</a><a href='xwzx/40.htm'>尾页</a></body></html>"
    assert len(html.encode()) > 120_000
    links = discover_links(html, "http://www.example.edu.cn/xwzx.htm")
    assert sum(l.points_to == "article" for l in links) == 600
    assert sum(l.rel == "page" for l in links) == 39


# --------------------------------------------------------------------------------------------
# Reachability on the shared fixture sites (files read directly: no server, no network)
# --------------------------------------------------------------------------------------------

SITES = Path(__file__).parents[1] / "scraper" / "demo_sites"
ORIGIN = "http://SITE_ORIGIN"          # the sites' own placeholder for their origin


def _site_file(site: str, url: str) -> bytes | None:
    path = SITES / site / urlsplit(url).path.lstrip("/")
    if path.is_dir():
        path = next((path / n for n in ("index.html", "index.htm") if (path / n).is_file()), path)
    return path.read_bytes() if path.is_file() else None


@pytest.mark.skipif(not (SITES / "truth.json").is_file(), reason="fixture sites not generated")
@pytest.mark.parametrize("site", ["univ", "gov"])
def test_every_article_of_the_fixture_sites_is_reachable(site):
    """Home page + sitemap.xml, then only what discover_links/parse_sitemap yield: every
    article of the truth file must be reached, and none of them classified as a list."""
    truth = json.loads((SITES / "truth.json").read_text(encoding="utf-8"))["sites"][site]
    queue, seen, kinds = [(ORIGIN + "/", False), (ORIGIN + "/sitemap.xml", True)], set(), {}
    while queue:
        url, is_sitemap = queue.pop()
        if url in seen or not url.startswith(ORIGIN + "/"):
            continue
        seen.add(url)
        data = _site_file(site, url)
        if data is None:
            continue
        if is_sitemap:
            sm = parse_sitemap(data, url)
            queue += [(c.url, True) for c in sm.children] + [(e.url, False) for e in sm.entries]
            continue
        for link in discover_links(decode_html(data)[0], url):
            kinds.setdefault(link.url, link.points_to)
            if link.points_to != "attachment":
                queue.append((link.url, link.points_to in ("sitemap", "feed")))
    for article in truth["articles"]:
        url = ORIGIN + article["path"]
        assert url in seen, article["path"]
        assert kinds.get(url, "article") == "article", article["path"]


BIG = "9" * 5000          # Python's int() refuses more than 4300 digits


@pytest.mark.parametrize("html,expected", [
    (f'<a href="/list/{BIG}.htm">下一页</a><a href="/list/1.htm">末页</a>', 2),     # no range filled
    (f'<a href="?page={BIG}">下一页</a><a href="?page=1">1</a>', 1),    # page 1: this page
    (f'<script>createPageHTML({BIG}, 0, "index", "html");</script>', []),
    ('<a href="http://[::1">x</a><a href="http://例子.中国/新闻/1234567.html">中文域名</a>',
     ["http://例子.中国/新闻/1234567.html"]),
    ("<base href='javascript:alert(1)'><a href='12345678.html'>x</a>", ["http://www.example.cn/news/12345678.html"]),
    ("<recordset><![CDATA[<a href=']]><a href='/art_1_2.html'>", ["http://www.example.cn/art_1_2.html"]),
    ("<a href='" + "../" * 200 + "12345678.html'>深</a>", ["http://www.example.cn/12345678.html"]),
    ("\x00<a\x00 href='/a\x00b/12345678.html'>nul</a>", []),
])
def test_hostile_pages_do_not_raise(html, expected):
    urls = [link.url for link in discover_links(html, "http://www.example.cn/news/index.html")]
    assert (len(urls) if isinstance(expected, int) else urls) == expected


def _pages() -> list[tuple[str, Path]]:
    pages = sorted(FIXTURES.glob("*.htm*")) + sorted((FIXTURES.parent / "pages").glob("*.html"))
    return [(p.name, p) for p in pages]


@pytest.mark.parametrize("name, path", _pages())
def test_a_host_filter_drops_exactly_the_links_to_other_hosts(name, path):
    """The crawler's workers pass the scope's host test: what it drops early is what filtering
    the full result would drop, and the links it keeps are found as they were."""
    html, _ = decode_html(path.read_bytes())
    page = "http://www.example.edu.cn/info/1012/3456.htm"
    everything = discover_links(html, page)
    hosts = {urlsplit(link.url).hostname for link in everything}
    keep = {"www.example.edu.cn"} | set(sorted(h for h in hosts if h)[::2])     # this site and every other host
    asked: list[str] = []

    def allowed(host: str) -> bool:
        asked.append(host)
        return host in keep

    filtered = discover_links(html, page, host_allowed=allowed)
    assert filtered == [link for link in everything if urlsplit(link.url).hostname in keep]
    assert len(asked) == len(set(asked))          # one question per host of the page


_CHINESE_QUERIES = ('<a href="news.asp?lb=学校新闻&amp;page=2">学校新闻第二页</a>'
                    '<a href="/新闻/列表.asp?lb=通知">通知公告列表</a>'
                    '<a href="?kw=😀">表情</a>')


def test_chinese_in_a_query_is_sent_in_the_pages_encoding_as_browsers_do():
    """Old ASP/JSP sites read their queries in the page's encoding: on a GBK page,
    `?lb=学校新闻` is asked for as GBK bytes; the path stays UTF-8 (WHATWG URL standard), and a
    character the encoding lacks becomes `&#N;` first."""
    page = f'<html><head><meta charset="gb2312"></head><body>{_CHINESE_QUERIES}</body></html>'.encode("gbk", "replace")
    html, encoding = decode_html(page)
    urls = [link.url for link in discover_links(html, "http://www.example.gov.cn/list/index.asp", encoding=encoding)]
    assert urls[0] == "http://www.example.gov.cn/list/news.asp?lb=%D1%A7%D0%A3%D0%C2%CE%C5&page=2"
    assert urls[1] == "http://www.example.gov.cn/新闻/列表.asp?lb=%CD%A8%D6%AA"     # canonicalized: UTF-8 path


def test_chinese_in_a_query_stays_utf8_on_a_utf8_page_and_unencodable_becomes_a_reference():
    html = f"<html><body>{_CHINESE_QUERIES}</body></html>"
    utf8 = [link.url for link in discover_links(html, "http://www.example.gov.cn/list/index.asp", encoding="utf-8")]
    assert utf8[0] == "http://www.example.gov.cn/list/news.asp?lb=学校新闻&page=2"   # canonicalize makes it UTF-8 %XX
    gbk = [link.url for link in discover_links(html, "http://www.example.gov.cn/list/index.asp", encoding="gbk")]
    assert gbk[2] == "http://www.example.gov.cn/list/index.asp?kw=%26%23128512%3B"    # 😀 is not in GBK


@pytest.mark.parametrize("header, expected", [
    ("0; URL=/col/col1/index.html", "http://www.example.gov.cn/col/col1/index.html"),
    ("5;url='../news/'", "http://www.example.gov.cn/news/"),
    ("0; url=/logo.png", None),                     # an asset: nothing to read
    ("0; url=javascript:void(0)", None),
    ("30", None),                                    # a reload of the page itself
    (None, None),
])
def test_refresh_header_target(header, expected):
    from scraper.discover import refresh_link
    link = refresh_link(header, "http://www.example.gov.cn/portal/index.html")
    assert (link.url if link else None) == expected
