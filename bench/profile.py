"""Where a batch spends its time per document: each step of the per-document path, timed.

    python -m bench.profile N [--workdir DIR] [--sample 2000] [--json OUT]

`profile_steps()` runs, in one process and on the same files, every step a batch task
(tasks/batch.py) runs per file and per document, in the pipeline's order and with the
pipeline's own functions and arguments, and times each one separately with
`time.perf_counter` (cProfile's per-call hooks would inflate the many small calls):

    read      the file's bytes from disk (tasks.batch.read_file, through _reader)
    hash      sha256 of the bytes
    reader    read_documents (sniffing, then the reader: JSON parsing, field mapping, …)
    decode    decode_bytes / decode_text
    layout    split_layout
    outlet    detect_outlet, a stated outlet's outlet_slug, assign_source
    language  detect_language
    date      find_publication_date
    story     story_features (the story-matching signature)
    quotes    extract_quotes
    rows      what remains: the glue of build_document (language text and hint, a stated
              date, the row dict with its ids and content hash), of _process_file,
              _process_documents and _add_story_inputs (record keys, FileVersion, the
              quotes / features / file_events rows, reject rows)
    arrow     rows_to_table, each table in chunks of 500 rows (FLUSH_ROWS)
    parquet   those tables written with warehouse.storage.parquet_writer to a temp folder
              (zstd level 3, fsync and rename: a batch part)

build_document's glue is replicated step by step (nothing in tasks/ is changed); a check
pass then runs tasks.batch._process_file itself on the same files and compares every row
it produces with the replica's, so the replica cannot drift unnoticed, and its time is
reported as the cross-check of the sum. A short warm-up first loads what a worker loads
once (langdetect's profiles, the date grammar); files are read from the page cache.

The same articles are then profiled as one JSON Lines file (`{"id", "text"}` per line, the
text as decoded from each file). HTML pages are skipped: bench/corpus.py writes plain text
only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from tasks.article import (
    EnrichOptions,
    FileVersion,
    _outlet_hint,
    _stated_hint,
    article_id,
    content_sha256,
    file_key,
)
from tasks.batch import (
    FLUSH_ROWS,
    STAGED_TABLES,
    BatchContext,
    _content_key,
    _event,
    _is_one_article,
    _process_file,
    _read_documents,
    _reader,
    _record_reject,
    _reject,
    _utc,
)
from tasks.dates import EARLIEST_YEAR, DateInfo, find_publication_date
from tasks.decode import decode_bytes, decode_text
from tasks.errors import RejectError
from tasks.language import detect_language
from tasks.layout import split_layout
from tasks.quotes import extract_quotes
from tasks.readers import Document, ReadOptions, RecordReject
from tasks.sources import (
    Registry,
    SourceTag,
    assign_source,
    detect_outlet,
    load_registry,
    outlet_slug,
)
from tasks.stories import story_features
from warehouse.schemas import TABLES
from warehouse.storage import parquet_writer, rows_to_table

STEPS = (
    "read",
    "hash",
    "reader",
    "decode",
    "layout",
    "outlet",
    "language",
    "date",
    "story",
    "quotes",
    "rows",
    "arrow",
    "parquet",
)
LABELS = {
    "read": "read",
    "hash": "sha256",
    "reader": "reader",
    "decode": "decode",
    "layout": "layout",
    "outlet": "outlet",
    "language": "language",
    "date": "date",
    "story": "story feat.",
    "quotes": "quotes",
    "rows": "row building",
    "arrow": "Arrow",
    "parquet": "Parquet",
}
MAX_FILE_BYTES = 50 * 1024 * 1024  # wirehouse.settings' default max_file_bytes
WARM_UP_FILES = 20
HTML_NOTE = "skipped: bench/corpus.py writes plain text files only, no HTML pages"
RUN_ID = "profile"


def profile_steps(
    files: list[Path],
    registry: Registry,
    options: EnrichOptions,
    *,
    root: Path | None = None,
    check: bool = True,
    jsonl: bool = True,
) -> dict[str, Any]:
    """Time each per-document step on `files` (as plain files), then on the same articles
    as one JSON Lines file; per format: ms, ms per document and share of each step, and
    (everything but language) / language. `root` is the source root (default: the files'
    common folder); `check` runs _process_file on the same files to verify the replica."""
    files = sorted(files)
    root = root or Path(os.path.commonpath([p.parent for p in files]))
    started = time.perf_counter()
    _warm_up(files[:WARM_UP_FILES], root, registry, options)
    warm_up = time.perf_counter() - started
    formats: dict[str, Any] = {"text": _profile(files, root, registry, options, check)}
    if jsonl:
        scratch = Path(tempfile.mkdtemp(prefix="wirehouse-profile-"))
        try:
            lines = _write_jsonl(files, root, scratch / "articles.jsonl")
            formats["jsonl"] = _profile([lines], scratch, registry, options, check)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    formats["html"] = {"skipped": HTML_NOTE}
    return {
        "sample_files": len(files),
        "root": str(root),
        "warm_up_seconds": round(warm_up, 2),
        "formats": formats,
    }


# --------------------------------------------------------------------------- one format


def _context(root: Path, staging: Path, options: EnrichOptions) -> BatchContext:
    """What flows/ingest.py gives a batch with default settings."""
    return BatchContext(
        run_id=RUN_ID,
        source_root=str(root),
        staging_dir=str(staging),
        ingested_at=datetime.now(UTC),
        max_file_bytes=MAX_FILE_BYTES,
        options=options,
        read_options=ReadOptions(latest=options.latest_date, max_document_bytes=MAX_FILE_BYTES),
    )


def _planned(path: Path, root: Path) -> dict[str, Any]:
    """The planner's row for a new file (tasks/plan.py, action 'new')."""
    rel = path.relative_to(root).as_posix()
    st = path.stat()
    return {
        "source_path": rel,
        "path_bytes": os.fsencode(rel),
        "file_size": st.st_size,
        "file_mtime_ns": st.st_mtime_ns,
        "problem": None,
        "problem_message": None,
        "prev_event": None,
        "prev_version": None,
        "prev_article_id": None,
        "prev_raw_sha256": None,
        "prev_reject_reason": None,
        "action": "new",
        "known": {},
    }


def _profile(
    files: list[Path], root: Path, registry: Registry, options: EnrichOptions, check: bool
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="wirehouse-profile-") as staging:
        ctx = _context(root, Path(staging), options)
        items = [_planned(path, root) for path in files]
        seconds = dict.fromkeys(STEPS, 0.0)
        tables: dict[str, list[dict[str, Any]]] = {name: [] for name in STAGED_TABLES}
        counts: Counter[str] = Counter()
        read = _reader(ctx)
        for item in items:
            _file_steps(item, read, ctx, registry, tables, counts, seconds)
        _write_steps(tables, Path(staging), seconds)
        result = _figures(seconds, counts, sum(i["file_size"] for i in items))
        if check:
            result["check"] = _check(items, read, ctx, registry, tables, counts["documents"])
    return result


def _lap(seconds: dict[str, float], step: str, mark: float) -> float:
    now = time.perf_counter()
    seconds[step] += now - mark
    return now


def _file_steps(
    item: dict[str, Any],
    read: Any,
    ctx: BatchContext,
    registry: Registry,
    tables: dict[str, list[dict[str, Any]]],
    counts: Counter[str],
    seconds: dict[str, float],
) -> None:
    """_process_file for a new file that is read whole, step by step."""
    counts["files"] += 1
    size, mtime_ns, raw = item["file_size"], item["file_mtime_ns"], None
    step, mark = "read", time.perf_counter()
    try:
        raw, size, mtime_ns = read(item["path_bytes"])
        mark, step = _lap(seconds, "read", mark), "hash"
        raw_sha = hashlib.sha256(raw).hexdigest()
        mark, step = _lap(seconds, "hash", mark), "rows"
        version = (item["prev_version"] or 0) + 1
        origin = FileVersion(
            ctx.source_root, item["source_path"], version, size, _utc(mtime_ns), raw_sha
        )
        mark, step = _lap(seconds, "rows", mark), "reader"
        found = list(_read_documents(raw, item["source_path"], ctx))
        one = _is_one_article(found, item)
        mark = _lap(seconds, "reader", mark)
        if one:
            counts["documents"] += 1
            step = ""  # _document_row times its own steps, up to an error too
            row = _document_row(found[0], origin, ctx.options, registry, seconds)
            mark, step = time.perf_counter(), "rows"
            tables["articles"].append(row | {"ingested_at": ctx.ingested_at, "run_id": ctx.run_id})
            mark = _lap(seconds, "rows", mark)
            _story_inputs(row, ctx.run_id, tables, seconds)
            mark = time.perf_counter()
            tables["file_events"].append(
                _event(item, ctx, "new", size, mtime_ns, raw_sha, row["article_id"], version)
            )
            _lap(seconds, "rows", mark)
            return
        live = _documents_steps(found, item, origin, ctx, registry, tables, counts, seconds)
        mark, step = time.perf_counter(), "rows"
        tables["file_events"].append(
            _event(item, ctx, "new", size, mtime_ns, raw_sha, None, version, documents=live)
        )
        _lap(seconds, "rows", mark)
    except RejectError as exc:  # the time until the error is its step's; the reject is glue
        mark = _lap(seconds, step, mark) if step else time.perf_counter()
        counts["rejected_files"] += 1
        documents: Counter[str] = Counter()
        _reject(
            item,
            ctx,
            tables,
            exc.reason,
            type(exc).__name__,
            exc.message,
            size,
            mtime_ns,
            raw,
            documents,
        )
        _lap(seconds, "rows", mark)


def _documents_steps(
    found: list[Any],
    item: dict[str, Any],
    origin: FileVersion,
    ctx: BatchContext,
    registry: Registry,
    tables: dict[str, list[dict[str, Any]]],
    counts: Counter[str],
    seconds: dict[str, float],
) -> int:
    """_process_documents for a new file of many documents, step by step."""
    seen: set[str] = set()
    live = 0
    for found_item in found:
        mark = time.perf_counter()
        key = found_item.record_key
        if key is None and isinstance(found_item, Document):
            key = _content_key(found_item)
        if key is not None and key in seen:
            found_item = RecordReject(key, "duplicate_key", f"record key {key!r} occurs twice")
        if key is not None:
            seen.add(key)
        if isinstance(found_item, RecordReject):
            counts["rejected_documents"] += 1
            _record_reject(item, ctx, tables, found_item)
            _lap(seconds, "rows", mark)
            continue
        doc, doc_origin = replace(found_item, record_key=key), replace(origin, version=1)
        mark = _lap(seconds, "rows", mark)
        counts["documents"] += 1
        try:
            row = _document_row(doc, doc_origin, ctx.options, registry, seconds)
        except RejectError as exc:
            mark = time.perf_counter()
            counts["rejected_documents"] += 1
            _record_reject(item, ctx, tables, RecordReject(key, exc.reason, exc.message))
            _lap(seconds, "rows", mark)
            continue
        live += 1
        mark = time.perf_counter()
        tables["articles"].append(row | {"ingested_at": ctx.ingested_at, "run_id": ctx.run_id})
        _lap(seconds, "rows", mark)
        _story_inputs(row, ctx.run_id, tables, seconds)
    return live


def _document_row(
    doc: Document,
    origin: FileVersion,
    options: EnrichOptions,
    registry: Registry,
    seconds: dict[str, float],
) -> dict[str, Any]:
    """tasks.article.build_document, each call timed: keep in step with it (the check
    pass compares the rows)."""
    step, mark = "decode", time.perf_counter()
    try:
        stated = doc.stated
        decoded = decode_bytes(doc.raw) if doc.raw is not None else decode_text(doc.text or "")
        mark, step = _lap(seconds, "decode", mark), "layout"
        layout = split_layout(decoded.text, registry)
        mark, step = _lap(seconds, "layout", mark), "outlet"
        detected = detect_outlet(
            layout.header_lines, layout.chrome_hits, layout.signoff_hit, registry
        )
        if stated.outlet and (slug := outlet_slug(stated.outlet, registry)):
            detected = SourceTag(slug, stated.evidence.get("outlet", "container"))
        outlet = assign_source(
            origin.source_path, detected, options.source_override, dict(options.folder_sources)
        )
        mark, step = _lap(seconds, "outlet", mark), "rows"
        language_text = "\n".join(p for p in (layout.title, layout.lede, layout.body) if p)
        hint = _stated_hint(stated) or _outlet_hint(registry, outlet.slug)
        mark, step = _lap(seconds, "rows", mark), "language"
        language = detect_language(
            language_text,
            seed=options.language_seed,
            min_letters=options.language_min_chars,
            hint=hint,
        )
        mark, step = _lap(seconds, "language", mark), "date"
        when = find_publication_date(layout.header_lines, options.latest_date, language.language)
        mark, step = _lap(seconds, "date", mark), "rows"
        published = stated.published
        if (
            published is not None
            and published.year >= EARLIEST_YEAR
            and published <= (options.latest_date)
        ):
            when = DateInfo(
                published.year,
                published.month,
                published.day,
                published.isoformat(),
                stated.evidence.get("published", "container"),
            )
        title = stated.title.strip() if stated.title and stated.title.strip() else layout.title
        body = layout.body
        if title and body.startswith(title):
            body = body[len(title) :].lstrip()
        key = doc.record_key
        row = {
            "article_id": article_id(origin.source_root, origin.source_path, origin.version, key),
            "source_root": origin.source_root,
            "source_path": origin.source_path,
            "file_key": file_key(origin.source_root, origin.source_path, key),
            "record_key": key,
            "format": doc.format,
            "row_kind": "article",
            "version": origin.version,
            "title": title,
            "lede": layout.lede,
            "body": body,
            "content_sha256": content_sha256(title, body),
            "char_count": len(body),
            "pub_year": when.year,
            "pub_month": when.month,
            "pub_day": when.day,
            "published_date": when.published,
            "date_text": when.text,
            "date_source": when.source,
            "language": language.language,
            "language_prob": language.probability,
            "language_evidence": language.evidence,
            "source": outlet.slug,
            "source_evidence": outlet.evidence,
            "url": stated.url,
            "byline": stated.byline,
            "section": stated.section,
            "crawl_date": stated.crawl_date,
            "encoding": decoded.encoding if doc.raw is not None else None,
            "encoding_confidence": decoded.encoding_confidence,
            "had_bom": decoded.had_bom,
            "mojibake_fixed": decoded.mojibake_fixed,
            "decode_errors": decoded.decode_errors,
            "raw_sha256": origin.raw_sha256,
            "file_size": origin.file_size,
            "file_mtime": origin.file_mtime,
        }
        _lap(seconds, "rows", mark)
        return row
    except RejectError:
        _lap(seconds, step, mark)
        raise


def _story_inputs(
    row: dict[str, Any],
    run_id: str,
    tables: dict[str, list[dict[str, Any]]],
    seconds: dict[str, float],
) -> None:
    """tasks.batch._add_story_inputs, each call timed."""
    mark = time.perf_counter()
    features = story_features(row["title"], row["body"])
    mark = _lap(seconds, "story", mark)
    tables["article_features"].append(
        {
            "article_id": row["article_id"],
            "signature": features.signature,
            "weekday": features.weekday,
            "run_id": run_id,
        }
    )
    mark = _lap(seconds, "rows", mark)
    quotes = extract_quotes(row["body"])
    mark = _lap(seconds, "quotes", mark)
    tables["quotes"] += [
        {
            "article_id": row["article_id"],
            "quote": quote.text,
            "speaker": quote.speaker,
            "start_char": quote.start,
            "end_char": quote.end,
            "word_count": len(quote.text.split()),
            "quote_hash": quote.quote_hash,
            "run_id": run_id,
        }
        for quote in quotes
    ]
    _lap(seconds, "rows", mark)


def _write_steps(
    tables: dict[str, list[dict[str, Any]]], staging: Path, seconds: dict[str, float]
) -> None:
    """Each table's rows as Arrow tables of FLUSH_ROWS rows, then written as one batch
    part per table, as tasks.batch._Parts does (there, interleaved with the documents)."""
    converted: dict[str, list[Any]] = {}
    mark = time.perf_counter()
    for name, rows in tables.items():
        converted[name] = [
            rows_to_table(rows[at : at + FLUSH_ROWS], name)
            for at in range(0, len(rows), FLUSH_ROWS)
        ]
    mark = _lap(seconds, "arrow", mark)
    for name, chunks in converted.items():
        if chunks:
            with parquet_writer(staging / f"{name}-profile.parquet", TABLES[name]) as writer:
                for chunk in chunks:
                    writer.write_table(chunk)
    _lap(seconds, "parquet", mark)


def _figures(seconds: dict[str, float], counts: Counter[str], size: int) -> dict[str, Any]:
    total = sum(seconds.values())
    documents = max(counts["documents"], 1)
    language = seconds["language"]
    others = {s: v for s, v in seconds.items() if s != "language"}
    biggest = max(others, key=others.__getitem__)
    return {
        "files": counts["files"],
        "documents": counts["documents"],
        "rejected_files": counts["rejected_files"],
        "rejected_documents": counts["rejected_documents"],
        "bytes": size,
        "steps": {
            step: {
                "ms": round(1000 * value, 2),
                "ms_per_doc": round(1000 * value / documents, 4),
                "share": round(value / total, 4) if total else 0.0,
            }
            for step, value in seconds.items()
        },
        "total_ms": round(1000 * total, 1),
        "ms_per_doc": round(1000 * total / documents, 4),
        "docs_per_s": round(documents / total, 1) if total else None,
        "other_over_language": round((total - language) / language, 3) if language else None,
        "largest_besides_language": biggest,
    }


def _check(
    items: list[dict[str, Any]],
    read: Any,
    ctx: BatchContext,
    registry: Registry,
    replica: dict[str, list[dict[str, Any]]],
    documents: int,
) -> dict[str, Any]:
    """Run the pipeline's own _process_file on the same files: its rows must be the
    replica's, and its time is the cross-check of the steps read … rows."""
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in STAGED_TABLES}
    counted: Counter[str] = Counter()
    started = time.perf_counter()
    for item in items:
        _process_file(item, read, ctx, registry, tables, counted)
    seconds = time.perf_counter() - started
    differing = [name for name in STAGED_TABLES if tables[name] != replica[name]]
    if differing:
        raise AssertionError(
            f"bench/profile.py's replica no longer matches tasks/batch.py: {differing} "
            "differ; bring _document_row / _file_steps in step with build_document"
        )
    return {
        "process_file_ms": round(1000 * seconds, 1),
        "process_file_ms_per_doc": round(1000 * seconds / max(documents, 1), 4),
        "rows_match": True,
    }


# --------------------------------------------------------------------------- inputs


def _warm_up(files: list[Path], root: Path, registry: Registry, options: EnrichOptions) -> None:
    """What a worker pays once: langdetect's profiles, the date grammar, regexes."""
    with tempfile.TemporaryDirectory(prefix="wirehouse-profile-") as staging:
        ctx = _context(root, Path(staging), options)
        tables: dict[str, list[dict[str, Any]]] = {name: [] for name in STAGED_TABLES}
        read = _reader(ctx)
        for path in files:
            _process_file(_planned(path, root), read, ctx, registry, tables, Counter())
        for name, rows in tables.items():
            if rows:
                rows_to_table(rows, name)


def _write_jsonl(files: list[Path], root: Path, target: Path) -> Path:
    """The same articles as one JSON Lines dump: each file's decoded text, keyed by its
    path; files that are not text (the corpus's broken ones) are left out."""
    with open(target, "w", encoding="utf-8") as out:
        for path in files:
            try:
                text = decode_bytes(path.read_bytes()).text
            except RejectError:
                continue
            record = {"id": path.relative_to(root).as_posix(), "text": text}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return target


def sample_files(corpus: Path, n: int) -> list[Path]:
    """The first `n` files of the corpus in sorted order (bench.corpus draws every file
    independently, so any prefix is a fair sample)."""
    found: list[Path] = []
    for folder in sorted(p for p in corpus.iterdir() if p.is_dir()):
        found.extend(sorted(p for p in folder.iterdir() if p.is_file()))
        if len(found) >= n:
            break
    return found[:n]


# --------------------------------------------------------------------------- output


def profile_table(result: dict[str, Any]) -> Table:
    """One rich table, the formats side by side: ms, ms/doc and share per step."""
    formats = {k: v for k, v in result["formats"].items() if "steps" in v}
    notes = [f"{name}: {v['skipped']}" for name, v in result["formats"].items() if "skipped" in v]
    table = Table(
        title=f"Batch steps per document, {result['sample_files']:,} files, one process",
        caption="rest/lang: everything but language over language (issue 17: ≤ 0.5x); "
        "check: tasks.batch._process_file on the same files (read … rows)"
        + "".join(f"; {note}" for note in notes),
    )
    table.add_column("step")
    for name, figures in formats.items():
        table.add_column(f"{name}\nms", justify="right")
        table.add_column(f"{figures['documents']:,}\nms/doc", justify="right")
        table.add_column("\nshare", justify="right")
    for step in STEPS:
        cells = []
        for figures in formats.values():
            s = figures["steps"][step]
            cells += [f"{s['ms']:,.0f}", f"{s['ms_per_doc']:.3f}", f"{100 * s['share']:.1f}%"]
        table.add_row(LABELS[step], *cells, style="bold" if step == "language" else None)
    table.add_section()
    cells = []
    for figures in formats.values():
        cells += [f"{figures['total_ms']:,.0f}", f"{figures['ms_per_doc']:.3f}", "100%"]
    table.add_row("total", *cells)
    cells = []
    for figures in formats.values():
        ratio = figures["other_over_language"]
        cells += ["", f"{ratio:.2f}x" if ratio is not None else "–", ""]
    table.add_row("rest/lang", *cells)
    if all("check" in f for f in formats.values()):
        cells = []
        for figures in formats.values():
            check = figures["check"]
            cells += [
                f"{check['process_file_ms']:,.0f}",
                f"{check['process_file_ms_per_doc']:.3f}",
                "",
            ]
        table.add_row("check", *cells)
    return table


def print_profile(result: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    console.print(profile_table(result))
    for name, figures in result["formats"].items():
        if "steps" in figures:
            console.print(
                f"{name}: {figures['docs_per_s']:,.0f} docs/s in one process; largest step "
                f"besides language: {figures['largest_besides_language']}"
            )
    console.print(f"warm-up (not timed above): {result['warm_up_seconds']:.1f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile", description=__doc__.splitlines()[0]
    )
    parser.add_argument("n", type=int, help="corpus size (corpus-N under --workdir)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/wirehouse-bench"))
    parser.add_argument("--sample", type=int, default=2000, help="files to profile")
    parser.add_argument("--no-check", action="store_true", help="skip the _process_file pass")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    corpus = args.workdir / f"corpus-{args.n}"
    if not corpus.with_suffix(".json").exists():  # as bench.throughput makes it
        from bench.corpus import generate

        shutil.rmtree(corpus, ignore_errors=True)
        stats = generate(corpus, args.n, seed=0).as_dict()
        corpus.with_suffix(".json").write_text(json.dumps(stats))
    files = sample_files(corpus, args.sample)
    options = EnrichOptions(latest_date=date.today())
    result = profile_steps(files, load_registry(), options, root=corpus, check=not args.no_check)
    print_profile(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
