"""The reader contract: one file's bytes in, documents (or rejected records) out.

A reader turns a file (or an archive member) into `Document`s: the article text, or the
bytes still to decode, plus what the container *states* about it (`Stated`: title, date,
outlet, URL, byline, section, language, crawl date), each with the place it was read
(`evidence`, e.g. `field:date_publish`, `html:htmldate`, `export:header`). The steps after
the reader weigh that evidence against what the text itself gives.

A document's `record_key` is stable within its file: the dump's own id, else its URL, else
a hash of its content; never its position alone, so adding or removing one record
elsewhere in the file changes no other key. A file that is a single document (a plain
text file, one saved HTML page) has `record_key = None`.

One bad record is a `RecordReject` (reason code and message); the reader goes on with the
rest of the file. A file that is not of the reader's format at all raises `RejectError`.

A huge container is read by several batches at once, each taking one shard of its records
(`ReadOptions.shard`, decided by `in_shard` from the record key alone, so every occurrence
of a key, and its earlier versions, fall in the same shard). A reader may skip the costly
part of a record another shard takes (extracting an HTML page) by yielding `Skipped` in its
place; the batch step drops every item of another shard in any case.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import BinaryIO, Protocol

from wirehouse.tasks.defaults import MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_EXPANDED_BYTES, MAX_MEMBERS


@dataclass(frozen=True, slots=True)
class Stated:
    """What the container says about one document; None where it says nothing."""

    title: str | None = None
    published: date | None = None  # a publication date the container states
    outlet: str | None = None  # the outlet's name as written ("TASS", "The Moscow Times")
    url: str | None = None
    byline: str | None = None
    section: str | None = None
    language: str | None = None  # as written ("en", "de-DE", "English")
    crawl_date: datetime | None = None  # when a crawler fetched it (WARC-Date); never published
    # field name above -> where it was read: "field:date_publish", "html:htmldate", …
    evidence: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Document:
    """One article as a reader found it."""

    record_key: str | None  # stable within the file; None when the file is one document
    format: str  # the reader's name: "text", "html", "jsonl", "warc", "nexis", …
    text: str | None = None  # the article's text, already decoded (records, exports, HTML)
    raw: bytes | None = None  # or its bytes, still to decode (plain text files and members)
    stated: Stated = field(default_factory=Stated)
    member: str | None = None  # its path inside an archive ("dump.zip/2020/a.json")


@dataclass(frozen=True, slots=True)
class RecordReject:
    """A record of the file that could not be read; the rest of the file still lands."""

    record_key: str | None  # what identifies the record, as far as it could be read
    reason: str  # closed code: bad_record, no_text, too_large, duplicate_key, unsplittable …
    message: str  # one line naming the record and what is wrong


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """What readers need besides the bytes; small and picklable."""

    latest: date  # the newest acceptable publication date (the run's day)
    field_map: tuple[tuple[str, str], ...] = ()  # ("text", "maintext"): ours -> the dump's
    max_document_bytes: int = MAX_DOCUMENT_BYTES  # one document's text or bytes
    max_expanded_bytes: int = MAX_EXPANDED_BYTES  # all members of an archive, decompressed
    max_members: int = MAX_MEMBERS  # members of one archive
    max_depth: int = MAX_DEPTH  # archives inside archives
    depth: int = 0  # how deep the reader is called (archives pass depth + 1 down)
    shard: tuple[int, int] = (0, 1)  # (this one, of how many): the records this read takes


@dataclass(frozen=True, slots=True)
class Skipped:
    """A record another shard of the file reads: left unread here (see `in_shard`)."""

    record_key: str


Item = Document | RecordReject | Skipped


def in_shard(key: str | None, shard: tuple[int, int]) -> bool:
    """Whether the record with this key belongs to `shard`: a stable hash of the key
    (CRC-32, the same in every process), so shards split a file's records evenly and a
    key always lands in the same one; a record with no key (a line that is not JSON)
    goes to the first shard."""
    index, count = shard
    if count <= 1:
        return True
    if key is None:
        return index == 0
    return zlib.crc32(key.encode("utf-8", "surrogatepass")) % count == index


class Reader(Protocol):
    """One format. Adding a format is one module with one of these and one line in
    `tasks/readers/__init__.py`."""

    name: str  # "html", "jsonl", …
    description: str  # one line for `wirehouse formats`
    fields: tuple[str, ...]  # what it reads from the container: "title", "published", …

    def sniff(self, head: bytes, filename: str) -> int:
        """How sure this reader is that a file starting with `head` is its format:
        0 = not mine; higher wins. The file name is only a hint."""
        ...

    def read(self, stream: BinaryIO, filename: str, options: ReadOptions) -> Iterator[Item]:
        """The documents and rejected records of one file, in file order."""
        ...
