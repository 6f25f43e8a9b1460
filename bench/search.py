"""Search engines compared on one synthetic corpus: tantivy (warehouse/search.py) vs SQLite FTS5.

Run `python -m bench.search N [--workdir /tmp/wirehouse-bench]` from the project root. It
generates N articles (bench.corpus), ingests them with `wirehouse ingest` (which builds
the tantivy index), then measures for both engines over the same `articles` rows:

- build time from the Parquet tables (tantivy: `update_index(rebuild=True)`, one writer
  thread; FTS5: `unicode61 remove_diacritics 2`, no stemming: its only stemmer, porter,
  is English-only), and index size against the raw text bytes (title + lede + body);
- query p50/p95 over one-word, two-word (AND) and phrase queries, each fetching the first
  20 hits with a highlighted snippet, and `count by month` over a frequent word.

Prints a table and writes `bench-results/search-<N>.json`.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
from wirehouse.warehouse.search import Searcher, current_generation, update_index
from wirehouse.warehouse.storage import Warehouse

from bench.corpus import generate

ONE = ["government", "minister", "oil", "bank", "market", "police", "election", "trade", "said"]
TWO = ["oil prices", "central bank", "foreign minister", "trade talks", "police said"]
PHRASE = ['"central bank"', '"prime minister"', '"oil prices"', '"united states"']
FREQUENT = "said"
REPEAT = 5


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(1000 * statistics.median(ordered), 2),
        "p95_ms": round(1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 2),
    }


def timed(action: Any, queries: list[str]) -> dict[str, float]:
    samples = []
    for _ in range(REPEAT):
        for q in queries:
            started = time.perf_counter()
            action(q)
            samples.append(time.perf_counter() - started)
    return percentiles(samples)


def bench_tantivy(wh: Warehouse) -> dict[str, Any]:
    started = time.perf_counter()
    summary = update_index(wh, rebuild=True)
    build = time.perf_counter() - started
    generation = current_generation(wh)
    assert generation is not None
    searcher = Searcher(wh)
    result: dict[str, Any] = {
        "build_s": round(build, 1),
        "documents": summary.documents,
        "index_bytes": folder_bytes(generation.path),
    }
    for name, queries in (("one_word", ONE), ("two_word", TWO), ("phrase", PHRASE)):
        result[name] = timed(lambda q: searcher.search(q, limit=20), queries)
    result["count_by_month"] = timed(lambda q: searcher.count_by(q, "month"), [FREQUENT])
    result["hits"] = {q: searcher.search(q, limit=1, snippets=False).total for q in ONE}
    return result


def bench_fts5(wh: Warehouse, target: Path) -> dict[str, Any]:
    target.unlink(missing_ok=True)
    started = time.perf_counter()
    db = sqlite3.connect(target)
    db.execute(
        "CREATE VIRTUAL TABLE docs USING fts5(title, lede, body, "
        "tokenize = 'unicode61 remove_diacritics 2')"
    )
    db.execute("CREATE TABLE meta (id INTEGER PRIMARY KEY, article_id TEXT, month INTEGER)")
    with duckdb.connect(str(wh.catalog_file), read_only=True) as con:
        reader = con.sql(
            "SELECT title, lede, body, article_id, "
            "year(published_date) * 100 + month(published_date) FROM articles"
        ).to_arrow_reader(5000)
        row_id = 0
        for batch in reader:
            rows = batch.to_pylist()
            values = [list(r.values()) for r in rows]
            ids = range(row_id + 1, row_id + 1 + len(values))
            db.executemany(
                "INSERT INTO docs (rowid, title, lede, body) VALUES (?, ?, ?, ?)",
                [(i, *v[:3]) for i, v in zip(ids, values, strict=True)],
            )
            db.executemany(
                "INSERT INTO meta VALUES (?, ?, ?)",
                [(i, *v[3:]) for i, v in zip(ids, values, strict=True)],
            )
            row_id += len(values)
    db.commit()
    db.execute("INSERT INTO docs(docs) VALUES ('optimize')")
    db.commit()
    build = time.perf_counter() - started

    def search(q: str) -> list[tuple]:
        match = " AND ".join(q.split()) if '"' not in q else q
        return db.execute(
            "SELECT m.article_id, bm25(docs), snippet(docs, 2, '**', '**', '…', 24) "
            "FROM docs JOIN meta AS m ON m.id = docs.rowid WHERE docs MATCH ? "
            "ORDER BY bm25(docs) LIMIT 20",
            [match],
        ).fetchall()

    def count_by_month(q: str) -> list[tuple]:
        return db.execute(
            "SELECT m.month, count(*) FROM docs JOIN meta AS m ON m.id = docs.rowid "
            "WHERE docs MATCH ? GROUP BY 1",
            [q],
        ).fetchall()

    result: dict[str, Any] = {
        "build_s": round(build, 1),
        "documents": row_id,
        "index_bytes": target.stat().st_size,
    }
    for name, queries in (("one_word", ONE), ("two_word", TWO), ("phrase", PHRASE)):
        result[name] = timed(search, queries)
    result["count_by_month"] = timed(count_by_month, [FREQUENT])
    result["hits"] = {
        q: db.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", [q]).fetchone()[0]
        for q in ONE
    }
    db.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/wirehouse-bench"))
    args = parser.parse_args()
    corpus = args.workdir / f"search-corpus-{args.n}"
    warehouse = args.workdir / f"search-wh-{args.n}"
    if not corpus.exists():
        generate(corpus, args.n, seed=0)
    wh = Warehouse.at(warehouse)
    if not wh.exists():
        started = time.perf_counter()
        wirehouse = str(Path(sys.executable).with_name("wirehouse"))
        subprocess.run(
            [wirehouse, "ingest", str(corpus), "--warehouse", str(warehouse), "--show", "0"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        print(f"ingested in {time.perf_counter() - started:.0f}s", file=sys.stderr)
    with duckdb.connect(str(wh.catalog_file), read_only=True) as con:
        raw_bytes = con.execute(
            "SELECT sum(strlen(concat_ws('\n\n', title, lede, body))) FROM articles"
        ).fetchone()[0]
    results = {
        "articles": args.n,
        "raw_text_bytes": raw_bytes,
        "tantivy": bench_tantivy(wh),
        "fts5": bench_fts5(wh, args.workdir / f"search-fts5-{args.n}.sqlite"),
    }
    for engine in ("tantivy", "fts5"):
        results[engine]["size_vs_raw"] = round(results[engine]["index_bytes"] / raw_bytes, 2)
    print(json.dumps(results, indent=1))
    out = Path("bench-results") / f"search-{args.n}.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
