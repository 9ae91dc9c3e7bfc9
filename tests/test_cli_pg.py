"""The commands on a postgresql:// archive: crawl (seed, seed-only), worker, query, search,
export, stats and migrate, with --db or SCRAPER_DB."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from scraper.cli import main
from scraper.testfarm import SiteFarm

SETTINGS = "[defaults]\ndelay = 0.05\ntimeout = 5\nextract_workers = 0\n"


@pytest.fixture(scope="module")
def farm():
    with SiteFarm(sites=2, articles=3) as farm:
        yield farm


def _config(tmp_path, farm) -> str:
    path = tmp_path / "sites.toml"
    sites = "".join(f'[[site]]\nname = "s{i}"\nstart_urls = ["{origin}/"]\n' for i, origin in enumerate(farm.origins))
    path.write_text(SETTINGS + sites, encoding="utf-8")
    return str(path)


def _run(*args: str, env: dict | None = None):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_seed_then_worker_then_read_back(pg_url, tmp_path, farm):
    config = _config(tmp_path, farm)
    seeded = _run("crawl", "--config", config, "--db", pg_url, "--seed-only")
    assert seeded.exit_code == 0, seeded.output
    stats = _run("stats", env={"SCRAPER_DB": pg_url})
    assert "pending" in stats.output and "s0" in stats.output
    worked = _run("worker", "--db", pg_url)
    assert worked.exit_code == 0, worked.output
    assert "6 new articles" in worked.output
    rows = json.loads(_run("query", "SELECT site, COUNT(*) AS n FROM articles GROUP BY site ORDER BY site",
                           "--db", pg_url, "--format", "json").stdout)
    assert rows == [{"site": "s0", "n": 3}, {"site": "s1", "n": 3}]
    found = json.loads(_run("search", "第2次工作", "--db", pg_url, "--format", "json").stdout)
    assert {r["url"].rsplit("/", 1)[-1] for r in found} == {"2.htm"} and len(found) == 2
    exported = _run("export", "--db", pg_url).stdout.splitlines()
    assert len(exported) == 6 and "学校召开" in exported[0]
    refused = _run("query", "DELETE FROM articles", "--db", pg_url)
    assert refused.exit_code == 1 and "read-only" in refused.output


def test_worker_needs_seeded_sites(pg_url, tmp_path):
    result = _run("worker", "--db", pg_url)
    assert result.exit_code == 1 and "--seed-only" in result.output
    result = _run("worker", "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 1 and "no seeded sites" in result.output


def test_crawl_on_sqlite_then_migrate_to_postgres(pg_url, tmp_path, farm):
    db = str(tmp_path / "a.db")
    assert _run("crawl", "--config", _config(tmp_path, farm), "--db", db).exit_code == 0
    copied = _run("migrate", "--from", db, "--to", pg_url)
    assert copied.exit_code == 0, copied.output
    assert "articles" in copied.output and "verified" in copied.output
    assert _run("query", "SELECT COUNT(*) FROM articles", "--db", pg_url, "--format", "csv").stdout.split() == [
        "count", "6"]
    again = _run("migrate", "--from", db, "--to", pg_url)
    assert again.exit_code == 1 and "not empty" in again.output
