"""Dynamic twins of articles: a script that renders, from the id in its query, an article the
site also publishes as a static page whose path carries that id.

CMSs that generate static pages keep the script that renders an article on demand: DedeCMS's
`/plus/view.php?aid=5053` is the page generated as `/a/news/2023/0213/5053.html`, PHPCMS's
`index.php?m=content&c=index&a=show&catid=10&id=123` is `/html/2019/news_1101/123.html`,
帝国CMS's `/e/action/ShowInfo.php?classid=2&id=123` is `/news/2019-11-01/123.html`. The blocks
their templates render on demand (相关文章, 热点, search results) link the dynamic form. Each
such link was fetched as an article and known for a twin only once stored: on a simulated
DedeCMS site of 60 articles, 70 requests, and a crawl cut at 1.2 × the article count spent half
its pages on them.

The crawl learns the relation from the twins it stores. When a page fetched at a URL with a
query holds the article stored from a URL without one, and the value of one of its query
parameters is one of the last `PLACES` numbers of that URL's path, the script (host and path),
its parameter names, the one that carries the id and the id's place in the path make a
`TwinRule`; `AGREE` articles agreeing on it teach it (one could be a coincidence). From then on
a URL of the rule names the article whose path carries its id there: seen this run (`note`),
that article's alias, without a request once it is stored; not seen, it is queued after
everything else, when the lists have revealed the article under its own URL if they ever do,
and fetched only then. A URL of the script with other parameters (`&pageno=2`, `&print=1`) is
no twin of the static page.

Before a rule is learned, a URL whose query carries an id, on a site that has shown article
URLs without one, is `doubtful`: queued after everything else and fetched one of its script's at
a time. By then the lists have revealed the static pages, and the first two such URLs fetched
teach the rule, which settles the others (the 相关文章 links were fetched before the lists were
read, each before its static page was known). One holding an article stored from no other URL
shows that its script has articles of its own (`refute`): its URLs are fetched as any. Rules are kept beside the site's URL pattern yields (a row
`{id-twin}…`), so that later runs start knowing them.
"""
from __future__ import annotations

import re
from collections import Counter, OrderedDict
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

AGREE = 2              # articles that must agree on a rule before it is used
PLACES = 2             # the id is one of the path's last numbers (PHPCMS show-10-123-1.html: before the last)
TWIN = "twin"          # the `alias` column of a rule's row in the pattern yields
_REMEMBERED = 65536    # paths' numbers remembered (see `IdTwins.note`), the latest kept
_PREFIX = "{id-twin}"
_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True)
class TwinRule:
    """URLs of `script` with exactly the query parameters `names` are the article whose static
    URL (same host, no query) has the value of `key` as its number at `place` from the end."""

    script: str                 # host[:port]/path of the dynamic URLs
    names: tuple[str, ...]      # their query's parameter names, sorted
    key: str                    # the one carrying the id
    place: int                  # 0: the path's last number, 1: the one before it

    def pattern(self) -> str:
        """The key under which the rule is kept with the site's URL pattern yields."""
        return f"{_PREFIX}{self.script} {'&'.join(self.names)} {self.key} {self.place}"

    @classmethod
    def parse(cls, pattern: str) -> TwinRule | None:
        """The rule a pattern key keeps (see `pattern`), else None."""
        if not pattern.startswith(_PREFIX):
            return None
        fields = pattern[len(_PREFIX):].rsplit(" ", 3)
        if len(fields) != 4 or not fields[3].isdigit():
            return None
        script, names, key, place = fields
        return cls(script, tuple(names.split("&")), key, int(place))


def _query(url: str) -> tuple[str, dict[str, str]] | None:
    """(host/path, its query's parameters) of a URL with a query, else None."""
    parts = urlsplit(url)
    if not parts.query:
        return None
    return parts.netloc + parts.path, dict(parse_qsl(parts.query, keep_blank_values=True))


def _numbers(path: str) -> list[str]:
    """The last `PLACES` numbers of a path, the last first."""
    return _DIGITS.findall(path)[::-1][:PLACES]


class IdTwins:
    """One site's twin rules and the numbers of the article paths seen this run (see the module doc)."""

    def __init__(self) -> None:
        self.rules: set[TwinRule] = set()
        self.votes: Counter[TwinRule] = Counter()
        self._paths: OrderedDict[tuple[str, int, str], str] = OrderedDict()   # (host, place, number) → URL
        self._hosts: set[str] = set()       # of the article URLs without a query seen
        self.own: set[tuple[str, tuple[str, ...]]] = set()   # (script, names) that showed articles of their own

    def note(self, url: str) -> None:
        """An article URL without a query was seen: a twin naming its id finds it."""
        parts = urlsplit(url)
        if parts.query:
            return
        self._hosts.add(parts.netloc)
        for place, number in enumerate(_numbers(parts.path)):
            key = (parts.netloc, place, number)
            self._paths[key] = url
            self._paths.move_to_end(key)
        while len(self._paths) > _REMEMBERED:
            self._paths.popitem(last=False)

    def _match(self, url: str) -> tuple[str, TwinRule, str] | None:
        """(host, rule, id) when `url` is of a learned rule."""
        if not self.rules:
            return None
        found = _query(url)
        if found is None:
            return None
        script, params = found
        names = tuple(sorted(params))
        for rule in self.rules:
            if rule.script == script and rule.names == names and params[rule.key].isdigit():
                return script.partition("/")[0], rule, params[rule.key]
        return None

    def is_twin(self, url: str) -> bool:
        """Whether `url` is of a learned rule: the dynamic twin of an article named by its id."""
        return self._match(url) is not None

    def doubtful(self, url: str) -> bool:
        """Whether `url`, with a query whose values are ids, is on a host that has shown
        article URLs without one, and its script has not shown an article of its own: until a
        pair of twins is seen it may be one (see the module doc)."""
        found = _query(url)
        return (found is not None and found[0].partition("/")[0] in self._hosts
                and (found[0], tuple(sorted(found[1]))) not in self.own
                and any(value.isdigit() for value in found[1].values()))

    def refute(self, url: str) -> None:
        """`url` held an article stored from no other URL: its script's URLs are no twins."""
        found = _query(url)
        if found is not None:
            self.own.add((found[0], tuple(sorted(found[1]))))

    def twin(self, url: str) -> str | None:
        """The article URL seen this run of which `url` is the dynamic twin, if any."""
        found = self._match(url)
        if found is None:
            return None
        host, rule, number = found
        return self._paths.get((host, rule.place, number))

    def learn(self, a: str, b: str) -> list[TwinRule]:
        """`a` and `b` hold the same article: the rules this pair newly teaches (see the module doc)."""
        dynamic, static = (a, b) if "?" in a else (b, a)
        found, plain = _query(dynamic), urlsplit(static)
        if found is None or plain.query or found[0].partition("/")[0] != plain.netloc:
            return []
        script, params = found
        numbers = _numbers(plain.path)
        learned = []
        for name, value in params.items():
            for place, number in enumerate(numbers):
                if value == number:
                    rule = TwinRule(script, tuple(sorted(params)), name, place)
                    self.votes[rule] += 1
                    if self.votes[rule] >= AGREE and rule not in self.rules:
                        self.rules.add(rule)
                        learned.append(rule)
        return learned

    def may_pair(self, dynamic: str, static: str) -> bool:
        """Whether a query value of `dynamic` is one of the numbers `learn` looks for in `static`
        (a cheap test before asking the archive whether they hold the same article)."""
        found = _query(dynamic)
        numbers = _numbers(urlsplit(static).path)
        return found is not None and any(value in numbers for value in found[1].values())
