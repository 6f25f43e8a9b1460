"""The `ingest` flow: discover -> plan -> batches -> link -> compact -> commit -> report."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.runtime import flow_run
from wirehouse.flows.runners import make_task_runner, worker_count
from wirehouse.tasks.article import EnrichOptions
from wirehouse.tasks.batch import BatchContext, BatchResult, finish_shards
from wirehouse.tasks.objects import check_source
from wirehouse.tasks.plan import Plan
from wirehouse.tasks.prefect_tasks import (
    commit_task,
    compact_task,
    discover_task,
    index_task,
    link_task,
    plan_task,
    process_batch_task,
    publish_task,
)
from wirehouse.tasks.readers import ReadOptions
from wirehouse.tasks.report import summary_markdown
from wirehouse.tasks.stages import mark
from wirehouse.tasks.workers import worker_processes
from wirehouse.warehouse.catalog import ensure_catalog
from wirehouse.warehouse.locations import is_url, local_path
from wirehouse.warehouse.remote import Published
from wirehouse.warehouse.storage import Warehouse, begin_run, writer_lock

from wirehouse.settings import IngestOptions, Settings, run_settings

DEFAULT_OPTIONS = IngestOptions()


@flow(
    name="ingest",
    description="Ingest a folder of raw news text files into the Wirehouse warehouse: "
    "decode, strip chrome, date, tag outlet and language, write Parquet.",
    validate_parameters=True,
)
def ingest(
    source_dir: str = "seeds",
    warehouse: str | None = None,
    force: bool = False,
    options: IngestOptions = DEFAULT_OPTIONS,
) -> dict[str, Any]:
    """Ingest a folder into the warehouse; unchanged files are skipped, rows never duplicate.

    Args:
        source_dir: Folder of raw article files, walked recursively, or an object-store
            URL such as s3://bucket/prefix.
        warehouse: Warehouse folder; default: the WIREHOUSE_WAREHOUSE setting or ./data.
        force: Reprocess unchanged files too (after an outlet registry change).
        options: Optional knobs: outlet overrides, file-name globs, batch size, limits.
    """
    settings = run_settings(Settings(), options, warehouse=warehouse, force=force or None)
    root = _source_root(source_dir, settings)
    wh = Warehouse.at(settings.warehouse)
    logger = get_run_logger()
    logger.info("taking the writer lock of %s", wh.root)
    with writer_lock(wh, None, settings.lock_timeout) as run_id:
        started_at = datetime.now(UTC)
        logger.info("run %s: %s -> %s", run_id, root, wh.root)
        ensure_catalog(wh)
        staging, scratch = begin_run(wh, run_id)
        discovery = scratch / "discovered.parquet"
        discover_task(root, settings.include, settings.exclude, discovery, settings.storage_options)
        # Threads share one core: reading a huge file in shards would only add work.
        shard_bytes = None if settings.runner == "thread" else settings.max_file_bytes
        plan = plan_task(
            discovery,
            wh,
            root,
            scratch,
            settings.force,
            settings.batch_size,
            settings.workers,
            shard_bytes,
        )
        context = _batch_context(settings, run_id, root, staging, started_at, plan.documents_file)
        with worker_processes(worker_count(settings, len(plan.batches))):
            results = _run_batches(plan, context, settings)
        finish_shards(results, context.staging_dir, len(plan.batches) + 1)
        mark(scratch, "batches")
        links = link_task(wh, staging, run_id, context.options.latest_date)
        compact_task(staging)  # after linking, which reads the per-batch parts
        summary = commit_task(
            wh,
            run_id,
            flow_run.id,
            root,
            _parameters(settings, root),
            started_at,
            plan,
            results,
            version("wirehouse"),
        )
        indexed = index_task(wh)  # after the commit; see warehouse/search.py
        shutil.rmtree(scratch, ignore_errors=True)
        if settings.publish_to:
            publish_task(wh, Published(settings.publish_to, settings.storage_options))
    create_markdown_artifact(
        key="ingest-summary",
        markdown=summary_markdown(summary, links, indexed),
        description=f"Counts of ingest run {run_id}",
    )
    return summary.as_dict()


def _run_batches(plan: Plan, context: BatchContext, settings: Settings) -> list[BatchResult]:
    """Fan batches out to the run's task runner; a single batch runs here, sparing worker
    start-up. The runner is made from this run's settings (a flow parameter, the Prefect
    UI's form included), not fixed when this module is imported."""
    if len(plan.batches) <= 1:
        return [process_batch_task(ref, context) for ref in plan.batches]
    with make_task_runner(settings) as runner:
        futures = [
            runner.submit(process_batch_task, {"ref": ref, "ctx": context}) for ref in plan.batches
        ]
        return [future.result() for future in futures]


def _source_root(source_dir: str, settings: Settings) -> str:
    """The absolute folder, or the object-store URL (s3://bucket/prefix), to ingest."""
    if is_url(source_dir):
        return check_source(source_dir, settings.storage_options)
    root = Path(local_path(source_dir)).expanduser().resolve()
    if not root.is_dir():
        raise FileNotFoundError(
            f"source folder {source_dir!r} ({root}) does not exist or is not a folder"
        )
    return str(root)


def _batch_context(
    settings: Settings,
    run_id: str,
    root: str,
    staging: Path,
    started_at: datetime,
    documents_file: str | None,
) -> BatchContext:
    options = EnrichOptions(
        latest_date=(started_at + timedelta(days=1)).date(),  # time zones ahead of UTC
        source_override=settings.source,
        folder_sources=tuple(sorted(settings.folder_sources.items())),
        language_seed=settings.language_seed,
        language_min_chars=settings.language_min_chars,
    )
    return BatchContext(
        run_id=run_id,
        source_root=root,
        staging_dir=str(staging),
        ingested_at=started_at,
        max_file_bytes=settings.max_file_bytes,
        options=options,
        outlets_file=str(settings.outlets_file) if settings.outlets_file else None,
        storage_options=settings.storage_options,
        read_options=ReadOptions(
            latest=options.latest_date,
            field_map=tuple(sorted(settings.fields.items())),
            max_document_bytes=settings.max_file_bytes,
            max_expanded_bytes=settings.max_expanded_bytes,
            max_members=settings.max_members,
            max_depth=settings.max_depth,
        ),
        formats=tuple(settings.formats.items()),
        documents_file=documents_file,
    )


def _parameters(settings: Settings, root: str) -> dict[str, Any]:
    """What the `runs` table records; storage option values may be secrets: keys only."""
    recorded = settings.model_dump(mode="json")
    recorded["storage_options"] = sorted(settings.storage_options)
    return {"source_dir": root} | recorded
