"""Attachments kept in the archive (a site's `download_files`): which links are wanted, and
writing the kept files out under readable names."""
from __future__ import annotations

import re
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from .store import open_archive

_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
_EXTENSION = re.compile(r"\.([A-Za-z0-9]{1,5})$")
# Path endings of a script that serves the file, not of the file itself (download.jsp?id=7).
_SCRIPTS = frozenset("jsp asp aspx php do action cgi htm html shtml".split())


def file_extension(url: str, text: str | None = None) -> str | None:
    """The attachment's type as an extension (lower case): from the URL's path, else from the
    link text (`download.jsp?id=7` linked as 招生计划.xlsx)."""
    for candidate in (unquote(urlsplit(url).path), (text or "").strip()):
        match = _EXTENSION.search(candidate)
        if match and match.group(1).lower() not in _SCRIPTS:
            return match.group(1).lower()
    return None


def export_name(text: str | None, url: str, sha256: str) -> str:
    """A file name from the link text (what the article calls it), with the extension the file
    has; the URL's last segment when there is no text."""
    extension = file_extension(url, text)
    base = (text or "").strip() or PurePosixPath(unquote(urlsplit(url).path)).name or sha256[:12]
    base = _UNSAFE.sub("_", base).strip(" ._") or sha256[:12]
    if extension and not base.lower().endswith("." + extension):
        base += "." + extension
    return base[:150]


def export_files(db: str | Path, folder: Path, site: str | None = None) -> int:
    """Write every kept attachment into `folder/<site>/`, named by its link text; the same file
    linked twice is written once, two different files with one name get a short hash each."""
    written: dict[Path, str] = {}
    count = 0
    with open_archive(db, readonly=True) as archive:
        for stored in archive.iter_files(site):
            path = folder / _UNSAFE.sub("_", stored.site) / export_name(stored.text, stored.url, stored.sha256)
            if written.get(path) == stored.sha256:
                continue
            if path in written:
                path = path.with_name(f"{path.stem}_{stored.sha256[:8]}{path.suffix}")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(stored.content)
            written[path] = stored.sha256
            count += 1
    return count
