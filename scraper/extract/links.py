"""Links an article carries: images and attachments in its body, 上一篇/下一篇, canonical URL."""
from __future__ import annotations

from urllib.parse import urljoin

from selectolax.lexbor import LexborNode

from ..article import Attachment, Image
from ..urls import URL_NOISE
from .body import is_photo_credit
from .dom import Page, clean
from .meta import head_of
from .rules import (
    ATTACHMENT_EXT,
    CAPTION_START,
    IMAGE_SKIP,
    IMAGE_SRC_ATTRS,
    NEXT_LABELS,
    PREV_LABELS,
    PREV_NEXT_ANY,
)

_SMALL_PX = 40
_CAPTION_MAX = 80
_LABEL_GAP = 8      # at most this many characters between a 上一篇 label and its link


def absolute(base: str | None, href: str | None) -> str | None:
    """`href` resolved against `base`; None for javascript:/mailto:/# links."""
    if not href:
        return None
    href = href.strip()
    low = href.lower()
    if not href or low.startswith(("javascript:", "mailto:", "tel:", "#", "data:")):
        return None
    try:
        return urljoin(base, href) if base else href
    except ValueError:
        return None


def _names_document(url: str) -> bool:
    """Whether `url`, as urljoin reads it (tabs and line breaks dropped), ends in a document's extension."""
    if "\t" in url or "\n" in url or "\r" in url:
        url = URL_NOISE.sub("", url)
    return ATTACHMENT_EXT.search(url) is not None


def base_url(page: Page, url: str | None) -> str | None:
    node = head_of(page.tree).css_first("base[href]")
    href = node.attrs.get("href") if node is not None else None
    return absolute(url, href) or url if href else url


def canonical(page: Page, base: str | None) -> str | None:
    node = head_of(page.tree).css_first('link[rel="canonical"]')
    return absolute(base, node.attrs.get("href")) if node is not None else None


def prev_next(page: Page, base: str | None) -> tuple[str | None, str | None]:
    """The targets of the 上一篇/下一篇 links (the label may be the link text or precede it)."""
    found: dict[bool, str] = {}
    for line in page.lines:
        if not line.anchors or not PREV_NEXT_ANY.search(line.text):
            continue  # one cheap test per line before the label regexes per link
        text = line.text
        for a in line.anchors:
            for is_next, rx in ((False, PREV_LABELS), (True, NEXT_LABELS)):
                if is_next in found:
                    continue
                # the label is the link text, or the start of its line right before the link
                label = rx.match(text)
                if not rx.match(a.text) and not (label and 0 <= text.find(a.text) - label.end() <= _LABEL_GAP):
                    continue
                target = absolute(base, a.href)
                if target:
                    found[is_next] = target
                break
            if len(found) == 2:
                return found.get(False), found.get(True)
    return found.get(False), found.get(True)


def _px(value: str | None) -> int | None:
    digits = "".join(ch for ch in (value or "") if ch.isdigit())
    return int(digits) if digits and len(digits) < 6 else None


def images(page: Page, block: int, first: int, last: int, base: str | None) -> list[Image]:
    """Pictures inside the article container, with their alt text or figcaption as caption."""
    out: list[Image] = []
    seen: set[str] = set()
    for img in page.images:
        if block not in img.path and not first <= img.line <= last:
            continue
        attrs = img.node.attrs
        src = next((attrs.get(k) for k in IMAGE_SRC_ATTRS if attrs.get(k)), None)
        src = absolute(base, src)
        if not src or src in seen or IMAGE_SKIP.search(src):
            continue
        w, h = _px(attrs.get("width")), _px(attrs.get("height"))
        if (w is not None and w < _SMALL_PX) or (h is not None and h < _SMALL_PX):
            continue
        seen.add(src)
        caption = _figcaption(img.node) or _caption_line(page, img.line) or clean(attrs.get("alt") or "")
        out.append(Image(src, caption or None))
    return out


def _caption_line(page: Page, index: int) -> str | None:
    """The short line right under a picture when it reads as a caption (图为…, ▲…, …摄)."""
    if not 0 <= index < len(page.lines):
        return None
    text = page.lines[index].text
    if len(text) <= _CAPTION_MAX and (CAPTION_START.match(text) or is_photo_credit(text)):
        return text
    return None


def _figcaption(node: LexborNode) -> str | None:
    parent = node.parent
    for _ in range(3):
        if parent is None:
            return None
        if parent.tag == "figure":
            cap = parent.css_first("figcaption")
            return clean(cap.text(deep=True)) or None if cap is not None else None
        parent = parent.parent
    return None


def attachments(page: Page, first: int, last: int, base: str | None) -> list[Attachment]:
    """Links to documents (pdf/doc/xls/…) in or right after the article text.

    Only a link whose href or text names a document is resolved, unless `base` does: what
    urljoin takes from `base` is its directory (ending in '/') or, before the href's query, all
    of it, so a joined URL ends in a document's extension only where one of them does. (urljoin
    for every link was two thirds of this step.)"""
    out: list[Attachment] = []
    seen: set[str] = set()
    any_link = base is not None and _names_document(base)
    for a in page.anchors:
        if not first <= a.line <= last:
            continue
        href = a.href
        if not (any_link or ATTACHMENT_EXT.search(a.text) or _names_document(href)):
            continue
        target = absolute(base, href)
        if not target or target in seen:
            continue
        if ATTACHMENT_EXT.search(target) or ATTACHMENT_EXT.search(a.text):
            seen.add(target)
            out.append(Attachment(target, a.text or None))
    return out
