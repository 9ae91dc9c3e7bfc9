"""A college news site whose single pages are ambiguous, written as static files for
`scraper.testsite.FixtureServer`: what the site's other pages share settles each of them.

Three kinds of ambiguity, each a pattern of real CMS templates, on different pages:

- the headline is shown only as a picture-title split by `<br>`, so `<title>` is the one
  source, and it is `headline_栏目_学院名`: for a headline shorter than the college's name a
  single page cannot tell which part is the headline (the `<title>` affix the pages share can);
- a short notice beside a longer "学院风采" panel whose text changes from page to page: alone,
  the panel looks like the article (the container most pages' text is in says otherwise);
- a 内容摘要 box between the headline and the 发布时间 line, which ends the header under the
  headline before the date is reached (the block most pages print their date line in has it).
"""
from __future__ import annotations

from pathlib import Path

SITE = "计算机与信息工程学院"
COLUMNS = ("学院新闻", "通知公告")
HEADLINES = ("召开教代会", "举办学术讲座", "学院召开学生工作总结表彰大会", "开展期中教学检查",
             "迎新晚会", "学院与企业签订校企合作协议", "毕业答辩", "召开党委理论学习中心组会议")
_SENTENCES = ("本次活动由学院党委主办，全院师生代表参加，现场气氛热烈，取得了良好效果。",
              "学院负责人在讲话中指出，要坚持立德树人根本任务，持续提升人才培养质量。",
              "与会人员围绕议题展开讨论，提出了许多具有针对性和可操作性的意见和建议。",
              "下一步，学院将进一步完善工作机制，推动各项任务落到实处，取得更大成效。",
              "据悉，学院近年来累计获批省部级科研项目多项，科研水平不断提升，成果丰硕。")


def article_text(n: int) -> list[str]:
    """Paragraphs of article `n`: a one-line notice on every fourth page, else a full report."""
    if n % 4 == 1:
        return [f"第{n}号通知：{HEADLINES[n % len(HEADLINES)]}定于本周举行，请相关人员准时参加。"]
    return [f"（第{n}篇第{k + 1}段）{_SENTENCES[(n + k) % len(_SENTENCES)]}" for k in range(5)]


def _panel(n: int) -> list[str]:
    """The side panel's text: different on every page, never the article."""
    return [f"学院风采第{n}期第{k + 1}则：{_SENTENCES[(n + k + 2) % len(_SENTENCES)]}" for k in range(3)]


def published(n: int) -> str:
    return f"2024-05-{n % 28 + 1:02d}T10:{n % 60:02d}:00+08:00"


def _article_page(n: int) -> str:
    head = HEADLINES[n % len(HEADLINES)]
    column = COLUMNS[n % 2]
    split = len(head) // 2
    summary = (f"<div class='summary'><p>内容摘要：{head}，学院高度重视，精心组织，"
               f"各系部积极参与，活动内容丰富、形式多样，受到师生广泛好评。</p></div>") if n % 4 == 3 else ""
    date = published(n)
    paragraphs = "".join(f"<p>{p}</p>" for p in article_text(n))
    panel = "".join(f"<p>{p}</p>" for p in _panel(n))
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{head}_{column}_{SITE}</title></head><body>"
            f"<div class='top'><img src='/img/banner.jpg'></div>"
            f"<ul class='menu'><li><a href='/index.htm'>首页</a></li><li><a href='/index.htm'>{COLUMNS[0]}</a></li>"
            f"<li><a href='/index.htm'>{COLUMNS[1]}</a></li></ul>"
            f"<div class='wrap'><div class='main'><div class='ti'><b>{head[:split]}<br>{head[split:]}</b></div>{summary}"
            f"<div class='info'><span>发布时间：{date[:10]} {date[11:16]}</span> <span>来源：学院办公室</span></div>"
            f"<div class='v_news_content'>{paragraphs}</div></div>"
            f"<div class='col-b'><div class='panel'>{panel}</div></div></div></body></html>")


def write_site(root: Path, articles: int = 16) -> dict[str, dict[str, str]]:
    """Write the site under `root`; returns the truth: path → title, published_at, source, body."""
    truth = {}
    links = []
    for n in range(1, articles + 1):
        path = f"/info/{1000 + n}.htm"
        (root / "info").mkdir(parents=True, exist_ok=True)
        (root / path.lstrip("/")).write_text(_article_page(n), encoding="utf-8")
        truth[path] = {"title": HEADLINES[n % len(HEADLINES)], "published_at": published(n),
                       "source": "学院办公室", "body": "\n".join(article_text(n))}
        links.append(f"<li><a href='{path}'>{HEADLINES[n % len(HEADLINES)]}</a><span>{published(n)[:10]}</span></li>")
    index = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{COLUMNS[0]}_{SITE}</title></head><body>"
             f"<ul class='list'>{''.join(links)}</ul></body></html>")
    (root / "index.htm").write_text(index, encoding="utf-8")
    (root / "index.html").write_text(index, encoding="utf-8")
    return truth
