"""Accuracy of Wirehouse's steps against the shared evaluation data in ../shared/eval.

Run `python -m bench.evaluate [EVAL_DIR]` from the project root. Measured: charset detection
and decoding (encodings/), mojibake repair (mojibake/), language detection
(lingua-sentences/), whole-article parsing of Reuters-21578 stories (reuters/), the real
pipeline (`wirehouse ingest`) on 1,498 real articles in 13 languages (wire/, see
bench/wire.py), a synthetic corpus of agency datelines in 40 languages built from lingua's
sentences (bench/datelines.py), and the per-article cost of the date and outlet steps.
The figures are printed as tables and written to bench-results/eval.json. The evaluation
data is only read from EVAL_DIR, never copied into the project; generated corpora and
warehouses live in temporary folders.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import html
import json
import re
import statistics
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import charset_normalizer
import ftfy
from rich.console import Console
from rich.table import Table
from wirehouse.tasks.article import EnrichOptions, FileVersion, build_article
from wirehouse.tasks.dates import find_publication_date
from wirehouse.tasks.decode import _repair_mojibake, decode_bytes, normalize_text
from wirehouse.tasks.errors import RejectError
from wirehouse.tasks.language import detect_language
from wirehouse.tasks.layout import split_layout
from wirehouse.tasks.sources import detect_outlet, load_registry

from bench import datelines
from bench.scoring import Examples, Tally, collapsed_nfc, flat, grouped_table, pct_cell
from bench.scoring import print_examples as print_failure_examples
from bench.wire import evaluate_wire

DEFAULT_EVAL_DIR = Path("../shared/eval")
RESULTS_FILE = Path("bench-results/eval.json")
WORKERS = 2
MAX_EXAMPLES = 10
MAX_REUTERS_EXAMPLES = 15
LATEST_DATE = date(2026, 11, 23)

# langdetect's published figures on lingua-py's sentence set (75 languages, 1,000 each).
LANGDETECT_PUBLISHED_MEAN = 98.0
LANGDETECT_PUBLISHED_MEDIAN = 99.35

# Fixes Wirehouse deliberately leaves off (it applies only encoding repairs).
FTFY_WITHOUT_COSMETIC_FIXES = {
    "uncurl_quotes": False,
    "fix_latin_ligatures": False,
    "fix_character_width": False,
    "unescape_html": False,
}

MONTH_ABBR = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip

console = Console()


# --------------------------------------------------------------------------- helpers


def percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def codec_name(name: str | None) -> str | None:
    """Python's canonical codec name ('utf-8' and 'UTF8' both give 'utf-8')."""
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name.lower()


def first_difference(expected: str, got: str, width: int = 30) -> str:
    """A short view of where two texts first differ."""
    at = next(
        (i for i, (a, b) in enumerate(zip(expected, got, strict=False)) if a != b),
        min(len(expected), len(got)),
    )
    start = max(0, at - 10)
    return (
        f"@{at}: expected {expected[start : at + width]!r} "
        f"got {got[start : at + width]!r} (len {len(expected)} vs {len(got)})"
    )


def short(text: str | None, limit: int = 80) -> str:
    if text is None:
        return "None"
    flat = repr(text)[1:-1]
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


# --------------------------------------------------------------------------- encodings


def evaluate_encodings(folder: Path) -> dict[str, Any]:
    """charset-normalizer's own guess vs Wirehouse's decode_bytes on 18 sample files."""
    with (folder / "expected.csv").open(newline="", encoding="utf-8") as handle:
        expected_rows = list(csv.DictReader(handle))
    rows: list[dict[str, Any]] = []
    for row in expected_rows:
        raw = (folder / row["file"]).read_bytes()
        expected = codec_name(row["expected_charset"])
        best = charset_normalizer.from_bytes(raw).best()
        cn_encoding = best.encoding if best is not None else None
        reference_codec = "utf-8-sig" if expected == "utf-8" else row["expected_charset"]
        reference = normalize_text(raw.decode(reference_codec))
        try:
            decoded = decode_bytes(raw)
            wh_encoding, wh_text, wh_error = decoded.encoding, decoded.text, None
        except RejectError as exc:
            wh_encoding, wh_text, wh_error = None, None, str(exc)
        text_correct = wh_text == reference
        rows.append(
            {
                "file": row["file"],
                "expected_charset": row["expected_charset"],
                "language": row["expected_language"],
                "charset_normalizer": cn_encoding,
                "charset_normalizer_correct": codec_name(cn_encoding) == expected,
                "wirehouse_encoding": wh_encoding,
                "wirehouse_encoding_matches": codec_name(wh_encoding) == expected,
                "wirehouse_text_correct": text_correct,
                "wirehouse_error": wh_error,
                "difference": None
                if text_correct or wh_text is None
                else first_difference(reference, wh_text),
            }
        )
    exceptions = [
        r["file"]
        for r in rows
        if r["charset_normalizer_correct"] and not r["wirehouse_text_correct"]
    ]
    summary = {
        "files": len(rows),
        "charset_normalizer_correct": sum(r["charset_normalizer_correct"] for r in rows),
        "wirehouse_encoding_matches": sum(r["wirehouse_encoding_matches"] for r in rows),
        "wirehouse_text_correct": sum(r["wirehouse_text_correct"] for r in rows),
        "wirehouse_correct_wherever_charset_normalizer_is": not exceptions,
        "exceptions": exceptions,
    }
    print_encodings(rows, summary)
    return {"summary": summary, "files": rows}


def print_encodings(rows: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    table = Table(title="encodings/: charset detection and decoding")
    for column in ("file", "expected", "charset-normalizer", "ok", "Wirehouse enc.", "text ok"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            r["file"],
            r["expected_charset"],
            str(r["charset_normalizer"]),
            "yes" if r["charset_normalizer_correct"] else "[red]no[/red]",
            str(r["wirehouse_encoding"] or r["wirehouse_error"]),
            "yes" if r["wirehouse_text_correct"] else "[red]no[/red]",
        )
    console.print(table)
    n = summary["files"]
    console.print(f"charset-normalizer correct: {summary['charset_normalizer_correct']}/{n}")
    console.print(f"Wirehouse encoding name matches: {summary['wirehouse_encoding_matches']}/{n}")
    console.print(f"Wirehouse text correct: {summary['wirehouse_text_correct']}/{n}")
    verdict = "yes" if summary["wirehouse_correct_wherever_charset_normalizer_is"] else "no"
    console.print(
        f"Wirehouse text correct on every file charset-normalizer gets right: {verdict}"
        + (f" (exceptions: {', '.join(summary['exceptions'])})" if summary["exceptions"] else "")
    )
    for r in rows:
        if r["difference"]:
            console.print(f"  {r['file']}: {r['difference']}", markup=False)
    console.print()


# --------------------------------------------------------------------------- mojibake


def evaluate_mojibake(folder: Path) -> dict[str, Any]:
    """Wirehouse's encoding-only mojibake repair on python-ftfy's test cases."""
    per_file: dict[str, dict[str, Any]] = {}
    failures: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.json")):
        cases = json.loads(path.read_text(encoding="utf-8"))
        stats = {
            "cases": len(cases),
            "correct": 0,
            "deliberate": 0,
            "ftfy_fails_too": 0,
            "changed": 0,
            "false_positives": 0,
            "flagged": 0,
        }
        for case in cases:
            original = case["original"]
            expected = unicodedata.normalize("NFC", case.get("fixed-encoding", case["fixed"]))
            got, flagged = _repair_mojibake(original)
            got = unicodedata.normalize("NFC", got)
            changed = got != unicodedata.normalize("NFC", original)
            stats["changed"] += changed
            stats["false_positives"] += changed and got != expected
            stats["flagged"] += flagged
            if got == expected:
                stats["correct"] += 1
                continue
            ftfy_off = ftfy.fix_text(original, **FTFY_WITHOUT_COSMETIC_FIXES)
            deliberate = unicodedata.normalize("NFC", ftfy_off) == got
            stats["deliberate"] += deliberate
            ftfy_full = unicodedata.normalize("NFC", ftfy.fix_text(original))
            stats["ftfy_fails_too"] += ftfy_full != unicodedata.normalize("NFC", case["fixed"])
            if path.stem != "known-failures":
                failures.append(
                    {
                        "file": path.name,
                        "label": case["label"],
                        "original": original,
                        "expected": expected,
                        "got": got,
                        "deliberate": deliberate,
                    }
                )
        scored = stats["cases"] - stats["deliberate"]
        stats["accuracy"] = percent(stats["correct"], stats["cases"])
        stats["accuracy_excluding_deliberate"] = (
            percent(stats["correct"], scored) if scored else None
        )
        per_file[path.stem] = stats
    print_mojibake(per_file, failures)
    return {"files": per_file, "failures": failures}


def print_mojibake(per_file: dict[str, dict[str, Any]], failures: list[dict[str, Any]]) -> None:
    table = Table(title="mojibake/: encoding repairs (ftfy test cases)")
    columns = (
        "file",
        "cases",
        "correct",
        "raw %",
        "deliberate",
        "excl. deliberate %",
        "ftfy fails",
    )
    for column in columns:
        table.add_column(column, justify="right" if column != "file" else "left")
    for name, s in per_file.items():
        table.add_row(
            name,
            str(s["cases"]),
            str(s["correct"]),
            f"{s['accuracy']:.1f}",
            str(s["deliberate"]),
            "n/a"
            if s["accuracy_excluding_deliberate"] is None
            else f"{s['accuracy_excluding_deliberate']:.1f}",
            str(s["ftfy_fails_too"]),
        )
    console.print(table)
    negative = per_file.get("negative")
    if negative:
        console.print(
            f"negative.json: {negative['false_positives']} false positives (changed, but the "
            f"text should have stayed as it was); {negative['changed']}/{negative['cases']} texts "
            f"changed in all, {negative['flagged']} of them flagged as an encoding fix"
        )
    console.print(
        "'deliberate' = ftfy.fix_text with uncurl_quotes, fix_latin_ligatures, "
        "fix_character_width and unescape_html off gives Wirehouse's output; "
        "'ftfy fails' = failures where full ftfy.fix_text misses the case's 'fixed' too"
    )
    console.print(f"Failures outside known-failures.json: {len(failures)}")
    for f in failures[:MAX_EXAMPLES]:
        tag = "deliberate" if f["deliberate"] else "REAL"
        console.print(f"  [{tag}] {f['file']}: {f['label']}", markup=False)
        console.print(f"      original: {short(f['original'], 100)}", markup=False)
        console.print(f"      expected: {short(f['expected'], 100)}", markup=False)
        console.print(f"      got:      {short(f['got'], 100)}", markup=False)
    console.print()


# --------------------------------------------------------------------------- languages


def language_file_accuracy(path: str) -> dict[str, Any]:
    """Worker: langdetect (through Wirehouse) on every sentence of one language file."""
    code = Path(path).stem
    sentences = [s for s in Path(path).read_text(encoding="utf-8").split("\n") if s.strip()]
    correct = unknown = 0
    wrong: Counter[str] = Counter()
    for sentence in sentences:
        guess = detect_language(sentence, seed=0, min_letters=1)
        if guess.language == code:
            correct += 1
        elif guess.language is None:
            unknown += 1
        else:
            wrong[guess.language] += 1
    return {
        "language": code,
        "sentences": len(sentences),
        "correct": correct,
        "none": unknown,
        "accuracy": percent(correct, len(sentences)),
        "top_confusions": wrong.most_common(3),
    }


def evaluate_languages(folder: Path) -> dict[str, Any]:
    """Per-language accuracy of tasks.language.detect_language on lingua's sentences."""
    paths = [str(p) for p in sorted(folder.glob("*.txt"))]
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=WORKERS) as pool:
        results = list(pool.map(language_file_accuracy, paths))
    elapsed = time.perf_counter() - started
    results.sort(key=lambda r: (r["accuracy"], r["language"]))
    accuracies = [r["accuracy"] for r in results]
    sentences = sum(r["sentences"] for r in results)
    summary = {
        "languages": len(results),
        "sentences": sentences,
        "correct": sum(r["correct"] for r in results),
        "none": sum(r["none"] for r in results),
        "mean_accuracy": round(statistics.mean(accuracies), 2) if accuracies else 0.0,
        "median_accuracy": round(statistics.median(accuracies), 2) if accuracies else 0.0,
        "published_langdetect_mean": LANGDETECT_PUBLISHED_MEAN,
        "published_langdetect_median": LANGDETECT_PUBLISHED_MEDIAN,
        "elapsed_seconds": round(elapsed, 1),
    }
    print_languages(results, summary)
    return {"summary": summary, "languages": results}


def print_languages(results: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    table = Table(title="lingua-sentences/: detect_language(sentence, seed=0, min_letters=1)")
    for column in ("language", "sentences", "correct", "accuracy %", "None", "mistaken for"):
        table.add_column(
            column, justify="left" if column in ("language", "mistaken for") else "right"
        )
    for r in results:
        table.add_row(
            r["language"],
            str(r["sentences"]),
            str(r["correct"]),
            f"{r['accuracy']:.1f}",
            str(r["none"]),
            ", ".join(f"{lang} {n}" for lang, n in r["top_confusions"]),
        )
    console.print(table)
    console.print(
        f"{summary['languages']} languages, {summary['sentences']} sentences: "
        f"mean {summary['mean_accuracy']:.2f} %, median {summary['median_accuracy']:.2f} % "
        f"(overall {percent(summary['correct'], summary['sentences']):.2f} %); "
        f"None for {summary['none']} sentences; {summary['elapsed_seconds']:.1f} s"
    )
    console.print(
        f"langdetect's published figures: mean {LANGDETECT_PUBLISHED_MEAN} %, median "
        f"{LANGDETECT_PUBLISHED_MEDIAN} % — on lingua-py's 75-language, 1,000-sentence set, "
        "a different (larger) set, so only roughly comparable"
    )
    console.print()


# --------------------------------------------------------------------------- reuters

_STORY = re.compile(r'<REUTERS[^>]*\bNEWID="(\d+)"[^>]*>(.*?)</REUTERS>', re.S)
_DATE_TAG = re.compile(r"<DATE>\s*(\d{1,2})-([A-Za-z]{3})-(\d{4})")
_DATELINE_DATE = re.compile(r",\s*([A-Za-z]{3,9})\.?\s+(\d{1,2})\b")


def _tag(story: str, name: str) -> str | None:
    m = re.search(rf"<{name}>(.*?)</{name}>", story, re.S)
    return m.group(1) if m else None


def _month_day(month_word: str, day: str) -> tuple[int, int] | None:
    month = MONTH_ABBR.get(month_word[:3].lower())
    return (month, int(day)) if month else None


def reuters_story_text(title: str, dateline: str, body: str) -> str:
    """The article file as a newswire dump holds it: title, blank line, dateline + body."""
    body = body.rstrip()
    body = body.removesuffix("&#3;").rstrip()
    body = html.unescape(body).rstrip("\x03").rstrip()
    return html.unescape(title) + "\n\n" + html.unescape(dateline).lstrip(" ") + body + "\n"


def reuters_file_results(sgm_path: str, out_dir: str) -> dict[str, Any]:
    """Worker: write each complete story of one SGML file to disk and run build_article."""
    registry = load_registry()
    options = EnrichOptions(latest_date=LATEST_DATE)
    sgm = Path(sgm_path)
    text = sgm.read_text(encoding="latin-1")
    stories: list[dict[str, Any]] = []
    skipped = 0
    for newid, story in _STORY.findall(text):
        title, dateline, body = _tag(story, "TITLE"), _tag(story, "DATELINE"), _tag(story, "BODY")
        date_tag = _DATE_TAG.search(story)
        if title is None or dateline is None or body is None or date_tag is None:
            skipped += 1
            continue
        file_text = reuters_story_text(title, dateline, body)
        relative = f"reuters/{sgm.stem}-{newid}.txt"
        target = Path(out_dir) / relative
        target.write_text(file_text, encoding="utf-8")
        raw = target.read_bytes()
        stat = target.stat()
        origin = FileVersion(
            source_root=out_dir,
            source_path=relative,
            version=1,
            file_size=stat.st_size,
            file_mtime=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
            raw_sha256=hashlib.sha256(raw).hexdigest(),
        )
        dateline_date = _DATELINE_DATE.search(html.unescape(dateline))
        record: dict[str, Any] = {
            "newid": int(newid),
            "file": relative,
            "head": file_text[:200],
            "expected_title": " ".join(html.unescape(title).split()),
            "expected_month_day": _month_day(date_tag.group(2), date_tag.group(1)),
            "dateline_month_day": _month_day(*dateline_date.groups()) if dateline_date else None,
        }
        try:
            article = build_article(raw, origin, options, registry)
        except RejectError as exc:
            record.update(rejected=str(exc), title=None, month_day=None, year=None)
            record.update(source=None, language=None)
        else:
            record.update(
                rejected=None,
                title=article.title,
                month_day=(article.pub_month, article.pub_day),
                year=article.pub_year,
                source=article.source,
                language=article.language,
                date_text=article.date_text,
            )
        stories.append(record)
    return {"file": sgm.name, "stories": stories, "skipped": skipped}


def reuters_checks(story: dict[str, Any]) -> dict[str, tuple[Any, Any, bool]]:
    """For each metric this story is measured on: (expected, got, correct)."""
    title = " ".join((story["title"] or "").split())
    checks = {
        "title": (story["expected_title"], story["title"], title == story["expected_title"]),
        "month_day_vs_DATE": (
            story["expected_month_day"],
            story["month_day"],
            story["month_day"] == story["expected_month_day"],
        ),
        "source_reuters": ("reuters", story["source"], story["source"] == "reuters"),
        "year_none": (None, story["year"], story["year"] is None),
        "language_en": ("en", story["language"], story["language"] == "en"),
    }
    if story["dateline_month_day"] is not None:
        checks["month_day_vs_dateline"] = (
            story["dateline_month_day"],
            story["month_day"],
            story["month_day"] == story["dateline_month_day"],
        )
    return checks


def evaluate_reuters(folder: Path) -> dict[str, Any]:
    """Title, month/day, outlet and language of Reuters-21578 stories via build_article."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wirehouse-eval-") as tmp:
        (Path(tmp) / "reuters").mkdir()
        paths = sorted(folder.glob("reut2-*.sgm"))
        with ProcessPoolExecutor(max_workers=WORKERS) as pool:
            chunks = list(pool.map(reuters_file_results, map(str, paths), [tmp] * len(paths)))
    elapsed = time.perf_counter() - started
    stories = [s for chunk in chunks for s in chunk["stories"]]
    skipped = sum(chunk["skipped"] for chunk in chunks)

    metrics: dict[str, dict[str, Any]] = {}
    examples: dict[str, list[dict[str, Any]]] = {}
    for story in stories:
        for name, (expected, got, correct) in reuters_checks(story).items():
            m = metrics.setdefault(name, {"measured": 0, "correct": 0})
            m["measured"] += 1
            m["correct"] += correct
            failed = examples.setdefault(name, [])
            if not correct and len(failed) < MAX_REUTERS_EXAMPLES:
                if story["rejected"] is not None:
                    got = f"REJECTED: {story['rejected']}"
                failed.append(
                    {
                        "newid": story["newid"],
                        "expected": expected,
                        "got": got,
                        "head": story["head"],
                    }
                )
    for m in metrics.values():
        m["percent"] = percent(m["correct"], m["measured"])
    with_dateline_date = [s for s in stories if s["dateline_month_day"] is not None]
    summary = {
        "stories_evaluated": len(stories),
        "stories_skipped_incomplete": skipped,
        "rejected": sum(s["rejected"] is not None for s in stories),
        "dateline_without_month_day": len(stories) - len(with_dateline_date),
        "date_tag_differs_from_dateline": sum(
            s["expected_month_day"] != s["dateline_month_day"] for s in with_dateline_date
        ),
        "elapsed_seconds": round(elapsed, 1),
        "metrics": metrics,
        "targets": {"source_reuters": 99.0, "month_day_vs_DATE": 99.0, "title": 98.0},
    }
    print_reuters(summary, examples)
    return {"summary": summary, "failure_examples": examples}


def print_reuters(summary: dict[str, Any], examples: dict[str, list[dict[str, Any]]]) -> None:
    table = Table(title="reuters/: build_article on Reuters-21578 stories")
    for column in ("metric", "measured", "correct", "%", "target"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name, m in summary["metrics"].items():
        target = summary["targets"].get(name)
        ok = target is None or m["percent"] >= target
        table.add_row(
            name,
            str(m["measured"]),
            str(m["correct"]),
            f"{m['percent']:.2f}" if ok else f"[red]{m['percent']:.2f}[/red]",
            f"≥ {target:.0f}" if target else "",
        )
    console.print(table)
    console.print(
        f"stories evaluated {summary['stories_evaluated']} (skipped without TITLE/DATELINE/BODY: "
        f"{summary['stories_skipped_incomplete']}); rejected by Wirehouse {summary['rejected']}; "
        f"datelines without a parseable month/day {summary['dateline_without_month_day']}; "
        f"DATE tag differs from dateline {summary['date_tag_differs_from_dateline']}; "
        f"{summary['elapsed_seconds']:.1f} s"
    )
    for name, rows in examples.items():
        if not rows:
            continue
        console.print(f"\nFailures: {name} (first {len(rows)})", markup=False)
        for r in rows:
            console.print(
                f"  NEWID {r['newid']}: expected {r['expected']!r} got {r['got']!r}", markup=False
            )
            console.print(f"      {short(r['head'], 200)}", markup=False)
    console.print()


# ----------------------------------------------------------- agreement with langdetect


def agreement_chunk(texts: list[str]) -> dict[str, Any]:
    """Worker: plain seeded langdetect and Wirehouse's FastDetector on the same texts."""
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
    from langdetect.lang_detect_exception import LangDetectException
    from wirehouse.tasks.language import FastDetector, _profiles

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.seed = 0
    profiles = _profiles()

    def run(detector: Any, text: str) -> list[tuple[str, float]] | None:
        detector.append(text)
        try:
            return [(g.lang, float(g.prob)) for g in detector.get_probabilities()]
        except LangDetectException:
            return None

    same_language = identical = 0
    plain_seconds = fast_seconds = 0.0
    for text in texts:
        started = time.perf_counter()
        plain = run(factory.create(), text)
        plain_seconds += time.perf_counter() - started
        started = time.perf_counter()
        fast = run(FastDetector(profiles, 0), text)
        fast_seconds += time.perf_counter() - started
        identical += plain == fast
        same_language += (plain or [(None,)])[0][0] == (fast or [(None,)])[0][0]
    return {
        "texts": len(texts),
        "same_language": same_language,
        "identical": identical,
        "plain_seconds": plain_seconds,
        "fast_seconds": fast_seconds,
    }


def evaluate_agreement(eval_dir: Path) -> dict[str, Any]:
    """Does the faster n-gram path change any answer? Lingua sentences and Reuters stories."""
    corpora: dict[str, list[str]] = {}
    lingua = eval_dir / "lingua-sentences"
    if lingua.is_dir():
        corpora["lingua-sentences"] = [
            line
            for path in sorted(lingua.glob("*.txt"))
            for line in path.read_text(encoding="utf-8").split("\n")
            if line.strip()
        ]
    reuters = eval_dir / "reuters"
    if reuters.is_dir():
        corpora["reuters"] = [
            reuters_story_text(title, dateline, body)
            for path in sorted(reuters.glob("reut2-*.sgm"))
            for _, story in _STORY.findall(path.read_text(encoding="latin-1"))
            if (title := _tag(story, "TITLE")) is not None
            and (dateline := _tag(story, "DATELINE")) is not None
            and (body := _tag(story, "BODY")) is not None
        ]
    summary: dict[str, Any] = {}
    table = Table(title="FastDetector vs plain seeded langdetect (same texts, seed 0)")
    for column in (
        "corpus",
        "texts",
        "same language %",
        "identical probabilities %",
        "plain ms/text",
        "fast ms/text",
        "speed-up",
    ):
        table.add_column(column, justify="left" if column == "corpus" else "right")
    for name, texts in corpora.items():
        chunks = [texts[i : i + 500] for i in range(0, len(texts), 500)]
        with ProcessPoolExecutor(max_workers=WORKERS) as pool:
            parts = list(pool.map(agreement_chunk, chunks))
        total = {key: sum(part[key] for part in parts) for key in parts[0]}
        row = {
            "texts": total["texts"],
            "same_language_pct": percent(total["same_language"], total["texts"]),
            "identical_pct": percent(total["identical"], total["texts"]),
            "plain_ms": round(1000 * total["plain_seconds"] / total["texts"], 3),
            "fast_ms": round(1000 * total["fast_seconds"] / total["texts"], 3),
        }
        row["speedup"] = round(row["plain_ms"] / row["fast_ms"], 2)
        summary[name] = row
        table.add_row(
            name,
            f"{row['texts']:,}",
            f"{row['same_language_pct']:.2f}",
            f"{row['identical_pct']:.2f}",
            f"{row['plain_ms']:.2f}",
            f"{row['fast_ms']:.2f}",
            f"{row['speedup']:.1f}x",
        )
    console.print(table)
    return summary


# ------------------------------------------------------------ synthetic datelines

DATELINE_LABELS = {
    "full_date": "full date where stated",
    "wrong_date": "wrong dates among those given",
    "date_coverage": "date given",
    "md": "month/day where stated",
    "md_wrong": "wrong month/day among those given",
    "other_date_taken": "took the later-mentioned date",
    "outlet": "outlet where a marker is present",
    "outlet_in_registry": "outlet where a marker is present and the agency is in the registry",
    "wrong_outlet": "wrong outlets (any outlet other than the agency)",
    "title_exact": "title, exact after strip",
    "title_nfc": "title, whitespace-collapsed NFC",
    "decoded": "decoded text equals the original (NFC)",
    "language": "language",
}
DATELINE_ERROR_METRICS = {"wrong_date", "md_wrong", "wrong_outlet", "other_date_taken"}


def datelines_chunk(root: str, paths: list[str]) -> list[dict[str, Any]]:
    """Worker: build_article (and decode_bytes, for the text) on files of the corpus."""
    registry = load_registry()
    options = EnrichOptions(latest_date=LATEST_DATE)
    out = []
    for relative in paths:
        target = Path(root) / relative
        raw = target.read_bytes()
        stat = target.stat()
        origin = FileVersion(
            source_root=root,
            source_path=relative,
            version=1,
            file_size=stat.st_size,
            file_mtime=datetime.fromtimestamp(stat.st_mtime, tz=UTC),
            raw_sha256=hashlib.sha256(raw).hexdigest(),
        )
        record: dict[str, Any] = {"path": relative}
        try:
            article = build_article(raw, origin, options, registry)
            decoded = decode_bytes(raw)
        except RejectError as exc:
            record["rejected"] = str(exc)
            out.append(record)
            continue
        record.update(
            rejected=None,
            decoded_text=decoded.text,
            decoded_encoding=decoded.encoding,
            **{
                key: getattr(article, key)
                for key in (
                    "title",
                    "published_date",
                    "pub_year",
                    "pub_month",
                    "pub_day",
                    "date_text",
                    "date_source",
                    "source",
                    "source_evidence",
                    "language",
                    "encoding",
                )
            },
        )
        out.append(record)
    return out


def dateline_checks(
    article: datelines.Article, got: dict[str, Any], registry_slugs: set[str]
) -> dict[str, tuple[bool, Any, Any]]:
    """Per metric this article is measured on: (hit, expected, got)."""
    style = article.style
    published = got.get("published_date")
    md = (
        (got["pub_month"], got["pub_day"])
        if got.get("pub_month") is not None and got.get("pub_day") is not None
        else None
    )
    want_md = (article.date.month, article.date.day)
    shown = f"{published} ({got.get('date_source')}: {got.get('date_text')!r})"
    md_shown = f"{md} ({got.get('date_source')}: {got.get('date_text')!r})"
    checks: dict[str, tuple[bool, Any, Any]] = {
        "date_coverage": (published is not None, article.date.isoformat(), shown),
    }
    if style.year and style.month and style.day:
        checks["full_date"] = (published == article.date, article.date.isoformat(), shown)
    if published is not None:
        checks["wrong_date"] = (published != article.date, article.date.isoformat(), shown)
    if style.month and style.day:
        checks["md"] = (md == want_md, want_md, md_shown)
    if md is not None:
        checks["md_wrong"] = (md != want_md, want_md, md_shown)
    if article.other_date is not None:
        other = article.other_date
        taken = published == other or md == (other.month, other.day)
        checks["other_date_taken"] = (taken, f"not {other.isoformat()}", shown)
    source = got.get("source")
    source_shown = f"{source} ({got.get('source_evidence')})"
    if style.marker:
        checks["outlet"] = (source == style.agency, style.agency, source_shown)
        if style.agency in registry_slugs:
            checks["outlet_in_registry"] = (source == style.agency, style.agency, source_shown)
    checks["wrong_outlet"] = (
        bool(source) and source != style.agency,
        style.agency or None,
        source_shown,
    )
    title = got.get("title")
    checks["title_exact"] = ((title or "").strip() == article.title.strip(), article.title, title)
    checks["title_nfc"] = (
        collapsed_nfc(title) == collapsed_nfc(article.title),
        article.title,
        title,
    )
    reference = unicodedata.normalize("NFC", article.text).strip()
    decoded = got.get("decoded_text")
    checks["decoded"] = (
        decoded == reference,
        article.encoding,
        f"{got.get('decoded_encoding')}"
        + (
            ""
            if decoded is None or decoded == reference
            else f" {first_difference(reference, decoded)}"
        ),
    )
    language = (got.get("language") or "").lower().split("-")[0] or None
    checks["language"] = (language == style.language, style.language, got.get("language"))
    return checks


def evaluate_datelines(folder: Path) -> dict[str, Any]:
    """build_article on the synthetic dateline corpus, per language and per style."""
    started = time.perf_counter()
    zh = datelines.chinese_sentences(folder.parent / "encodings" / "sample-chinese.txt")
    articles = datelines.build_corpus(folder, {"zh": zh} if zh else None)
    by_language: dict[str, list[str]] = {}
    for a in articles:
        by_language.setdefault(a.style.language, []).append(a.path)
    with tempfile.TemporaryDirectory(prefix="wirehouse-eval-datelines-") as tmp:
        datelines.write_corpus(articles, Path(tmp))
        languages = sorted(by_language)
        with ProcessPoolExecutor(max_workers=WORKERS) as pool:
            chunks = list(
                pool.map(
                    datelines_chunk,
                    [tmp] * len(languages),
                    [by_language[lang] for lang in languages],
                )
            )
    elapsed = time.perf_counter() - started
    results = {r["path"]: r for chunk in chunks for r in chunk}
    registry_slugs = load_registry().slugs()
    tally, examples = Tally(), Examples()
    rejected = []
    for article in articles:
        got = results[article.path]
        if got.get("rejected"):
            rejected.append((article.path, got["rejected"]))
        groups = ("all", f"lang:{article.style.language}", f"style:{article.style.name}")
        for metric, (hit, expected, shown) in dateline_checks(article, got, registry_slugs).items():
            tally.add(groups, metric, hit)
            failed = hit if metric in DATELINE_ERROR_METRICS else not hit
            if failed and metric not in ("date_coverage",):
                examples.add(
                    metric,
                    article.style.name,
                    {
                        "path": article.path,
                        "expected": expected,
                        "got": shown,
                        "head": flat(article.text, 120),
                        "note": f"{article.style.name}, {article.encoding}",
                    },
                )
    picked = examples.picked()
    summary = {
        "articles": len(articles),
        "languages": len(by_language),
        "agencies": len({a.style.agency for a in articles if a.style.agency}),
        "styles": len({a.style.name for a in articles}),
        "encodings": dict(Counter(a.encoding for a in articles).most_common()),
        "rejected": rejected,
        "elapsed_seconds": round(elapsed, 1),
        "registry_slugs": sorted(registry_slugs),
    }
    print_datelines(tally, summary, picked)
    styles = [
        {
            "name": s.name,
            "language": s.language,
            "agency": s.agency,
            "marker": s.marker,
            "states": s.states,
            "example": next((a.dateline for a in articles if a.style is s), None),
            "header_example": next((a.header for a in articles if a.style is s), None),
        }
        for s in datelines.STYLES
    ]
    return {
        "summary": summary,
        "metrics": DATELINE_LABELS,
        "styles": styles,
        "groups": tally.as_json(),
        "failure_examples": picked,
    }


DATELINE_COLUMNS = [
    ("full\ndate", "full_date"),
    ("wrong\ndate", "wrong_date"),
    ("m/d", "md"),
    ("m/d\nwrong", "md_wrong"),
    ("outlet", "outlet"),
    ("wrong\noutlet", "wrong_outlet"),
    ("title", "title_exact"),
    ("text\nok", "decoded"),
]


def print_datelines(
    tally: Tally, summary: dict[str, Any], picked: dict[str, list[dict[str, Any]]]
) -> None:
    def n(group: str) -> str:
        return str(tally.get(group, "title_exact")[1])

    console.print(
        grouped_table(
            "datelines/ (synthetic): build_article per language (%)",
            tally,
            [("lang", tally.groups("lang:")), ("", ["all"])],
            [*DATELINE_COLUMNS, ("lang", "language")],
            first_column="lang",
            render=pct_cell,
            extra={"n": n},
        )
    )
    style_of = {s.name: s for s in datelines.STYLES}

    def states(group: str) -> str:
        s = style_of.get(group.split(":", 1)[-1])
        if s is None:
            return ""
        return s.states

    console.print(
        grouped_table(
            "datelines/ (synthetic): build_article per dateline style (%; 30 articles a style, "
            "20 for zh; 'says' = what the opening states: Y year, M month, D day)",
            tally,
            [("style", tally.groups("style:")), ("", ["all"])],
            DATELINE_COLUMNS,
            first_column="style",
            render=pct_cell,
            extra={"says": states},
        )
    )
    console.print("overall (count/measured):", markup=False)
    for metric, label in DATELINE_LABELS.items():
        hits, measured = tally.get("all", metric)
        console.print(
            f"  {label}: {percent(hits, measured):.2f} % ({hits}/{measured})", markup=False
        )
    console.print(
        f"{summary['articles']} articles, {summary['languages']} languages, "
        f"{summary['agencies']} agencies, {summary['styles']} styles; encodings "
        + ", ".join(f"{k} {v}" for k, v in summary["encodings"].items())
        + f"; rejected {len(summary['rejected'])}; {summary['elapsed_seconds']:.1f} s",
        markup=False,
    )
    console.print(
        "wrong date / m/d wrong / wrong outlet: lower is better; text ok = decoded text equals "
        "the original (NFC). 'outlet' counts agencies missing from tasks/outlets.toml as "
        "misses (outlet_in_registry above leaves them out).",
        markup=False,
    )
    print_failure_examples(picked, DATELINE_LABELS, "datelines/")
    console.print()


# ------------------------------------------------------------ cost of dates + outlets

COST_PASSES = 3


def _date_outlet_inputs(raws: list[bytes], registry: Any) -> list[tuple[list[str], list, Any]]:
    inputs = []
    for raw in raws:
        try:
            text = decode_bytes(raw).text
        except RejectError:
            continue
        layout = split_layout(text, registry)
        inputs.append((layout.header_lines, layout.chrome_hits, layout.signoff_hit))
    return inputs


def _date_outlet_pass(inputs: list[tuple[list[str], list, Any]], registry: Any) -> float:
    """Seconds for find_publication_date + detect_outlet over all inputs (nothing else)."""
    started = time.perf_counter()
    for header_lines, chrome_hits, signoff_hit in inputs:
        find_publication_date(header_lines, LATEST_DATE)
        detect_outlet(
            header_lines=header_lines,
            chrome_hits=chrome_hits,
            signoff_hit=signoff_hit,
            registry=registry,
        )
    return time.perf_counter() - started


def evaluate_cost(eval_dir: Path) -> dict[str, Any]:
    """Per-article cost of the date and outlet steps, best of 3 passes, on wire/ and the
    synthetic datelines (decoding and layout are done beforehand and not timed)."""
    registry = load_registry()
    corpora: dict[str, list[bytes]] = {}
    if (eval_dir / "wire").is_dir():
        corpora["wire"] = [p.read_bytes() for p in sorted((eval_dir / "wire").glob("*/*.txt"))]
    lingua = eval_dir / "lingua-sentences"
    if lingua.is_dir():
        zh = datelines.chinese_sentences(eval_dir / "encodings" / "sample-chinese.txt")
        corpora["datelines"] = [
            a.raw for a in datelines.build_corpus(lingua, {"zh": zh} if zh else None)
        ]
    results: dict[str, Any] = {}
    table = Table(title="find_publication_date + detect_outlet: cost per article (best of 3)")
    for column in ("corpus", "articles", "best pass (s)", "ms / article", "all passes (s)"):
        table.add_column(column, justify="left" if column == "corpus" else "right")
    total_seconds, total_articles = 0.0, 0
    for name, raws in corpora.items():
        inputs = _date_outlet_inputs(raws, registry)
        passes = [_date_outlet_pass(inputs, registry) for _ in range(COST_PASSES)]
        best = min(passes)
        total_seconds += best
        total_articles += len(inputs)
        results[name] = {
            "articles": len(inputs),
            "best_seconds": round(best, 4),
            "ms_per_article": round(1000 * best / len(inputs), 4) if inputs else None,
            "passes_seconds": [round(p, 4) for p in passes],
        }
        table.add_row(
            name,
            f"{len(inputs):,}",
            f"{best:.3f}",
            f"{1000 * best / len(inputs):.3f}" if inputs else "–",
            ", ".join(f"{p:.3f}" for p in passes),
        )
    if total_articles:
        results["all"] = {
            "articles": total_articles,
            "best_seconds": round(total_seconds, 4),
            "ms_per_article": round(1000 * total_seconds / total_articles, 4),
        }
        table.add_row(
            "all",
            f"{total_articles:,}",
            f"{total_seconds:.3f}",
            f"{1000 * total_seconds / total_articles:.3f}",
            "",
            end_section=False,
        )
    console.print(table)
    console.print()
    return results


# --------------------------------------------------------------------------- main


def _lazy(module: str, function: str) -> Any:
    """An evaluation of another bench module, imported when it runs."""

    def run(folder: Path) -> Any:
        import importlib

        return getattr(importlib.import_module(module), function)(folder)

    return run


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    eval_dir = Path(args[0]) if args else DEFAULT_EVAL_DIR
    if not eval_dir.is_dir():
        print(f"evaluation data not found at {eval_dir}: evaluation skipped")
        return 0
    results: dict[str, Any] = {"eval_dir": str(eval_dir)}
    sections = (
        ("encodings", "encodings", evaluate_encodings),
        ("mojibake", "mojibake", evaluate_mojibake),
        ("languages", "lingua-sentences", evaluate_languages),
        ("reuters", "reuters", evaluate_reuters),
        ("wire", "wire", evaluate_wire),
        ("datelines", "lingua-sentences", evaluate_datelines),
        ("date_outlet_cost", ".", evaluate_cost),
        ("html", "html", _lazy("bench.eval_html_warc", "evaluate_html")),
        ("warc", "warc", _lazy("bench.eval_html_warc", "evaluate_warc")),
        ("dumps", "dumps", _lazy("bench.eval_dumps", "evaluate_dumps")),
        ("exports", "exports", _lazy("bench.eval_exports", "evaluate_exports")),
        ("langdetect_agreement", ".", evaluate_agreement),
    )
    for name, subfolder, evaluate in sections:
        folder = eval_dir / subfolder
        if folder.is_dir():
            results[name] = evaluate(folder)
        else:
            console.print(f"{folder} not found: {name} skipped")
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    console.print(f"figures written to {RESULTS_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
