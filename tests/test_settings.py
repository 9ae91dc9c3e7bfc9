"""sites.toml as a user writes it: every documented key is read, every mistake is refused when
the file is loaded, one line per problem with the file and line number."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from scraper.cli import main
from scraper.settings import ConfigError, RunSettings, Settings, load_config, load_sites
from scraper.testsite import FixtureServer, bundled_sites

SITE = '[[site]]\nname = "x"\nstart_urls = ["http://127.0.0.1:9/"]\n'


def load(tmp_path, text: str):
    path = tmp_path / "sites.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def problems(tmp_path, text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return caught.value.problems


def test_every_documented_key_is_read_and_ints_stand_for_floats(tmp_path):
    config = load(tmp_path, "[defaults]\ndelay = 2\nmax_pages = 50\nmax_duration = 60\nconcurrency = 3\n"
                            "extract_workers = 0\nrecheck_days = 7\n" + SITE
                  + "delay = 0.5\ntimeout = 5\nuser_agent = \"me/1\"\nrespect_robots = false\n"
                    "allow_patterns = [\"/info/\", \"/$\"]\nper_host_concurrency = 2\nrefresh = true\n")
    assert config.run == RunSettings(max_pages=50, max_duration=60.0, concurrency=3, extract_workers=0)
    site = config.sites[0].settings
    assert (site.delay, site.timeout, site.user_agent, site.respect_robots) == (0.5, 5.0, "me/1", False)
    assert isinstance(site.timeout, float) and site.recheck_days == 7.0 and site.refresh
    assert config.sites[0].allow_patterns == ("/info/", "/$")
    # a later site without its own delay gets [defaults]' one
    assert load(tmp_path, "[defaults]\ndelay = 2\n" + SITE).sites[0].settings.delay == 2.0


def test_run_wide_key_inside_a_site_names_file_and_line(tmp_path):
    (line,) = problems(tmp_path, SITE + "max_pages = 10\n")
    assert line.startswith(f"{tmp_path / 'sites.toml'}:4: ") and "run-wide" in line and "[defaults]" in line


@pytest.mark.parametrize("body, words", [
    ("concurrency = 0", "concurrency = 0 must be ≥ 1"),
    ("delay = -5", "delay = -5 must be ≥ 0"),
    ("timeout = 0", "timeout = 0 must be > 0"),
    ("max_duration = 0", "max_duration = 0 must be > 0"),
    ("max_pages = 1.5", "must be a whole number"),
    ("respect_robots = 1", "must be true or false"),
    ("delay = \"abc\"", "must be a number"),
    ("delai = 3", "unknown key 'delai' (did you mean 'delay'?)"),
])
def test_bad_values_in_defaults(tmp_path, body, words):
    (line,) = problems(tmp_path, f"[defaults]\n{body}\n" + SITE)
    assert line.startswith(f"{tmp_path / 'sites.toml'}:2: ") and words in line


@pytest.mark.parametrize("body, words", [
    ("delay = -1", "must be ≥ 0"),
    ("per_host_concurrency = 0", "must be ≥ 1"),
    ("titel = \"h1\"", "unknown key 'titel'"),
    ("deny_patterns = [\"(\"]", "bad regular expression"),
    ("allow_hosts = \"a.cn\"", "allow_hosts must be a list of strings"),
])
def test_bad_values_in_a_site(tmp_path, body, words):
    (line,) = problems(tmp_path, SITE + body + "\n")
    assert line.startswith(f"{tmp_path / 'sites.toml'}:4: ") and words in line


def test_start_urls_as_a_string_says_so(tmp_path):
    (line,) = problems(tmp_path, '[[site]]\nname = "x"\nstart_urls = "http://127.0.0.1:9/"\n')
    assert ":3: start_urls must be a list of strings" in line and "not an http(s) URL: h" not in line


@pytest.mark.parametrize("text, words", [
    ('[[site]]\nname = "x"\n', "has no start_urls"),
    ('[[site]]\nname = "x"\nstart_urls = []\n', "start_urls is empty"),
    ('[[site]]\nstart_urls = ["ftp://a.cn/"]\n', "not an http(s) URL: 'ftp://a.cn/'"),
    ('[defaults]\ndelay = 1\n', "no [[site]] tables"),
    ('[default]\ndelay = 1\n' + SITE, "unknown key 'default' (did you mean 'defaults'?)"),
    ('[[site\n', "sites.toml:1: TOML syntax: "),
])
def test_structural_problems(tmp_path, text, words):
    assert any(words in line for line in problems(tmp_path, text))


def test_extract_table_checks_fields_and_selectors(tmp_path):
    lines = problems(tmp_path, SITE + '[site.extract]\ntitel = "h1"\nbody = "#content >"\ntitle = "h1.x"\n')
    assert len(lines) == 2
    assert lines[0].endswith(":5: [site.extract]: unknown key 'titel' (did you mean 'title'?)")
    assert ":6: [site.extract] body = '#content >' is not a valid CSS selector" in lines[1]


def test_duplicate_site_names_and_every_problem_listed(tmp_path):
    lines = problems(tmp_path, SITE + "delay = -1\n" + SITE + "timeout = -2\n")
    assert len(lines) == 2 and "timeout" in lines[1] and ":8:" in lines[1]
    lines = problems(tmp_path, SITE + SITE)
    assert lines == [f"{tmp_path / 'sites.toml'}:5: site name 'x' is used twice (also site #1)"]


def test_settings_objects_refuse_bad_values_too():
    with pytest.raises(ConfigError, match="concurrency = 0 must be ≥ 1"):
        RunSettings(concurrency=0)
    with pytest.raises(ConfigError, match="unknown key 'concurency'"):
        RunSettings().with_overrides(concurency=2)
    assert Settings().with_overrides(delay=2).delay == 2.0 and Settings().with_overrides(delay=None).delay == 1.0
    assert "scraper/" in Settings().user_agent and "http" not in Settings().user_agent


def test_load_sites_is_the_sites_of_load_config(tmp_path):
    (tmp_path / "sites.toml").write_text(SITE, encoding="utf-8")
    assert [s.name for s in load_sites(tmp_path / "sites.toml")] == ["x"]


def test_config_check_prints_effective_settings(tmp_path):
    path = tmp_path / "sites.toml"
    path.write_text("[defaults]\ndelay = 2\nmax_duration = 600\n" + SITE + "timeout = 5\n"
                    '[site.extract]\ntitle = "h1"\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["config", "check", str(path)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "site x:" in out and "start_urls" in out and "extract.title" in out
    assert "* delay                  2.0" in out and "* timeout                5.0" in out
    assert "* max_duration           600.0" in out and "  concurrency            8" in out
    path.write_text(SITE + "concurrency = 0\nfoo = 1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["config", "check", str(path)])
    assert result.exit_code == 1 and len(result.stderr.splitlines()) == 2


def test_budgets_from_the_config_stop_the_crawl(tmp_path):
    with FixtureServer(bundled_sites()["univ"]) as server:
        # no Sitemap: line, so the crawl guesses /sitemap.xml, which allow_patterns refuse
        server.set_response("/robots.txt", headers={"Content-Type": "text/plain"}, body=b"User-agent: *\nDisallow:\n")
        path = tmp_path / "sites.toml"
        path.write_text(f'[defaults]\nmax_pages = 4\ndelay = 0\n[[site]]\nname = "u"\n'
                        f'start_urls = ["{server.origin}/"]\n', encoding="utf-8")
        result = CliRunner().invoke(main, ["crawl", "--config", str(path), "--db", str(tmp_path / "a.db")])
        assert result.exit_code == 0 and "limit: 4 pages fetched" in result.stderr, result.stderr
        path.write_text(f'[defaults]\nmax_duration = 0.5\ndelay = 5\n[[site]]\nname = "u"\n'
                        f'start_urls = ["{server.origin}/"]\n', encoding="utf-8")
        result = CliRunner().invoke(main, ["crawl", "--config", str(path), "--db", str(tmp_path / "a.db")])
        assert result.exit_code == 0 and " limit: " in result.stderr, result.stderr


def test_start_urls_given_beside_a_config_take_its_defaults(tmp_path):
    """`scraper crawl --config sites.toml URL`: the URL's site is crawled with the [defaults] the
    user wrote (their user_agent, delay, limits), not with the built-in ones; flags still win."""
    univ = bundled_sites()["univ"]
    with FixtureServer(univ) as configured, FixtureServer(univ, host="127.0.0.2") as given:
        path = tmp_path / "sites.toml"
        path.write_text(f'[defaults]\ndelay = 0\nmax_depth = 0\n[[site]]\nname = "u"\n'
                        f'start_urls = ["{configured.origin}/"]\n', encoding="utf-8")
        result = CliRunner().invoke(main, ["crawl", "--config", str(path), given.origin + "/",
                                           "--db", str(tmp_path / "a.db")])
        assert result.exit_code == 0, result.output
        # max_depth = 0: the start page and what robots.txt names, none of the pages it links to
        assert {p for _, p in given.requests} == {p for _, p in configured.requests} == {"/robots.txt", "/sitemap.xml", "/"}


def test_start_urls_given_where_a_sites_toml_is_take_its_defaults_not_its_sites(tmp_path, monkeypatch):
    """`scraper crawl URL` run where the user keeps a sites.toml: the [defaults] written there
    (a delay, a user agent, limits) hold for the URL; the file's own sites are not crawled.
    Before, the file was read only when no URL was given, and its settings were ignored."""
    univ = bundled_sites()["univ"]
    with FixtureServer(univ) as configured, FixtureServer(univ, host="127.0.0.2") as given:
        (tmp_path / "sites.toml").write_text(f'[defaults]\ndelay = 0\nmax_depth = 0\n[[site]]\nname = "u"\n'
                                             f'start_urls = ["{configured.origin}/"]\n', encoding="utf-8")
        monkeypatch.chdir(tmp_path)
        result = CliRunner().invoke(main, ["crawl", given.origin + "/", "--db", "a.db"])
        assert result.exit_code == 0, result.output
        assert {p for _, p in given.requests} == {"/robots.txt", "/sitemap.xml", "/"}   # max_depth = 0
        assert not configured.requests


@pytest.mark.parametrize("command", [["crawl", "http://127.0.0.1:9/"], ["worker"]])
def test_a_flag_out_of_its_settings_range_is_a_usage_error_naming_the_flag(tmp_path, command):
    result = CliRunner().invoke(main, [*command, "--max-duration", "0", "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2 and "'--max-duration'" in result.output, result.output
    assert not (tmp_path / "a.db").exists()


def test_flags_take_exactly_the_values_their_settings_take():
    """A flag and the sites.toml key it stands for share one range: `--timeout 0.5` is as good
    as `timeout = 0.5`."""
    from scraper.settings import LOWEST

    checked = set()
    for command in ("crawl", "worker"):
        for param in main.commands[command].params:
            name = {"per_host": "per_host_concurrency"}.get(param.name, param.name)
            if name in LOWEST:
                lowest, inclusive = LOWEST[name]
                assert (param.type.min, param.type.min_open) == (lowest, not inclusive), param.name
                checked.add(name)
    assert {"timeout", "max_duration", "delay", "per_host_concurrency", "extract_workers"} <= checked


@pytest.mark.parametrize("text, expected", [
    (SITE + "per_host = 2\n", ":4: unknown key 'per_host' (did you mean 'per_host_concurrency'?)"),
    (SITE + 'include_patterns = ["/info/"]\n', ":4: unknown key 'include_patterns' (did you mean 'allow_patterns'?)"),
    (SITE + 'exclude-patterns = ["/tag/"]\n', ":4: unknown key 'exclude-patterns' (did you mean 'deny_patterns'?)"),
    ("[defaults]\nmax-pages = 5\n" + SITE, ":2: unknown key 'max-pages' (did you mean 'max_pages'?)"),
    ('user_agent = "me/1"\n' + SITE, ":1: user_agent belongs in [defaults] (every site) or in a [[site]]"),
    ("max_pages = 5\n" + SITE, ":1: max_pages belongs in [defaults]"),
])
def test_a_key_named_as_elsewhere_or_put_above_every_table_gets_the_right_hint(tmp_path, text, expected):
    """What a user brings from the flags (--per-host, --max-pages), from other crawlers
    (include/exclude) or writes at the top of the file is pointed to the key and the table
    meant, never to a key of the opposite meaning."""
    (line,) = problems(tmp_path, text)
    assert line.endswith(expected), line


def test_scope_lists_in_defaults_hold_for_every_site_that_sets_none(tmp_path):
    """The README lists allow_hosts, allow_patterns and deny_patterns among the settings of
    [defaults] or a [[site]]: in [defaults] they are checked like a site's and a site's own list
    replaces them, as with every other key."""
    config = load(tmp_path, '[defaults]\ndeny_patterns = ["/system/"]\nallow_hosts = ["*.a.cn"]\n'
                            + SITE + '[[site]]\nname = "y"\nstart_urls = ["http://127.0.0.1:9/"]\n'
                            'deny_patterns = ["/tag/"]\n')
    assert [(s.deny_patterns, s.allow_hosts) for s in config.sites] == [(("/system/",), ("*.a.cn",)),
                                                                       (("/tag/",), ("*.a.cn",))]
    (line,) = problems(tmp_path, '[defaults]\ndeny_patterns = ["("]\n' + SITE)
    assert ":2: bad regular expression '('" in line


def test_deny_patterns_in_defaults_are_obeyed(tmp_path):
    with FixtureServer(bundled_sites()["univ"]) as server:
        path = tmp_path / "sites.toml"
        path.write_text(f'[defaults]\ndelay = 0\ndeny_patterns = ["/info/"]\n[[site]]\nname = "u"\n'
                        f'start_urls = ["{server.origin}/"]\n', encoding="utf-8")
        result = CliRunner().invoke(main, ["crawl", "--config", str(path), "--db", str(tmp_path / "a.db")])
        assert result.exit_code == 0, result.output
        paths = [p for _, p in server.requests]
        assert "/" in paths and not [p for p in paths if p.startswith("/info/")]


def test_max_pages_counts_requests_not_urls_refused_before_one(tmp_path):
    """max_pages is fetches per run: a URL refused without a request (out of allow_patterns,
    disallowed by robots.txt) costs none of them."""
    with FixtureServer(bundled_sites()["univ"]) as server:
        # no Sitemap: line, so the crawl guesses /sitemap.xml, which allow_patterns refuse
        server.set_response("/robots.txt", headers={"Content-Type": "text/plain"}, body=b"User-agent: *\nDisallow:\n")
        path = tmp_path / "sites.toml"
        path.write_text(f'[defaults]\nmax_pages = 4\ndelay = 0\n[[site]]\nname = "u"\n'
                        f'start_urls = ["{server.origin}/"]\nallow_patterns = ["/info/", ":[0-9]+/$"]\n',
                        encoding="utf-8")
        result = CliRunner().invoke(main, ["crawl", "--config", str(path), "--db", str(tmp_path / "a.db")])
        assert result.exit_code == 0 and "limit: 4 pages fetched" in result.stderr, result.stderr
        assert len([p for _, p in server.requests if p != "/robots.txt"]) == 4
        assert " 0 errors" in result.stderr         # a guess the scope refuses is not made
