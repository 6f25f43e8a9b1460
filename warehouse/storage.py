"""Warehouse files on disk: atomic Parquet writes, per-run commits, and the writer lock.

Layout of a warehouse folder:

    wirehouse.duckdb              DuckDB catalog: views over the Parquet files
    commits/<run_id>/<table>-*.parquet
                                  every committed run's parts, all tables together
    _staging/<run_id>/            a run in progress (never read by the views)
    .lock                         held (flock) by the one run allowed to write

A run writes everything into `_staging/<run_id>/` and commits with one `rename` of that
folder into `commits/`. The rename is atomic, so readers see all of a run or none of it,
and a run killed at any point leaves only a staging folder that the next run deletes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from wirehouse.warehouse.locations import local_path
from wirehouse.warehouse.locks import flock_within
from wirehouse.warehouse.schemas import TABLES

COMMITS = "commits"
STAGING = "_staging"
CATALOG_FILE = "wirehouse.duckdb"
LOCK_FILE = ".lock"
INIT_RUN_ID = "00000000T000000000000-init"  # sorts before every real run id
PARQUET_OPTIONS = {"compression": "zstd", "compression_level": 3}


class WarehouseError(RuntimeError):
    """A warehouse problem the user can act on; the message says what to do."""


class NewerWarehouseError(WarehouseError):
    """The warehouse was written by a newer Wirehouse, in a format this one does not know."""


# The layout and tables this code reads and writes. Bump it with a change an older
# Wirehouse cannot read safely (a new table or column is not one: older code ignores it).
FORMAT_VERSION = 1
FORMAT_FILE = "wirehouse-format.json"


class WarehouseLockedError(WarehouseError):
    pass


class WarehouseWriteError(WarehouseError):
    """Writing to the warehouse failed: disk full, read-only, no permission."""


@contextlib.contextmanager
def writing(target: Path) -> Iterator[None]:
    """Turn an OSError while writing `target` into a WarehouseWriteError that says what to do."""
    try:
        yield
    except WarehouseError:
        raise
    except OSError as exc:
        raise WarehouseWriteError(
            f"cannot write {target}: {exc.strerror or exc}. Nothing of this run was "
            "committed and the warehouse is as it was before the run. Free some space or "
            "fix the permissions, then run again."
        ) from exc


@dataclass(frozen=True)
class Warehouse:
    """Paths of one warehouse folder. Cheap to build and to send to worker processes."""

    root: Path

    @classmethod
    def at(cls, root: str | os.PathLike[str]) -> Warehouse:
        return cls(Path(local_path(str(root))).expanduser().resolve())

    @property
    def commits(self) -> Path:
        return self.root / COMMITS

    @property
    def staging(self) -> Path:
        return self.root / STAGING

    @property
    def catalog_file(self) -> Path:
        return self.root / CATALOG_FILE

    def staging_dir(self, run_id: str) -> Path:
        return self.staging / run_id

    def exists(self) -> bool:
        return (self.commits / INIT_RUN_ID).is_dir()

    def committed_runs(self) -> list[str]:
        if not self.commits.is_dir():
            return []
        return sorted(p.name for p in self.commits.iterdir() if not p.name.startswith("."))


def new_run_id(now: datetime | None = None) -> str:
    """Sortable by time and unique; drawn under the writer lock, so by commit order too."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"


def write_parquet(table: pa.Table, path: Path, row_group_size: int | None = None) -> Path:
    """Write `table` to `path` atomically: a temp name in the same folder, fsync, rename."""
    with atomic_file(path) as tmp, writing(path):
        pq.write_table(table, tmp, row_group_size=row_group_size, **PARQUET_OPTIONS)
    return path


def write_parquet_groups(row_groups: Iterable[pa.Table], schema: pa.Schema, path: Path) -> Path:
    """Write each table of `row_groups` as one row group of the Parquet file `path`,
    atomically; only one row group is in memory at a time."""
    with parquet_writer(path, schema) as writer:
        for group in row_groups:  # a failure producing a group is the caller's to report
            with writing(path):
                writer.write_table(group, row_group_size=max(group.num_rows, 1))
    return path


@contextlib.contextmanager
def parquet_writer(path: Path, schema: pa.Schema) -> Iterator[pq.ParquetWriter]:
    """A Parquet writer to fill row group by row group; the file appears at `path` whole
    when the block ends (see `atomic_file`)."""
    with atomic_file(path) as tmp, pq.ParquetWriter(tmp, schema, **PARQUET_OPTIONS) as writer:
        yield writer


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """A temp name next to `path` to write to; fsynced and renamed to `path` when the block
    ends, deleted if it fails: `path` never holds half a file. Errors of the block are the
    caller's to report (`writing` turns its write errors into a WarehouseWriteError)."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        yield tmp
        with writing(path):
            _fsync_file(tmp)
            crash_point("parquet-written")
            os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def ensure_layout(wh: Warehouse) -> None:
    """Create the folders and the empty init commit, so every view has a file to read;
    refuse a warehouse of a newer format (NewerWarehouseError) before touching it."""
    stored = check_format(wh)
    with writing(wh.root):
        wh.commits.mkdir(parents=True, exist_ok=True)
        wh.staging.mkdir(parents=True, exist_ok=True)
    if stored != FORMAT_VERSION:
        _record_format(wh)
    if wh.exists():
        _add_new_tables(wh)
        return
    staging = wh.staging_dir(INIT_RUN_ID)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name, schema in TABLES.items():
        write_parquet(schema.empty_table(), staging / f"{name}-init.parquet")
    commit_run(wh, INIT_RUN_ID)


def check_format(wh: Warehouse) -> int | None:
    """The warehouse's format (None: not recorded, an older or a new warehouse)."""
    try:
        stored = json.loads((wh.root / FORMAT_FILE).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise WarehouseError(f"cannot read {wh.root / FORMAT_FILE}: {exc}") from None
    if stored.get("format", 0) > FORMAT_VERSION:
        raise NewerWarehouseError(
            f"{wh.root} was written by Wirehouse {stored.get('written_by', '?')} in warehouse "
            f"format {stored['format']}, newer than this Wirehouse {_ours()} reads (format "
            f"{FORMAT_VERSION}): upgrade Wirehouse (pip install --upgrade wirehouse)"
        )
    return int(stored.get("format", 0))


def _record_format(wh: Warehouse) -> None:
    """Write the format marker (a temp file, then a rename). A warehouse on a read-only
    mount is still read without one."""
    tmp = wh.root / f".{FORMAT_FILE}.{secrets.token_hex(4)}.tmp"
    try:
        tmp.write_text(json.dumps({"format": FORMAT_VERSION, "written_by": _ours()}))
        os.replace(tmp, wh.root / FORMAT_FILE)
    except OSError:
        tmp.unlink(missing_ok=True)
        if not wh.exists():
            raise


def _ours() -> str:
    from importlib.metadata import version

    return version("wirehouse")


def _add_new_tables(wh: Warehouse) -> None:
    """A warehouse from an older version gets an empty part of each table added since,
    and of each table whose columns grew (`articles-init-<columns>.parquet`): the views
    read parts by name, so a column no committed part has yet is still one they know."""
    init = wh.commits / INIT_RUN_ID
    if not init.is_dir():
        return
    for name, schema in TABLES.items():
        part = init / f"{name}-init.parquet"
        if not part.exists():
            write_parquet(schema.empty_table(), part)
            continue
        known = set().union(*(pq.read_schema(f).names for f in init.glob(f"{name}-init*.parquet")))
        if set(schema.names) - known:
            columns = hashlib.sha256(",".join(schema.names).encode()).hexdigest()[:8]
            write_parquet(schema.empty_table(), init / f"{name}-init-{columns}.parquet")


def commit_run(wh: Warehouse, run_id: str) -> Path:
    """Publish a staged run: one atomic rename makes all of its files visible at once."""
    staged, final = wh.staging_dir(run_id), wh.commits / run_id
    with writing(final):
        _fsync_dir(staged)
        crash_point("before-commit")
        os.rename(staged, final)
        _fsync_dir(wh.commits)
    crash_point("after-commit")
    return final


def begin_run(wh: Warehouse, run_id: str) -> tuple[Path, Path]:
    """Under the lock: clear dead runs' leftovers, make this run's staging and scratch folders.

    Staging holds the parts that will be committed; scratch holds planning files that never
    are. Both live inside the warehouse so the commit rename stays on one filesystem.
    """
    discard_staging(wh)
    staging, scratch = wh.staging_dir(run_id), wh.staging / f"{run_id}.scratch"
    with writing(staging):
        staging.mkdir(parents=True)
        scratch.mkdir(parents=True)
    return staging, scratch


def discard_staging(wh: Warehouse) -> list[str]:
    """Delete staging folders of runs that died before committing. Call under the lock."""
    removed = []
    if wh.staging.is_dir():
        for leftover in wh.staging.iterdir():
            shutil.rmtree(leftover, ignore_errors=True)
            removed.append(leftover.name)
    return removed


@contextlib.contextmanager
def writer_lock(wh: Warehouse, run_id: str | None, timeout: float) -> Iterator[str]:
    """Hold the warehouse's single-writer lock; wait up to `timeout` s for it, then fail.

    Yields the holder's run id; without one given, a new one is drawn once the lock is
    held, so run ids sort by commit order (the views rely on it). flock is released by the
    kernel when the holder dies, even by SIGKILL, so a crashed run never leaves a stale
    lock behind.
    """
    with writing(wh.root / LOCK_FILE):
        wh.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(wh.root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, wh, timeout)
        run_id = run_id or _next_run_id(wh)
        holder = {
            "run_id": run_id,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        yield run_id
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _next_run_id(wh: Warehouse) -> str:
    """A new run id above every committed one, even if the clock went back (the views
    take the last committed run id as their snapshot)."""
    run_id, committed = new_run_id(), wh.committed_runs()
    if committed and run_id <= committed[-1]:
        last = datetime.strptime(committed[-1][:21], "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
        run_id = new_run_id(last + timedelta(microseconds=1))
    return run_id


def _acquire(fd: int, wh: Warehouse, timeout: float) -> None:
    if not flock_within(fd, timeout, poll=0.2):
        raise WarehouseLockedError(_locked_message(fd, wh, timeout))


def _locked_message(fd: int, wh: Warehouse, timeout: float) -> str:
    try:
        holder = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        holder = {}
    who = (
        f"run {holder.get('run_id')} (pid {holder.get('pid')} on {holder.get('host')}, "
        f"since {holder.get('since')})"
        if holder
        else "another run"
    )
    return (
        f"warehouse {wh.root} is being written by {who}; waited {timeout:.0f}s. "
        "Wait for that run to finish, or allow a longer wait with --lock-timeout "
        "(WIREHOUSE_LOCK_TIMEOUT)."
    )


def crash_point(name: str) -> None:
    """Fault injection for the crash tests: SIGKILL this process at the named point.

    Set WIREHOUSE_CRASH_AT=<name>[:<n>] to die on the n-th time (default 1st) the point is
    reached. Unset (always, outside those tests) this is one dictionary lookup.
    """
    wanted = os.environ.get("WIREHOUSE_CRASH_AT")
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _CRASH_COUNTS[name] = _CRASH_COUNTS.get(name, 0) + 1
    if _CRASH_COUNTS[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


_CRASH_COUNTS: dict[str, int] = {}


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    """Persist a folder's entries (new names, renames); file contents are synced on write."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
