"""Per-site CSS selectors (`[site.extract]` in sites.toml) that win over the heuristics."""
from __future__ import annotations

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from ..article import Article
from ..settings import EXTRACT_FIELDS as FIELDS
from .body import BodyRange, body_lines, body_text
from .dates import parse_date
from .dom import build_page, clean
from .fields import clean_value, label_values


def _select(tree: LexborHTMLParser, selector: str) -> LexborNode | None:
    """The first match, or None (also for a selector lexbor cannot parse: a config typo must not
    stop the crawl)."""
    try:
        return tree.css_first(selector)
    except SelectolaxError:
        return None


def apply_overrides(art: Article, tree: LexborHTMLParser, overrides: dict[str, str]) -> None:
    """Set each overridden field from the first node its selector matches (unknown fields and
    selectors matching nothing leave the heuristic value)."""
    for field, selector in overrides.items():
        if field not in FIELDS or not selector:
            continue
        node = _select(tree, selector)
        if node is None:
            continue
        art.evidence[field] = "config"   # a [site.extract] selector from sites.toml
        if field == "body":
            page = build_page(tree, node)
            kept = body_lines(page, BodyRange(-1, 0, len(page.lines) - 1), set())
            art.body = body_text(page, kept)
            continue
        text = clean(node.text(deep=True, separator=" "))
        if field == "title":
            art.title = text or art.title
        elif field == "published_at":
            art.published_at = parse_date(node.attrs.get("datetime") or text) or art.published_at
        else:
            values = [v for v in label_values(text).get(field, ()) if v]
            value = values[0] if values else clean_value(field, text)
            setattr(art, field, value or None)
