"""The linking step of a run: its new articles into stories, before the commit.

The matching rules are in tasks/stories.py. This module finds candidate pairs with DuckDB
over the run's staged parts and the warehouse's committed ones, computes their similarity
there too, and hands Python only the articles that have a candidate: an article with none
starts its own story in SQL. Dates are inferred while streaming the year-less articles.
DuckDB spills to the staging folder, lets go of its buffers while Python assigns
stories, and only pairs that can link reach Python (1M articles: ~100 s, 572 MB peak in
a process of its own, 114 MB before it). The `article_links` and `inferred_dates` parts
it stages are published by the run's commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from wirehouse.tasks.batch import batch_parts
from wirehouse.tasks.stories import (
    BANDS,
    MAX_QUOTE_ARTICLES,
    MIN_SHARED_QUOTE_WORDS,
    NUM_PERM,
    ROWS,
    SAME_EVENT,
    Candidate,
    Dated,
    Pair,
    assign_stories,
    infer_from_story,
    infer_from_weekday,
)
from wirehouse.warehouse.catalog import create_views, parts_sql
from wirehouse.warehouse.rows import InferredDateRow, to_table
from wirehouse.warehouse.schemas import TABLES
from wirehouse.warehouse.storage import Warehouse, write_parquet_groups

LINK_MEMORY = "256MB"  # DuckDB memory for matching; more spills to the staging folder
PYTHON_PHASE_MEMORY = "64MB"  # DuckDB memory while Python assigns stories
CHUNK = 50_000


@dataclass(frozen=True, slots=True)
class LinkSummary:
    articles: int  # new articles linked
    new_stories: int
    joined_stories: int  # new articles that joined a story with other articles
    duplicates: int
    inferred_dates: int


def link_run(wh: Warehouse, staging: Path, run_id: str, latest: date) -> LinkSummary:
    """Link this run's staged articles into stories; stage `article_links` and dates."""
    if not batch_parts(staging, "articles"):
        return LinkSummary(0, 0, 0, 0, 0)
    con = duckdb.connect(config={"memory_limit": LINK_MEMORY, "temp_directory": str(staging)})
    try:
        create_views(con, wh)
        _load(con, staging, wh)
        _stage_links(con, _assign(con, wh), staging / "article_links-run.parquet", run_id)
        inferred = _stage_dates(con, staging / "inferred_dates-run.parquet", run_id, latest)
        articles, stories, joined, duplicates = con.execute(_SUMMARY).fetchone()
    finally:
        con.close()
    return LinkSummary(articles, stories, joined, duplicates, inferred)


def _assign(con: duckdb.DuckDBPyConnection, wh: Warehouse) -> pa.Table:
    """Story links of the articles that have a candidate pair, as an Arrow table. The
    Python objects (pairs, candidates, links: ~250 MB at 1M articles) die on return,
    before the links are staged."""
    pairs = [Pair(a, b, quote, similarity) for a, b, quote, similarity in _pairs(con, wh)]
    # DuckDB writes its buffers out to the spill folder while Python holds the pairs,
    # instead of keeping its whole limit in memory next to them.
    con.execute(f"SET memory_limit = '{PYTHON_PHASE_MEMORY}'")
    try:
        links = assign_stories(_involved(con, pairs), pairs)
    finally:
        con.execute(f"SET memory_limit = '{LINK_MEMORY}'")
    return pa.table(
        {
            "article_id": list(links),
            "story_id": [link.story_id for link in links.values()],
            "matched_article_id": [link.matched_article_id for link in links.values()],
            "similarity": [link.similarity for link in links.values()],
            "link": [link.link for link in links.values()],
        },
        schema=_LINKED,
    )


def _staged(wh: Warehouse, staging: Path, table: str) -> str:
    """The run's staged parts of a table (an empty relation of its columns if none)."""
    files = [str(f) for f in batch_parts(staging, table)]
    if not files:
        return f"(SELECT * FROM {parts_sql(wh, table)} LIMIT 0)"
    return f"read_parquet({files!r}, union_by_name = true)"


def _load(con: duckdb.DuckDBPyConnection, staging: Path, wh: Warehouse) -> None:
    con.execute(
        f"""
        CREATE TEMP TABLE new_articles AS
        SELECT a.article_id, a.source_root, a.source_path, a.record_key, a.content_sha256,
               a.source, a.pub_year, a.pub_month, a.pub_day, a.published_date AS stated_date,
               a.ingested_at, a.file_mtime::DATE AS file_date, f.signature, f.weekday,
               NULL::DATE AS inferred_date, NULL::VARCHAR AS inferred_source,
               NULL::DOUBLE AS inferred_confidence, previous.story_id
        FROM {_staged(wh, staging, "articles")} AS a
        JOIN {_staged(wh, staging, "article_features")} AS f USING (article_id)
        -- A new version of a file stays in the story of the version it replaces.
        LEFT JOIN (SELECT source_root, source_path, record_key, story_id FROM articles)
            AS previous ON previous.source_root = a.source_root
                AND previous.source_path = a.source_path
                AND previous.record_key IS NOT DISTINCT FROM a.record_key
        WHERE a.row_kind = 'article'"""
    )
    con.execute(
        f"""
        CREATE TEMP TABLE new_quotes AS
        SELECT DISTINCT article_id, quote_hash FROM {_staged(wh, staging, "quotes")}
        WHERE word_count >= {MIN_SHARED_QUOTE_WORDS}"""
    )
    # Old = the committed current articles, minus files this run gives a new version.
    # The view shows trusted inferred dates; matching and inference use the stated ones
    # only, and compare with the latest inference of each article, trusted or not.
    con.execute(
        f"""
        CREATE TEMP TABLE old_articles AS
        SELECT a.article_id, a.source_root, a.source_path, a.record_key, a.content_sha256,
               a.source, CASE WHEN inferred THEN NULL ELSE a.pub_year END AS pub_year,
               a.pub_month, a.pub_day,
               CASE WHEN inferred THEN NULL ELSE a.published_date END AS stated_date,
               a.ingested_at, a.file_mtime::DATE AS file_date, f.signature, f.weekday,
               i.inferred_date, i.inferred_source, i.inferred_confidence,
               a.story_id
        FROM (SELECT *, coalesce(date_source LIKE 'inferred:%', false) AS inferred
              FROM articles) AS a
        JOIN {parts_sql(wh, "article_features")} AS f USING (article_id)
        LEFT JOIN (
            SELECT article_id,
                   arg_max(published_date, run_id) AS inferred_date,
                   arg_max(date_source, run_id) AS inferred_source,
                   arg_max(date_confidence, run_id) AS inferred_confidence
            FROM {parts_sql(wh, "inferred_dates")} GROUP BY article_id) AS i USING (article_id)
        ANTI JOIN new_articles AS n ON n.source_root = a.source_root
            AND n.source_path = a.source_path
            AND n.record_key IS NOT DISTINCT FROM a.record_key"""
    )
    con.execute(
        "CREATE TEMP TABLE everyone AS FROM new_articles UNION ALL BY NAME FROM old_articles"
    )


_BAND_KEYS = """
    SELECT article_id, hash(signature[{first} : {last}]) AS key
    FROM {table} WHERE signature IS NOT NULL"""

# LSH candidates of one band. One band at a time: all bands in one join held 16 keys per
# article on both sides and ran out of DuckDB's memory at 1M articles (hash joins spill,
# but not enough at that size); one band is 1/16 of it.
_BAND_PAIRS = """
    INSERT INTO candidates
    SELECT DISTINCT n.article_id, k.article_id, false
    FROM ({new_keys}) AS n JOIN ({all_keys}) AS k USING (key)
    WHERE n.article_id <> k.article_id"""

# Other candidates: exact copies and shared quotes (a new, b new or old).
_OTHER_PAIRS = f"""
    INSERT INTO candidates
    SELECT n.article_id, e.article_id, false
    FROM new_articles AS n JOIN everyone AS e USING (content_sha256)
    UNION ALL
    SELECT DISTINCT n.article_id, q.article_id, true
    FROM new_quotes AS n JOIN (
        SELECT * FROM (
            SELECT * FROM new_quotes UNION ALL
            SELECT DISTINCT q.article_id, q.quote_hash FROM {{quotes}} AS q
            SEMI JOIN old_articles USING (article_id)
            WHERE q.word_count >= {MIN_SHARED_QUOTE_WORDS})
        QUALIFY count(*) OVER (PARTITION BY quote_hash) <= {MAX_QUOTE_ARTICLES})
        AS q USING (quote_hash)"""

# Candidate pairs with their MinHash similarity, only those that can link (see link_kind:
# the same content, a shared quote, or at least SAME_EVENT similar): LSH finds far more
# candidates than links in templated news, millions at 1M articles. The candidates are
# materialized first, so DuckDB builds its hash tables on them, not on the signatures.
_PAIRS = f"""
    WITH pairs AS (SELECT a, b, bool_or(quote) AS shares_quote FROM candidates
                   WHERE a <> b GROUP BY a, b),
         scored AS (
             SELECT p.a, p.b, p.shares_quote, x.content_sha256 = y.content_sha256 AS same,
                    coalesce(list_count(list_filter(list_zip(x.signature, y.signature),
                                                    lambda s: s[1] = s[2])) / {NUM_PERM}, 0.0)
                        AS similarity
             FROM pairs AS p
             JOIN everyone AS x ON x.article_id = p.a
             JOIN everyone AS y ON y.article_id = p.b)
    SELECT a, b, shares_quote, similarity FROM scored
    WHERE shares_quote OR same OR similarity >= {SAME_EVENT}
    ORDER BY a, b"""


def _pairs(con: duckdb.DuckDBPyConnection, wh: Warehouse) -> list[tuple[str, str, bool, float]]:
    con.execute("CREATE TEMP TABLE candidates (a VARCHAR, b VARCHAR, quote BOOLEAN)")
    for band in range(BANDS):
        rows = {"first": band * ROWS + 1, "last": (band + 1) * ROWS}
        con.execute(
            _BAND_PAIRS.format(
                new_keys=_BAND_KEYS.format(table="new_articles", **rows),
                all_keys=_BAND_KEYS.format(table="everyone", **rows),
            )
        )
    con.execute(_OTHER_PAIRS.format(quotes=parts_sql(wh, "quotes")))
    return con.execute(_PAIRS).fetchall()


def _involved(con: duckdb.DuckDBPyConnection, pairs: list[Pair]) -> dict[str, Candidate]:
    """The articles of the candidate pairs, without their signatures."""
    ids = sorted({x for pair in pairs for x in (pair.a, pair.b)})
    con.register("involved", pa.table({"article_id": pa.array(ids, pa.string())}))
    rows = con.execute(
        """
        SELECT e.article_id, n.article_id IS NOT NULL,
               e.content_sha256, e.pub_year, e.pub_month, e.pub_day, e.story_id, e.source
        FROM everyone AS e SEMI JOIN involved USING (article_id)
        LEFT JOIN new_articles AS n USING (article_id)"""
    ).fetchall()
    return {r[0]: Candidate(r[0], r[1], r[2], Dated(r[3], r[4], r[5]), r[6], r[7]) for r in rows}


def _stage_links(
    con: duckdb.DuckDBPyConnection, linked: pa.Table, target: Path, run_id: str
) -> None:
    """One row per new article (and per old one that just got a story); exact duplicates.
    Streamed to the file: a million rows never sit in Python at once."""
    con.register("linked", linked)
    con.execute(_LINK_ROWS, [run_id])
    schema = TABLES["article_links"]
    rows = con.sql("SELECT * FROM link_rows ORDER BY article_id").to_arrow_reader(CHUNK)
    write_parquet_groups((pa.Table.from_batches([b]).cast(schema) for b in rows), schema, target)


_LINKED = pa.schema(
    [
        ("article_id", pa.string()),
        ("story_id", pa.string()),
        ("matched_article_id", pa.string()),
        ("similarity", pa.float32()),
        ("link", pa.string()),
    ]
)

# New articles without a link start a story of their own (their id is the story's).
# duplicate_of: the first article (by ingestion, then id) with the same content.
_LINK_ROWS = """
    CREATE TEMP TABLE link_rows AS
    WITH copies AS (
        SELECT content_sha256, first(article_id ORDER BY ingested_at, article_id) AS first_id
        FROM everyone
        WHERE content_sha256 IN (SELECT content_sha256 FROM new_articles)
        GROUP BY content_sha256 HAVING count(*) > 1)
    SELECT n.article_id, coalesce(l.story_id, n.story_id, n.article_id) AS story_id,
           CASE WHEN c.first_id <> n.article_id THEN c.first_id END AS duplicate_of,
           l.matched_article_id, l.similarity, l.link, $1 AS run_id
    FROM new_articles AS n
    LEFT JOIN linked AS l USING (article_id)
    LEFT JOIN copies AS c USING (content_sha256)
    UNION ALL
    SELECT l.article_id, l.story_id, NULL, l.matched_article_id, l.similarity, l.link, $1
    FROM linked AS l ANTI JOIN new_articles USING (article_id)"""

_SUMMARY = """
    SELECT count(*) FILTER (n.article_id IS NOT NULL),
           count(DISTINCT r.story_id) FILTER (
               n.article_id IS NOT NULL
               AND r.story_id NOT IN (SELECT story_id FROM everyone
                                      WHERE story_id IS NOT NULL)),
           count(*) FILTER (n.article_id IS NOT NULL AND r.link IS NOT NULL),
           count(*) FILTER (r.duplicate_of IS NOT NULL)
    FROM link_rows AS r LEFT JOIN new_articles AS n USING (article_id)"""

# Year-less articles with a month and day, in stories that have a new article, with the
# stated dates of their story and their current inference.
_TARGETS = """
    WITH story_of AS (
        SELECT article_id, story_id FROM link_rows
        UNION ALL
        SELECT article_id, story_id FROM old_articles
        WHERE story_id IS NOT NULL AND article_id NOT IN (SELECT article_id FROM link_rows)),
    touched AS (SELECT DISTINCT story_id FROM link_rows),
    members AS (
        SELECT e.*, s.story_id AS story FROM everyone AS e
        JOIN story_of AS s USING (article_id) SEMI JOIN touched ON touched.story_id = s.story_id),
    dated AS (
        SELECT story, list(stated_date) AS dates FROM members
        WHERE stated_date IS NOT NULL GROUP BY story)
    SELECT m.story, m.article_id, m.pub_month, m.pub_day, m.weekday, m.file_date,
           coalesce(d.dates, []), m.inferred_date, m.inferred_source,
           round(m.inferred_confidence, 2)
    FROM members AS m LEFT JOIN dated AS d USING (story)
    WHERE m.pub_year IS NULL AND m.pub_month IS NOT NULL AND m.pub_day IS NOT NULL
    ORDER BY m.story, m.article_id"""


def _stage_dates(con: duckdb.DuckDBPyConnection, target: Path, run_id: str, latest: date) -> int:
    """Stream the year-less articles, infer what can be inferred, write it in chunks."""
    chunks = _chunks(_inferences(con.execute(_TARGETS), run_id, latest))
    tables = (to_table(chunk, "inferred_dates") for chunk in chunks)
    write_parquet_groups(tables, TABLES["inferred_dates"], target)
    return pq.ParquetFile(target).metadata.num_rows


def _inferences(
    cursor: duckdb.DuckDBPyConnection, run_id: str, latest: date
) -> Iterator[dict[str, Any]]:
    for month, day, weekday, file_date, dates, current, article_id in _rows(cursor):
        when = Dated(None, month, day, weekday, file_date)
        found = infer_from_story(when, dates)
        kind = "inferred:story"
        if found is None:
            found, kind = infer_from_weekday(when, latest), "inferred:weekday"
        if found is None or (found[0], kind, found[1]) == current:
            continue  # nothing to say, or nothing new to say
        yield InferredDateRow(
            article_id=article_id,
            pub_year=found[0].year,
            published_date=found[0],
            date_source=kind,
            date_confidence=found[1],
            run_id=run_id,
        )


def _rows(cursor: duckdb.DuckDBPyConnection) -> Iterator[tuple[Any, ...]]:
    while batch := cursor.fetchmany(CHUNK):
        for _story, article_id, month, day, weekday, year, dates, *current in batch:
            yield month, day, weekday, year, dates, tuple(current), article_id


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for _, group in groupby(enumerate(rows), key=lambda item: item[0] // CHUNK):
        yield [row for _, row in group]
