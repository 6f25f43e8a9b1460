"""Turn one document into one `articles` row: decode, layout, outlet, language, date."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from wirehouse.tasks.dates import EARLIEST_YEAR, DateInfo, find_publication_date
from wirehouse.tasks.decode import decode_bytes, decode_text
from wirehouse.tasks.defaults import LANGUAGE_MIN_LETTERS, LANGUAGE_SEED
from wirehouse.tasks.language import LanguageHint, detect_language, language_code
from wirehouse.tasks.layout import split_layout
from wirehouse.tasks.readers.base import Document, Stated
from wirehouse.tasks.sources import Registry, SourceTag, assign_source, detect_outlet, outlet_slug
from wirehouse.warehouse.rows import ArticleRow


@dataclass(frozen=True, slots=True)
class EnrichOptions:
    """What the steps need besides the bytes; small and picklable (sent to workers)."""

    latest_date: date  # newest acceptable publication date (the run's day)
    source_override: str | None = None
    folder_sources: tuple[tuple[str, str], ...] = ()
    language_seed: int = LANGUAGE_SEED
    language_min_chars: int = LANGUAGE_MIN_LETTERS


@dataclass(frozen=True, slots=True)
class FileVersion:
    """Where the bytes came from and which version of the document they become."""

    source_root: str
    source_path: str
    version: int
    file_size: int
    file_mtime: datetime | None  # None when an object store does not say
    raw_sha256: str


def article_id(
    source_root: str, source_path: str, version: int, record_key: str | None = None
) -> str:
    """Stable id of one version of one document: re-running an ingest reproduces it."""
    where = source_path if record_key is None else f"{source_path}\0{record_key}"
    key = f"{source_root}\0{where}\0{version}".encode("utf-8", "surrogatepass")
    return hashlib.sha256(key).hexdigest()[:16]


def file_key(source_root: str, source_path: str, record_key: str | None = None) -> int:
    """A signed 64-bit key per document (per file for a one-article file): the views find
    current versions by joining on it."""
    where = source_path if record_key is None else f"{source_path}\0{record_key}"
    digest = hashlib.sha256(f"{source_root}\0{where}".encode("utf-8", "surrogatepass"))
    return int.from_bytes(digest.digest()[:8], "big", signed=True)


def content_sha256(title: str | None, body: str) -> str:
    return hashlib.sha256(f"{title or ''}\n\n{body}".encode()).hexdigest()


def build_article(
    raw: bytes, origin: FileVersion, options: EnrichOptions, registry: Registry
) -> ArticleRow:
    """The `articles` row of a plain text file's bytes; raises RejectError."""
    return build_document(Document(None, "text", raw=raw), origin, options, registry)


def build_document(
    doc: Document, origin: FileVersion, options: EnrichOptions, registry: Registry
) -> ArticleRow:
    """The `articles` row of one document, without ingested_at and run_id (the batch's).

    What the container states is weighed against what the text gives (docs/formats.md):
    its title and its publication date win (a field is what the publisher or the database
    recorded; the text's opening may be a dateline of another day, or no title at all),
    a crawl date never counts as a publication date, its outlet wins over the text's
    markers (below the user's overrides), and its language only breaks langdetect's ties.
    Raises RejectError.
    """
    stated = doc.stated
    decoded = decode_bytes(doc.raw) if doc.raw is not None else decode_text(doc.text or "")
    layout = split_layout(decoded.text, registry)
    detected = detect_outlet(layout.header_lines, layout.chrome_hits, layout.signoff_hit, registry)
    if stated.outlet and (slug := outlet_slug(stated.outlet, registry)):
        detected = SourceTag(slug, stated.evidence.get("outlet", "container"))
    outlet = assign_source(
        origin.source_path, detected, options.source_override, dict(options.folder_sources)
    )
    language_text = "\n".join(part for part in (layout.title, layout.lede, layout.body) if part)
    language = detect_language(
        language_text,
        seed=options.language_seed,
        min_letters=options.language_min_chars,
        hint=_stated_hint(stated) or _outlet_hint(registry, outlet.slug),
    )
    # The language settles month names that differ between languages ("listopad").
    when = find_publication_date(layout.header_lines, options.latest_date, language.language)
    published = stated.published
    if (
        published is not None
        and published.year >= EARLIEST_YEAR
        and published <= (options.latest_date)
    ):
        when = DateInfo(
            published.year,
            published.month,
            published.day,
            published.isoformat(),
            stated.evidence.get("published", "container"),
        )
    title = stated.title.strip() if stated.title and stated.title.strip() else layout.title
    body = layout.body
    if title and body.startswith(title):  # the page repeats its headline above the text
        body = body[len(title) :].lstrip()
    key = doc.record_key
    return ArticleRow(
        article_id=article_id(origin.source_root, origin.source_path, origin.version, key),
        source_root=origin.source_root,
        source_path=origin.source_path,
        file_key=file_key(origin.source_root, origin.source_path, key),
        record_key=key,
        format=doc.format,
        row_kind="article",
        version=origin.version,
        title=title,
        lede=layout.lede,
        body=body,
        content_sha256=content_sha256(title, body),
        char_count=len(body),
        pub_year=when.year,
        pub_month=when.month,
        pub_day=when.day,
        published_date=when.published,
        date_text=when.text,
        date_source=when.source,
        language=language.language,
        language_prob=language.probability,
        language_evidence=language.evidence,
        source=outlet.slug,
        source_evidence=outlet.evidence,
        url=stated.url,
        byline=stated.byline,
        section=stated.section,
        crawl_date=stated.crawl_date,
        encoding=decoded.encoding if doc.raw is not None else None,
        encoding_confidence=decoded.encoding_confidence,
        had_bom=decoded.had_bom,
        mojibake_fixed=decoded.mojibake_fixed,
        decode_errors=decoded.decode_errors,
        raw_sha256=origin.raw_sha256,
        file_size=origin.file_size,
        file_mtime=origin.file_mtime,
    )


def _stated_hint(stated: Stated) -> LanguageHint | None:
    """The container's language ("en", "de-DE", "English") as langdetect's code."""
    if not stated.language:
        return None
    code = language_code(stated.language)
    return LanguageHint((code,), stated.evidence.get("language", "container")) if code else None


def _outlet_hint(registry: Registry, slug: str | None) -> LanguageHint | None:
    """The languages the article's outlet publishes in, as a tie-break for langdetect."""
    languages = registry.languages_of(slug)
    return LanguageHint(languages, f"outlet:{slug}") if languages else None


def tombstone(
    kind: str,
    source_root: str,
    source_path: str,
    version: int,
    at: datetime,
    run_id: str,
    record_key: str | None = None,
) -> ArticleRow:
    """An `articles` row that ends a file's last version: it was deleted or became unusable.

    It takes the next version number, so the latest row of a file is its highest version.
    """
    return ArticleRow(
        source_root=source_root,
        source_path=source_path,
        file_key=file_key(source_root, source_path, record_key),
        record_key=record_key,
        row_kind=kind,
        version=version,
        ingested_at=at,
        run_id=run_id,
    )
