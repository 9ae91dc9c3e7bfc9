"""trafilatura where it does better than the Chinese extractor: pages that are not Chinese (the
English editions many government, university and portal sites keep) and pages where ours finds
no body at all.

The Chinese extractor reads labels (来源/作者/责任编辑), dates and bylines in Chinese; on a page in
another language those readers find nothing, while trafilatura's metadata readers (bylines,
`<meta>` tags, htmldate) are written for it. Its body and title are measured below ours on such
pages (bench/eval_corpus.py --corpus tests/fixtures/english), so it fills gaps and never
replaces a value ours found. trafilatura and its dependencies cost about a second to import:
they are imported on the first page that needs them, never at start-up.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from ..article import Article
from .rules import SENTENCE_END

log = logging.getLogger(__name__)

# Han ideographs (with extension A and compatibility forms) against Latin, Greek and Cyrillic
# letters: one Chinese character carries about what a word of five letters does, so a Chinese
# text with English names and acronyms stays far above the threshold and an English text with
# a 中文 link and a Chinese ICP line far below it.
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LETTER_RE = re.compile(r"[A-Za-z\u00c0-\u024f\u0370-\u03ff\u0400-\u04ff]")
CHINESE_SHARE = 0.2     # below this share of Han characters among letters a text is not Chinese
# A line that reads as prose: a sentence ends in it (Chinese or Latin punctuation, a Latin full
# stop only after a letter, so dates like 2023.01.19 and version numbers don't count).
_SENTENCE_RE = re.compile(rf"[{SENTENCE_END}]|[A-Za-z\u00c0-\u024f\u0370-\u04ff][.;](?:\s|$)")
_PROSE_LINE = 10        # characters: a shorter line ending in ! or ? is a button or a slogan
PROSE_SHARE = 0.5       # at least this share of a fallback body's characters sit in prose lines
_SAMPLE = 4000          # characters of the main text looked at: enough to tell, cheap on long texts


def cjk_share(text: str) -> float:
    """Han characters / (Han characters + alphabetic letters) in the first `_SAMPLE` characters
    of `text`; 1.0 for a text without letters of either kind (digits only: nothing says foreign)."""
    sample = text[:_SAMPLE]
    cjk = len(_CJK_RE.findall(sample))
    letters = len(_LETTER_RE.findall(sample))
    return cjk / (cjk + letters) if cjk + letters else 1.0


def is_chinese(text: str) -> bool:
    """`cjk_share(text) >= CHINESE_SHARE`, decided early: asked of every page's body, where the
    letters are few and the Han characters thousands, it stops counting Han characters as soon
    as those seen so far reach the share (the share only grows with more of them)."""
    sample = text[:_SAMPLE]
    letters = len(_LETTER_RE.findall(sample))
    if not letters:
        return True   # cjk_share is 1.0 whatever the Han count
    cjk = 0
    for cjk, _ in enumerate(_CJK_RE.finditer(sample), 1):
        if cjk / (cjk + letters) >= CHINESE_SHARE:
            return True
    return cjk / (cjk + letters) >= CHINESE_SHARE


def reads_as_prose(body: str) -> bool:
    """True when at least `PROSE_SHARE` of `body`'s characters are in lines where a sentence
    ends. On a page without an article (a short list page, a column index) trafilatura returns
    the page's whole text — menu words, linked headlines, their dates, the footer — and none of
    those lines is a sentence; an article's paragraphs are, in any language."""
    lines = body.split("\n")
    total = sum(map(len, lines))
    prose = sum(len(line) for line in lines if _SENTENCE_RE.search(line))
    return total > 0 and prose >= PROSE_SHARE * total


@dataclass
class Fallback:
    """What trafilatura found on a page (None/"" where it found nothing)."""

    title: str | None = None
    published_at: str | None = None    # 'YYYY-MM-DD': htmldate gives no time
    author: str | None = None
    body: str = ""


def run_trafilatura(html: str, url: str | None) -> Fallback:
    """trafilatura's fields for a decoded page; never raises (a failure gives an empty result)."""
    try:
        from trafilatura import bare_extraction
        # fast: without its own fallbacks (readability, jusText), at 2.4x the speed and the same text
        # on the fixtures; it runs on every page where ours finds no body, list pages included.
        doc = bare_extraction(html, url=url, fast=True, with_metadata=True, include_comments=False,
                              # A date the page states, not the newest date found anywhere on it
                              # ('never a guess': a sidebar's list dates are not the article's).
                              date_extraction_params={"original_date": True, "extensive_search": False,
                                                      "max_date": date.today().isoformat()})
    except Exception as exc:          # noqa: BLE001 - a fallback must not break extraction
        log.debug("trafilatura failed on %s: %r", url, exc)
        return Fallback()
    if doc is None:
        return Fallback()
    d = doc.as_dict() if hasattr(doc, "as_dict") else doc
    body = "\n".join(line.strip() for line in (d.get("text") or "").split("\n") if line.strip())
    return Fallback(d.get("title") or None, d.get("date") or None, d.get("author") or None, body)


def complete(art: Article, html: str, url: str | None, lines: Iterable[str] = ()) -> None:
    """Fill what the Chinese extractor left open: the body when it found none (any language),
    and on a page that is not Chinese (judged on the body) also the title, date and author.
    Marks each filled field 'trafilatura' in `art.evidence`. Costs nothing on a Chinese page
    with a body, which is nearly every page. `lines`, the page's text lines, spare the call on
    a page without a body where not one line is a sentence (list and index pages, the most
    common bodiless pages in a crawl): trafilatura would only return what `reads_as_prose`
    refuses, at 10–40 ms a page."""
    if art.body and is_chinese(art.body):
        return
    if not art.body and not any(len(line) >= _PROSE_LINE and _SENTENCE_RE.search(line) for line in lines):
        return
    found = run_trafilatura(html, url)
    if not reads_as_prose(found.body):
        found.body = ""       # the page's menus and list rows, not an article's text
    filled: dict[str, str | None] = {"body": found.body}
    if art.body or found.body:
        if not is_chinese(art.body or found.body):
            filled.update(title=found.title, published_at=found.published_at, author=found.author)
    for name, value in filled.items():
        if value and not getattr(art, name):
            setattr(art, name, value)
            art.evidence[name] = "trafilatura"
