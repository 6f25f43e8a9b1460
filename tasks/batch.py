"""Process one batch of planned files into staged `articles`, `file_events` and `rejects` parts.

Every planned file ends in exactly one outcome (ingested, touched or rejected); a bad file
never stops its batch. Parts are written atomically under the run's staging folder with
names derived from the batch index, so a retried batch overwrites rather than duplicates.
"""

from __future__ import annotations

import hashlib
import os
import stat
import time
import traceback
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from tasks.article import EnrichOptions, FileVersion, build_article, tombstone
from tasks.errors import TRANSIENT_REASONS, RejectError
from tasks.objects import url_reader
from tasks.plan import BatchRef
from tasks.quotes import extract_quotes
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


@dataclass(slots=True)
class BatchResult:
    """What a batch did: outcome counts, bytes read, and the parts it staged."""

    index: int
    planned: int
    counts: Counter[str] = field(default_factory=Counter)
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
    # Errors reading a file are that file's reject; an OSError getting here is a write's.
    with writing(Path(ctx.staging_dir)), ExitStack() as files:
        parts = _Parts(Path(ctx.staging_dir), ref.index, files)
        for item in planned:
            outcome = _process_file(item, read, ctx, registry, tables)
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
) -> str:
    """Handle one planned file; return its outcome: new|changed|reprocessed|unchanged|rejected."""
    raw: bytes | None = None
    size, mtime_ns = item["file_size"], item["file_mtime_ns"]
    try:
        if item["action"] == "reject":
            raise RejectError(item["problem"], item["problem_message"])
        raw, size, mtime_ns = read(item["path_bytes"])
        raw_sha = hashlib.sha256(raw).hexdigest()
        if (
            item["prev_article_id"]
            and raw_sha == item["prev_raw_sha256"]
            and (item["action"] != "reprocess")
        ):
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
                )
            )
            return "unchanged"
        version = (item["prev_version"] or 0) + 1
        origin = FileVersion(
            ctx.source_root, item["source_path"], version, size, _utc(mtime_ns), raw_sha
        )
        row = build_article(raw, origin, ctx.options, registry)
    except RejectError as exc:
        return _reject(
            item, ctx, tables, exc.reason, type(exc).__name__, exc.message, size, mtime_ns, raw
        )
    except Exception as exc:  # a bug must not sink the batch: record it and go on
        where = traceback.extract_tb(exc.__traceback__)[-1]
        message = f"{exc!r} at {Path(where.filename).name}:{where.lineno}"
        return _reject(
            item, ctx, tables, "internal_error", type(exc).__name__, message, size, mtime_ns, raw
        )
    if not item["prev_article_id"]:
        event = "new"
    elif raw_sha == item["prev_raw_sha256"]:
        event = "reprocessed"
    else:
        event = "changed"
    tables["articles"].append(row | {"ingested_at": ctx.ingested_at, "run_id": ctx.run_id})
    _add_story_inputs(row, ctx.run_id, tables)
    tables["file_events"].append(
        _event(item, ctx, event, size, mtime_ns, raw_sha, row["article_id"], version)
    )
    return event


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
    was_live = item["prev_article_id"] is not None
    if reason in TRANSIENT_REASONS and was_live:
        return "rejected"
    # A file that had an article and is now unusable gets a tombstone: its last version
    # is no longer current. The tombstone takes the next version number.
    version = item["prev_version"] + 1 if was_live else item["prev_version"]
    tables["file_events"].append(
        _event(item, ctx, "rejected", size, mtime_ns, raw_sha, None, version, reason)
    )
    if was_live:
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
) -> dict[str, Any]:
    return {
        "run_id": ctx.run_id,
        "source_root": ctx.source_root,
        "source_path": item["source_path"],
        "event": event,
        "article_id": live_article,
        "version": version,
        "file_size": size,
        "file_mtime_ns": mtime_ns,
        "raw_sha256": raw_sha,
        "reject_reason": reason,
        "event_at": ctx.ingested_at,
    }


def _utc(mtime_ns: int | None) -> datetime | None:
    return None if mtime_ns is None else datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC)
