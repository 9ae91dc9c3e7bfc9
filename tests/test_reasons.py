"""One vocabulary of failure reasons: the stored words never change, and what is retried or
skipped is said once, by the reason itself."""
from __future__ import annotations

import pickle

import pytest

from scraper.reasons import RETRYABLE, Reason

# Words archives already hold in pages.reason / frontier.reason: renaming one orphans stored rows.
STORED_WORDS = (
    "robots robots-unreachable off-scope forbidden-address bad-url timeout connect-error host-down slow-body "
    "too-large not-html not-xml bad-encoding redirect-loop too-many-redirects not-modified http-429 http-500 "
    "http-502 http-503 http-504 extract-error internal-error empty truncated not-a-sitemap html-error-page "
    "gzip-error too-many-urls low-yield xml-entities alias moved"
).split()


def test_the_stored_words_are_the_values():
    assert sorted(r.value for r in Reason) == sorted(STORED_WORDS)
    assert all(Reason(word) == word for word in STORED_WORDS)


def test_what_is_retried_and_what_is_skipped():
    assert {r.value for r in RETRYABLE} == {
        "timeout", "slow-body", "connect-error", "host-down", "robots-unreachable", "extract-error",
        "internal-error", "http-429", "http-500", "http-502", "http-503", "http-504"}
    assert {r.value for r in Reason if r.skip} == {
        "robots", "off-scope", "forbidden-address", "not-html", "not-xml", "bad-url", "low-yield", "alias", "moved"}
    assert not any(r.retryable and r.skip for r in Reason)
    assert [Reason(w).next_run for w in ("timeout", "robots", "off-scope", "http-404")] == [
        "retried", "checked again", "skipped", "given up"]


@pytest.mark.parametrize("status, retryable", [(404, False), (410, False), (418, False), (503, True), (429, True)])
def test_any_http_status_is_a_reason(status, retryable):
    reason = Reason.http(status)
    assert reason == f"http-{status}" and Reason(f"http-{status}") is reason
    assert reason.retryable is retryable and not reason.skip
    assert pickle.loads(pickle.dumps(reason)) is reason          # crosses the worker processes


def test_unknown_words_are_refused():
    with pytest.raises(ValueError):
        Reason("http-abc")
    with pytest.raises(ValueError):
        Reason("no-such-reason")
