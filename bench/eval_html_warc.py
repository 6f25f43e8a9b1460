"""Accuracy and speed of the HTML and WARC readers on the shared evaluation data.

    python -m bench.eval_html_warc [EVAL_DIR] [--skip-timing] [--compare-dates]

- html/ (400 saved pages of htmldate's and trafilatura's evaluation sets): publication
  dates scored like htmldate's `tests/comparison.py` (same day = tp/right, another day =
  fp/wrong, none = fn/missing) and main text like trafilatura's `tests/eval_common.py`
  (each `with` fragment found = tp, missing = fn; each `without` fragment found = fp,
  absent = tn; whitespace-normalised substrings), both through
  `tasks.readers.html.READER.read`. The dates are counted per evidence the reader gives
  (`html:meta`, `html:jsonld`, …) and every wrong one is listed with its evidence. With
  `--compare-dates` they are also scored under each of `DATE_CONFIGURATIONS` (the
  reader's `DATE_POLICY`, `SHOWN_DATE_FALLBACK` and `EXTENSIVE_DATE_SEARCH`).
- warc/ (5 WARC files, `records.csv` lists every record): records per file and type as
  `warc_summary` counts them, against records.csv; text/html responses turned into
  documents against expected; the truncated record recognised.
- timing: documents per second of the HTML reader on the 400 pages (and of the reader
  with `DATE_POLICY = "htmldate"`, its cost before the page's dates were checked), of a
  bare loop (`trafilatura.extract` + `htmldate.find_date` on the same bytes) and of
  `trafilatura.bare_extraction(with_metadata=True)` alone (the reader's own call: the
  metadata, htmldate included), in the same process after a warm-up; wall clock and CPU.

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
from wirehouse.tasks.readers import html, warc
from wirehouse.tasks.readers.base import Document, ReadOptions, RecordReject

DEFAULT_EVAL_DIR = Path("../shared/eval")
OPTIONS = ReadOptions(latest=date(2026, 11, 23))
MAX_EXAMPLES = 8
# The reader's date settings measured with --compare-dates (module attributes of html).
DATE_CONFIGURATIONS: dict[str, dict[str, Any]] = {
    "htmldate extensive": {"DATE_POLICY": "htmldate", "EXTENSIVE_DATE_SEARCH": True},
    "htmldate fast": {"DATE_POLICY": "htmldate", "EXTENSIVE_DATE_SEARCH": False},
    "metadata only": {"DATE_POLICY": "metadata"},
    "checked, no shown fallback": {"DATE_POLICY": "checked", "SHOWN_DATE_FALLBACK": False},
    "checked": {"DATE_POLICY": "checked", "SHOWN_DATE_FALLBACK": True},
}
DATE_SETTINGS = ("DATE_POLICY", "SHOWN_DATE_FALLBACK", "EXTENSIVE_DATE_SEARCH")
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


def evaluate_html(folder: Path | str, *, compare_dates: bool = False) -> dict[str, Any]:
    """Dates (dates.json) and main text (text.json, when there) of the pages, through the
    reader: with its own settings, and with `compare_dates` under each configuration."""
    folder = Path(folder)
    pages = folder / "pages"
    dates = json.loads((folder / "dates.json").read_text(encoding="utf-8"))
    text_file = folder / "text.json"
    texts = json.loads(text_file.read_text(encoding="utf-8")) if text_file.exists() else {}
    files = sorted({e["file"] for e in dates.values()} | {e["file"] for e in texts.values()})
    default = {name: getattr(html, name) for name in DATE_SETTINGS}
    chosen = _configuration_name(default)
    configurations = dict(DATE_CONFIGURATIONS) if compare_dates else {}
    configurations.setdefault(chosen, {})
    runs: dict[str, dict[str, Document | RecordReject | None]] = {}
    try:
        for name, settings in configurations.items():
            for setting, value in {**default, **settings}.items():
                setattr(html, setting, value)
            runs[name] = {page: _read_page(pages / page) for page in files}
    finally:
        for setting, value in default.items():
            setattr(html, setting, value)
    result: dict[str, Any] = {"pages": len(files), "chosen": chosen, "dates": {}}
    for name, read in runs.items():
        result["dates"][name] = _score_dates(dates, read)
    result["text"] = _score_text(texts, runs[chosen])
    result["metadata"] = _score_metadata(texts, runs[chosen])
    result["rejects"] = dict(
        Counter(item.reason for item in runs[chosen].values() if isinstance(item, RecordReject))
    )
    _print_html(result)
    return result


def _configuration_name(settings: dict[str, Any]) -> str:
    """The name in DATE_CONFIGURATIONS of the reader's current date settings."""
    for name, configuration in DATE_CONFIGURATIONS.items():
        if configuration["DATE_POLICY"] == "htmldate":
            relevant = ("DATE_POLICY", "EXTENSIVE_DATE_SEARCH")
        elif configuration["DATE_POLICY"] == "checked":
            relevant = ("DATE_POLICY", "SHOWN_DATE_FALLBACK")
        else:
            relevant = ("DATE_POLICY",)
        if all(settings[key] == configuration[key] for key in relevant):
            return name
    return ", ".join(f"{key}={value}" for key, value in settings.items())


def _score_dates(truth: dict[str, Any], read: dict[str, Any]) -> dict[str, Any]:
    tp = fp = fn = 0
    wrong: list[str] = []
    by_source: dict[str, Counter[str]] = {}
    for entry in truth.values():
        item = read[entry["file"]]
        stated = item.stated if isinstance(item, Document) else None
        found = stated.published if stated else None
        if found is None:
            fn += 1
            continue
        source = stated.evidence.get("published", "?") if stated else "?"
        right = found.isoformat() == entry["date"]
        by_source.setdefault(source, Counter())["right" if right else "wrong"] += 1
        if right:
            tp += 1
        else:
            fp += 1
            wrong.append(f"{entry['file']}: {found} ({source}) instead of {entry['date']}")
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "wrong_share": round(fp / len(truth), 4) if truth else 0.0,
        **_scores(tp, fp, fn),
        "by_source": {source: dict(counts) for source, counts in sorted(by_source.items())},
        "wrong": wrong,
    }


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
    table = Table(title=f"html/: dates of {result['pages']} pages through html.READER")
    columns = ("configuration", "right", "wrong", "missing", "wrong %", "P", "R", "F1")
    for column in columns:
        table.add_column(column, justify="left" if column == "configuration" else "right")
    for name, row in result["dates"].items():
        table.add_row(
            name + (" (chosen)" if name == result["chosen"] else ""),
            *(str(row[k]) for k in ("tp", "fp", "fn")),
            f"{100 * row['wrong_share']:.1f}",
            *(str(row[k]) for k in ("precision", "recall", "f1")),
        )
    console.print(table)
    console.print(
        "Published: htmldate 1.10 extensive on 1,000 pages P 0.908 R 0.993 acc 0.903 F1 0.949; "
        "trafilatura 2.2 on 990 pages P 0.906 R 0.943 acc 0.923 F1 0.924.",
        markup=False,
    )
    chosen = result["dates"][result["chosen"]]
    sources = Table(title=f"html/: stated dates by evidence ({result['chosen']})")
    for column in ("evidence", "right", "wrong"):
        sources.add_column(column, justify="left" if column == "evidence" else "right")
    for source, counts in chosen["by_source"].items():
        sources.add_row(source, str(counts.get("right", 0)), str(counts.get("wrong", 0)))
    console.print(sources)
    text = result["text"]
    if text["tp"] + text["fn"]:
        console.print(
            "main text fragments: "
            + ", ".join(f"{k} {text[k]}" for k in ("tp", "fp", "fn", "tn", "precision", "recall"))
            + f", accuracy {text['accuracy']}, F1 {text['f1']}",
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
    for name, row in result["dates"].items():
        shown = row["wrong"] if name == result["chosen"] else row["wrong"][:MAX_EXAMPLES]
        for line in shown:
            console.print(f"  wrong date ({name}): {line}", markup=False, soft_wrap=True)


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
    """Pages per second: the HTML reader (with its dates, and with htmldate's as before
    DATE_POLICY "checked") vs trafilatura.extract + htmldate.find_date; wall clock and the
    process's CPU time (other processes on the machine slow the first, not the second)."""
    pages = sorted((Path(folder) / "pages").iterdir())
    blobs = [(p.name, p.read_bytes()) for p in pages]

    def reader() -> None:
        for name, raw in blobs:
            list(html.READER.read(io.BytesIO(raw), name, OPTIONS))

    def reader_htmldate() -> None:  # the reader as it was: htmldate's date, no page check
        policy, html.DATE_POLICY = html.DATE_POLICY, "htmldate"
        try:
            reader()
        finally:
            html.DATE_POLICY = policy

    def bare() -> None:
        for _, raw in blobs:
            trafilatura.extract(raw, include_comments=False)
            htmldate.find_date(raw, original_date=True, extensive_search=True)

    def with_metadata() -> None:  # what the reader asks of trafilatura, htmldate included
        for _, raw in blobs:
            trafilatura.bare_extraction(raw, with_metadata=True, include_comments=False)

    # warm-up: dateparser compiles its locales on first use, the reader loads CLDR's month
    # names once per process (shared with the dateline step)
    for name, raw in blobs[:40]:
        htmldate.find_date(raw, original_date=True, extensive_search=True)
        list(html.READER.read(io.BytesIO(raw), name, OPTIONS))
    timings: dict[str, tuple[float, float]] = {}
    contenders = (
        ("bare loop", bare),
        ("html reader", reader),
        ("html reader, htmldate dates (before)", reader_htmldate),
        ("bare_extraction(with_metadata)", with_metadata),
        ("html reader, htmldate dates again", reader_htmldate),
        ("html reader again", reader),
        ("bare loop again", bare),
    )
    for label, run in contenders:
        best = (float("inf"), float("inf"))
        for _ in range(repeats):
            started, cpu = time.perf_counter(), time.process_time()
            run()
            elapsed = (time.perf_counter() - started, time.process_time() - cpu)
            best = min(best, elapsed)
        timings[label] = best

    def rate(*labels: str, cpu: bool = False) -> float:
        return round(len(blobs) / min(timings[label][cpu] for label in labels), 1)

    now = ("html reader", "html reader again")
    before = ("html reader, htmldate dates (before)", "html reader, htmldate dates again")
    result = {
        "pages": len(blobs),
        "html_reader_docs_per_s": rate(*now),
        "html_reader_cpu_docs_per_s": rate(*now, cpu=True),
        "html_reader_htmldate_docs_per_s": rate(*before),
        "html_reader_htmldate_cpu_docs_per_s": rate(*before, cpu=True),
        "bare_loop_docs_per_s": rate("bare loop", "bare loop again"),
        "with_metadata_docs_per_s": rate("bare_extraction(with_metadata)"),
        "seconds": {k: round(v[0], 2) for k, v in timings.items()},
        "cpu_seconds": {k: round(v[1], 2) for k, v in timings.items()},
    }
    table = Table(title=f"timing: {len(blobs)} pages, one process")
    for column in ("contender", "seconds", "docs/s", "CPU s", "docs/CPU s"):
        table.add_column(column, justify="left" if column == "contender" else "right")
    for label, (seconds, cpu_seconds) in timings.items():
        table.add_row(
            label,
            f"{seconds:.2f}",
            f"{len(blobs) / seconds:.1f}",
            f"{cpu_seconds:.2f}",
            f"{len(blobs) / cpu_seconds:.1f}",
        )
    console.print(table)
    return result


def main(argv: list[str]) -> int:
    args = [a for a in argv if not a.startswith("--")]
    eval_dir = Path(args[0]) if args else DEFAULT_EVAL_DIR
    evaluate_html(eval_dir / "html", compare_dates="--compare-dates" in argv)
    evaluate_warc(eval_dir / "warc")
    if "--skip-timing" not in argv:
        time_html(eval_dir / "html")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
