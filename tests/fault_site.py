"""A hostile news site on loopback, for the crawler's fault tests: every trap a real site (or an
attacker) has set for crawlers, next to good pages that must still be archived.

Four servers, all on 127.0.0.0/8:

- main (127.0.0.1): good articles, sitemaps that explode, expand entities or are cut off,
  a 50 MB page, a gzip bomb page, a redirect loop, binary served as HTML, 10^5-deep nesting,
  invalid GBK, an unknown charset, redirects to private and link-local addresses, endless 500s;
- slow (127.0.0.2): a page that drips one byte a second and never ends;
- busy (127.0.0.3): 429 with a Retry-After of a day;
- offsite (127.0.0.9): linked from the home page but never in scope: it must see no request.

Names under ``fault.test`` resolve (through `resolve`, which the tests install in place of
the system resolver) to private and link-local addresses; the crawler must refuse them before
connecting. Every request is logged with its host, path and start/end times.
"""
from __future__ import annotations

import ipaddress
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from scraper.fetch import remote_exchange

# What the fake resolver answers for the in-scope names that must never be connected to.
PRIVATE_NAMES = {
    "intranet.fault.test": ["10.20.30.40"],
    "metadata.fault.test": ["169.254.169.254"],
    "mixed.fault.test": ["203.0.113.7", "192.168.0.1"],   # one public, one private: still refused
}
SECRET = "FAULT-SITE-SECRET-7f3a"        # in a local file an external entity points at

_PARAGRAPHS = (
    "为进一步做好冬季安全生产工作，近日召开专题会议，对有关工作作出部署。会议要求各单位压实责任，"
    "层层传导压力，确保各项措施落到实处。",
    "会议强调，要加强隐患排查治理，严格落实值班值守制度，确保人民群众生命财产安全。"
    "各部门要密切配合，形成工作合力。",
    "会议还对下一阶段重点工作进行了安排，要求各部门抓好落实，及时报送工作进展情况，"
    "切实把各项部署要求落到实处。",
)


def article_html(title: str, extra: str = "", charset: str = "utf-8") -> str:
    paragraphs = "".join(f"<p>{title}：{p}</p>" for p in _PARAGRAPHS)
    return (f"<html><head><meta charset='{charset}'><title>{title}</title></head><body><h1>{title}</h1>"
            f"<div class='info'>发布时间：2024-11-05 10:22 来源：办公室</div>"
            f"<div class='content'>{paragraphs}{extra}</div></body></html>")


@dataclass
class Fault:
    host: str            # 'main' | 'slow' | 'busy'
    path: str
    expect: str          # the reason the crawl must record, or 'archived'
    what: str            # one line for the timing table


# The page faults (sitemaps are listed by robots.txt, see SITEMAP_FAULTS). `expect` is checked
# against the frontier's reason for the URL (or the stored article).
PAGE_FAULTS = [
    Fault("main", "/big.htm", "too-large", "50 MB page, no Content-Length"),
    Fault("main", "/bomb.htm", "too-large", "gzip bomb (Content-Encoding: gzip, 1 GB inflated)"),
    Fault("main", "/loop-a.htm", "redirect-loop", "redirect loop a → b → a"),
    Fault("main", "/binary.htm", "not-html", "PNG bytes served as text/html"),
    Fault("main", "/deep.htm", "archived", "10^5-deep <div> nesting around an article"),
    Fault("main", "/bad-gbk.htm", "archived", "GBK page with invalid byte sequences"),
    Fault("main", "/klingon.htm", "archived", "unknown charset in header and <meta>"),
    Fault("main", "/to-intranet.htm", "forbidden-address", "redirect to a name resolving to 10.x"),
    Fault("main", "/to-metadata.htm", "forbidden-address", "redirect to a name resolving to 169.254.169.254"),
    Fault("main", "/to-private-ip.htm", "off-scope", "redirect to http://192.168.1.1/"),
    Fault("main", "/to-link-local.htm", "off-scope", "redirect to http://[fe80::1]/"),
    Fault("slow", "/drip.htm", "slow-body", "one byte a second, never ends"),
    Fault("main", "/e500.htm", "http-500", "500 forever"),
    Fault("busy", "/a.htm", "http-429", "429, Retry-After: 86400"),
    Fault("busy", "/b.htm", "host-down", "same host after that 429"),
]
SITEMAP_FAULTS = [
    Fault("main", "/bomb.xml.gz", "too-large", "gzip bomb sitemap (1 GB inflated)"),
    Fault("main", "/laughs.xml", "xml-entities", "entity expansion (billion laughs)"),
    Fault("main", "/xxe.xml", "xml-entities", "external entities: a local file and a remote DTD"),
    Fault("main", "/truncated.xml", "truncated", "urlset cut off mid-entry"),
    Fault("main", "/garbage.xml", "not-a-sitemap", "random bytes"),
    Fault("main", "/deep.xml", "not-a-sitemap", "10^5-deep nesting"),
    Fault("main", "/klingon.xml", "archived", "sitemap declaring an unknown encoding"),
]
# Direct links to names that resolve to private addresses (no redirect involved).
LINK_FAULTS = [
    Fault("main", "http://intranet.fault.test/x.htm", "forbidden-address", "link to a name resolving to 10.x"),
    Fault("main", "http://mixed.fault.test/x.htm", "forbidden-address", "link to a name resolving to public + private"),
]
GOOD = [f"/news/a{i}.htm" for i in range(1, 7)]
# Where each good page is found: the good sitemap, the truncated one, the xxe one, the
# sitemap in an unknown encoding, and the home page.
_GOOD_IN = {"sitemap": GOOD[:2], "truncated": GOOD[2:3], "xxe": GOOD[3:4], "klingon": GOOD[4:5]}

_GZIP_BOMB_SIZE = 1 << 30


def _gzip_bomb(size: int) -> bytes:
    """`size` zero bytes (a multiple of 1 MiB) gzipped, about 1 KB per MiB. Built from one
    deflate block repeated: after a full flush the compressor emits the same bytes for the
    same input, so a gigabyte costs one CRC pass instead of compressing it."""
    chunk = bytes(1 << 20)
    packer = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    packer.compress(chunk)
    packer.flush(zlib.Z_FULL_FLUSH)
    block = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    count, crc = size >> 20, 0
    for _ in range(count):
        crc = zlib.crc32(chunk, crc)
    end = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush()    # an empty final block
    return (b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff" + block * count + end
            + struct.pack("<II", crc, size & 0xFFFFFFFF))


@dataclass
class Request:
    host: str
    path: str
    start: float
    end: float = 0.0


@dataclass
class FaultSite:
    origins: dict[str, str]                         # 'main' → 'http://127.0.0.1:PORT' …
    log: list[Request] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    secret_file: str = ""

    @property
    def main(self) -> str:
        return self.origins["main"]

    def url(self, fault: Fault) -> str:
        return fault.path if fault.path.startswith("http") else self.origins[fault.host] + fault.path

    def requests(self, host: str) -> list[str]:
        return [r.path for r in self.log if r.host == host]

    async def resolve(self, name: str) -> list[str]:
        """Stands in for DNS: the private names above, nothing else."""
        self.resolved.append(name)
        if name in PRIVATE_NAMES:
            return PRIVATE_NAMES[name]
        raise OSError(f"{name}: no such name in the fault site")


def _routes(site: FaultSite, bomb: bytes) -> dict[str, dict[str, Callable[[BaseHTTPRequestHandler], None]]]:
    main, slow, busy, off = (site.origins[k] for k in ("main", "slow", "busy", "offsite"))
    sitemaps = [f.path for f in SITEMAP_FAULTS] + ["/sitemap.xml"]

    def urlset(paths: list[str], head: str = '<?xml version="1.0" encoding="utf-8"?>', tail: str = "</urlset>") -> bytes:
        locs = "".join(f"<url><loc>{main}{p}</loc><lastmod>2024-11-05</lastmod></url>" for p in paths)
        return f'{head}<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{locs}{tail}'.encode()

    laughs = ('<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY lol "lol">'
              + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
              + ']><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
              f"<url><loc>{main}/&lol9;</loc></url></urlset>").encode()
    xxe = urlset(_GOOD_IN["xxe"], head=(
        f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file://{site.secret_file}">'
        f'<!ENTITY % remote SYSTEM "{main}/evil.dtd"> %remote;]>'),
        tail=f"<url><loc>{main}/&xxe;</loc></url></urlset>")
    home_links = ([main + p for p in GOOD[5:]] + [site.url(f) for f in PAGE_FAULTS + LINK_FAULTS]
                  + [off + "/", "http://example.com/", "http://10.0.0.1/"])
    home = ("<html><head><meta charset='utf-8'><title>某某市人民政府</title></head><body><ul>"
            + "".join(f"<li><a href='{u}'>链接{i}</a></li>" for i, u in enumerate(home_links))
            + "</ul></body></html>")
    deep = article_html("深层嵌套页面", extra="<div>" * 100_000 + "嵌套" + "</div>" * 100_000)
    bad_gbk = article_html("编码损坏页面", charset="gbk").encode("gbk").replace("会议".encode("gbk"), b"\x81\x20\xfe", 2)

    def send(status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8", **headers: str):
        def answer(h: BaseHTTPRequestHandler) -> None:
            h.send_response(status)
            for k, v in {"Content-Type": ctype, "Content-Length": str(len(body)), **headers}.items():
                h.send_header(k.replace("_", "-"), v)
            h.end_headers()
            h.wfile.write(body)
        return answer

    def stream(chunk: bytes, count: int, pause: float = 0.0, ctype: str = "text/html; charset=utf-8"):
        """A body without a length (it ends when the connection does), `count` chunks."""
        def answer(h: BaseHTTPRequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", ctype)
            h.end_headers()
            for _ in range(count):
                h.wfile.write(chunk)
                h.wfile.flush()
                if pause:
                    time.sleep(pause)
        return answer

    def redirect(to: str):
        return send(302, Location=to)

    html = lambda text: send(200, text.encode("utf-8"))   # noqa: E731
    robots404 = send(404, b"")
    return {
        "main": {
            "/robots.txt": send(200, "".join(f"Sitemap: {main}{p}\n" for p in sitemaps).encode(), "text/plain"),
            "/": html(home),
            **{p: html(article_html(f"第{i}篇正常文章")) for i, p in enumerate(GOOD, 1)},
            "/sitemap.xml": send(200, urlset(_GOOD_IN["sitemap"]), "application/xml"),
            "/bomb.xml.gz": send(200, bomb, "application/x-gzip"),
            "/laughs.xml": send(200, laughs, "application/xml"),
            "/xxe.xml": send(200, xxe, "application/xml"),
            "/truncated.xml": send(200, urlset(_GOOD_IN["truncated"] + GOOD[5:], tail="")[:-60], "application/xml"),
            "/garbage.xml": send(200, bytes(range(256)) * 64, "application/xml"),
            "/deep.xml": send(200, b"<?xml version='1.0'?>" + b"<a>" * 100_000 + b"</a>" * 100_000, "application/xml"),
            "/klingon.xml": send(200, urlset(_GOOD_IN["klingon"], head='<?xml version="1.0" encoding="x-klingon"?>'),
                                 "application/xml"),
            "/big.htm": stream(b"<p>" + "大".encode() * 21_844 + b"</p>", 800),     # 50 MB
            "/bomb.htm": send(200, bomb, Content_Encoding="gzip"),
            "/loop-a.htm": redirect(main + "/loop-b.htm"),
            "/loop-b.htm": redirect(main + "/loop-a.htm"),
            "/binary.htm": send(200, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40),
            "/deep.htm": html(deep),
            "/bad-gbk.htm": send(200, bad_gbk, "text/html; charset=gbk"),
            "/klingon.htm": send(200, article_html("未知编码页面", charset="klingon").encode("utf-8"),
                                 "text/html; charset=x-klingon"),
            "/to-intranet.htm": redirect("http://intranet.fault.test/admin/"),
            "/to-metadata.htm": redirect("http://metadata.fault.test/latest/meta-data/"),
            "/to-private-ip.htm": redirect("http://192.168.1.1/"),
            "/to-link-local.htm": redirect("http://[fe80::1]/"),
            "/e500.htm": send(500, b"<h1>Internal Server Error</h1>"),
        },
        "slow": {
            "/robots.txt": robots404,
            "/drip.htm": stream(b"<", 3600, pause=1.0),
        },
        "busy": {
            "/robots.txt": robots404,
            "/a.htm": send(429, b"slow down", Retry_After="86400"),
            "/b.htm": send(429, b"slow down", Retry_After="86400"),
        },
        "offsite": {},
    }


_ADDRESSES = {"main": "127.0.0.1", "slow": "127.0.0.2", "busy": "127.0.0.3", "offsite": "127.0.0.9"}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass   # the crawler hung up on a drip or a 50 MB body: that is the point


@contextmanager
def fault_site(tmp_path) -> Iterator[FaultSite]:
    """Start the four servers; yields the site (origins, request log, resolver)."""
    servers = {name: _Server((address, 0), BaseHTTPRequestHandler) for name, address in _ADDRESSES.items()}
    site = FaultSite({name: f"http://{_ADDRESSES[name]}:{s.server_address[1]}" for name, s in servers.items()})
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    site.secret_file = str(secret)
    routes = _routes(site, _gzip_bomb(_GZIP_BOMB_SIZE))
    for name, server in servers.items():
        server.RequestHandlerClass = _handler(name, routes[name], site.log)
    threads = [threading.Thread(target=s.serve_forever, args=(0.05,), daemon=True) for s in servers.values()]
    for t in threads:
        t.start()
    try:
        yield site
    finally:
        for s in servers.values():
            s.shutdown()
            s.server_close()


def _handler(host: str, routes: dict, log: list[Request]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            entry = Request(host, self.path, time.monotonic())
            log.append(entry)
            try:
                routes.get(self.path, _not_found)(self)
            finally:
                entry.end = time.monotonic()

    return Handler


def _not_found(h: BaseHTTPRequestHandler) -> None:
    h.send_response(404)
    h.send_header("Content-Length", "0")
    h.end_headers()




class OutsideLoopback(AssertionError):
    """The crawler was about to connect outside 127.0.0.0/8: a test must never do that."""


def check_loopback(url: str) -> None:
    host = urlsplit(url).hostname or ""
    try:
        inside = ipaddress.ip_address(host) in ipaddress.ip_network("127.0.0.0/8")
    except ValueError:
        inside = False           # a name: the fault site's names must never be connected to
    if not inside:
        raise OutsideLoopback(url)


async def loopback_only_exchange(method: str, url: str, *args):
    """`remote_exchange` for the worker processes, refusing any address outside loopback
    (module-level, so spawned workers import it by name)."""
    check_loopback(url)
    async for value in remote_exchange(method, url, *args):
        yield value
