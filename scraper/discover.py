"""HTML link discovery: every followable link of a page, classified, in one pass over the DOM.

Chinese CMSs (VSB/博达, TRS WCM, 大汉 JCMS, WordPress, portals) expose their archive through
list pages and their pagination, the article chain 上一篇/下一篇, and a 网站地图 page. Some of
it hides in scripts (TRS ``createPageHTML``, JCMS ``<datastore>``). The recognition rules are
tables of patterns at the top of this module, so supporting another CMS means adding rows.
Pure functions over ``str``: no network, no I/O.
"""
from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Set
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .htmltree import parse_html
from .urls import URL_NOISE, host_of, strip_params
from .linkwords import ATTACHMENT_EXTENSIONS, NEXT_LABELS, PREV_LABELS, label_pattern

MAX_FILL = 1000        # pages generated per pagination range (末页 far away, script totals)
_MAX_TEXT = 200

# ---------------------------------------------------------------------------------------------
# Rules as data
# ---------------------------------------------------------------------------------------------

_ASSET_EXT = frozenset(
    "css js mjs json map jpg jpeg png gif webp avif svg ico bmp tif tiff woff woff2 ttf eot otf "
    "mp3 mp4 m4a m4v flv avi mov wmv swf webm ogg wav".split()
)

# URL shapes, lower-cased. Each table is compiled into one alternation. Leaf shapes are
# matched against the last path segment as a whole (one anchored attempt per row, cheap);
# path shapes are searched in the path; query shapes in the query string.
_ARTICLE_LEAVES = (
    r"t(?:19|20)\d{6}_\d+(?:_\d+)?\.s?html?",           # TRS /202311/t20231105_4567890.html
    r"art_\d+_\d+\.s?html?",                            # 大汉 JCMS art_123_4567.html
    r"content_\d+\.s?html?",                             # gov.cn content_5678901.htm
    r"c_\d+\.s?html?",                                   # 新华 /2023-11/05/c_1129955123.htm
    r"c\d+-\d+\.s?html?",                                # 人民 /n1/2023/1105/c1001-40112345.html
    r"doc-[a-z0-9]{6,}\.s?html?",                        # 新浪 doc-imzxyzab1234567.shtml
    r"newsdetail_forward_\d+",                           # 澎湃
    r"(?:19|20)\d{6}[a-z]\w{4,}",                        # 腾讯 /rain/a/20231105A01ABC00
    r"show-\d+-\d+(?:-\d+)?\.html",                      # PHPCMS show-10-123-1.html
    r"[a-z_-]*\d{6,}\.s?html?",                          # long numeric id: /news/1234567.html
    r"\d{5,}",                                           # long numeric id: /news/1234567
)
_ARTICLE_PATHS = (
    r"/info/\d+/\d+\.s?html?$",                          # VSB/博达 /info/1012/3456.htm
    r"/a/\d+_\d+/?$",                                    # 搜狐 /a/712345678_121106991
    r"/(?:19|20)\d{2}[-_/]?[01]\d[-_/]?[0-3]\d/[^/]+",   # dated: /2023/11/05/x.html, /20231105/x
    r"/(?:19|20)\d{2}/[01]?\d/(?=[^/]*[a-z%])[^/]+/?$",   # WordPress /2023/11/some-slug/
    r"/(?:article|articles|detail|details|news_detail|newsdetail)/[^/]*\w",  # /article/…
)
_ARTICLE_QUERIES = (
    r"(?:^|&)wbnewsid=\d+",                              # VSB dynamic content.jsp
    r"(?:^|&)a=show(?:&|$)",                              # PHPCMS index.php?…&a=show&id=…
)
# show.aspx?id=…, NewsDetail.aspx?NewsID=…, plus/view.php?aid=…: a detail script and an id.
_DETAIL_LEAF = re.compile(
    r"[\w-]*(?:detail|show|view|content|article|read|display|info)[\w-]*\.(?:aspx?|php|jsp|do|s?html?)")
_ID_PARAM = re.compile(
    r"(?:^|&)(?:id|aid|newsid|news_id|articleid|article_id|contentid|docid|artid|infoid|itemid)=\w")
_WORDPRESS_POST = re.compile(r"(?:^|&)p=\d+(?:&|$)")    # /?p=123

# Taxonomy hubs: a tag's, keyword's or author's page lists articles the section lists hold
# too. They are hubs ('other': fetched after articles and lists, judged by their yield), so a
# tag cloud of hundreds costs a few requests (WordPress /tag/x/, Hexo /tags/x/, Z-Blog
# tags-12.html, DedeCMS tags.php?/x/, Discuz misc.php?mod=tag).
_TAXONOMY = re.compile(r"/(?:tag|tags|label|labels|keyword|keywords|author)/|/tags?(?:[-_]\d+)?\.\w+$")
_TAXONOMY_QUERY = re.compile(r"(?:^|&)mod=tag(?:&|$)")

# Leaf names that make any path a list page, even under a dated directory.
_LIST_LEAF = re.compile(r"(?:index|default|main|list|node)(?:[_-][\w-]*)?\.\w+")
_LIST_LEAVES = (
    r"",                                                  # directory: a section front page
    r"(?:index|default|main)(?:_\d+)?\.(?:s?html?|php|jsp|aspx?)",  # index.html, index_3.html
    r"list[\w-]*(?:\.\w+)?",                              # list.htm, list_2.html, list1012.htm
    r"node_\d+(?:_\d+)?\.s?html?",                        # node_1234.htm
)
_LIST_PATHS = (
    r"/list[\w-]*/\d+\.s?html?$",                         # VSB list1012/2.htm
    r"/col/col\d+/",                                      # 大汉 /col/col1234/index.html
    r"/(?:column|columns|channel|category|categories)/",
    r"/page/\d+/?$",                                      # WordPress /page/2/
    r"^(?:/[a-z][a-z0-9_]*)*/\d{1,3}\.htm$",              # VSB xwzx/3.htm
    r"^(?:/[a-z][a-z0-9_]*)*/[a-z]{2,12}\d?\.htm$",       # VSB xwzx.htm (pinyin initials)
)
_LIST_QUERIES = (
    r"(?:^|&)a=lists(?:&|$)",                             # PHPCMS a=lists&catid=…
    r"(?:^|&)(?:page|pn|pageno|pagenum|pageindex|curpage|currentpage)=\d+",
)


def _alternation(patterns: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


_ARTICLE_LEAF_RE, _ARTICLE_PATH_RE, _ARTICLE_QUERY_RE = map(
    _alternation, (_ARTICLE_LEAVES, _ARTICLE_PATHS, _ARTICLE_QUERIES))
_LIST_LEAF_RE, _LIST_PATH_RE, _LIST_QUERY_RE = map(_alternation, (_LIST_LEAVES, _LIST_PATHS, _LIST_QUERIES))

# Named in a query (download.jsp?filename=x.pdf) or an anchor text; '.txt' is too often prose.
_DOCUMENT_EXT = ATTACHMENT_EXTENSIONS - {"txt"}
_QUERY_ATTACHMENT = re.compile(r"=[^&]*\.(?:" + "|".join(sorted(_DOCUMENT_EXT)) + r")(?:&|$)")
_DOWNLOAD = re.compile(r"(?:download|downfile|down|attach|attachment)\w*\.(?:jsp|aspx?|php|do)")
_FEED_ENDINGS = (".xml", ".rss", ".atom", "/feed", "/feed/")
_FEED_PATH = re.compile(r"/(?:rss|feed|atom)[\w-]*\.xml$|\.(?:rss|atom)$|/rss/[^/]*\.xml$|/feed/?$")
# Feeds that list no news: comments (the site's `/comments/feed/`, WordPress's `?feed=comments-rss2`,
# one post's, titled "… 评论 Feed" / "Comments Feed"), and a page's own feed (its URL + /feed/:
# on an article its comments, on a list or tag page the items just read there).
_COMMENTS_FEED_PATH = re.compile(r"/comments/(?:feed|rss|atom)", re.I)
_COMMENTS_FEED_QUERY = re.compile(r"(?:^|&)feed=comments", re.I)
_FEED_QUERY = re.compile(r"(?:^|&)feed=(?:rss2?|atom|rdf|comments)", re.I)   # WordPress without permalinks
# WordPress's titles ("…的评论Feed", "… Comments Feed"); not "…评论RSS": portals' commentary columns
_COMMENTS_FEED_LABEL = re.compile(r"(?:评论|comments?)\s*feed|comments (?:on|for) ", re.I)
_OWN_FEED = ("/feed", "/feed/", "/rss", "/rss/", "/atom", "/atom/")
_SITEMAP_TEXT = re.compile(r"^(?:网站地图|站点地图|xml\s*地图|html\s*地图|site\s*map|sitemap)$", re.I)
_SITEMAP_FILE = re.compile(r"\.xml(?:\.gz)?$|sitemap[\w-]*\.txt$")
_SITEMAP_PATH = re.compile(r"/[\w-]*sitemap[\w.-]*/?$")

# Anchor texts (whitespace and brackets removed) that mean "another page of this list".
_PAGE_WORDS = frozenset(
    "下一页 下页 后页 后一页 下一頁 上一页 上页 前页 前一页 上一頁 末页 尾页 最后一页 最末页 末頁 尾頁 "
    "next nextpage previous prev previouspage last lastpage > >> » › < << « ‹ >| »| >>|".split()
)
_FIRST_PAGE_WORDS = frozenset(("首页", "第一页", "首頁", "first", "firstpage"))
_HOME_PATH = re.compile(r"^/?(?:(?:index|default)\.\w+)?$", re.I)   # 首页 is also "home"
_NUMBERED_PAGE = re.compile(r"^第?\d{1,4}页?$")
_BRACKETS = "[]【】()（）《》<>«»‹›|"
_MORE = re.compile(r"^(?:更多|查看更多|more)", re.I)
_NOTHING = frozenset(("没有了", "无", "暂无", "没有了!", "没有了！", "已是第一篇", "已是最后一篇"))

# Alternate views of a page (never new text): anchor labels (whitespace and brackets removed,
# lower-cased) and URL shapes. Print, mobile and AMP views are aliases of the article they sit
# on; share and comment links lead to forms and threads, not news.
_ALTERNATE_LABELS = {
    **dict.fromkeys("打印 打印本页 打印此页 打印文章 打印本文 打印正文 打印预览 print printthis printerfriendly".split(),
                    "print"),
    **dict.fromkeys("手机版 手机浏览 手机阅读 手机访问 移动版 移动端 触屏版 wap mobile".split(), "mobile"),
    "amp": "amp",
    **dict.fromkeys("评论 发表评论 查看评论 我要评论 网友评论 comments comment".split(), "comments"),
}
_SHARE_LABEL = re.compile(r"^(?:分享|转发到|转发至|share|微博|微信|qq空间|qq好友|朋友圈|新浪微博|腾讯微博|豆瓣)", re.I)
VIEW_PARAMS = ("print", "printable", "amp", "share", "replytocom")   # a query naming an alternate view
_ALTERNATE_QUERY = re.compile(rf"(?:^|&)({'|'.join(VIEW_PARAMS)})=", re.I)
_ALTERNATE_PATH = re.compile(r"/(print)/|[_-](print)\.\w+$|/(amp)/?$", re.I)
_ALTERNATE_NAMES = {"printable": "print", "replytocom": "comments"}

# The article chain: a label (inside the anchor, or just before it) then the linked title.
_PREV_LABEL = label_pattern(PREV_LABELS)
_NEXT_LABEL = label_pattern(NEXT_LABELS)
_CHAIN_IN_TEXT = re.compile(rf"^[{re.escape(_BRACKETS)}]*(?:({_PREV_LABEL})|({_NEXT_LABEL}))", re.I)
_CHAIN_BEFORE = re.compile(rf"(?:({_PREV_LABEL})|({_NEXT_LABEL}))\s*[:：]?\s*$", re.I)
# Substrings without which no chain label can be on the page (a regex over 100 KB costs ms):
# the first two characters of each Chinese label, and 'revious' for the English ones (pages
# show 'Previous' beside 'Next'; English 'next' alone is in too many scripts to be a hint).
_CHAIN_HINTS = tuple(dict.fromkeys(label[:2] for label in PREV_LABELS + NEXT_LABELS if not label.isascii())) + (
    "revious",)
# one pass over the page for all hints: `any(hint in html …)` scanned a 140 KB page once per hint
_CHAIN_HINT_RE = re.compile("|".join(map(re.escape, _CHAIN_HINTS)))
# What every chain label ends with: a character (上一篇, 上一页文章) or an English word (next post).
_LABEL_LAST_CHARS = frozenset(label[-1] for label in PREV_LABELS + NEXT_LABELS if not label.isascii())
_LABEL_LAST_WORDS = frozenset(label.split()[-1] for label in PREV_LABELS + NEXT_LABELS if label.isascii())
# Either, in one search (`_may_be_label`): the words' letters in both cases spelled out, which
# matches what `word in text.lower()` finds (re.I would also take 'ſ' for 's').
_LABEL_END = re.compile("|".join(
    [f"[{''.join(sorted(_LABEL_LAST_CHARS))}]"]
    + ["".join(f"[{c}{c.upper()}]" if c.isalpha() else re.escape(c) for c in word) for word in sorted(_LABEL_LAST_WORDS)]))
_LABEL_TAGS = frozenset("span strong b em i font label td th dt".split())
_LABEL_PUNCTUATION = ":：　 »>›"

_URL_PARTS = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*)://([^/?#]*)([^?#]*)(?:\?([^#]*))?")
_HOST = re.compile(r"^(?:[^\s/?#@\[\]:]+|\[[0-9a-fA-F:.]+\])(?::\d*)?$")   # no userinfo, no junk
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")     # javascript:, mailto:, tel:, weixin:…
_WEB_NETLOC = re.compile(r"https?://([^/?#]*)", re.I)    # the host part of an absolute web URL
# A quoted page URL inside script code (window.open('…'), location.href='…', openWin("…")).
_SCRIPT_URL = re.compile(
    r"""['"]((?:https?://[^'"\s]+|[^'"\s:()<>]*?\.(?:s?html?|jsp|aspx?|php)(?:\?[^'"\s]*)?))['"]""", re.I)
# Tags that send discovery to read more than the links (page menus, JCMS datastore records),
# both found in one pass over the text: `in` tests of a 140 KB page took 0.40 ms, this 0.13 ms.
# (A <base> needs no test: the tree holds one only when the text does.)
_MARKUP_TO_READ = re.compile(r"<(?:option|recordset)")
# What a script that paginates (see `_script_pages`) cannot do without.
_PAGING_SCRIPT_WORDS = ("createPageHTML", "countPage", "jpage(")

# Query parameters that carry the page number; otherwise the last number of the path does.
PAGE_PARAMS = ("page", "pn", "pageno", "pagenum", "pageindex", "curpage", "currentpage", "p", "pg")
_PAGE_PARAM = re.compile(rf"[?&](?:{'|'.join(PAGE_PARAMS)})=(\d{{1,9}})(?!\d)", re.I)
_DIGITS = re.compile(r"\d+")

_LINK_NODES = "a[href], area[href], link[href], frame[src], iframe[src], meta[http-equiv]"
_NODES_TO_READ = f"{_LINK_NODES}, script, base[href], select[onchange]"   # see `_Nodes`
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\"\s>]+)", re.I)
_JS_REDIRECT = re.compile(
    r"(?:location(?:\.href)?\s*=|location\.(?:replace|assign)\s*\()\s*['\"]([^'\"]+)['\"]")
_URLISH = re.compile(r"[/.?]")                           # an option value that is a URL, not '0'
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)

# TRS WCM: createPageHTML([elementId,] total, current, "index", "html"[, records])
_CREATE_PAGE_CALL = re.compile(r"(?<![\w.])createPageHTML\s*\(([^()]*)\)")
_JS_ARG = re.compile(r"\"([^\"]*)\"|'([^']*)'|([\w.$]+)")
_JPAGE_CALL = re.compile(r"""\(\s*['"]#(\w+)['"]\s*\)\s*\.jpage\(\s*\{(.*?)\}\s*\)""", re.S)
_JPAGE_TOTAL = re.compile(r"\btotalRecord\s*:\s*(\d{1,9})\b")
_JPAGE_PER_PAGE = re.compile(r"\bperPage\s*:\s*(\d{1,9})\b")
_COUNT_PAGE = re.compile(r"\bcountPage\s*=\s*(\d{1,9})\b")
_JS_PREFIX = re.compile(r"[\"'](\w+)_[\"']\s*\+")
_JS_SUFFIX = re.compile(r"\+\s*[\"']\.(s?html?)[\"']")


@dataclass
class Link:
    url: str               # absolute, fragment removed (the crawler canonicalizes)
    points_to: str         # 'article' | 'list' | 'sitemap' | 'feed' | 'attachment' | 'other'
    rel: str | None = None # 'prev' / 'next' (article chain), 'page' (list pagination),
                           # 'sitemap-page' (网站地图/XML地图 link), None for ordinary links;
                           # for points_to 'alternate': 'print', 'mobile', 'amp', 'share', 'comments'
                           # or 'own-feed' (the page's own feed: see _feed_link)
    text: str = ""


# ---------------------------------------------------------------------------------------------
# URL classification
# ---------------------------------------------------------------------------------------------

def classify_url(url: str) -> str:
    """'article' | 'list' | 'attachment' | 'asset' | 'other', from the URL's shape alone.

    A hint, not a verdict: 'other' means unsure (the crawler fetches those too, and the
    extractor decides). Article shapes win over list shapes because an article URL often
    sits under a list directory.
    """
    m = _URL_PARTS.match(url)
    return _classify(m.group(3), m.group(4) or "") if m else "other"


@lru_cache(maxsize=4096)
def _classify(path: str, query: str) -> str:
    """`classify_url` of a URL's path and query. Kept across pages (a pure function of its
    arguments): a page repeats a quarter of its links, a site's pages their menus, and the
    dozen regexes here were the largest cost of discovery after the tree walk."""
    path = path.lower() or "/"
    leaf = path[path.rfind("/") + 1:]
    ext = _extension(leaf)
    if ext in _ASSET_EXT:
        return "asset"
    if ext in ATTACHMENT_EXTENSIONS and not path.endswith(".xml.gz"):
        return "attachment"
    query = query.lower()
    if query and _QUERY_ATTACHMENT.search(query):
        return "attachment"                       # download.jsp?filename=通知.pdf
    if _DOWNLOAD.fullmatch(leaf) or "wbfileid=" in query:
        return "attachment"                       # download scripts; VSB attachment ids
    taxonomy = _TAXONOMY.search(path) or (query and _TAXONOMY_QUERY.search(query))
    if not query and _LIST_LEAF.fullmatch(leaf):
        return "other" if taxonomy else "list"    # /2023/11/05/index.html is a day's list
    last = leaf or path.rstrip("/").rpartition("/")[2]
    if (_ARTICLE_LEAF_RE.fullmatch(last) or _ARTICLE_PATH_RE.search(path)
            or (query and (_ARTICLE_QUERY_RE.search(query)
                           or (_DETAIL_LEAF.fullmatch(leaf) and _ID_PARAM.search(query))
                           or (path in ("/", "/index.php") and _WORDPRESS_POST.search(query))))):
        return "article"
    if taxonomy:
        return "other"                            # a tag's page: a hub (see _TAXONOMY)
    if (_LIST_LEAF_RE.fullmatch(leaf) or _LIST_PATH_RE.search(path)
            or (query and _LIST_QUERY_RE.search(query))):
        return "list"
    return "other"


def _extension(path: str) -> str:
    leaf = path.rpartition("/")[2]
    return leaf.rpartition(".")[2] if "." in leaf else ""


# ---------------------------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------------------------

def discover_links(html: str, url: str, max_fill: int = MAX_FILL, *,
                   tree: LexborHTMLParser | None = None,
                   host_allowed: Callable[[str], bool] | None = None,
                   encoding: str | None = None) -> list[Link]:
    """All followable links of a page, classified, in document order.

    Sources: <a>/<area>/<link>, frames, list iframes, meta refresh, page menus
    (<select onchange=location…>), JCMS datastore records, script pagination (TRS
    createPageHTML/countPage, JCMS jpage), and a redirect script when the page has no links.
    Duplicates are merged (a later occurrence may add a rel the first lacked); javascript:,
    mailto:, tel: links, assets and links to the page itself are dropped; <base href> is
    honoured. Pagination ranges (下一页 … 末页, numbered links) are filled in, up to
    ``max_fill`` pages per range. `tree` is `html` already parsed (only read here), so that the
    crawler parses a page once for discovery and extraction. `host_allowed(host)` false drops
    an <a>/<area>/<link> before it is classified: on real pages most links lead to other sites,
    and the crawler would only throw them away. `encoding` is the page's: Chinese in a link's
    query is sent in it, as browsers do (see `_Resolver`).
    """
    if tree is None:
        tree = parse_html(html)
    page = _Page(urldefrag(url)[0], html)
    markup = set(_MARKUP_TO_READ.findall(html))
    nodes = _Nodes(tree)
    resolve = _Resolver(_base_url(nodes.base, page.url), host_allowed, encoding)
    found = _Links(page.url)
    for node in nodes.links:
        if node.tag in ("a", "area", "link"):
            link = _link_for(node, resolve, page)
        else:
            link = _embedded_link(node, resolve)
        if link is not None:
            found.add(link)
    if "<option" in markup:
        _from_jump_menus(nodes.menus, resolve, page, found)
    if "<recordset" in markup:
        _from_datastore(html, resolve, page, found)
    # A script without those words paginates to nothing: reading the scripts' text (0.07 ms)
    # costs less than looking for the words in the whole page (0.30 ms).
    for script in nodes.scripts:
        code = script.text()
        if any(word in code for word in _PAGING_SCRIPT_WORDS):
            for url in _script_pages(code, resolve, max_fill):
                found.add(Link(url, "list", "page"))
    if not found.by_url and "location" in html:
        _from_redirect_script(nodes.scripts, resolve, found)
    _fill_page_ranges(found, page.url, max_fill)
    return found.links()


class _Page:
    """The page being read: its URL and, computed once, what the rules ask about it."""

    def __init__(self, url: str, html: str) -> None:
        self.url = url
        self.html = html
        m = _URL_PARTS.match(url)
        self.netloc = m.group(2) if m else ""
        self.shape = _classify(m.group(3), m.group(4) or "") if m else "other"
        key = _page_key(url)
        self.key = key[0] if key else None        # the URL with its page number masked

    @cached_property
    def chain_possible(self) -> bool:
        """Whether a chain label can be on the page at all. Asked only once a link looks
        labelled: the search of the whole text (0.3 ms on a page without one) costs more
        than the label checks of all its links."""
        return _CHAIN_HINT_RE.search(self.html) is not None


class _Links:
    """Links by URL in first-seen order; a repeated URL keeps the most specific rel/text.

    A link labelled as the first page (首页, 1) whose URL carries the page number 1
    (`list.asp?classid=11&page=1`, as old ASP pagers write it, for 上一页 from page 2 too)
    is the URL without it: the page a list's section link or an article's own URL names.
    Before, each such list and multi-page article was fetched twice. A site counting pages
    from 0 labels its `page=1` 2 or 下一页, and keeps it."""

    def __init__(self, page: str) -> None:
        self.page = page
        self.by_url: dict[str, Link] = {}
        self.firsts: dict[str, str] = {}     # a first page's URL with its number → without it

    def add(self, link: Link) -> None:
        if link.url == self.page:
            return
        if (plain := _first_page_plain(link)) is not None:
            self.firsts[link.url] = plain
        old = self.by_url.get(link.url)
        if old is None:
            self.by_url[link.url] = link
            return
        if old.rel is None and link.rel is not None:
            old.rel, old.points_to = link.rel, link.points_to
        if not old.text:
            old.text = link.text

    def links(self) -> list[Link]:
        if not self.firsts:
            return list(self.by_url.values())
        out: dict[str, Link] = {}
        for url, link in self.by_url.items():
            plain = self.firsts.get(url, url)
            if plain != self.page and plain not in out:
                out[plain] = link if plain == url else replace(link, url=plain)
        return list(out.values())


def _first_page_plain(link: Link) -> str | None:
    """The URL of `link` without its page number when the link names the first page (its text
    a first-page word or 1) by the page number 1, else None (see `_Links`)."""
    if "=1" not in link.url:
        return None               # every link is asked: most have no `=1` to search for
    m = _PAGE_PARAM.search(link.url)
    if m is None or m.group(1) != "1":
        return None
    core = "".join(link.text.split()).lower().strip(_BRACKETS)
    if core not in _FIRST_PAGE_WORDS and core not in ("1", "第1页"):
        return None
    name = m.group(0)[1:].partition("=")[0]
    return strip_params(link.url, {f"{name}=1"})


class _Nodes:
    """The elements discovery reads, by kind, in document order, from one CSS query: each
    query is a walk of the whole tree by lexbor's selector engine, whatever it looks for, and
    the links, the scripts, the <base> and the page menus took up to four (one walk instead
    of two saves ~0.03 ms of discovery's 1.5 on the corpus pages)."""

    def __init__(self, tree: LexborHTMLParser) -> None:
        self.links: list[LexborNode] = []     # _LINK_NODES
        self.scripts: list[LexborNode] = []
        self.menus: list[LexborNode] = []     # select[onchange]: page menus (`_from_jump_menus`)
        self.base: LexborNode | None = None   # the first <base href>
        for node in tree.css(_NODES_TO_READ):
            tag = node.tag
            if tag == "script":
                self.scripts.append(node)
            elif tag == "select":
                self.menus.append(node)
            elif tag == "base":
                if self.base is None:
                    self.base = node
            else:
                self.links.append(node)


def _base_url(base: LexborNode | None, url: str) -> str:
    """The URL hrefs are relative to: `base`'s href (the page's first <base href>), else `url`."""
    href = (base.attributes.get("href") or "").strip() if base is not None else ""
    if href:
        resolved = urldefrag(urljoin(url, href))[0]
        if urlsplit(resolved).scheme in ("http", "https"):
            return resolved
    return url


_ELSEWHERE = ("", "", "", "")   # `_Resolver._resolve`: a web URL on a host `host_allowed` refuses


def _is_utf8(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return True              # an encoding we cannot encode with: leave queries to UTF-8


def _encode_query(query: str, encoding: str) -> str:
    """`query` with its non-ASCII characters percent-encoded in `encoding`; one it cannot
    encode becomes `&#N;` first, as in browsers."""
    out = []
    for ch in query:
        if ch.isascii():
            out.append(ch)
            continue
        try:
            out.append("".join(f"%{b:02X}" for b in ch.encode(encoding)))
        except UnicodeEncodeError:
            out.append(f"%26%23{ord(ch)}%3B")
    return "".join(out)


def _with_query(resolved: tuple[str, str, str, str], query: str) -> tuple[str, str, str, str]:
    absolute, netloc, path, old = resolved
    return absolute[: len(absolute) - len(old)] + query, netloc, path, query


class _Resolver:
    """``urljoin`` for the shapes hrefs take, memoised per page.

    urljoin + urlsplit cost more than everything else done for a link, and navigation
    repeats the same hrefs; only dot segments (``../``) still go through urljoin.
    Returns (absolute URL without fragment, netloc, path, query), or None for what cannot
    be fetched (javascript:, mailto:, tel:, bad hosts…).

    Non-ASCII characters in a query are percent-encoded in the page's `encoding`, as browsers
    do (the WHATWG URL standard; the path is always UTF-8): `news.asp?lb=学校新闻` on a GBK page
    asks for `lb=%D1%A7%D0%A3…`. Old ASP/JSP sites read their queries in the page's encoding,
    and the UTF-8 form a plain canonicalization would send names another (often empty) list.
    """

    def __init__(self, base: str, host_allowed: Callable[[str], bool] | None = None,
                 encoding: str | None = None) -> None:
        parts = urlsplit(base)
        self.host_allowed = host_allowed
        self.query_encoding = encoding if encoding and not _is_utf8(encoding) else None
        self.allowed: dict[str, bool] = {}       # by netloc
        path = parts.path or "/"
        self.base = base
        self.scheme = parts.scheme
        self.netloc = parts.netloc
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.path = path
        self.directory = path[: path.rfind("/") + 1]
        self.cache: dict[str, tuple[str, str, str, str] | None] = {}
        self.hosts: dict[str, bool] = {parts.netloc: bool(_HOST.match(parts.netloc))}

    def __call__(self, href: str | None) -> tuple[str, str, str, str] | None:
        if not href:
            return None
        try:
            result = self.cache[href]
        except KeyError:
            result = self._resolve(href)
            if (self.query_encoding and result is not None and result is not _ELSEWHERE
                    and not result[3].isascii()):
                result = _with_query(result, _encode_query(result[3], self.query_encoding))
            self.cache[href] = result
        return None if result is _ELSEWHERE else result

    def elsewhere(self, href: str | None) -> bool:
        """Whether `href` was resolved to None because `host_allowed` refuses its host."""
        return self.cache.get(href or "") is _ELSEWHERE

    def join(self, href: str) -> str | None:
        resolved = self(href)
        return resolved[0] if resolved else None

    def _resolve(self, href: str) -> tuple[str, str, str, str] | None:
        href = href.strip()
        if "\t" in href or "\n" in href or "\r" in href:
            href = URL_NOISE.sub("", href)        # browsers drop these inside hrefs
        href = href.replace("\\", "/").partition("#")[0]
        if not href:
            return None                           # '#top': this page
        first = href[0]
        if first in "hH" and self.host_allowed is not None:
            # most links of a real page lead to other sites: drop them before any other parsing
            m = _WEB_NETLOC.match(href)
            if m is not None and not self.allows(m.group(1)):
                return _ELSEWHERE
        if first == "/" and not href.startswith("//") and "./" not in href:
            path, _, query = href.partition("?")  # the common case, without a regex
            return self.origin + href, self.netloc, path, query
        if first == "?":
            return self.origin + self.path + href, self.netloc, self.path, href[1:]
        if first != "/" and "./" not in href and href not in (".", "..") and not _SCHEME.match(href):
            path, _, query = href.partition("?")
            path = self.directory + path
            return self.origin + path + ("?" + query if query else ""), self.netloc, path, query
        if href.startswith("//"):
            absolute = f"{self.scheme}:{href}"
        elif _SCHEME.match(href):
            if not href[:8].lower().startswith(("http://", "https://")):
                return None                       # javascript:, mailto:, tel:, ftp:, weixin:…
            absolute = href
        else:
            absolute = urljoin(self.base, href)   # dot segments
        m = _URL_PARTS.match(absolute)
        if m is None or m.group(1).lower() not in ("http", "https") or not self._good_host(m.group(2)):
            return None
        return absolute, m.group(2), m.group(3), m.group(4) or ""

    def allows(self, netloc: str) -> bool:
        """Whether `host_allowed` admits the host of `netloc` (asked once per netloc)."""
        if self.host_allowed is None:
            return True
        known = self.allowed.get(netloc)
        if known is None:
            known = self.allowed[netloc] = self.host_allowed(_netloc_host(netloc))
        return known

    def _good_host(self, netloc: str) -> bool:
        known = self.hosts.get(netloc)
        if known is None:
            known = self.hosts[netloc] = bool(_HOST.match(netloc))
        return known


@lru_cache(maxsize=1024)
def _netloc_host(netloc: str) -> str:
    """The host of a netloc, kept across pages: a site's pages link the same few dozen hosts
    (its sections, portals, share sites), and parsing each again cost more per page than
    resolving its links."""
    return host_of(f"http://{netloc}/")


def _scripted_target(attrs: dict, resolve: _Resolver) -> tuple[str, str, str, str] | None:
    """The page a ``javascript:`` link opens: ``href="javascript:void(0)"
    onclick="window.open('/art/2023/11/5/art_1_2.html')"`` is common on government sites."""
    for code in (attrs.get("href"), attrs.get("onclick")):
        if code and ("(" in code or "=" in code):
            m = _SCRIPT_URL.search(code)
            if m:
                return resolve(m.group(1))
    return None


def _anchor_text(node, attrs: dict) -> str:
    text = " ".join(node.text(deep=True).split())
    if not text:
        text = (attrs.get("title") or "").strip()
    if not text:
        img = node.css_first("img[alt]")
        text = (img.attributes.get("alt") or "").strip() if img is not None else ""
    return text[:_MAX_TEXT]


def _link_for(node, resolve: _Resolver, page: _Page, read_chain: bool = True) -> Link | None:
    attrs = node.attributes
    href = attrs.get("href")
    resolved = resolve(href)
    if resolved is None:
        if resolve.elsewhere(href):
            return None
        resolved = _scripted_target(attrs, resolve)
        if resolved is None:
            return None
    absolute, netloc, path, query = resolved
    if not resolve.allows(netloc):
        return None
    shape = _classify(path, query)
    if shape == "asset":
        return None
    if node.tag == "link":
        return _head_link(attrs, absolute, path, query, shape, page)
    text = _anchor_text(node, attrs)
    rel_attr = (attrs.get("rel") or "").lower().split()
    view = _alternate_view(text, path, query, rel_attr)
    if view is not None:
        return Link(absolute, "alternate", view, text)
    chain = _chain_rel(node, attrs, text) if read_chain else None
    if chain is not None and not page.chain_possible:    # (asked last: see `_Page.chain_possible`)
        chain = None
    if chain is None and ("next" in rel_attr or "prev" in rel_attr or "previous" in rel_attr):
        if _is_pagination_target(absolute, shape, page):
            return Link(absolute, "list", "page", text)
        chain = "next" if "next" in rel_attr else "prev"
    if chain is not None and shape not in ("list", "attachment"):
        return Link(absolute, "article", chain, text)
    lower_path = path.lower()
    short = len(text) <= 12                       # labels are short; titles are not
    if (("sitemap" in lower_path and _SITEMAP_PATH.search(lower_path))
            or (short and _SITEMAP_TEXT.match(text))):
        shape = "sitemap" if _SITEMAP_FILE.search(lower_path) else "list"
        return Link(absolute, shape, "sitemap-page", text)
    if ((lower_path.endswith(_FEED_ENDINGS) and _FEED_PATH.search(lower_path))
            or (query and _FEED_QUERY.search(query))):
        return _feed_link(absolute, path, query, text, page)
    if short and shape not in ("article", "attachment") and _is_pagination_text(text, netloc, path, page):
        return Link(absolute, "list", "page", text)
    if shape == "other" and short and _MORE.match(text):
        shape = "list"                             # 更多>> leads to the section's list page
    elif shape == "other" and "." in text and _extension(text.lower()) in _DOCUMENT_EXT:
        shape = "attachment"                       # download.jsp?id=… labelled 通知.pdf
    return Link(absolute, shape, None, text)


def _alternate_view(text: str, path: str, query: str, rel: list[str]) -> str | None:
    """'print' | 'mobile' | 'amp' | 'share' | 'comments' when a link leads to another view of
    the page it is on (by its label, rel=amphtml, or its URL's shape), else None."""
    if "amphtml" in rel:
        return "amp"
    core = "".join(text.split()).strip(_BRACKETS).lower()
    if core and len(core) <= 12:
        view = _ALTERNATE_LABELS.get(core)
        if view is not None:
            return view
        if _SHARE_LABEL.match(core):
            return "share"
    m = _ALTERNATE_QUERY.search(query) if query else None
    if m is None:
        m = _ALTERNATE_PATH.search(path)
    if m is None:
        return None
    name = next(g for g in m.groups() if g).lower()
    return _ALTERNATE_NAMES.get(name, name)


def _feed_link(absolute: str, path: str, query: str, text: str, page: _Page) -> Link:
    """A feed, unless it is one that lists no news (see _COMMENTS_FEED_PATH): WordPress puts
    a comments feed on every post, which would double the requests of a crawl."""
    if (_COMMENTS_FEED_PATH.search(path) or (query and _COMMENTS_FEED_QUERY.search(query))
            or _COMMENTS_FEED_LABEL.search(text)):
        return Link(absolute, "alternate", "comments", text)
    own = page.url.partition("?")[0].rstrip("/")
    if absolute.startswith(own) and absolute[len(own):] in _OWN_FEED and own.count("/") > 2:
        return Link(absolute, "alternate", "own-feed", text)   # (a home page's own is the site's feed)
    return Link(absolute, "feed", None, text)


def _head_link(attrs: dict, absolute: str, path: str, query: str, shape: str, page: _Page) -> Link | None:
    """<link>: feeds, rel=next/prev (pagination on lists, the chain on articles), sitemaps,
    AMP and mobile twins (rel=amphtml; rel=alternate with a media query)."""
    rel = (attrs.get("rel") or "").lower().split()
    mime = (attrs.get("type") or "").lower()
    if "amphtml" in rel:
        return Link(absolute, "alternate", "amp")
    if "alternate" in rel and attrs.get("media") and not mime:
        return Link(absolute, "alternate", "mobile")
    if "alternate" in rel and ("rss" in mime or "atom" in mime):
        return _feed_link(absolute, path, query, attrs.get("title") or "", page)
    if "sitemap" in rel:
        return Link(absolute, "sitemap", "sitemap-page")
    if "next" in rel or "prev" in rel or "previous" in rel:
        if _is_pagination_target(absolute, shape, page):
            return Link(absolute, "list", "page")
        return Link(absolute, "article", "next" if "next" in rel else "prev")
    return None


def _is_pagination_target(target: str, shape: str, page: _Page) -> bool:
    """rel=next on a list page is pagination; on an article page it is the chain."""
    if shape == "list" or page.shape == "list":
        return True
    key = _page_key(target)
    return shape != "article" and key is not None and key[0] == page.key


def _is_pagination_text(text: str, netloc: str, path: str, page: _Page) -> bool:
    core = "".join(text.split()).lower()
    if core in _PAGE_WORDS:
        return True
    stripped = core.strip(_BRACKETS)
    if stripped in _PAGE_WORDS or _NUMBERED_PAGE.match(stripped):
        return netloc == page.netloc
    if stripped in _FIRST_PAGE_WORDS:
        return not _HOME_PATH.match(path)
    return False


def _chain_rel(node, attrs: dict, text: str) -> str | None:
    """'prev'/'next' when the anchor is labelled 上一篇/下一篇 (inside it or just before it)."""
    if text in _NOTHING:
        return None
    title = attrs.get("title")
    for candidate in (text, title) if title and title != text else (text,):
        m = _may_be_label(candidate) and _CHAIN_IN_TEXT.match(candidate.replace(" ", ""))
        if m:
            return "prev" if m.group(1) else "next"
    label = _label_before(node)
    m = _may_be_label(label) and _CHAIN_BEFORE.search(label)
    if m:
        return "prev" if m.group(1) else "next"
    return None


def _may_be_label(text: str) -> bool:
    """A cheap test before the regexes: the chain check runs for every link of a page (one
    search of the first 24 characters costs a third of testing each ending in turn)."""
    return _LABEL_END.search(text, 0, 24) is not None


def _label_before(node, levels: int = 3) -> str:
    """The closest non-empty text before the anchor: its previous siblings, else those of its
    parent (``<span>上一篇：</span><a>``, ``<td>上一条</td><td><a>``, ``<p>下一篇：<span><a>``).
    Only text and inline/cell elements can hold the label: stopping at anything else (another
    link, a list item) keeps one label from being credited to two anchors, and keeps this
    cheap enough to run for every link of a page."""
    collected = ""
    for _ in range(levels):
        sibling = node.prev
        while sibling is not None:
            if sibling.is_text_node:
                text = sibling.text_content or ""
            elif sibling.tag in _LABEL_TAGS:
                text = sibling.text(deep=True)
            else:
                return collected                  # a link, a list item, a block: no label
            collected = text.strip() + collected
            if collected.strip(_LABEL_PUNCTUATION):
                return collected[-20:]            # '<b>上一篇</b>: <a>' needs both pieces
            sibling = sibling.prev
        node = node.parent
        if node is None or node.tag in ("body", "html"):
            break
    return collected


# ---------------------------------------------------------------------------------------------
# Script-generated lists and pagination
# ---------------------------------------------------------------------------------------------

def _embedded_link(node, resolve: _Resolver) -> Link | None:
    """<frame>/<iframe> pages and <meta http-equiv=refresh> targets. Old government sites
    put their lists in framesets and send the home page on with a meta refresh."""
    attrs = node.attributes
    if node.tag == "meta":
        if (attrs.get("http-equiv") or "").lower() != "refresh":
            return None
        return _refresh_target(attrs.get("content"), resolve)
    resolved = resolve(attrs.get("src"))
    if resolved is None:
        return None
    shape = _classify(resolved[2], resolved[3])
    if shape == "asset" or (node.tag == "iframe" and shape not in ("article", "list")):
        return None                               # iframes are mostly players, maps and ads
    return Link(resolved[0], shape)


def _refresh_target(content: str | None, resolve: _Resolver) -> Link | None:
    """The page a refresh (`0; url=…`) sends a browser on to; nothing for a plain reload."""
    m = _REFRESH_URL.search(content or "")
    resolved = resolve(m.group(1)) if m else None
    if resolved is None:
        return None
    shape = _classify(resolved[2], resolved[3])
    return None if shape == "asset" else Link(resolved[0], shape)


def refresh_link(header: str | None, base: str) -> Link | None:
    """Where an HTTP `Refresh: 0; url=/col/index.html` header sends a browser on, read as
    `<meta http-equiv=refresh>` is in a page: old portals answer their home page with it and
    an empty body."""
    return _refresh_target(header, _Resolver(base)) if header else None


def _from_jump_menus(menus: list[LexborNode], resolve: _Resolver, page: _Page, found: _Links) -> None:
    """<select onchange="location.href=this.value"><option value="list_5_2.html">2</option>:
    DedeCMS-style page menus (and link menus, which come out as ordinary links), from the
    page's `select[onchange]` elements."""
    for select in menus:
        onchange = select.attributes.get("onchange") or ""
        if "location" not in onchange and "open(" not in onchange:
            continue
        for option in select.css("option[value]"):
            value = (option.attributes.get("value") or "").strip()
            resolved = resolve(value) if _URLISH.search(value) else None
            if resolved is None:
                continue
            absolute, netloc, path, query = resolved
            shape = _classify(path, query)
            text = " ".join(option.text().split())
            if shape in ("article", "attachment", "asset"):
                if shape != "asset":
                    found.add(Link(absolute, shape, None, text))
            elif _is_pagination_text(text, netloc, path, page):
                found.add(Link(absolute, "list", "page", text))
            else:
                found.add(Link(absolute, shape, None, text))


def _from_datastore(html: str, resolve: _Resolver, page: _Page, found: _Links) -> None:
    """大汉 JCMS keeps a list's records as HTML in CDATA sections of a <datastore>, inside
    <script type="text/xml"> on the page, or as the whole body of its dataproxy.jsp answer;
    an HTML parser sees neither."""
    records = "\n".join(_CDATA.findall(html))
    for node in parse_html(records).css("a[href]"):
        link = _link_for(node, resolve, page, read_chain=False)
        if link is not None:
            found.add(link)


def _from_redirect_script(scripts: list[LexborNode], resolve: _Resolver, found: _Links) -> None:
    """A page with no links whose script (one of `scripts`) sends the browser on (location.href = '/web/')."""
    for script in scripts:
        m = _JS_REDIRECT.search(script.text())
        resolved = resolve(m.group(1)) if m else None
        if resolved is not None:
            found.add(Link(resolved[0], _classify(resolved[2], resolved[3])))


def _script_pages(code: str, resolve: _Resolver, max_fill: int) -> list[str]:
    """Pages a script paginates to. TRS WCM: index.html, index_1.html … index_{total-1}.html;
    大汉 JCMS: ?uid=…&pageNum=2 … pageNum=⌈records/perPage⌉."""
    for call in _CREATE_PAGE_CALL.finditer(code):
        if code[max(0, call.start() - 9):call.start()].strip().endswith("function"):
            continue                               # the definition, not a call
        args = [_js_value(m, code) for m in _JS_ARG.finditer(call.group(1))]
        if args and isinstance(args[0], str) and len(args) >= 5:
            args = args[1:]                        # createPageHTML('page_div', 5, 1, 'index', 'html')
        if len(args) >= 4:
            pages, prefix, suffix = args[0], args[2], args[3]
            if isinstance(pages, int) and isinstance(prefix, str) and isinstance(suffix, str):
                return _numbered_pages(resolve, pages, prefix, suffix, max_fill)
    # 大汉 JCMS: $('#5678').jpage({… totalRecord: 245, perPage: 15 …}) pages as ?uid=5678&pageNum=N.
    jpage = _JPAGE_CALL.search(code)
    if jpage:
        total, per_page = _JPAGE_TOTAL.search(jpage.group(2)), _JPAGE_PER_PAGE.search(jpage.group(2))
        if total and per_page and int(per_page.group(1)) > 0:
            count = min(-(-int(total.group(1)) // int(per_page.group(1))), max_fill)
            names = [f"?uid={jpage.group(1)}&pageNum={n}" for n in range(2, count + 1)]
            return [url for url in map(resolve.join, names) if url]
    # The older TRS template writes its links itself: countPage = 25 … "index_" + nextPage + ".html".
    count_page = _COUNT_PAGE.search(code)
    written = _JS_PREFIX.search(code) if count_page else None
    if count_page and written:
        ending = _JS_SUFFIX.search(code)
        return _numbered_pages(resolve, int(count_page.group(1)), written.group(1),
                               ending.group(1) if ending else "html", max_fill)
    return []


def _js_value(m: re.Match, code: str) -> int | str | None:
    """A literal argument, or an identifier resolved through ``name = 12`` in the same script."""
    if m.group(3) is None:
        return m.group(1) if m.group(1) is not None else m.group(2)
    token = m.group(3)
    if token.isdigit():
        return int(token) if len(token) <= 9 else None
    assigned = re.search(rf"(?<![\w.]){re.escape(token)}\s*=\s*(\d{{1,9}})\b", code)
    return int(assigned.group(1)) if assigned else None


def _numbered_pages(resolve: _Resolver, total: int, prefix: str, suffix: str, max_fill: int) -> list[str]:
    if not re.fullmatch(r"[\w-]+", prefix) or not re.fullmatch(r"\w+", suffix):
        return []
    names = [f"{prefix}.{suffix}"] + [f"{prefix}_{i}.{suffix}" for i in range(1, min(total, max_fill))]
    return [url for url in map(resolve.join, names) if url]


def _page_key(url: str) -> tuple[str, int] | None:
    """(url with its page number masked, the number), or None if it has none.

    The page number is the value of a page parameter, else the last number of the path
    (index_3.html, xwzx/3.htm, list1012/3.htm, /page/3/)."""
    parts = _URL_PARTS.match(url)
    if parts is None:
        return None
    param = _PAGE_PARAM.search(url, parts.end(3))
    if param:
        start, end = param.span(1)
    else:
        numbers = list(_DIGITS.finditer(url, parts.start(3), parts.end(3)))
        if not numbers or len(numbers[-1].group()) > 9:
            return None                           # no number, or an id rather than a page
        start, end = numbers[-1].span()
    return url[:start] + "\0" + url[end:], int(url[start:end])


# Pages of one multi-page article: the first page's URL plus a part number, as a query parameter
# (?page=2, &pageNum=2), a leaf suffix (5001_2.htm, TRS t…_5001_1.html) or a last directory
# (WordPress /slug/2/). Part numbers are small; longer numbers are ids.
_PART_PARAM = re.compile(r"(?:^|&)(?:page|pagenum|pageno|pn|p|curpage|currentpage|pageindex)=(\d{1,3})(?=&|$)", re.I)
_PART_LEAF = re.compile(r"^(.*)_(\d{1,3})(\.\w+)$")
_PART_DIR = re.compile(r"^(.*/)(\d{1,3})/?$")


def _part_key(url: str) -> tuple[str, int]:
    """(the URL with its part number removed, the number), or (url, 0) when it has none."""
    parts = urlsplit(url)
    m = _PART_PARAM.search(parts.query) if parts.query else None
    if m:
        query = (parts.query[:m.start()] + parts.query[m.end():]).strip("&").replace("&&", "&")
        return urlunsplit(parts._replace(query=query)), int(m.group(1))
    m = _PART_LEAF.match(parts.path) or _PART_DIR.match(parts.path)
    if m:
        return urlunsplit(parts._replace(path=m.group(1) + (m.group(3) if m.re is _PART_LEAF else ""))), int(m.group(2))
    return url, 0


def article_parts(url: str, links: list[Link], unread: Set[str] = frozenset()) -> list[str]:
    """The other pages of the multi-page article at `url`, in reading order: the targets of
    its in-article pager (共N页 1 2 3 下一页) that are the same URL with another part number,
    once the query parameters `unread` are taken out of it (a session id new in each answer:
    see scraper.dust). Call it for article pages only: a list page's pagination is not an
    article's parts."""
    base = _part_key(url)[0]
    firsts = {url, base}
    found: dict[str, int] = {}
    for link in links:
        core = "".join(link.text.split()).lower().strip(_BRACKETS)
        target = strip_params(link.url, unread) if unread else link.url
        if target == url or not core or len(core) > 12 or not (
                core in _PAGE_WORDS or core in _FIRST_PAGE_WORDS or _NUMBERED_PAGE.match(core)):
            continue
        if target == base:
            found[link.url] = 0
            continue
        other, number = _part_key(target)
        if other in firsts and number:
            found[link.url] = number
    return sorted(found, key=found.__getitem__)


def first_part(url: str, parts: list[str]) -> str | None:
    """The first page of the multi-page article of which `url` is a later page (its pager,
    `parts`, links the first), else None."""
    base, number = _part_key(url)
    return base if number and base in parts else None


def _fill_page_ranges(found: _Links, page: str, max_fill: int) -> None:
    """Pagination links that differ only in their page number span a range: add the pages
    between them (下一页 → xwzx/5.htm and 尾页 → xwzx/1.htm give xwzx/2…4.htm)."""
    groups: dict[str, set[int]] = {}
    numbers_seen: dict[str, list[int]] = {}
    for url in [page] + [l.url for l in found.links() if l.rel == "page"]:
        key = _page_key(url)
        if key is not None:
            groups.setdefault(key[0], set()).add(key[1])
            numbers_seen.setdefault(key[0], []).append(key[1])
    for template, numbers in groups.items():
        if len(numbers) < 2:
            continue
        low, high = min(numbers), max(numbers)
        if high - low + 1 > max_fill:
            # Keep the pages nearest the first one seen (this page, or 下一页 / "2" coming
            # before 末页): newest first, whether a CMS numbers pages up (index_N) or down (VSB).
            anchor = numbers_seen[template][0]
            low = max(low, min(anchor - max_fill // 2, high - max_fill + 1))
            high = low + max_fill - 1
        for n in range(low, high + 1):
            if n not in numbers:
                found.add(Link(template.replace("\0", str(n)), "list", "page"))
