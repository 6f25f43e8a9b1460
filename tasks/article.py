"""Turn one file's bytes into one `articles` row: decode, layout, date, outlet, language."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from tasks.dates import find_publication_date
from tasks.decode import decode_bytes
from tasks.language import LanguageHint, detect_language
from tasks.layout import split_layout
from tasks.sources import Registry, assign_source, detect_outlet


@dataclass(frozen=True, slots=True)
class EnrichOptions:
    """What the steps need besides the bytes; small and picklable (sent to workers)."""

    latest_date: date  # newest acceptable publication date (the run's day)
    source_override: str | None = None
    folder_sources: tuple[tuple[str, str], ...] = ()
    language_seed: int = 0
    language_min_chars: int = 20


@dataclass(frozen=True, slots=True)
class FileVersion:
    """Where the bytes came from and which version of the document they become."""

    source_root: str
    source_path: str
    version: int
    file_size: int
    file_mtime: datetime | None  # None when an object store does not say
    raw_sha256: str


def article_id(source_root: str, source_path: str, version: int) -> str:
    """Stable id of one version of one document: re-running an ingest reproduces it."""
    key = f"{source_root}\0{source_path}\0{version}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(key).hexdigest()[:16]


def file_key(source_root: str, source_path: str) -> int:
    """A signed 64-bit key per file: the views find current versions by joining on it."""
    digest = hashlib.sha256(f"{source_root}\0{source_path}".encode("utf-8", "surrogatepass"))
    return int.from_bytes(digest.digest()[:8], "big", signed=True)


def content_sha256(title: str | None, body: str) -> str:
    return hashlib.sha256(f"{title or ''}\n\n{body}".encode()).hexdigest()


def build_article(
    raw: bytes, origin: FileVersion, options: EnrichOptions, registry: Registry
) -> dict[str, Any]:
    """All `articles` columns except ingested_at and run_id; raises RejectError."""
    decoded = decode_bytes(raw)
    layout = split_layout(decoded.text, registry)
    detected = detect_outlet(layout.header_lines, layout.chrome_hits, layout.signoff_hit, registry)
    outlet = assign_source(
        origin.source_path, detected, options.source_override, dict(options.folder_sources)
    )
    language_text = "\n".join(part for part in (layout.title, layout.lede, layout.body) if part)
    language = detect_language(
        language_text,
        seed=options.language_seed,
        min_letters=options.language_min_chars,
        hint=_outlet_hint(registry, outlet.slug),
    )
    # The language settles month names that differ between languages ("listopad").
    when = find_publication_date(layout.header_lines, options.latest_date, language.language)
    return {
        "article_id": article_id(origin.source_root, origin.source_path, origin.version),
        "source_root": origin.source_root,
        "source_path": origin.source_path,
        "file_key": file_key(origin.source_root, origin.source_path),
        "row_kind": "article",
        "version": origin.version,
        "title": layout.title,
        "lede": layout.lede,
        "body": layout.body,
        "content_sha256": content_sha256(layout.title, layout.body),
        "char_count": len(layout.body),
        "pub_year": when.year,
        "pub_month": when.month,
        "pub_day": when.day,
        "published_date": when.published,
        "date_text": when.text,
        "date_source": when.source,
        "language": language.language,
        "language_prob": language.probability,
        "language_evidence": language.evidence,
        "source": outlet.slug,
        "source_evidence": outlet.evidence,
        "encoding": decoded.encoding,
        "had_bom": decoded.had_bom,
        "mojibake_fixed": decoded.mojibake_fixed,
        "decode_errors": decoded.decode_errors,
        "raw_sha256": origin.raw_sha256,
        "file_size": origin.file_size,
        "file_mtime": origin.file_mtime,
    }


@cache
def _outlet_languages(registry: Registry) -> dict[str, tuple[str, ...]]:
    return {o.slug: o.languages for o in registry.outlets if o.languages}


def _outlet_hint(registry: Registry, slug: str | None) -> LanguageHint | None:
    """The languages the article's outlet publishes in, as a tie-break for langdetect."""
    languages = _outlet_languages(registry).get(slug or "")
    return LanguageHint(languages, f"outlet:{slug}") if languages else None


def tombstone(
    kind: str, source_root: str, source_path: str, version: int, at: datetime, run_id: str
) -> dict[str, Any]:
    """An `articles` row that ends a file's last version: it was deleted or became unusable.

    It takes the next version number, so the latest row of a file is its highest version.
    """
    return {
        "source_root": source_root,
        "source_path": source_path,
        "file_key": file_key(source_root, source_path),
        "row_kind": kind,
        "version": version,
        "ingested_at": at,
        "run_id": run_id,
    }
