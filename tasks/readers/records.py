"""Record dumps: JSON Lines, JSON (an array, a dump object, or one article), and CSV/TSV.

Each record is one article. Its fields are mapped to ours (text, title, published, url,
outlet, byline, section, language, id) by `ReadOptions.field_map` first and by the default
names below second (news-please, its older schema, Media Cloud, and the usual names), keys
compared case-insensitively; a dotted name in `field_map` ("source.name") reaches into a
nested object. The text is kept as the record has it, paragraph breaks and all.

A record's key is its id field, else its URL, else `sha256:` and the first 16 hex digits of
a hash of its title and text: never its line number, so adding or removing a record
elsewhere changes no other key. A key seen twice in one file rejects the later record
(`duplicate_key`). A file that is one JSON object (one news-please article) is one document
with `record_key = None`.

Memory: JSON Lines is read line by line with `readline(limit)`, so a line over
`max_document_bytes` is skipped in bounded chunks (`too_large`) and never held whole; CSV is
read with the csv module over a text wrapper, its field size limit at `max_document_bytes`.
JSON (not Lines) is parsed whole: a JSON file over `JSON_FILE_FACTOR × max_document_bytes`
is rejected (`too_large`) unread; write dumps that large as JSON Lines.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import hashlib
import io
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Any, BinaryIO

from wirehouse.tasks.errors import RejectError
from wirehouse.tasks.readers.base import Document, Item, ReadOptions, RecordReject, Stated

JSON_FILE_FACTOR = 4  # a JSON (not Lines) file may be up to 4 × max_document_bytes
SKIP_CHUNK = 1 << 16  # how much of an over-long line is read at a time while skipping it
CSV_SAMPLE = 65536  # what csv.Sniffer sees to guess the delimiter

# What the record readers take from a record besides its text and id (for `wirehouse formats`).
STATED_FIELDS = ("title", "published", "url", "outlet", "byline", "section", "language")
OURS = ("text", "title", "published", "url", "outlet", "byline", "section", "language", "id")

# Ours -> the dump's names, tried in this order; the first with a value wins.
DEFAULT_FIELDS: dict[str, tuple[str, ...]] = {
    "text": ("maintext", "text", "body", "content", "article"),
    "title": ("title", "headline"),
    "published": ("date_publish", "publish_date", "published", "date", "pubdate", "datetime"),
    "url": ("url", "link"),
    "outlet": ("outlet", "media_name", "source_domain", "publication", "source", "media"),
    "byline": ("authors", "author", "byline"),
    "section": ("section", "category"),
    "language": ("language", "lang"),
    "id": ("id", "guid", "uuid"),
}
# Keys of a JSON object under which a dump keeps its list of articles.
DUMP_KEYS = ("articles", "stories", "data", "items", "results", "sample", "records", "documents")

_BINARY_MAGIC = (b"PK\x03\x04", b"\x1f\x8b", b"%PDF", b"WARC/", b"\x89PNG", b"BZh", b"\xfd7zXZ")
_JSON_START = re.compile(rb"\A\s*(?:\{\s*(?:\"|\}|\Z)|\[\s*(?:\{|\]|\Z))")
_KEY_IN_LINE = re.compile(rb'"(?:id|guid|uuid|url|link)"\s*:\s*"((?:[^"\\]|\\.){1,500})"', re.I)
_DATE_PREFIX = re.compile(r"\A\s*(\d{4})-(\d{2})-(\d{2})")


# ---------------------------------------------------------------------------- mapping


class FieldMap:
    """Which of a record's fields hold our fields, for one `field_map`."""

    def __init__(self, field_map: Iterable[tuple[str, str]] = ()) -> None:
        overrides: dict[str, list[str]] = {}
        for ours, theirs in field_map:
            if ours not in OURS:
                known = ", ".join(OURS)
                raise ValueError(f"field_map: unknown field {ours!r}; ours are {known}")
            overrides.setdefault(ours, []).append(theirs.lower())
        self.names: dict[str, tuple[str, ...]] = {
            ours: tuple(overrides.get(ours, DEFAULT_FIELDS[ours])) for ours in OURS
        }

    def find(self, record: Mapping[str, Any]) -> dict[str, tuple[str, Any]]:
        """Ours -> (the record's field name as written, its value), where it has one."""
        lowered = {str(k).lower(): (str(k), v) for k, v in record.items()}
        found: dict[str, tuple[str, Any]] = {}
        for ours, names in self.names.items():
            for name in names:
                hit = _lookup(lowered, name)
                if hit is None:
                    continue
                value = _text_value(hit[1], joiner="\n\n" if ours == "text" else ", ")
                if value is not None:
                    found[ours] = (hit[0], value)
                    break
        return found

    def has_text_field(self, record: Mapping[str, Any]) -> bool:
        lowered = {str(k).lower(): (str(k), v) for k, v in record.items()}
        return any(_lookup(lowered, name) is not None for name in self.names["text"])


def _lookup(lowered: Mapping[str, tuple[str, Any]], name: str) -> tuple[str, Any] | None:
    if name in lowered:
        return lowered[name]
    if "." not in name:
        return None
    head, _, rest = name.partition(".")
    if head not in lowered or not isinstance(lowered[head][1], Mapping):
        return None
    inner = {str(k).lower(): (str(k), v) for k, v in lowered[head][1].items()}
    hit = _lookup(inner, rest)
    return None if hit is None else (f"{lowered[head][0]}.{hit[0]}", hit[1])


def _text_value(value: Any, joiner: str) -> str | None:
    """A field's value as one string, or None when it says nothing."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        parts = [p for p in (_text_value(v, joiner) for v in value) if p is not None]
        return joiner.join(p.strip() for p in parts) if parts else None
    if isinstance(value, Mapping):  # {"name": "Reuters", "id": …}
        return _text_value(value.get("name"), joiner)
    return None


def parse_date(value: str) -> date | None:
    """The day of an ISO 8601, `YYYY-MM-DD HH:MM:SS` or RFC 2822 date; None if unreadable.
    The day is the one of the stated offset (not converted to UTC)."""
    value = value.strip()
    if not value:
        return None
    iso = value[:-1] + "+00:00" if value[-1:] in "Zz" else value
    try:
        return datetime.fromisoformat(iso).date()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError, IndexError):
        pass
    if match := _DATE_PREFIX.match(value):  # "2017-07-17 17:03:00 UTC", "2017-07-17T17:03"
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            return None
    return None


def hash_key(title: str | None, text: str) -> str:
    digest = hashlib.sha256(json.dumps([title, text], ensure_ascii=False).encode("utf-8"))
    return "sha256:" + digest.hexdigest()[:16]


class _Records:
    """Turns a file's records into Documents: mapping, keys, duplicates, size limits."""

    def __init__(self, fmt: str, filename: str, options: ReadOptions) -> None:
        self.fmt, self.filename, self.options = fmt, filename, options
        self.fields = FieldMap(options.field_map)
        self.seen: set[str] = set()

    def key_of(self, found: Mapping[str, tuple[str, Any]]) -> str | None:
        for ours in ("id", "url"):
            if ours in found:
                return found[ours][1].strip()
        return None

    def item(self, record: Any, where: str, *, single: bool = False) -> Item:
        """One record (a dict) -> a Document or a RecordReject; `where` names it."""
        if not isinstance(record, Mapping):
            kind = type(record).__name__
            return RecordReject(
                None, "bad_record", f"{self.filename}: {where} is a JSON {kind}, not an object"
            )
        found = self.fields.find(record)
        text = found.get("text", (None, None))[1]
        title = found.get("title", (None, None))[1]
        key = self.key_of(found)
        if text is None:
            names = "/".join(self.fields.names["text"])
            seen = ", ".join(list(map(str, record))[:12])
            return RecordReject(
                key,
                "no_text",
                f"{self.filename}: {where} has no text (looked for {names}; fields: {seen})",
            )
        size = len(text.encode("utf-8", "surrogatepass"))
        if size > self.options.max_document_bytes:
            return RecordReject(
                key,
                "too_large",
                f"{self.filename}: {where} has {size:,} bytes of text, over "
                f"max_document_bytes ({self.options.max_document_bytes:,})",
            )
        if key is None:
            key = hash_key(title.strip() if title else None, text)
        if key in self.seen:
            return RecordReject(
                key,
                "duplicate_key",
                f"{self.filename}: {where} repeats the record key {key!r} of an earlier record",
            )
        self.seen.add(key)
        return Document(
            record_key=None if single else key,
            format=self.fmt,
            text=text,
            stated=self.stated(found),
        )

    def stated(self, found: Mapping[str, tuple[str, Any]]) -> Stated:
        values: dict[str, Any] = {}
        evidence: dict[str, str] = {}
        for ours in ("title", "url", "outlet", "byline", "section", "language"):
            if ours in found:
                values[ours] = " ".join(found[ours][1].split())
                evidence[ours] = f"field:{found[ours][0]}"
        if "published" in found and (day := parse_date(found["published"][1])) is not None:
            values["published"] = day
            evidence["published"] = f"field:{found['published'][0]}"
        return Stated(**values, evidence=evidence)


# ---------------------------------------------------------------------------- sniffing


def _is_binary_or_markup(head: bytes) -> bool:
    body = head.removeprefix(codecs.BOM_UTF8).lstrip()
    return (
        head.startswith(_BINARY_MAGIC)
        or b"\x00" in head[:4096]
        or body[:1] == b"<"
        or body.startswith(b"WARC/")
    )


def _lines(head: bytes, count: int) -> list[tuple[bytes, bool]]:
    """The first `count` non-empty lines of the head, each with whether it is complete."""
    found: list[tuple[bytes, bool]] = []
    for raw in head.removeprefix(codecs.BOM_UTF8).splitlines(keepends=True):
        complete = raw.endswith((b"\n", b"\r"))
        if raw.strip():
            found.append((raw.strip(), complete))
            if len(found) == count:
                break
    return found


def _json_object(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _one_line_dump(line: bytes) -> bool:
    """Whether a line is a whole dump object ({"stories": [...]}, minified)."""
    try:
        data = json.loads(line)
    except ValueError:
        return False
    return isinstance(data, dict) and _dump_list(data, FieldMap()) is not None


def _looks_jsonl(head: bytes, filename: str) -> bool:
    if _is_binary_or_markup(head):
        return False
    lines = _lines(head, 2)
    if not lines or not lines[0][0].startswith(b"{"):
        return False
    hinted = filename.lower().endswith((".jsonl", ".ndjson", ".jl", ".jsonlines"))
    first = lines[0][0]
    if len(lines) == 1:  # one line: JSON Lines, unless named .json or a dump object
        if hinted:
            return True
        named_json = filename.lower().endswith(".json")
        return _json_object(first) and not named_json and not _one_line_dump(first)
    if not _json_object(first):
        return False
    second, second_complete = lines[1]
    if second_complete:
        return _json_object(second)
    return second.startswith(b"{")


# ---------------------------------------------------------------------------- JSON Lines


class JsonLinesReader:
    name = "jsonl"
    description = "JSON Lines: one JSON object (article) a line, e.g. news-please or CC-News dumps"
    fields = STATED_FIELDS

    def sniff(self, head: bytes, filename: str) -> int:
        return 12 if _looks_jsonl(head, filename) else 0

    def read(self, stream: BinaryIO, filename: str, options: ReadOptions) -> Iterator[Item]:
        records = _Records(self.name, filename, options)
        limit = options.max_document_bytes
        number, nonblank = 0, 0
        while True:
            line = stream.readline(limit + 1)
            if not line:
                break
            number += 1
            if number == 1:
                line = line.removeprefix(codecs.BOM_UTF8)
            if len(line) > limit and not line.endswith(b"\n"):
                nonblank += 1
                key, size = _key_in_line(line), len(line)
                del line  # not held while the rest of it is skipped
                size += _skip_line(stream)
                yield RecordReject(
                    key,
                    "too_large",
                    f"{filename}: line {number} has {size:,} bytes, over max_document_bytes "
                    f"({limit:,}); not read",
                )
                continue
            if not line.strip():
                continue
            nonblank += 1
            try:
                record = json.loads(line)
            except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
                yield RecordReject(
                    _key_in_line(line),
                    "bad_record",
                    f"{filename}: line {number} is not valid JSON ({_short(exc)})",
                )
                continue
            yield records.item(record, f"line {number}")
        if nonblank == 0:
            raise RejectError("empty", f"{filename}: no records (the file has no non-blank line)")


def _skip_line(stream: BinaryIO) -> int:
    """Read past the rest of an over-long line in bounded chunks; the bytes skipped."""
    skipped = 0
    while chunk := stream.readline(SKIP_CHUNK):
        skipped += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return skipped


def _key_in_line(line: bytes) -> str | None:
    match = _KEY_IN_LINE.search(line[:65536])
    if not match:
        return None
    try:
        return json.loads(b'"' + match[1] + b'"')
    except ValueError:
        return None


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 120 else text[:117] + "..."


# ---------------------------------------------------------------------------- JSON


class JsonReader:
    name = "json"
    description = (
        "JSON: an array of articles, a dump object ({'stories': [...]}, Media Cloud), "
        "or one article (news-please)"
    )
    fields = STATED_FIELDS

    def sniff(self, head: bytes, filename: str) -> int:
        if _is_binary_or_markup(head) or _looks_jsonl(head, filename):
            return 0
        body = head.removeprefix(codecs.BOM_UTF8)
        if not _JSON_START.match(body):
            return 0
        from wirehouse.tasks.readers import SNIFF_BYTES

        if len(head) < SNIFF_BYTES:  # the whole file: it must parse
            try:
                json.loads(body)
            except ValueError as exc:
                if not str(exc).startswith("Extra data"):  # JSON Lines of pretty objects
                    return 0
        return 10

    def read(self, stream: BinaryIO, filename: str, options: ReadOptions) -> Iterator[Item]:
        bound = JSON_FILE_FACTOR * options.max_document_bytes
        raw = stream.read(bound + 1)
        if len(raw) > bound:
            raise RejectError(
                "too_large",
                f"{filename}: a JSON file over {bound:,} bytes ({JSON_FILE_FACTOR} × "
                "max_document_bytes) is not parsed whole; write it as JSON Lines",
            )
        if not raw.strip():
            raise RejectError("empty", f"{filename}: no JSON in the file")
        try:
            data = json.loads(raw)
        except ValueError as exc:
            if str(exc).startswith("Extra data"):  # objects one after the other
                yield from _concatenated(raw, filename, options)
                return
            raise RejectError("bad_format", f"{filename}: not valid JSON ({_short(exc)})") from exc
        records = _Records(self.name, filename, options)
        if isinstance(data, dict):
            listed = _dump_list(data, records.fields)
            if listed is None:  # one article
                item = records.item(data, "the object", single=True)
                if isinstance(item, RecordReject):
                    reason = "too_large" if item.reason == "too_large" else "no_text"
                    raise RejectError(reason, item.message)
                yield item
                return
            key, data = listed
            where = f"{key}[{{}}]"
        elif isinstance(data, list):
            where = "item {}"
        else:
            raise RejectError("bad_format", f"{filename}: JSON {type(data).__name__}, not articles")
        if not data:
            raise RejectError("empty", f"{filename}: the JSON holds no records")
        for index, record in enumerate(data):
            yield records.item(record, where.format(index))


def _concatenated(raw: bytes, filename: str, options: ReadOptions) -> Iterator[Item]:
    """JSON values one after the other (pretty-printed or on one line), each a record; at
    the first one that does not parse, the rest of the file is one bad_record."""
    text = raw.decode("utf-8-sig", errors="replace")
    decoder = json.JSONDecoder()
    records = _Records(JSON.name, filename, options)
    index, number = 0, 0
    while True:
        while index < len(text) and text[index] in " \t\r\n":
            index += 1
        if index >= len(text):
            return
        number += 1
        try:
            value, index = decoder.raw_decode(text, index)
        except ValueError as exc:
            line = text.count("\n", 0, index) + 1
            yield RecordReject(
                None,
                "bad_record",
                f"{filename}: value {number} (line {line}) is not valid JSON ({_short(exc)}); "
                "the rest of the file is not read",
            )
            return
        yield records.item(value, f"value {number}")


def _dump_list(data: Mapping[str, Any], fields: FieldMap) -> tuple[str, list] | None:
    """(key, records) when a JSON object is a dump holding a list of articles."""
    lowered = {str(k).lower(): k for k in data}
    is_article = fields.has_text_field(data)
    for name in DUMP_KEYS:
        if name not in lowered or not isinstance(data[lowered[name]], list):
            continue
        listed = data[lowered[name]]
        if listed and all(isinstance(v, Mapping) for v in listed):
            return str(lowered[name]), listed
        if not is_article:  # an empty dump, or one of odd records (rejected one by one)
            return str(lowered[name]), listed
    if is_article:
        return None
    lists = [(str(k), v) for k, v in data.items() if isinstance(v, list) and v]
    if len(lists) == 1 and all(isinstance(v, Mapping) for v in lists[0][1]):
        return lists[0]
    return None


# ---------------------------------------------------------------------------- CSV


class CsvReader:
    name = "csv"
    description = "CSV or TSV with a header row naming a text column (text/body/maintext…)"
    fields = STATED_FIELDS

    def sniff(self, head: bytes, filename: str) -> int:
        if not head.strip() or _is_binary_or_markup(head):
            return 0
        if filename.lower().endswith((".csv", ".tsv")):
            return 5
        # Cheap test first (most files are prose): the first line names a text column.
        first_line = head.split(b"\n", 1)[0]
        if len(first_line) > 2000 or not _TEXT_HEADER.search(first_line):
            return 0
        sample = _decode_head(head)[0]
        delimiter, header, found = _delimiter(sample, filename, FieldMap())
        if not found or len(header) < 2 or not all(map(_name_like, header)):
            return 0
        return 5 if _rows_fit(sample, delimiter, len(header)) else 0

    def read(self, stream: BinaryIO, filename: str, options: ReadOptions) -> Iterator[Item]:
        head = stream.read(CSV_SAMPLE)
        if not head.strip():
            raise RejectError("empty", f"{filename}: no rows")
        sample, encoding = _decode_head(head)
        delimiter = _delimiter(sample, filename, FieldMap(options.field_map))[0]
        text_stream = io.TextIOWrapper(
            _rewound(stream, head), encoding=encoding, errors="replace", newline=""
        )
        csv.field_size_limit(max(csv.field_size_limit(), options.max_document_bytes))
        try:
            yield from self._table(text_stream, delimiter, filename, options)
        finally:
            text_stream.detach()  # leave the caller's stream open

    def _table(
        self,
        text_stream: io.TextIOWrapper,
        delimiter: str,
        filename: str,
        options: ReadOptions,
    ) -> Iterator[Item]:
        rows = csv.reader(text_stream, delimiter=delimiter)
        header = next(rows, None)
        records = _Records(self.name, filename, options)
        if not header or not any(h.strip() for h in header):
            raise RejectError("empty", f"{filename}: no header row")
        header = [h.strip() for h in header]
        if not records.fields.has_text_field(dict.fromkeys(header)):
            names = "/".join(records.fields.names["text"])
            seen = ", ".join(repr(h) for h in header[:20]) + (" …" if len(header) > 20 else "")
            raise RejectError(
                "bad_format",
                f"{filename}: no text column ({names}) among the columns {seen} read with "
                f"delimiter {delimiter!r}; is the delimiter right? "
                "(map one with field_map, e.g. text=<column>)",
            )
        yield from self._rows(rows, header, records, filename, options)

    def _rows(
        self,
        rows: Iterator[list[str]],
        header: list[str],
        records: _Records,
        filename: str,
        options: ReadOptions,
    ) -> Iterator[Item]:
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except csv.Error as exc:
                where = f"{filename}: the row ending at line {rows.line_num}"
                if "field larger than field limit" in str(exc):
                    yield RecordReject(
                        None,
                        "too_large",
                        f"{where} has a field over max_document_bytes "
                        f"({options.max_document_bytes:,}); the rest of the file is not read",
                    )
                    return
                yield RecordReject(None, "bad_record", f"{where} is not valid CSV ({exc})")
                continue
            if not any(cell.strip() for cell in row):
                continue
            record = dict(zip(header, row, strict=False))
            yield records.item(record, f"the row ending at line {rows.line_num}")


def _decode_head(head: bytes) -> tuple[str, str]:
    """The head as text and the encoding to read the file with (UTF-8, else cp1252)."""
    body = head.removeprefix(codecs.BOM_UTF8)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        return decoder.decode(body, final=False), "utf-8-sig"
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace"), "cp1252"


DELIMITERS = (",", ";", "\t", "|")
# A header cell naming the text column (the default names of DEFAULT_FIELDS["text"]).
_TEXT_HEADER = re.compile(
    rb'(?:^|[,;\t|])\s*"?(?:'
    + b"|".join(n.encode() for n in DEFAULT_FIELDS["text"])
    + rb')"?\s*(?:$|[,;\t|\r])',
    re.IGNORECASE,
)
_NAME_LIKE = re.compile(r"[\w .#()/-]{1,40}")


def _delimiter(sample: str, filename: str, fields: FieldMap) -> tuple[str, list[str], bool]:
    """The delimiter whose header row names a text column: csv.Sniffer's guess first, then
    the usual ones (tab first for .tsv). Also that header, and whether one was found; when
    none is, the first guess and its header (for the message)."""
    candidates: list[str] = []
    if filename.lower().endswith(".tsv"):
        candidates.append("\t")
    with contextlib.suppress(csv.Error):
        sniffed = csv.Sniffer().sniff(sample[:16384], delimiters="".join(DELIMITERS))
        candidates.append(sniffed.delimiter)
    candidates += [d for d in DELIMITERS if d not in candidates]
    first: tuple[str, list[str]] | None = None
    for delimiter in candidates:
        try:
            header = next(csv.reader(io.StringIO(sample), delimiter=delimiter), [])
        except csv.Error:
            continue
        header = [cell.strip() for cell in header]
        first = first or (delimiter, header)
        if fields.has_text_field(dict.fromkeys(header)):
            return delimiter, header, True
    return (*(first or (",", [])), False)


def _rows_fit(sample: str, delimiter: str, width: int, most: int = 20) -> bool:
    """Whether the first rows after the header (at least one) have the header's width; the
    last row of the sample may be cut short and is not counted."""
    try:
        rows = list(
            itertools.islice(csv.reader(io.StringIO(sample), delimiter=delimiter), most + 2)
        )
    except csv.Error:
        return False
    body = [row for row in rows[1:-1] if row] if len(rows) > 2 else [r for r in rows[1:] if r]
    return bool(body) and all(len(row) == width for row in body)


def _name_like(cell: str) -> bool:
    """A column name rather than a line of prose: short, few words, no sentence marks."""
    return bool(_NAME_LIKE.fullmatch(cell)) and len(cell.split()) <= 4


class _Chain(io.RawIOBase):
    """The bytes already read, then the rest of a stream that cannot seek."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head, self._rest = memoryview(head), rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        chunk = self._rest.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _rewound(stream: BinaryIO, head: bytes) -> BinaryIO:
    if stream.seekable():
        stream.seek(stream.tell() - len(head))
        return stream
    return io.BufferedReader(_Chain(head, stream))  # type: ignore[return-value]


JSONL = JsonLinesReader()
JSON = JsonReader()
CSV = CsvReader()

__all__ = ["CSV", "DEFAULT_FIELDS", "JSON", "JSONL", "FieldMap", "hash_key", "parse_date"]
