"""Simulated news sites for crawl-economy tests and `bench/requests_bench.py`.

Four CMS styles (VSB/博达, TRS WCM, 大汉 JCMS, WordPress), an old ASP style whose every
page is a query-string URL (`QUERY_STYLES`) and a DedeCMS style of generated static pages with
dynamic script twins (`DedeSite`), each served on its own loopback
address (127.0.1.x) by a threaded HTTP server, with what makes real sites expensive to crawl:
calendar widgets whose month and day pages link their neighbours without end, tag clouds,
search results and sort permutations, print views (``?print=1``, ``_print.htm``, 打印 links),
mobile and AMP twins, share and comment links, multi-page articles (``5001_2.htm``,
``?page=2``, ``/2/``) and list pagination. Every page is generated from a small model
(`NewsSite.articles`), so the site knows the minimum number of requests a crawl needs and can
label every request it receives (`NewsSite.label`): that is the measuring stick for request
economy. ETag/If-None-Match is honoured (304), as static CMS front-ends do.

With `sessions`, a site puts a session id on every link of every page (`?sid=…`, a new one in
each answer, as to a client without the session cookie) and ignores it when answering: each
value makes another URL of every page. Requests that carried one are labelled `…+sid`.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, parse_qsl, quote, unquote, urlencode, urlsplit

STYLES = ("vsb", "trs", "jcms", "wp")
# Old ASP/PHP/JSP government and university sites: every page is a script with a query string
# (`/news_show.asp?classid=K&id=N`, `/list.asp?classid=K&page=N`), traps included, and no sitemap. Not in
# `STYLES`: the tests written for the path-shaped styles keep their figures; pass it explicitly.
QUERY_STYLES = ("asp",)
# DedeCMS/PHPCMS/帝国CMS: static pages under column directories and dynamic `/plus/*.php` twins and
# scripts beside them (`DedeSite`). Not in `STYLES` either, for the same reason.
GENERATED_STYLES = ("dede",)
ALL_STYLES = STYLES + QUERY_STYLES + GENERATED_STYLES
PER_PAGE = 10
TAGS = ("乡村振兴", "科技创新", "安全生产", "教育", "民生", "生态", "人才", "党建")
# WordPress tags are path segments (/tag/教育/), each a URL pattern of its own, and a real cloud is big
WP_TAGS = TAGS + tuple(f"专题{k}" for k in range(1, 41))
_SENTENCES = (
    "会议强调，要坚持以人民为中心的发展思想，扎实推进各项重点工作落地见效。",
    "与会人员围绕主题进行了深入交流，提出了许多具有针对性和可操作性的意见建议。",
    "下一步，将进一步压实工作责任，完善长效机制，确保各项任务按期保质完成。",
    "活动现场气氛热烈，参与群众纷纷表示收获很大，希望今后多举办此类活动。",
    "据介绍，该项目总投资约{n}亿元，建成后将有效带动周边产业协同发展。",
    "近年来，相关部门持续加大投入力度，累计培训专业人员{n}余人次。",
)


@dataclass
class Art:
    """One article of the model; `parts` > 1 makes a multi-page article."""

    id: int
    section: int
    day: date
    parts: int = 1
    version: int = 1
    edited_part: int | None = None   # the one part a later version changed (None: every part)

    @property
    def title(self) -> str:
        return f"{('市', '区', '县')[self.id % 3]}有关部门召开第{self.id}次专题工作推进会议"

    def paragraphs(self, part: int) -> list[str]:
        """Distinct text per article, part and version (so no two pages share a hash)."""
        out = []
        for k in range(3):
            s = _SENTENCES[(self.id + k + part) % len(_SENTENCES)].format(n=self.id % 97 + k)
            out.append(f"第{part}部分第{k + 1}段：{s}（编号{self.id}-{part}-{k}）")
        if self.version > 1 and self.edited_part in (None, part):
            out.append(f"更正说明：本文第{self.version}版对有关数据进行了核实和修订。")
        return out

    def body(self) -> str:
        return "\n".join(p for n in range(1, self.parts + 1) for p in self.paragraphs(n))


@dataclass
class NewsSite:
    """A site of one CMS style; `host` is its own loopback address."""

    style: str
    host: str
    n_articles: int = 60
    multipage: int = 3                      # articles with 2–3 parts
    first_id: int = 5001
    articles: dict[int, Art] = field(default_factory=dict)
    origin: str = ""
    sessions: bool = False                  # a session id on every link (see the module's doc)

    def __post_init__(self) -> None:
        if self.style not in ALL_STYLES or type(self) is not _SITE_CLASSES.get(self.style, NewsSite):
            raise ValueError(f"{self.style}: make it with new_site")
        for i in range(self.n_articles):
            self._new_article(parts=2 + i % 2 if i % 17 == 5 and i // 17 < self.multipage else 1)

    # -- the model ---------------------------------------------------------------------------
    def _new_article(self, parts: int = 1) -> Art:
        aid = self.first_id + len(self.articles)
        art = Art(aid, aid % 2, date(2023, 1, 1) + timedelta(days=(aid - self.first_id) * 2), parts)
        self.articles[aid] = art
        return art

    def add_articles(self, count: int) -> list[Art]:
        return [self._new_article() for _ in range(count)]

    def edit_articles(self, count: int) -> list[Art]:
        """Edit `count` older articles (every third from the oldest): a new text version."""
        edited = sorted(self.articles.values(), key=lambda a: a.id)[::3][:count]
        for art in edited:
            art.version += 1
        return edited

    def section_items(self, section: int) -> list[Art]:
        return sorted((a for a in self.articles.values() if a.section == section), key=lambda a: -a.id)

    def pages_of(self, section: int) -> int:
        return max(1, -(-len(self.section_items(section)) // PER_PAGE))

    @property
    def has_sitemap(self) -> bool:
        return self.style in ("trs", "wp")

    # -- URLs --------------------------------------------------------------------------------
    def article_path(self, art: Art, part: int = 1) -> str:
        d = art.day
        if self.style == "vsb":
            return f"/info/{1012 + art.section}/{art.id}" + (f"_{part}" if part > 1 else "") + ".htm"
        if self.style == "trs":
            return (f"/{('xwdt', 'tzgg')[art.section]}/{d:%Y%m}/t{d:%Y%m%d}_{art.id}"
                    + (f"_{part - 1}" if part > 1 else "") + ".html")
        if self.style == "jcms":
            return f"/art/{d.year}/{d.month}/{d.day}/art_{1234 + art.section}_{art.id}.html" + (
                f"?page={part}" if part > 1 else "")
        if self.style == "asp":
            return f"/news_show.asp?classid={11 + art.section}&id={art.id}" + (f"&page={part}" if part > 1 else "")
        return f"/{d:%Y/%m/%d}/news-{art.id}/" + (f"{part}/" if part > 1 else "")

    def list_path(self, section: int, page: int) -> str:
        if self.style == "vsb":
            name = ("xwzx", "tzgg")[section]
            return f"/{name}.htm" if page == 1 else f"/{name}/{self.pages_of(section) - page + 1}.htm"
        if self.style == "trs":
            name = ("xwdt", "tzgg")[section]
            return f"/{name}/" if page == 1 else f"/{name}/index_{page - 1}.html"
        if self.style == "jcms":
            col = 1234 + section
            return f"/col/col{col}/index.html" if page == 1 else f"/col/col{col}/index.html?uid={col + 4000}&pageNum={page}"
        if self.style == "asp":
            return f"/list.asp?classid={11 + section}" + (f"&page={page}" if page > 1 else "")
        name = ("news", "notice")[section]
        return f"/category/{name}/" if page == 1 else f"/category/{name}/page/{page}/"

    def home_path(self) -> str:
        return {"vsb": "/index.htm", "trs": "/index.html", "jcms": "/index.html", "wp": "/",
                "asp": "/index.asp"}[self.style]

    def script(self, name: str) -> str:
        """The path of a site-wide script (calendar, search, tag, sort, share): `/rili` on the
        path-shaped styles, `/rili.asp` on an ASP site."""
        return f"/{name}.asp" if self.style == "asp" else f"/{name}"

    def sitemap_paths(self) -> list[str]:
        return {"trs": ["/sitemap.xml"], "wp": ["/sitemap.xml", "/feed/"]}.get(self.style, [])

    # -- minimum work --------------------------------------------------------------------------
    def minimum(self, new: list[Art] | None = None, edited: list[Art] | None = None) -> Counter:
        """Requests a crawl cannot do without: robots.txt, sitemaps (or one guess where there are
        none), list pages (all of them on a first crawl; on a later one the pages holding new
        articles, plus the next to see nothing more is new), and every part of every article
        (on a later one: of the new and edited ones)."""
        need: Counter = Counter(robots=1, sitemaps=len(self.sitemap_paths()) or 1)
        if new is None:
            need["lists"] = 1 + sum(self.pages_of(s) for s in (0, 1))
            need["articles"] = sum(a.parts for a in self.articles.values())
            return need
        need["lists"] = 1 + sum(min(self.pages_of(s), -(-sum(a.section == s for a in new) // PER_PAGE) + 1)
                                for s in (0, 1))
        need["articles"] = sum(a.parts for a in {a.id: a for a in [*new, *(edited or ())]}.values())
        return need

    def robots_txt(self) -> str:
        lines = "User-agent: *\nDisallow: /admin/\n"
        if self.style == "trs":
            lines += f"Sitemap: {self.origin}/sitemap.xml\n"
        return lines

    # -- labels ------------------------------------------------------------------------------
    def label(self, path: str) -> str:
        """What a request was for: robots, sitemap, home, list, article, or the trap/alias kind."""
        resp = self.route(path)
        return resp[3]

    # -- serving -----------------------------------------------------------------------------
    def route(self, raw: str) -> tuple[int, str, str, str]:
        """(status, content type, body, label) for a request path."""
        if not self.sessions:
            return self._route(raw)
        parts = urlsplit(raw)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
        kept = [(k, v) for k, v in pairs if k != "sid"]
        status, ctype, body, label = self._route(parts.path + ("?" + urlencode(kept) if kept else ""))
        if ctype == "text/html":
            sid = secrets.token_hex(6)
            body = _HREF.sub(lambda m: f"href='{_with_sid(m.group(1), sid)}'", body)
        return status, ctype, body, label + ("+sid" if len(kept) < len(pairs) else "")

    def _route(self, raw: str) -> tuple[int, str, str, str]:
        parts = urlsplit(raw)
        path, q = unquote(parts.path), parse_qs(parts.query)
        if path == "/robots.txt":
            return 200, "text/plain", self.robots_txt(), "robots"
        if self.has_sitemap and path == "/sitemap.xml":
            return 200, "application/xml", self._sitemap(), "sitemap"
        if self.style == "wp" and path == "/feed/":
            return 200, "application/rss+xml", self._feed(), "sitemap"
        if self.style == "wp" and path.endswith("/feed/"):
            if path.startswith("/category/"):   # a section's feed: its latest articles (not needed)
                return 200, "application/rss+xml", self._feed(), "section-feed"
            return 200, "application/rss+xml", self._feed(comments=path), "trap:feeds"   # comments
        if path in (self.home_path(), "/") and not q:
            return 200, "text/html", self._home(), "home"
        for page in (self._list, self._article, self._trap):
            found = page(path, q, raw)
            if found is not None:
                return found
        return 404, "text/html", "<html><body>404</body></html>", "404"

    def _list(self, path: str, q: dict, raw: str):
        for section in (0, 1):
            for page in range(1, self.pages_of(section) + 1):
                if raw == self.list_path(section, page) or (
                        self.style == "trs" and page == 1 and path == self.list_path(section, 1) + "index.html"):
                    return 200, "text/html", self._list_page(section, page), "list"
                if page == 1 and raw == self._paged(self.list_path(section, 1), 1):
                    return 200, "text/html", self._list_page(section, page), "alias"
        return None

    def _article(self, path: str, q: dict, raw: str):
        for art in self.articles.values():
            for part in range(1, art.parts + 1):
                own = self.article_path(art, part)
                if raw == own:
                    return 200, "text/html", self._article_page(art, part), "article"
                if self._is_alias(raw, own):
                    return 200, "text/html", self._article_page(art, part, alias=True), "alias"
        return None

    def _is_alias(self, raw: str, own: str) -> bool:
        return raw in (own + ("&" if "?" in own else "?") + "print=1", self._print_path(own), self._paged(own, 1),
                       "/m" + own, own + "amp/", own + "?amp=1", own + "?share=weibo")

    def _paged(self, own: str, page: int) -> str:
        """The link a pager writes for `page` of the page at `own`: on an ASP site, page 1 too
        carries `&page=1` (another URL of the same page, as such scripts write it)."""
        return own + "&page=1" if self.style == "asp" and page == 1 else own

    def _print_path(self, own: str) -> str:
        if self.style == "asp":
            return own.replace("/news_show.asp", "/print.asp", 1)
        return own.rsplit(".", 1)[0] + "_print.htm" if self.style == "trs" else own + "?print=1"

    # -- traps -------------------------------------------------------------------------------
    def _trap(self, path: str, q: dict, raw: str):
        if self.style == "asp":
            path = path.removesuffix(".asp")
        if path.startswith("/rili"):
            return 200, "text/html", self._calendar(q), "trap:calendar"
        if path == "/search":
            return 200, "text/html", self._search(q), "trap:search"
        if path == "/tag" or (self.style == "wp" and path.startswith("/tag/")):
            return 200, "text/html", self._tag(q, path), "trap:tags"
        if path.startswith("/sort"):
            return 200, "text/html", self._sorted(q), "trap:sort"
        if path == "/share":
            return 200, "text/html", _page("分享", "<p>分享到微博 微信</p>"), "trap:share"
        return None

    def _calendar(self, q: dict) -> str:
        """Month pages link the month before and after and each day; a day links its neighbours.
        No page holds news: a crawler can walk it forever."""
        y, m = int(q.get("y", ["2023"])[0]), int(q.get("m", ["11"])[0])
        d = int(q.get("d", ["0"])[0])
        links = []
        prev_m = (y, m - 1) if m > 1 else (y - 1, 12)
        next_m = (y, m + 1) if m < 12 else (y + 1, 1)
        rili = self.script("rili")
        links.append(f"<a href='{rili}?y={prev_m[0]}&m={prev_m[1]}'>上月</a>")
        links.append(f"<a href='{rili}?y={next_m[0]}&m={next_m[1]}'>下月</a>")
        if d:
            links.append(f"<a href='{rili}?y={y}&m={m}&d={d % 28 + 1}'>后一天</a>")
            links.append(f"<a href='{rili}?y={y}&m={m}&d={(d - 2) % 28 + 1}'>前一天</a>")
        else:
            links += [f"<a href='{rili}?y={y}&m={m}&d={k}'>{k}</a>" for k in range(1, 29)]
        return _page(f"{y}年{m}月日历", f"<div class='calendar'>{''.join(links)}</div><p>本日无信息</p>")

    def _results(self, seed: int) -> str:
        arts = sorted(self.articles.values(), key=lambda a: a.id)
        picked = [arts[(seed * 7 + k) % len(arts)] for k in range(PER_PAGE)]
        return "".join(f"<li><a href='{self.article_path(a)}'>{a.title}</a></li>" for a in picked)

    def _search(self, q: dict) -> str:
        """Results (known articles) with links to every sort order, the next page and other words."""
        word, page = q.get("q", [TAGS[0]])[0], int(q.get("p", ["1"])[0])
        sort, search = q.get("sort", ["date"])[0], self.script("search")
        links = [f"<a href='{search}?q={quote(word)}&sort={s}&p={page}'>按{s}排序</a>" for s in ("date", "hits", "title")]
        links.append(f"<a href='{search}?q={quote(word)}&sort={sort}&p={page + 1}'>下一页</a>")
        links += [f"<a href='{search}?q={quote(w)}&sort={sort}&p=1'>{w}</a>" for w in TAGS]
        return _page(f"搜索：{word}", f"<ul>{self._results(page + TAGS.index(word) if word in TAGS else page)}</ul>"
                     + "".join(links))

    def tag_path(self, word: str, page: int = 1) -> str:
        if self.style == "wp":
            return f"/tag/{quote(word)}/" + (f"page/{page}/" if page > 1 else "")
        return f"{self.script('tag')}?t={quote(word)}" + (f"&page={page}" if page > 1 else "")

    def _tag(self, q: dict, path: str) -> str:
        if self.style == "wp":
            parts = path.strip("/").split("/")      # tag, word[, page, n]
            word, page = parts[1], int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else 1
        else:
            word, page = q.get("t", [TAGS[0]])[0], int(q.get("page", ["1"])[0])
        cloud = "".join(f"<a href='{self.tag_path(w)}'>{w}</a>" for w in (WP_TAGS if self.style == "wp" else TAGS))
        more = f"<a href='{self.tag_path(word, page + 1)}'>下一页</a>"
        return _page(f"标签：{word}", f"<ul>{self._results(page * 3)}</ul><div class='tags'>{cloud}</div>{more}")

    def _sorted(self, q: dict) -> str:
        """A list with sort and filter controls whose links permute the query without end."""
        keys, sort = sorted(q), self.script("sort")
        body = f"<ul>{self._results(len(keys))}</ul>"
        extra = [f"<a href='{sort}?{'&'.join(f'{k}={q[k][0]}' for k in keys)}&f{len(keys)}={v}'>筛选{v}</a>"
                 for v in ("a", "b")]
        extra += [f"<a href='{sort}?order={o}&by={b}'>排序</a>" for o in ("asc", "desc") for b in ("date", "hits")]
        return _page("排序", body + "".join(extra))

    # -- pages -------------------------------------------------------------------------------
    def _chrome(self) -> str:
        """Navigation on every page: home, sections, calendar, tag cloud, search, sort."""
        sections = "".join(f"<a href='{self.list_path(s, 1)}'>{('新闻中心', '通知公告')[s]}</a>" for s in (0, 1))
        widgets = (f"<a href='{self.script('rili')}?y=2023&m=11'>日历</a>"
                   f"<a href='{self.script('search')}?q={quote(TAGS[1])}&sort=date&p=1'>搜索</a>"
                   f"<a href='{self.script('sort')}?order=desc&by=date'>排序</a>"
                   + "".join(f"<a href='{self.tag_path(w)}'>{w}</a>" for w in TAGS[:4]))
        if self.style == "wp":
            widgets += ("<link rel='alternate' type='application/rss+xml' title='某单位 &raquo; Feed' href='/feed/'>"
                        "<link rel='alternate' type='application/rss+xml' title='某单位 &raquo; 评论Feed'"
                        " href='/comments/feed/'>")
        return f"<div class='nav'><a href='{self.home_path()}'>首页</a>{sections}</div><div class='side'>{widgets}</div>"

    def _home(self) -> str:
        latest = sorted(self.articles.values(), key=lambda a: -a.id)[:6]
        items = "".join(f"<li><a href='{self.article_path(a)}'>{a.title}</a></li>" for a in latest)
        feed = "<link rel='alternate' type='application/rss+xml' href='/feed/'>" if self.style == "wp" else ""
        return _page("首页", feed + self._chrome() + f"<ul class='latest'>{items}</ul>")

    def _list_page(self, section: int, page: int) -> str:
        items = self.section_items(section)[(page - 1) * PER_PAGE: page * PER_PAGE]
        rows = "".join(f"<li><a href='{self.article_path(a)}'>{a.title}</a><span>{a.day}</span></li>" for a in items)
        feed = (f"<link rel='alternate' type='application/rss+xml' title='某单位 &raquo; 分类Feed'"
                f" href='{self.list_path(section, 1)}feed/'>" if self.style == "wp" else "")
        return _page(("新闻中心", "通知公告")[section], feed + self._chrome() + f"<ul class='list'>{rows}</ul>"
                     + self._pager(section, page))

    def _pager(self, section: int, page: int) -> str:
        total = self.pages_of(section)
        if self.style == "trs":
            return (f"<script>var countPage = {total};createPageHTML({total}, {page - 1}, \"index\", \"html\");"
                    "</script>")
        if self.style == "jcms":
            col = 1234 + section
            links = "".join(f"<a href='{self.list_path(section, p)}'>{p}</a>" for p in range(1, total + 1) if p != page)
            return f"<div class='pages'>共{total}页 {links}</div><!-- col {col} -->"
        nav = [f"共{total}页"] if self.style == "asp" else []
        if page < total:
            nav.append(f"<a href='{self.list_path(section, page + 1)}'>下一页</a>")
        if page > 1:
            nav.append(f"<a href='{self._paged(self.list_path(section, page - 1), page - 1)}'>上一页</a>")
        if self.style == "asp":    # 首页 and page numbers between 上一页 and 尾页, the current one plain
            nav.insert(1, f"<a href='{self._paged(self.list_path(section, 1), 1)}'>首页</a>")
            nav += [f"<a href='{self._paged(self.list_path(section, p), p)}'>{p}</a>" if p != page else f"<b>{p}</b>"
                    for p in range(1, total + 1)]
        nav.append(f"<a href='{self.list_path(section, total)}'>尾页</a>")
        return f"<div class='pages'>{' '.join(nav)}</div>"

    def _article_page(self, art: Art, part: int, alias: bool = False) -> str:
        own = self.article_path(art, part)
        neighbours = sorted(a.id for a in self.articles.values() if a.section == art.section)
        i = neighbours.index(art.id)
        chain = ""
        if i > 0:
            prev = self.articles[neighbours[i - 1]]
            chain += f"<p>上一篇：<a href='{self.article_path(prev)}'>{prev.title}</a></p>"
        if i + 1 < len(neighbours):
            nxt = self.articles[neighbours[i + 1]]
            chain += f"<p>下一篇：<a href='{self.article_path(nxt)}'>{nxt.title}</a></p>"
        pager = ""
        if art.parts > 1:
            nums = "".join(f"<a href='{self._paged(self.article_path(art, p), p)}'>{p}</a>" if p != part else f"<b>{p}</b>"
                           for p in range(1, art.parts + 1))
            nxt_part = f"<a href='{self.article_path(art, part + 1)}'>下一页</a>" if part < art.parts else ""
            pager = f"<div class='page-bar'>共{art.parts}页 {nums} {nxt_part}</div>"
        tools = (f"<a href='{self._print_path(own)}'>打印本页</a>"
                 f"<a href='/m{own}'>手机版</a>"
                 f"<a href='{own}amp/' rel='amphtml'>AMP</a>" if self.style == "wp" else
                 f"<a href='{self._print_path(own)}'>【打印】</a><a href='/m{own}'>手机版</a>")
        share = (f"<a href='{self.script('share')}?url={quote(self.origin + own)}&title={quote(art.title)}'>分享到微博</a>"
                 f"<a href='{own}#comments'>评论</a>")
        if self.style == "wp" and part == 1:
            share += (f"<link rel='alternate' type='application/rss+xml' title='某单位 &raquo; {art.title}的评论Feed'"
                      f" href='{own}feed/'>")
        body = "".join(f"<p>{p}</p>" for p in art.paragraphs(part))
        info = f"<div class='info'>发布时间：{art.day} 10:00 来源：{('办公室', '宣传部')[art.section]}</div>"
        main = f"<h1>{art.title}</h1>{info}<div class='content'>{body}</div>{pager}"
        if alias:
            return _page(art.title, main)
        return _page(art.title, self._chrome() + main + f"<div class='tools'>{tools}{share}</div>{chain}")

    def _sitemap(self) -> str:
        urls = [(self.origin + self.list_path(s, 1), None) for s in (0, 1)]
        urls += [(self.origin + self.article_path(a), f"{a.day}T10:00:00+08:00" if a.version == 1
                  else f"{a.day + timedelta(days=300 + a.version)}T10:00:00+08:00")
                 for a in sorted(self.articles.values(), key=lambda a: -a.id)]
        rows = "".join(f"<url><loc>{u}</loc>" + (f"<lastmod>{m}</lastmod>" if m else "") + "</url>" for u, m in urls)
        return f"<?xml version='1.0' encoding='UTF-8'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{rows}</urlset>"

    def _feed(self, comments: str | None = None) -> str:
        """The site's feed of its latest articles; with `comments` (a feed's path), a comments
        feed, as WordPress links from every post and from every page (the site's)."""
        latest = sorted(self.articles.values(), key=lambda a: -a.id)[:10]
        if comments is not None:
            owner = comments[: -len("feed/")]
            items = "".join(f"<item><title>评论 {k}</title><link>{self.origin}{owner}#comment-{k}</link></item>"
                            for k in range(1, 4))
        else:
            items = "".join(f"<item><title>{a.title}</title><link>{self.origin}{self.article_path(a)}</link></item>"
                            for a in latest)
        return f"<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel><title>新闻</title>{items}</channel></rss>"


_HREF = re.compile(r"href='([^']*)'")


def _with_sid(href: str, sid: str) -> str:
    """A site-relative link with the session id added (others as they are)."""
    if not href.startswith("/") or href.startswith("//"):
        return href
    href, hash_, fragment = href.partition("#")
    return f"{href}{'&' if '?' in href else '?'}sid={sid}{hash_}{fragment}"


def _page(title: str, inner: str) -> str:
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head><body>{inner}"
            "<div class='foot'>版权所有 某某单位 地址：某市某路1号</div></body></html>")


def make_sites(n_articles: int = 60, styles: tuple[str, ...] = STYLES, first_host: int = 11,
               sessions: bool = False) -> list[NewsSite]:
    """One site per style, each on its own loopback address 127.0.1.x."""
    return [new_site(style, f"127.0.1.{first_host + i}", n_articles, sessions=sessions)
            for i, style in enumerate(styles)]


def new_site(style: str, host: str, n_articles: int = 60, **knobs) -> NewsSite:
    """A site of `style` (of its own class where the style has one: `DedeSite`)."""
    return _SITE_CLASSES.get(style, NewsSite)(style, host, n_articles, **knobs)


@contextmanager
def serve_news(sites: list[NewsSite]) -> Iterator[dict[str, list[str]]]:
    """Serve each site on its own address (port chosen by the OS); yields host → request log
    (path with query, in arrival order). Sets each site's `origin`."""
    logs: dict[str, list[str]] = {}
    servers = []
    try:
        for site in sites:
            log = logs.setdefault(site.host, [])
            server = _QuietServer((site.host, 0), _handler(site, log))
            server.daemon_threads = True
            site.origin = f"http://{site.host}:{server.server_address[1]}"
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
            servers.append(server)
        yield logs
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """Clients dropping connections mid-crawl (a cut crawl, a timeout) is normal."""


def _handler(site: NewsSite, log: list[str]) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            with lock:
                log.append(self.path)
                status, ctype, text, _ = site.route(self.path)
            body = text.encode("utf-8")
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            if status == 200 and self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            self.send_response(status)
            self.send_header("Content-Type", ctype + ("; charset=utf-8" if ctype.startswith("text/plain") else ""))
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


DEDE_COLUMNS = (("news", 12), ("notice", 13))     # a column's directory and its type id


class DedeSite(NewsSite):
    """A DedeCMS (织梦) site; PHPCMS and 帝国CMS sites are built alike: pages generated as static
    files under each column's directory, dynamic `/plus/*.php` scripts beside them.

    Articles `/a/news/2023/0105/5001.html`, their parts `5001_2.html` behind a pager of relative
    links (共3页: 上一页 1 2 3 下一页, `#` for the page itself). Lists `/a/news/` and
    `list_12_N.html`, whose pager (首页 上一页 1 2 3 下一页 末页, a `<select>` jump menu,
    共N页M条) names page 1 `list_12_1.html` (another URL of `/a/news/`). `plus/view.php?aid=N`
    is the dynamic twin of every article (`&pageno=N` its parts), linked by the 相关文章 block of
    each article and the home page's 热点 block; `&print=1` prints it, `/m/view.php?aid=N` is
    the mobile one. Per-article scripts: comments `plus/feedback.php?aid=N`, 推荐
    `plus/recommend.php?aid=N`, 收藏 `plus/stow.php?aid=N` (which sends to a member login),
    挑错 `plus/erraddsave.php` (refused by robots.txt), a hit counter `<script
    src=plus/count.php>`, 顶/踩 by javascript. Site-wide: search `plus/search.php` with Dede's long
    pager query (`…&TotalResult=37&PageNo=2`), tag pages `tags.php?/标签/2/` and the cloud
    `tags.php`, a calendar widget `plus/calendar.php`, an HTML site map `data/sitemap.html`, a
    column's RSS `data/rss/12.xml`; no sitemap.xml."""

    # -- URLs --------------------------------------------------------------------------------
    def article_path(self, art: Art, part: int = 1) -> str:
        d = art.day
        return (f"/a/{DEDE_COLUMNS[art.section][0]}/{d:%Y}/{d:%m%d}/{art.id}"
                + (f"_{part}" if part > 1 else "") + ".html")

    def view_path(self, art: Art, part: int = 1) -> str:
        """The dynamic twin of an article's page."""
        return f"/plus/view.php?aid={art.id}" + (f"&pageno={part}" if part > 1 else "")

    def list_path(self, section: int, page: int) -> str:
        name, tid = DEDE_COLUMNS[section]
        return f"/a/{name}/" if page == 1 else f"/a/{name}/list_{tid}_{page}.html"

    def home_path(self) -> str:
        return "/"

    def script(self, name: str) -> str:
        return f"/plus/{'calendar' if name == 'rili' else name}.php"

    def tag_path(self, word: str, page: int = 1) -> str:
        return f"/tags.php?/{quote(word)}/" + (f"{page}/" if page > 1 else "")

    def search_path(self, word: str, page: int = 1) -> str:
        """A search as the hot words link it, and (with `page`) as Dede's pager writes it."""
        plain = f"/plus/search.php?keyword={quote(word)}&searchtype=titlekeyword"
        return plain if page == 1 else (plain + "&channeltype=0&orderby=&kwtype=0&pagesize=10&typeid=0"
                                        f"&TotalResult={4 * PER_PAGE - 3}&PageNo={page}")

    def robots_txt(self) -> str:
        return "User-agent: *\n" + "".join(f"Disallow: {p}\n" for p in ("/dede/", "/include/", "/templets/", "/plus/ad_js.php",
                                                    "/plus/count.php", "/plus/erraddsave.php"))

    def _tags_of(self, art: Art) -> list[str]:
        return list(dict.fromkeys((TAGS[art.id % len(TAGS)], TAGS[art.id // len(TAGS) % len(TAGS)])))

    # -- serving -----------------------------------------------------------------------------
    def _list(self, path: str, q: dict, raw: str):
        for section, (name, tid) in enumerate(DEDE_COLUMNS):
            if raw == f"/a/{name}/list_{tid}_1.html":
                return 200, "text/html", self._list_page(section, 1), "alias"
        return super()._list(path, q, raw)

    def _article(self, path: str, q: dict, raw: str):
        if path in ("/plus/view.php", "/m/view.php"):
            aid, part = q.get("aid", [""])[0], q.get("pageno", ["1"])[0]
            art = self.articles.get(int(aid)) if aid.isdigit() else None
            if art is None or not part.isdigit() or not 1 <= int(part) <= art.parts:
                return 200, "text/html", _page("系统提示", "<p>你要查看的文档不存在或已被删除！</p>"), "404"
            short = path == "/m/view.php" or "print" in q
            return 200, "text/html", self._article_page(art, int(part), alias=short, dynamic=True), "alias"
        return super()._article(path, q, raw)

    def _is_alias(self, raw: str, own: str) -> bool:
        return False                # a Dede article's other URLs are scripts (see `_article`)

    def _trap(self, path: str, q: dict, raw: str):
        aid = q.get("aid", [""])[0]
        art = self.articles.get(int(aid)) if aid.isdigit() else None
        if path == "/plus/calendar.php":
            return 200, "text/html", self._calendar(q), "trap:calendar"
        if path == "/plus/search.php":
            return 200, "text/html", self._search(q), "trap:search"
        if path == "/tags.php":
            return 200, "text/html", self._tag(q, raw), "trap:tags"
        if path == "/plus/feedback.php" and art is not None:
            return 200, "text/html", _page(f"{art.title}的评论", f"<h2>评论：<a href='{self.article_path(art)}'>"
                                           f"{art.title}</a></h2><p>暂无评论</p>{_COMMENT_FORM}"), "trap:comments"
        if path == "/plus/recommend.php" and art is not None:
            return 200, "text/html", _page("推荐给好友", f"<p>推荐：<a href='{self.article_path(art)}'>{art.title}"
                                           "</a></p><form method='post'>好友邮箱<input name='email'></form>"), "trap:recommend"
        if path == "/plus/stow.php" and art is not None:
            gourl = quote(f"/plus/stow.php?aid={art.id}", safe="")
            return 200, "text/html", _page("系统提示", f"<p>你还没有登录，请先登录！</p><a href='/member/login.php?"
                                           f"gourl={gourl}'>如果你的浏览器没反应，请点击这里...</a>"), "trap:stow"
        if path.startswith("/member/"):
            return 200, "text/html", _page("会员登录", "<form method='post'>用户名<input name='userid'></form>"
                                           "<a href='/member/index_do.php?fmdo=user&dopost=regnew'>注册</a>"), "trap:member"
        if path == "/data/sitemap.html":
            cols = "".join(f"<a href='{self.list_path(s, 1)}'>{('新闻中心', '通知公告')[s]}</a>" for s in (0, 1))
            return 200, "text/html", _page("网站地图", f"<div class='linkbox'>{cols}</div>"), "html-sitemap"
        for section, (_, tid) in enumerate(DEDE_COLUMNS):
            if path == f"/data/rss/{tid}.xml":
                return 200, "application/rss+xml", self._column_feed(section), "section-feed"
        return None

    def _column_feed(self, section: int) -> str:
        items = "".join(f"<item><title>{a.title}</title><link>{self.origin}{self.article_path(a)}</link></item>"
                        for a in self.section_items(section)[:PER_PAGE])
        return f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>栏目</title>{items}</channel></rss>"

    def _search(self, q: dict) -> str:
        """Results, Dede's pager over four pages of them, and the other hot words."""
        word, page = q.get("keyword", [TAGS[0]])[0], int(q.get("PageNo", ["1"])[0])
        results = self._results(page + TAGS.index(word) if word in TAGS else page)
        pager = self._pager_links(lambda p: self.search_path(word, p), page, 4)
        hot = "".join(f"<a href='{self.search_path(w)}'>{w}</a>" for w in TAGS)
        return _page(f"搜索结果：{word}", f"<ul>{results}</ul><div class='dede_pages'>{pager}</div>"
                     f"<div class='hotwords'>{hot}</div>")

    def _tag(self, q: dict, path: str) -> str:
        """`tags.php` alone is the cloud; `tags.php?/教育/2/` a tag's second page (of three)."""
        word, _, number = unquote(urlsplit(path).query).strip("/").partition("/")
        cloud = "".join(f"<a href='{self.tag_path(w)}'>{w}</a>" for w in TAGS)
        if not word:
            return _page("标签", f"<div class='tags'>{cloud}</div>")
        page = int(number.strip("/")) if number.strip("/").isdigit() else 1
        results = self._results(page * 3 + (TAGS.index(word) if word in TAGS else 0))
        pager = self._pager_links(lambda p: self.tag_path(word, p), page, 3)
        return _page(f"{word}_标签", f"<ul>{results}</ul><div class='dede_pages'>{pager}</div>")

    # -- pages -------------------------------------------------------------------------------
    @staticmethod
    def _pager_links(href, page: int, total: int, count: int | None = None, menu: bool = False) -> str:
        """Dede's pager: 首页 上一页 numbers 下一页 末页 (plain `<a>` where there is nowhere to go),
        the `<select>` jump menu, 共N页M条."""
        first, last = (f"<li><a href='{href(1)}'>首页</a></li>", f"<li><a href='{href(total)}'>末页</a></li>")
        items = [first if page > 1 else "<li><a>首页</a></li>"]
        if page > 1:
            items.append(f"<li><a href='{href(page - 1)}'>上一页</a></li>")
        items += [f"<li><a href='{href(p)}'>{p}</a></li>" if p != page else f"<li class='thisclass'>{p}</li>"
                  for p in range(1, total + 1)]
        if page < total:
            items.append(f"<li><a href='{href(page + 1)}'>下一页</a></li>")
        items.append(last if page < total else "<li><a>末页</a></li>")
        if menu:
            options = "".join(f"<option value='{href(p)}'{' selected' if p == page else ''}>{p}</option>"
                              for p in range(1, total + 1))
            items.append("<li><select name='sldd' style='width:36px' onchange='location.href=this.options"
                         f"[this.selectedIndex].value;'>{options}</select></li>")
        if count is not None:
            items.append(f"<li><span class='pageinfo'>共 <strong>{total}</strong>页<strong>{count}</strong>条</span></li>")
        return f"<ul class='pagelist'>{''.join(items)}</ul>"

    def _chrome(self) -> str:
        """Navigation, calendar, hot search words, tag cloud, site map."""
        sections = "".join(f"<a href='{self.list_path(s, 1)}'>{('新闻中心', '通知公告')[s]}</a>" for s in (0, 1))
        side = (f"<a href='{self.script('rili')}?y=2023&m=11'>日历</a>"
                + "".join(f"<a href='{self.search_path(w)}'>{w}</a>" for w in TAGS[:3])
                + "".join(f"<a href='{self.tag_path(w)}'>{w}</a>" for w in TAGS[:4])
                + "<a href='/tags.php'>更多标签</a><a href='/data/sitemap.html'>网站地图</a>")
        return f"<div class='nav'><a href='/'>主页</a>{sections}</div><div class='side'>{side}</div>"

    def _home(self) -> str:
        ordered = sorted(self.articles.values(), key=lambda a: -a.id)
        latest = "".join(f"<li><a href='{self.article_path(a)}'>{a.title}</a></li>" for a in ordered[:6])
        hot = "".join(f"<li><a href='{self.view_path(a)}'>{a.title}</a></li>" for a in ordered[7::9][:6])
        return _page("首页", self._chrome() + f"<ul class='latest'>{latest}</ul><h3>热点文章</h3><ul class='hot'>{hot}</ul>")

    def _list_page(self, section: int, page: int) -> str:
        name, tid = DEDE_COLUMNS[section]
        items = self.section_items(section)[(page - 1) * PER_PAGE: page * PER_PAGE]
        rows = "".join(f"<li><a href='{self.article_path(a)}'>{a.title}</a><span>{a.day}</span></li>" for a in items)
        pager = self._pager_links(lambda p: f"list_{tid}_{p}.html", page, self.pages_of(section),
                                  len(self.section_items(section)), menu=True)
        return _page(("新闻中心", "通知公告")[section], self._chrome() + f"<ul class='list'>{rows}</ul>"
                     f"<div class='dede_pages'>{pager}</div><a href='/data/rss/{tid}.xml'>RSS订阅</a>")

    def _article_page(self, art: Art, part: int, alias: bool = False, dynamic: bool = False) -> str:
        """The article's page (`dynamic`: as view.php renders it, its pager linking view.php);
        `alias` (print, mobile): its text only."""
        body = "".join(f"<p>{p}</p>" for p in art.paragraphs(part))
        info = (f"<div class='info'><small>时间:</small>{art.day} 10:00<small>来源:</small>"
                f"{('办公室', '宣传部')[art.section]}<small>作者:</small>admin<small>点击:</small>"
                f"<script src='/plus/count.php?view=yes&aid={art.id}&mid=1' type='text/javascript'></script>次</div>")
        pager = ""
        if art.parts > 1:
            href = ((lambda p: "view.php?" + self.view_path(art, p).partition("?")[2]) if dynamic
                    else (lambda p: self.article_path(art, p).rpartition("/")[2]))
            items = [f"<li><a>共{art.parts}页: </a></li>",
                     f"<li><a href='{href(part - 1) if part > 1 else '#'}'>上一页</a></li>"]
            items += [f"<li><a href='{href(p)}'>{p}</a></li>" if p != part else f"<li class='thisclass'><a href='#'>{p}</a></li>"
                      for p in range(1, art.parts + 1)]
            items.append(f"<li><a href='{href(part + 1) if part < art.parts else '#'}'>下一页</a></li>")
            pager = f"<div class='dede_pages'><ul class='pagelist'>{''.join(items)}</ul></div>"
        main = f"<h2>{art.title}</h2>{info}<div class='content'>{body}</div>{pager}"
        if alias:
            return _page(art.title, main)
        neighbours = [a for a in self.section_items(art.section)[::-1]]
        i = neighbours.index(art)
        chain = "".join(f"<li>{label}：<a href='{self.article_path(other)}'>{other.title}</a></li>" if other else
                        f"<li>{label}：没有了 </li>"
                        for label, other in (("上一篇", neighbours[i - 1] if i > 0 else None),
                                             ("下一篇", neighbours[i + 1] if i + 1 < len(neighbours) else None)))
        tags = "".join(f"<a href='{self.tag_path(w)}'>{w}</a>" for w in self._tags_of(art))
        acts = (f"<li><a href='/plus/stow.php?aid={art.id}' target='_blank'>收藏</a></li>"
                f"<li><a href='/plus/erraddsave.php?aid={art.id}&title={quote(art.title)}' target='_blank'>挑错</a></li>"
                f"<li><a href='/plus/recommend.php?aid={art.id}' target='_blank'>推荐</a></li>"
                f"<li><a href='/plus/view.php?aid={art.id}&print=1' target='_blank'>打印</a></li>"
                f"<li><a href='/m/view.php?aid={art.id}'>手机版</a></li>")
        digg = f"<a href=\"javascript:postDigg('good',{art.id})\">顶</a><a href=\"javascript:postDigg('bad',{art.id})\">踩</a>"
        related = "".join(f"<li><a href='{self.view_path(other)}'>{other.title}</a></li>"
                          for other in (neighbours[(i + k * 5) % len(neighbours)] for k in (1, 2, 3)) if other is not art)
        feedback = f"<a href='/plus/feedback.php?aid={art.id}'>查看所有评论</a>{_COMMENT_FORM}"
        return _page(art.title, self._chrome() + main + f"<div class='tags'>标签：{tags}</div>"
                     f"<div class='handle'><ul class='context'>{chain}</ul><ul class='actbox'>{acts}</ul></div>"
                     f"<div class='digg'>{digg}</div><div class='feedback'>{feedback}</div>"
                     f"<div class='related'><h3>相关文章</h3><ul>{related}</ul></div>")


_SITE_CLASSES: dict[str, type[NewsSite]] = {"dede": DedeSite}
_COMMENT_FORM = ("<form action='/plus/feedback.php?action=send' method='post'><textarea name='msg'></textarea>"
                 "<input type='submit' value='发表评论'></form>")
