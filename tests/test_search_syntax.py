"""The search box syntax and the date bounds, without an archive."""
import pytest

from scraper.search import DateRange, parse_query, snippet


@pytest.mark.parametrize("text, clauses, excluded", [
    ("乡村振兴", (("乡村振兴",),), ()),
    ("乡村振兴 OR 高质量", (("乡村振兴", "高质量"),), ()),
    ("招生 本科 OR 研究生 -通知", (("招生",), ("本科", "研究生")), ("通知",)),
    ('"乡村 振兴" -"征求 意见"', (("乡村 振兴",),), ("征求 意见",)),
    ("“高质量 发展” 或", (("高质量 发展",), ("或",)), ()),
    ('OR 招生 OR', (("招生",),), ()),            # a dangling OR is no term
    ('"OR" 招生', (("OR",), ("招生",)), ()),      # quoted, OR is a word
])
def test_parse(text, clauses, excluded):
    query = parse_query(text)
    assert query.clauses == clauses and query.excluded == excluded


@pytest.mark.parametrize("text", ["", "   ", "-通知", 'OR ""'])
def test_nothing_positive_is_refused(text):
    with pytest.raises(ValueError):
        parse_query(text)


@pytest.mark.parametrize("until, upper", [
    ("2024", "2025"), ("2024-11", "2024-12"), ("2024-12", "2025-01"), ("2024-02-29", "2024-03-01"),
])
def test_until_is_inclusive_at_its_precision(until, upper):
    assert DateRange(until=until).upper == upper
    assert "2024-02-29T23:59:00+08:00" < DateRange(until="2024-02-29").upper


def test_bad_date():
    with pytest.raises(ValueError):
        DateRange(since="last week")


def test_snippet_marks_every_term():
    text = "前言。" * 30 + "今年本科招生计划公布，招生人数增加。"
    cut = snippet(text, ("招生", "本科"), width=30)
    assert cut.startswith("…") and "[本科][招生]" in cut and "[招生]人数" in cut
    assert snippet("短文", ("无",)) == "短文" and snippet(None, ("x",)) == ""
