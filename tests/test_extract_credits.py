"""Credit patterns that recur across CMSs — how pages name their outlet, writer and editor —
each on a snippet written here in the style of such a site (never a copy of a corpus page)."""
from __future__ import annotations

import pytest

from scraper.extract import extract_article
from scraper.extract.fields import label_values, unlabelled_values

_TEXT = ("为进一步弘扬志愿服务精神，街道于本周组织开展了社区志愿服务活动，辖区党员群众积极参与，"
         "活动取得了良好的社会效果。")
_PARAS = "".join(f"<p>{_TEXT}</p>" for _ in range(4))


def first(text: str, field: str) -> str | None:
    return next((v for v in label_values(text).get(field, ()) if v), None)


@pytest.mark.parametrize("line,field,value", [
    ("来源于：某某街道办事处", "source", "某某街道办事处"),        # gov portals: 来源于 with a colon
    ("信息来源于：某某区统计局", "source", "某某区统计局"),
    ("来源于基层的探索值得推广", "source", None),                 # without a colon it is prose
    ("来源： 首页", "source", None),                              # an empty cell, then the menu
    ("来源 | 综合某某黑板报、某某都市报", "source", "某某黑板报、某某都市报"),   # compiled from
    ("本文来自某某科技日报", "source", "某某科技日报"),            # closing credit, no colon
    ("本文转载自 TechDaily", "source", "TechDaily"),
    ("本文来自于某某日报", "source", "某某日报"),
    ("本文来源于某某商报 2024-05-20 09:47:48", "source", "某某商报"),
    ("本文来自网络，如有侵权请联系删除", "source", None),      # a disclaimer: no outlet named
    ("本文来自网友投稿，不代表本站立场", "source", None),
    ("文丨某某评论特约评论员 李明", "author", "李明"),             # 丨 as the byline separator
    ("文：王丽 图：张三", "author", "王丽"),
    ("图文/王丽", "author", "王丽"),
    ("原文：某某报告全文", "author", None),                        # 文： inside a word
    ("图文并茂地介绍了活动", "author", None),
    ("作者：某某研究院院长、研究员王立新", "author", "王立新"),     # credentials before the name
    ("作者：某某大学经济学院教授 张华", "author", "张华"),
    ("作者：本报记者王丽", "author", "王丽"),
    ("作者：某某大学 教授", "author", None),                      # a badge of credentials, no name
    ("作者：By Wang Li", "author", "Wang Li"),
    ("（作者系某某大学马克思主义学院教授）", "author", None),    # a clause about the writer
    ("作者为本报特约评论员", "author", None),
    ("来源：微信公众号“某某发布”", "source", "某某发布"),         # self-media repost: the account
    ("本文来自微信公众号：某某科技（ID：abc）", "source", "某某科技"),
])
def test_credit_labels(line, field, value):
    assert first(line, field) == value


def test_status_word_before_the_outlet_is_not_its_name():
    # health/lifestyle portals print `原创：某某网` beside the date
    assert unlabelled_values("原创：某某健康网2024-03-02 10:20:30") == {"source": "某某健康网"}
    assert first("转载：某某晚报", "source") is None   # not a source label of its own


def test_repost_note_names_source_and_author():
    # self-media platforms close a repost with (本文来源：paper 作者：credentials+name)
    html = ("<html><head><meta charset='utf-8'><title>某某合作不断深化_某某号</title></head><body>"
            "<div class='article-page'><h1>某某合作不断深化</h1><div class='article-info'>2024-05-13 06:15</div>"
            f"<article class='article'>{_PARAS}<p>（本文来源：某某日报 作者：某某研究中心部长、研究员王立新）"
            "<a href='/'>返回首页，查看更多</a></p></article></div></body></html>")
    art = extract_article(html, "https://www.example.com/a/1_2")
    assert (art.author, art.source) == ("王立新", "某某日报")


def test_blog_writer_name_linked_to_the_profile():
    # blog platforms: the header shows the writer's nickname as a link to the profile, then the date
    html = ("<html><head><meta charset='utf-8'><title>前端性能优化实践-技术博客</title></head><body>"
            "<div class='toolbar'><a href='/'>首页</a> <a href='/login'>登录</a></div>"
            "<div class='article-header'><h1 class='title-article'>前端性能优化实践</h1>"
            "<div class='bar-content'><a class='user-nick-name' href='https://blog.example.net/coder_zhang'>"
            "码农小张-前端笔记</a><span class='time'>于 2024-05-06 15:47:53 发布</span></div></div>"
            f"<div class='article_content'>{_PARAS}</div></body></html>")
    art = extract_article(html, "https://blog.example.net/coder_zhang/article/details/1")
    assert art.author == "码农小张-前端笔记"


def test_linked_headline_without_a_name_class_is_still_not_an_author():
    html = ("<html><head><meta charset='utf-8'><title>前端性能优化实践-技术博客</title></head><body>"
            "<div class='article-header'><h1>前端性能优化实践</h1>"
            "<div class='bar'><a class='item' href='/article/2'>另一篇文章的标题很长很长</a>"
            "<span>2024-05-06 15:47:53</span></div></div>"
            f"<div class='article_content'>{_PARAS}</div></body></html>")
    assert extract_article(html, "https://blog.example.net/a/1").author is None


def test_header_under_the_headline_copy_nearest_the_text():
    # portals repeat the headline in a sticky top bar; the date and 来源 follow the copy above the text
    head = "某某市发放一次性育儿津贴"
    menu = "".join(f"<div class='channel'><h2>频道{i}</h2><p>{'栏目 ' * 6}</p></div>" for i in range(6))
    html = (f"<html><head><meta charset='utf-8'><title>{head}_某某网</title></head><body>"
            f"<div class='top-bar'><h1 class='bar-title'>{head}</h1><div class='share'>分享到：</div></div>"
            f"<div class='push-nav'>{menu}</div>"
            f"<div class='content'><h1>{head}</h1><p class='time'>2024-05-13 13:48</p><p>来源：某某网</p>"
            f"<div class='article'>{_PARAS}</div></div></body></html>")
    art = extract_article(html, "https://news.example.com.cn/2024-05/13/content_1.htm")
    assert (art.published_at, art.source) == ("2024-05-13T13:48:00+08:00", "某某网")


def test_the_earliest_header_date_is_the_publication():
    # blog headers show later stamps too: the latest recommended article, the last update
    html = ("<html><head><meta charset='utf-8'><title>前端性能优化实践-技术博客</title></head><body>"
            "<div class='article-header'><h1>前端性能优化实践</h1>"
            "<div class='up-time'>最新推荐文章于 2024-05-09 08:00:00 发布</div>"
            "<div class='bar'><span class='time'>于 2024-05-06 15:47:53 发布</span></div></div>"
            f"<div class='article_content'>{_PARAS}</div></body></html>")
    assert extract_article(html, "https://blog.example.net/a/1").published_at == "2024-05-06T15:47:53+08:00"


def test_disclosure_grid_above_the_headline():
    # 信息公开 pages (TRS / JCMS / VSB): label and value in separate cells, the grid above the headline
    cells = [("索 引 号：", "11360900MB1234567X/2023-00123"), ("发布机构：", "某某市统计局"),
             ("发文日期：", "2023-04-18"), ("公开方式：", "主动公开"), ("公开范围：", "面向全社会"),
             ("分类：", "统计公报")]
    grid = "".join(f"<dd><span>{k}</span><div class='v'>{v}</div></dd>" for k, v in cells)
    html = ("<html><head><meta charset='utf-8'><title>某某市2022年统计公报_中国某某</title>"
            "<meta name='PubDate' content='2023-05-16 12:34:05'></head><body>"
            "<div class='nav'><a href='/'>首页</a> &gt; <a href='/xxgk/'>信息公开</a></div>"
            f"<dl class='meta-data'>{grid}</dl><h1>某某市2022年统计公报</h1><div class='attr'>访问量：4859</div>"
            f"<div class='article-content'>{_PARAS}</div></body></html>")
    art = extract_article(html, "https://www.example.gov.cn/xxgk/tjgb/202305/abc.shtml")
    assert art.published_at == "2023-04-18"


def test_sidebar_list_above_the_headline_is_not_a_grid():
    items = "".join(f"<li><a href='/n/{i}'>某某通知第{i}号关于开展工作的安排</a></li><li>发布时间：2023-0{i}-01</li>"
                    for i in range(1, 5))
    html = ("<html><head><meta charset='utf-8'><title>某某市2022年统计公报_中国某某</title></head><body>"
            f"<ul class='notice'>{items}</ul><div class='gap'>相关栏目：统计数据 统计公报 统计分析</div>"
            "<div class='x'>本站提供的信息仅供参考</div><div class='y'>网站导航与帮助说明</div>"
            f"<h1>某某市2022年统计公报</h1><div class='article-content'>{_PARAS}</div></body></html>")
    assert extract_article(html, "https://www.example.gov.cn/xxgk/abc.shtml").published_at is None


def test_credit_line_in_a_later_piece_of_a_split_text_container():
    # a gallery embedded in the text: the CMS closes the text div before it and opens another one
    # (same class, even the same id) after it; the credit line closes the last piece
    gallery = "".join(f"<li><h4>图集推荐标题第{i}组</h4></li>" for i in range(20))
    html = ("<html><head><meta charset='utf-8'><title>新车官图发布_某某汽车</title></head><body>"
            "<div class='post_body'><h1>新车官图发布</h1><div class='post_time'>2018-10-12 17:44:55</div>"
            f"<div class='post_text' id='endText'>{_PARAS}</div>"
            f"<div class='photo-set'><ul>{gallery}</ul></div>"
            f"<div class='end-text' id='endText'><p>{_TEXT}</p>"
            "<div class='ep-source'>本文来源：某某汽车 作者：柳青 责任编辑：王强_NA001</div></div>"
            "<div class='share'>分享到：</div></div>"
            "<div class='hot'><p>作者：另一位作者</p></div></body></html>")
    art = extract_article(html, "https://auto.example.com/18/1012/17/a.html")
    assert (art.author, art.source, art.editor) == ("柳青", "某某汽车", "王强_NA001")


def test_credit_in_an_unrelated_block_after_the_text_is_ignored():
    filler = "".join(f"<li><a href='/p/{i}'>推荐阅读的另一篇文章标题{i}</a></li>" for i in range(20))
    html = ("<html><head><meta charset='utf-8'><title>新车官图发布_某某汽车</title></head><body>"
            "<div class='main'><h1>新车官图发布</h1><div class='post_time'>2018-10-12 17:44:55</div>"
            f"<div class='post_text'>{_PARAS}</div><ul class='more'>{filler}</ul>"
            "<div class='card'><p>作者：另一位作者</p><p>责任编辑：李某</p></div></div></body></html>")
    art = extract_article(html, "https://auto.example.com/18/1012/17/b.html")
    assert (art.author, art.editor) == (None, None)


def test_credit_in_a_same_class_block_that_is_not_a_sibling_piece_is_ignored():
    # a recommendation card reuses the text class deeper in the page: not a piece of the text
    cards = "".join(f"<div class='item'><div class='post_text'><p>推荐文章摘要第{i}篇</p></div></div>" for i in range(15))
    html = ("<html><head><meta charset='utf-8'><title>新车官图发布_某某汽车</title></head><body>"
            "<div class='main'><h1>新车官图发布</h1><div class='post_time'>2018-10-12 17:44:55</div>"
            f"<div class='post_text'>{_PARAS}</div></div><div class='rec'>{cards}"
            "<div class='item'><div class='post_text'><p>作者：另一位作者</p></div></div></div></body></html>")
    assert extract_article(html, "https://auto.example.com/18/1012/17/c.html").author is None


@pytest.mark.parametrize("where", ["above", "below"])
def test_disclosure_grid_publication_date_over_the_document_date(where):
    # gov.cn-style grid: 成文日期 (signed) comes before 发布日期 (published) in page order
    cells = [("索引号：", "000014349/2024-00012"), ("发文机关：", "某某市人民政府办公室"),
             ("成文日期：", "2024年01月05日"), ("发文字号：", "某政办发〔2024〕1号"), ("发布日期：", "2024年01月10日")]
    grid = "<table class='xxgk'>" + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in cells) + "</table>"
    head = "<h1>某某市关于开展安全生产检查的通知</h1>"
    html = ("<html><head><meta charset='utf-8'><title>某某市关于开展安全生产检查的通知_某某市人民政府</title></head>"
            f"<body><div class='detail'>{grid + head if where == 'above' else head + grid}"
            f"<div class='content'>{_PARAS}</div></div></body></html>")
    assert extract_article(html, "https://www.example.gov.cn/zwgk/1.html").published_at == "2024-01-10"


def test_document_date_alone_is_the_date():
    html = ("<html><head><meta charset='utf-8'><title>某某通知_某某市人民政府</title></head><body>"
            "<div class='detail'><h1>某某通知</h1><table><tr><td>发文机关：</td><td>某某局</td></tr>"
            f"<tr><td>成文日期：</td><td>2024-01-05</td></tr></table><div class='content'>{_PARAS}</div></div></body></html>")
    assert extract_article(html, "https://www.example.gov.cn/zwgk/2.html").published_at == "2024-01-05"


def test_infobox_cell_repeating_the_name_is_not_the_headline():
    # encyclopedia entries repeat the headline as the first infobox value; no header follows it
    rows = [("中文名", "某某高新技术产业开发区"), ("所属地区", "某某省某某新区"), ("批准时间", "2023年12月27日")]
    box = "<dl class='basic-info'>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"
    tools = "".join(f"<div class='tool'>{w}</div>" for w in ("播报", "编辑", "讨论", "收藏", "有用", "分享", "上传视频", "同义词"))
    html = ("<html><head><meta charset='utf-8'><title>某某高新技术产业开发区_百科</title></head><body>"
            f"<h1 class='lemma-title'>某某高新技术产业开发区</h1>{tools}<p>某某高新技术产业开发区隶属某某省，为省级开发区。</p>"
            f"{box}<div class='catalog'>目录 历史沿革</div>"
            f"<div class='lemma-content'>{_PARAS}</div></body></html>")
    assert extract_article(html, "https://baike.example.com/item/1").published_at is None


def test_parenthesised_unit_inside_the_text_is_no_byline():
    # a statistics table inside the text: its unit cell `（万人）` is not an unlabelled `（张三）` byline
    table = ("<table><tr><th>年份</th><th>常住人口</th></tr><tr><th></th><th>（万人）</th></tr>"
             "<tr><td>2023</td><td>120.54</td></tr></table>")
    html = ("<html><head><meta charset='utf-8'><title>某某新区人口发展概况_某某网</title></head><body>"
            f"<h1>某某新区人口发展概况</h1><div class='info'>2024-03-05</div>"
            f"<div class='content'>{_PARAS}{table}{_PARAS}</div></body></html>")
    assert extract_article(html, "https://www.example.cn/a/9.html").author is None
    closing = html.replace(f"{table}{_PARAS}</div>", f"{table}{_PARAS}<p>（王丽）</p></div>")
    assert extract_article(closing, "https://www.example.cn/a/9.html").author == "王丽"


@pytest.mark.parametrize("name,author,source", [
    ("某某新闻网", None, "某某新闻网"),      # a provider in the writer's slot is the outlet
    ("法新社", None, "法新社"),
    ("某某新聞網", None, "某某新聞網"),      # traditional forms (Hong Kong/Taiwan reposts)
    ("某某電台-財經", None, "某某電台-財經"),  # an outlet and its channel
    ("林小雨", "林小雨", None),
])
def test_provider_in_the_author_slot(name, author, source):
    html = ("<html><head><meta charset='utf-8'><title>某某官员否认事故存在人为因素_资讯</title></head><body>"
            "<div class='detail'><h1>某某官员否认事故存在人为因素</h1>"
            f"<div class='author-info'><div class='author-info__name'>{name}</div>"
            "<div class='time'>2024-05-20 13:09</div></div>"
            f"<div class='detail-content'>{_PARAS}</div></div></body></html>")
    art = extract_article(html, "https://news.example.com/a/20240520A01")
    assert (art.author, art.source) == (author, source)


def test_title_element_left_in_the_body_is_not_a_line():
    # browser-saved pages and broken markup leave <title> in the body: it is not the headline line
    html = ("<html><head><meta charset='utf-8'></head><img src='x.png'><body><title>某某利率维持不变_经济_某某网</title>"
            "<div class='nav'><a href='/'>首页</a> <a href='/jj/'>经济</a> <a href='/jr/'>金融</a> <a href='/cj/'>产经</a>"
            " <a href='/kj/'>科技</a> <a href='/qc/'>汽车</a> <a href='/dc/'>地产</a> <a href='/sh/'>生活</a></div>"
            + "".join(f"<div class='m'><a href='/m{i}'>栏目{i}</a></div>" for i in range(8))
            + "<div class='article'><h2 class='cont_title'>某某利率维持不变</h2>"
            "<div class='ar_source'>本文来源于某某商报 2024-05-20 09:47:48</div>"
            f"<div class='article-content'>{_PARAS}</div></div></body></html>")
    art = extract_article(html, "https://economy.example.com.cn/20240520/1.shtml")
    assert (art.title, art.published_at, art.source) == ("某某利率维持不变", "2024-05-20T09:47:48+08:00", "某某商报")


def test_date_under_another_label_cell_is_not_a_bare_date():
    # a grid's 实施日期 (when a rule takes effect) is not when the page was published
    html = ("<html><head><meta charset='utf-8'><title>某某管理办法_某某市人民政府</title></head><body>"
            "<div class='detail'><h1>某某管理办法</h1><table><tr><td>发布机构：</td><td>某某局</td></tr>"
            "<tr><td>实施日期：</td><td>2024-06-01</td></tr></table>"
            f"<div class='content'>{_PARAS}</div></div></body></html>")
    assert extract_article(html, "https://www.example.gov.cn/zwgk/3.html").published_at is None


def test_share_card_repeating_the_headline_under_the_header_is_no_header():
    # h1, its dated header, then a share card that repeats the headline right above the text
    html = ("<html><head><meta charset='utf-8'><title>某某县举办农民丰收节_某某网</title></head><body>"
            "<div class='article'><h1>某某县举办农民丰收节</h1><div class='info'>2024-09-22</div>"
            "<div class='share-box'><div class='share-title'>某某县举办农民丰收节</div><span>分享到：</span></div>"
            f"<div class='content'>{_PARAS}</div></div></body></html>")
    assert extract_article(html, "https://www.example.com/a/2.html").published_at == "2024-09-22"


def _platform_page(account: str, note: str = "", more: str = "查看TA的文章>") -> str:
    # a self-media platform: the account card in the left column, the article in the middle
    card = (f"<div class='column left'><div class='user-info'><h4><a href='/u/1'>{account}</a></h4>"
            f"<dl class='user-num'><dd>7.4万文章</dd><dd>418亿总阅读</dd></dl>"
            f"<div class='user-more'><a href='/u/1'>{more}</a></div></div></div>")
    return ("<html><head><meta charset='utf-8'><title>某某队晋级决赛_某某号</title></head><body>"
            f"<div class='head-nav'><a href='/'>首页</a> <a href='/ty/'>体育</a></div>{card}"
            "<div class='text'><h1>某某队晋级决赛</h1><div class='article-info'>2024-05-20 06:48</div>"
            f"<article class='article'>{_PARAS}{note}</article></div></body></html>")


@pytest.mark.parametrize("account,note,author,source", [
    ("篮球广角", "", "篮球广角", None),                       # the account is the writer
    ("某某经济网", "", None, "某某经济网"),                   # an outlet's account is the source
    ("篮球广角", "<p>（本文来源：某某日报 作者：王立新）</p>", "王立新", "某某日报"),   # the page's own credit wins
])
def test_publishing_account_card(account, note, author, source):
    art = extract_article(_platform_page(account, note), "https://www.example.com/a/780060546_458722")
    assert (art.author, art.source) == (author, source)


def test_box_without_a_link_to_the_accounts_articles_is_no_card():
    art = extract_article(_platform_page("篮球广角", more="更多推荐>"), "https://www.example.com/a/1_2")
    assert art.author is None


@pytest.mark.parametrize("line,want", [
    ("王丽 发表于 2024-5-6 10:20:30 | 只看该作者", {"author": "王丽"}),    # forums, blogs
    ("某某日报 发布于 2024-05-06", {"source": "某某日报"}),
    ("原创 发布于 2024-05-06", {}),
    ("首页 > 新闻 发布于 2024-05-06", {}),
])
def test_poster_before_posted_at(line, want):
    assert unlabelled_values(line) == want
