"""Title, date and author on the magic-html benchmark's Chinese pages: ours vs GNE vs trafilatura.

    python bench/magic_html_fields.py [--set DIR] [--verbose]

The benchmark ships truth for the body only; `magic_html_labels.json` (next to this script) adds
hand labels for the headline, the printed publish date and the byline, written by reading each
page (its `note` says how). 19 of the 36 pages come from sites the extractor was never tuned
to (`from: hand`); they are the figure that says how well the rules carry to other sites, so
each field is reported on all pages and on those alone.

Scoring is `eval_corpus.py`'s: title exact after whitespace normalization; date, and date-time
(hour and minute too when the label shows a time), on the pages that print a date; author as a
set of names, on the pages whose byline could be judged (a value where the label is null is a
miss).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from eval_corpus import Extractor, date_parts, make_gne, make_trafilatura, names, norm_ws, run_ours  # noqa: E402

from scraper.decode import decode_html  # noqa: E402

DEFAULT_SET = ROOT.parent / "shared" / "benchmarks" / "magic-html-zh"
LABELS = Path(__file__).resolve().parent / "magic_html_labels.json"


def score(extractor: Extractor, label: dict) -> dict[str, float]:
    """Per-field 1/0 for one page; a field the label leaves unjudged is absent."""
    got = extractor.results[label["file"]]
    s = {"title": float(norm_ws(got.title) == norm_ws(label["title"]))}
    if label["published"]:
        gd, gt = date_parts(label["published"])
        pd, pt = date_parts(got.published)
        s["date"] = float(gd == pd)
        s["date-time"] = float(gd == pd and (gt is None or gt == pt))
    if "author" in label:
        s["author"] = float(names(label["author"]) == names(got.author))
    return s


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", type=Path, default=DEFAULT_SET, help="the benchmark's pages + ground_truth.jsonl")
    ap.add_argument("--verbose", action="store_true", help="print each extractor's misses")
    args = ap.parse_args()
    truth_path = args.set / "ground_truth.jsonl"
    if not truth_path.exists():
        print(f"no benchmark at {args.set}; nothing to measure")
        return 0
    urls = {r["file"]: r["url"] for r in map(json.loads, truth_path.read_text("utf-8").splitlines()) if r}
    labels = json.loads(LABELS.read_text("utf-8"))["pages"]
    extractors = [Extractor("ours", run_ours, ()), *(e for e in (make_gne(), make_trafilatura()) if e)]
    for label in labels:
        data = (args.set / label["file"]).read_bytes()
        page = {"url": urls[label["file"]], "encoding": decode_html(data, None)[1]}
        for e in extractors:
            e.results[label["file"]] = e.run(data, page)
    scores = {e.name: [score(e, label) for label in labels] for e in extractors}
    unseen = [i for i, label in enumerate(labels) if label["from"] == "hand"]
    print(f"{len(labels)} pages ({len(unseen)} from sites not in the corpus); accuracy, pages judged in ()\n")
    print(f"{'field':<12}" + "".join(f"{e.name:>14}{e.name + ' unseen':>20}" for e in extractors))
    for field in ("title", "date", "date-time", "author"):
        cells = []
        for e in extractors:
            for subset, width in ((range(len(labels)), 14), (unseen, 20)):
                vals = [scores[e.name][i][field] for i in subset if field in scores[e.name][i]]
                cells.append(f"{f'{statistics.fmean(vals):.3f} ({len(vals)})':>{width}}")
        print(f"{field:<12}" + "".join(cells))
    if args.verbose:
        for e in extractors:
            print(f"\n# misses: {e.name}")
            for label, s in zip(labels, scores[e.name]):
                got = e.results[label["file"]]
                for field, value, want in (("title", got.title, label["title"]),
                                           ("date-time", got.published, label["published"]),
                                           ("author", got.author, label.get("author"))):
                    if s.get(field, 1) < 1:
                        print(f"  {label['file'][:16]} {field:<9} got {value!r:<40} want {want!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
