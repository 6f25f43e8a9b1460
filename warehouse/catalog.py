"""The DuckDB catalog: views over the committed Parquet files, and the read API.

The `.duckdb` file holds only view definitions with absolute paths, so it works from any
working directory (`duckdb data/wirehouse.duckdb`). It is rewritten only when the views
change (new Wirehouse version, warehouse folder moved), never per run: committing a run
just adds files that the views' globs already cover.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

import duckdb
from wirehouse.warehouse.remote import Published, connect_published
from wirehouse.warehouse.storage import (
    CATALOG_FILE,
    COMMITS,
    Warehouse,
    WarehouseError,
    atomic_file,
    ensure_layout,
)

# An inference fills `articles.published_date` only when the story's dated articles
# corroborate it this strongly (tasks/stories.py: all siblings agree, or most agree and
# the weekday the lead names fits). A weekday matched against the file's modification
# time never does: for an archive copied years later it is a guess among several years.
TRUSTED_INFERENCE = 0.8
TRUSTED_INFERENCE_SOURCES = ("inferred:story",)

# Views a user queries, in the order `wirehouse tables` lists them, with one line each.
VIEW_DOCS: dict[str, str] = {
    "articles": "the current version of every live file (one row per file)",
    "article_versions": "every version ever ingested, with is_current, superseded_at, deleted_at",
    "rejects": "files that could not be ingested, with a reason code, per run",
    "runs": "one row per committed ingest run, with its counts",
    "manifest": "the current state of every file seen: live, rejected or deleted",
    "file_events": "per run, each file that appeared, changed, vanished or was rejected",
    "stories": "articles about one event across outlets: dates, outlets, a title",
    "quotes": "direct quotations in the current articles, with speaker and outlet",
    "article_links": "how each article joined its story (and what it duplicates)",
    "inferred_dates": "publication dates inferred for articles that state no year",
}

# Views over the Parquet parts of one physical table; `{name}` in the views below stands
# for `read_parquet(<that table's parts>)`. Tests check every table is covered.
RAW_VIEWS = {
    "file_events": "file_events",
    "rejects": "rejects",
    "runs": "runs",
    "article_links": "article_links",
    "inferred_dates": "inferred_dates",
}
# `article_features` (story-matching signatures) is read by the linking step only.
PHYSICAL_TABLES = (*RAW_VIEWS.values(), "articles", "quotes", "article_features")

_DERIVED_VIEWS = {
    # Latest event per file; run ids sort by commit order.
    "manifest": """
        SELECT * FROM file_events
        QUALIFY row_number() OVER (
            PARTITION BY source_root, source_path ORDER BY run_id DESC) = 1""",
    # The current row of a file is the one no higher version of it outranks. Files rarely
    # change, so the rows above version 1 are few: the anti join probes a small hash table
    # instead of grouping every row by file (5-10x faster at 1M rows).
    # Snapshot: `last_run` is bound first, and the rows of runs committed after it are
    # ignored on both sides, so a run committing while the view binds can never show a
    # mix (a file twice, or without its current row). Run ids sort by commit order.
    # Story links and inferred dates are joined last (bound after the articles): a commit
    # landing in between adds links that find no article, never articles without links
    # (an inferred date it revises may show already). Both are grouped by article: the
    # key is then unique, and DuckDB drops the join when a query reads none of its
    # columns (a 1M-row string join for nothing otherwise).
    # A date is inferred only where the text states none; stated dates have confidence 1.
    # Only a trusted inference (corroborated by the story's dated articles) fills
    # published_date; weaker guesses stay in `inferred_dates` (see TRUSTED_INFERENCE).
    "articles": """
        SELECT article.* EXCLUDE (row_kind, file_key) REPLACE (
                   coalesce(article.pub_year, trusted.pub_year) AS pub_year,
                   coalesce(article.published_date, trusted.published_date)
                       AS published_date,
                   CASE WHEN article.published_date IS NULL THEN
                       coalesce(trusted.date_source, article.date_source)
                   ELSE article.date_source END AS date_source),
               CASE WHEN article.published_date IS NOT NULL THEN 1.0::DOUBLE
                    ELSE round(trusted.date_confidence::DOUBLE, 2) END AS date_confidence,
               link.story_id,
               link.duplicate_of
        FROM {snapshot} AS snapshot
        CROSS JOIN {articles} AS article
        ANTI JOIN (SELECT file_key, version, run_id FROM {articles} WHERE version > 1)
            AS newer ON newer.file_key = article.file_key
                AND newer.version > article.version
                AND newer.run_id <= snapshot.last_run
        LEFT JOIN (
            SELECT article_id,
                   arg_max_null(story_id, run_id) AS story_id,
                   arg_max_null(duplicate_of, run_id) AS duplicate_of
            FROM {article_links} GROUP BY article_id) AS link USING (article_id)
        LEFT JOIN (
            SELECT * FROM (
                SELECT article_id,
                       arg_max(pub_year, run_id) AS pub_year,
                       arg_max(published_date, run_id) AS published_date,
                       arg_max(date_source, run_id) AS date_source,
                       arg_max(date_confidence, run_id) AS date_confidence
                FROM {inferred_dates} GROUP BY article_id)
            WHERE date_source IN {trusted_sources}
                AND round(date_confidence::DOUBLE, 2) >= {trusted_confidence})
            AS trusted USING (article_id)
        WHERE article.row_kind = 'article' AND article.run_id <= snapshot.last_run""",
    "article_versions": """
        SELECT article.* EXCLUDE (row_kind, file_key),
               history.is_current,
               CASE WHEN history.next_kind = 'article' THEN history.next_at END
                   AS superseded_at,
               CASE WHEN history.next_kind = 'deleted' THEN history.next_at END AS deleted_at
        FROM (
            SELECT file_key, version,
                   version = max(version) OVER (PARTITION BY file_key) AS is_current,
                   lead(row_kind) OVER later AS next_kind,
                   lead(ingested_at) OVER later AS next_at
            FROM {articles}
            WINDOW later AS (PARTITION BY file_key ORDER BY version)) AS history
        JOIN {articles} AS article USING (file_key, version)
        WHERE article.row_kind = 'article'""",
    # Exact duplicates count once (distinct content); a story's title is its first one.
    "stories": """
        SELECT story_id,
               count(DISTINCT content_sha256) AS article_count,
               count(*) AS file_count,
               list_sort(list(DISTINCT source) FILTER (source IS NOT NULL)) AS outlets,
               min(published_date) AS first_published,
               max(published_date) AS last_published,
               arg_min(title, coalesce(published_date, DATE '9999-12-31'))
                   FILTER (title IS NOT NULL) AS title,
               list_sort(list(DISTINCT language) FILTER (language IS NOT NULL)) AS languages
        FROM articles
        WHERE story_id IS NOT NULL
        GROUP BY story_id""",
    "quotes": """
        SELECT quote.* EXCLUDE (run_id), article.source, article.published_date,
               article.language, article.story_id, article.source_path
        FROM {quotes} AS quote
        JOIN articles AS article USING (article_id)""",
}


def parts_sql(wh: Warehouse, table: str) -> str:
    """`read_parquet(...)` over every committed part of one physical table."""
    pattern = _sql_string(f"{wh.root / COMMITS}/*/{table}-*.parquet")
    return f"read_parquet({pattern}, union_by_name = true)"


def files_sql(files: list[str]) -> str:
    """`read_parquet(...)` over an explicit list of part files (a published warehouse)."""
    listed = ", ".join(_sql_string(f) for f in files)
    return f"read_parquet([{listed}], union_by_name = true)"


def view_sql(wh: Warehouse, files: dict[str, list[str]] | None = None) -> dict[str, str]:
    """CREATE VIEW statements for this warehouse, in dependency order; over the given
    part `files` per table instead of the folder's globs when given."""
    parts = {
        table: files_sql(files[table]) if files else parts_sql(wh, table)
        for table in PHYSICAL_TABLES
    }
    statements = {
        view: f"CREATE OR REPLACE VIEW {view} AS SELECT * FROM {parts[table]}"
        for view, table in RAW_VIEWS.items()
    }
    # Explicit part files (a published warehouse) are a snapshot already: its last run is
    # a constant, which spares reading every `runs` object again in each query.
    if files:
        last_run = max((PurePosixPath(f).parent.name for f in files["runs"]), default="")
        snapshot = f"(SELECT {_sql_string(last_run)} AS last_run)"
    else:
        snapshot = f"(SELECT max(run_id) AS last_run FROM {parts['runs']})"
    for view, body in _DERIVED_VIEWS.items():
        sql = body.strip().format(
            **parts,
            snapshot=snapshot,
            trusted_sources="(" + ", ".join(map(_sql_string, TRUSTED_INFERENCE_SOURCES)) + ")",
            trusted_confidence=TRUSTED_INFERENCE,
        )
        statements[view] = f"CREATE OR REPLACE VIEW {view} AS {sql}"
    return statements


def create_views(
    con: duckdb.DuckDBPyConnection, wh: Warehouse, parts: dict[str, list[str]] | None = None
) -> None:
    """Define the warehouse views in `con` (also usable on an in-memory connection)."""
    for statement in view_sql(wh, parts).values():
        con.execute(statement)


def ensure_catalog(wh: Warehouse) -> None:
    """Create the warehouse folders and views if missing or out of date."""
    ensure_layout(wh)
    statements = view_sql(wh)
    fingerprint = hashlib.sha256("\n".join(statements.values()).encode()).hexdigest()
    if _stored_fingerprint(wh) == fingerprint:
        return
    if not wh.catalog_file.exists():
        # Built under a temporary name and renamed: a run killed while creating it must
        # not leave a catalog file without views (updates below are one transaction).
        for leftover in wh.root.glob(f".{CATALOG_FILE}.*.tmp*"):  # and its WAL, of killed runs
            leftover.unlink(missing_ok=True)
        with atomic_file(wh.catalog_file) as building:
            _write_views(wh, building, fingerprint)
        return
    _write_views(wh, wh.catalog_file, fingerprint)


def _write_views(wh: Warehouse, catalog: Path, fingerprint: str) -> None:
    try:
        con = duckdb.connect(str(catalog))
    except duckdb.IOException as exc:
        raise WarehouseError(
            f"cannot update the catalog {wh.catalog_file}: {exc}. Close other DuckDB "
            "sessions that have it open and run again."
        ) from exc
    with con:
        con.execute("BEGIN")
        create_views(con, wh)
        con.execute(
            "CREATE TABLE IF NOT EXISTS wirehouse_meta (key VARCHAR PRIMARY KEY, value VARCHAR)"
        )
        con.execute(
            "INSERT OR REPLACE INTO wirehouse_meta VALUES ('views_sha256', ?)", [fingerprint]
        )
        con.execute("COMMIT")


@contextmanager
def connect(
    wh: Warehouse | Published, *, read_only: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB connection to the warehouse catalog (read-only unless asked), or to the
    views over a published warehouse in object storage."""
    if isinstance(wh, Published):
        with connect_published(wh) as con:
            yield con
        return
    if not wh.exists():
        raise WarehouseError(
            f"no warehouse at {wh.root}: run `wirehouse ingest SOURCE_DIR --warehouse "
            f"{wh.root}` first"
        )
    ensure_catalog(wh)
    con = duckdb.connect(str(wh.catalog_file), read_only=read_only)
    try:
        yield con
    finally:
        con.close()


# What `wirehouse query` runs without --write: reading statements only. SHOW, DESCRIBE
# and SUMMARIZE parse as SELECT. COPY (writes files), ATTACH, INSTALL/LOAD, SET, CREATE,
# INSERT, … are refused.
READ_STATEMENTS = frozenset({duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN})


class QueryRefusedError(WarehouseError):
    """A statement that would write or attach, sent without --write."""


def run_query(
    wh: Warehouse | Published, sql: str, params: list[object] | None = None, *, write: bool = False
) -> tuple[list[str], list[tuple[object, ...]]]:
    """Run SQL on the warehouse; values in `params` are bound to `?`, never pasted in."""
    statements = duckdb.extract_statements(sql)
    if not statements:
        raise QueryRefusedError("no SQL statement given")
    if not write:
        for statement in statements:
            if statement.type not in READ_STATEMENTS:
                raise QueryRefusedError(
                    f"{statement.type.name} statements are refused: queries are read-only "
                    "unless you pass --write"
                )
    if params and len(statements) > 1:
        raise QueryRefusedError("parameters (-p) need a single SQL statement")
    with connect(wh, read_only=not write) as con:
        for statement in statements[:-1]:
            con.execute(statement).fetchall()
        cursor = con.execute(statements[-1], params or [])
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall()


def table_counts(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, str]]:
    """(view, rows, description) for every user-facing view."""
    return [
        (view, con.execute(f"SELECT count(*) FROM {view}").fetchall()[0][0], doc)
        for view, doc in VIEW_DOCS.items()
    ]


def _stored_fingerprint(wh: Warehouse) -> str | None:
    if not wh.catalog_file.exists():
        return None
    try:
        with duckdb.connect(str(wh.catalog_file), read_only=True) as con:
            rows = con.execute(
                "SELECT value FROM wirehouse_meta WHERE key = 'views_sha256'"
            ).fetchall()
    except duckdb.Error:
        return None
    return rows[0][0] if rows else None


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
