"""A warehouse published to object storage (s3://bucket/prefix), and read from there.

The writer works on a local warehouse folder: it needs a lock and an atomic commit (one
folder rename), and object stores offer neither. Publishing copies each committed run's
folder to `<url>/commits/<run_id>/`, the run's `runs-*.parquet` part last; every object
appears whole (a PUT is atomic), so a run whose `runs` part is present is complete.
Readers build the same views as the local catalog over the complete runs only, so a
publish in progress is never half visible. Runs already published are not sent again:
publishing after every ingest (or on a schedule) is cheap and idempotent.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import duckdb
from wirehouse.warehouse.locations import open_store
from wirehouse.warehouse.storage import COMMITS, Warehouse, WarehouseError

# The part that marks a run complete: written last by both commit and publish.
_RUN_MARKER = "runs-"


@dataclass(frozen=True)
class Published:
    """A published warehouse: its URL and the fsspec options to reach it."""

    url: str
    storage_options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishSummary:
    url: str
    runs_sent: int
    runs_present: int
    files_sent: int
    bytes_sent: int


def publish(wh: Warehouse, target: Published) -> PublishSummary:
    """Copy the committed runs that `target` lacks; a run's `runs` part goes last."""
    if not wh.exists():
        raise WarehouseError(f"no warehouse at {wh.root} to publish: run an ingest first")
    try:
        fs, base = open_store(target.url, target.storage_options)
        present = complete_runs(fs, base)
        sent = files = size = 0
        for run_id in wh.committed_runs():
            # Parts the bucket lacks: a whole new run, or the empty parts an upgrade adds
            # to the init run of an older warehouse.
            there = set(present.get(run_id, ()))
            parts = [p for p in (wh.commits / run_id).glob("*.parquet") if p.name not in there]
            for part in sorted(parts, key=_marker_last):
                fs.put_file(str(part), f"{base}/{COMMITS}/{run_id}/{part.name}")
                files += 1
                size += part.stat().st_size
            sent += run_id not in present
    except WarehouseError:
        raise
    except Exception as exc:  # each backend has its own errors for auth, network, buckets
        raise WarehouseError(
            f"publishing to {target.url} failed: {type(exc).__name__}: {exc}. Runs sent "
            "before the failure are complete; run publish again to send the rest."
        ) from exc
    return PublishSummary(target.url, sent, len(present), files, size)


def complete_runs(fs: Any, base: str) -> dict[str, list[str]]:
    """Run id -> its part paths, for runs whose `runs` part (written last) is there."""
    try:
        paths = fs.find(f"{base}/{COMMITS}")
    except FileNotFoundError:
        return {}
    by_run: dict[str, list[str]] = defaultdict(list)
    for path in paths:
        run_id, name = posixpath.split(posixpath.relpath(path, f"{base}/{COMMITS}"))
        if name.endswith(".parquet") and "/" not in run_id:
            by_run[run_id].append(name)
    return {
        run_id: sorted(names)
        for run_id, names in sorted(by_run.items())
        if any(name.startswith(_RUN_MARKER) for name in names)
    }


@contextmanager
def connect_published(target: Published) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB connection with the warehouse views over the published runs.

    DuckDB reads the objects through the same fsspec file system (registered with
    `register_filesystem`), so no DuckDB extension or separate credentials are needed.
    """
    from wirehouse.warehouse.catalog import PHYSICAL_TABLES, create_views

    fs, base = open_store(target.url, target.storage_options)
    runs = complete_runs(fs, base)
    if not runs:
        raise WarehouseError(
            f"no published warehouse at {target.url}: run `wirehouse publish {target.url}` first"
        )
    protocol = fs.protocol[0] if isinstance(fs.protocol, tuple | list) else fs.protocol
    parts: dict[str, list[str]] = {table: [] for table in PHYSICAL_TABLES}
    for run_id, names in runs.items():
        for name in names:
            table = name.rsplit("-", 1)[0]
            if table in parts:
                parts[table].append(f"{protocol}://{base}/{COMMITS}/{run_id}/{name}")
    con = duckdb.connect()
    try:
        con.register_filesystem(fs)
        create_views(con, Warehouse.at("."), parts=parts)
        yield con
    finally:
        con.close()


def _marker_last(part: Any) -> tuple[bool, str]:
    return part.name.startswith(_RUN_MARKER), part.name
