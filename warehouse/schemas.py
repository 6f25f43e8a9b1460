"""Arrow schemas of the warehouse tables: the one source of truth for writers, views and tests."""

from __future__ import annotations

import pyarrow as pa

UTC_TS = pa.timestamp("us", tz="UTC")

ARTICLES = pa.schema(
    [
        pa.field(
            "article_id",
            pa.string(),
            nullable=False,
            metadata={"doc": "Id of this version of the document (stable across re-runs)."},
        ),
        pa.field(
            "source_root",
            pa.string(),
            nullable=False,
            metadata={"doc": "Absolute ingest root the file was found under."},
        ),
        pa.field(
            "source_path",
            pa.string(),
            nullable=False,
            metadata={"doc": "Path relative to the ingest root."},
        ),
        pa.field(
            "version",
            pa.int32(),
            nullable=False,
            metadata={"doc": "1 for the first content seen at this path, +1 per change."},
        ),
        pa.field("title", pa.string()),
        pa.field("lede", pa.string(), metadata={"doc": "Standfirst under the title, if any."}),
        pa.field(
            "body",
            pa.string(),
            nullable=False,
            metadata={"doc": "Normalized text without outlet chrome, title and lede."},
        ),
        pa.field(
            "content_sha256",
            pa.string(),
            nullable=False,
            metadata={"doc": "SHA-256 of the normalized title + body."},
        ),
        pa.field("char_count", pa.int32(), nullable=False),
        pa.field("pub_year", pa.int16()),
        pa.field("pub_month", pa.int8()),
        pa.field("pub_day", pa.int8()),
        pa.field(
            "published_date",
            pa.date32(),
            metadata={"doc": "Set only when year, month and day are all stated."},
        ),
        pa.field("date_text", pa.string(), metadata={"doc": "The text the date was read from."}),
        pa.field(
            "date_source",
            pa.string(),
            metadata={"doc": "Where the date came from: dateline, header or invalid."},
        ),
        pa.field("language", pa.string(), metadata={"doc": "ISO 639-1 code from langdetect."}),
        pa.field("language_prob", pa.float32()),
        pa.field("source", pa.string(), metadata={"doc": "Outlet slug; NULL when unknown."}),
        pa.field(
            "source_evidence",
            pa.string(),
            metadata={"doc": "Why: rule and matched text, e.g. 'dateline:/TASS/'."},
        ),
        pa.field(
            "encoding",
            pa.string(),
            nullable=False,
            metadata={"doc": "Detected encoding of the raw bytes."},
        ),
        pa.field("had_bom", pa.bool_(), nullable=False),
        pa.field("mojibake_fixed", pa.bool_(), nullable=False),
        pa.field(
            "decode_errors",
            pa.int32(),
            nullable=False,
            metadata={"doc": "Bytes replaced with U+FFFD while decoding."},
        ),
        pa.field("raw_sha256", pa.string(), nullable=False),
        pa.field("file_size", pa.int64(), nullable=False),
        pa.field("file_mtime", UTC_TS, nullable=False),
        pa.field("ingested_at", UTC_TS, nullable=False),
        pa.field("run_id", pa.string(), nullable=False),
    ]
)

# One row per file whose state changed in a run (unchanged files add nothing). The latest
# event per (source_root, source_path) is the file's current state: the `manifest` view.
FILE_EVENTS = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("source_root", pa.string(), nullable=False),
        pa.field("source_path", pa.string(), nullable=False),
        pa.field(
            "event",
            pa.string(),
            nullable=False,
            metadata={"doc": "new | changed | reprocessed | touched | rejected | deleted"},
        ),
        pa.field(
            "article_id",
            pa.string(),
            metadata={"doc": "The live article version after this event, if any."},
        ),
        pa.field("version", pa.int32()),
        pa.field("file_size", pa.int64()),
        pa.field("file_mtime_ns", pa.int64()),
        pa.field("raw_sha256", pa.string()),
        pa.field("reject_reason", pa.string()),
        pa.field("event_at", UTC_TS, nullable=False),
    ]
)

REJECTS = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("source_root", pa.string(), nullable=False),
        pa.field("source_path", pa.string(), nullable=False),
        pa.field(
            "reason",
            pa.string(),
            nullable=False,
            metadata={"doc": "Stable machine-readable code, e.g. binary, empty, too_large."},
        ),
        pa.field("error_type", pa.string(), nullable=False),
        pa.field("message", pa.string(), nullable=False),
        pa.field("file_size", pa.int64()),
        pa.field("raw_sha256", pa.string()),
        pa.field("rejected_at", UTC_TS, nullable=False),
    ]
)

RUNS = pa.schema(
    [
        pa.field("run_id", pa.string(), nullable=False),
        pa.field("flow_run_id", pa.string()),
        pa.field("source_root", pa.string(), nullable=False),
        pa.field("parameters", pa.string(), nullable=False, metadata={"doc": "JSON."}),
        pa.field("started_at", UTC_TS, nullable=False),
        pa.field("finished_at", UTC_TS, nullable=False),
        pa.field("discovered", pa.int64(), nullable=False),
        pa.field("new", pa.int64(), nullable=False),
        pa.field("changed", pa.int64(), nullable=False),
        pa.field("reprocessed", pa.int64(), nullable=False),
        pa.field("unchanged", pa.int64(), nullable=False),
        pa.field("rejected", pa.int64(), nullable=False),
        pa.field("deleted", pa.int64(), nullable=False),
        pa.field(
            "ingested", pa.int64(), nullable=False, metadata={"doc": "new + changed + reprocessed"}
        ),
        pa.field("wirehouse_version", pa.string(), nullable=False),
    ]
)

# Physical tables: each committed run folder holds `<table>-*.parquet` parts of these.
TABLES: dict[str, pa.Schema] = {
    "articles": ARTICLES,
    "file_events": FILE_EVENTS,
    "rejects": REJECTS,
    "runs": RUNS,
}


def column_docs(schema: pa.Schema) -> dict[str, str]:
    """Column -> description, from the schema's field metadata (used by the README test)."""
    return {f.name: (f.metadata or {}).get(b"doc", b"").decode() for f in schema}
