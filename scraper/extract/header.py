"""The header line(s) under the headline and the footer lines after the text: where the page
prints its date, author, source and editor.

Reading only these lines (not the whole page) is what keeps sidebar dates, copyright years and
"today is …" widgets out of `published_at`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from .body import BodyRange, is_photo_credit
from .dates import find_dates
from .dom import Line, Page
from .fields import hinted_values, label_values, starts_with_label, unlabelled_values
from .rules import EPAPER_PAGE, MEDIA_NAME, NEXT_LABELS, PREV_LABELS

_HEADER_SPAN = 8        # lines after the headline that may still be header (a disclosure grid: more)
_HEADER_MAX_LEN = 160   # a header line is short; a longer one is prose
_FOOTER_BEFORE = 4      # last lines of the text that may carry 责任编辑 / 来源
_FOOTER_AFTER = 12
_FOOTER_MAX_LEN = 80
_PIECE_SPAN = 80        # lines after the text where a later piece of its container may close it
# Class words that say how a block is laid out, not what it holds: shared by unrelated blocks.
_LAYOUT_CLASSES = frozenset("clearfix clear cf fl fr left right fix hidden show active first last on".split())
_NO_TITLE_LOOKBACK = 8
_HEADER_FIELDS = ("published_at", "updated_at", "source", "editor")   # labels that make a line header
_SIGNATURE_SLACK = 2    # characters besides the date on a signature-date line
_BARE_TIME = re.compile(r"\d{1,2}[:：]\d{2}(?:[:：]\d{2})?$")
# A date badge: the day in large print in one block, year and month in the next (21 | 2024年02月).
_YEAR_MONTH = re.compile(r"(?:19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*月?$")
_BADGE_DAY = re.compile(r"(?:0?[1-9]|[12]\d|3[01])\s*日?$")
_ABOVE_SPAN = 3         # lines right above the headline that may carry its date and source
_ABOVE_LINK_DENSITY = 0.3   # a line with more link text is navigation (breadcrumbs, menus)
_GRID_SPAN = 24         # lines above the headline a disclosure table of label/value cells may fill
_GRID_CELL_MAX = 40
_EPAPER_LINE_MAX = 60   # an e-paper header line is short
_EPAPER_NEAR = 2        # lines between the date and the 版 marker
_NOTE_OPEN = "（(【["
_NOTE_MAX_LEN = 40
_CAPTION_PROSE = "，。"    # a photo credit after these closes a caption describing the picture
_CHANNEL_SEP = re.compile(r"[-－—·|｜]")   # an outlet and its channel: 某某电台-财经
_EDITOR_NOTE = re.compile(r"[（(【\[]\s*(?:责任编辑|编辑|责编)\s*[:：]")
_CONTINUATION_MAX = 30  # a label's value on the next line is short and at most one link
_LINK_LINE = 0.9        # a line this much link text …
_LINKED_HEADLINE = 8    # … and this long, without a date or a label, is a link to another article


@dataclass
class Header:
    published_at: str | None = None
    author: str | None = None
    source: str | None = None
    editor: str | None = None
    body_first: int = 0           # first line of the article text proper (after the header)
    dated: bool = False           # the header under the headline shows a date (an article sign)
    end: int = -1                 # last line of headline + header (-1 when neither was found)
    date_line: int = -1           # the header line the date was read from (-1: none)
    evidence: dict[str, str] = field(default_factory=dict)   # field -> how it was found


def _first(values: dict[str, list[str]], field: str) -> str | None:
    return next((v for v in values.get(field, ()) if v), None)


def _merge(into: dict[str, list[str]], more: dict[str, list[str]]) -> None:
    for k, v in more.items():
        into.setdefault(k, []).extend(v)


def _is_prose(text: str) -> bool:
    return len(text) > _HEADER_MAX_LEN or (len(text) >= 40 and "。" in text)


def is_link_line(line: Line) -> bool:
    """A 上一条/下一条 item or a linked headline of another article: its words (优秀志愿工作者表彰)
    are never the page's labels. Linked names (`<a>王丽</a>`), linked dates and wholly linked
    labels (`<a>来源：新华网</a>`) still count."""
    text = line.text
    if PREV_LABELS.match(text) or NEXT_LABELS.match(text):
        return True
    return (len(text) >= _LINKED_HEADLINE and line.link_chars >= _LINK_LINE * len(text)
            and not starts_with_label(text) and not find_dates(text))


def _header_span(page: Page, rng: BodyRange, title_line: int) -> list[int]:
    """Short lines after the headline (or just above the text) up to the first prose line."""
    lines = page.lines
    if 0 <= title_line and (rng.block < 0 or title_line <= rng.last):
        start = title_line + 1
    else:
        start = max(0, rng.first - _NO_TITLE_LOOKBACK)
    span: list[int] = []
    for i in range(start, min(len(lines), start + _GRID_SPAN)):
        if _is_prose(lines[i].text):
            break
        if i >= start + _HEADER_SPAN and not (_label_cell(lines[i].text) or _label_cell(lines[i - 1].text)):
            break   # past the usual header only a disclosure grid of label and value cells goes on
        if not is_link_line(lines[i]):
            span.append(i)
    return span


def _label_cell(text: str) -> bool:
    """A table cell that holds only a label (`发文日期：`, `索 引 号：`), its value in the next cell."""
    return len(text) <= _GRID_CELL_MAX and text.rstrip()[-1:] in ":："


def _above_values(page: Page, title_line: int) -> tuple[dict[str, list[str]], str | None]:
    """Labelled values and a date with its time on the short lines right above the headline
    (新华网 prints `2024 11/04 10:42:31` and `来源：新华网` there). A bare date without a time or
    a label beside it there is a "today is …" widget, not the article's. Government disclosure
    pages (信息公开: TRS, 大汉 JCMS, VSB) put a grid of label and value cells above the headline
    (索引号 / 发布机构 / 发文日期 / 公开方式 …); the span follows such a grid up."""
    found: dict[str, list[str]] = {}
    date = None
    lines = page.lines
    for i in range(title_line - 1, max(-1, title_line - 1 - _GRID_SPAN), -1):
        line = lines[i]
        if _is_prose(line.text) or line.link_density > _ABOVE_LINK_DENSITY:
            break
        if i < title_line - _ABOVE_SPAN and not (_label_cell(line.text) or (i and _label_cell(lines[i - 1].text))):
            break   # past the lines right above the headline only a label/value grid goes on
        labelled = label_values(line.text)
        if labelled and not any(any(v) for v in labelled.values()) and i + 1 < title_line:
            labelled = label_values(line.text + " " + lines[i + 1].text)   # `发文日期：` | `2023-04-18`
        _merge(found, labelled)
        if date is None:
            dates = find_dates(line.text)
            if dates and (dates[0].has_time or any(any(v) for v in labelled.values())):
                date = dates[0].value   # `来源：某某日报 2024-11-05`: a date beside a label
    return found, date


def _footer_values(page: Page, rng: BodyRange) -> dict[str, list[str]]:
    """Labelled values on the last lines of the text and the short lines right after it."""
    footer: dict[str, list[str]] = {}
    if rng.block < 0:
        return footer
    tail_start = max(rng.first, rng.last - _FOOTER_BEFORE + 1)
    for i in range(rng.first, tail_start):
        text = page.lines[i].text
        if text[:1] in _NOTE_OPEN and len(text) <= _NOTE_MAX_LEN and _EDITOR_NOTE.match(text):
            _merge(footer, label_values(text))   # （责任编辑：X） closing the text above a long tail
    for i in range(tail_start, min(len(page.lines), rng.last + _FOOTER_AFTER + 1)):
        text = page.lines[i].text
        if len(text) <= _FOOTER_MAX_LEN and not is_link_line(page.lines[i]) and not _is_caption(text):
            _merge(footer, label_values(text))
    _merge(footer, _later_piece_values(page, rng))
    return footer


def _is_caption(text: str) -> bool:
    """A picture's caption closing the text (`…发表演讲。 新华社记者 李梦馨 摄`): its 记者 is the
    photographer, not the writer. A sentence before the credit tells it from a credit line
    (`作者：张三摄`, `文/张三 摄影/李四`)."""
    return is_photo_credit(text) and any(c in text for c in _CAPTION_PROSE)


def _later_piece_values(page: Page, rng: BodyRange) -> dict[str, list[str]]:
    """Credit lines (`本文来源：… 作者：… 责任编辑：…`) in a later piece of the text's container.
    CMSs that embed a gallery, video or product card in the text close the container before the
    embed and open another of the same tag and class after it (broken markup repeats even the
    id); the credit line closing the article sits at the end of the last piece, past the footer
    window. Only lines that open with a field label count there, and only inside such a piece:
    a sibling of the text's container with its tag and a class or id word in common."""
    lines, blocks = page.lines, page.blocks
    body = blocks[rng.block]
    tokens = set(body.hint.split()) - _LAYOUT_CLASSES
    found: dict[str, list[str]] = {}
    if not tokens:
        return found
    path = lines[rng.first].path
    at = path.index(rng.block) if rng.block in path else 0
    if at == 0:
        return found
    parent = path[at - 1]   # the pieces are siblings: children of the text container's parent
    for i in range(rng.last + _FOOTER_AFTER + 1, min(len(lines), rng.last + _PIECE_SPAN + 1)):
        line = lines[i]
        if len(line.text) > _FOOTER_MAX_LEN or not starts_with_label(line.text) or is_link_line(line):
            continue
        p = line.path
        if parent in p:
            b = p[p.index(parent) + 1] if p[-1] != parent else -1
            if b >= 0 and b != rng.block and blocks[b].tag == body.tag and tokens & set(blocks[b].hint.split()):
                _merge(found, label_values(line.text))
    return found


def read_header(page: Page, rng: BodyRange, title_line: int) -> Header:
    """Date, author, source and editor from the header (labels first, then class/id hints, then
    unlabelled patterns) and the footer, and where the text proper starts."""
    lines = page.lines
    head = Header(body_first=rng.first)
    header_idx = _header_span(page, rng, title_line)
    values: dict[str, list[str]] = {}
    last_meta = value_cell = -1
    unlabelled_date = None
    for i in header_idx:
        text = lines[i].text
        if i + 1 in header_idx and _BARE_TIME.match(lines[i + 1].text):
            text += " " + lines[i + 1].text   # date and time in two blocks: 2024-11-05 | 10:22
        elif _YEAR_MONTH.match(text):
            day = next((lines[j].text for j in (i - 1, i + 1) if j in header_idx and _BADGE_DAY.match(lines[j].text)), None)
            if day:
                text = f"{text.rstrip('月 ')}月{day.rstrip('日 ')}日"
        found = label_values(text)
        labelled = any(v for vs in found.values() for v in vs)
        dates = find_dates(text)
        if i < rng.first:
            is_meta = bool(found) or bool(dates and (dates[0].has_time or len(text) <= 24))
        else:  # inside the text a bare date is prose and a byline alone (记者 张三) stays text
            is_meta = labelled and any(any(found.get(f, ())) for f in _HEADER_FIELDS)
        if is_meta:
            last_meta = i
        if (dates and i != value_cell and (last_meta == i or i == header_idx[0])
                and (unlabelled_date is None or dates[0].value < unlabelled_date)):
            # the earliest: a header's other dates are later stamps (最后更新, 最新推荐文章于 …)
            unlabelled_date = dates[0].value
        if head.date_line < 0 and (any(found.get("published_at", ())) or unlabelled_date):
            head.date_line = i
        _merge(values, found)
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if (found and not labelled and i + 1 in header_idx and nxt is not None
                and len(nxt.text) <= _CONTINUATION_MAX and len(nxt.anchors) <= 1):
            # `来源：` on one line, its value on the next (table cells, <span> blocks)
            _merge(values, label_values(text + " " + lines[i + 1].text))
        if _label_cell(text) and i + 1 in header_idx:
            value_cell = i + 1   # `成文日期：` | `2024-01-05`, `实施日期：` | …: the cell's date is its label's
    head.end = max(last_meta, title_line)
    if last_meta >= 0 and last_meta >= rng.first:
        head.body_first = last_meta + 1
    elif title_line >= rng.first and rng.block >= 0 and title_line <= rng.last:
        head.body_first = title_line + 1
    footer = _footer_values(page, rng)
    unlabelled: dict[str, str] = {}
    for i in header_idx:
        for name, shown in unlabelled_values(lines[i].text).items():
            unlabelled.setdefault(name, shown)
    above, above_date = _above_values(page, title_line) if title_line > 0 else ({}, None)
    above_date = _first(above, "published_at") or above_date
    dated_later = _first(values, "updated_at") or _first(above, "updated_at")   # 更新时间, 成文日期
    head.dated = bool(_first(values, "published_at") or unlabelled_date or above_date or dated_later)
    head.published_at = (_first(values, "published_at") or unlabelled_date or above_date
                         or _first(footer, "published_at") or dated_later)
    head.evidence["published_at"] = ("label" if _first(values, "published_at") else "header" if unlabelled_date
                                     else "above" if above_date else "label" if head.published_at else "")
    hinted: dict[str, list[str]] | None = None   # looked up only when a label is missing
    outlet = None
    for name in ("author", "source", "editor"):
        value = _first(values, name) or _first(footer, name) or _first(above, name)
        how = "label"
        if name == "editor" and value:
            value = _joined(values, footer, above)   # 编辑：X 责任编辑：Y, or (责任编辑：Y) closing the text
        if value is None and header_idx:
            if hinted is None:
                blocks = {lines[i].block for i in header_idx if lines[i].path}
                # the region keeps the linked lines the span skipped: an element whose class
                # names the field (`<a class="nickname">` to the writer's profile) says what it is
                hinted = hinted_values([page.blocks[b].node for b in sorted(blocks)],
                                       "\n".join(lines[i].text for i in range(header_idx[0], header_idx[-1] + 1)))
            value, how = _first(hinted, name), "markup"
        if name == "author" and how == "markup" and value and MEDIA_NAME.search(_CHANNEL_SEP.split(value, 1)[0]):
            # platforms print the provider in the writer's slot (`class="author-name"`>某某新闻网,
            # 某某电台-财经): an outlet's name is the source
            outlet, value = value, None
        elif name == "source" and value is None and outlet:
            value, how = outlet, "markup"
        setattr(head, name, value)
        if value:
            head.evidence[name] = how
    for name, value in unlabelled.items():   # only where the page has no label at all
        if getattr(head, name) is None and name not in values and name not in footer and name not in above:
            setattr(head, name, value)
            head.evidence[name] = "pattern"
    if head.author is None and _first(values, "byline"):
        head.author = _first(values, "byline")   # 来源：中国新闻网 王帆
        head.evidence["author"] = "pattern"
    return head


def block_values(page: Page, block_key: Callable[[int], str], key: str) -> dict[str, str]:
    """Date, author, source and editor from the one block named `key` (where a site profile
    says the site prints its header line), wherever it sits on this page; nothing when no block
    or more than one is named so (then the name does not single out the header line)."""
    blocks = {line.block for line in page.lines if line.path and len(line.text) <= _HEADER_MAX_LEN}
    named = [b for b in blocks if block_key(b) == key]
    if len(named) != 1:
        return {}
    out: dict[str, str] = {}
    for line in page.lines:
        if line.path and line.block == named[0] and len(line.text) <= _HEADER_MAX_LEN and not is_link_line(line):
            found = label_values(line.text)
            for name in ("published_at", "author", "source", "editor"):
                value = _first(found, name)
                if value:
                    out.setdefault(name, value)
            dates = find_dates(line.text)
            if dates:
                out.setdefault("published_at", dates[0].value)
    return out


def _joined(*sources: dict[str, list[str]]) -> str:
    """Every distinct editor name, in page order (header, then footer, then above the headline)."""
    names: list[str] = []
    for values in sources:
        for value in values.get("editor", ()):
            for name in value.split():
                if name not in names:
                    names.append(name)
    return " ".join(names)


def signature_date(texts: list[str]) -> str | None:
    """The date a notice is signed with, on a line of its own at the end (`2023年11月3日`)."""
    for text in reversed(texts):
        dates = find_dates(text)
        if dates and len(text) - (dates[0].end - dates[0].start) <= _SIGNATURE_SLACK:
            return dates[0].value
    return None


def epaper_date(page: Page, title_line: int) -> str | None:
    """The issue date of an e-paper page: a date above the headline beside a 版 marker (on its
    line or within two lines: `2022年02月12日 星期六` over `第01版：要闻`). Alone such a date is a
    "today is" widget; with the 版 marker it is the issue the article appeared in."""
    lines = page.lines
    end = title_line if title_line > 0 else len(lines)
    for i in range(end):
        text = lines[i].text
        if len(text) > _EPAPER_LINE_MAX:
            continue
        dates = find_dates(text)
        if dates and any(EPAPER_PAGE.search(lines[j].text) and len(lines[j].text) <= _EPAPER_LINE_MAX
                         for j in range(max(0, i - _EPAPER_NEAR), min(len(lines), i + _EPAPER_NEAR + 1))):
            return dates[0].value
    return None
