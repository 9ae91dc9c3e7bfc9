"""Machine-readable metadata: <meta name/property>, JSON-LD, <time datetime>, <title>."""
from __future__ import annotations

import json

from selectolax.lexbor import LexborHTMLParser

from .dom import clean

_JSONLD_KEYS = {"headline": "headline", "datePublished": "datepublished", "author": "jsonld:author"}


def read_meta(tree: LexborHTMLParser) -> dict[str, str]:
    """Lower-cased meta names/properties -> first non-empty content, plus JSON-LD fields."""
    out: dict[str, str] = {}
    for node in tree.css("meta[content]"):
        attrs = node.attrs
        key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or ""
        content = (attrs.get("content") or "").strip()
        if key and content:
            out.setdefault(key.strip().lower(), content)
    for node in tree.css('script[type="application/ld+json"]'):
        _read_jsonld(node.text(deep=True), out)
    time = tree.css_first("time[datetime]")
    if time is not None and time.attrs.get("datetime"):
        out.setdefault("time:datetime", time.attrs.get("datetime"))
    return out


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
    node = tree.css_first("title")
    return clean(node.text(deep=True)) if node is not None else ""
