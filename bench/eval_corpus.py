"""Per-field accuracy on the labelled corpus: this project vs trafilatura vs GNE, side by side.

    python bench/eval_corpus.py [--corpus DIR] [--verbose] [--only ours] [--no-fallback]
    python bench/eval_corpus.py --corpus tests/fixtures/english --no-fallback   # English editions

`--no-fallback` adds a column for ours without trafilatura filling what it leaves open (pages
that are not Chinese, pages without a body ours finds): the fallback's effect, same run.
`--profiles` adds a column for ours with a site profile learned, as a crawl would, from the
corpus's other pages of the same site (registered domain; leave-one-out, so no page teaches
its own reading): where the profile does not fit, a page must read exactly as without it.

Scoring follows ../shared/corpus/README.md: title exact after whitespace normalization; date
(and date-time: hour and minute too, when the label shows a time); author/source/editor exact
with several names compared as a set, a value where the label is null counted as a false
positive; body character-bigram F1 with all whitespace removed. ms/page is the median CPU time
(time.process_time, so other load on a shared machine does not count) of the extraction call
alone (bytes in, fields out) for each extractor, measured in the same run.
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scraper.extract import extract_article  # noqa: E402
from scraper.extract.dates import parse_date  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
NAME_FIELDS = ("author", "source", "editor")
_NAME_SPLIT = re.compile(r"[\s、，,]+")


@dataclass
class Fields:
    title: str | None = None
    published: str | None = None
    author: str | None = None
    source: str | None = None
    editor: str | None = None
    body: str = ""
    ms: float = 0.0


@dataclass
class Extractor:
    name: str
    run: Callable[[bytes, dict], Fields]
    provides: tuple[str, ...]
    results: dict[str, Fields] = field(default_factory=dict)


def run_ours(data: bytes, label: dict, fallback: bool = True) -> Fields:
    a = extract_article(data, label.get("url"), fallback=fallback)
    return Fields(a.title, a.published_at, a.author, a.source, a.editor, a.body or "")


def run_ours_alone(data: bytes, label: dict) -> Fields:
    return run_ours(data, label, fallback=False)


def make_profiled(corpus: Path, labels: list[dict]) -> Extractor:
    """Ours with each page's site profile learned from the site's other labelled pages."""
    from scraper.extract import learn_profile, page_traits
    from scraper.urls import registered_domain

    def site_of(label: dict) -> str:
        host = str(label.get("site") or "").split()[0]
        return registered_domain(host) or host

    traits = {label["id"]: page_traits((corpus / label["file"]).read_bytes()) for label in labels}
    profiles = {label["id"]: learn_profile(traits[other["id"]] for other in labels
                                           if other["id"] != label["id"] and site_of(other) == site_of(label))
                for label in labels}

    def run(data: bytes, label: dict) -> Fields:
        a = extract_article(data, label.get("url"), profile=profiles[label["id"]])
        return Fields(a.title, a.published_at, a.author, a.source, a.editor, a.body or "")
    return Extractor("ours+profile", run, ("title", "published", *NAME_FIELDS, "body"))


def make_trafilatura() -> Extractor | None:
    try:
        from trafilatura import bare_extraction
    except ImportError:
        return None

    def run(data: bytes, label: dict) -> Fields:
        doc = bare_extraction(data, url=label.get("url"), with_metadata=True, include_comments=False)
        if doc is None:
            return Fields()
        d = doc.as_dict() if hasattr(doc, "as_dict") else doc
        return Fields(d.get("title"), d.get("date"), d.get("author"), None, None, d.get("text") or "")

    return Extractor("trafilatura", run, ("title", "published", "author", "body"))


def make_gne() -> Extractor | None:
    try:
        from gne import GeneralNewsExtractor
    except ImportError:
        return None
    extractor = GeneralNewsExtractor()

    def run(data: bytes, label: dict) -> Fields:
        html = data.decode(label.get("encoding") or "utf-8", "replace")  # GNE takes text only
        try:
            d = extractor.extract(html)
        except Exception:  # GNE raises on pages it cannot handle; count as empty  # noqa: BLE001
            return Fields()
        return Fields(d.get("title"), d.get("publish_time"), d.get("author"), None, None, d.get("content") or "")

    return Extractor("GNE", run, ("title", "published", "author", "body"))


# ---------------------------------------------------------------- scoring
def norm_ws(text: str | None) -> str:
    return " ".join((text or "").split())


def names(value: str | None) -> frozenset[str]:
    return frozenset(p for p in _NAME_SPLIT.split((value or "").replace("&", "、")) if p)


def date_parts(value: str | None) -> tuple[str | None, str | None]:
    """(YYYY-MM-DD, HH:MM or None) of a label or prediction in any common format."""
    norm = parse_date(value) if value else None
    if not norm:
        return None, None
    return norm[:10], (norm[11:16] if "T" in norm else None)


def bigram_f1(pred: str, gold: str) -> float:
    p, g = "".join(pred.split()), "".join(gold.split())
    pb = Counter(p[i:i + 2] for i in range(len(p) - 1))
    gb = Counter(g[i:i + 2] for i in range(len(g) - 1))
    if not pb or not gb:
        return 1.0 if not pb and not gb else 0.0
    overlap = sum((pb & gb).values())
    if not overlap:
        return 0.0
    prec, rec = overlap / sum(pb.values()), overlap / sum(gb.values())
    return 2 * prec * rec / (prec + rec)


def score_page(f: Fields, label: dict) -> dict[str, float | None]:
    """Per-field score (1/0, F1 for body); `<field>_fp` is 1 for a value where the label is null."""
    s: dict[str, float | None] = {"title": float(norm_ws(f.title) == norm_ws(label["title"]))}
    gd, gt = date_parts(label["published"])
    pd, pt = date_parts(f.published)
    s["date"] = float(gd == pd)
    s["datetime"] = float(gd == pd and (gt is None or gt == pt))
    for name in NAME_FIELDS:
        gold, pred = label[name], getattr(f, name)
        s[name] = float(names(gold) == names(pred))
        s[f"{name}_fp"] = float(gold is None and bool(names(pred)))
    s["body"] = bigram_f1(f.body, label["body"])
    return s


ROWS = (
    ("title", "title", "title"), ("date", "date", "published"), ("date-time", "datetime", "published"),
    ("author", "author", "author"), ("  false pos.", "author_fp", "author"),
    ("source", "source", "source"), ("  false pos.", "source_fp", "source"),
    ("editor", "editor", "editor"), ("  false pos.", "editor_fp", "editor"),
    ("body F1 (mean)", "body", "body"),
)


def report(extractors: list[Extractor], labels: list[dict], verbose: bool) -> None:
    scores = {e.name: [score_page(e.results[l["id"]], l) for l in labels] for e in extractors}
    print(f"{len(labels)} labelled pages\n")
    header = f"{'field':<16}" + "".join(f"{e.name:>14}" for e in extractors)
    print(header)
    print("-" * len(header))
    for title, key, provided in ROWS:
        cells = []
        for e in extractors:
            if provided not in e.provides:
                cells.append(f"{'—':>14}")
                continue
            mean = statistics.fmean(s[key] for s in scores[e.name])
            cells.append(f"{mean:>14.3f}")
        print(f"{title:<16}" + "".join(cells))
    cells = [f"{statistics.median(r.ms for r in e.results.values()):>14.2f}" for e in extractors]
    print(f"{'ms/page (median)':<16}" + "".join(cells))
    if verbose:
        for e in extractors:
            print(f"\n# misses: {e.name}")
            for label, s in zip(labels, scores[e.name]):
                f = e.results[label["id"]]
                for key, attr in (("title", "title"), ("datetime", "published")) + tuple((n, n) for n in NAME_FIELDS):
                    if (attr in e.provides or key in e.provides) and s[key] < 1:
                        print(f"  {label['id']:<12} {key:<9} got {getattr(f, attr)!r:<40} want {label[attr]!r}")
                if s["body"] < 0.97:
                    print(f"  {label['id']:<12} body F1 {s['body']:.3f}  got {len(f.body)} chars, want {len(label['body'])}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--verbose", action="store_true", help="print each page's misses")
    ap.add_argument("--only", choices=("ours", "all"), default="all", help="skip the peers")
    ap.add_argument("--profiles", action="store_true",
                    help="also score ours with site profiles learned from the site's other pages ('ours+profile')")
    ap.add_argument("--no-fallback", action="store_true",
                    help="also score ours without the trafilatura fallback (column 'ours-alone')")
    args = ap.parse_args()
    labels_path = args.corpus / "labels.jsonl"
    if not labels_path.exists():
        print(f"no labelled corpus at {labels_path}; nothing to measure")
        return 0
    labels = [json.loads(line) for line in labels_path.read_text("utf-8").splitlines() if line.strip()]
    extractors = [Extractor("ours", run_ours, ("title", "published", *NAME_FIELDS, "body"))]
    if args.no_fallback:
        extractors.append(Extractor("ours-alone", run_ours_alone, ("title", "published", *NAME_FIELDS, "body")))
    if args.profiles:
        extractors.append(make_profiled(args.corpus, labels))
    if args.only == "all":
        extractors += [e for e in (make_trafilatura(), make_gne()) if e is not None]
    for label in labels:
        data = (args.corpus / label["file"]).read_bytes()
        for e in extractors:
            t0 = time.process_time()
            result = e.run(data, label)
            result.ms = (time.process_time() - t0) * 1000
            e.results[label["id"]] = result
    report(extractors, labels, args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
