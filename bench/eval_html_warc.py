"""Accuracy and speed of the HTML and WARC readers on the shared evaluation data.

    python -m bench.eval_html_warc [EVAL_DIR] [--skip-timing] [--compare-date-search]

- html/ (400 saved pages of htmldate's and trafilatura's evaluation sets): publication
  dates scored like htmldate's `tests/comparison.py` (same day = tp, another day = fp,
  none = fn) and main text like trafilatura's `tests/eval_common.py` (each `with`
  fragment found = tp, missing = fn; each `without` fragment found = fp, absent = tn;
  whitespace-normalised substrings), both through `tasks.readers.html.READER.read`. With
  `--compare-date-search` the dates are also scored with htmldate's extensive search
  switched the other way (that setting is `html.EXTENSIVE_DATE_SEARCH`).
- warc/ (5 WARC files, `records.csv` lists every record): records per file and type as
  `warc_summary` counts them, against records.csv; text/html responses turned into
  documents against expected; the truncated record recognised.
- timing: documents per second of the HTML reader on the 400 pages, of a bare loop
  (`trafilatura.extract` + `htmldate.find_date` on the same bytes) and of
  `trafilatura.bare_extraction(with_metadata=True)` alone (the reader's own call: the
  metadata, htmldate included), in the same process after a warm-up.

The data is only read from EVAL_DIR, never copied into the project.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import htmldate
import trafilatura
from rich.console import Console
from rich.table import Table

from tasks.readers import html, warc
from tasks.readers.base import Document, ReadOptions, RecordReject

DEFAULT_EVAL_DIR = Path("../shared/eval")
OPTIONS = ReadOptions(latest=date(2026, 11, 23))
MAX_EXAMPLES = 8
_SPACES = re.compile(r"\s+")

console = Console()


def _flat(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _read_page(path: Path) -> Document | RecordReject | None:
    with path.open("rb") as stream:
        items = list(html.READER.read(stream, path.name, OPTIONS))
    return items[0] if items else None


def _scores(tp: int, fp: int, fn: int, tn: int = 0) -> dict[str, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    total = tp + fp + fn + tn
    return {
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "accuracy": round((tp + tn) / total, 3) if total else 0.0,
        "f1": round(2 * tp / (2 * tp + fp + fn), 3) if tp else 0.0,
    }


def evaluate_html(folder: Path | str, *, compare_date_search: bool = False) -> dict[str, Any]:
    """Dates (dates.json) and main text (text.json) of the pages, through the reader."""
    folder = Path(folder)
    pages = folder / "pages"
    dates = json.loads((folder / "dates.json").read_text(encoding="utf-8"))
    texts = json.loads((folder / "text.json").read_text(encoding="utf-8"))
    files = sorted({e["file"] for e in dates.values()} | {e["file"] for e in texts.values()})
    settings = [html.EXTENSIVE_DATE_SEARCH]
    if compare_date_search:
        settings.append(not html.EXTENSIVE_DATE_SEARCH)
    runs: dict[bool, dict[str, Document | RecordReject | None]] = {}
    default = html.EXTENSIVE_DATE_SEARCH
    try:
        for extensive in settings:
            html.EXTENSIVE_DATE_SEARCH = extensive
            runs[extensive] = {name: _read_page(pages / name) for name in files}
    finally:
        html.EXTENSIVE_DATE_SEARCH = default
    result: dict[str, Any] = {"pages": len(files), "dates": {}}
    for extensive, read in runs.items():
        result["dates"]["extensive" if extensive else "fast"] = _score_dates(dates, read)
    result["text"] = _score_text(texts, runs[default])
    result["metadata"] = _score_metadata(texts, runs[default])
    result["rejects"] = dict(
        Counter(item.reason for item in runs[default].values() if isinstance(item, RecordReject))
    )
    _print_html(result)
    return result


def _score_dates(truth: dict[str, Any], read: dict[str, Any]) -> dict[str, Any]:
    tp = fp = fn = 0
    wrong: list[str] = []
    for entry in truth.values():
        item = read[entry["file"]]
        found = item.stated.published if isinstance(item, Document) else None
        if found is None:
            fn += 1
        elif found.isoformat() == entry["date"]:
            tp += 1
        else:
            fp += 1
            if len(wrong) < MAX_EXAMPLES:
                wrong.append(f"{entry['file']}: {found} instead of {entry['date']}")
    return {"tp": tp, "fp": fp, "fn": fn, **_scores(tp, fp, fn), "wrong": wrong}


def _score_text(truth: dict[str, Any], read: dict[str, Any]) -> dict[str, Any]:
    tp = fp = fn = tn = 0
    for entry in truth.values():
        item = read[entry["file"]]
        text = _flat(item.text or "") if isinstance(item, Document) else ""
        for fragment in entry.get("with") or ():
            if text and _flat(fragment) in text:
                tp += 1
            else:
                fn += 1
        for fragment in entry.get("without") or ():
            if text and _flat(fragment) in text:
                fp += 1
            else:
                tn += 1
    return {"tp": tp, "fp": fp, "fn": fn, "tn": tn, **_scores(tp, fp, fn, tn)}


def _score_metadata(truth: dict[str, Any], read: dict[str, Any]) -> dict[str, Any]:
    """Exact title and author (trafilatura's `eval_authors.py` rule), stated date."""
    counts = {name: [0, 0] for name in ("title", "author", "date")}
    for entry in truth.values():
        item = read[entry["file"]]
        stated = item.stated if isinstance(item, Document) else None
        expected_author = entry.get("author")
        if isinstance(expected_author, list):
            expected_author = "; ".join(expected_author)
        pairs = {
            "title": (entry.get("title"), stated.title if stated else None),
            "author": (expected_author, stated.byline if stated else None),
            "date": (
                entry.get("date"),
                stated.published.isoformat() if stated and stated.published else None,
            ),
        }
        for name, (expected, found) in pairs.items():
            if expected:
                counts[name][0] += 1
                counts[name][1] += _flat(expected) == _flat(found or "")
    return {name: {"measured": n, "exact": hit} for name, (n, hit) in counts.items()}


def _print_html(result: dict[str, Any]) -> None:
    table = Table(title=f"html/: {result['pages']} pages through html.READER")
    for column in ("measure", "tp", "fp", "fn", "precision", "recall", "accuracy", "F1"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for setting, row in result["dates"].items():
        chosen = " (chosen)" if (setting == "extensive") == html.EXTENSIVE_DATE_SEARCH else ""
        table.add_row(
            f"dates, htmldate {setting}{chosen}",
            *(str(row[k]) for k in ("tp", "fp", "fn", "precision", "recall", "accuracy", "f1")),
        )
    text = result["text"]
    table.add_row(
        "main text fragments",
        *(str(text[k]) for k in ("tp", "fp", "fn", "precision", "recall", "accuracy", "f1")),
    )
    console.print(table)
    console.print(
        "Published: htmldate 1.10 extensive on 1,000 pages P 0.908 R 0.993 acc 0.903 F1 0.949; "
        "trafilatura 2.2 on 990 pages P 0.906 R 0.943 acc 0.923 F1 0.924.",
        markup=False,
    )
    meta = Table(title="html/: metadata against text.json (exact match)")
    for column in ("field", "measured", "exact", "share"):
        meta.add_column(column, justify="left" if column == "field" else "right")
    for name, row in result["metadata"].items():
        share = row["exact"] / row["measured"] if row["measured"] else 0.0
        meta.add_row(name, str(row["measured"]), str(row["exact"]), f"{share:.3f}")
    console.print(meta)
    console.print(f"rejects: {result['rejects'] or 'none'}", markup=False)
    for setting, row in result["dates"].items():
        for line in row["wrong"]:
            console.print(f"  wrong date ({setting}): {line}", markup=False)


def evaluate_warc(folder: Path | str) -> dict[str, Any]:
    """Records per file and type, documents and the truncated record, against records.csv."""
    folder = Path(folder)
    with (folder / "records.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected: dict[str, dict[str, Any]] = {}
    for row in rows:
        entry = expected.setdefault(row["file"], {"types": Counter(), "html": 0, "truncated": 0})
        entry["types"][row["warc_type"]] += 1
        is_html = row["http_content_type"].split(";")[0].strip().lower() == "text/html"
        if row["warc_type"] == "response" and is_html:
            entry["html"] += 1
        entry["truncated"] += row["truncated"] == "1"
    files: dict[str, Any] = {}
    for name, want in expected.items():
        path = folder / name
        with path.open("rb") as stream:
            summary = warc.warc_summary(stream)
        with path.open("rb") as stream:
            items = list(warc.READER.read(stream, name, OPTIONS))
        docs = [i for i in items if isinstance(i, Document)]
        rejects = Counter(i.reason for i in items if isinstance(i, RecordReject))
        html_got = len(docs) + rejects["no_text"] + rejects["truncated"]
        files[name] = {
            "records_expected": dict(want["types"]),
            "records_read": dict(summary["types"]),
            "records_match": dict(want["types"]) == dict(summary["types"]),
            "html_expected": want["html"],
            "html_responses": summary["html_responses"],
            "documents": len(docs),
            "rejects": dict(rejects),
            "html_match": html_got == want["html"] == summary["html_responses"],
            "truncated_expected": want["truncated"],
            "truncated_found": rejects["truncated"],
            "crawl_dates": sum(d.stated.crawl_date is not None for d in docs),
        }
    _print_warc(files)
    return {"files": files}


def _print_warc(files: dict[str, Any]) -> None:
    table = Table(title="warc/: records read vs records.csv")
    columns = ("file", "records read (by type)", "ok", "html resp.", "docs", "rejects", "trunc.")
    for column in columns:
        table.add_column(column, justify="left" if column in columns[:2] else "right")
    for name, row in files.items():
        types = ", ".join(f"{t} {n}" for t, n in sorted(row["records_read"].items()))
        table.add_row(
            name,
            types,
            "yes" if row["records_match"] else f"no: expected {row['records_expected']}",
            f"{row['html_responses']}/{row['html_expected']}",
            str(row["documents"]),
            ", ".join(f"{r} {n}" for r, n in row["rejects"].items()) or "-",
            f"{row['truncated_found']}/{row['truncated_expected']}",
        )
    console.print(table)


def time_html(folder: Path | str, repeats: int = 1) -> dict[str, Any]:
    """Pages per second: the HTML reader vs trafilatura.extract + htmldate.find_date."""
    pages = sorted((Path(folder) / "pages").iterdir())
    blobs = [(p.name, p.read_bytes()) for p in pages]

    def reader() -> None:
        for name, raw in blobs:
            list(html.READER.read(io.BytesIO(raw), name, OPTIONS))

    def bare() -> None:
        for _, raw in blobs:
            trafilatura.extract(raw, include_comments=False)
            htmldate.find_date(raw, original_date=True, extensive_search=True)

    def with_metadata() -> None:  # what the reader asks of trafilatura, htmldate included
        for _, raw in blobs:
            trafilatura.bare_extraction(raw, with_metadata=True, include_comments=False)

    for _, raw in blobs[:40]:  # warm-up: dateparser compiles its locales on first use
        htmldate.find_date(raw, original_date=True, extensive_search=True)
    timings: dict[str, float] = {}
    contenders = (
        ("bare loop", bare),
        ("html reader", reader),
        ("bare_extraction(with_metadata)", with_metadata),
        ("bare loop again", bare),
    )
    for label, run in contenders:
        best = float("inf")
        for _ in range(repeats):
            started = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - started)
        timings[label] = best
    bare_best = min(timings["bare loop"], timings["bare loop again"])
    result = {
        "pages": len(blobs),
        "html_reader_docs_per_s": round(len(blobs) / timings["html reader"], 1),
        "bare_loop_docs_per_s": round(len(blobs) / bare_best, 1),
        "with_metadata_docs_per_s": round(
            len(blobs) / timings["bare_extraction(with_metadata)"], 1
        ),
        "seconds": {k: round(v, 2) for k, v in timings.items()},
    }
    table = Table(title=f"timing: {len(blobs)} pages, one process")
    for column in ("contender", "seconds", "docs/s"):
        table.add_column(column, justify="left" if column == "contender" else "right")
    for label, seconds in timings.items():
        table.add_row(label, f"{seconds:.2f}", f"{len(blobs) / seconds:.1f}")
    console.print(table)
    return result


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    eval_dir = Path(args[0]) if args else DEFAULT_EVAL_DIR
    evaluate_html(eval_dir / "html", compare_date_search="--compare-date-search" in argv)
    evaluate_warc(eval_dir / "warc")
    if "--skip-timing" not in argv:
        time_html(eval_dir / "html")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
