"""Arrow schemas of the warehouse tables: the one source of truth for writers, views and docs.

Every column carries its description in the field metadata; `python -m wirehouse.warehouse.schemas`
prints the docs/tables.md table reference from it (a test keeps the two in step).

The `articles` parts also hold tombstones (a file deleted, or rejected after it had been
ingested), so that the `articles` and `article_versions` views read one table only, which
with a snapshot of the committed runs keeps each view consistent while a run commits.
Content columns are NULL on tombstones only; the views never show tombstones.
"""

from __future__ import annotations

import pyarrow as pa

UTC_TS = pa.timestamp("us", tz="UTC")


def _col(name: str, dtype: pa.DataType, doc: str, *, required: bool = False) -> pa.Field:
    return pa.field(name, dtype, nullable=not required, metadata={"doc": doc})


def _run_id() -> pa.Field:
    return _col("run_id", pa.string(), "The ingest run that wrote the row.", required=True)


def _root() -> pa.Field:
    return _col("source_root", pa.string(), "Absolute ingest folder.", required=True)


def _path() -> pa.Field:
    return _col("source_path", pa.string(), "File path relative to `source_root`.", required=True)


ARTICLES = pa.schema(
    [
        _col(
            "article_id",
            pa.string(),
            "Id of this version of the file's article; the same on every re-run.",
        ),
        _root(),
        _path(),
        _col(
            "file_key",
            pa.int64(),
            "64-bit hash of source_root, source_path and record_key: the join key of the views.",
            required=True,
        ),
        _col(
            "record_key",
            pa.string(),
            "Which document of a file with many (a JSON id, a URL, an archive member, an "
            "export's document id or content hash); NULL when the file is one article.",
        ),
        _col(
            "format",
            pa.string(),
            "The reader that read it: `text`, `html`, `jsonl`, `warc`, `zip`, `nexis`, … "
            "(`wirehouse formats`).",
        ),
        _col(
            "row_kind",
            pa.string(),
            "`article`; or a tombstone, `deleted` / `rejected`, that ends the file's last "
            "version (tombstones have no content and are hidden by the views).",
            required=True,
        ),
        _col(
            "version",
            pa.int32(),
            "1 for the first content seen at the path, then +1 with every change, forced "
            "reprocessing, deletion or rejection of the file.",
            required=True,
        ),
        _col("title", pa.string(), "Headline, when the layout shows one; else NULL."),
        _col("lede", pa.string(), "Standfirst between headline and dateline, if any."),
        _col(
            "body",
            pa.string(),
            "Normalized text without chrome, headline, lede and sign-off (the dateline stays).",
        ),
        _col(
            "content_sha256",
            pa.string(),
            "SHA-256 of title and body: the same article in any encoding has the same hash.",
        ),
        _col("char_count", pa.int32(), "Characters in `body`."),
        _col(
            "pub_year",
            pa.int16(),
            "Publication year, when the text states it (in the `articles` view also the year "
            "of a date inferred from the story, as for `published_date`).",
        ),
        _col("pub_month", pa.int8(), "Publication month, when stated."),
        _col("pub_day", pa.int8(), "Publication day of month, when stated."),
        _col(
            "published_date",
            pa.date32(),
            "Publication date, only when year, month and day are all stated; in the "
            "`articles` view also a date inferred from the article's story with confidence "
            "≥ 0.8 (never a weaker guess: those stay in `inferred_dates`).",
        ),
        _col("date_text", pa.string(), "The dateline or header text the date was read from."),
        _col(
            "date_source",
            pa.string(),
            "`dateline`, `header`, or `invalid` (a stated date that cannot exist); in the "
            "`articles` view also `inferred:story` when that fills `published_date`; NULL "
            "when none.",
        ),
        _col(
            "language",
            pa.string(),
            "langdetect code (ISO 639-1, or `zh-cn`/`zh-tw`); NULL for too little text.",
        ),
        _col("language_prob", pa.float32(), "langdetect's probability for `language`."),
        _col(
            "language_evidence",
            pa.string(),
            "`text` (langdetect decided), or `text+outlet:<slug>` when langdetect was unsure "
            "(probability < 0.9, or too little text) and the outlet's languages chose among "
            "the languages it proposed; NULL without a language.",
        ),
        _col("source", pa.string(), "Outlet slug (`tass`, `reuters`, …); NULL when unknown."),
        _col(
            "source_evidence",
            pa.string(),
            "Why that outlet: `chrome`, `signoff`, "
            "`dateline:<text>`, `folder:<dir>` or `override`.",
        ),
        _col("url", pa.string(), "The document's URL, where its container states one."),
        _col("byline", pa.string(), "Author line, where the container states one."),
        _col("section", pa.string(), "Section or category, where the container states one."),
        _col(
            "crawl_date",
            UTC_TS,
            "When a crawler fetched the page (`WARC-Date`): never taken as its publication date.",
        ),
        _col(
            "encoding",
            pa.string(),
            "Encoding the raw bytes were decoded from; NULL for text a reader decoded (HTML, "
            "JSON, exports).",
        ),
        _col(
            "encoding_confidence",
            pa.float32(),
            "How sure that choice is, 0-1: 1 for a BOM, valid UTF-8 or UTF-16; for a legacy "
            "code page (1 - chaos) x plausibility x separation from the closest rival reading.",
        ),
        _col("had_bom", pa.bool_(), "The file started with a byte-order mark."),
        _col("mojibake_fixed", pa.bool_(), "ftfy repaired mis-decoded text."),
        _col("decode_errors", pa.int32(), "Bytes replaced by U+FFFD while decoding."),
        _col("raw_sha256", pa.string(), "SHA-256 of the file's bytes."),
        _col("file_size", pa.int64(), "File size in bytes."),
        _col("file_mtime", UTC_TS, "File modification time."),
        _col("ingested_at", UTC_TS, "Start of the run that ingested this version.", required=True),
        _run_id(),
    ]
)

FILE_EVENTS = pa.schema(
    [
        _run_id(),
        _root(),
        _path(),
        _col(
            "event",
            pa.string(),
            "`new`, `changed`, `reprocessed`, `touched` (mtime only), `rejected` or `deleted`.",
            required=True,
        ),
        _col(
            "article_id",
            pa.string(),
            "The live article version after the event; NULL when the file is rejected or deleted.",
        ),
        _col("version", pa.int32(), "Article version after the event."),
        _col(
            "documents",
            pa.int32(),
            "For a file of many documents: how many are live after the event; else NULL.",
        ),
        _col("file_size", pa.int64(), "Size when the event was recorded."),
        _col("file_mtime_ns", pa.int64(), "Modification time (ns) when recorded."),
        _col("raw_sha256", pa.string(), "SHA-256 of the bytes, when read."),
        _col("reject_reason", pa.string(), "For `rejected`: the reason code."),
        _col("event_at", UTC_TS, "When the event was recorded.", required=True),
    ]
)

REJECTS = pa.schema(
    [
        _run_id(),
        _root(),
        _path(),
        _col(
            "record_key",
            pa.string(),
            "The rejected record of a file of many documents; NULL when the whole file was.",
        ),
        _col(
            "reason",
            pa.string(),
            "Stable code: `empty`, `binary`, `too_large`, `no_text`, "
            "`undecodable`, `unreadable`, `vanished`, … (see below).",
            required=True,
        ),
        _col("error_type", pa.string(), "Exception class behind the rejection.", required=True),
        _col("message", pa.string(), "What went wrong, for a human.", required=True),
        _col("file_size", pa.int64(), "Size in bytes, when known."),
        _col("raw_sha256", pa.string(), "SHA-256 of the bytes, when they were read."),
        _col("rejected_at", UTC_TS, "Start of the run.", required=True),
    ]
)

RUNS = pa.schema(
    [
        _run_id(),
        _col("flow_run_id", pa.string(), "Prefect flow run id (find the run in the UI)."),
        _root(),
        _col("parameters", pa.string(), "Effective settings of the run, as JSON.", required=True),
        _col("started_at", UTC_TS, "Run start, once it holds the writer lock.", required=True),
        _col("finished_at", UTC_TS, "Run end (commit).", required=True),
        _col("discovered", pa.int64(), "Files found under the source folder.", required=True),
        _col("new", pa.int64(), "First seen, ingested.", required=True),
        _col("changed", pa.int64(), "Bytes changed, ingested as a new version.", required=True),
        _col("reprocessed", pa.int64(), "Unchanged but ingested again (`force`).", required=True),
        _col(
            "unchanged", pa.int64(), "Skipped: same size and mtime, or same bytes.", required=True
        ),
        _col("rejected", pa.int64(), "Could not be ingested; see `rejects`.", required=True),
        _col("deleted", pa.int64(), "Gone from the source since the last run.", required=True),
        _col("ingested", pa.int64(), "new + changed + reprocessed.", required=True),
        _col("docs_new", pa.int64(), "Documents (articles) first seen in the files read."),
        _col("docs_changed", pa.int64(), "Documents whose content changed: a new version."),
        _col(
            "docs_unchanged",
            pa.int64(),
            "Documents of changed or forced files whose content did not change (no new row).",
        ),
        _col(
            "docs_deleted",
            pa.int64(),
            "Documents gone: removed from their file, or their file deleted or rejected.",
        ),
        _col("docs_rejected", pa.int64(), "Records that could not be read; see `rejects`."),
        _col(
            "wirehouse_version", pa.string(), "Wirehouse version that wrote the run.", required=True
        ),
    ]
)


def _article_id(doc: str = "The article version the row is about.") -> pa.Field:
    return _col("article_id", pa.string(), doc, required=True)


QUOTES = pa.schema(
    [
        _article_id("The article version quoting."),
        _col("quote", pa.string(), "The quotation, without its quote marks.", required=True),
        _col(
            "speaker",
            pa.string(),
            "Who the text says is speaking (`Lavrov`, `the ministry`); NULL when unstated.",
        ),
        _col(
            "start_char", pa.int32(), "Offset of the opening quote mark in `body`.", required=True
        ),
        _col("end_char", pa.int32(), "Offset just after the closing mark.", required=True),
        _col("word_count", pa.int32(), "Words in the quotation.", required=True),
        _col(
            "quote_hash",
            pa.string(),
            "Hash of the quotation's words (case, punctuation and quote marks ignored): "
            "equal for the same quote in any outlet.",
            required=True,
        ),
        _run_id(),
    ]
)

ARTICLE_FEATURES = pa.schema(
    [
        _article_id(),
        _col(
            "signature",
            pa.list_(pa.uint32()),
            "MinHash of the article's word set (64 permutations), for story matching.",
        ),
        _col(
            "weekday",
            pa.int8(),
            "Weekday the lead paragraph names (`on Friday`: 4, Monday = 0), if any.",
        ),
        _run_id(),
    ]
)

ARTICLE_LINKS = pa.schema(
    [
        _article_id(),
        _col("story_id", pa.string(), "The story the article belongs to.", required=True),
        _col(
            "duplicate_of",
            pa.string(),
            "The first article with identical content (title and body), if this one repeats it.",
        ),
        _col("matched_article_id", pa.string(), "The article that brought it into its story."),
        _col("similarity", pa.float32(), "Estimated word-set Jaccard similarity to that article."),
        _col(
            "link",
            pa.string(),
            "Its strongest link to `matched_article_id`: `duplicate`, `near_duplicate`, "
            "`shared_quote` or `same_event`; NULL for an article alone in its story.",
        ),
        _run_id(),
    ]
)

INFERRED_DATES = pa.schema(
    [
        _article_id(),
        _col("pub_year", pa.int16(), "The inferred year.", required=True),
        _col("published_date", pa.date32(), "The inferred date.", required=True),
        _col("date_source", pa.string(), "`inferred:story` or `inferred:weekday`.", required=True),
        _col("date_confidence", pa.float32(), "0-1: how sure the inference is.", required=True),
        _run_id(),
    ]
)

# Physical tables: each committed run folder holds `<table>-*.parquet` parts of these.
TABLES: dict[str, pa.Schema] = {
    "articles": ARTICLES,
    "file_events": FILE_EVENTS,
    "rejects": REJECTS,
    "runs": RUNS,
    "quotes": QUOTES,
    "article_features": ARTICLE_FEATURES,
    "article_links": ARTICLE_LINKS,
    "inferred_dates": INFERRED_DATES,
}


def column_docs(schema: pa.Schema) -> dict[str, str]:
    """Column -> description, from the schema's field metadata."""
    return {f.name: f.metadata[b"doc"].decode() for f in schema}


# Columns of the Parquet parts that the views do not show.
HIDDEN_COLUMNS = {"articles": {"row_kind", "file_key"}}

# Columns the `articles` view adds from the story links and inferred dates.
ARTICLES_VIEW_EXTRA = {
    "date_confidence": (
        "DOUBLE",
        "1 for a stated date; 0.8-1 for a date inferred from the story (then "
        "`date_source` is `inferred:story`); NULL when `published_date` is NULL.",
    ),
    "story_id": ("VARCHAR", "The story (see `stories`) the article belongs to."),
    "duplicate_of": (
        "VARCHAR",
        "The first article with identical title and body, if this one repeats it: "
        "`WHERE duplicate_of IS NULL` counts each text once.",
    ),
}
# Physical tables read by the pipeline only, without a view.
INTERNAL_TABLES = {"article_features"}


def markdown_reference() -> str:
    """The docs/tables.md column reference: one table per physical table, as the views show it."""
    parts = []
    for table, schema in TABLES.items():
        if table in INTERNAL_TABLES:
            continue
        parts += [f"#### `{table}`", "", "| column | type | meaning |", "|---|---|---|"]
        parts += [
            f"| `{f.name}` | {_type_name(f.type)} | {column_docs(schema)[f.name]} |"
            for f in schema
            if f.name not in HIDDEN_COLUMNS.get(table, ())
        ]
        if table == "articles":
            parts += [f"| `{n}` | {t} | {doc} |" for n, (t, doc) in ARTICLES_VIEW_EXTRA.items()]
        parts.append("")
    return "\n".join(parts).strip() + "\n"


def _type_name(dtype: pa.DataType) -> str:
    names = {
        pa.string(): "VARCHAR",
        pa.int16(): "SMALLINT",
        pa.int8(): "TINYINT",
        pa.int32(): "INTEGER",
        pa.int64(): "BIGINT",
        pa.float32(): "FLOAT",
        pa.bool_(): "BOOLEAN",
        pa.date32(): "DATE",
        pa.list_(pa.uint32()): "UINTEGER[]",
        UTC_TS: "TIMESTAMPTZ",
    }
    return names[dtype]


if __name__ == "__main__":
    print(markdown_reference(), end="")
