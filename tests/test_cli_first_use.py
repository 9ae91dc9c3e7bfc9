"""What a first-time user runs into: the wrong file as --db, an output folder that does not
exist, Ctrl-C, a closed pipe, a terminal that is not UTF-8. Each ends in one line and an exit
code, never a traceback, and never changes a file that is not ours."""
from __future__ import annotations

import _thread
import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from scraper.cli import main
from scraper.store import open_archive

ENDLESS_QUERY = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT COUNT(*) FROM c"


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def scraper(*args: str, env: dict | None = None, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "scraper", *args], env=env, **kwargs)


@pytest.fixture
def archive(tmp_path) -> str:
    path = str(tmp_path / "archive.db")
    open_archive(path).close()
    return path


def _tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return sorted(r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"))


@pytest.mark.parametrize("command", [["crawl", "http://127.0.0.1:9/"], ["query", "SELECT 1"], ["stats"],
                                     ["export"], ["reextract"], ["demo"]])
def test_another_programs_database_is_refused_and_left_alone(tmp_path, command):
    other = tmp_path / "notes.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER, text TEXT)")
    result = run(*command, "--db", str(other))
    assert result.exit_code == 1
    assert "another program's SQLite database (tables: notes)" in result.output
    assert "Traceback" not in result.output
    assert _tables(other) == ["notes"]          # none of our tables were added to it


def test_a_folder_or_an_empty_file_as_db_says_what_it_is(tmp_path):
    for command in (["query", "SELECT 1"], ["crawl", "http://127.0.0.1:9/"]):
        result = run(*command, "--db", str(tmp_path))
        assert result.exit_code == 1
        assert f"{tmp_path} is a folder: --db names the archive file" in result.output
    empty = tmp_path / "empty.db"
    empty.touch()
    result = run("stats", "--db", str(empty))
    assert result.exit_code == 1 and "empty SQLite file, not an archive yet" in result.output


def test_file_errors_name_the_file_without_errno(archive, tmp_path):
    result = run("export", "--db", archive, "-o", str(tmp_path / "missing" / "out.jsonl"))
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and "No such file or directory" in result.output
    assert "Errno" not in result.output
    result = run("extract", str(tmp_path / "missing.html"))
    assert result.exit_code == 1 and "missing.html: No such file or directory" in result.output


def test_ctrl_c_in_a_query_is_an_interruption_not_a_time_limit(archive):
    # what a SIGINT does to the main thread while SQLite runs the query
    threading.Timer(0.5, _thread.interrupt_main).start()
    result = CliRunner().invoke(main, ["query", ENDLESS_QUERY, "--db", archive, "--time-limit", "60"])
    assert result.exit_code == 130
    assert "interrupted" in result.output and "time limit" not in result.output


def test_a_query_past_its_time_limit_still_says_so(archive):
    result = run("query", ENDLESS_QUERY, "--db", archive, "--time-limit", "0.2")
    assert result.exit_code == 1 and "longer than its time limit (0.2 s)" in result.output


@pytest.mark.parametrize("command", [["stats"], ["query", "SELECT name FROM sqlite_master"]])
def test_a_table_into_a_closed_pipe_ends_quietly_with_0(archive, command):
    """rich's own handling of a closed pipe exits with 1; ours is the `| head` rule: 0."""
    proc = scraper(*command, "--db", archive, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()                         # the reader is gone before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0, err
    assert "Traceback" not in err


def test_a_terminal_that_is_not_utf8_gets_utf8_data_not_a_traceback(tmp_path):
    sites = tmp_path / "sites.toml"
    sites.write_text('[[site]]\nname = "临江大学"\nstart_urls = ["https://news.example.edu.cn/"]\n', encoding="utf-8")
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    env.pop("PYTHONIOENCODING", None)
    proc = scraper("config", "check", str(sites), env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    assert "site 临江大学:" in out.decode("utf-8")


@pytest.mark.parametrize("content, expected", [
    (b"\x00\x01\xfe binary", "sites.toml:1: not UTF-8 text: save sites.toml as UTF-8"),
    ('[[site]]\nname = "临江"\n'.encode("gbk"), "sites.toml:2: not UTF-8 text"),
    (b'[[site]]\nname = "a"\nstart_urls = ["http://a.cn/"\n', "sites.toml:3: TOML syntax: "),
    (b'[site]\nname = "a"\nstart_urls = ["http://a.cn/"]\n', "sites.toml: [site] must be [[site]], in double brackets"),
    (b'[defaults]\n[defaults.extract]\ntitle = "h1"\n[[site]]\nname = "a"\nstart_urls = ["http://a.cn/"]\n',
     "sites.toml:2: unknown key 'extract'"),
    (b'[[site]]\nstart_urls = ["www.a.cn/xwzx/"]\n',
     "sites.toml:2: not an http(s) URL: 'www.a.cn/xwzx/' (did you mean 'https://www.a.cn/xwzx/' or 'http://"),
])
def test_sites_toml_that_is_not_what_it_should_be_gets_file_line_what(tmp_path, content, expected):
    sites = tmp_path / "sites.toml"
    sites.write_bytes(content)
    result = run("config", "check", str(sites))
    assert result.exit_code == 1
    assert f"error: {tmp_path}/{expected}" in result.output


def test_a_sites_toml_saved_with_a_bom_is_read(tmp_path):
    sites = tmp_path / "sites.toml"
    sites.write_bytes('\ufeff[[site]]\nname = "临江"\nstart_urls = ["http://a.cn/"]\n'.encode("utf-8"))
    result = run("config", "check", str(sites))
    assert result.exit_code == 0 and "site 临江:" in result.output


def test_serve_without_datasette_says_what_to_install_before_claiming_to_serve(archive, monkeypatch):
    import scraper.web

    def missing():
        raise RuntimeError("`scraper serve` needs Datasette: pip install 'scraper[web]'")

    monkeypatch.setattr(scraper.web, "_datasette", missing)
    result = run("serve", "--db", archive)
    assert result.exit_code == 1
    assert "pip install 'scraper[web]'" in result.output and "serving" not in result.output


def test_a_log_file_in_a_missing_folder_is_a_usage_error_naming_it(tmp_path):
    result = CliRunner().invoke(main, ["--log-file", str(tmp_path / "no" / "crawl.log"), "stats"])
    assert result.exit_code == 2
    assert "crawl.log: No such file or directory" in result.output and "Errno" not in result.output


def test_history_takes_a_url_pasted_with_its_line_end(archive):
    from scraper.article import Article

    with open_archive(archive) as db:
        with db.transaction():
            db.save_article(Article(title="标题", body="正文。"), "http://x.cn/1.htm", "s", 1)
    result = run("history", "http://x.cn/1.htm\r\n", "--db", archive)
    assert result.exit_code == 0 and "标题" in result.output


@pytest.mark.parametrize("option, value", [("--since", "2024-13"), ("--until", "2024-02-30")])
def test_a_date_that_is_not_on_the_calendar_is_a_usage_error(archive, option, value):
    for command in (["search", "学校"], ["export"]):
        result = run(*command, option, value, "--db", archive)
        assert result.exit_code == 2 and f"not a date: {value!r}" in result.output


def test_a_query_parameter_without_a_value_says_how_to_give_it(archive):
    result = run("query", "SELECT * FROM articles WHERE site = :site", "--db", archive)
    assert result.exit_code == 1 and "give each :name as -p NAME VALUE" in result.output


def test_demo_output_into_a_file_is_not_wrapped_at_80_columns(tmp_path):
    proc = scraper("demo", "--db", str(tmp_path / "demo.db"), "--rows", "0",
                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    first = out.decode().splitlines()[0]
    assert first.startswith("demo: served 2 fixture sites") and first.rstrip().endswith(")")   # both origins


def test_allow_hosts_takes_host_names_and_start_urls_forgive_spaces(tmp_path):
    sites = tmp_path / "sites.toml"
    sites.write_text('[[site]]\nname = "a"\nstart_urls = [" https://news.a.cn/ "]\n'
                     'allow_hosts = ["https://b.cn/", "c.cn:8080", "*.d.cn", "e.cn"]\n', encoding="utf-8")
    result = run("config", "check", str(sites))
    assert result.exit_code == 1
    refused = [line for line in result.output.splitlines() if "not a host name" in line]
    assert [line.split(": ")[2] for line in refused] == ["not a host name", "not a host name"]
    assert "'https://b.cn/'" in refused[0] and "'c.cn:8080'" in refused[1]
    assert all(line.startswith(f"error: {sites}:4: ") for line in refused)
    assert "start_urls" not in result.output         # the spaces around the start URL are no problem
    sites.write_text('[[site]]\nname = "a"\nstart_urls = [" https://news.a.cn/ "]\nallow_hosts = ["*.d.cn"]\n',
                     encoding="utf-8")
    from scraper.settings import load_sites

    assert load_sites(sites)[0].start_urls == ("https://news.a.cn/",)


def test_a_reader_brings_an_archive_of_an_older_version_up_to_date(tmp_path):
    """`scraper stats` right after an upgrade: the readers expect the current tables."""
    from scraper.store.schema import MIGRATIONS, SCHEMA_VERSION, VERSION_TABLE
    from scraper.store.sqlite import _statements

    old = tmp_path / "old.db"
    with sqlite3.connect(old) as conn:
        conn.execute(VERSION_TABLE)
        for number, script in enumerate(MIGRATIONS[:-1], start=1):
            for statement in _statements(script):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version(version, applied_at) VALUES (?, 'then')", (number,))
    result = run("stats", "--db", str(old))
    assert result.exit_code == 0, result.output
    with sqlite3.connect(old) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION


def test_crawl_alone_reads_the_sites_toml_where_it_runs(tmp_path, monkeypatch):
    """`scraper crawl` with neither URLs nor --config crawls ./sites.toml (a typo in it shows it
    was read, before any request); where there is none it says what to give."""
    monkeypatch.chdir(tmp_path)
    result = run("crawl")
    assert result.exit_code == 2 and "give start URLs or --config FILE (or run where a sites.toml is)" in result.output
    (tmp_path / "sites.toml").write_text('[[site]]\nname = "x"\nstart_urls = ["http://127.0.0.1:9/"]\ndelai = 0\n',
                                         encoding="utf-8")
    for command in (["crawl"], ["config", "check"]):
        result = run(*command)
        assert result.exit_code == 1, command
        assert "sites.toml:4: unknown key 'delai' (did you mean 'delay'?)" in result.output
        assert "Traceback" not in result.output
    assert not (tmp_path / "archive.db").exists()     # a bad config crawls nothing, creates nothing


def test_a_start_url_pasted_with_spaces_or_a_line_end_is_crawled(tmp_path):
    """As in sites.toml: the URL is the same site once the whitespace around it is gone."""
    from scraper.testsite import FixtureServer, bundled_sites

    with FixtureServer(bundled_sites()["univ"]) as server:
        result = run("crawl", f" {server.origin}/\r\n", "--db", str(tmp_path / "a.db"), "--delay", "0",
                     "--max-pages", "2")
    assert result.exit_code == 0, result.output
    assert ("GET", "/") in server.requests and "off-scope" not in result.output


@pytest.mark.parametrize("command", [["export", "-o", "{db}"], ["--log-file", "{db}", "stats"],
                                     ["export", "--format", "csv", "--output", "{other}"]])
def test_output_onto_an_sqlite_database_is_refused_and_the_database_kept(archive, tmp_path, command):
    """`export -o archive.db` (tab completion picks the file that is there) would replace the
    archive with its own export; a log appended to it would corrupt it."""
    other = tmp_path / "notes.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (id INTEGER)")
    before = {p: p.read_bytes() for p in (Path(archive), other)}
    result = run(*[a.format(db=archive, other=other) for a in command], "--db", archive)
    assert result.exit_code == 2, result.output
    assert "is an SQLite database" in result.output and "Traceback" not in result.output
    assert {p: p.read_bytes() for p in before} == before


def test_search_takes_an_excluded_word_outside_quotes_and_still_refuses_a_mistyped_option(archive):
    """`scraper search 学校 -通知` is the README's syntax typed without the quotes; `--limt 5`
    is not a word to search for."""
    from scraper.article import Article

    with open_archive(archive) as db:
        with db.transaction():
            db.save_article(Article(title="学校新闻", body="学校举行运动会。"), "http://x.cn/1.htm", "s", 1)
            db.save_article(Article(title="学校通知", body="学校放假通知。"), "http://x.cn/2.htm", "s", 1)
    result = run("search", "学校", "-通知", "--db", archive, "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["url"] for line in result.stdout.splitlines()] == ["http://x.cn/1.htm"]
    result = run("search", "学校", "--limt", "5", "--db", archive)
    assert result.exit_code == 2 and "No such option '--limt'" in result.output and "'--limit'" in result.output


@pytest.mark.parametrize("command", [["changes", "--since-run", "-1"], ["export", "--changed-since-run", "-3"],
                                     ["export", "--run", "0"], ["stats", "--db", ""], ["demo", "--db", " "]])
def test_a_run_number_or_an_archive_name_that_cannot_be_is_a_usage_error(archive, command):
    """Runs are numbered from 1 (`--since-run 0`: since the beginning); an empty --db names no file."""
    result = run(*command, "--db", archive) if "--db" not in command else run(*command)
    assert result.exit_code == 2, result.output
    assert "is a folder" not in result.output and "Traceback" not in result.output


def test_extract_takes_a_url_as_typed_or_pasted():
    """` HTTP://…/a.htm ` is a URL to fetch, as `crawl` takes it, not a file name."""
    from scraper.testsite import FixtureServer, bundled_sites

    with FixtureServer(bundled_sites()["univ"]) as server:
        result = run("extract", f" {server.origin.replace('http', 'HTTP')}/info/1012/3401.htm\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["title"]


def test_a_format_typed_in_capitals_is_that_format(tmp_path):
    """`--format CSV` is what a user reading "csv" in --help types as often as not."""
    db = tmp_path / "a.db"
    with open_archive(db):
        pass
    result = CliRunner().invoke(main, ["query", "SELECT 1 AS one", "--db", str(db), "--format", "CSV"])
    assert result.exit_code == 0 and result.output.splitlines() == ["one", "1"], result.output


@pytest.mark.parametrize("command", [["search", "会议"], ["export"]])
def test_nothing_found_for_a_site_name_points_to_the_list_of_sites(tmp_path, command):
    db = tmp_path / "a.db"
    with open_archive(db):
        pass
    result = CliRunner().invoke(main, [*command, "--site", "nope", "--db", str(db)])
    assert result.exit_code == 0 and "scraper stats" in result.stderr, result.stderr



def test_reextract_reads_the_selectors_of_the_sites_toml_where_it_runs(tmp_path, monkeypatch):
    """`scraper reextract` "after a selector change" where the crawl's sites.toml is: its
    [site.extract] selectors apply, as `crawl` reads it; without any, a warning says that the
    fields the selectors had read are read without them."""
    from scraper.testsite import FixtureServer, bundled_sites

    site = tmp_path / "news"
    site.mkdir()
    monkeypatch.chdir(site)
    with FixtureServer(bundled_sites()["univ"]) as server:
        (site / "sites.toml").write_text(f'[defaults]\ndelay = 0\n[[site]]\nname = "univ"\n'
                                         f'start_urls = ["{server.origin}/xwzx.htm"]\nmax_depth = 1\n'
                                         f'[site.extract]\ntitle = "title"\n', encoding="utf-8")
        result = run("crawl", "--db", "a.db", "--max-pages", "6")
    assert result.exit_code == 0, result.output

    def titles() -> list[str]:
        with sqlite3.connect(site / "a.db") as conn:
            return [t for t, in conn.execute("SELECT title FROM articles ORDER BY url")]

    crawled = titles()
    assert crawled and all(t.endswith("临江大学") for t in crawled)      # the whole <title>
    result = run("reextract", "--db", "a.db")
    assert result.exit_code == 0 and "updated" not in result.stderr, result.stderr
    assert titles() == crawled
    monkeypatch.chdir(tmp_path)                                           # no sites.toml here
    result = run("reextract", "--db", str(site / "a.db"))
    assert result.exit_code == 0
    assert f"site univ: {len(crawled)} article(s) were read with [site.extract] selectors" in result.stderr


def test_a_sites_toml_of_defaults_alone_serves_the_start_urls_given_beside_it(tmp_path):
    """`scraper crawl --config polite.toml URL`: the README's "start URLs given beside --config
    are crawled with the settings of its [defaults]" holds for a file that has no [[site]]."""
    from scraper.testsite import FixtureServer, bundled_sites

    config = tmp_path / "polite.toml"
    config.write_text('[defaults]\ndelay = 0\nmax_pages = 2\n', encoding="utf-8")
    with FixtureServer(bundled_sites()["univ"]) as server:
        result = run("crawl", "--config", str(config), f"{server.origin}/", "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 0, result.output
    assert ("GET", "/") in server.requests
    assert len([r for r in server.requests if r[1] != "/robots.txt"]) == 2        # its max_pages
    result = run("crawl", "--config", str(config), "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 1
    assert "no [[site]] tables (a file of [defaults] alone is for start URLs given beside it" in result.output


@pytest.mark.parametrize("command, header", [
    (["export", "--format", "csv", "--fields", "url,title"], "url,title"),
    (["export", "--format", "csv"], "url,site,title,published_at,author,"),
    (["query", "SELECT url, title FROM articles", "--format", "csv"], "url,title"),
    (["search", "学校", "--format", "csv"], "url,site,title,published_at,source,snippet"),
    (["changes", "--format", "csv"], "kind,url,site,title,version,when,run_id"),
])
def test_csv_of_nothing_still_has_its_header(archive, command, header):
    """A downstream job reading `export --format csv` (pandas, csvkit, a spreadsheet) fails on an
    empty file: no rows is a header and nothing else."""
    result = run(*command, "--db", archive)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(header) and len(result.stdout.splitlines()) == 1, result.stdout


@pytest.mark.parametrize("args, expected", [
    (["crawl", "http://127.0.0.1:9/", "-v"], "give it before the command, e.g. scraper -v crawl …"),
    (["stats", "-vv"], "e.g. scraper -v stats …"),
    (["files", "export", "out", "--log-file", "x.log"], "e.g. scraper --log-file FILE files export …"),
])
def test_a_logging_option_after_the_command_says_where_it_goes(args, expected):
    """The README's "-v adds each site's start and finish" is read as `scraper crawl URL -v`;
    click's "No such option '-v'" reads as if there were no -v at all."""
    result = run(*args)
    assert result.exit_code == 2
    assert "is an option of scraper itself" in result.output and expected in result.output, result.output


def test_extract_goes_on_past_a_url_that_fails_as_past_a_missing_file(tmp_path):
    from scraper.testsite import FixtureServer, bundled_sites

    with FixtureServer(bundled_sites()["univ"]) as server:
        result = run("extract", server.url("info/1012/3401.htm"), server.url("gone.htm"), str(tmp_path / "none.htm"),
                     server.url("info/1012/3483.htm"))
    assert result.exit_code == 1
    assert [json.loads(line)["path"] for line in result.stdout.splitlines()] == [
        server.url("info/1012/3401.htm"), server.url("info/1012/3483.htm")]
    assert f"error: could not fetch {server.url('gone.htm')}: HTTP 404" in result.stderr
    assert "none.htm: No such file or directory" in result.stderr


def test_extract_of_a_folder_without_pages_says_so(tmp_path):
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    result = run("extract", "--input-dir", str(tmp_path))
    assert result.exit_code == 0 and result.stdout == ""
    assert f"no .htm/.html/.shtml/.xhtml files under {tmp_path}" in result.stderr
    assert "give files" not in result.stderr


@pytest.mark.parametrize("command, option", [(["search", "学校"], "--since"), (["export"], "--until"),
                                             (["changes"], "--since")])
def test_a_bad_date_names_the_option_it_was_given_to(archive, command, option):
    result = run(*command, option, "2024-13", "--db", archive)
    assert result.exit_code == 2
    assert f"Invalid value for '{option}': not a date: '2024-13'" in result.output, result.output


def test_stats_json_has_keys_a_script_can_name(archive):
    """`scraper stats --format json | jq .recent_runs`, not the table's title with its
    explanation in parentheses as the key."""
    result = run("stats", "--db", archive, "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert {"sites", "pages_by_outcome", "frontier", "url_patterns_not_yielding", "recent_runs"} <= set(document)
    assert all(key.isidentifier() for key in document), list(document)


def test_export_into_a_folder_it_may_not_write_names_the_file_asked_for(archive, tmp_path, monkeypatch):
    """Not the hidden temporary name the export is first written under."""
    import tempfile

    def refused(prefix, suffix, dir):
        raise PermissionError(13, "Permission denied", f"{dir}/{prefix}x1y2z3{suffix}")

    monkeypatch.setattr(tempfile, "mkstemp", refused)
    result = run("export", "--db", archive, "-o", str(tmp_path / "out.jsonl"))
    assert result.exit_code == 1
    assert result.output == f"error: {tmp_path / 'out.jsonl'}: Permission denied\n"


@pytest.mark.parametrize("command", [["changes", "--since-run", "12"], ["export", "--changed-since-run", "12"],
                                     ["export", "--run", "12"]])
def test_a_run_the_archive_does_not_have_yet_is_said_not_just_zero(archive, command):
    """The README's `--since-run 12` typed against a fresh archive: "0 change(s)" alone reads
    as "nothing changed since run 12"."""
    result = run(*command, "--db", archive)
    assert result.exit_code == 0
    assert f"there is no run 12 in {archive}: its last run is none yet" in result.stderr, result.stderr


def test_extract_of_a_url_sends_the_user_agent_of_the_sites_toml_where_it_runs(tmp_path, monkeypatch):
    """Where `crawl URL` names the user with ./sites.toml's user_agent, `extract URL` does too."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    agents: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            agents.append(self.headers.get("User-Agent", ""))
            body = "<html><head><title>标题</title></head><body><h1>标题</h1><p>正文。</p></body></html>".encode()
            self.send_response(404 if self.path == "/robots.txt" else 200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.chdir(tmp_path)
        (tmp_path / "sites.toml").write_text('[defaults]\nuser_agent = "NewsDesk/1.0 (desk@example.org)"\n',
                                             encoding="utf-8")
        result = run("extract", f"http://127.0.0.1:{server.server_address[1]}/a.htm")
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 0, result.output
    assert agents and set(agents) == {"NewsDesk/1.0 (desk@example.org)"}


@pytest.mark.parametrize("scope, expected", [
    ('allow_patterns = ["/info/"]', "sites.toml:4: start URL 'http://a.cn/xwzx.htm' matches none of allow_patterns"),
    ('deny_patterns = ["xwzx"]', "sites.toml:4: start URL 'http://a.cn/xwzx.htm' matches deny_patterns 'xwzx'"),
])
def test_a_start_url_its_own_patterns_keep_out_is_a_config_error(tmp_path, scope, expected):
    """Otherwise the site fails on every run with exit code 4 and a bare 'off-scope'."""
    sites = tmp_path / "sites.toml"
    sites.write_text(f'[[site]]\nname = "a"\nstart_urls = ["http://a.cn/xwzx.htm"]\n{scope}\n', encoding="utf-8")
    result = run("config", "check", str(sites))
    assert result.exit_code == 1
    assert f"error: {tmp_path}/{expected}, so it would never be requested" in result.output, result.output
    sites.write_text('[[site]]\nname = "a"\nstart_urls = ["http://a.cn/info/xwzx.htm"]\nallow_patterns = ["/info/"]\n'
                     'deny_patterns = ["/system/"]\n', encoding="utf-8")
    assert run("config", "check", str(sites)).exit_code == 0


def test_a_start_url_typed_without_its_scheme_gets_a_hint(tmp_path):
    """`scraper crawl news.example.cn`, as typed in a browser's address bar."""
    result = run("crawl", "news.example.cn", "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 2
    assert "did you mean 'https://news.example.cn' or 'http://news.example.cn'?" in result.output
    result = run("crawl", "ftp://news.example.cn/", "--db", str(tmp_path / "a.db"))
    assert result.exit_code == 2 and "did you mean" not in result.output


def test_config_check_of_a_file_of_defaults_alone_shows_them(tmp_path):
    """Such a file is good beside start URLs (`crawl --config FILE URL`): checking it must not
    call it an error."""
    config = tmp_path / "polite.toml"
    config.write_text('[defaults]\ndelay = 2.5\n', encoding="utf-8")
    result = run("config", "check", str(config))
    assert result.exit_code == 0, result.output
    assert "start URLs given on the command line" in result.output
    assert "* delay                  2.5" in result.output
