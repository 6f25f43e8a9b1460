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
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath
from typing import Any

import pyarrow.parquet as pq
from wirehouse.tasks.article import EnrichOptions, FileVersion, build_document, tombstone
from wirehouse.tasks.errors import TRANSIENT_REASONS, RejectError
from wirehouse.tasks.objects import url_reader
from wirehouse.tasks.plan import BatchRef
from wirehouse.tasks.quotes import extract_quotes
from wirehouse.tasks.readers import (
    SNIFF_BYTES,
    STREAMING,
    Document,
    Item,
    ReadOptions,
    RecordReject,
    Skipped,
    choose_reader,
    in_shard,
    read_documents,
    reader_named,
)
from wirehouse.tasks.sources import Registry, load_registry
from wirehouse.tasks.stories import story_features
from wirehouse.warehouse.locations import is_url
from wirehouse.warehouse.rows import (
    ArticleRow,
    FeatureRow,
    FileEventRow,
    QuoteRow,
    RejectRow,
    to_table,
)
from wirehouse.warehouse.schemas import TABLES
from wirehouse.warehouse.storage import crash_point, parquet_writer, write_parquet, writing

# Reads one file by its relative path: (bytes, size, mtime_ns); raises RejectError.
Reader = Callable[[bytes], tuple[bytes, int, int | None]]

FLUSH_ROWS = 500  # rows of a table a batch holds before writing them out as a row group
READ_CHUNK = 1 << 20  # read_file: what each read asks for once the stated size is read


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
class PlannedFile:
    """One row of the plan's work file (`tasks/plan.py`), and what the batch learns of
    the file's documents before reading it."""

    source_path: str
    ordinal: int | None
    path_bytes: bytes | None
    file_size: int | None
    file_mtime_ns: int | None
    problem: str | None  # why discovery refused the file, if it did
    problem_message: str | None
    prev_event: str | None  # the manifest's last event for the file, and what it recorded
    prev_version: int | None
    prev_article_id: str | None
    prev_reject_reason: str | None
    prev_raw_sha256: str | None
    action: str  # new | check | retry | reprocess | reject
    shard: int = 0  # which shard of the file this reading is (plan.py), of how many
    shards: int = 1
    # The file's documents of earlier runs (_known_documents): the live ones,
    # key -> (version, content sha), every key's highest version, and how many are live.
    known: dict[str, tuple[int, str]] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    live_before: int = 0
    live: int = 0  # documents live after this reading (a shard's own)
    held_event: FileEventRow | None = None  # a sharded file's event, for finish_shards


@dataclass(slots=True)
class Staged:
    """The rows of each staged table a batch holds until it writes them out."""

    articles: list[ArticleRow] = field(default_factory=list)
    file_events: list[FileEventRow] = field(default_factory=list)
    rejects: list[RejectRow] = field(default_factory=list)
    quotes: list[QuoteRow] = field(default_factory=list)
    article_features: list[FeatureRow] = field(default_factory=list)


# Tables a batch stages parts of; the rest are written when the run commits.
STAGED_TABLES = tuple(f.name for f in fields(Staged))


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
    # A file read in shards (plan.py): its first shard's file event waits here for the
    # live documents of every shard (`finish_shards` writes it).
    held_events: list[FileEventRow] = field(default_factory=list)
    shard_live: Counter[str] = field(default_factory=Counter)  # source path -> live docs

    def outcomes(self) -> int:
        return sum(self.counts.values())


def process_batch(ref: BatchRef, ctx: BatchContext) -> BatchResult:
    """Read, enrich and stage every file of one batch (one row group of the work file)."""
    started = time.perf_counter()
    work = pq.ParquetFile(ref.work_file).read_row_group(ref.row_group).to_pylist()
    planned = [PlannedFile(**row) for row in work]
    registry = load_registry(Path(ctx.outlets_file) if ctx.outlets_file else None)
    # A file's later shards are not outcomes of their own: its first shard accounts for it.
    result = BatchResult(index=ref.index, planned=sum(map(_primary, planned)))
    tables = Staged()
    read = _reader(ctx)
    known = _known_documents(ctx.documents_file, planned)
    # Errors reading a file are that file's reject; an OSError getting here is a write's.
    with writing(Path(ctx.staging_dir)), ExitStack() as files:
        parts = _Parts(Path(ctx.staging_dir), ref.index, files)
        for item in planned:
            if item.source_path in known:
                item.known, item.versions, item.live_before = known[item.source_path]
            outcome = _process_file(
                item,
                read,
                ctx,
                registry,
                tables,
                result.documents,
                lambda: parts.write(tables, at_least=FLUSH_ROWS),
            )
            if item.shards > 1:
                result.shard_live[item.source_path] += item.live
                if item.held_event is not None:
                    result.held_events.append(item.held_event)
            if not _primary(item):
                continue
            result.counts[outcome] += 1
            result.bytes_read += item.file_size or 0
            if outcome == "rejected":
                reject = tables.rejects[-1]
                result.rejects.append((reject.source_path, reject.reason, reject.message))
            parts.write(tables, at_least=FLUSH_ROWS)
            crash_point("file-processed")
        parts.write(tables, at_least=1)
    result.parts = parts.paths
    result.seconds = time.perf_counter() - started
    result.pid = os.getpid()
    return result


def finish_shards(results: list[BatchResult], staging_dir: str, index: int) -> None:
    """The file event of each file read in shards, with the live documents of all its
    shards, as the part of batch `index` (after the last batch's)."""
    held = [event for result in results for event in result.held_events]
    if not held:
        return
    live: Counter[str] = Counter()
    for result in results:
        live.update(result.shard_live)
    rows = [replace(event, documents=live[event.source_path]) for event in held]
    path = batch_part(Path(staging_dir), "file_events", index)
    write_parquet(to_table(rows, "file_events"), path)


def _primary(item: PlannedFile) -> bool:
    """The file's only reading, or the first shard of one read in shards: the one that
    writes its file event or reject and counts its outcome."""
    return item.shard == 0


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

    def write(self, tables: Staged, at_least: int) -> None:
        """Write, as a row group, and forget the rows of each table that has `at_least`."""
        for name in STAGED_TABLES:
            rows = getattr(tables, name)
            if rows and len(rows) >= at_least:
                self._writer(name).write_table(to_table(rows, name))
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
    item: PlannedFile,
    read: Reader,
    ctx: BatchContext,
    registry: Registry,
    tables: Staged,
    documents: Counter[str],
    flush: Callable[[], None] = lambda: None,
) -> str:
    """Handle one planned file; return its outcome: new|changed|reprocessed|unchanged|rejected.

    `flush` writes out the rows held so far (a large container's documents do not all
    wait in memory for the end of the file)."""
    raw: bytes | None = None
    size, mtime_ns = item.file_size, item.file_mtime_ns
    try:
        if item.action == "reject":
            raise RejectError(item.problem, item.problem_message)
        streamed = _stream(item, ctx)
        if streamed is not None:  # a large container, read a record at a time from disk
            return _process_stream(item, streamed, ctx, registry, tables, documents, flush)
        if not _primary(item):  # not a container after all: the first shard reads it whole
            return "shard"
        raw, size, mtime_ns = read(item.path_bytes)
        raw_sha = hashlib.sha256(raw).hexdigest()
        if _touched(item, ctx, tables, size, mtime_ns, raw_sha):
            return "unchanged"
        origin = _next_version(item, ctx, size, mtime_ns, raw_sha)
        found = list(_read_documents(raw, item.source_path, ctx))
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
    _stage_article(row, ctx, tables)
    documents["new" if event == "new" else "changed"] += 1
    for key, (doc_version, _sha) in item.known.items():  # it was a file of many
        _bury(item, ctx, tables, key, doc_version + 1, "deleted")
        documents["deleted"] += 1
    tables.file_events.append(
        _event(item, ctx, event, size, mtime_ns, raw_sha, row.article_id, origin.version)
    )
    return event


def _was_live(item: PlannedFile) -> bool:
    """The file had a live article, or live documents, before this run."""
    return item.prev_article_id is not None or item.live_before > 0


def _touched(
    item: PlannedFile,
    ctx: BatchContext,
    tables: Staged,
    size: int | None,
    mtime_ns: int | None,
    raw_sha: str,
) -> bool:
    """Same bytes as the live version and not forced: only the new mtime is recorded."""
    if not _was_live(item) or raw_sha != item.prev_raw_sha256 or item.action == "reprocess":
        return False
    if not _primary(item):
        return True
    tables.file_events.append(
        _event(
            item,
            ctx,
            "touched",
            size,
            mtime_ns,
            raw_sha,
            item.prev_article_id,
            item.prev_version,
            documents=item.live_before or None,
        )
    )
    return True


def _next_version(
    item: PlannedFile, ctx: BatchContext, size: int, mtime_ns: int | None, raw_sha: str
) -> FileVersion:
    """The file version this run's reading of the file becomes."""
    version = (item.prev_version or 0) + 1
    return FileVersion(ctx.source_root, item.source_path, version, size, _utc(mtime_ns), raw_sha)


def _event_kind(item: PlannedFile, raw_sha: str) -> str:
    if not _was_live(item):
        return "new"
    return "reprocessed" if raw_sha == item.prev_raw_sha256 else "changed"


def _file_of_many(
    found: Iterable[Item],
    item: PlannedFile,
    origin: FileVersion,
    mtime_ns: int | None,
    ctx: BatchContext,
    registry: Registry,
    tables: Staged,
    documents: Counter[str],
    flush: Callable[[], None],
) -> str:
    """A file of many documents: its documents, then its file event (returned). A file
    read in shards leaves its live count and its event in `item` for `finish_shards`."""
    event = _event_kind(item, origin.raw_sha256)
    if item.prev_article_id is not None and _primary(item):  # it was one article: gone
        _bury(item, ctx, tables, None, origin.version, "deleted")
        documents["deleted"] += 1
    live = _process_documents(found, item, origin, ctx, registry, tables, documents, flush)
    row = _event(
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
    if item.shards == 1:
        tables.file_events.append(row)
    else:
        item.live = live
        if _primary(item):
            item.held_event = row
    return event


@dataclass(frozen=True, slots=True)
class _Streamed:
    path: bytes
    reader: str
    size: int
    mtime_ns: int
    raw_sha: str


def _stream(item: PlannedFile, ctx: BatchContext) -> _Streamed | None:
    """A local file whose reader streams (JSON Lines, CSV, WARC, archives), over
    max_file_bytes or read in shards (tasks/plan.py): hashed a chunk at a time, then read
    record by record instead of whole. None for every other file (read whole as before,
    or refused as too large)."""
    size = item.file_size or 0
    if is_url(ctx.source_root) or item.action == "reject":
        return None
    if size <= ctx.max_file_bytes and item.shards == 1:
        return None
    path = os.path.join(os.fsencode(ctx.source_root), item.path_bytes)
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
            forced = _forced_format(item.source_path, ctx)
            reader = forced or choose_reader(head, PurePosixPath(item.source_path).name).name
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
    item: PlannedFile,
    streamed: _Streamed,
    ctx: BatchContext,
    registry: Registry,
    tables: Staged,
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
    options = replace(ctx.reading(), shard=(item.shard, item.shards))
    name = PurePosixPath(item.source_path).name
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


def _is_one_article(found: list[Item], item: PlannedFile) -> bool:
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
    item: PlannedFile,
    origin: FileVersion,
    ctx: BatchContext,
    registry: Registry,
    tables: Staged,
    documents: Counter[str],
    flush: Callable[[], None] = lambda: None,
) -> int:
    """The documents of a file of many: a new version for each new or changed one, nothing
    for one whose content is unchanged, a tombstone for each one gone from the file; a
    reject row per record that could not be read. Returns how many are live."""
    known: dict[str, tuple[int, str]] = item.known
    shard = (item.shard, item.shards)
    seen: set[str] = set()
    live = 0
    for found_item in found:
        if isinstance(found_item, Skipped):
            continue
        key = found_item.record_key
        if key is None and isinstance(found_item, Document):
            key = _content_key(found_item)
        if not in_shard(key, shard):  # another shard of the file takes it
            continue
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
        version = item.versions.get(key, 0) + 1  # above any tombstone it had
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
        if previous and previous[1] == row.content_sha256 and item.action != "reprocess":
            documents["unchanged"] += 1
            continue
        documents["changed" if previous else "new"] += 1
        _stage_article(row, ctx, tables)
        flush()
    for key, (version, _sha) in known.items():
        if key not in seen and in_shard(key, shard):
            _bury(item, ctx, tables, key, version + 1, "deleted")
            documents["deleted"] += 1
    return live


def _content_key(doc: Document) -> str:
    """A record key for a document its reader could not name: a hash of its content."""
    content = doc.text if doc.text is not None else (doc.raw or b"").decode("utf-8", "replace")
    return "sha256:" + hashlib.sha256(content.encode()).hexdigest()[:16]


def _bury(
    item: PlannedFile,
    ctx: BatchContext,
    tables: Staged,
    key: str | None,
    version: int,
    kind: str,
) -> None:
    """A tombstone: document `key` of the file (None: the file's one article) is gone."""
    tables.articles.append(
        tombstone(
            kind,
            ctx.source_root,
            item.source_path,
            version,
            ctx.ingested_at,
            ctx.run_id,
            record_key=key,
        )
    )


def _record_reject(
    item: PlannedFile,
    ctx: BatchContext,
    tables: Staged,
    rejected: RecordReject,
) -> None:
    tables.rejects.append(
        _reject_row(
            item,
            ctx,
            rejected.reason,
            "RecordReject",
            rejected.message,
            item.file_size,
            None,
            record_key=rejected.record_key,
        )
    )


def _reject_row(
    item: PlannedFile,
    ctx: BatchContext,
    reason: str,
    error_type: str,
    message: str,
    size: int | None,
    raw_sha: str | None,
    *,
    record_key: str | None = None,
) -> RejectRow:
    return RejectRow(
        run_id=ctx.run_id,
        source_root=ctx.source_root,
        source_path=item.source_path,
        record_key=record_key,
        reason=reason,
        error_type=error_type,
        message=message,
        file_size=size,
        raw_sha256=raw_sha,
        rejected_at=ctx.ingested_at,
    )


def _known_documents(
    documents_file: str | None, planned: list[PlannedFile]
) -> dict[str, tuple[dict[str, tuple[int, str]], dict[str, int], int]]:
    """This batch's container files' documents: path -> (the live ones: key -> (version,
    content sha), every one ever written: key -> its highest version, and how many are
    live). A later shard of a file keeps only its own keys; the first keeps all (it
    buries them all if the file is rejected)."""
    paths = [item.source_path for item in planned]
    if not documents_file or not paths:
        return {}
    shards = {item.source_path: (item.shard, item.shards) for item in planned}
    table = pq.read_table(documents_file, filters=[("source_path", "in", paths)])
    known: dict[str, tuple[dict[str, tuple[int, str]], dict[str, int], int]] = {}
    columns = ("source_path", "record_key", "version", "content_sha256", "live")
    rows = zip(*(table.column(name).to_pylist() for name in columns), strict=True)
    for path, key, version, sha, is_live in rows:  # columns: no dict per document
        live, versions, count = known.get(path) or ({}, {}, 0)
        known[path] = (live, versions, count + is_live)
        shard = shards[path]
        if shard[0] > 0 and not in_shard(key, shard):
            continue
        versions[key] = version
        if is_live:
            live[key] = (version, sha)
    return known


def _where(exc: Exception) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1]
    return f"{exc!r} at {Path(where.filename).name}:{where.lineno}"


def _stage_article(row: ArticleRow, ctx: BatchContext, tables: Staged) -> None:
    """A new article version, stamped with the run, with its quotes and the signature
    that story matching compares."""
    row.ingested_at, row.run_id = ctx.ingested_at, ctx.run_id
    tables.articles.append(row)
    features = story_features(row.title, row.body or "")
    tables.article_features.append(
        FeatureRow(
            article_id=row.article_id,
            signature=features.signature,
            weekday=features.weekday,
            run_id=ctx.run_id,
        )
    )
    tables.quotes += [
        QuoteRow(
            article_id=row.article_id,
            quote=quote.text,
            speaker=quote.speaker,
            start_char=quote.start,
            end_char=quote.end,
            word_count=len(quote.text.split()),
            quote_hash=quote.quote_hash,
            run_id=ctx.run_id,
        )
        for quote in extract_quotes(row.body or "")
    ]


def _read_all(fd: int, size: int, limit: int) -> bytes:
    """Up to `limit` bytes of an open file: one read of the size fstat gave, plus one byte
    to see a file that grew since, then on to its end.

    Not `BufferedReader.read(limit)`: that allocates `limit` bytes (max_file_bytes, 50 MB)
    for every file before reading it, which cost more than reading a news file."""
    parts = []
    total = 0
    request = min(size + 1, limit)
    while total < limit:
        chunk = os.read(fd, min(request, limit - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
        request = READ_CHUNK
    return parts[0] if len(parts) == 1 else b"".join(parts)


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
        raw = _read_all(fd, st.st_size, max_bytes + 1)
    except OSError as exc:
        raise RejectError("io_error", f"read failed: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(raw) > max_bytes:
        raise RejectError("too_large", f"grew past {max_bytes:,} bytes while being read")
    return raw, len(raw), st.st_mtime_ns


def _reject(
    item: PlannedFile,
    ctx: BatchContext,
    tables: Staged,
    reason: str,
    error_type: str,
    message: str,
    size: int | None,
    mtime_ns: int | None,
    raw: bytes | None,
    documents: Counter[str],
) -> str:
    if not _primary(item):  # the file's first shard rejects it
        return "shard"
    raw_sha = hashlib.sha256(raw).hexdigest() if raw is not None else None
    tables.rejects.append(_reject_row(item, ctx, reason, error_type, message, size, raw_sha))
    # A live article whose file is only temporarily unreadable stays live: the manifest
    # keeps its last good state and the next run tries again.
    known = item.known
    was_live = _was_live(item)
    if reason in TRANSIENT_REASONS and was_live:
        return "rejected"
    if not known:  # a one-article file is one rejected document
        documents["rejected"] += 1
    # A file that had an article and is now unusable gets a tombstone: its last version
    # is no longer current. The tombstone takes the next version number.
    version = item.prev_version + 1 if was_live else item.prev_version
    tables.file_events.append(
        _event(item, ctx, "rejected", size, mtime_ns, raw_sha, None, version, reason)
    )
    if item.prev_article_id is not None:
        tables.articles.append(
            tombstone(
                "rejected",
                ctx.source_root,
                item.source_path,
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
    item: PlannedFile,
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
) -> FileEventRow:
    return FileEventRow(
        run_id=ctx.run_id,
        source_root=ctx.source_root,
        source_path=item.source_path,
        event=event,
        article_id=live_article,
        version=version,
        documents=documents,
        file_size=size,
        file_mtime_ns=mtime_ns,
        raw_sha256=raw_sha,
        reject_reason=reason,
        event_at=ctx.ingested_at,
    )


def _utc(mtime_ns: int | None) -> datetime | None:
    return None if mtime_ns is None else datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC)
