"""Readers: one module per format, one contract (`tasks/readers/base.py`), chosen by content.

To add a format, write a module with an object that satisfies `base.Reader` and add one
line to `READERS` below. The reader whose `sniff` is surest of a file's first bytes reads
it (the file name is only a hint); `text` reads whatever no other reader claims.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

import wirehouse.tasks.readers.factiva as factiva
import wirehouse.tasks.readers.nexis as nexis
from wirehouse.tasks.errors import RejectError
from wirehouse.tasks.readers import archives, html, records, text, warc
from wirehouse.tasks.readers.base import (
    Document,
    Item,
    Reader,
    ReadOptions,
    RecordReject,
    Skipped,
    Stated,
    in_shard,
)

READERS: tuple[Reader, ...] = (
    # one line per format; on equal sniff scores the earlier reader wins
    records.JSONL,
    records.JSON,
    records.CSV,
    archives.ZIP,
    archives.GZIP,
    archives.TAR,
    nexis.DOCX_READER,
    nexis.HTML_READER,
    nexis.TXT_READER,
    factiva.HTML_READER,
    factiva.XML_READER,
    html.READER,
    warc.READER,
    text.READER,
)

SNIFF_BYTES = 65536  # what a reader sees of a file to decide whether it is its format
# Readers that read a file as a stream, a record or member at a time, so a file larger
# than max_file_bytes is still read (max_file_bytes then bounds each document, and
# max_expanded_bytes the file): tasks/batch.py streams such files from disk.
STREAMING = frozenset({"jsonl", "csv", "warc", "zip", "gzip", "tar"})

__all__ = [
    "READERS",
    "STREAMING",
    "Document",
    "Item",
    "ReadOptions",
    "Reader",
    "RecordReject",
    "Skipped",
    "Stated",
    "choose_reader",
    "formats_markdown",
    "in_shard",
    "read_documents",
    "reader_named",
]


def choose_reader(head: bytes, filename: str) -> Reader:
    """The reader surest that a file starting with `head` is its format."""
    best, best_score = READERS[-1], 0
    for reader in READERS:
        score = reader.sniff(head, filename)
        if score > best_score:
            best, best_score = reader, score
    return best


def reader_named(name: str) -> Reader:
    for reader in READERS:
        if reader.name == name:
            return reader
    known = ", ".join(r.name for r in READERS)
    raise ValueError(f"unknown format {name!r}; known formats: {known}")


def read_documents(
    raw: bytes, filename: str, options: ReadOptions, *, format: str | None = None
) -> Iterator[Item]:
    """The documents and rejected records of one file's bytes (or an archive member's)."""
    reader = reader_named(format) if format else choose_reader(raw[:SNIFF_BYTES], filename)
    if options.depth > options.max_depth:
        raise RejectError(
            "too_deep", f"archives nested deeper than {options.max_depth} (max_depth); not read"
        )
    yield from reader.read(io.BytesIO(raw), filename, options)


def formats_markdown() -> str:
    """The docs/formats.md table of readers (a test keeps the two in step)."""
    rows = ["| format | reads | fields it takes from the container |", "|---|---|---|"]
    for reader in READERS:
        fields = ", ".join(f"`{f}`" for f in reader.fields) or "–"
        rows.append(f"| `{reader.name}` | {reader.description} | {fields} |")
    return "\n".join(rows)
