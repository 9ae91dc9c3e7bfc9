"""Chinese news page -> `Article`: decode, one tree walk, then each field from the page model.

Public API: `extract_article` (`parse_page` + `extract_parsed` let the crawler's pipeline share
the parsed tree with link discovery). Everything else in this package may change.
"""
from __future__ import annotations

from codecs import BOM_UTF8
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

from ..article import Article
from ..decode import decode_html
from ..htmltree import parse_html
from .body import BodyRange, body_lines, body_text, extend_lead, find_body
from .card import account_credit
from .classify import garbage_reason, is_list_page
from .dates import date_from_url
from .dom import Page, build_page, cycle_collection_paused
from .fields import byline_author
from .foreign import complete
from .header import Header, block_values, epaper_date, read_header, signature_date
from .links import attachments, base_url, canonical, images, prev_next
from .meta import doc_title, meta_date, read_meta
from .overrides import apply_overrides
from .profile import TEMPLATE_LINE_MIN, PageTraits, SiteProfile, block_key, learn_profile, line_key
from .site import LazySite
from .title import find_title, first_heading, heading_near, nearest_copy

__all__ = ["ParsedPage", "PageTraits", "SiteProfile", "extract_article", "extract_parsed", "extract_traced", "learn_profile",
           "page_traits", "parse_page"]

_BYLINE_LINES = 2       # first/last lines of the text where an in-text byline is looked for
_BYLINE_LINE_MAX = 20   # a line this short may be a byline of its own (《棱镜》作者 周纯)
_SIGNATURE_LINES = 2    # last lines of the text where a notice's signing date stands
_ATTACHMENT_TAIL = 15   # lines after the text where 附件 links still belong to the article
_TITLE_BODY_GAP = 40    # lines between headline and text beyond which the headline match is doubted


@dataclass
class ParsedPage:
    """A page decoded and parsed once, so that extraction and link discovery share one tree.
    `tree` is None when the page is unusable; `reason` then says why."""

    text: str
    encoding: str | None
    tree: LexborHTMLParser | None
    reason: str | None = None


def parse_page(html: bytes | str, *, http_charset: str | None = None) -> ParsedPage:
    """Decode (bytes) and parse; never raises."""
    if isinstance(html, (bytes, bytearray, memoryview)):
        data = bytes(html)
        reason = garbage_reason(data)
        if reason:
            return ParsedPage("", None, None, reason)
        text, encoding = decode_html(data, http_charset)
    else:
        data, text, encoding = None, html or "", None
    bad = text.count("\ufffd") if "\ufffd" in text else 0   # `in` stops early and skips ahead: 10x faster on clean text
    if bad > max(20, len(text) // 50):
        return ParsedPage(text, encoding, None, "decode-error")
    if not text or text.isspace():
        return ParsedPage(text, encoding, None, "empty")
    # Bytes that are clean UTF-8 go to the parser as they are: lexbor reads UTF-8 natively,
    # which saves re-encoding the decoded text.
    clean_utf8 = data is not None and encoding == "utf-8" and not bad and not data.startswith(BOM_UTF8)
    return ParsedPage(text, encoding, parse_html(data if clean_utf8 and data is not None else text))


def extract_article(html: bytes | str, url: str | None = None, *, http_charset: str | None = None,
                    overrides: dict[str, str] | None = None, profile: SiteProfile | None = None,
                    fallback: bool = True) -> Article:
    """Extract an article record; never raises. `reason` is None for a real article page.
    A `profile` learned from the site's other pages settles what one page leaves open;
    `fallback` lets trafilatura fill what ours leaves open on pages that are not Chinese or
    have no body ours can find (see `foreign`)."""
    return extract_parsed(parse_page(html, http_charset=http_charset), url, overrides=overrides, profile=profile,
                          fallback=fallback)


def page_traits(html: bytes | str, *, http_charset: str | None = None) -> PageTraits:
    """What a page contributes to its site's profile (see `extract_traced`)."""
    return extract_traced(parse_page(html, http_charset=http_charset))[1]


def extract_parsed(parsed: ParsedPage, url: str | None = None, *, overrides: dict[str, str] | None = None,
                   profile: SiteProfile | None = None, fallback: bool = True) -> Article:
    """`extract_article` on a page parsed by `parse_page`. Changes the tree (hidden elements
    are dropped): whoever else reads it reads it first."""
    return _extract(parsed, url, overrides, profile, fallback, traced=False)[0]


def extract_traced(parsed: ParsedPage, url: str | None = None, *, overrides: dict[str, str] | None = None,
                   profile: SiteProfile | None = None, fallback: bool = True) -> tuple[Article, PageTraits]:
    """`extract_parsed`, plus what the page contributes to its site's profile: its `<title>`,
    the keys of its prose lines, and the names of the container its text is in and of the
    block of its date line, as the page alone shows them (so a profile never learns from
    itself)."""
    art, traits = _extract(parsed, url, overrides, profile, fallback, traced=True)
    return art, traits or PageTraits("", frozenset())


def _extract(parsed: ParsedPage, url: str | None, overrides: dict[str, str] | None, profile: SiteProfile | None,
             fallback: bool, traced: bool) -> tuple[Article, PageTraits | None]:
    art = Article(url=url, encoding=parsed.encoding, reason=parsed.reason)
    if parsed.tree is None:
        return art, None
    with cycle_collection_paused():
        tree = parsed.tree
        page = build_page(tree)
        title = doc_title(tree)
        kept, title_line, dated, rng, head = _fill(art, page, url, profile or SiteProfile(), title)
        if overrides:
            apply_overrides(art, tree, overrides)
        if fallback and page.lines:
            complete(art, parsed.text, url, (line.text for line in page.lines))     # before the classifier: it judges the body it gets
        if not page.lines:
            art.reason = "empty"
        elif is_list_page(page, art, kept, title_line, dated):
            art.reason = "not-article"
        traits = None
        if traced:
            keys = frozenset(line_key(line.text) for line in page.lines if len(line.text) >= TEMPLATE_LINE_MIN)
            date_block = page.lines[head.date_line].block if head.date_line >= 0 else -1
            traits = PageTraits(title, keys, block_key(page, rng.alone), block_key(page, date_block))
        del page   # freed here, while the collector is still off
    return art, traits


def _fill(art: Article, page: Page, url: str | None, profile: SiteProfile,
          title: str) -> tuple[list[int], int, bool, BodyRange, Header]:
    """Set every field from the page model; returns what the page classifier needs (the body
    line indices, the headline line and whether the header under it shows a date) and the
    body range and header read."""
    meta = read_meta(page.tree)
    site = LazySite(page, meta, profile.title_affixes)
    art.title, title_line = find_title(page, meta, title, site.is_site)
    title_how = "heading" if title_line >= 0 else "meta"
    rng = find_body(page, title_line, profile.template_lines, profile.body_container)
    if 0 <= title_line < rng.first:
        title_line = nearest_copy(page, title_line, rng.first)
    if title_line >= 0 and abs(rng.first - title_line) > _TITLE_BODY_GAP:
        # <title> matched a line far from any text (a logo or banner naming the site): trust
        # neither that line nor the position prior built on it.
        title_line = -1
        rng = find_body(page, title_line, profile.template_lines, profile.body_container)
    if title_line < 0 and rng.block >= 0:
        title_line = heading_near(page, rng.first, site.is_site)
        if title_line >= 0:
            art.title, title_how = page.lines[title_line].text, "fallback"
    if art.title is None:
        art.title = first_heading(page, site.is_site)   # no <title>, no metadata: never nothing
    head: Header = read_header(page, rng, title_line)
    art.published_at, art.author, art.source, art.editor = head.published_at, head.author, head.source, head.editor
    art.evidence.update((k, v) for k, v in head.evidence.items() if v and getattr(art, k))
    if profile.header_block and head.date_line < 0:
        _profile_header(art, page, profile.header_block)
    if art.title:
        art.evidence["title"] = title_how
    first = extend_lead(page, rng, head.body_first, head.end) if head.end >= 0 else head.body_first
    kept = body_lines(page, BodyRange(rng.block, first, rng.last), {title_line})
    art.body = body_text(page, kept)
    if art.published_at is None:
        tail = [page.lines[i].text for i in kept[-_SIGNATURE_LINES:]]
        for how, find in (("signature", lambda: signature_date(tail)), ("epaper", lambda: epaper_date(page, title_line)),
                          ("meta", lambda: meta_date(meta, page.tree)), ("url", lambda: date_from_url(url))):
            art.published_at = find()
            if art.published_at:
                art.evidence["published_at"] = how
                break
    if art.author is None:
        # In-text bylines: the first/last lines, or a short line of its own anywhere.
        edges = [(i, True) for i in kept[:_BYLINE_LINES] + kept[-_BYLINE_LINES:]]
        edges += [(i, False) for i in kept if len(page.lines[i].text) <= _BYLINE_LINE_MAX]
        art.author = next((a for a in (byline_author(page.lines[i].text, bare=bare) for i, bare in edges) if a), None)
        if art.author:
            art.evidence["author"] = "pattern"
    credit = account_credit(page) if art.author is None else None
    if credit and getattr(art, credit[0]) is None:   # a page naming no writer: the account's card
        setattr(art, credit[0], credit[1])
        art.evidence[credit[0]] = "markup"
    base = base_url(page, url)
    art.canonical_url = canonical(page, base)
    art.prev_url, art.next_url = prev_next(page, base)
    if rng.block >= 0:
        art.images = images(page, rng.block, first, rng.last, base)
        art.attachments = attachments(page, first, rng.last + _ATTACHMENT_TAIL, base)
    return kept, title_line, head.dated, rng, head


def _profile_header(art: Article, page: Page, key: str) -> None:
    """The fields the header under the headline did not give, from the block where the site's
    pages print their header line (a site profile's `header_block`), when the page has one."""
    for name, value in block_values(page, lambda b: block_key(page, b), key).items():
        if not getattr(art, name):
            setattr(art, name, value)
            art.evidence[name] = "profile"
