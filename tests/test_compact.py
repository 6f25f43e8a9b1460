"""Merging a staged run's per-batch parts: same rows, same order, one file, bounded groups."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow.parquet as pq
import pytest
from wirehouse.tasks.commit import _check_merged
from wirehouse.tasks.compact import compact_staged
from wirehouse.tasks.errors import AccountingError
from wirehouse.warehouse.rows import RejectRow, to_table
from wirehouse.warehouse.storage import write_parquet


def _rejects(paths: list[str]) -> list[RejectRow]:
    now = datetime.now(UTC)
    return [
        RejectRow(
            run_id="r1",
            source_root="/r",
            source_path=path,
            reason="empty",
            error_type="RejectError",
            message="the file is empty " * 20,
            file_size=0,
            raw_sha256=None,
            rejected_at=now,
        )
        for path in paths
    ]


def _stage(staging, batches: int, per_batch: int) -> list[str]:
    paths = []
    for b in range(1, batches + 1):
        names = [f"b{b}/f{i}.txt" for i in range(per_batch)]
        write_parquet(to_table(_rejects(names), "rejects"), staging / f"rejects-b{b:06d}.parquet")
        paths += names
    return paths


def test_parts_merge_into_one_file_with_every_row_in_order(tmp_path):
    expected = _stage(tmp_path, batches=7, per_batch=30)
    part_bytes = to_table(_rejects(expected[:30]), "rejects").nbytes

    summary = compact_staged(tmp_path, tables=["rejects"], row_group_bytes=2 * part_bytes)

    assert [p.name for p in tmp_path.iterdir()] == ["rejects-run.parquet"]
    merged = pq.ParquetFile(tmp_path / "rejects-run.parquet")
    assert merged.read().column("source_path").to_pylist() == expected
    assert merged.schema_arrow.equals(to_table([], "rejects").schema)
    # two parts' worth of bytes per row group: 7 parts -> 4 groups, the last one short
    assert [merged.metadata.row_group(i).num_rows for i in range(4)] == [60, 60, 60, 30]
    assert (summary.parts, summary.files, summary.rows) == (7, 1, 210)


def test_a_single_part_is_left_as_it_is(tmp_path):
    _stage(tmp_path, batches=1, per_batch=3)
    summary = compact_staged(tmp_path, tables=["rejects", "articles"])
    assert [p.name for p in tmp_path.iterdir()] == ["rejects-b000001.parquet"]
    assert (summary.parts, summary.files) == (0, 0)


def test_a_merge_cut_short_is_finished_without_rows_twice(tmp_path):
    """Parts left after the merged file was written (the deletions were cut short) are in
    it already: a second call deletes them and rewrites nothing."""
    expected = _stage(tmp_path, batches=3, per_batch=5)
    compact_staged(tmp_path, tables=["rejects"])
    merged = tmp_path / "rejects-run.parquet"
    written = merged.stat().st_mtime_ns
    _stage(tmp_path, batches=2, per_batch=5)  # the first two parts, "not yet deleted"

    compact_staged(tmp_path, tables=["rejects"])

    assert [p.name for p in tmp_path.iterdir()] == ["rejects-run.parquet"]
    assert merged.stat().st_mtime_ns == written
    assert pq.read_table(merged).column("source_path").to_pylist() == expected


def test_the_commit_refuses_a_part_written_after_the_merge(tmp_path):
    _stage(tmp_path, batches=2, per_batch=5)
    compact_staged(tmp_path, tables=["rejects"])
    _check_merged(tmp_path)  # merged only: fine
    _stage(tmp_path, batches=1, per_batch=5)  # a batch that ran again, late
    with pytest.raises(AccountingError, match=r"rejects-b000001\.parquet appeared after"):
        _check_merged(tmp_path)
