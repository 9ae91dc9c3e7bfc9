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
ATTACHMENT_NAME = re.compile(
    r"(?<!\.xml)\.(?:" + "|".join(sorted(ATTACHMENT_EXTENSIONS)) + r")(?:$|[?#])", re.I
)

# Labels of the article chain, as a link's text or right before the link. A space stands for
# any whitespace or none (discovery compares labels with their spaces removed).
PREV_LABELS = ("上一篇", "上一条", "上一则", "上一則", "上篇", "上条", "上则", "上則", "前一篇", "前一条",
               "上一页文章", "previous post", "previous article")
NEXT_LABELS = ("下一篇", "下一条", "下一则", "下一則", "下篇", "下条", "下则", "下則", "后一篇", "后一条",
               "下一页文章", "next post", "next article")


def label_pattern(labels: Iterable[str]) -> str:
    """A regex group matching any of `labels` (longest first, a space as optional whitespace)."""
    ordered = sorted(labels, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(label).replace(r"\ ", r"\s*") for label in ordered) + ")"
