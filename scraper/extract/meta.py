"""Machine-readable metadata: <meta name/property>, JSON-LD, <time datetime>, <title>."""
from __future__ import annotations

import json

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .dates import parse_date
from .dom import clean
from .rules import META_DATE_KEYS

_JSONLD = 'script[type="application/ld+json"]'
_JSONLD_KEYS = {"headline": "headline", "datePublished": "datepublished", "author": "jsonld:author"}


def head_of(tree: LexborHTMLParser) -> LexborNode:
    """<head>, where metadata lives: querying it instead of the whole tree is ~20x cheaper."""
    node = tree.head or tree.root
    assert node is not None         # lexbor always builds <html> and <head>, even for ''
    return node


def read_meta(tree: LexborHTMLParser) -> dict[str, str]:
    """Lower-cased meta names/properties -> first non-empty content, plus JSON-LD fields."""
    out: dict[str, str] = {}
    head = head_of(tree)
    for node in head.css("meta[content]"):
        attrs = node.attrs
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or ""
        content = (attrs.get("content") or "").strip()
        if key and content:
            out.setdefault(key.strip().lower(), content)
    for node in head.css(_JSONLD):
        _read_jsonld(node.text(deep=True), out)
    return out


def meta_date(meta: dict[str, str], tree: LexborHTMLParser) -> str | None:
    """A publication date from metadata (the fallback when the page shows none): meta tags and
    head JSON-LD, then — looked up only now, as they cost a whole-tree query — <time datetime>
    and JSON-LD in the body."""
    for key in META_DATE_KEYS:
        value = parse_date(meta.get(key))
        if value:
            return value
    node = tree.css_first("time[datetime]")
    if node is not None:
        value = parse_date(node.attrs.get("datetime"))
        if value:
            return value
    body_ld: dict[str, str] = {}
    for node in tree.css(_JSONLD):
        _read_jsonld(node.text(deep=True), body_ld)
    return parse_date(body_ld.get("datepublished"))


def _read_jsonld(text: str, out: dict[str, str]) -> None:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return
    items = data if isinstance(data, list) else [data]
    for item in items:
        if not isinstance(item, dict):
            continue
        for key, name in _JSONLD_KEYS.items():
            value = item.get(key)
            if isinstance(value, list):
                value = value[0] if value else None
            if isinstance(value, dict):
                value = value.get("name")
            if isinstance(value, str) and value.strip():
                out.setdefault(name, value.strip())


def doc_title(tree: LexborHTMLParser) -> str:
    node = head_of(tree).css_first("title") or tree.css_first("title")
    return clean(node.text(deep=True)) if node is not None else ""
