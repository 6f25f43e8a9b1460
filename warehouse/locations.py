"""Where things live: a local folder (a path or file:// URL) or an fsspec URL (s3://…).

Shared by the steps that read sources (tasks/objects.py) and the warehouse code that
publishes to and reads from object storage (warehouse/remote.py).
"""

from __future__ import annotations

from typing import Any


def is_url(location: str) -> bool:
    """True for object-store URLs; plain paths and file:// URLs are local folders."""
    scheme, sep, _ = location.partition("://")
    return bool(sep) and scheme.lower() not in ("file", "local")


def local_path(location: str) -> str:
    """A local location without its file:// prefix, if it has one."""
    scheme, sep, rest = location.partition("://")
    return rest if sep and scheme.lower() in ("file", "local") else location


def open_store(url: str, storage_options: dict[str, Any]) -> tuple[Any, str]:
    """The fsspec file system of `url` and the path inside it (no trailing slash)."""
    from fsspec.core import url_to_fs

    fs, path = url_to_fs(url, **storage_options)
    return fs, path.rstrip("/")
