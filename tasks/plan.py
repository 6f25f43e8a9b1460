"""Plan a run: compare what was discovered with the warehouse manifest, cut work batches.

Unchanged files are decided here from `stat` alone (size and mtime as recorded), so a
re-ingest of an unchanged corpus reads no file. Files that need reading are written to a
work file whose row groups are the batches: a batch task gets only (file, row group).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from wirehouse.tasks.errors import TRANSIENT_REASONS
from wirehouse.warehouse.locations import is_url
from wirehouse.warehouse.storage import Warehouse, writing

# What a run does with each discovered (or vanished) file.
READ_ACTIONS = ("new", "check", "retry", "reprocess", "reject")
MIN_BATCH = 50  # below this, splitting work across workers costs more than it saves
PLAN_MEMORY = "256MB"  # DuckDB memory for classifying files against the manifest
# Below this a file is never read in shards: its batch is short anyway (~1 s of work).
SHARD_MIN_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class BatchRef:
    """A batch descriptor: which row group of which work file. Small and picklable."""

    work_file: str
    row_group: int
    rows: int
    index: int
    of: int


@dataclass(frozen=True, slots=True)
class Plan:
    discovered: int
    unchanged: int
    to_read: int
    deleted_file: str | None  # Parquet of manifest rows whose files are gone
    deleted: int
    batches: tuple[BatchRef, ...]  # a large container's shards first, then the rest
    # Parquet of the live documents of files of many documents that this run reads again,
    # rejects or finds deleted: (source_path, record_key, version, content_sha256).
    documents_file: str | None = None


def shard_threshold(stream_bytes: int, read_bytes: int, workers: int) -> int:
    """Files larger than this are read in shards, one per worker: every file the batch
    step streams (over `stream_bytes`, max_file_bytes), and a smaller one that holds
    more than half a worker's share of the bytes the run reads (say a 5 MB WARC of 2,000
    pages read alone, which one worker would otherwise read while the other idles), if
    it is over SHARD_MIN_BYTES. Such a file is streamed too (tasks/batch.py), so that each
    shard skips the costly part of the records it does not take."""
    return min(stream_bytes, max(SHARD_MIN_BYTES, read_bytes // (2 * max(1, workers))))


def batch_rows(to_read: int, batch_size: int, workers: int) -> int:
    """Rows per batch: at most batch_size, in a multiple of `workers` batches of equal size.

    Equal rounds keep every worker busy to the end: 10,000 files in 5 batches of 2,000 on
    2 workers would leave one idle for the whole last round; 6 of 1,667 do not.
    """
    if to_read == 0:
        return batch_size
    rounds = math.ceil(to_read / (batch_size * workers))
    even = math.ceil(to_read / (rounds * workers))
    return max(1, min(batch_size, max(MIN_BATCH, even)))


def plan_run(
    discovery_file: Path,
    wh: Warehouse,
    source_root: str,
    scratch: Path,
    *,
    force: bool,
    batch_size: int,
    workers: int,
    shard_bytes: int | None = None,
) -> Plan:
    """Classify every file against the manifest and write the work and deletion files.

    A local file over `shard_bytes` (max_file_bytes: a container the batch step streams),
    or one large beside the rest of the run (`shard_threshold`), is read by `workers`
    batches of its own, one shard of its records each (see
    `tasks.readers.base.in_shard`), so one huge dump still uses every core; they come
    first, being the longest. Its other shards find nothing to do if it is not a
    container after all. `shard_bytes` None: no file is read in shards."""
    # Imported here: batch workers import this module for BatchRef and need no DuckDB.
    import duckdb
    from wirehouse.warehouse.catalog import create_views

    # Bounded memory: at a million files the classification spills to scratch, not RAM.
    con = duckdb.connect(config={"memory_limit": PLAN_MEMORY, "temp_directory": str(scratch)})
    try:
        create_views(con, wh)
        con.execute(
            _CLASSIFY, [str(discovery_file), source_root, force, list(TRANSIENT_REASONS)]
        ).fetchall()
        counts = dict(
            con.execute("SELECT action, count(*) FROM classified GROUP BY action").fetchall()
        )
        discovered = con.execute(
            "SELECT count(*) FROM read_parquet(?)", [str(discovery_file)]
        ).fetchall()[0][0]
        to_read = sum(counts.get(a, 0) for a in READ_ACTIONS)
        shards = workers if shard_bytes is not None and workers > 1 else 1
        if is_url(source_root):
            shards = 1  # object-store files are read whole (or refused), never streamed
        threshold = 0
        if shards > 1:
            ((read_bytes,),) = con.execute(
                "SELECT coalesce(sum(file_size), 0) FROM classified "
                "WHERE list_contains(?, action) AND action <> 'reject'",
                [list(READ_ACTIONS)],
            ).fetchall()
            threshold = shard_threshold(int(shard_bytes or 0), int(read_bytes), workers)
        sharded = f"(file_size > {threshold} AND action <> 'reject' AND {shards} > 1)"
        shard_file = scratch / "shards.parquet"
        n_shards = _write_grouped(
            con.sql(
                f"SELECT *, unnest(range({shards})) AS shard, {shards} AS shards "
                f"FROM classified WHERE list_contains(?, action) AND {sharded} "
                "ORDER BY ordinal, shard",
                params=[list(READ_ACTIONS)],
            ).to_arrow_reader(1),
            shard_file,
            1,
        )
        rows = batch_rows(to_read - n_shards // shards, batch_size, workers)
        work_file = scratch / "work.parquet"
        n_groups = _write_grouped(
            con.sql(
                "SELECT *, 0 AS shard, 1 AS shards FROM classified "
                f"WHERE list_contains(?, action) AND NOT {sharded} ORDER BY ordinal",
                params=[list(READ_ACTIONS)],
            ).to_arrow_reader(rows),
            work_file,
            rows,
        )
        documents_file = _write_documents(con, scratch / "documents.parquet", source_root, wh)
        deleted = counts.get("delete", 0)
        deleted_file = None
        if deleted:
            deleted_file = scratch / "deleted.parquet"
            con.execute(
                f"COPY (SELECT * FROM classified WHERE action = 'delete' ORDER BY source_path) "
                f"TO '{_quote(deleted_file)}' (FORMAT parquet)"
            ).fetchall()
    finally:
        con.close()
    groups = [(shard_file, i, 1) for i in range(n_shards)]
    if n_groups:
        groups += [(work_file, i, size) for i, size in enumerate(_row_group_sizes(work_file))]
    batches = tuple(
        BatchRef(str(file), group, size, index, len(groups))
        for index, (file, group, size) in enumerate(groups, start=1)
    )
    return Plan(
        discovered=discovered,
        unchanged=counts.get("unchanged", 0),
        to_read=to_read,
        deleted_file=str(deleted_file) if deleted_file else None,
        deleted=deleted,
        batches=batches,
        documents_file=documents_file,
    )


def _write_documents(con: object, path: Path, source_root: str, wh: Warehouse) -> str | None:
    """Every document, by record key, of the container files this run reads or finds
    gone: its highest version of any kind (a document that comes back after a tombstone
    must outrank it), and whether that row is live with which content; so a batch can tell
    a document that did not change from one that did, is gone, or comes back."""
    from wirehouse.warehouse.catalog import parts_sql

    columns = {row[0] for row in con.execute("DESCRIBE articles").fetchall()}
    if "record_key" not in columns:  # a warehouse from before files of many documents
        return None
    con.execute(
        f"""
        COPY (
            SELECT a.source_path, a.record_key, max(a.version) AS version,
                   arg_max(a.content_sha256, a.version) AS content_sha256,
                   arg_max(a.row_kind, a.version) = 'article' AS live
            FROM {parts_sql(wh, "articles")} AS a
            SEMI JOIN classified AS c ON c.source_path = a.source_path
                AND c.action IN ('new', 'check', 'retry', 'reprocess', 'reject', 'delete')
            WHERE a.source_root = '{_quote_text(source_root)}' AND a.record_key IS NOT NULL
            GROUP BY a.source_path, a.record_key
            ORDER BY a.source_path, a.record_key)
        TO '{_quote(path)}' (FORMAT parquet)"""
    ).fetchall()
    return str(path)


_CLASSIFY = """
CREATE TEMP TABLE classified AS
WITH d AS (SELECT * FROM read_parquet($1)),
     m AS (SELECT * FROM manifest WHERE source_root = $2)
SELECT
    coalesce(d.source_path, m.source_path) AS source_path,
    d.ordinal, d.path_bytes, d.file_size, d.file_mtime_ns, d.problem, d.problem_message,
    m.event AS prev_event, m.version AS prev_version, m.article_id AS prev_article_id,
    m.raw_sha256 AS prev_raw_sha256, m.reject_reason AS prev_reject_reason,
    CASE
        WHEN d.source_path IS NULL AND m.event = 'deleted' THEN 'gone'
        WHEN d.source_path IS NULL THEN 'delete'
        WHEN d.problem IS NOT NULL AND m.event = 'rejected' AND m.reject_reason = d.problem
            THEN 'unchanged'
        WHEN d.problem IS NOT NULL THEN 'reject'
        WHEN m.source_path IS NULL OR m.event = 'deleted' THEN 'new'
        WHEN $3 THEN 'reprocess'
        WHEN m.event = 'rejected' AND list_contains($4, m.reject_reason) THEN 'retry'
        WHEN d.file_size = m.file_size AND d.file_mtime_ns = m.file_mtime_ns THEN 'unchanged'
        ELSE 'check'
    END AS action
FROM d FULL OUTER JOIN m ON d.source_path = m.source_path
"""


def _write_grouped(reader: pa.RecordBatchReader, path: Path, rows: int) -> int:
    """Write the reader's rows as row groups of exactly `rows` rows; return the group count."""
    groups = 0
    pending: list[pa.RecordBatch] = []
    pending_rows = 0
    with writing(path), pq.ParquetWriter(path, reader.schema) as writer:
        for batch in reader:
            pending.append(batch)
            pending_rows += batch.num_rows
            while pending_rows >= rows:
                table = pa.Table.from_batches(pending)
                writer.write_table(table.slice(0, rows), row_group_size=rows)
                rest = table.slice(rows)
                pending, pending_rows = rest.to_batches(), rest.num_rows
                groups += 1
        if pending_rows:
            writer.write_table(pa.Table.from_batches(pending), row_group_size=rows)
            groups += 1
    return groups


def _row_group_sizes(path: Path) -> list[int]:
    meta = pq.ParquetFile(path).metadata
    return [meta.row_group(i).num_rows for i in range(meta.num_row_groups)]


def _quote(path: Path) -> str:
    return _quote_text(str(path))


def _quote_text(text: str) -> str:
    return text.replace("'", "''")
