"""Finish a run: record deletions, check that every file is accounted for, commit atomically."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from wirehouse.tasks.article import tombstone
from wirehouse.tasks.batch import STAGED_TABLES, BatchResult, batch_parts
from wirehouse.tasks.compact import merged_file
from wirehouse.tasks.errors import AccountingError
from wirehouse.tasks.plan import Plan
from wirehouse.warehouse.rows import FileEventRow, RunRow, to_table
from wirehouse.warehouse.storage import Warehouse, commit_run, write_parquet

OUTCOMES = ("new", "changed", "reprocessed", "unchanged", "rejected")
DOC_COUNTS = ("docs_new", "docs_changed", "docs_unchanged", "docs_deleted", "docs_rejected")
MAX_REPORTED_REJECTS = 20


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    flow_run_id: str | None
    warehouse: str
    source_root: str
    started_at: datetime
    finished_at: datetime
    discovered: int
    new: int
    changed: int
    reprocessed: int
    unchanged: int
    rejected: int
    deleted: int
    bytes_read: int
    rejects: tuple[tuple[str, str, str], ...]  # the first few: path, reason, message
    docs_new: int = 0
    docs_changed: int = 0
    docs_unchanged: int = 0
    docs_deleted: int = 0
    docs_rejected: int = 0
    batches: int = 0  # batch tasks the run ran
    processes: int = 0  # distinct processes they ran in (the task runner's workers)

    @property
    def ingested(self) -> int:
        return self.new + self.changed + self.reprocessed

    def counts(self) -> dict[str, int]:
        keys = ("discovered", *OUTCOMES, "deleted", "ingested", *DOC_COUNTS)
        return {k: getattr(self, k) for k in keys}

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self) | {"ingested": self.ingested}
        data["started_at"] = self.started_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat()
        data["rejects"] = [list(r) for r in self.rejects]
        return data


def finish_run(
    wh: Warehouse,
    run_id: str,
    flow_run_id: str | None,
    source_root: str,
    parameters: dict[str, Any],
    started_at: datetime,
    plan: Plan,
    results: list[BatchResult],
    version: str,
) -> RunSummary:
    """Stage deletions and the runs row, verify the accounting identity, then commit."""
    staging = wh.staging_dir(run_id)
    finished_at = datetime.now(UTC)
    deleted, buried = _stage_deletions(plan, staging, run_id, source_root, finished_at)
    outcomes = _tally(plan, results)
    documents: Counter[str] = Counter({"deleted": buried})
    for result in results:
        documents.update(result.documents)
    summary = RunSummary(
        run_id=run_id,
        flow_run_id=flow_run_id,
        warehouse=str(wh.root),
        source_root=source_root,
        started_at=started_at,
        finished_at=finished_at,
        discovered=plan.discovered,
        new=outcomes["new"],
        changed=outcomes["changed"],
        reprocessed=outcomes["reprocessed"],
        unchanged=outcomes["unchanged"],
        rejected=outcomes["rejected"],
        deleted=deleted,
        bytes_read=sum(r.bytes_read for r in results),
        rejects=tuple(rej for r in results for rej in r.rejects)[:MAX_REPORTED_REJECTS],
        **{f"docs_{k}": documents[k] for k in ("new", "changed", "unchanged", "deleted")},
        docs_rejected=documents["rejected"],
        batches=len(results),
        processes=len({r.pid for r in results}),
    )
    run_row = RunRow(
        **summary.counts(),
        run_id=run_id,
        flow_run_id=flow_run_id,
        source_root=source_root,
        parameters=json.dumps(parameters, sort_keys=True, default=str),
        started_at=started_at,
        finished_at=finished_at,
        wirehouse_version=version,
    )
    write_parquet(to_table([run_row], "runs"), staging / "runs-run.parquet")
    _check_merged(staging)
    commit_run(wh, run_id)
    return summary


def _check_merged(staging: Path) -> None:
    """A batch part next to its table's merged file was written after the merge (a batch
    that ran twice, on a distributed runner): its rows would count twice."""
    for table in STAGED_TABLES:
        late = [p.name for p in batch_parts(staging, table)]
        if late and merged_file(staging, table).exists():
            raise AccountingError(
                f"{', '.join(late)} appeared after the run's parts were merged; not "
                "committing this run"
            )


def _tally(plan: Plan, results: list[BatchResult]) -> Counter[str]:
    """Outcome counts, after checking discovered = new+changed+reprocessed+unchanged+rejected."""
    outcomes: Counter[str] = Counter({"unchanged": plan.unchanged})
    for result in results:
        if result.outcomes() != result.planned:
            raise AccountingError(
                f"batch {result.index} had {result.planned} files but {result.outcomes()} "
                "outcomes; not committing this run"
            )
        outcomes.update(result.counts)
    accounted = sum(outcomes[o] for o in OUTCOMES)
    if accounted != plan.discovered or set(outcomes) - set(OUTCOMES):
        raise AccountingError(
            f"discovered {plan.discovered} files but accounted for {accounted} "
            f"({dict(outcomes)}); not committing this run"
        )
    return outcomes


def _stage_deletions(
    plan: Plan, staging: Path, run_id: str, source_root: str, now: datetime
) -> tuple[int, int]:
    """A `deleted` event per vanished file, and a tombstone for each document that was
    live (one for a one-article file, one per document of a file of many); returns the
    files and the documents."""
    if not plan.deleted_file:
        return 0, 0
    gone = pq.read_table(
        plan.deleted_file, columns=["source_path", "prev_version", "prev_article_id"]
    ).to_pylist()
    for g in gone:  # a file that had an article gets a tombstone, with the next version
        g["live"] = g["prev_article_id"] is not None
        g["version"] = g["prev_version"] + 1 if g["live"] else g["prev_version"]
    events = [
        FileEventRow(
            run_id=run_id,
            source_root=source_root,
            source_path=g["source_path"],
            event="deleted",
            version=g["version"],
            event_at=now,
        )
        for g in gone
    ]
    tombstones = [
        tombstone("deleted", source_root, g["source_path"], g["version"], now, run_id)
        for g in gone
        if g["live"]
    ]
    if plan.documents_file:
        gone_paths = [g["source_path"] for g in gone]
        documents = pq.read_table(
            plan.documents_file, filters=[("source_path", "in", gone_paths)]
        ).to_pylist()
        tombstones += [
            tombstone(
                "deleted",
                source_root,
                d["source_path"],
                d["version"] + 1,
                now,
                run_id,
                record_key=d["record_key"],
            )
            for d in documents
        ]
    write_parquet(to_table(events, "file_events"), staging / "file_events-deleted.parquet")
    if tombstones:
        write_parquet(to_table(tombstones, "articles"), staging / "articles-deleted.parquet")
    return len(events), len(tombstones)
