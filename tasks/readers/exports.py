"""Database exports: many articles per file, split by the export's own markers.

The readers for the exports researchers download from news databases live in
`tasks/readers/nexis.py` (Nexis Uni / Lexis Advance DOCX, LexisNexis Academic / Nexis UK
TXT and HTML) and `tasks/readers/factiva.py` (Factiva HTML and XML). This module holds
what they share: an article as an export states it (`ExportArticle`), how one becomes a
`Document` (or a `RecordReject`), the record key, and the accounting of announced
against read articles.

Record keys. The export's own id where it has one (Factiva's accession number, the
`urn:contentItem:…` document id a Nexis Uni table of contents links to); else `sha256:`
and the first 16 hex digits of a hash of (outlet, date, headline, first 200 characters
of the body). Never the document counter alone ("3 of 250 DOCUMENTS"): exporting one
article more would shift every number. Two articles with the same content hash (the
same story delivered twice under two sections) keep the hash, the second one with `~2`
after it; an own id found twice is the same record twice, and the second is a
`duplicate_key` reject.

Accounting. Where an export announces how many articles it holds (a Nexis Uni cover page
"Documents (10)", a LexisNexis `<META DOCUMENTS=…>` or "Selected Items: 1-10" header, the
`N of M DOCUMENTS` counters of a download, Factiva XML's `count="…"`, the accession
numbers of a Factiva page), every article block found is accounted for, as a `Document`
or as a reject of its own (`no_text` for a block with no body, `bad_record` for a block
that holds no article at all, such as an export's error notice). When fewer blocks are
found than announced, ONE `RecordReject(None, "unsplittable", …)` per file says so,
with the count ("announces 10 articles, read 9; 1 could not be placed") and, where the
export shows them, which ones are missing. Missing articles are never merged silently
into a neighbour nor dropped without a word.
"""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import BinaryIO

from wirehouse.tasks.dates import find_publication_date
from wirehouse.tasks.decode import decode_bytes
from wirehouse.tasks.readers.base import Document, Item, ReadOptions, RecordReject, Stated

KEY_BODY_CHARS = 200  # how much of the body goes into a content key
MAX_MISSING_SHOWN = 10  # missing positions or titles named in an unsplittable reject

# Where each stated field was read, for `Stated.evidence`.
EVIDENCE = {
    "title": "export:headline",
    "published": "export:date",
    "outlet": "export:publication",
    "byline": "export:byline",
    "section": "export:section",
    "language": "export:language",
}

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf_32_le"),
    (codecs.BOM_UTF32_BE, "utf_32_be"),
    (codecs.BOM_UTF8, "utf_8"),
    (codecs.BOM_UTF16_LE, "utf_16_le"),
    (codecs.BOM_UTF16_BE, "utf_16_be"),
)
_DECLARED = re.compile(
    rb"""(?:<meta[^>]*?charset\s*=\s*["']?\s*|<\?xml[^>]*?encoding\s*=\s*["'])"""
    rb"""([a-z0-9][a-z0-9._:+-]*)""",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[^\S\n]+")
_ANY_SPACE = re.compile(r"\s+")
_CJK_DATE_GAPS = re.compile(r"\s*([年月日년월일])\s*")
_DATE_CUTS = re.compile(r"[,;]")
_ISO_DATE = re.compile(r"\b((?:1[89]|20)\d\d)-(\d\d)-(\d\d)\b")
_NUMBER = re.compile(r"\d[\d.,'\u00a0\u202f ]*")

# Language names as exports write them ("ENGLISH", "GERMAN; DEUTSCH", "Englisch",
# "德文") -> the code tasks.dates understands; only a hint for reading the dates.
_LANGUAGE_CODES = {
    "english": "en", "englisch": "en", "anglais": "en", "engels": "en", "inglés": "en",
    "ingles": "en", "inglese": "en", "engelsk": "en", "英文": "en", "英语": "en", "英語": "en",
    "영어": "en", "german": "de", "deutsch": "de", "allemand": "de", "duits": "de",
    "alemán": "de", "tedesco": "de", "tysk": "de", "德文": "de", "德语": "de", "ドイツ語": "de",
    "독일어": "de", "french": "fr", "français": "fr", "francais": "fr", "francaise": "fr",
    "française": "fr", "französisch": "fr", "frans": "fr", "francés": "fr", "francese": "fr",
    "fransk": "fr", "法文": "fr", "法语": "fr", "dutch": "nl", "nederlands": "nl",
    "niederländisch": "nl", "néerlandais": "nl", "holländisch": "nl", "danish": "da",
    "dansk": "da", "dänisch": "da", "spanish": "es", "español": "es", "espanol": "es",
    "spanisch": "es", "espagnol": "es", "spaans": "es", "西班牙文": "es", "italian": "it",
    "italiano": "it", "italienisch": "it", "italien": "it", "italiaans": "it",
    "portuguese": "pt", "português": "pt", "portugues": "pt", "portugiesisch": "pt",
    "swedish": "sv", "svenska": "sv", "schwedisch": "sv", "norwegian": "no", "norsk": "no",
    "finnish": "fi", "suomi": "fi", "polish": "pl", "polski": "pl", "russian": "ru",
    "русский": "ru", "russisch": "ru", "czech": "cs", "čeština": "cs", "turkish": "tr",
    "türkçe": "tr", "greek": "el", "hungarian": "hu", "magyar": "hu", "japanese": "ja",
    "日本語": "ja", "日文": "ja", "japanisch": "ja", "chinese": "zh", "中文": "zh",
    "chinesisch": "zh", "korean": "ko", "한국어": "ko", "koreanisch": "ko", "韩文": "ko",
    "arabic": "ar", "hebrew": "he", "indonesian": "id", "malay": "ms", "vietnamese": "vi",
    "thai": "th", "romanian": "ro", "croatian": "hr", "serbian": "sr", "slovak": "sk",
    "slovenian": "sl", "ukrainian": "uk", "catalan": "ca", "en": "en", "de": "de",
    "fr": "fr", "nl": "nl", "es": "es", "it": "it", "pt": "pt", "ja": "ja", "zh": "zh",
    "ko": "ko", "ru": "ru", "da": "da", "sv": "sv", "no": "no", "fi": "fi", "pl": "pl",
}  # fmt: skip


@dataclass(slots=True)
class ExportArticle:
    """One article block of an export, with what the export states about it."""

    position: int  # 1-based, among the article blocks of the file
    title: str | None = None
    published: date | None = None
    date_text: str | None = None  # the date as written
    outlet: str | None = None
    byline: str | None = None
    section: str | None = None
    language: str | None = None
    length: int | None = None  # words, as the export states them
    edition: str | None = None
    body: str = ""
    record_id: str | None = None  # the export's own id for the article
    counter: tuple[int, int] | None = None  # (N, M) of "N of M DOCUMENTS"
    fields: dict[str, str] = field(default_factory=dict)  # every labelled field, as written
    # A block that holds no article at all: (reason, what it holds instead).
    not_an_article: tuple[str, str] | None = None


@dataclass(slots=True)
class ExportParse:
    """An export split into article blocks, and what it announces about them."""

    articles: list[ExportArticle]
    announced: int | None = None  # articles the export says it holds; None = it does not say
    announced_by: str = ""  # where: "cover page 'Documents (10)'", "count=\"20\"", …
    missing: list[str] = field(default_factory=list)  # which ones, where the export shows it


class ExportReader:
    """What every export reader shares: the fields it takes, and reading = parsing the
    whole file (`parse`, per layout) and turning the parse into documents and rejects."""

    name = "export"
    fields: tuple[str, ...] = ("title", "published", "outlet", "byline", "section", "language")

    def parse(self, raw: bytes, filename: str, latest: date) -> ExportParse:
        raise NotImplementedError

    def read(self, stream: BinaryIO, filename: str, options: ReadOptions) -> Iterator[Item]:
        yield from to_items(
            self.parse(stream.read(), filename, options.latest), filename, self.name, options
        )


def to_items(
    parsed: ExportParse, filename: str, format: str, options: ReadOptions
) -> Iterator[Item]:
    """The documents and rejects of a parsed export, in file order, then the shortfall."""
    seen_ids: set[str] = set()
    seen_hashes: dict[str, int] = {}
    for article in parsed.articles:
        yield _item(article, filename, format, options, seen_ids, seen_hashes)
    shortfall = unplaced(parsed, filename)
    if shortfall is not None:
        yield shortfall


def unplaced(parsed: ExportParse, filename: str) -> RecordReject | None:
    """One `unsplittable` reject when the export announces more articles than it holds."""
    found = len(parsed.articles)
    if parsed.announced is None or found >= parsed.announced:
        return None
    missing = parsed.announced - found
    which = ""
    if parsed.missing:
        shown = ", ".join(parsed.missing[:MAX_MISSING_SHOWN])
        more = len(parsed.missing) - MAX_MISSING_SHOWN
        which = f" (missing: {shown}{f' and {more} more' if more > 0 else ''})"
    return RecordReject(
        None,
        "unsplittable",
        f"{filename}: announces {parsed.announced} articles ({parsed.announced_by}), "
        f"read {found}; {missing} could not be placed{which}",
    )


def content_key(outlet: str | None, published: date | None, title: str | None, body: str) -> str:
    """`sha256:` + 16 hex digits of (outlet, date, headline, first 200 body characters)."""
    parts = [
        _flat(outlet),
        published.isoformat() if published else "",
        _flat(title),
        _flat(body)[:KEY_BODY_CHARS],
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"sha256:{digest[:16]}"


def _item(
    article: ExportArticle,
    filename: str,
    format: str,
    options: ReadOptions,
    seen_ids: set[str],
    seen_hashes: dict[str, int],
) -> Item:
    where = f"{filename}: article {article.position}"
    if article.title:
        where += f" ({_short(article.title)})"
    if article.not_an_article is not None:
        reason, holds = article.not_an_article
        return RecordReject(article.record_id, reason, f"{where} holds no article: {holds}")
    if article.record_id:
        key = article.record_id
        if key in seen_ids:
            return RecordReject(key, "duplicate_key", f"{where}: {key} is in the file twice")
        seen_ids.add(key)
    else:
        key = content_key(article.outlet, article.published, article.title, article.body)
        seen_hashes[key] = seen_hashes.get(key, 0) + 1
        if seen_hashes[key] > 1:
            key = f"{key}~{seen_hashes[key]}"
    body = article.body.strip()
    if not _has_word(body):
        return RecordReject(key, "no_text", f"{where} has no body text")
    if len(body.encode("utf-8")) > options.max_document_bytes:
        return RecordReject(
            key,
            "too_large",
            f"{where}: body over {options.max_document_bytes:,} bytes (max_document_bytes)",
        )
    stated = {
        "title": article.title,
        "published": article.published,
        "outlet": article.outlet,
        "byline": article.byline,
        "section": article.section,
        "language": article.language,
    }
    evidence = {name: EVIDENCE[name] for name, value in stated.items() if value}
    return Document(
        record_key=key,
        format=format,
        text=body,
        stated=Stated(**stated, evidence=evidence),  # type: ignore[arg-type]
    )


# -- shared parsing helpers ------------------------------------------------------------


def decode_export(raw: bytes, *, markup: bool = False) -> str:
    """The text of an export's bytes, its line layout (indentation) kept.

    A BOM, else the charset a markup file declares, else UTF-8; else the encoding
    `tasks.decode.decode_bytes` finds (its own text is normalized, which would lose the
    centring that tells a LexisNexis header from its headline, so only its choice of
    encoding is used where it is a plain codec)."""
    for bom, codec in _BOMS:
        if raw.startswith(bom):
            return raw[len(bom) :].decode(codec, errors="replace")
    if markup:
        declared = _DECLARED.search(raw[:16384])
        if declared:
            codec = _codec(declared.group(1).decode("ascii", "replace"))
            if codec is not None:
                try:
                    return raw.decode(codec)
                except UnicodeDecodeError:
                    pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    decoded = decode_bytes(raw)
    codec = _codec(decoded.encoding)
    if codec is not None:
        return raw.decode(codec, errors="replace")
    return decoded.text


@lru_cache(maxsize=2)
def head_text(head: bytes) -> str:
    """A sniffing view of a file's first bytes: BOM-aware, undecodable bytes replaced.

    Kept for the next sniff of the same bytes: `choose_reader` asks every reader, and
    four of them read this view (a bytes object keeps its hash, so a repeat costs one
    lookup instead of a decode of up to 64 KB)."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, errors="replace")
    if head[:4000].count(b"\x00") > len(head[:4000]) // 4:
        even_zeros = head[0:4000:2].count(b"\x00")
        odd_zeros = head[1:4000:2].count(b"\x00")
        return head.decode("utf_16_be" if even_zeros > odd_zeros else "utf_16_le", "replace")
    return head.decode("utf-8", errors="replace")


def mentions(head: bytes, needles: tuple[str, ...]) -> bool:
    """Whether a file's head, as `head_text` reads it and case-folded, contains one of
    `needles` (written case-folded).

    A sniff asks this before a case-insensitive pattern whose every match must contain
    one of the needles: the answer is the same, but Python's `re` runs such patterns
    slowly over a 64 KB head (50-250 us each on a 5 KB page, several times the cost of
    folding the text once), and most files contain none of the words. The folded head
    is kept for the next sniff of the same bytes (`choose_reader` asks every reader)."""
    folded = _folded_head(head)
    return any(needle in folded for needle in needles)


@lru_cache(maxsize=2)
def _folded_head(head: bytes) -> str:
    return head_text(head).casefold()


def export_date(text: str | None, latest: date, language: str | None = None) -> date | None:
    """A stated date line ("January 11, 2010 Monday", "2018 年 10 月 7 日 17:04",
    "December 19, 1991, Sunday, An Edition") as a date; None when it states no full date
    or one after `latest`. A weekday that does not fit the date is ignored, as is
    what follows a comma or semicolon after the date."""
    if not text:
        return None
    line = _CJK_DATE_GAPS.sub(r"\1", " ".join(text.split()))
    iso = _ISO_DATE.search(line)
    if iso:
        try:
            found = date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
        except ValueError:
            return None
        return found if found <= latest else None
    words = line.split()
    candidates = [line] + [line[: m.start()] for m in _DATE_CUTS.finditer(line)]
    # "12 April 2013 Tuesday" (a Friday), "June 24, 2004 Thursday All but Ontario
    # Edition": shorter and shorter openings of the line, the date first.
    candidates += [" ".join(words[:k]) for k in range(min(len(words), 12) - 1, 1, -1)]
    for candidate in candidates:
        if not candidate.strip():
            continue
        published = find_publication_date([candidate], latest, language).published
        if published is not None:
            return published
    return None


def is_date_line(text: str, latest: date, language: str | None = None) -> bool:
    return export_date(text, latest, language) is not None


def language_code(name: str | None) -> str | None:
    """The date parser's code for a language as an export names it, where known."""
    if not name:
        return None
    for word in re.split(r"[;,/()\s]+", name.strip().lower()):
        if word in _LANGUAGE_CODES:
            return _LANGUAGE_CODES[word]
    return None


def word_count(text: str | None) -> int | None:
    """The number in a length field ("2,968 words", "1285 Wörter", "8165 字")."""
    if not text:
        return None
    m = _NUMBER.search(text)
    if not m:
        return None
    digits = re.sub(r"\D", "", m.group())
    return int(digits) if digits else None


def clean(text: str | None) -> str | None:
    """One line, single spaces; None when nothing is left."""
    if text is None:
        return None
    flat = " ".join(text.replace("\u00a0", " ").split())
    return flat or None


def paragraphs_text(paragraphs: Iterable[str]) -> str:
    """Body paragraphs separated by blank lines, spaces within each collapsed."""
    out = []
    for paragraph in paragraphs:
        lines = [_SPACES.sub(" ", line).strip() for line in paragraph.split("\n")]
        text = "\n".join(line for line in lines if line)
        if text:
            out.append(text)
    return "\n\n".join(out)


def _codec(label: str | None) -> str | None:
    if not label or "+" in label:
        return None
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def _flat(text: str | None) -> str:
    return unicodedata.normalize("NFC", _ANY_SPACE.sub(" ", text or "").strip()).casefold()


def _has_word(text: str) -> bool:
    return any(ch.isalnum() for ch in text)


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
