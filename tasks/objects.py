"""Raw files in object storage: sources given as fsspec URLs (s3://bucket/prefix, gs://…).

A local folder is walked by tasks/discover.py with the operating system's own calls; a
URL is listed and read through fsspec, whose backends (s3fs, gcsfs, adlfs) speak each
store's protocol. Object stores have no symlinks and no permissions per file, so the
local walker's safety rules reduce to: skip hidden names, keep listing order
deterministic, and reject (never crash on) what cannot be read.

Credentials and endpoints come from the backend's usual places (for S3: AWS_* variables,
~/.aws, AWS_ENDPOINT_URL for S3-compatible servers) or from the `storage_options` setting.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from wirehouse.tasks.errors import RejectError
from wirehouse.warehouse.locations import open_store

# What fsspec backends call a file's modification time in `info()` / `find(detail=True)`.
_MTIME_KEYS = ("LastModified", "mtime", "updated", "last_modified", "created")


def check_source(url: str, storage_options: dict[str, Any]) -> str:
    """`url` normalized (no trailing slash), or a clear error if it is not a readable folder."""
    try:
        fs, path = open_store(url, storage_options)
        found = fs.isdir(path)
    except ImportError as exc:
        raise FileNotFoundError(
            f"cannot read {url}: {exc}. Install the backend, e.g. pip install 'wirehouse[s3]'"
        ) from None
    except Exception as exc:  # backends raise their own errors for auth, network, names
        raise FileNotFoundError(f"cannot list source {url}: {exc}") from None
    if not found:
        raise FileNotFoundError(f"source {url} does not exist or is not a folder (prefix)")
    return url.rstrip("/")


def walk_url(
    url: str, include: list[str], exclude: list[str], storage_options: dict[str, Any]
) -> Iterator[tuple[str, int | None, int | None]]:
    """(relative path, size, mtime_ns) of every wanted object under `url`, sorted by path."""
    fs, root = open_store(url, storage_options)
    fs.invalidate_cache()  # fsspec reuses file system instances: list afresh every run
    listing = fs.find(root, detail=True, withdirs=False)
    for key in sorted(listing):
        info = listing[key]
        rel = posixpath.relpath(key, root) if root else key
        parts = rel.split("/")
        hidden = any(part.startswith(".") for part in parts)
        if hidden or not name_wanted(parts[-1], include, exclude):
            continue
        yield rel, info.get("size"), _mtime_ns(info)


def url_reader(
    url: str, max_bytes: int, storage_options: dict[str, Any]
) -> Callable[[bytes], tuple[bytes, int, int | None]]:
    """A function reading one object (by relative path) the way tasks.batch.read_file does."""
    fs, root = open_store(url, storage_options)

    def read(rel: bytes) -> tuple[bytes, int, int | None]:
        path = f"{root}/{rel.decode('utf-8', 'surrogateescape')}"
        try:
            with fs.open(path, "rb") as handle:
                # Buffered backends (s3fs, gcsfs, …) fetch the object's details when
                # opening and read lazily: one request for both, and the size is checked
                # before any byte is read.
                info = getattr(handle, "details", None) or fs.info(path)
                size = int(info.get("size") or 0)
                if size > max_bytes:
                    raise RejectError(
                        "too_large",
                        f"{size:,} bytes is over the limit of {max_bytes:,} "
                        "(max_file_bytes); not read",
                    )
                raw = handle.read(max_bytes + 1)
        except RejectError:
            raise
        except FileNotFoundError:
            raise RejectError("vanished", "the object disappeared after discovery") from None
        except PermissionError as exc:
            raise RejectError("unreadable", f"access denied: {exc}") from None
        except Exception as exc:  # network and service errors of any backend
            raise RejectError("io_error", f"read failed: {type(exc).__name__}: {exc}") from None
        if len(raw) > max_bytes:
            raise RejectError("too_large", f"grew past {max_bytes:,} bytes while being read")
        return raw, len(raw), _mtime_ns(info)

    return read


def name_wanted(name: str, include: list[str], exclude: list[str]) -> bool:
    """The include/exclude globs applied to a file name."""
    return any(fnmatch.fnmatchcase(name, p) for p in include) and not any(
        fnmatch.fnmatchcase(name, p) for p in exclude
    )


def _mtime_ns(info: dict[str, Any]) -> int | None:
    for key in _MTIME_KEYS:
        value = info.get(key)
        if isinstance(value, datetime):
            return int(value.timestamp() * 1_000_000) * 1000
        if isinstance(value, int | float):
            return int(value * 1e9)
        if isinstance(value, str):
            try:
                return int(datetime.fromisoformat(value).timestamp() * 1_000_000) * 1000
            except ValueError:
                continue
    return None
