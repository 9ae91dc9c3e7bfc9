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
    ("本文来自某某科技日报", "source", "某某科技日报"),            # closing credit, no colon
    ("本文转载自 TechDaily", "source", "TechDaily"),
    ("文丨某某评论特约评论员 李明", "author", "李明"),             # 丨 as the byline separator
    ("作者：某某研究院院长、研究员王立新", "author", "王立新"),     # credentials before the name
    ("作者：某某大学经济学院教授 张华", "author", "张华"),
    ("作者：本报记者王丽", "author", "王丽"),
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
