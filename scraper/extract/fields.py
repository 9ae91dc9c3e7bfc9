"""Labelled metadata: 发布时间 / 作者 / 来源 / 责任编辑 and friends.

A value runs from its label to the next label or widget on the same line (`来源: 【字号:` has no
source), and an empty label gives nothing. Only the lines around the headline and the end of the
article are read, so sidebar items and footers never lend their dates or names.
"""
from __future__ import annotations

import re

from selectolax.lexbor import LexborNode

from .dates import find_dates
from .rules import (
    COMPOUND_SURNAMES,
    CREDIT_PHRASES,
    DATE_FIELDS,
    EMPTY_VALUES,
    ENGLISH_OTHER_LABELS,
    FIELD_HINTS,
    FIELD_LABELS,
    FIELD_MAX_LEN,
    AFFILIATION,
    AFFILIATION_START,
    LABELS_AFTER_WORD,
    MEDIA_NAME,
    NAME_TAIL,
    NOT_SOURCE,
    OTHER_LABELS,
    ROLE_BEFORE_NAME,
    SOURCE_COMPILED,
    SOURCE_STATUS,
    SURNAMES,
    VALUE_STOP,
    VALUE_STRIP,
)

_LABEL_FIELD: dict[str, tuple[str | None, bool]] = {}
for _field, _labels in FIELD_LABELS.items():
    for _label, _colon in _labels:
        _LABEL_FIELD.setdefault(_label, (_field, _colon))
for _label in OTHER_LABELS + ENGLISH_OTHER_LABELS:
    _LABEL_FIELD.setdefault(_label, (None, True))
# Old table layouts space a label's characters out to align them (`撰 稿 人：`, `来　源：`).
_LABEL_RE = re.compile(
    "|".join(r"\s?".join(map(re.escape, k.replace(" ", ""))) for k in sorted(_LABEL_FIELD, key=len, reverse=True))
)
_HINT_MAX_LEN = 40
_STANDALONE_LINE_MAX = 40
_SOURCE_TOKEN_MIN, _SOURCE_TOKEN_MAX = 3, 12   # 2-character words after a date are places or names
_NAME_SLASH_MEDIA = re.compile(r"^([\u4e00-\u9fff·]{2,4})\s*/\s*([\u4e00-\u9fffA-Za-z]{2,12})$")
_SEP = re.compile(r"\s*[:：]\s*|\s*[/丨|｜]\s*|\s+")
_STOP_RE = re.compile("[" + re.escape(VALUE_STOP) + "]")
# A word and a colon after a space starts another label, known or not (`某某日报 评论：0`).
_NEXT_LABEL = re.compile(r"\s+[^\s:：]{1,6}[:：]")
_COLON = re.compile(r"\s*[:：]")
_LABEL_TAIL = re.compile(r"^[\u4e00-\u9fff]\s*[:：]\s*")
_URL = re.compile(r"(?:https?://|www\.)", re.I)
_NAME_SPLIT = re.compile(r"\s*(?:[、，,;；&＆]|\s)\s*")
_HAN = re.compile(r"[\u4e00-\u9fff]")
_ENGLISH_BYLINE = re.compile(r"^(?:by|written by)\s+", re.I)
_SENTENCE_PUNCT = re.compile(r"[，。；！？]")
_COPULA = frozenset("系为是")
_POSTED = frozenset(("发表于", "发布于"))   # labels a poster's name may stand before
_BY = re.compile(r"^by\s+", re.I)   # an English byline's `by` (class="byline"> by wangli)
# A WeChat account named as the outlet: `微信公众号“某某发布”` is the account `某某发布`.
_ACCOUNT = re.compile(r"^(?:微信)?公众号\s*[:：]?\s*[“\"「『]?([^”\"」』]+)[”\"」』]?$")
# In-text bylines: (记者 张三), 记者 张三 李四, 文/图 张三, (张三) closing a report.
_BYLINE_LABELLED = re.compile(
    r"[（(]\s*(?:本报|本台|本网)?(?:见习|实习|特约)?记者\s*([^）)]{2,24}?)\s*(?:整合|报道|摄影|摄|采写)?\s*[）)]"
)
# Unlabelled or loosely labelled bylines: every name must look like a Chinese personal name.
_BYLINE_NAMES = (
    re.compile(r"^\S{0,12}?(?:见习|实习|特约)?(?:记者|作者|撰稿|执笔|文/图|文/|采写)\s*[:：/\s]\s*"
               r"((?:[\u4e00-\u9fff·]{2,4}(?:[\s、，]+|$)){1,4})$"),
    re.compile(r"[（(]\s*(?:文/图|文|图文)?\s*/?\s*([\u4e00-\u9fff]{2,4}(?:\s+[\u4e00-\u9fff]{2,4}){0,3})\s*[）)]\s*$"),
)
_NOT_NAME = re.compile(r"[社网报台局委部办厅院校会站司中心组]$|^(?:记者|通讯员|本报|新华|央视)")


def _looks_like_name(name: str) -> bool:
    return (2 <= len(name) <= 4 and not _NOT_NAME.search(name)
            and (name[0] in SURNAMES or name[:2] in COMPOUND_SURNAMES))


def clean_value(field: str, raw: str) -> str:
    """A labelled value cut at the first widget, date or separator; '' when nothing is left."""
    value = _STOP_RE.split(raw, 1)[0]
    dates = find_dates(value)
    if dates:
        value = value[: dates[0].start]
    value = _NEXT_LABEL.split(value, 1)[0]
    value = re.split(r"\s{2,}", value.strip(VALUE_STRIP), maxsplit=1)[0].strip(VALUE_STRIP)
    if field == "source":
        # an outlet's name holds no sentence punctuation: `本文来自网络，如有侵权请联系删除`
        value = _SENTENCE_PUNCT.split(SOURCE_STATUS.sub("", value), 1)[0].strip(VALUE_STRIP)
        value = _ACCOUNT.sub(r"\1", value)
        compiled = SOURCE_COMPILED.match(value)
        if compiled and ("、" in value or MEDIA_NAME.search(value)):
            value = value[compiled.end():]
    elif field == "author":
        value = _BY.sub("", value)
        role = ROLE_BEFORE_NAME.search(value)
        if role and _looks_like_name(role.group(1)):
            value = role.group(1)   # 某某中心部长、研究员徐占忱: the name after the credentials
    if not value or value.lower() in EMPTY_VALUES or len(value) > FIELD_MAX_LEN[field]:
        return ""
    if field != "source" and re.search(r"[，。！？]", value):
        return ""
    if field in ("author", "editor") and _HAN.search(value):
        value = _names(value)
    elif field in ("author", "editor"):
        value = _ENGLISH_BYLINE.sub("", value).replace(" and ", ", ")   # `By Chen Xi and Li Hao`
    elif field == "source" and _URL.match(value):
        return ""   # an address is not the outlet's name (the link's text is, when there is one)
    elif field == "source" and " " in value and _HAN.search(value):
        value = value.split(" ", 1)[0]   # 某某日报 某某网收集, 中国新闻网 王帆: the first outlet
    return value


def _names(value: str) -> str:
    """Names from a labelled author/editor value, space-separated: a label's tail (`人：` of 撰稿人)
    dropped, the run ended at a dateline or credit (`李强 某某县报道`, `王丽发自北京`) and at an
    affiliation (`王丽中国人民大学法学院教授`), and a two-character name printed with a space
    in the middle (`方 敏`, aligned to three-character names) joined again."""
    value = _LABEL_TAIL.sub("", value)
    tail = NAME_TAIL.search(value, 2)
    if tail:
        value = value[: tail.start()]
    parts = [p for p in _NAME_SPLIT.split(value) if p]
    out: list[str] = []
    for i, part in enumerate(parts):
        if i and AFFILIATION.search(part):
            if len(out) == 1 and AFFILIATION.search(out[0]):
                return ""   # 某某大学 教授: a badge of credentials, no name
            break   # 王丽 某某大学法学院教授
        if len(part) == 1 and out and len(out[-1]) == 1 and _HAN.match(part):
            out[-1] += part
        else:
            out.append(part)
    if len(out) == 1 and len(out[0]) > 4 and AFFILIATION.search(out[0]):
        run = out[0]
        size = (3 if run[:2] in COMPOUND_SURNAMES else 2) + (0 if AFFILIATION_START.match(run, 2) else 1)
        if _looks_like_name(run[:size]):
            out = [run[:size]]
    return " ".join(out)


def source_name_after(raw: str) -> str | None:
    """A personal name printed after the outlet without a label (`来源：中国新闻网 王帆`)."""
    value = _STOP_RE.split(raw, 1)[0].strip(VALUE_STRIP)
    parts = value.split()
    if len(parts) == 2 and _looks_like_name(parts[1]):
        return parts[1]
    return None


def label_values(text: str) -> dict[str, list[str]]:
    """Every labelled value in one line of text, by field, in order ('' for an empty label)."""
    found: dict[str, list[str]] = {}
    matches: list[tuple[int, int, str | None]] = []   # label start, value start, field (None: ends a value)
    for m in _LABEL_RE.finditer(text):
        label = re.sub(r"\s+", "", m.group())
        field, needs_colon = _LABEL_FIELD.get(label, (None, True))
        if field is not None and _inside_word(text, m.start(), label) and not (matches and _COLON.match(text, m.end())):
            continue   # `证券时报网作者：李在山`: after another label, a colon makes it one
        sep = _SEP.match(text, m.end())
        if field == "author" and sep is None and text[m.end(): m.end() + 1] in _COPULA:
            continue   # `（作者系某某大学教授）`, `作者为本报评论员`: a clause about the writer, no name
        has_colon = bool(sep and not sep.group().isspace())
        at_end = m.end() == len(text) or (sep is not None and sep.end() == len(text))
        if (needs_colon and not has_colon and not (field in DATE_FIELDS and _starts_with_date(text, m.end()))
                and not _standalone(text, m, sep)):
            if field is None:
                matches.append((m.start(), m.end(), None))
            continue
        if (not has_colon and not at_end and sep is None and field not in ("author", *DATE_FIELDS)
                and label not in CREDIT_PHRASES and _HAN.match(text, m.end())):
            continue  # '来源于…' is prose, not a label
        matches.append((m.start(), sep.end() if sep else m.end(), field))
    for i, (start, end, field) in enumerate(matches):
        if field is None:
            continue
        stop = matches[i + 1][0] if i + 1 < len(matches) else len(text)
        between = text[end:stop]
        if (i + 1 < len(matches) and matches[i + 1][2] == field and " " not in between.strip()
                and not between[-1:].isspace()):
            continue  # '南都见习记者 张三': the name follows the last label of a run ('记者：王丽 通讯员：李强' is two)
        raw = text[end:stop]
        if field in DATE_FIELDS:
            dates = find_dates(raw)
            found.setdefault(field, []).append(dates[0].value if dates and dates[0].start <= 2 else "")
        else:
            found.setdefault(field, []).append(clean_value(field, raw))
            if field == "source":
                name = source_name_after(raw)
                if name:
                    found.setdefault("byline", []).append(name)
    return found


def starts_with_label(text: str) -> bool:
    """The line opens with a field label (`来源：…`, `作者 …`)."""
    m = _LABEL_RE.match(text)
    return m is not None and _LABEL_FIELD.get(re.sub(r"\s+", "", m.group()), (None,))[0] is not None


def hinted_values(blocks: list[LexborNode], region: str) -> dict[str, list[str]]:
    """Values of elements in the header `blocks` whose class/id names a field (`class="source"`),
    when their text sits in the header `region` (the same class names mark sidebar and comment
    items elsewhere). Walking these few small subtrees is cheaper than a page-wide CSS query."""
    found: dict[str, list[str]] = {}
    for block in blocks:
        for node in block.traverse():
            attrs = node.attributes
            hint = f"{attrs.get('class') or ''} {attrs.get('id') or ''}"
            if len(hint) < 3:
                continue
            for field, rx in FIELD_HINTS.items():
                if not rx.search(hint):
                    continue
                text = " ".join(node.text(deep=True).split())
                if not text or len(text) > _HINT_MAX_LEN or text not in region:
                    continue
                labelled = [v for v in label_values(text).get(field, ()) if v]
                value = labelled[0] if labelled else ("" if _LABEL_RE.search(text) else clean_value(field, text))
                if value:
                    found.setdefault(field, []).append(value)
    return found


def unlabelled_values(text: str) -> dict[str, str]:
    """Fields a header line shows without labels: a source next to the date
    (`2019-09-26 10:56:28 证券时报网`, `南方都市报 2019-09-09`) or a `作者/媒体` pair (`石佳/中国青年报`)."""
    label = _LABEL_RE.search(text)
    if label:   # `2024年11月05日 10:22 某某日报 记者 王丽`: what stands before the first label
        if label.start() == 0:
            return {}
        text = text[: label.start()].rstrip()
        if re.sub(r"\s+", "", label.group()) in _POSTED and text and " " not in text:
            # `王丽 发表于 2024-5-6 10:20` (forums, blogs): who posted it, a writer or an outlet
            field = "source" if MEDIA_NAME.search(text) else "author"
            value = clean_value(field, text)
            return {field: value} if value else {}
    pair = _NAME_SLASH_MEDIA.match(text)
    if pair and _looks_like_name(pair.group(1)) and MEDIA_NAME.search(pair.group(2)):
        return {"author": pair.group(1), "source": pair.group(2)}
    dates = find_dates(text)
    if not dates:
        return {}
    rest = _STOP_RE.split(text[dates[0].end:], 1)[0].strip()
    words = rest.split()
    if words and all(_LABEL_RE.match(w) or w.isdigit() for w in words[1:]):
        rest = words[0]   # `2009年11月09日 11:58 某某娱乐 我要评论`: the outlet, then widgets
    if rest and " " not in rest and (not NOT_SOURCE.search(rest) or (rest[0].isdigit() and MEDIA_NAME.search(rest))):
        value = clean_value("source", rest)
        if _SOURCE_TOKEN_MIN <= len(value) <= _SOURCE_TOKEN_MAX:
            return {"source": value}
    before = text[: dates[0].start].split()
    if before and MEDIA_NAME.search(before[-1]):
        value = clean_value("source", before[-1])
        return {"source": value} if value else {}
    return {}


def _inside_word(text: str, start: int, label: str) -> bool:
    """The label is the tail of a longer word (`工作者`, `素材来源`), not a label (labels
    printed without a space after another label's value are told apart by the caller). An
    English label is inside a word after a letter (`DataSource:`)."""
    if label.isascii():
        return start > 0 and text[start - 1].isascii() and text[start - 1].isalpha()
    return start > 0 and label not in LABELS_AFTER_WORD and _HAN.match(text, start - 1) is not None


def _standalone(text: str, m: re.Match, sep: re.Match | None) -> bool:
    """`编辑 陈思 校对 刘军`, `（编辑 陈思）`: a label set off by spaces on a short byline line counts without
    its colon (on a long line the same word is prose)."""
    return (len(text) <= _STANDALONE_LINE_MAX and sep is not None and m.start() > 0
            and text[m.start() - 1] in " (（【[" and _HAN.match(text, sep.end()) is not None)


def _starts_with_date(text: str, pos: int) -> bool:
    dates = find_dates(text[pos: pos + 30])
    return bool(dates) and dates[0].start <= 2


def byline_author(text: str, *, bare: bool = True) -> str | None:
    """An author named inside the article text (`（记者 张三）`, `记者 张三 李四`, `（张三）`).
    `bare=False` leaves out the unlabelled `（张三）`: it closes a report at the end of the text,
    while a short parenthesised line elsewhere is a unit or a note (a table's `（万人）`)."""
    m = _BYLINE_LABELLED.search(text)
    if m:
        names = [n for n in _NAME_SPLIT.split(m.group(1).strip()) if 2 <= len(n) <= 4 and _HAN.search(n)]
        names = [n for n in names if not _NOT_NAME.search(n)]
        if names:
            return " ".join(names)
    for rx in _BYLINE_NAMES if bare else _BYLINE_NAMES[:1]:
        m = rx.search(text)
        if not m:
            continue
        names = [n for n in _NAME_SPLIT.split(m.group(1).strip()) if n]
        if names and all(_looks_like_name(n) for n in names):
            return " ".join(names)
    return None
