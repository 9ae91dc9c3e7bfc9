"""The loopback sites `crawl_bench.py` crawls: real-sized pages made from ../shared/corpus, or
the old 2 KB synthetic VSB-style pages.

Both have the same shape — list pages of 20 links with 下一页 pagination at `/list/N.htm`
(page 1 is `/`), articles at `/info/1012/N.htm` — so the crawl and the bare-fetch peer request
the same article URLs. A site is a function `path -> bytes | None`, cheap enough per request
that the server costs far less CPU than the crawler it feeds.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scraper.decode import decode_html  # noqa: E402
from scraper.extract import extract_article  # noqa: E402
from scraper.store import content_hash  # noqa: E402

PER_LIST = 20
CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
Site = Callable[[str], "bytes | None"]


def article_path(i: int) -> str:
    return f"/info/1012/{i}.htm"


def _list_page(page: int, pages: int, n: int, charset: str) -> bytes:
    first = (page - 1) * PER_LIST + 1
    items = "".join(
        f"<li><a href='{article_path(i)}'>学校召开第{i}次工作会议</a><span>2023-05-01</span></li>"
        for i in range(first, min(first + PER_LIST, n + 1))
    )
    nav = f"<a href='/list/{page + 1}.htm'>下一页</a>" if page < pages else ""
    return (f"<html><head><meta charset='{charset}'><title>新闻中心</title></head><body><ul>{items}</ul>"
            f"<div class='pages'>{nav} <a href='/list/{pages}.htm'>尾页</a></div></body></html>").encode(charset)


def _site(n: int, article: Callable[[int], bytes], charset: str) -> Site:
    pages = (n + PER_LIST - 1) // PER_LIST

    def page(path: str) -> bytes | None:
        if path in ("/", "/index.htm"):
            return _list_page(1, pages, n, charset)
        if path.startswith("/list/") and path.endswith(".htm") and path[6:-4].isdigit():
            return _list_page(int(path[6:-4]), pages, n, charset)
        if path.startswith("/info/1012/") and path.endswith(".htm") and path[11:-4].isdigit():
            i = int(path[11:-4])
            return article(i) if 1 <= i <= n else None
        return None

    return page


# -- synthetic: 2 KB GBK pages (the old benchmark, kept as --site synthetic) ----------------------

_PARAGRAPH = ("为深入贯彻落实全国教育大会精神，学校近日召开专题会议，研究部署人才培养、科学研究和社会服务等"
              "重点工作。会议强调，要坚持立德树人根本任务，推动学科建设高质量发展。")


def _synthetic_article(i: int, n: int) -> bytes:
    prev_link = f'上一条:<a href="{i - 1}.htm">第{i - 1}条新闻</a>' if i > 1 else "上一条:没有了"
    next_link = f'下一条:<a href="{i + 1}.htm">第{i + 1}条新闻</a>' if i < n else "下一条:没有了"
    body = "".join(f"<p>{_PARAGRAPH}（第{i}篇第{k}段）</p>" for k in range(1, 7))
    return (
        f"<html><head><meta charset='gbk'><title>学校召开第{i}次工作会议-某某大学新闻网</title></head><body>"
        f"<div class='nav'><a href='/index.htm'>首页</a> <a href='/list/1.htm'>新闻中心</a></div>"
        f"<h1>学校召开第{i}次工作会议</h1>"
        f"<div class='info'>发布时间:2023-{1 + i % 12:02d}-{1 + i % 28:02d} 作者:张{i % 7}明 来源:党委宣传部 【字号:大 中 小】</div>"
        f"<div id='vsb_content'>{body}</div>"
        f"<div>相关新闻: {prev_link} {next_link}</div>"
        f"<div class='foot'>版权所有 2023 某某大学 地址：某市某路1号 ICP备05001234号</div></body></html>"
    ).encode("gbk")


def synthetic_site(n: int) -> Site:
    return _site(n, lambda i: _synthetic_article(i, n), "gbk")


# -- corpus: real pages, every copy a distinct article ----------------------------------------------

@dataclass
class _Template:
    """A corpus page cut where the copy number goes: after each occurrence of its headline and
    before the first words of its text, so every copy has its own title, text and hash."""

    parts: list[bytes]
    encoding: str

    def render(self, i: int) -> bytes:
        marks = [f"（{i}）".encode(self.encoding)] * (len(self.parts) - 2) + [f"编号{i}：".encode(self.encoding)]
        out = [self.parts[0]]
        for mark, part in zip(marks, self.parts[1:]):
            out += (mark, part)
        return b"".join(out)


def _base_tag(site_label: str) -> str:
    """Relative links of a copied page point back at its original site (off-scope for the
    crawl, as they would be), not at hundreds of missing paths of the bench server."""
    host = site_label.split()[0] if site_label else "example.invalid"
    return f'<base href="http://{host}/">'


def _template(text: str, encoding: str, site_label: str) -> _Template | None:
    art = extract_article(text, "http://bench.invalid" + article_path(1))
    if art.reason or not art.title or not art.body:
        return None
    lead = art.body.split("\n", 1)[0][:12]
    start = text.find(lead, max(text.lower().find("<body"), 0))   # the shown text, not a <meta> summary
    if text.find(art.title) < 0 or start < 0 or not lead:
        return None
    cuts = []
    pos = text.find(art.title)
    while pos >= 0:
        if pos + len(art.title) <= start:
            cuts.append(pos + len(art.title))
        pos = text.find(art.title, pos + 1)
    pieces, last = [], 0
    for cut in cuts + [start]:
        pieces.append(text[last:cut])
        last = cut
    pieces.append(text[last:])
    if "<base" not in text.lower():
        head = pieces[0].lower().find("<head")
        close = pieces[0].find(">", head) + 1 if head >= 0 else 0
        pieces[0] = pieces[0][:close] + _base_tag(site_label) + pieces[0][close:]
    try:
        return _Template([p.encode(encoding, "xmlcharrefreplace") for p in pieces], encoding)
    except LookupError:
        return None


def _distinct(template: _Template) -> bool:
    """Copies must extract as articles with different title and text hashes (or dedup folds them)."""
    one, two = (extract_article(template.render(i), "http://bench.invalid" + article_path(i)) for i in (1, 2))
    return (one.reason is None and two.reason is None and one.title != two.title
            and content_hash(one) != content_hash(two))


def corpus_templates(corpus: Path = CORPUS) -> list[_Template]:
    labels = {}
    for line in (corpus / "labels.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            labels[row["file"]] = row.get("site") or ""
    templates = []
    for path in sorted(corpus.glob("*.html")):
        text, encoding = decode_html(path.read_bytes())
        template = _template(text, encoding, labels.get(path.name, ""))
        if template is not None and _distinct(template):
            templates.append(template)
    return templates


def corpus_site(n: int, templates: list[_Template]) -> Site:
    return _site(n, lambda i: templates[i % len(templates)].render(i), "utf-8")
