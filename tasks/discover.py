"""Discover the files under an ingest root, safely and in a deterministic order.

The walk works on bytes paths so that names that are not valid UTF-8 are still read; such
names are stored for display with `\\x..` escapes. Symlinks are followed only when they
stay inside the root, each folder is walked once (no symlink loops), and hidden entries
(names starting with '.') are skipped. Whatever cannot be walked becomes a discovered
entry with a `problem`, so it is rejected visibly instead of vanishing.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from wirehouse.tasks.objects import name_wanted, walk_url
from wirehouse.warehouse.locations import is_url
from wirehouse.warehouse.storage import writing

DISCOVERY_SCHEMA = pa.schema(
    [
        pa.field("ordinal", pa.int64(), nullable=False),  # walk order, kept through planning
        pa.field("source_path", pa.string(), nullable=False),
        pa.field("path_bytes", pa.binary(), nullable=False),  # relative, as the OS spells it
        pa.field("file_size", pa.int64()),
        pa.field("file_mtime_ns", pa.int64()),
        pa.field("problem", pa.string()),  # a tasks.errors reason when the entry is unusable
        pa.field("problem_message", pa.string()),
    ]
)
_WRITE_CHUNK = 10_000


@dataclass(frozen=True, slots=True)
class Found:
    source_path: str
    path_bytes: bytes
    file_size: int | None
    file_mtime_ns: int | None
    problem: str | None = None
    problem_message: str | None = None


def display_path(path_bytes: bytes) -> str:
    """A path for tables and messages: UTF-8 when it is, `\\xNN` escapes where not."""
    return path_bytes.decode("utf-8", "backslashreplace")


def walk(root: Path | str, include: list[str], exclude: list[str]) -> Iterator[Found]:
    """Every file under `root` matching the name patterns, depth-first, sorted by name."""
    root_bytes = os.fsencode(root)
    real_root = os.path.realpath(root_bytes)
    seen_dirs: set[tuple[int, int]] = set()
    root_stat = os.stat(root_bytes)
    seen_dirs.add((root_stat.st_dev, root_stat.st_ino))
    yield from _walk_dir(root_bytes, b"", real_root, include, exclude, seen_dirs)


def write_discovery(
    root: Path | str,
    include: list[str],
    exclude: list[str],
    out: Path,
    storage_options: dict[str, Any] | None = None,
) -> int:
    """Walk `root` (a folder or an object-store URL) and stream what was found into the
    Parquet file `out`; return the count."""
    count = 0
    with writing(out), pq.ParquetWriter(out, DISCOVERY_SCHEMA) as writer:
        chunk: list[Found] = []
        for found in _walker(str(root), include, exclude, storage_options or {}):
            chunk.append(found)
            if len(chunk) >= _WRITE_CHUNK:
                writer.write_table(_to_table(chunk, count))
                count += len(chunk)
                chunk = []
        if chunk or count == 0:
            writer.write_table(_to_table(chunk, count))
            count += len(chunk)
    return count


def _walker(
    root: str, include: list[str], exclude: list[str], storage_options: dict[str, Any]
) -> Iterator[Found]:
    if not is_url(root):
        return walk(root, include, exclude)
    return (
        Found(rel, rel.encode("utf-8", "surrogateescape"), size, mtime_ns)
        for rel, size, mtime_ns in walk_url(root, include, exclude, storage_options)
    )


def _to_table(chunk: list[Found], first_ordinal: int) -> pa.Table:
    columns = {name: [getattr(f, name) for f in chunk] for name in DISCOVERY_SCHEMA.names[1:]}
    columns["ordinal"] = list(range(first_ordinal, first_ordinal + len(chunk)))
    return pa.table(columns, schema=DISCOVERY_SCHEMA)


def _walk_dir(
    root: bytes,
    rel_dir: bytes,
    real_root: bytes,
    include: list[str],
    exclude: list[str],
    seen_dirs: set[tuple[int, int]],
) -> Iterator[Found]:
    here = os.path.join(root, rel_dir) if rel_dir else root
    try:
        with os.scandir(here) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        yield _problem(rel_dir or b".", "unreadable", f"cannot list folder: {exc.strerror}")
        return
    for entry in entries:
        if entry.name.startswith(b"."):
            continue
        rel = os.path.join(rel_dir, entry.name) if rel_dir else entry.name
        yield from _visit(entry, root, rel, real_root, include, exclude, seen_dirs)


def _visit(
    entry: os.DirEntry[bytes],
    root: bytes,
    rel: bytes,
    real_root: bytes,
    include: list[str],
    exclude: list[str],
    seen_dirs: set[tuple[int, int]],
) -> Iterator[Found]:
    if entry.is_symlink():
        target = os.path.realpath(entry.path)
        if os.path.commonpath([real_root, target]) != real_root:
            yield _problem(
                rel, "outside_root", "symlink points outside the ingest root; not followed"
            )
            return
    try:
        st = entry.stat()  # follows symlinks (already checked to stay inside the root)
    except FileNotFoundError:
        yield _problem(rel, "broken_symlink", "symlink target does not exist")
        return
    except OSError as exc:
        yield _problem(rel, "unreadable", f"cannot stat: {exc.strerror}")
        return
    if stat.S_ISDIR(st.st_mode):
        key = (st.st_dev, st.st_ino)
        if key in seen_dirs:
            yield _problem(
                rel,
                "symlink_loop",
                "folder already walked (symlink loop or duplicate link); not followed again",
            )
            return
        seen_dirs.add(key)
        yield from _walk_dir(root, rel, real_root, include, exclude, seen_dirs)
    elif stat.S_ISREG(st.st_mode) and _wanted(entry.name, include, exclude):
        yield Found(display_path(rel), rel, st.st_size, st.st_mtime_ns)


def _wanted(name: bytes, include: list[str], exclude: list[str]) -> bool:
    return name_wanted(display_path(name), include, exclude)


def _problem(rel: bytes, reason: str, message: str) -> Found:
    return Found(display_path(rel), rel, None, None, reason, message)
