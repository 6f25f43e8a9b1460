"""Archives: zip, gzip (one member; a .tar.gz inside is read as tar) and tar.

Members are read in place (nothing is extracted to disk), in bounded chunks, and each
member's bytes go back through `tasks.readers.read_documents` one level deeper, so a zip of
JSON Lines files or a tar of text files yields the documents of its members. Every result
is re-keyed: a member that is one document gets `record_key = <member path>`, a member of
many gets `<member path>#<its own key>`; `Document.member` is the member path.

Limits (`ReadOptions`): at most `max_expanded_bytes` decompressed for the whole archive
(declared sizes are checked before reading, actual sizes while reading; past the limit the
current member and all after it are `too_large` rejects, "zip bomb?"); at most
`max_members` members (the rest are `too_large` rejects); one member at most
`max_document_bytes`; archives nested deeper than `max_depth` are `too_deep` rejects.
Member names are only keys, never file paths: `../` parts, absolute and drive prefixes are
dropped (the reject messages of such a member quote its name as stored), directories,
symlinks and other non-files are skipped.
"""

from __future__ import annotations

import gzip
import io
import stat
import tarfile
import traceback
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import PurePosixPath
from typing import Any, BinaryIO

from wirehouse.tasks.errors import RejectError
from wirehouse.tasks.readers.base import Item, ReadOptions, RecordReject, Skipped, in_shard

CHUNK = 1 << 20  # decompressed bytes read at a time
TAR_MAGIC_OFFSET = 257


class _LimitReached(Exception):
    """The archive's expanded bytes passed max_expanded_bytes."""


def member_key(name: str) -> tuple[str, bool]:
    """A member name as a key: forward slashes, no `..`, `.`, absolute or drive parts.
    Also whether anything had to be dropped (the name was unsafe as a path)."""
    parts = name.replace("\\", "/").split("/")
    kept: list[str] = []
    unsafe = name.startswith(("/", "\\"))
    for index, part in enumerate(parts):
        if part in ("", "."):
            continue
        if part == ".." or (index == 0 and len(part) == 2 and part[1] == ":"):
            unsafe = True
            continue
        kept.append(part)
    return "/".join(kept), unsafe


@dataclass(slots=True)
class _Budget:
    """What one archive may still expand to, and how many members it may still have."""

    options: ReadOptions
    expanded: int = 0
    members: int = 0
    exhausted: str | None = None  # why the rest is rejected, once it is
    bomb: bool = False  # the rest is rejected for max_expanded_bytes: stop decompressing

    def explode(self) -> None:
        self.bomb = True
        self.exhausted = (
            f"zip bomb?: members expand to over {self.options.max_expanded_bytes:,} bytes "
            "(max_expanded_bytes)"
        )

    @property
    def left(self) -> int:
        return self.options.max_expanded_bytes - self.expanded


class _Archive:
    """What zip, gzip and tar share: member bytes -> read_documents -> re-keyed items."""

    def __init__(self, filename: str, options: ReadOptions) -> None:
        self.filename, self.options = filename, options
        self.budget = _Budget(options)
        self.keys: dict[str, str] = {}  # key -> the member name it was read from
        self.names: dict[str, str] = {}  # key -> the member name, of the member being read

    def key(self, name: str) -> tuple[str, str]:
        """(key, how to name the member in a message)."""
        key, unsafe = member_key(name)
        if not key:
            key = "(unnamed)"
        self.names[key] = name
        label = f"{self.filename}: member {key!r}"
        if unsafe:
            label += f" (stored as {name!r}, an unsafe path; only used as a key)"
        return key, label

    def admit(self, key: str, label: str, declared: int | None) -> RecordReject | None:
        """Whether a member may be read, before reading it."""
        budget, options = self.budget, self.options
        if budget.exhausted is not None:
            return RecordReject(key, "too_large", f"{label}: not read; {budget.exhausted}")
        budget.members += 1
        if budget.members > options.max_members:
            budget.exhausted = f"the archive has more than {options.max_members:,} members"
            return RecordReject(key, "too_large", f"{label}: not read; {budget.exhausted}")
        if declared is not None and declared > budget.left:
            budget.explode()
            return RecordReject(
                key,
                "too_large",
                f"{label}: zip bomb?: declares {declared:,} bytes, over the "
                f"{max(budget.left, 0):,} of max_expanded_bytes left; it and the rest not read",
            )
        if declared is not None and declared > options.max_document_bytes:
            return RecordReject(
                key,
                "too_large",
                f"{label}: declares {declared:,} bytes, over max_document_bytes "
                f"({options.max_document_bytes:,}); not read",
            )
        sub = replace(options, depth=options.depth + 1)
        if sub.depth > sub.max_depth:
            return RecordReject(
                key,
                "too_deep",
                f"{label}: archives nested deeper than {options.max_depth} (max_depth); not read",
            )
        return None

    def read_member(self, key: str, label: str, member: BinaryIO) -> bytes | RecordReject:
        """A member's bytes, read in chunks within the limits; or why not."""
        budget, options = self.budget, self.options
        cap = max(0, min(options.max_document_bytes, budget.left))
        data = bytearray()
        while len(data) <= cap:
            chunk = member.read(min(CHUNK, cap + 1 - len(data)))
            if not chunk:
                break
            data += chunk
        budget.expanded += len(data)
        if len(data) <= cap:
            return bytes(data)
        if budget.expanded > options.max_expanded_bytes:
            budget.explode()
            return RecordReject(
                key,
                "too_large",
                f"{label}: zip bomb?: expands past max_expanded_bytes "
                f"({options.max_expanded_bytes:,}) in total; it and the rest not read",
            )
        return RecordReject(
            key,
            "too_large",
            f"{label}: over max_document_bytes ({options.max_document_bytes:,}) "
            "when decompressed; not read",
        )

    def documents(self, key: str, label: str, data: bytes) -> Iterator[Item]:
        """The member's documents and rejects, re-keyed under the member's path."""
        from wirehouse.tasks.readers import read_documents

        if key in self.keys:
            yield RecordReject(
                key,
                "duplicate_key",
                f"{label}: an earlier member ({self.keys[key]!r}) has the same key; not read",
            )
            return
        self.keys[key] = self.names.get(key, key)
        if not data:
            yield RecordReject(key, "empty", f"{label}: the member has zero bytes")
            return
        if not in_shard(key, self.options.shard) and _one_document(data, key):
            yield Skipped(key)  # another shard of the archive reads this member
            return
        # The keys inside a member are prefixed with its path: the batch step picks the
        # shard's own among them, so the member's reader reads all of them.
        sub = replace(
            self.options,
            depth=self.options.depth + 1,
            max_expanded_bytes=max(self.budget.left, 0),
            shard=(0, 1),
        )
        try:
            for item in read_documents(data, key, sub):
                yield self.rekey(key, item)
        except RejectError as exc:
            yield RecordReject(key, exc.reason, f"{label}: {exc.message}")
        except Exception as exc:  # a bug reading one member must not sink the archive
            where = traceback.extract_tb(exc.__traceback__)[-1]
            yield RecordReject(
                key,
                "internal_error",
                f"{label}: {exc!r} at {PurePosixPath(where.filename).name}:{where.lineno}",
            )

    def rekey(self, key: str, item: Item) -> Item:
        inner = item.record_key
        record_key = key if inner is None else f"{key}#{inner}"
        if isinstance(item, RecordReject):
            return replace(item, record_key=record_key)
        # the bytes of documents from nested archives count against this archive too
        if item.member is not None:
            self.budget.expanded += len(item.raw or b"") + len(item.text or "")
        member = key if item.member is None else f"{key}/{item.member}"
        return replace(item, record_key=record_key, member=member)


def _one_document(data: bytes, name: str) -> bool:
    """A member its reader turns into one document keyed by the member's path (a text
    file, an HTML page), so a shard that does not take that key can skip reading it."""
    from wirehouse.tasks.readers import SNIFF_BYTES, choose_reader

    return choose_reader(data[:SNIFF_BYTES], name).name in ("text", "html")


# ---------------------------------------------------------------------------- zip


def _is_word(head: bytes) -> bool:
    return b"word/document.xml" in head or (b"[Content_Types].xml" in head and b"word/" in head)


class ZipReader:
    name = "zip"
    description = "a zip archive: each member is read as the file it is (text, JSON Lines, …)"
    fields: tuple[str, ...] = ()

    def sniff(self, head: bytes, filename: str) -> int:
        if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            return 0
        return 0 if _is_word(head) else 30

    def read(self, stream: BinaryIO, filename: str, options: ReadOptions) -> Iterator[Item]:
        if not stream.seekable():
            stream = io.BytesIO(stream.read())
        try:
            archive = zipfile.ZipFile(stream)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
            raise RejectError(
                "bad_format", f"{filename}: not a readable zip archive ({exc})"
            ) from exc
        with archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            _not_an_office_file(filename, names, archive)
            if not infos:
                raise RejectError("empty", f"{filename}: a zip archive with no members")
            reading = _Archive(filename, options)
            for info in infos:
                if info.is_dir() or _zip_is_link(info):
                    continue
                key, label = reading.key(info.filename)
                if info.flag_bits & 0x1:
                    yield RecordReject(
                        key, "encrypted", f"{label}: encrypted (password-protected); not read"
                    )
                    continue
                rejected = reading.admit(key, label, info.file_size)
                if rejected is not None:
                    yield rejected
                    continue
                try:
                    with archive.open(info) as member:
                        data = reading.read_member(key, label, member)
                except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
                    yield RecordReject(key, "bad_record", f"{label}: corrupt ({exc}); not read")
                    continue
                except NotImplementedError as exc:
                    yield RecordReject(key, "bad_record", f"{label}: {exc}; not read")
                    continue
                except RuntimeError as exc:  # "File … is encrypted, password required"
                    yield RecordReject(key, "encrypted", f"{label}: {exc}; not read")
                    continue
                if isinstance(data, RecordReject):
                    yield data
                    continue
                yield from reading.documents(key, label, data)


def _zip_is_link(info: zipfile.ZipInfo) -> bool:
    mode = info.external_attr >> 16
    return info.create_system == 3 and stat.S_ISLNK(mode)


def _not_an_office_file(filename: str, names: set[str], archive: zipfile.ZipFile) -> None:
    if "word/document.xml" in names:
        raise RejectError(
            "bad_format",
            f"{filename} is a Word document, not a news export or an archive of articles",
        )
    kind = None
    if "[Content_Types].xml" in names:
        kind = "an Office Open XML file (xlsx/pptx)"
    elif "mimetype" in names:
        try:
            mimetype = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
        except (zipfile.BadZipFile, zlib.error, RuntimeError, NotImplementedError, OSError):
            mimetype = ""
        if mimetype.startswith(("application/vnd.oasis.opendocument", "application/epub")):
            kind = f"a {mimetype} file"
    if kind:
        raise RejectError(
            "bad_format", f"{filename} is {kind}, not a news export or an archive of articles"
        )


# ---------------------------------------------------------------------------- tar


class _Counted(io.RawIOBase):
    """A decompressing stream that counts what comes out of it and raises _LimitReached
    once that passes `limit` (a negative limit only counts)."""

    def __init__(self, inner: BinaryIO, limit: int) -> None:
        self.inner, self.limit, self.count = inner, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if 0 <= self.limit < self.count:
            raise _LimitReached
        want = min(len(buffer), CHUNK)
        # read1: what one decompression step gives, so a truncated stream's bytes count
        chunk = self.inner.read1(want) if hasattr(self.inner, "read1") else self.inner.read(want)
        self.count += len(chunk)
        buffer[: len(chunk)] = chunk
        return len(chunk)


def _read_tar(stream: BinaryIO, filename: str, options: ReadOptions) -> Iterator[Item]:
    """A tar archive's members, read in order from a stream that need not seek (r|)."""
    counted = _Counted(stream, options.max_expanded_bytes)
    reading = _Archive(filename, options)
    try:
        # closed by the `with` below; opened here so that its errors are this file's reject
        archive = tarfile.open(fileobj=io.BufferedReader(counted, CHUNK), mode="r|")  # noqa: SIM115
    except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
        raise RejectError("bad_format", f"{filename}: not a readable tar archive ({exc})") from exc
    except _LimitReached as exc:
        raise RejectError(
            "too_large", f"{filename}: zip bomb?: over max_expanded_bytes before any member"
        ) from exc
    current: tuple[str, str] | None = None
    seen_any = False
    with archive:
        while True:
            try:
                info = archive.next()
            except _LimitReached:
                yield _bomb(filename, options, current)
                return
            except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
                yield _truncated(filename, current, exc)
                return
            if info is None:
                break
            seen_any = True
            if not info.isfile():  # directories, symlinks, hard links, devices, fifos
                continue
            key, label = reading.key(info.name)
            current = (key, label)
            rejected = reading.admit(key, label, info.size)
            if rejected is not None:
                yield rejected
                if reading.budget.bomb:
                    return  # the rest is not decompressed at all
                continue
            try:
                member = archive.extractfile(info)
                data = reading.read_member(key, label, member) if member else b""
            except _LimitReached:
                yield _bomb(filename, options, current)
                return
            except (tarfile.TarError, EOFError, OSError, zlib.error) as exc:
                yield _truncated(filename, current, exc)
                return
            if isinstance(data, RecordReject):
                yield data
                if reading.budget.bomb:
                    return
                continue
            if len(data) < info.size:
                yield RecordReject(
                    key,
                    "truncated",
                    f"{label}: the archive ends after {len(data):,} of its {info.size:,} "
                    "bytes; not read",
                )
                return
            yield from reading.documents(key, label, data)
    if not seen_any:
        raise RejectError("empty", f"{filename}: a tar archive with no members")


def _bomb(filename: str, options: ReadOptions, current: tuple[str, str] | None) -> RecordReject:
    key, label = current if current else (None, f"{filename}: member")
    return RecordReject(
        key,
        "too_large",
        f"{label}: zip bomb?: the archive expands past max_expanded_bytes "
        f"({options.max_expanded_bytes:,}); it and the rest not read",
    )


def _truncated(filename: str, current: tuple[str, str] | None, exc: BaseException) -> RecordReject:
    key, label = current if current else (None, filename)
    return RecordReject(
        key, "truncated", f"{label}: the archive is cut off or corrupt after it ({exc})"
    )


class TarReader:
    name = "tar"
    description = "a tar archive: each member is read as the file it is"
    fields: tuple[str, ...] = ()

    def sniff(self, head: bytes, filename: str) -> int:
        return 30 if _is_tar_head(head) else 0

    def read(self, stream: BinaryIO, filename: str, options: ReadOptions) -> Iterator[Item]:
        yield from _read_tar(stream, filename, options)


def _is_tar_head(head: bytes) -> bool:
    return head[TAR_MAGIC_OFFSET : TAR_MAGIC_OFFSET + 5] == b"ustar"


# ---------------------------------------------------------------------------- gzip


class GzipReader:
    name = "gzip"
    description = "a gzip file: one member (the file without .gz); a .tar.gz is read as tar"
    fields: tuple[str, ...] = ()

    def sniff(self, head: bytes, filename: str) -> int:
        return 30 if head.startswith(b"\x1f\x8b") else 0

    def read(self, stream: BinaryIO, filename: str, options: ReadOptions) -> Iterator[Item]:
        if not stream.seekable():
            stream = io.BytesIO(stream.read())
        if _gzip_holds_tar(stream):
            tar_name = _member_name(filename, tar=True)
            yield from _read_tar(gzip.GzipFile(fileobj=stream, mode="rb"), tar_name, options)
            return
        name = _member_name(filename, tar=False)
        reading = _Archive(filename, options)
        key, label = reading.key(name)
        rejected = reading.admit(key, label, None)
        if rejected is not None:
            yield rejected
            return
        decompressed = _Counted(gzip.GzipFile(fileobj=stream, mode="rb"), limit=-1)
        try:
            data = reading.read_member(key, label, decompressed)  # type: ignore[arg-type]
        except EOFError as exc:  # the stream ends before its end-of-stream marker
            if decompressed.count == 0:
                raise RejectError(
                    "bad_format", f"{filename}: a truncated gzip file; nothing decompresses"
                ) from exc
            yield RecordReject(
                key,
                "truncated",
                f"{label}: the gzip stream is cut off after {decompressed.count:,} bytes "
                "(the bytes read so far are not a document); not read",
            )
            return
        except (gzip.BadGzipFile, zlib.error, OSError) as exc:
            if decompressed.count == 0:
                raise RejectError(
                    "bad_format", f"{filename}: not a readable gzip file ({exc})"
                ) from exc
            yield RecordReject(key, "bad_record", f"{label}: corrupt gzip ({exc}); not read")
            return
        if isinstance(data, RecordReject):
            yield data
            return
        yield from reading.documents(key, label, data)


def _gzip_holds_tar(stream: BinaryIO) -> bool:
    """Whether the decompressed head is a tar header; the stream is left where it was."""
    start = stream.tell()
    try:
        head = gzip.GzipFile(fileobj=stream, mode="rb").read(512)
    except (EOFError, OSError, zlib.error):
        return False
    finally:
        stream.seek(start)
    return _is_tar_head(head)


def _member_name(filename: str, *, tar: bool) -> str:
    name = PurePosixPath(filename.replace("\\", "/")).name
    lower = name.lower()
    if lower.endswith(".tgz"):
        return name[:-4] + ".tar"
    if lower.endswith(".gz"):
        return name[:-3]
    if lower.endswith(".gzip"):
        return name[:-5]
    return name + (".tar" if tar and not lower.endswith(".tar") else "")


ZIP = ZipReader()
GZIP = GzipReader()
TAR = TarReader()

__all__ = ["GZIP", "TAR", "ZIP", "member_key"]
