"""Every record the extractor gives for a set of pages, as JSON, to diff before/after a change.

    python bench/extract_dump.py OUT.json [--diff OLD.json] [DIR ...]

A speed-only change must leave extraction byte-identical; the per-field accuracy figures of
`eval_corpus.py` would hide a changed value that happens to score the same. Default pages: the
labelled corpus, the magic-html benchmark pages and the test fixtures; each page is extracted on
its own and, where three or more pages share a host, again with the site profile learned from
them (so the profile's code paths are compared too). Exit status 1 when `--diff` finds changes.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scraper.extract import extract_article, learn_profile, page_traits  # noqa: E402

SHARED = ROOT.parent / "shared"
DEFAULT_DIRS = (SHARED / "corpus", SHARED / "benchmarks" / "magic-html-zh", ROOT / "tests" / "fixtures")


def _urls(folder: Path) -> dict[str, str | None]:
    """file name -> URL from the folder's labels, where it has them."""
    out: dict[str, str | None] = {}
    for name in ("labels.jsonl", "ground_truth.jsonl"):
        path = folder / name
        if path.exists():
            for line in path.read_text("utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    out[row["file"]] = row.get("url")
    return out


def dump(dirs: list[Path]) -> dict[str, dict]:
    records: dict[str, dict] = {}
    pages: list[tuple[str, bytes, str | None]] = []
    for folder in dirs:
        urls = _urls(folder)
        for path in sorted(p for p in folder.rglob("*") if p.suffix in (".html", ".htm")):
            key = str(path.relative_to(folder.parent))
            pages.append((key, path.read_bytes(), urls.get(path.name)))
    by_host: dict[str, list[int]] = defaultdict(list)
    for i, (key, data, url) in enumerate(pages):
        records[key] = extract_article(data, url).to_dict()
        if url:
            by_host[urlsplit(url).hostname or ""].append(i)
    for host, members in sorted(by_host.items()):
        if len(members) < 3:
            continue
        profile = learn_profile(page_traits(pages[i][1]) for i in members)
        for i in members:
            key, data, url = pages[i]
            records[f"{key} +profile"] = extract_article(data, url, profile=profile).to_dict()
    return records


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("dirs", type=Path, nargs="*")
    ap.add_argument("--diff", type=Path, help="an earlier dump to compare with")
    args = ap.parse_args()
    records = dump(args.dirs or [d for d in DEFAULT_DIRS if d.exists()])
    args.out.write_text(json.dumps(records, ensure_ascii=False, indent=1, sort_keys=True), "utf-8")
    print(f"{len(records)} records -> {args.out}")
    if not args.diff:
        return 0
    old = json.loads(args.diff.read_text("utf-8"))
    changed = 0
    for key in sorted(set(old) | set(records)):
        a, b = old.get(key), records.get(key)
        if a == b:
            continue
        changed += 1
        fields = sorted(k for k in set(a or {}) | set(b or {}) if (a or {}).get(k) != (b or {}).get(k))
        print(f"changed: {key}: {', '.join(fields) if a and b else 'added' if b else 'removed'}")
    print(f"{changed} of {len(records)} records differ from {args.diff}")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
