"""Typed rows: one dataclass per warehouse table, its fields that table's columns.

The steps build these instead of dicts with string keys, so a misspelt column is an error
where it is written. The Arrow schemas (`warehouse/schemas.py`) stay the single source of
truth: `row_of` checks, when each class is defined, that its fields are exactly its table's
columns, and `to_table` builds the table a column at a time from the rows, refusing a
NULL in a required column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from operator import attrgetter
from typing import Any, TypeVar

import pyarrow as pa
from wirehouse.warehouse.schemas import TABLES

T = TypeVar("T")

# table name -> its row class
ROWS: dict[str, type] = {}


def row_of(table: str) -> Callable[[type[T]], type[T]]:
    """Register the row class of `table`, after checking its fields against the schema."""

    def register(cls: type[T]) -> type[T]:
        names = [f.name for f in fields(cls)]  # type: ignore[arg-type]
        columns = TABLES[table].names
        if names != columns:
            missing = sorted(set(columns) - set(names))
            extra = sorted(set(names) - set(columns))
            raise TypeError(
                f"{cls.__name__} does not match the {table} schema: missing {missing}, "
                f"extra {extra}, or another order"
            )
        ROWS[table] = cls
        return cls

    return register


def to_table(rows: Sequence[Any], table: str) -> pa.Table:
    """Rows of `table`'s row class to an Arrow table of its schema, a column at a time."""
    schema, cls = TABLES[table], ROWS[table]
    wrong = next((r for r in rows if type(r) is not cls), None)
    if wrong is not None:
        raise TypeError(f"a {type(wrong).__name__} is not a row of {table} ({cls.__name__})")
    arrays = []
    for field in schema:
        values = list(map(attrgetter(field.name), rows))
        if not field.nullable and None in values:
            raise ValueError(f"{table}.{field.name} is required but a row has none")
        arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=schema)


@row_of("articles")
@dataclass(slots=True, kw_only=True)
class ArticleRow:
    """A row of `articles`."""

    article_id: str | None = None
    source_root: str
    source_path: str
    file_key: int
    record_key: str | None = None
    format: str | None = None
    row_kind: str
    version: int
    title: str | None = None
    lede: str | None = None
    body: str | None = None
    content_sha256: str | None = None
    char_count: int | None = None
    pub_year: int | None = None
    pub_month: int | None = None
    pub_day: int | None = None
    published_date: date | None = None
    date_text: str | None = None
    date_source: str | None = None
    language: str | None = None
    language_prob: float | None = None
    language_evidence: str | None = None
    source: str | None = None
    source_evidence: str | None = None
    url: str | None = None
    byline: str | None = None
    section: str | None = None
    crawl_date: datetime | None = None
    encoding: str | None = None
    encoding_confidence: float | None = None
    had_bom: bool | None = None
    mojibake_fixed: bool | None = None
    decode_errors: int | None = None
    raw_sha256: str | None = None
    file_size: int | None = None
    file_mtime: datetime | None = None
    # Stamped by the batch that stages the row (`build_document` does not know the run);
    # `to_table` refuses a row without them.
    ingested_at: datetime | None = None
    run_id: str | None = None


@row_of("file_events")
@dataclass(slots=True, kw_only=True)
class FileEventRow:
    """A row of `file_events`."""

    run_id: str
    source_root: str
    source_path: str
    event: str
    article_id: str | None = None
    version: int | None = None
    documents: int | None = None
    file_size: int | None = None
    file_mtime_ns: int | None = None
    raw_sha256: str | None = None
    reject_reason: str | None = None
    event_at: datetime


@row_of("rejects")
@dataclass(slots=True, kw_only=True)
class RejectRow:
    """A row of `rejects`."""

    run_id: str
    source_root: str
    source_path: str
    record_key: str | None = None
    reason: str
    error_type: str
    message: str
    file_size: int | None = None
    raw_sha256: str | None = None
    rejected_at: datetime


@row_of("runs")
@dataclass(slots=True, kw_only=True)
class RunRow:
    """A row of `runs`."""

    run_id: str
    flow_run_id: str | None = None
    source_root: str
    parameters: str
    started_at: datetime
    finished_at: datetime
    discovered: int
    new: int
    changed: int
    reprocessed: int
    unchanged: int
    rejected: int
    deleted: int
    ingested: int
    docs_new: int | None = None
    docs_changed: int | None = None
    docs_unchanged: int | None = None
    docs_deleted: int | None = None
    docs_rejected: int | None = None
    wirehouse_version: str


@row_of("quotes")
@dataclass(slots=True, kw_only=True)
class QuoteRow:
    """A row of `quotes`."""

    article_id: str
    quote: str
    speaker: str | None = None
    start_char: int
    end_char: int
    word_count: int
    quote_hash: str
    run_id: str


@row_of("article_features")
@dataclass(slots=True, kw_only=True)
class FeatureRow:
    """A row of `article_features`."""

    article_id: str
    signature: list[int] | None = None
    weekday: int | None = None
    run_id: str


@row_of("article_links")
@dataclass(slots=True, kw_only=True)
class LinkRow:
    """A row of `article_links`."""

    article_id: str
    story_id: str
    duplicate_of: str | None = None
    matched_article_id: str | None = None
    similarity: float | None = None
    link: str | None = None
    run_id: str


@row_of("inferred_dates")
@dataclass(slots=True, kw_only=True)
class InferredDateRow:
    """A row of `inferred_dates`."""

    article_id: str
    pub_year: int
    published_date: date
    date_source: str
    date_confidence: float
    run_id: str
