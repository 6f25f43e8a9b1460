"""Thin Prefect task wrappers around the pure step functions.

Prefect wraps stages over batches, never single files: a task run costs ~5 ms in the
client and ~24 ms of server CPU, so a million one-file tasks would cost hours. Inside a
batch the per-file steps (decode, layout, date, outlet, language) run as plain function
calls; moving article text between Prefect tasks would only serialize it for nothing.
Results are never cached or persisted: change detection is the warehouse manifest's job
(a path-keyed cache would return stale results after a file changes).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from wirehouse.tasks.batch import BatchContext, BatchResult, process_batch
from wirehouse.tasks.commit import RunSummary, finish_run
from wirehouse.tasks.compact import CompactSummary, compact_staged
from wirehouse.tasks.discover import write_discovery
from wirehouse.tasks.link import LinkSummary, link_run
from wirehouse.tasks.plan import BatchRef, Plan, plan_run
from wirehouse.tasks.stages import mark, require, scratch_of
from wirehouse.tasks.workers import in_worker
from wirehouse.warehouse.remote import Published, PublishSummary, publish
from wirehouse.warehouse.storage import Warehouse

_TASK_OPTIONS = {"cache_policy": NO_CACHE, "persist_result": False}


@task(name="discover", **_TASK_OPTIONS)
def discover_task(
    root: str,
    include: list[str],
    exclude: list[str],
    out: Path,
    storage_options: dict[str, Any] | None = None,
) -> int:
    count = write_discovery(root, include, exclude, out, storage_options)
    mark(out.parent, "discovered")
    get_run_logger().info("discovered %d files under %s", count, root)
    return count


@task(name="plan", **_TASK_OPTIONS)
def plan_task(
    discovery_file: Path,
    wh: Warehouse,
    source_root: str,
    scratch: Path,
    force: bool,
    batch_size: int,
    workers: int,
    shard_bytes: int | None = None,
) -> Plan:
    require(scratch, "discovered", by="plan")
    plan = plan_run(
        discovery_file,
        wh,
        source_root,
        scratch,
        force=force,
        batch_size=batch_size,
        workers=workers,
        shard_bytes=shard_bytes,
    )
    get_run_logger().info(
        "%d to read in %d batches, %d unchanged, %d gone since the last run",
        plan.to_read,
        len(plan.batches),
        plan.unchanged,
        plan.deleted,
    )
    mark(scratch, "planned")
    return plan


@task(name="process-batch", task_run_name="batch-{ref.index}-of-{ref.of}", **_TASK_OPTIONS)
def process_batch_task(ref: BatchRef, ctx: BatchContext) -> BatchResult:
    result = in_worker(process_batch, ref, ctx)
    get_run_logger().info(
        "batch %d/%d: %d files in %.1fs (%.0f files/s) %s in process %d",
        ref.index,
        ref.of,
        result.planned,
        result.seconds,
        result.planned / max(result.seconds, 1e-9),
        dict(result.counts),
        result.pid,
    )
    return result


@task(name="link-stories", **_TASK_OPTIONS)
def link_task(wh: Warehouse, staging: Path, run_id: str, latest: date) -> LinkSummary:
    require(scratch_of(staging), "batches", by="link-stories")
    links = link_run(wh, staging, run_id, latest)
    mark(scratch_of(staging), "linked")
    get_run_logger().info(
        "stories: %d articles linked, %d new stories, %d joined one, %d duplicates, "
        "%d dates inferred",
        links.articles,
        links.new_stories,
        links.joined_stories,
        links.duplicates,
        links.inferred_dates,
    )
    return links


@task(name="compact", **_TASK_OPTIONS)
def compact_task(staging: Path) -> CompactSummary:
    require(scratch_of(staging), "linked", by="compact")
    summary = compact_staged(staging)
    mark(scratch_of(staging), "compacted")
    get_run_logger().info(
        "merged %d batch parts into %d files (%d rows) in %.1fs",
        summary.parts,
        summary.files,
        summary.rows,
        summary.seconds,
    )
    return summary


@task(name="commit", **_TASK_OPTIONS)
def commit_task(
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
    require(scratch_of(wh.staging_dir(run_id)), "compacted", by="commit")
    summary = finish_run(
        wh, run_id, flow_run_id, source_root, parameters, started_at, plan, results, version
    )
    get_run_logger().info("committed run %s: %s", run_id, summary.counts())
    return summary


@task(name="publish", **_TASK_OPTIONS)
def publish_task(wh: Warehouse, target: Published) -> PublishSummary:
    summary = publish(wh, target)
    get_run_logger().info(
        "published %d new runs (%d files, %.1f MB) to %s",
        summary.runs_sent,
        summary.files_sent,
        summary.bytes_sent / 1e6,
        target.url,
    )
    return summary


@task(name="index", **_TASK_OPTIONS)
def index_task(wh: Warehouse) -> int | None:
    """After the commit: bring the search index up to it (warehouse/search.py). A failure
    is logged, not raised: the run is committed, and the next run rolls the index forward."""
    from wirehouse.warehouse.search import update_index

    try:
        s = update_index(wh)
    except Exception as exc:
        get_run_logger().error("search index not updated (the next run catches up): %s", exc)
        return None
    get_run_logger().info(
        "search index at run %s: %d documents (%d added, %d file keys removed, %d runs "
        "applied%s) in %.1fs",
        s.run_id,
        s.documents,
        s.added,
        s.deleted_keys,
        s.runs_applied,
        ", rebuilt" if s.rebuilt else "",
        s.seconds,
    )
    return s.documents
