"""Find and normalize publication dates in the formats Chinese sites print.

Output follows the archive contract: ``YYYY-MM-DDTHH:MM:SS+08:00`` when a time is shown (seconds
``00`` when only HH:MM is shown), ``YYYY-MM-DD`` when only a date is shown.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

_FULLWIDTH = str.maketrans("０１２３４５６７８９：－／．", "0123456789:-/.")
# (translate looks every character of a Chinese line up in the table; most lines have none of these)
_ANY_FULLWIDTH = re.compile("[" + re.escape("".join(map(chr, _FULLWIDTH))) + "]")
MIN_YEAR, MAX_YEAR = 1990, 2100
_AFTERNOON = frozenset(("下午", "晚上"))

DATE_RE = re.compile(
    # the year may stand apart from a slashed month/day (新华网: `2024 11/04 10:42:31`); the weekday
    # before the time may be written in traditional characters (Hong Kong/Taiwan: `週三 上午8:21`)
    r"(?<!\d)((?:19|20)\d{2})\s*(?:[-/.年]\s*|\s(?=\d{2}/\d{2}(?!\d)))(\d{1,2})\s*[-/.月]\s*(\d{1,2})(?!\d)\s*[日号]?"
    r"(?:\s*(?:星期.|[周週].|[礼禮]拜.)?\s*(?:[T,，]\s*)?(上午|下午|晚上|早上|中午|凌晨)?\s*(\d{1,2})\s*[:：时]\s*(\d{1,2})(?!\d)"
    r"(?:\s*[:：分]\s*(\d{2}|\d(?!\d)))?)?"   # seconds may run into an outlet: 10:56:4439健康网
)
# English dates on bilingual and tech-news pages: Apr 22, 2025 / 22 April 2025 [10:30 am].
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH = (r"(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
          r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?")
_EN_TIME = r"(?:,?\s+(?:at\s+)?(\d{1,2}):(\d{2})(?::(\d{2}))?(?:\s*([AaPp])\.?[Mm]\.?)?)?"
EN_DATE_RES = (
    (re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+((?:19|20)\d{{2}})(?!\d){_EN_TIME}"), (0, 1, 2)),
    (re.compile(rf"(?<!\d)(\d{{1,2}})\s+{_MONTH},?\s+((?:19|20)\d{{2}})(?!\d){_EN_TIME}"), (1, 0, 2)),
)
# ISO forms in attributes and meta tags (2019-11-01T08:30:00+08:00, 20191101).
ISO_RE = re.compile(
    r"((?:19|20)\d{2})-?(\d{2})-?(\d{2})(?:[T\s](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?)?"
)
_ISO_OFFSET = re.compile(r"\d[T\s]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?\s*(?:Z|[+-]\d{2}:?\d{2})\s*$")
URL_DATE_RES = (
    re.compile(r"(?<!\d)((?:19|20)\d{2})[-/_]?(\d{2})[-/_]?(\d{2})(?!\d)"),   # t20231105_, /20231105/, /2023-11-05/
    re.compile(r"/((?:19|20)\d{2})/(\d{1,2})/(\d{1,2})/"),                  # /2023/11/5/
    re.compile(r"/((?:19|20)\d{2})[-_]?(\d{2})/(\d{2})/"),                  # /2023-11/05/, /202311/05/
)


@dataclass(frozen=True)
class FoundDate:
    value: str          # normalized output string
    start: int          # offset of the match in the searched text
    end: int
    has_time: bool


def _fmt(y: str, mo: str, d: str, h: str | None = None, mi: str | None = None, s: str | None = None) -> str | None:
    year, month, day = int(y), int(mo), int(d)
    if not (MIN_YEAR <= year <= MAX_YEAR and 1 <= month <= 12 and 1 <= day <= 31):
        return None
    out = f"{year:04d}-{month:02d}-{day:02d}"
    if h is None or mi is None:
        return out
    hour, minute, sec = int(h), int(mi), int(s or 0)
    if hour > 23 or minute > 59 or sec > 59:
        return out
    return f"{out}T{hour:02d}:{minute:02d}:{sec:02d}+08:00"


def normalize_digits(text: str) -> str:
    return text.translate(_FULLWIDTH) if _ANY_FULLWIDTH.search(text) else text


# 公文 signing dates in Chinese numerals: 二〇二四年十一月五日 -> 2024年11月5日.
_HAN_DIGIT = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0}
_HAN_NUM = "〇○零一二三四五六七八九十"
_HAN_DATE = re.compile(f"([{_HAN_NUM[:-1]}]{{4}})年([{_HAN_NUM}]{{1,3}})月([{_HAN_NUM}]{{1,3}})日")


def _han_number(text: str) -> int:
    if "十" not in text:
        return int("".join(str(_HAN_DIGIT[c]) for c in text))
    tens, _, ones = text.partition("十")
    return (_HAN_DIGIT[tens] if tens else 1) * 10 + (_HAN_DIGIT[ones] if ones else 0)


def _han_dates(text: str) -> list[FoundDate]:
    out = []
    for m in _HAN_DATE.finditer(text):
        try:
            value = _fmt(*(str(_han_number(g)) for g in m.groups()))
        except (KeyError, ValueError):   # 十 in a year, 二十十: not a date
            continue
        if value:
            out.append(FoundDate(value, m.start(), m.end(), False))
    return out


def find_dates(text: str) -> list[FoundDate]:
    """Every plausible date in a line of page text, in order."""
    text = normalize_digits(text)
    out = []
    # A date in digits, Chinese or English, has a year starting 19 or 20: most lines have neither,
    # and the regexes would be tried at each of their characters.
    year = "20" in text or "19" in text
    for m in DATE_RE.finditer(text) if year else ():
        y, mo, d, period, h, mi, s = m.groups()
        if period in _AFTERNOON and h is not None and int(h) < 12:
            h = str(int(h) + 12)   # 下午3:22 is 15:22 (WordPress and forum locales)
        value = _fmt(y, mo, d, h, mi, s)
        if value:
            out.append(FoundDate(value, m.start(), m.end(), "T" in value))
    if "〇" in text or "○" in text or "零" in text:   # every 20xx year in Chinese numerals has one
        out = sorted(out + _han_dates(text), key=lambda d: d.start)
    if not out and year:
        out = _english_dates(text)
    return out


def _english_dates(text: str) -> list[FoundDate]:
    out = []
    for rx, (mi, di, yi) in EN_DATE_RES:
        for m in rx.finditer(text):
            g = m.groups()
            h, minute, sec, half = g[3:7]
            if half and h is not None and int(h) <= 12:
                h = str(int(h) % 12 + (12 if half in "Pp" else 0))
            value = _fmt(g[yi], str(_MONTHS.index(g[mi][:3]) + 1), g[di], h, minute, sec)
            if value:
                out.append(FoundDate(value, m.start(), m.end(), "T" in value))
    return sorted(out, key=lambda d: d.start)


def parse_date(text: str | None) -> str | None:
    """The first date in `text` (page text or a meta/ISO value), normalized; None if none."""
    if not text:
        return None
    if _ISO_OFFSET.search(text):   # 2024-11-02T13:05:00Z: the offset matters, not just the digits
        value = parse_iso(text)
        if value:
            return value
    found = find_dates(text)
    if found:
        return found[0].value
    return parse_iso(text)


def parse_iso(text: str) -> str | None:
    """ISO-8601 / compact dates from attributes; a UTC offset is converted to +08:00."""
    m = ISO_RE.search(normalize_digits(text.strip()))
    if not m:
        return None
    y, mo, d, h, mi, s, tz = m.groups()
    if h is not None and tz and tz not in ("+08:00", "+0800"):
        return _shift_to_china(y, mo, d, h, mi, s, tz)
    return _fmt(y, mo, d, h, mi, s)


def _shift_to_china(y, mo, d, h, mi, s, tz) -> str | None:
    try:
        if tz == "Z":
            offset = timedelta(0)
        else:
            sign = -1 if tz[0] == "-" else 1
            digits = tz[1:].replace(":", "")
            offset = sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        dt = datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0), tzinfo=timezone(offset))
    except ValueError:
        return _fmt(y, mo, d, None, None, None)
    local = dt.astimezone(timezone(timedelta(hours=8)))
    return local.strftime("%Y-%m-%dT%H:%M:%S+08:00")


def date_from_url(url: str | None) -> str | None:
    """A date embedded in an article URL (last resort): t20231105_, /2023/11/05/, /2023-11/05/."""
    if not url:
        return None
    path = url.split("?", 1)[0]
    for rx in URL_DATE_RES:
        for m in rx.finditer(path):
            value = _fmt(*m.groups())
            if value:
                return value
    return None
