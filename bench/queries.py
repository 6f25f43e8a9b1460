"""The dashboard queries of the throughput benchmark, timed on an existing warehouse.

    python -m bench.queries WAREHOUSE

Brings the warehouse's views up to this version of Wirehouse first (as any CLI command
does), then runs each query 5 times and prints the median. The throughput benchmark times
the same queries right after its ingest; this re-times them, e.g. after a view change,
without re-ingesting a million articles.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table
from wirehouse.warehouse.catalog import ensure_catalog
from wirehouse.warehouse.storage import Warehouse

QUERIES = {
    "count by source and language": (
        "SELECT source, language, count(*) FROM articles GROUP BY ALL ORDER BY 3 DESC"
    ),
    "date range": (
        "SELECT count(*), min(published_date), max(published_date) FROM articles "
        "WHERE published_date BETWEEN DATE '2001-01-01' AND DATE '2010-12-31'"
    ),
    "full-text ILIKE": "SELECT count(*) FROM articles WHERE body ILIKE '%foreign minister%'",
}


def time_queries(catalog: Path, repeats: int = 5) -> dict[str, float]:
    """Median seconds of each query over `repeats` runs, on the catalog's views."""
    timings = {}
    with duckdb.connect(str(catalog), read_only=True) as con:
        for name, sql in QUERIES.items():
            runs = []
            for _ in range(repeats):
                started = time.perf_counter()
                con.execute(sql).fetchall()
                runs.append(time.perf_counter() - started)
            timings[name] = statistics.median(runs)
    return timings


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    wh = Warehouse.at(sys.argv[1])
    if not wh.exists():
        print(f"no warehouse at {wh.root}", file=sys.stderr)
        return 2
    ensure_catalog(wh)
    with duckdb.connect(str(wh.catalog_file), read_only=True) as con:
        rows = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    table = Table(title=f"Queries on {wh.root} ({rows:,} articles), median of 5")
    table.add_column("query")
    table.add_column("ms", justify="right")
    for name, seconds in time_queries(wh.catalog_file).items():
        table.add_row(name, f"{1000 * seconds:,.0f}")
    Console().print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
