"""A WARC file (plain or gzip): every HTML `response` record is one article.

Records are streamed one at a time with FastWARC (measured against warcio in
bench/eval_html_warc.py: 2.1 vs 7.8 ms for the 90 records of ../shared/eval/warc). The
gzip stream is inflated here, member by member, so that a stream that ends inside a
member is known to be cut short; FastWARC reads the inflated bytes. FastWARC's quirks mode
reads the HTTP headers of ClueWeb-style records, which end their lines in LF only.

- A `response` record whose HTTP content type is HTML (or that has none and whose payload
  sniffs as HTML) becomes a document through `tasks.readers.html.read_html`, with `url` =
  WARC-Target-URI and `crawl_date` = WARC-Date (the crawl date, never `published`; a
  malformed date leaves it None). Transfer-Encoding (chunked) and Content-Encoding (gzip,
  deflate, br) are undone here, and only when the bytes are really so encoded: ClueWeb
  stored decoded payloads under `Content-Encoding: gzip`.
- Responses with a redirect or error status (3xx-5xx), non-HTML responses and all other
  record types (warcinfo, request, metadata, revisit, ...) are no documents and no
  rejects: `warc_summary` counts them.
- `record_key` is the target URI; when the same URI comes again in the file, the later
  record's key is `<uri> @ <WARC-Date>`, and when that repeats too, the record is a
  `duplicate_key` reject.
- A record cut short (content shorter than its Content-Length, or a gzip stream or a
  plain file ending inside a record) is a `truncated` reject and reading stops there;
  the records before it stand.
"""

from __future__ import annotations

import io
import re
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, BinaryIO

from fastwarc import ArchiveIterator, WarcRecordType
from wirehouse.tasks.errors import RejectError
from wirehouse.tasks.readers.base import Item, ReadOptions, RecordReject, Skipped, in_shard
from wirehouse.tasks.readers.html import read_html, sniff_html

SNIFF_INFLATE_BYTES = 4096  # compressed bytes of a gzip head inflated to look for "WARC/"
_GZIP = b"\x1f\x8b"
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_CHUNK = 65536
_INFLATE_STEP = 1 << 20  # inflated bytes per step, so a gzip bomb is never held at once
_WINDOW = 1 << 18  # the last inflated bytes kept to look at a record cut in its header
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "application/xml+xhtml"})
# Content types that say nothing: such records are HTML when their bytes sniff as HTML.
_VAGUE_TYPES = frozenset({"", "application/octet-stream", "unknown/unknown", "text/unknown"})
_WARC_START = re.compile(rb"(?:^|\n)(WARC/\d+\.\d+)\r?\n")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_TARGET_URI = re.compile(rb"(?im)^WARC-Target-URI:[ \t]*<?([^\s>]+)>?[ \t]*\r?\n")
_CONTENT_LENGTH = re.compile(rb"(?im)^Content-Length:[ \t]*(\d+)")
_STATUS = re.compile(r"\s(\d{3})(?:\s|$)")


class WarcReader:
    name = "warc"
    description = "a WARC file (plain or gzip): each HTML response record is one article"
    fields: tuple[str, ...] = ("title", "published", "outlet", "url", "byline", "crawl_date")

    def sniff(self, head: bytes, filename: str) -> int:
        if head.startswith((b"WARC/1.", b"WARC/0.")):
            return 40
        if head.startswith(_GZIP) and _inflated_head(head).startswith(b"WARC/"):
            return 40  # above the generic gzip reader (30)
        return 0

    def read(self, stream: BinaryIO, filename: str, options: ReadOptions) -> Iterator[Item]:
        seen: Counter[str] = Counter()
        for record in _walk(stream, filename, options):
            if record.kind != "html" and record.reject is None:
                continue
            key = _record_key(record, seen)
            if record.reject is not None:
                yield replace(record.reject, record_key=key or record.reject.record_key)
                continue
            if key is None:
                message = (
                    f"{filename}: WARC record {record.uri} at {record.date_text} comes again "
                    "with the same target URI and date"
                )
                yield RecordReject(f"{record.uri} @ {record.date_text}", "duplicate_key", message)
                continue
            if not in_shard(key, options.shard):
                yield Skipped(key)  # another shard of the file extracts this page
                continue
            item = read_html(
                record.payload or b"",
                url=record.uri,
                charset=record.charset,
                name=f"{filename}: {record.uri}",
                latest=options.latest,
            )
            if isinstance(item, RecordReject):
                yield replace(item, record_key=key)
                continue
            evidence = dict(item.stated.evidence)
            if record.uri:
                evidence["url"] = "warc:target-uri"
            if record.crawl_date is not None:
                evidence["crawl_date"] = "warc:date"
            stated = replace(
                item.stated,
                url=record.uri or item.stated.url,
                crawl_date=record.crawl_date,
                evidence=evidence,
            )
            yield replace(item, record_key=key, format=self.name, stated=stated)


def warc_summary(stream: BinaryIO, filename: str = "warc") -> dict[str, Any]:
    """What a WARC file holds, without extracting any text: records per type, HTML
    responses, responses skipped (non-HTML, redirect or error status), the truncated
    record if any."""
    options = ReadOptions(latest=datetime.now(UTC).date())
    types: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    html = 0
    truncated: list[str] = []
    problems: list[str] = []
    for record in _walk(stream, filename, options, keep_payload=False):
        if record.rtype:
            types[record.rtype] += 1
        if record.reject is not None:
            (truncated if record.reject.reason == "truncated" else problems).append(
                record.reject.message
            )
            if record.kind == "html":
                html += 1
        elif record.kind == "html":
            html += 1
        elif record.rtype == "response":
            skipped[record.kind] += 1
    return {
        "records": sum(types.values()),
        "types": dict(types),
        "html_responses": html,
        "responses_skipped": dict(skipped),
        "truncated": truncated,
        "problems": problems,
    }


@dataclass(slots=True)
class _Record:
    rtype: str | None  # "response", "request", …; None for a record whose header is cut
    uri: str | None = None
    date_text: str | None = None
    crawl_date: datetime | None = None
    kind: str = "other"  # "html", "not-html", "status-3xx" …, "other"
    charset: str | None = None
    payload: bytes | None = None
    reject: RecordReject | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _record_key(record: _Record, seen: Counter[str]) -> str | None:
    """The URI; `<uri> @ <date>` the second time; None (a duplicate) after that."""
    base = record.uri or record.extra.get("record_id")
    if base is None:
        return None if record.reject is None else record.reject.record_key
    seen[base] += 1
    if seen[base] == 1:
        return base
    dated = f"{base} @ {record.date_text}"
    seen[dated] += 1
    return dated if seen[dated] == 1 else None


def _walk(
    stream: BinaryIO, filename: str, options: ReadOptions, *, keep_payload: bool = True
) -> Iterator[_Record]:
    """Every record of the file in order, the last one perhaps a `truncated` reject."""
    source = _Inflated(stream)
    try:
        start = source.head(5)
    except OSError as err:
        raise RejectError("bad_format", f"{filename}: not readable as gzip ({err})") from err
    if start and start != b"WARC/":
        kind = "gzip stream" if source.gzip else "file"
        raise RejectError("bad_format", f"{filename}: a {kind} that does not start with WARC/")
    records = ArchiveIterator(
        source, parse_http=True, quirks_mode=True, stream_detect=False, auto_decode="none"
    )
    last_end: int | None = 0
    last_uri: str | None = None
    while True:
        try:
            record = next(records)
            item, end = _examine(record, source, filename, options, keep_payload)
        except StopIteration:
            break
        except BaseException as err:  # FastWARC raises OSError, or panics (BaseException)
            if isinstance(err, KeyboardInterrupt | SystemExit):
                raise
            yield _cut(source, filename, last_uri, last_end, err)
            return
        if item.kind == "header-cut":  # FastWARC read what there is of the header
            yield _cut(source, filename, last_uri, last_end)
            return
        last_uri, last_end = item.uri, end
        yield item
        if item.reject is not None and item.reject.reason in ("truncated", "bad_record"):
            return
    # Bytes after the last whole record: one whose header is cut short. A gzip stream cut
    # only after the last record's bytes (in its trailer) loses no record.
    tail = source.after(last_end).strip() if last_end is not None else b""
    if tail or (source.cut and last_end is None):
        yield _cut(source, filename, last_uri, last_end)


def _examine(
    record: Any, source: _Inflated, filename: str, options: ReadOptions, keep_payload: bool
) -> tuple[_Record, int | None]:
    """One record as read (its payload consumed), and where it ends in the stream."""
    rtype = _type_name(record.record_type)
    uri = record.headers.get("WARC-Target-URI")
    uri = uri.strip().strip("<>") if uri else None
    date_text = (record.headers.get("WARC-Date") or "").strip() or None
    declared = _int(record.headers.get("Content-Length"))
    end = source.record_end(record.stream_pos, declared)
    item = _Record(rtype, uri, date_text, _crawl_date(date_text))
    record_id = record.headers.get("WARC-Record-ID")
    if record_id:
        item.extra["record_id"] = record_id.strip()
    if declared is None:  # a WARC header without a length: cut short, or not WARC
        if source.cut or source.at_end():
            item.kind = "header-cut"
        else:
            name = f"WARC record {uri}" if uri else "a WARC record without a target URI"
            message = f"{filename}: {name} has no Content-Length; reading stops"
            item.reject = RecordReject(uri, "bad_record", message)
        return item, None
    payload_length = record.content_length  # after the HTTP headers
    http = record.is_http and rtype == "response"
    content_type = (record.http_content_type or "").strip().lower() if http else ""
    status = _status(record.http_headers.status_line) if http else None
    head = b""
    if rtype == "response" and (status is None or status < 300):
        if content_type in _HTML_TYPES:
            item.kind = "html"
        elif content_type in _VAGUE_TYPES:
            head = record.reader.read(2048)
            item.kind = "html" if sniff_html(head) else "not-html"
        else:
            item.kind = "not-html"
    elif rtype == "response":
        item.kind = f"status-{status // 100}xx" if status else "other"
    if item.kind == "html" and payload_length > options.max_document_bytes:
        item.reject = RecordReject(
            uri,
            "too_large",
            f"{filename}: WARC record {uri} holds {payload_length:,} bytes, over "
            f"{options.max_document_bytes:,} (max_document_bytes); not read",
        )
        read = len(head) + record.reader.consume()
    elif item.kind == "html" and keep_payload:
        item.payload = head + record.reader.read()
        read = len(item.payload)
    else:
        read = len(head) + record.reader.consume()
    missing = payload_length - read
    if missing > 0:
        present = declared - missing if declared is not None else read
        total = declared if declared is not None else payload_length
        item.payload = None
        item.reject = RecordReject(
            uri,
            "truncated",
            f"{filename}: WARC record {uri} is cut short ({present:,} of {total:,} bytes)",
        )
    elif item.payload is not None and http:
        item.payload = _undo_encodings(item.payload, record.http_headers, options)
        item.charset = record.http_charset
    return item, end


def _cut(
    source: _Inflated,
    filename: str,
    last_uri: str | None,
    last_end: int | None,
    error: BaseException | None = None,
) -> _Record:
    """The reject for the record the stream ends inside, or where it cannot be read."""
    tail = source.after(last_end) if last_end is not None else b""
    match = _WARC_START.search(tail)
    block = tail[match.start(1) :] if match else tail
    uri_match = _TARGET_URI.search(block[:32768])
    uri = uri_match.group(1).decode("utf-8", "replace") if uri_match else None
    if uri:
        name = f"WARC record {uri}"
    else:
        name = f"the WARC record after {last_uri}" if last_uri else "the first WARC record"
    if error is not None:
        message = f"{filename}: {name} cannot be read ({error}); reading stops"
        return _Record(None, uri, reject=RecordReject(uri, "bad_record", message))
    length = _CONTENT_LENGTH.search(block[:32768])
    header_end = _HEADER_END.search(block)
    if length and header_end:
        detail = f"{len(block) - header_end.end():,} of {int(length.group(1)):,} bytes"
    else:
        detail = "its WARC header is incomplete"
    message = f"{filename}: {name} is cut short ({detail})"
    return _Record(None, uri, reject=RecordReject(uri, "truncated", message))


class _Inflated(io.RawIOBase):
    """The file's WARC bytes: gzip members inflated one after another (or the plain bytes
    passed through), with the last `_WINDOW` bytes kept. `cut` says the file ended inside
    a gzip member."""

    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        first = raw.read(2)
        self.gzip = first == _GZIP
        self._pending = first  # compressed (or plain) bytes not yet inflated
        self._inflater = zlib.decompressobj(_GZIP_WBITS) if self.gzip else None
        self._in_member = False
        self._out = b""
        self._eof = False
        self.cut = False
        self.produced = 0
        self._window = bytearray()
        self._window_start = 0

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.produced - len(self._out)

    def readinto(self, buffer: Any) -> int:
        while not self._out and not self._eof:
            self._fill()
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def _fill(self) -> None:
        if not self._pending:
            self._pending = self._raw.read(_CHUNK)
            if not self._pending:
                self._eof = True
                self.cut = self.gzip and self._in_member
                return
        if self._inflater is None:
            data, self._pending = self._pending, b""
        else:
            data = self._inflate()
        if data:
            self._keep(data)
            self._out += data

    def _inflate(self) -> bytes:
        assert self._inflater is not None
        if self._inflater.eof:  # the next member, or whatever follows the last one
            rest = self._pending.lstrip(b"\x00")
            if not rest:
                self._pending = b""
                return b""
            if not rest.startswith(_GZIP[: len(rest)]):
                raise OSError("bytes after a gzip member are not another gzip member")
            self._inflater = zlib.decompressobj(_GZIP_WBITS)
            self._pending = rest
        try:
            data = self._inflater.decompress(self._pending, _INFLATE_STEP)
        except zlib.error as err:
            raise OSError(f"gzip data is corrupt: {err}") from err
        self._in_member = not self._inflater.eof
        self._pending = self._inflater.unconsumed_tail or self._inflater.unused_data
        return data

    def _keep(self, data: bytes) -> None:
        self.produced += len(data)
        self._window += data
        if len(self._window) > _WINDOW:
            drop = len(self._window) - _WINDOW
            del self._window[:drop]
            self._window_start += drop

    def head(self, size: int) -> bytes:
        """The first `size` bytes of the stream, left to be read."""
        while len(self._out) < size and not self._eof and self.produced == len(self._out):
            self._fill()
        return self._out[:size]

    def at_end(self) -> bool:
        """Whether the whole file has been read (FastWARC reads ahead)."""
        return self._eof

    def record_end(self, start: int, declared: int | None) -> int | None:
        """Where the record starting at `start` ends (after its block); None when its
        header is no longer in the window or gives no length."""
        offset = start - self._window_start
        if declared is None or offset < 0:
            return None
        end = _HEADER_END.search(bytes(self._window[offset : offset + 65536]))
        return start + end.end() + declared if end else None

    def after(self, position: int) -> bytes:
        """The bytes from `position` to the end of what was read (within the window)."""
        self._drain()
        offset = max(position - self._window_start, 0)
        return bytes(self._window[offset:])

    def _drain(self) -> None:
        """Read what FastWARC left unread, up to the window's size, to look at it."""
        budget = _WINDOW
        self._out = b""
        while not self._eof and budget > 0:
            before = self.produced
            try:
                self._fill()
            except OSError:
                break
            budget -= self.produced - before
            self._out = b""


def _inflated_head(head: bytes) -> bytes:
    inflater = zlib.decompressobj(_GZIP_WBITS)
    try:
        return inflater.decompress(head[:SNIFF_INFLATE_BYTES], 64)
    except zlib.error:
        return b""


def _undo_encodings(payload: bytes, headers: Any, options: ReadOptions) -> bytes:
    """The payload with chunking and content coding undone, where the bytes are so."""
    transfer = (headers.get("Transfer-Encoding") or "").lower()
    if "chunked" in transfer:
        payload = _dechunk(payload) or payload
    coding = (headers.get("Content-Encoding") or "").strip().lower()
    limit = options.max_document_bytes
    if coding in ("gzip", "x-gzip") and payload.startswith(_GZIP):
        return _decompress(payload, _GZIP_WBITS, limit) or payload
    if coding == "deflate":
        return (
            _decompress(payload, zlib.MAX_WBITS, limit)
            or _decompress(payload, -zlib.MAX_WBITS, limit)
            or payload
        )
    if coding == "br":
        try:
            import brotli  # FastWARC's dependency

            return brotli.decompress(payload)[:limit] or payload
        except Exception:  # not brotli after all: keep the bytes as they are
            return payload
    return payload


def _dechunk(data: bytes) -> bytes | None:
    """HTTP/1.1 chunked transfer coding undone; None when `data` is not chunked."""
    out = bytearray()
    at = 0
    while at < len(data):
        line_end = data.find(b"\n", at)
        if line_end < 0:
            return None
        size_text = data[at:line_end].split(b";")[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return None if not out else bytes(out)
        if size == 0:
            return bytes(out)
        start = line_end + 1
        out += data[start : start + size]
        at = start + size
        if data[at : at + 2] == b"\r\n":
            at += 2
        elif data[at : at + 1] == b"\n":
            at += 1
    return bytes(out)


def _decompress(data: bytes, wbits: int, limit: int) -> bytes | None:
    try:
        inflater = zlib.decompressobj(wbits)
        return inflater.decompress(data, limit)
    except zlib.error:
        return None


def _crawl_date(text: str | None) -> datetime | None:
    """WARC-Date as an aware datetime (UTC when it gives no offset); None if malformed."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _type_name(rtype: WarcRecordType) -> str:
    return str(rtype)


def _status(line: str | None) -> int | None:
    match = _STATUS.search(f" {line}" if line else "")
    return int(match.group(1)) if match else None


def _int(value: str | None) -> int | None:
    try:
        return int(value.strip()) if value else None
    except ValueError:
        return None


READER = WarcReader()
