"""Each page in tests/fixtures/pages/ (hand-written, GBK ones included) against its expected fields.

`<name>.json` lists only what that page is about: exact fields, plus `body_starts`,
`body_ends`, `body_excludes` and link lists for the body and its links.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from scraper.extract import extract_article

PAGES = Path(__file__).parent / "fixtures" / "pages"
CASES = sorted(p.stem for p in PAGES.glob("*.json"))
EXACT = ("encoding", "reason", "title", "published_at", "author", "source", "editor",
         "prev_url", "next_url", "canonical_url")


@pytest.fixture(scope="module", params=CASES)
def case(request):
    expected = json.loads((PAGES / f"{request.param}.json").read_text("utf-8"))
    html = (PAGES / f"{request.param}.html").read_bytes()
    return expected, extract_article(html, expected.get("url"))


def test_exact_fields(case):
    expected, art = case
    checked = {k: expected[k] for k in EXACT if k in expected}
    assert checked, "fixture checks no field"
    assert {k: getattr(art, k) for k in checked} == checked


def test_body(case):
    expected, art = case
    if "body_starts" in expected:
        assert art.body.startswith(expected["body_starts"])
    if "body_ends" in expected:
        assert art.body.endswith(expected["body_ends"])
    for part in expected.get("body_contains", ()):
        assert part in art.body
    for marker in expected.get("body_excludes", ()):
        assert marker not in art.body
    if expected.get("reason") == "not-article":
        assert len(art.body) < 400


def test_links(case):
    expected, art = case
    if "images" in expected:
        assert [i.src for i in art.images] == expected["images"]
    if "captions" in expected:
        assert [i.caption for i in art.images] == expected["captions"]
    if "attachments" in expected:
        assert [a.url for a in art.attachments] == expected["attachments"]


def test_no_mojibake(case):
    _, art = case
    for value in (art.title, art.author, art.source, art.editor, art.body):
        assert "\ufffd" not in (value or "")
