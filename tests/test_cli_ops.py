"""The command line as a scheduler meets it: one exit code per outcome, timestamped logs (also
to a file), a JSON summary, a closed pipe that is no error, output files never left half-written,
and the archive path from SCRAPER_DB."""
from __future__ import annotations

import asyncio
import errno
import json
import logging
import re
import socket
import subprocess
import sys

import httpx
import pytest
from click.testing import CliRunner

from scraper.cli import main
from scraper.crawler import crawl_async
from scraper.fetch import connect_failure
from scraper.settings import RunSettings, Settings, SiteConfig
from scraper.store import open_archive
from scraper.testsite import FixtureServer, bundled_sites

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"


def run(*args: str, **kw):
    return CliRunner().invoke(main, list(args), catch_exceptions=False, **kw)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]     # nothing listens there once the socket is closed


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One quick crawl of the univ fixture site (--json, -vv, --log-file), and its archive."""
    tmp = tmp_path_factory.mktemp("ops")
    log_file = tmp / "crawl.log"
    with FixtureServer(bundled_sites()["univ"]) as server:
        result = run("-vv", "--log-file", str(log_file), "crawl", server.origin + "/", "--db", str(tmp / "a.db"),
                     "--delay", "0", "--per-host", "4", "--json")
    return result, log_file.read_text("utf-8"), tmp / "a.db"


def test_exit_0_with_a_json_summary_and_a_timestamped_log_file(crawled):
    result, log, _ = crawled
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["outcome"] == "completed" and summary["exit_code"] == 0 and summary["failed_sites"] == {}
    assert summary["counts"]["articles_new"] > 10
    assert result.stderr == ""                       # everything went to --log-file
    assert re.search(rf"^{STAMP} INFO scraper.crawler: site 127.0.0.1:\d+: starting from ", log, re.M)
    assert re.search(rf"^{STAMP} INFO scraper.crawler: site 127.0.0.1:\d+: finished in ", log, re.M)
    assert re.search(rf"^{STAMP} DEBUG scraper.crawler: Crawled \(200\) <GET http://127.0.0.1:\d+/\S*> "
                     r"\(referer: http://127.0.0.1:\d+/\S*\)$", log, re.M)
    assert re.search(rf"^{STAMP} INFO scraper.run: run 1 completed: ", log, re.M)


def test_exit_4_when_every_start_url_of_a_site_failed_says_why(tmp_path):
    config = tmp_path / "sites.toml"
    config.write_text(f'[defaults]\nmax_retries = 0\n[[site]]\nname = "down"\n'
                      f'start_urls = ["http://127.0.0.1:{closed_port()}/"]\n', encoding="utf-8")
    result = run("crawl", "--config", str(config), "--db", str(tmp_path / "a.db"), "--json")
    assert result.exit_code == 4, result.output
    assert json.loads(result.stdout)["failed_sites"]["down"].endswith("connection refused)")
    assert re.search(rf"^{STAMP} ERROR scraper.crawler: site down: every start URL failed: .*connection refused",
                     result.stderr, re.M)


def test_exit_1_error_and_2_usage(tmp_path):
    config = tmp_path / "sites.toml"
    config.write_text('[[site]]\nstart_urls = ["http://127.0.0.1:9/"]\nconcurrency = 0\n', encoding="utf-8")
    result = run("crawl", "--config", str(config), "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 1 and result.stderr.startswith(f"error: {config}:3: concurrency is run-wide")
    assert run("crawl", "--db", str(tmp_path / "a.db")).exit_code == 2
    assert run("crawl", "--no-such-flag").exit_code == 2


def test_exit_codes_are_documented_in_help():
    text = run("--help").stdout
    for code in ("0 ", "1 ", "2 ", "3 ", "4 ", "130"):
        assert f"\n    {code}" in text
    assert "SCRAPER_DB" in text and "--log-file" in text


@pytest.mark.parametrize("in_worker", [False, True])
def test_connection_failures_are_named_plainly(in_worker):
    if not in_worker:
        refused = httpx.ConnectError("All connection attempts failed")
        refused.__cause__ = ConnectionRefusedError(errno.ECONNREFUSED, "Connect call failed")
        assert connect_failure(refused) == "connection refused"
        dns = httpx.ConnectError("x")
        dns.__cause__ = socket.gaierror(-2, "Name or service not known")
        assert connect_failure(dns) == "DNS lookup failed"
    else:   # only the message crosses from a worker process
        assert connect_failure(httpx.ConnectError("[Errno -2] Name or service not known")) == "DNS lookup failed"
        assert connect_failure(httpx.ConnectError("connection refused")) == "connection refused"
        assert connect_failure(httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] x")).startswith("TLS failed")


def test_a_closed_pipe_ends_quietly_with_0(crawled):
    _, _, db = crawled
    for args in (["export", "--db", str(db)],
                 ["query", "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 300000) "
                           "SELECT x FROM c", "--db", str(db), "--format", "csv"]):
        command = " ".join(f"'{a}'" for a in [sys.executable, "-m", "scraper", *args])
        proc = subprocess.run(["bash", "-c", f"set -o pipefail; {command} | head -c 10 >/dev/null"],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0 and "rror" not in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_export_to_a_file_replaces_it_whole_or_not_at_all(crawled, tmp_path):
    _, _, db = crawled
    out = tmp_path / "prev.jsonl"
    out.write_text("last good export\n", encoding="utf-8")
    failed = run("export", "--db", str(tmp_path / "missing.db"), "-o", str(out))
    assert failed.exit_code == 1 and out.read_text("utf-8") == "last good export\n"
    assert run("export", "--db", str(db), "-o", str(out)).exit_code == 0
    assert json.loads(out.read_text("utf-8").splitlines()[0])["title"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["prev.jsonl"]


def test_scraper_db_is_the_default_archive(crawled):
    _, _, db = crawled
    result = run("query", "SELECT COUNT(*) AS n FROM articles", "--format", "json", env={"SCRAPER_DB": str(db)})
    assert result.exit_code == 0 and json.loads(result.stdout)[0]["n"] > 10


def test_progress_line_at_each_interval(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="scraper.run")
    with FixtureServer(bundled_sites()["univ"]) as server:
        site = SiteConfig(name="u", start_urls=(server.origin + "/",), settings=Settings(delay=0.05))
        with open_archive(tmp_path / "a.db") as archive:
            asyncio.run(crawl_async([site], archive, RunSettings(extract_workers=0, max_pages=15), stats_every=0.2))
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("progress: ")]
    assert lines and re.match(r"progress: \d+ pages fetched \(\d+/min\), \d+ new articles", lines[0])
    assert any("max_pages (15) reached" in r.getMessage() for r in caplog.records)


def test_help_loads_no_archive_parser_or_network_code():
    # start-up of every command is paid by `--help` too: what it does not need stays unimported
    code = ("import sys; from click.testing import CliRunner; from scraper.cli import main; "
            "assert CliRunner().invoke(main, ['--help']).exit_code == 0; "
            "print(sorted(m for m in ('rich', 'httpx', 'sqlite_utils', 'selectolax', 'lxml', 'trafilatura', "
            "'scraper.store', 'scraper.export', 'scraper.crawler') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
