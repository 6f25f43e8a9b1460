"""Process one batch of planned files into staged `articles`, `file_events` and `rejects` parts.

Every planned file ends in exactly one outcome (ingested, touched or rejected); a bad file
never stops its batch. Parts are written atomically under the run's staging folder with
names derived from the batch index, so a retried batch overwrites rather than duplicates.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import stat
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow.parquet as pq

from tasks.article import EnrichOptions, FileVersion, build_document, tombstone
from tasks.errors import TRANSIENT_REASONS, RejectError
from tasks.objects import url_reader
from tasks.plan import BatchRef
from tasks.quotes import extract_quotes
from tasks.readers import (
    SNIFF_BYTES,
    STREAMING,
    Document,
    Item,
    ReadOptions,
    RecordReject,
    choose_reader,
    read_documents,
    reader_named,
)
from tasks.sources import Registry, load_registry
from tasks.stories import story_features
from warehouse.locations import is_url
from warehouse.schemas import TABLES
from warehouse.storage import crash_point, parquet_writer, rows_to_table, writing

# Reads one file by its relative path: (bytes, size, mtime_ns); raises RejectError.
Reader = Callable[[bytes], tuple[bytes, int, int | None]]

# Tables a batch stages parts of; the rest are written when the run commits.
STAGED_TABLES = ("articles", "file_events", "rejects", "quotes", "article_features")
FLUSH_ROWS = 500  # rows of a table a batch holds before writing them out as a row group


@dataclass(frozen=True, slots=True)
class BatchContext:
    """Everything a batch needs besides its rows; small and picklable (sent to workers)."""

    run_id: str
    source_root: str
    staging_dir: str
    ingested_at: datetime
    max_file_bytes: int
    options: EnrichOptions
    outlets_file: str | None = None
    storage_options: dict[str, Any] = field(default_factory=dict)  # for object-store sources
    read_options: ReadOptions | None = None  # field mapping and container limits
    formats: tuple[tuple[str, str], ...] = ()  # (file-name glob, reader name) overrides
    documents_file: str | None = None  # Plan.documents_file: live documents of containers

    def reading(self) -> ReadOptions:
        """The readers' options; unset, the defaults with the run's day as the latest date."""
        return self.read_options or ReadOptions(latest=self.options.latest_date)


@dataclass(slots=True)
class BatchResult:
    """What a batch did: outcome counts, bytes read, and the parts it staged."""

    index: int
    planned: int
    counts: Counter[str] = field(default_factory=Counter)
    # Per document: new, changed, unchanged, deleted, rejected (a one-article file counts
    # as one document, except when its file is skipped unread).
    documents: Counter[str] = field(default_factory=Counter)
    bytes_read: int = 0
    seconds: float = 0.0
    pid: int = 0  # the process that did the work
    parts: list[str] = field(default_factory=list)
    rejects: list[tuple[str, str, str]] = field(default_factory=list)  # path, reason, message

    def outcomes(self) -> int:
        return sum(self.counts.values())


def process_batch(ref: BatchRef, ctx: BatchContext) -> BatchResult:
    """Read, enrich and stage every file of one batch (one row group of the work file)."""
    started = time.perf_counter()
    planned = pq.ParquetFile(ref.work_file).read_row_group(ref.row_group).to_pylist()
    registry = load_registry(Path(ctx.outlets_file) if ctx.outlets_file else None)
    result = BatchResult(index=ref.index, planned=len(planned))
    tables: dict[str, list[dict[str, Any]]] = {name: [] for name in STAGED_TABLES}
    read = _reader(ctx)
    known = _known_documents(ctx.documents_file, [item["source_path"] for item in planned])
    # Errors reading a file are that file's reject; an OSError getting here is a write's.
    with writing(Path(ctx.staging_dir)), ExitStack() as files:
        parts = _Parts(Path(ctx.staging_dir), ref.index, files)
        for item in planned:
            item["known"], item["versions"] = known.get(item["source_path"], ({}, {}))
            outcome = _process_file(
                item,
                read,
                ctx,
                registry,
                tables,
                result.documents,
                lambda: parts.write(tables, at_least=FLUSH_ROWS),
            )
            result.counts[outcome] += 1
            result.bytes_read += item["file_size"] or 0
            if outcome == "rejected":
                reject = tables["rejects"][-1]
                result.rejects.append((reject["source_path"], reject["reason"], reject["message"]))
            parts.write(tables, at_least=FLUSH_ROWS)
            crash_point("file-processed")
        parts.write(tables, at_least=1)
    result.parts = parts.paths
    result.seconds = time.perf_counter() - started
    result.pid = os.getpid()
    return result


def batch_part(staging: Path, table: str, index: int) -> Path:
    """Where batch `index` stages its part of `table`."""
    return staging / f"{table}-b{index:06d}.parquet"


def batch_parts(staging: Path, table: str) -> list[Path]:
    """The batch parts of `table` staged in `staging`, in batch order."""
    return sorted(staging.glob(f"{table}-b*.parquet"))


class _Parts:
    """A batch's part files, one per table, written a row group at a time as rows come.

    A worker then holds a few hundred rows instead of its whole batch's (2,000 articles with
    their quotes and signatures: ~55 MB). Each file is renamed into place when the batch
    ends (the ExitStack closes it), and deleted if the batch fails.
    """

    def __init__(self, staging: Path, index: int, files: ExitStack) -> None:
        self.staging, self.index, self.files = staging, index, files
        self.writers: dict[str, pq.ParquetWriter] = {}
        self.paths: list[str] = []

    def write(self, tables: dict[str, list[dict[str, Any]]], at_least: int) -> None:
        """Write, as a row group, and forget the rows of each table that has `at_least`."""
        for name, rows in tables.items():
            if rows and len(rows) >= at_least:
                self._writer(name).write_table(rows_to_table(rows, name))
                rows.clear()

    def _writer(self, table: str) -> pq.ParquetWriter:
        if table not in self.writers:
            path = batch_part(self.staging, table, self.index)
            self.writers[table] = self.files.enter_context(parquet_writer(path, TABLES[table]))
            self.paths.append(str(path))
        return self.writers[table]


def _reader(ctx: BatchContext) -> Reader:
    """How this batch reads a file by its relative path: from a folder or an object store."""
    if is_url(ctx.source_root):
        return url_reader(ctx.source_root, ctx.max_file_bytes, ctx.storage_options)
    root = os.fsencode(ctx.source_root)
    return lambda rel: read_file(os.path.join(root, rel), ctx.max_file_bytes)


def _process_file(
    item: dict[str, Any],
    read: Reader,
    ctx: BatchContext,
    registry: Registry,
    tables: dict[str, list[dict[str, Any]]],
    documents: Counter[str],
    flush: Callable[[], None] = lambda: None,
) -> str:
    """Handle one planned file; return its outcome: new|changed|reprocessed|unchanged|rejected.

    `flush` writes out the rows held so far (a large container's documents do not all
    wait in memory for the end of the file)."""
    raw: bytes | None = None
    size, mtime_ns = item["file_size"], item["file_mtime_ns"]
    try:
        if item["action"] == "reject":
            raise RejectError(item["problem"], item["problem_message"])
        streamed = _stream(item, ctx)
        if streamed is not None:  # a large container, read a record at a time from disk
            return _process_stream(item, streamed, ctx, registry, tables, documents, flush)
        raw, size, mtime_ns = read(item["path_bytes"])
        raw_sha = hashlib.sha256(raw).hexdigest()
        if _touched(item, ctx, tables, size, mtime_ns, raw_sha):
            return "unchanged"
        origin = _next_version(item, ctx, size, mtime_ns, raw_sha)
        found = list(_read_documents(raw, item["source_path"], ctx))
        if _is_one_article(found, item):
            row = build_document(found[0], origin, ctx.options, registry)
        else:
            row = None
    except RejectError as exc:
        return _reject(
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
    except Exception as exc:  # a bug must not sink the batch: record it and go on
        return _reject(
            item,
            ctx,
            tables,
            "internal_error",
            type(exc).__name__,
            _where(exc),
            size,
            mtime_ns,
            raw,
            documents,
        )
    if row is None:  # a file of many documents
        return _file_of_many(found, item, origin, mtime_ns, ctx, registry, tables, documents, flush)
    event = _event_kind(item, raw_sha)
    tables["articles"].append(row | {"ingested_at": ctx.ingested_at, "run_id": ctx.run_id})
    _add_story_inputs(row, ctx.run_id, tables)
    documents["new" if event == "new" else "changed"] += 1
    for key, (doc_version, _sha) in item["known"].items():  # it was a file of many
        _bury(item, ctx, tables, key, doc_version + 1, "deleted")
        documents["deleted"] += 1
    tables["file_events"].append(
        _event(item, ctx, event, size, mtime_ns, raw_sha, row["article_id"], origin.version)
    )
    return event


def _was_live(item: dict[str, Any]) -> bool:
    """The file had a live article, or live documents, before this run."""
    return item["prev_article_id"] is not None or bool(item["known"])


def _touched(
    item: dict[str, Any],
    ctx: BatchContext,
    tables: dict[str, list[dict[str, Any]]],
    size: int | None,
    mtime_ns: int | None,
    raw_sha: str,
) -> bool:
    """Same bytes as the live version and not forced: only the new mtime is recorded."""
    if not _was_live(item) or raw_sha != item["prev_raw_sha256"] or item["action"] == "reprocess":
        return False
    tables["file_events"].append(
        _event(
            item,
            ctx,
            "touched",
            size,
            mtime_ns,
            raw_sha,
            item["prev_article_id"],
            item["prev_version"],
            documents=len(item["known"]) or None,
        )
    )
    return True


def _next_version(
    item: dict[str, Any], ctx: BatchContext, size: int, mtime_ns: int | None, raw_sha: str
) -> FileVersion:
    """The file version this run's reading of the file becomes."""
    version = (item["prev_version"] or 0) + 1
    return FileVersion(ctx.source_root, item["source_path"], version, size, _utc(mtime_ns), raw_sha)


def _event_kind(item: dict[str, Any], raw_sha: str) -> str:
    if not _was_live(item):
        return "new"
    return "reprocessed" if raw_sha == item["prev_raw_sha256"] else "changed"


def _file_of_many(
    found: Iterable[Item],
    item: dict[str, Any],
    origin: FileVersion,
    mtime_ns: int | None,
    ctx: BatchContext,
    registry: Registry,
    tables: dict[str, list[dict[str, Any]]],
    documents: Counter[str],
    flush: Callable[[], None],
) -> str:
    """A file of many documents: its documents, then its file event (returned)."""
    event = _event_kind(item, origin.raw_sha256)
    if item["prev_article_id"] is not None:  # it was one article: that one is gone
        _bury(item, ctx, tables, None, origin.version, "deleted")
        documents["deleted"] += 1
    live = _process_documents(found, item, origin, ctx, registry, tables, documents, flush)
    tables["file_events"].append(
        _event(
            item,
            ctx,
            event,
            origin.file_size,
            mtime_ns,
            origin.raw_sha256,
            None,
            origin.version,
            documents=live,
        )
    )
    return event


@dataclass(frozen=True, slots=True)
class _Streamed:
    path: bytes
    reader: str
    size: int
    mtime_ns: int
    raw_sha: str


def _stream(item: dict[str, Any], ctx: BatchContext) -> _Streamed | None:
    """A local file over max_file_bytes whose reader streams (JSON Lines, CSV, WARC,
    archives): hashed a chunk at a time, then read record by record instead of whole.
    None for every other file (read whole as before, or refused as too large)."""
    size = item["file_size"] or 0
    if size <= ctx.max_file_bytes or is_url(ctx.source_root) or item["action"] == "reject":
        return None
    path = os.path.join(os.fsencode(ctx.source_root), item["path_bytes"])
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
            forced = _forced_format(item["source_path"], ctx)
            reader = forced or choose_reader(head, PurePosixPath(item["source_path"]).name).name
            if reader not in STREAMING:
                return None
            limit = ctx.reading()
            if size > limit.max_expanded_bytes:
                raise RejectError(
                    "too_large",
                    f"{size:,} bytes is over the limit of {limit.max_expanded_bytes:,} for a "
                    "container (max_expanded_bytes); not read",
                )
            digest = hashlib.sha256(head)
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
            stat_now = os.fstat(handle.fileno())
    except OSError:
        return None  # the whole-file path reports the error as it always has
    return _Streamed(path, reader, stat_now.st_size, stat_now.st_mtime_ns, digest.hexdigest())


def _process_stream(
    item: dict[str, Any],
    streamed: _Streamed,
    ctx: BatchContext,
    registry: Registry,
    tables: dict[str, list[dict[str, Any]]],
    documents: Counter[str],
    flush: Callable[[], None],
) -> str:
    """_process_file for a large container read from disk a record at a time. What the
    reader yields before an error lands; the error is the file's reject if nothing came
    before it, else a record reject that ends the file ("truncated" WARC, corrupt zip)."""
    size, mtime_ns, raw_sha = streamed.size, streamed.mtime_ns, streamed.raw_sha
    if _touched(item, ctx, tables, size, mtime_ns, raw_sha):
        return "unchanged"
    origin = _next_version(item, ctx, size, mtime_ns, raw_sha)
    options = ctx.reading()
    name = PurePosixPath(item["source_path"]).name
    handle = None
    try:  # only reading: an error writing the rows below is the run's, not the file's
        handle = open(streamed.path, "rb")  # noqa: SIM115 (closed below)
        found = iter(reader_named(streamed.reader).read(handle, name, options))
        first = next(found, None)  # an error here rejects the whole file
    except (RejectError, OSError) as exc:
        if handle is not None:
            handle.close()
        reason = exc.reason if isinstance(exc, RejectError) else "io_error"
        message = exc.message if isinstance(exc, RejectError) else f"read failed: {exc}"
        return _reject(
            item,
            ctx,
            tables,
            reason,
            type(exc).__name__,
            message,
            size,
            mtime_ns,
            None,
            documents,
        )
    with handle:
        rest = _guarded(found, name)
        items = rest if first is None else itertools.chain([first], rest)
        return _file_of_many(items, item, origin, mtime_ns, ctx, registry, tables, documents, flush)


def _guarded(items: Iterator[Item], filename: str) -> Iterator[Item]:
    """The reader's items; an error after the first one ends the file as a record reject."""
    try:
        yield from items
    except RejectError as exc:
        yield RecordReject(None, exc.reason, f"{filename}: reading stopped: {exc.message}")
    except OSError as exc:
        yield RecordReject(None, "io_error", f"{filename}: reading stopped: {exc}")


def _forced_format(source_path: str, ctx: BatchContext) -> str | None:
    return next((f for glob, f in ctx.formats if fnmatch(source_path, glob)), None)


def _read_documents(raw: bytes, source_path: str, ctx: BatchContext) -> Iterator[Item]:
    options = ctx.reading()
    name = PurePosixPath(source_path).name
    return read_documents(raw, name, options, format=_forced_format(source_path, ctx))


def _is_one_article(found: list[Item], item: dict[str, Any]) -> bool:
    """A file that is one article (a text file, one HTML page), as files were before
    containers: it keeps its one row per file and its article ids."""
    if len(found) != 1:
        return False
    (only,) = found
    if isinstance(only, RecordReject):
        raise RejectError(only.reason, only.message)
    return only.record_key is None


def _process_documents(
    found: Iterable[Item],
    item: dict[str, Any],
    origin: FileVersion,
    ctx: BatchContext,
    registry: Registry,
    tables: dict[str, list[dict[str, Any]]],
    documents: Counter[str],
    flush: Callable[[], None] = lambda: None,
) -> int:
    """The documents of a file of many: a new version for each new or changed one, nothing
    for one whose content is unchanged, a tombstone for each one gone from the file; a
    reject row per record that could not be read. Returns how many are live."""
    known: dict[str, tuple[int, str]] = item["known"]
    seen: set[str] = set()
    live = 0
    for found_item in found:
        key = found_item.record_key
        if key is None and isinstance(found_item, Document):
            key = _content_key(found_item)
        repeated = key is not None and key in seen
        if repeated:
            found_item = RecordReject(key, "duplicate_key", f"record key {key!r} occurs twice")
        if key is not None:
            seen.add(key)
        if isinstance(found_item, RecordReject):
            documents["rejected"] += 1
            _record_reject(item, ctx, tables, found_item)
            if key in known and not repeated:  # it was live: now it is not
                _bury(item, ctx, tables, key, known[key][0] + 1, "rejected")
                documents["deleted"] += 1
            continue
        previous = known.get(key)
        version = item["versions"].get(key, 0) + 1  # above any tombstone it had
        try:
            row = build_document(
                replace(found_item, record_key=key),
                replace(origin, version=version),
                ctx.options,
                registry,
            )
        except Exception as exc:  # a bug in one document must not sink the file or batch
            rejected = (
                RecordReject(key, exc.reason, exc.message)
                if isinstance(exc, RejectError)
                else RecordReject(key, "internal_error", _where(exc))
            )
            documents["rejected"] += 1
            _record_reject(item, ctx, tables, rejected)
            if previous:
                _bury(item, ctx, tables, key, version, "rejected")
                documents["deleted"] += 1
            continue
        live += 1
        if previous and previous[1] == row["content_sha256"] and item["action"] != "reprocess":
            documents["unchanged"] += 1
            continue
        documents["changed" if previous else "new"] += 1
        tables["articles"].append(row | {"ingested_at": ctx.ingested_at, "run_id": ctx.run_id})
        _add_story_inputs(row, ctx.run_id, tables)
        flush()
    for key, (version, _sha) in known.items():
        if key not in seen:
            _bury(item, ctx, tables, key, version + 1, "deleted")
            documents["deleted"] += 1
    return live


def _content_key(doc: Document) -> str:
    """A record key for a document its reader could not name: a hash of its content."""
    content = doc.text if doc.text is not None else (doc.raw or b"").decode("utf-8", "replace")
    return "sha256:" + hashlib.sha256(content.encode()).hexdigest()[:16]


def _bury(
    item: dict[str, Any],
    ctx: BatchContext,
    tables: dict[str, list[dict[str, Any]]],
    key: str | None,
    version: int,
    kind: str,
) -> None:
    """A tombstone: document `key` of the file (None: the file's one article) is gone."""
    tables["articles"].append(
        tombstone(
            kind,
            ctx.source_root,
            item["source_path"],
            version,
            ctx.ingested_at,
            ctx.run_id,
            record_key=key,
        )
    )


def _record_reject(
    item: dict[str, Any],
    ctx: BatchContext,
    tables: dict[str, list[dict[str, Any]]],
    rejected: RecordReject,
) -> None:
    tables["rejects"].append(
        {
            "run_id": ctx.run_id,
            "source_root": ctx.source_root,
            "source_path": item["source_path"],
            "record_key": rejected.record_key,
            "reason": rejected.reason,
            "error_type": "RecordReject",
            "message": rejected.message,
            "file_size": item["file_size"],
            "raw_sha256": None,
            "rejected_at": ctx.ingested_at,
        }
    )


def _known_documents(
    documents_file: str | None, paths: list[str]
) -> dict[str, tuple[dict[str, tuple[int, str]], dict[str, int]]]:
    """This batch's container files' documents: path -> (the live ones: key -> (version,
    content sha), and every one ever written: key -> its highest version)."""
    if not documents_file or not paths:
        return {}
    table = pq.read_table(documents_file, filters=[("source_path", "in", paths)])
    known: dict[str, tuple[dict[str, tuple[int, str]], dict[str, int]]] = {}
    for row in table.to_pylist():
        live, versions = known.setdefault(row["source_path"], ({}, {}))
        versions[row["record_key"]] = row["version"]
        if row["live"]:
            live[row["record_key"]] = (row["version"], row["content_sha256"])
    return known


def _where(exc: Exception) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{exc!r} at {Path(where.filename).name}:{where.lineno}"


def _add_story_inputs(
    row: dict[str, Any], run_id: str, tables: dict[str, list[dict[str, Any]]]
) -> None:
    """Quotes and the story-matching signature of a new article version."""
    features = story_features(row["title"], row["body"])
    tables["article_features"].append(
        {
            "article_id": row["article_id"],
            "signature": features.signature,
            "weekday": features.weekday,
            "run_id": run_id,
        }
    )
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
        for quote in extract_quotes(row["body"])
    ]


def read_file(path: bytes, max_bytes: int) -> tuple[bytes, int, int]:
    """Read a whole file, refusing oversized ones unread; returns (bytes, size, mtime_ns)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise RejectError("vanished", "the file disappeared after discovery") from None
    except PermissionError as exc:
        raise RejectError("unreadable", f"cannot open: {exc.strerror}") from None
    except OSError as exc:
        raise RejectError("io_error", f"cannot open: {exc.strerror}") from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise RejectError("io_error", "not a regular file any more")
        if st.st_size > max_bytes:
            raise RejectError(
                "too_large",
                f"{st.st_size:,} bytes is over the limit of {max_bytes:,} "
                "(max_file_bytes); not read",
            )
        with os.fdopen(os.dup(fd), "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise RejectError("io_error", f"read failed: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(raw) > max_bytes:
        raise RejectError("too_large", f"grew past {max_bytes:,} bytes while being read")
    return raw, len(raw), st.st_mtime_ns


def _reject(
    item: dict[str, Any],
    ctx: BatchContext,
    tables: dict[str, list[dict[str, Any]]],
    reason: str,
    error_type: str,
    message: str,
    size: int | None,
    mtime_ns: int | None,
    raw: bytes | None,
    documents: Counter[str],
) -> str:
    raw_sha = hashlib.sha256(raw).hexdigest() if raw is not None else None
    tables["rejects"].append(
        {
            "run_id": ctx.run_id,
            "source_root": ctx.source_root,
            "source_path": item["source_path"],
            "reason": reason,
            "error_type": error_type,
            "message": message,
            "file_size": size,
            "raw_sha256": raw_sha,
            "rejected_at": ctx.ingested_at,
        }
    )
    # A live article whose file is only temporarily unreadable stays live: the manifest
    # keeps its last good state and the next run tries again.
    known = item["known"]
    was_live = _was_live(item)
    if reason in TRANSIENT_REASONS and was_live:
        return "rejected"
    if not known:  # a one-article file is one rejected document
        documents["rejected"] += 1
    # A file that had an article and is now unusable gets a tombstone: its last version
    # is no longer current. The tombstone takes the next version number.
    version = item["prev_version"] + 1 if was_live else item["prev_version"]
    tables["file_events"].append(
        _event(item, ctx, "rejected", size, mtime_ns, raw_sha, None, version, reason)
    )
    if item["prev_article_id"] is not None:
        tables["articles"].append(
            tombstone(
                "rejected",
                ctx.source_root,
                item["source_path"],
                version,
                ctx.ingested_at,
                ctx.run_id,
            )
        )
        documents["deleted"] += 1
    for key, (doc_version, _sha) in known.items():  # every document of a container
        _bury(item, ctx, tables, key, doc_version + 1, "rejected")
        documents["deleted"] += 1
    return "rejected"


def _event(
    item: dict[str, Any],
    ctx: BatchContext,
    event: str,
    size: int | None,
    mtime_ns: int | None,
    raw_sha: str | None,
    live_article: str | None,
    version: int | None,
    reason: str | None = None,
    *,
    documents: int | None = None,
) -> dict[str, Any]:
    return {
        "run_id": ctx.run_id,
        "source_root": ctx.source_root,
        "source_path": item["source_path"],
        "event": event,
        "article_id": live_article,
        "version": version,
        "documents": documents,
        "file_size": size,
        "file_mtime_ns": mtime_ns,
        "raw_sha256": raw_sha,
        "reject_reason": reason,
        "event_at": ctx.ingested_at,
    }


def _utc(mtime_ns: int | None) -> datetime | None:
    return None if mtime_ns is None else datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC)
