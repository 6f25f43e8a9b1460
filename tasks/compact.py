"""Merge a staged run's per-batch parts into one file per table before it is committed.

Each batch writes one small part per table (2,000 rows by default), so a 1M-article run
staged 500 `articles` parts, and DuckDB opens every file and plans its row groups again in
every query: at 1M rows that was most of a dashboard query's time. The run is merged while
it is still staged, where nobody reads it and the commit stays a single rename; readers
then see one file per table per run, in row groups of a bounded size.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from wirehouse.tasks.batch import STAGED_TABLES, batch_parts
from wirehouse.warehouse.schemas import TABLES
from wirehouse.warehouse.storage import write_parquet_groups

# Arrow bytes per row group: ~8,000 articles. Bounds the memory the merge needs, and
# leaves enough row groups for DuckDB to scan a large run on every core.
ROW_GROUP_BYTES = 64 * 2**20
MERGED_SUFFIX = "run"  # `<table>-run.parquet`, like the run's links and dates


@dataclass(frozen=True, slots=True)
class CompactSummary:
    parts: int  # per-batch parts merged
    files: int  # files written in their place
    rows: int
    seconds: float


def compact_staged(
    staging: Path, tables: Iterable[str] = STAGED_TABLES, row_group_bytes: int = ROW_GROUP_BYTES
) -> CompactSummary:
    """Replace each table's per-batch parts (`<table>-b*.parquet`) in `staging` by one file.

    The merged file appears whole (atomic write) before any part is deleted; if the
    deletions were cut short, a second call only finishes them: the parts left are in
    the merged file already. (The commit refuses a table with both, see tasks/commit.py.)
    """
    started = time.perf_counter()
    parts_merged = files = rows = 0
    for table in tables:
        parts = batch_parts(staging, table)
        merged = merged_file(staging, table)
        if not merged.exists():
            if len(parts) < 2:
                continue
            write_parquet_groups(_row_groups(parts, row_group_bytes), TABLES[table], merged)
            rows += pq.ParquetFile(merged).metadata.num_rows
            files += 1
        for part in parts:
            part.unlink()
        parts_merged += len(parts)
    return CompactSummary(parts_merged, files, rows, time.perf_counter() - started)


def merged_file(staging: Path, table: str) -> Path:
    return staging / f"{table}-{MERGED_SUFFIX}.parquet"


def _row_groups(parts: list[Path], budget: int) -> Iterator[pa.Table]:
    """The parts' rows in order, in tables of about `budget` Arrow bytes."""
    pending: list[pa.Table] = []
    size = 0
    for part in parts:
        table = pq.read_table(part)
        pending.append(table)
        size += table.nbytes
        if size >= budget:
            yield pa.concat_tables(pending)
            pending, size = [], 0
    if pending:
        yield pa.concat_tables(pending)
