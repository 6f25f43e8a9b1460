"""What a user would run instead of Wirehouse, for the throughput benchmark to compare with.

    python -m bench.peers bare   CORPUS OUT.parquet   # read -> charset-normalizer -> langdetect
    python -m bench.peers steps  CORPUS OUT.parquet   # Wirehouse's own steps, one process
    python -m bench.peers naive  CORPUS OUT.parquet   # a Prefect flow with one task per file

Each walks CORPUS in sorted order, writes one Parquet file (in chunks, so memory stays flat)
and prints `files=<n> rows=<n>`.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

CHUNK = 5_000


def corpus_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            yield path


def bare_row(path: Path, root: Path) -> dict[str, Any] | None:
    """The loop from the langdetect and charset-normalizer READMEs, nothing more."""
    import charset_normalizer
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0
    raw = path.read_bytes()
    best = charset_normalizer.from_bytes(raw).best()
    if best is None:
        return None
    text = str(best)
    try:
        language = detect(text)
    except LangDetectException:
        language = None
    return {
        "path": str(path.relative_to(root)),
        "encoding": best.encoding,
        "language": language,
        "text": text,
    }


def steps_row(path: Path, root: Path) -> dict[str, Any] | None:
    """Wirehouse's per-file steps, without any orchestration: the article, its quotes and
    its story signature (what a batch computes per file), in one process."""
    from wirehouse.tasks.article import EnrichOptions, FileVersion, build_article
    from wirehouse.tasks.errors import RejectError
    from wirehouse.tasks.quotes import extract_quotes
    from wirehouse.tasks.sources import load_registry
    from wirehouse.tasks.stories import story_features

    raw = path.read_bytes()
    stat = path.stat()
    origin = FileVersion(
        str(root),
        str(path.relative_to(root)),
        1,
        stat.st_size,
        datetime.fromtimestamp(stat.st_mtime, UTC),
        hashlib.sha256(raw).hexdigest(),
    )
    try:
        row = build_article(raw, origin, EnrichOptions(latest_date=date.today()), load_registry())
    except RejectError:
        return None
    features = story_features(row.title, row.body or "")
    quotes = extract_quotes(row.body or "")
    return asdict(row) | {"quotes": len(quotes), "weekday": features.weekday}


def write_rows(rows: Iterator[dict[str, Any] | None], out: Path) -> tuple[int, int]:
    files = written = 0
    writer: pq.ParquetWriter | None = None
    chunk: list[dict[str, Any]] = []
    for row in rows:
        files += 1
        if row is not None:
            chunk.append(row)
        if len(chunk) >= CHUNK:
            writer = _flush(chunk, out, writer)
            written += len(chunk)
            chunk = []
    if chunk:
        writer = _flush(chunk, out, writer)
        written += len(chunk)
    if writer is not None:
        writer.close()
    return files, written


def _flush(chunk: list[dict[str, Any]], out: Path, writer: pq.ParquetWriter | None):
    table = pa.Table.from_pylist(chunk)
    if writer is None:
        writer = pq.ParquetWriter(out, table.schema, compression="zstd")
    writer.write_table(table.cast(writer.schema))
    return writer


def naive_flow(root: Path, out: Path) -> tuple[int, int]:
    """One Prefect task per file, each returning its article: the pattern to avoid."""
    from prefect import flow, task

    @task
    def ingest_one(path: str) -> dict[str, Any] | None:
        return steps_row(Path(path), root)

    @flow
    def naive_ingest(folder: str) -> tuple[int, int]:
        # The folder, not the list of paths, is the parameter: a 10,000-path list makes
        # the flow run's parameters too large for the API.
        futures = ingest_one.map([str(p) for p in corpus_files(Path(folder))])
        return write_rows((future.result() for future in futures), out)

    return naive_ingest(str(root))


def main() -> int:
    kind, root, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    if kind == "naive":
        files, rows = naive_flow(root, out)
    else:
        make_row = {"bare": bare_row, "steps": steps_row}[kind]
        files, rows = write_rows((make_row(p, root) for p in corpus_files(root)), out)
    print(f"files={files} rows={rows}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
