"""Date formats Chinese pages print, normalized to the archive contract."""
from __future__ import annotations

import pytest

from scraper.extract.dates import date_from_url, find_dates, parse_date, parse_iso


@pytest.mark.parametrize("text,expected", [
    ("2019-11-01", "2019-11-01"),
    ("2019年11月1日 08:30", "2019-11-01T08:30:00+08:00"),
    ("2019/11/01 8:05:09", "2019-11-01T08:05:09+08:00"),
    ("2019.11.01", "2019-11-01"),
    ("２０１９年１１月０１日　１０：３０", "2019-11-01T10:30:00+08:00"),
    ("2019年06月15日08:18 来源：人民网", "2019-06-15T08:18:00+08:00"),
    ("2021年10月7日 星期四", "2021-10-07"),
    ("发布时间：2019-11-01 作者：刘阳", "2019-11-01"),
    ("2024 11/04 10:42:31", "2024-11-04T10:42:31+08:00"),   # 新华网: year in its own <span>
    ("2024-11-02T13:05:00.000Z", "2024-11-02T21:05:00+08:00"),   # <time datetime> in UTC
    ("二〇二四年十一月五日", "2024-11-05"),
    ("2024年11月5日 下午3:22", "2024-11-05T15:22:00+08:00"),   # WordPress zh_CN
    ("2024年11月5日 上午10:22", "2024-11-05T10:22:00+08:00"),
    ("二○二三年十二月三十一日", "2023-12-31"),
    ("某某局 二〇二〇年十月二十日 印发", "2020-10-20"),
])
def test_page_formats(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["2019-13-01", "2019-02-32", "1899-01-01", "no date here", "", "12:30"])
def test_invalid_or_missing(text):
    assert parse_date(text) is None


def test_invalid_time_keeps_the_date():
    assert parse_date("2019-11-01 25:61") == "2019-11-01"


def test_find_dates_gives_offsets_in_order():
    found = find_dates("更新 2020-01-02 发布 2019-12-31 10:00")
    assert [(d.value, d.has_time) for d in found] == [("2020-01-02", False), ("2019-12-31T10:00:00+08:00", True)]


@pytest.mark.parametrize("text,expected", [
    ("2023-05-06T09:30:00+08:00", "2023-05-06T09:30:00+08:00"),
    ("2023-05-06T01:30:00Z", "2023-05-06T09:30:00+08:00"),
    ("2023-05-05T20:30:00-05:00", "2023-05-06T09:30:00+08:00"),
    ("20230506", "2023-05-06"),
])
def test_iso_values_are_shifted_to_china_time(text, expected):
    assert parse_iso(text) == expected


@pytest.mark.parametrize("url,expected", [
    ("http://www.gov.cn/zhengce/202311/t20231105_123.html", "2023-11-05"),
    ("https://example.com/2023/11/05/slug/", "2023-11-05"),
    ("https://example.com/news/2023-11/05/c_1.htm", "2023-11-05"),
    ("https://news.sina.com.cn/c/2019-11-25/doc-iihnzahi3275702.shtml", "2019-11-25"),
    ("https://example.com/article/123456.html", None),
    (None, None),
])
def test_dates_in_urls(url, expected):
    assert date_from_url(url) == expected
