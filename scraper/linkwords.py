"""Words about links that discovery and extraction must agree on, kept in one table.

Discovery decides what to fetch: a link to a document is not downloaded because extraction
records it with the article, and a 上一篇/下一篇 link continues the article chain. Extraction
records those same attachments and prev/next links. When the two sides used separate lists,
`.caj`/`.rtf`/`.odt` files were skipped by the crawler yet never recorded by the extractor; both
now read these tables (adding a row here changes both).
"""
from __future__ import annotations

import re
from collections.abc import Iterable

# File extensions of documents attached to an article (lower case).
ATTACHMENT_EXTENSIONS = frozenset(
    "pdf doc docx xls xlsx ppt pptx wps et dps ofd rtf odt ods odp txt csv zip rar 7z tar gz tgz "
    "caj".split()
)
# A URL or file name ending in one of them (a gzipped sitemap is not an attachment).
# (The dot comes first and the .xml check looks back from it: a pattern that opens with a literal
# lets the regex engine jump from dot to dot instead of trying the look-behind at every character.)
ATTACHMENT_NAME = re.compile(
    r"\.(?<!\.xml\.)(?:" + "|".join(sorted(ATTACHMENT_EXTENSIONS)) + r")(?:$|[?#])", re.I
)

# Labels of the article chain, as a link's text or right before the link. A space stands for
# any whitespace or none (discovery compares labels with their spaces removed).
PREV_LABELS = ("上一篇", "上一条", "上一则", "上一則", "上篇", "上条", "上则", "上則", "前一篇", "前一条",
               "上一页文章", "previous post", "previous article")
NEXT_LABELS = ("下一篇", "下一条", "下一则", "下一則", "下篇", "下条", "下则", "下則", "后一篇", "后一条",
               "下一页文章", "next post", "next article")


def label_pattern(labels: Iterable[str], *, caseless: bool = False) -> str:
    """A regex group matching any of `labels` (longest first, a space as optional whitespace);
    `caseless`: ignoring case without re.IGNORECASE (see `caseless_alternatives`)."""
    ordered = [re.escape(label).replace(r"\ ", r"\s*") for label in sorted(labels, key=len, reverse=True)]
    return "(?:" + "|".join(caseless_alternatives(ordered) if caseless else ordered) + ")"


# Letters re.IGNORECASE matches besides their ASCII upper/lower case (found by trying every code point).
_CASE_EXTRA = {"i": "İı", "k": "\u212a", "s": "ſ"}


def caseless_alternatives(alternatives: Iterable[str]) -> list[str]:
    """Regex alternatives that match what they match under re.IGNORECASE, for a pattern compiled
    without it. Under the flag, a word starting with a Latin letter stops the regex engine from
    skipping ahead to the characters an alternative can start with: it tries the whole pattern at
    every character of the text (4-6x slower on a page's lines). Here each alternative's first
    letter is spelled out in every case the flag accepts (`Copyright` -> `C(?i:opyright)`,
    `c(?i:opyright)`) and only the rest is caseless, which keeps the skip."""
    out: list[str] = []
    for alt in alternatives:
        first = alt[:1]
        if first.isascii() and first.isalpha():
            low = first.lower()
            out.extend(f"{c}(?i:{alt[1:]})" for c in low.upper() + low + _CASE_EXTRA.get(low, ""))
        else:
            out.append(f"(?i:{alt})" if any(ch.isascii() and ch.isalpha() for ch in alt) else alt)
    return out
