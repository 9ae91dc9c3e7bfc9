"""Serve the bundled fixture sites on loopback, so the demo and the tests crawl real HTTP.

Pages are written with placeholder origins (``http://SITE_ORIGIN``, ``http://OTHER_ORIGIN``)
because the port is only known once the server has bound; the server swaps the placeholders
for real origins in every body it sends (inside ``.gz`` files too). It behaves like the plain
static servers Chinese CMS sites sit behind: ``text/html`` without a charset, ETag and
Last-Modified with 304 answers, 404 for missing files. ``set_response`` injects faults.

Stdlib only: the demo must run without extra dependencies.
"""
from __future__ import annotations

import gzip
import hashlib
import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

SITE_PLACEHOLDER = "http://SITE_ORIGIN"
OTHER_PLACEHOLDER = "http://OTHER_ORIGIN"

# Deliberately no charset on HTML: many Chinese servers omit it, so decoders must sniff <meta>.
CONTENT_TYPES: dict[str, str] = {
    ".htm": "text/html",
    ".html": "text/html",
    ".jsp": "text/html",
    ".xml": "application/xml",
    ".txt": "text/plain",
    ".gz": "application/x-gzip",
    ".pdf": "application/pdf",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".css": "text/css",
    ".js": "application/javascript",
}
DEFAULT_CONTENT_TYPE = "application/octet-stream"
INDEX_FILES = ("index.html", "index.htm")


@dataclass
class _Override:
    status: int
    headers: dict[str, str]
    body: bytes
    remaining: int | None    # None: for good


@dataclass
class _Resource:
    body: bytes
    content_type: str
    etag: str
    mtime: int


class _Server(ThreadingHTTPServer):
    daemon_threads = True            # a stuck keep-alive connection must not delay stop()
    block_on_close = False

    def __init__(self, address, fixture: "FixtureServer"):
        self.fixture = fixture
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request, client_address) -> None:
        """Stay quiet: clients dropping connections mid-response is normal during crawls."""

    def process_request(self, request, client_address) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Cut keep-alive connections, which would otherwise keep answering after stop()."""
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Apache"        # what most of these CMS front-ends announce
    sys_version = ""
    timeout = 10                     # idle keep-alive connections die on their own
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle + delayed ACK add ~40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args) -> None:
        """No access log: tests and the demo own stdout/stderr."""

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def _respond(self, send_body: bool) -> None:
        fixture = self.server.fixture
        fixture._record(self.command, self.path)
        override = fixture._take_override(self.path)
        if override is not None:
            self._send(override.status, override.headers, override.body, send_body)
            return
        resource = fixture._load(self.path)
        if resource is None:
            self._send(404, {"Content-Type": "text/html"}, b"<html><body><h1>404 Not Found</h1></body></html>",
                       send_body)
            return
        headers = {
            "Content-Type": resource.content_type,
            "ETag": resource.etag,
            "Last-Modified": formatdate(resource.mtime, usegmt=True),
        }
        if self._not_modified(resource):
            self._send(304, {"ETag": resource.etag, "Last-Modified": headers["Last-Modified"]}, b"", False)
            return
        self._send(200, headers, resource.body, send_body)

    def _not_modified(self, resource: _Resource) -> bool:
        """RFC 9110 §13.1: If-None-Match wins over If-Modified-Since when both are sent."""
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {t.strip() for t in if_none_match.split(",")}
            return "*" in tags or resource.etag in tags or f"W/{resource.etag}" in tags
        since = self.headers.get("If-Modified-Since")
        if since:
            try:
                return resource.mtime <= parsedate_to_datetime(since).timestamp()
            except (TypeError, ValueError):
                return False
        return False

    def _send(self, status: int, headers: Mapping[str, str], body: bytes, send_body: bool) -> None:
        self.send_response(status)
        lowered = {k.lower() for k in headers}
        for name, value in headers.items():
            self.send_header(name, value)
        if "content-length" not in lowered and status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and status != 304:
            self.wfile.write(body)


@dataclass
class FixtureServer:
    """Serve one fixture site directory on a loopback address in a background thread.

    ``substitutions`` maps placeholder → value in served bodies and override headers. The server
    always maps ``http://SITE_ORIGIN`` to its own origin and, unless given, ``http://OTHER_ORIGIN``
    to ``http://127.0.0.2:<its port>`` (a different host where nothing listens: off-site).
    The query string is ignored when looking up files, as static servers do, so
    ``a.htm?print=1`` serves ``a.htm``; overrides match the exact path-with-query first,
    then the bare path.
    """

    root: Path | str
    host: str = "127.0.0.1"
    port: int = 0
    substitutions: dict[str, str] | None = None
    origin: str = field(default="", init=False)
    requests: list[tuple[str, str]] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        if not self.root.is_dir():
            raise NotADirectoryError(self.root)
        self._lock = threading.Lock()
        self._overrides: dict[str, _Override] = {}
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> "FixtureServer":
        if self._server is not None:
            return self
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self.origin = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"fixture-server-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join()

    def __enter__(self) -> "FixtureServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- fault injection -------------------------------------------------------------------
    def set_response(self, path: str, *, status: int = 200, headers: dict[str, str] | None = None,
                     body: bytes = b"", times: int | None = None) -> None:
        """Override a path (fault injection: 500s, 429 + Retry-After, redirects, loops, huge or
        binary bodies) for `times` requests, or for good when None."""
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        with self._lock:
            self._overrides[path] = _Override(status, dict(headers or {}), body, times)

    def url(self, path: str) -> str:
        """Absolute URL of a site path (``/xwzx.htm`` or ``xwzx.htm``)."""
        return f"{self.origin}/{path.lstrip('/')}"

    # -- used by the handler ---------------------------------------------------------------
    def _record(self, method: str, path: str) -> None:
        with self._lock:
            self.requests.append((method, path))

    def _take_override(self, raw_path: str) -> _Override | None:
        bare = urlsplit(raw_path).path
        with self._lock:
            key = raw_path if raw_path in self._overrides else bare if bare in self._overrides else None
            if key is None:
                return None
            override = self._overrides[key]
            if override.remaining is not None:
                override.remaining -= 1
                if override.remaining == 0:
                    del self._overrides[key]
        return _Override(override.status, {k: self._substitute_text(v) for k, v in override.headers.items()},
                         self._substitute(override.body), None)

    def _load(self, raw_path: str) -> _Resource | None:
        target = self._resolve(raw_path)
        if target is None:
            return None
        data = target.read_bytes()
        if target.suffix == ".gz":
            data = gzip.compress(self._substitute(gzip.decompress(data)), mtime=0)
        else:
            data = self._substitute(data)
        return _Resource(
            body=data,
            content_type=CONTENT_TYPES.get(target.suffix.lower(), DEFAULT_CONTENT_TYPE),
            etag='"' + hashlib.sha1(data).hexdigest()[:16] + '"',
            mtime=int(target.stat().st_mtime),
        )

    def _resolve(self, raw_path: str) -> Path | None:
        """Map a request path to a file under root; None for missing files and escapes."""
        path = unquote(urlsplit(raw_path).path)
        if "\x00" in path:
            return None
        candidate = (Path(self.root) / path.lstrip("/")).resolve()   # a Path since __post_init__
        if not candidate.is_relative_to(self.root):
            return None
        if candidate.is_dir():
            return next((candidate / n for n in INDEX_FILES if (candidate / n).is_file()), None)
        return candidate if candidate.is_file() else None

    def _mapping(self) -> dict[str, str]:
        mapping = {OTHER_PLACEHOLDER: f"http://127.0.0.2:{self.port}"}
        mapping.update(self.substitutions or {})
        mapping[SITE_PLACEHOLDER] = self.origin
        return mapping

    def _substitute_text(self, text: str) -> str:
        for placeholder, value in self._mapping().items():
            text = text.replace(placeholder, value)
        return text

    def _substitute(self, data: bytes) -> bytes:
        # Placeholders and origins are ASCII, so byte replacement is safe in GBK and UTF-8 alike.
        for placeholder, value in self._mapping().items():
            data = data.replace(placeholder.encode("ascii"), value.encode("ascii"))
        return data


def placeholder_for(name: str) -> str:
    """Placeholder another site uses to link to site `name`: ``univ`` → ``http://UNIV_ORIGIN``."""
    return f"http://{name.upper()}_ORIGIN"


@contextmanager
def serve_sites(roots: Mapping[str, str | Path], host: str = "127.0.0.1") -> Iterator[dict[str, FixtureServer]]:
    """Start one server per site and let the sites link to each other.

    Every server substitutes ``http://<NAME>_ORIGIN`` for every site name, and
    ``http://OTHER_ORIGIN`` with the origin of the next site in `roots` order (cyclically), so
    the fixtures' off-site links land on a real, different origin. Yields name → server.
    """
    servers = {name: FixtureServer(root, host=host) for name, root in roots.items()}
    try:
        for server in servers.values():
            server.start()
        names = list(servers)
        origins = {placeholder_for(n): s.origin for n, s in servers.items()}
        for i, name in enumerate(names):
            other = servers[names[(i + 1) % len(names)]]
            servers[name].substitutions = {**origins, OTHER_PLACEHOLDER: other.origin}
        yield servers
    finally:
        for server in servers.values():
            server.stop()


FIXTURE_SITES_DIR = Path(__file__).resolve().parent / "demo_sites"   # package data: the demo needs no checkout


def bundled_sites(base: str | Path = FIXTURE_SITES_DIR) -> dict[str, Path]:
    """Site name → root of the bundled fixture sites (a source checkout or editable install).

    Their ground truth is ``<base>/truth.json``. Feed the result to `serve_sites`.
    """
    base = Path(base)
    return {name: base / name for name in ("univ", "gov") if (base / name).is_dir()}
