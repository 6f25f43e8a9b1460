"""Property-based tests (hypothesis) of the pure steps in `tasks/`.

Each test states an invariant that must hold for *any* input: arbitrary bytes for the
decoder, arbitrary lines for the date parser, arbitrary text for layout, outlet and
language, and arbitrary bytes end to end, down to the Arrow `articles` schema. Generated
datelines check that the parser recovers exactly the date that was written.

Inputs that hypothesis once shrank a real bug to stay pinned as explicit `@example`s.
The example database is off, so every run starts afresh and replays nothing (hypothesis
still caches its Unicode tables in the git-ignored `.hypothesis/`).
"""

from __future__ import annotations

import calendar
import codecs
import os
import re
import unicodedata
from dataclasses import replace
from datetime import UTC, date, datetime
from functools import cache

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from langdetect.detector_factory import PROFILES_DIRECTORY
from wirehouse.tasks.article import EnrichOptions, FileVersion, build_article
from wirehouse.tasks.dates import (
    HEADER_CHARS,
    HEADER_LINES,
    find_publication_date,
    languages,
    match_dateline,
    month_names,
)
from wirehouse.tasks.decode import Decoded, _repair_mojibake, decode_bytes, normalize_text
from wirehouse.tasks.errors import REASONS, RejectError
from wirehouse.tasks.language import detect_language
from wirehouse.tasks.layout import split_layout
from wirehouse.tasks.sources import SourceTag, assign_source, detect_outlet, load_registry
from wirehouse.warehouse.rows import ArticleRow, to_table
from wirehouse.warehouse.schemas import ARTICLES

LATEST = date(2026, 11, 23)
REGISTRY = load_registry()
LANGUAGES = frozenset(os.listdir(PROFILES_DIRECTORY))

BASE = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# --- strategies -------------------------------------------------------------------------

CODECS = (
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "utf-16-le",
    "utf-16-be",
    "cp1251",
    "cp1252",
    "latin-1",
    "koi8_r",
    "gb18030",
    "shift_jis",
    "big5",
)
# Codecs whose bytes announce themselves (BOM) or are plain UTF-8: the decoder must give
# back exactly the normalized, mojibake-repaired original text.
EXACT_CODECS = ("utf-8", "utf-8-sig", "utf-16")

EN_MONTHS = tuple(calendar.month_name[1:])
RU_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
AGENCIES = ("Interfax", "Xinhua", "AP", "Reuters", "Prensa Latina", "Kyodo News")
RU_CITIES = ("МОСКВА", "САНКТ-ПЕТЕРБУРГ", "ВЛАДИВОСТОК", "КАЗАНЬ", "НОВОСИБИРСК")
# Lines that the registry knows: generic and outlet chrome, sign-offs, dateline markers.
KNOWN_LINES = (
    "All news",
    "Subscribe now",
    "Back to top",
    "Subscribe to EIR Online",
    "EIR Online",
    "Advertisement",
    "Reuter",
    "REUTERS...",
    "(Xinhua)",
    "(end)",
    "SS",
    "AK/MD",
    "MOSCOW, July 28. /TASS/. Russian Foreign Minister said.",
    "(Interfax – Moscow, May 17, 2021) Talks went on.",
    "BEIJING, July 28 (Xinhua) -- China said.",
    "June 23, 2017 (EIRNS)—The Russian Foreign Ministry said.",
    "LONDON, Feb 26 (Reuters) - Shares rose.",
    "МОСКВА, 28 июля. /ТАСС/. Министр заявил.",
)

cities = st.from_regex(r"[A-Z]{2,12}(?: [A-Z]{2,12})?", fullmatch=True)
days = st.integers(1, 28)
years = st.integers(1900, 2025)


def _cased(word: str, how: str) -> str:
    return {"lower": word.lower(), "upper": word.upper(), "title": word.title()}[how]


# Any month word of the parser (CLDR's, in 55 languages) that means one month, in any case.
MONTHS = month_names()
month_words = st.builds(
    _cased, st.sampled_from(sorted(MONTHS)), st.sampled_from(["lower", "upper", "title"])
)


@st.composite
def date_like_lines(draw):
    """Lines shaped like datelines and date headers, with possibly impossible numbers."""
    city, mon = draw(cities), draw(month_words)
    day, month = draw(st.integers(0, 40)), draw(st.integers(0, 15))
    year = draw(st.integers(0, 9999) | years)
    agency = draw(st.sampled_from(AGENCIES))
    forms = (
        f"{city}, {mon} {day}. /TASS/. Body text",
        f"{city}, {mon} {day}, {year:04d} (Xinhua) -- Body",
        f"{city}, {day} {mon} {year} (dpa) - Body",
        f"({agency} – {city.title()}, {mon} {day}, {year})",
        f"{mon} {day}, {year} (EIRNS)—Body",
        f"{mon} {day}, {year}",
        f"Date: {year:04d}-{month:02d}-{day:02d}",
        f"Дата: {day:02d}.{month:02d}.{year:04d}",
        f"{year:04d}-{month:02d}-{day:02d}",
        f"{city}, {day}.{month:02d}.{year:04d} - Body",
        f"{city.title()}, {mon} {day} (AFP) - Body",
    )
    padding = draw(st.sampled_from(["", " ", "\t", "  "]))
    return padding + draw(st.sampled_from(forms))


BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")
byte_chunks = st.one_of(
    st.binary(max_size=32),
    st.from_regex(rb"[ -~\n]{0,60}", fullmatch=True),  # printable ASCII
    st.text(max_size=40).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.binary(max_size=32).map(lambda b: bytes(x | 0x80 for x in b)),  # legacy code pages
)


def _soup(parts: tuple[bytes, list[bytes]], max_size: int) -> bytes:
    return (parts[0] + b"".join(parts[1]))[:max_size]


def raw_bytes(max_size: int):
    """Arbitrary bytes, and bytes that look more like text: BOMs, ASCII, UTF-8, high bytes."""
    soups = st.tuples(st.sampled_from((b"", *BOMS)), st.lists(byte_chunks, max_size=12))
    return st.binary(max_size=max_size) | soups.map(lambda parts: _soup(parts, max_size))


any_line = st.text() | date_like_lines() | st.sampled_from(KNOWN_LINES)
# Texts that look a bit like articles: title, lede, dateline, chrome, sign-off, noise.
article_texts = st.lists(any_line | st.just(""), max_size=8).map("\n".join) | st.text()


# Text that stresses normalization: letters, combining marks, Hangul jamo, characters that
# normalize_text drops (NUL, BOM, zero-width space) and every kind of line break and space.
tricky_texts = st.text(
    st.sampled_from("eAoKn\u0301\u0308\u0327\u1100\u1161\x00\ufeff\u200b\t\r\n \xa0\x85\u2028")
)


@st.composite
def encoded_texts(draw, texts=st.text() | tricky_texts):  # noqa: B008 - strategies are immutable
    """(original text, codec, bytes) for a text that the codec can encode."""
    text, codec = draw(texts), draw(st.sampled_from(CODECS))
    try:
        raw = text.encode(codec)
    except UnicodeEncodeError:
        assume(False)
    return text, codec, raw


_BMP = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x10000)))


@cache
def _case_variants(ch: str) -> str:
    """Every BMP character that Python's re matches against `ch` under IGNORECASE."""
    return "".join(re.findall(re.escape(ch), _BMP, re.IGNORECASE))


@st.composite
def month_word_case_variants(draw):
    """(month number, a spelling of one of its words that the month regex accepts)."""
    word = draw(st.sampled_from(sorted(MONTHS)))
    spelled = "".join(draw(st.sampled_from(_case_variants(ch))) for ch in word)
    return MONTHS[word], spelled


# --- helpers ------------------------------------------------------------------------------


def check_reject(exc: RejectError) -> None:
    assert exc.reason in REASONS
    assert isinstance(exc.message, str) and exc.message


def check_decoded(decoded: Decoded) -> None:
    """The invariants every decoded text satisfies, whatever the bytes were.

    NFC is checked on its own in test_decoded_text_is_nfc, which pins a known bug: checked
    here, it would make every decode test fail whenever hypothesis stumbles on that bug.
    """
    text = decoded.text
    assert isinstance(text, str) and text
    assert "\r" not in text
    bad = [ch for ch in text if unicodedata.category(ch) == "Cc" and ch != "\n"]
    assert not bad, bad
    text.encode("utf-8", errors="strict")  # no lone surrogates
    assert text == text.strip()
    assert "\n\n\n" not in text
    assert isinstance(decoded.encoding, str) and decoded.encoding
    # UTF-8 mixed with stretches in one legacy code page is labelled e.g. 'utf_8+cp1251'.
    for name in decoded.encoding.split("+"):
        codecs.lookup(name)
    assert isinstance(decoded.decode_errors, int) and decoded.decode_errors >= 0
    assert isinstance(decoded.had_bom, bool) and isinstance(decoded.mojibake_fixed, bool)


def decode_or_reject(raw: bytes) -> Decoded | None:
    """decode_bytes, with the checks of either outcome; None when the bytes are rejected."""
    try:
        decoded = decode_bytes(raw)
    except RejectError as exc:
        check_reject(exc)
        return None
    check_decoded(decoded)
    return decoded


def reference_text(text: str) -> str:
    """What decode_bytes must make of `text` when the bytes leave no doubt about it."""
    return normalize_text(_repair_mojibake(text)[0])


def origin_of(raw: bytes) -> FileVersion:
    return FileVersion("/root", "a.txt", 1, len(raw), datetime.now(UTC), "0" * 64)


def check_article_row(row: ArticleRow) -> None:
    """The row plus the run columns is exactly one valid `articles` record."""
    full = replace(row, ingested_at=datetime.now(UTC), run_id="r")
    table = to_table([full], "articles")  # refuses a NULL in a required column
    table.validate(full=True)
    assert table.num_rows == 1 and table.schema.equals(ARTICLES)


# --- decode ------------------------------------------------------------------------------


# A UTF-16-LE BOM, then one byte: raised UnicodeDecodeError until _decode_counting stopped
# using surrogateescape (which cannot escape bytes below 0x80).
BOM_ODD_PAYLOAD = b"\xff\xfe\x00"
# e, ZERO WIDTH SPACE, COMBINING ACUTE: was not NFC while normalize_text dropped the ZWSP
# after normalizing, leaving "e\u0301".
ZWSP_BEFORE_ACCENT = "e\u200b\u0301".encode()


@given(raw_bytes(4096))
@example(BOM_ODD_PAYLOAD)
@settings(BASE, max_examples=500)
def test_decode_arbitrary_bytes(raw):
    decode_or_reject(raw)


@given(encoded_texts())
@settings(BASE, max_examples=500)
def test_decode_text_in_many_codecs(case):
    text, codec, raw = case
    decoded = decode_or_reject(raw)
    if decoded is None:
        return
    # FF FE + a UTF-16 U+0000 is the UTF-32-LE BOM: an inherent ambiguity, not checked.
    ambiguous = codec == "utf-16" and text.startswith("\x00")
    if codec in EXACT_CODECS and (decoded.had_bom or decoded.encoding == "utf_8") and not ambiguous:
        assert decoded.text == reference_text(text)
        assert decoded.decode_errors == 0


@given(raw_bytes(4096) | encoded_texts().map(lambda case: case[2]))
@example(ZWSP_BEFORE_ACCENT)
@settings(BASE, max_examples=300)
def test_decoded_text_is_nfc(raw):
    decoded = decode_or_reject(raw)
    assert decoded is None or unicodedata.is_normalized("NFC", decoded.text), decoded


# --- dates -------------------------------------------------------------------------------


def check_date_info(info, lines: list[str]) -> None:
    fields = (info.year, info.month, info.day, info.text, info.source)
    if all(f is None for f in fields):
        assert info.published is None
        return
    assert info.source in {"dateline", "header", "invalid"}
    assert isinstance(info.text, str) and info.text
    heads = [line[:HEADER_CHARS].strip() for line in lines[:HEADER_LINES]]
    assert any(head.startswith(info.text) for head in heads)
    if info.source == "invalid":
        assert (info.year, info.month, info.day) == (None, None, None)
        assert info.published is None
        return
    assert 1 <= info.month <= 12
    assert 1 <= info.day <= calendar.monthrange(info.year or 2000, info.month)[1]
    if info.year is None:
        assert info.published is None
    else:
        assert 1800 <= info.year <= LATEST.year
        assert date(info.year, info.month, info.day) <= LATEST
        assert info.published == date(info.year, info.month, info.day)


@given(st.lists(st.text(), max_size=6))
@settings(BASE, max_examples=500)
def test_publication_date_of_arbitrary_lines(lines):
    check_date_info(find_publication_date(lines, LATEST), lines)


# Digits, letters of many scripts and the punctuation datelines are made of.
_DATELINE_WORDS = ["July", "июля", "lutego", "7月", "ก.ค.", "يوليو", "MOSCOW", "Москва", "(AFP)"]
_DATELINE_ALPHABET = st.sampled_from(
    [
        *"0123456789٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹０１２３４５６７８９ ,.-–—/()【】年月日电년월일",
        *_DATELINE_WORDS,
    ]
)


@given(
    st.lists(st.lists(_DATELINE_ALPHABET, max_size=12).map("".join), max_size=5),
    st.none() | st.sampled_from(languages()),
)
@settings(BASE, max_examples=500)
def test_publication_date_of_dateline_fragments_in_any_language(lines, language):
    check_date_info(find_publication_date(lines, LATEST, language), lines)


@given(st.lists(any_line, max_size=6))
@settings(BASE, max_examples=500)
def test_publication_date_of_date_like_lines(lines):
    check_date_info(find_publication_date(lines, LATEST), lines)


def assert_parsed(line: str, expected: tuple[int | None, int, int]) -> None:
    found = find_publication_date([line], LATEST)
    assert found.source == "dateline", line
    assert (found.year, found.month, found.day) == expected, line
    assert line.startswith(found.text)


@given(cities, st.integers(1, 12), days, st.sampled_from(["/TASS/.", "(Xinhua) --", "-"]))
@settings(BASE, max_examples=200)
def test_generated_city_datelines(city, month, day, tail):
    assert_parsed(f"{city}, {EN_MONTHS[month - 1]} {day}. {tail} body", (None, month, day))
    assert_parsed(f"{city}, {EN_MONTHS[month - 1]} {day} {tail} body", (None, month, day))


@given(cities, st.integers(1, 12), days, years)
@settings(BASE, max_examples=200)
def test_generated_city_datelines_with_year(city, month, day, year):
    line = f"{city}, {EN_MONTHS[month - 1]} {day}, {year} (Xinhua) -- body"
    assert_parsed(line, (year, month, day))


@given(st.sampled_from(AGENCIES), cities, st.integers(1, 12), days, years)
@settings(BASE, max_examples=200)
def test_generated_agency_datelines(agency, city, month, day, year):
    line = f"({agency} – {city.title()}, {EN_MONTHS[month - 1]} {day}, {year})"
    assert_parsed(line, (year, month, day))


@given(st.sampled_from(RU_CITIES), st.integers(1, 12), days, st.none() | years)
@settings(BASE, max_examples=200)
def test_generated_russian_datelines(city, month, day, year):
    when = f"{day} {RU_GENITIVE[month - 1]}" + (f" {year} года" if year else "")
    assert_parsed(f"{city}, {when}. /ТАСС/. Текст", (year, month, day))


# `re` ignores case more loosely than str.lower/casefold: these raised KeyError once.
# 'ſ' casefolds to 's' (recognized); 'İ' casefolds to 'i' + U+0307 (no month: no date).
@given(month_word_case_variants(), days)
@example((8, "auguſt"), 1)
@example((4, "ABRİL"), 1)
@settings(BASE, max_examples=300)
def test_month_in_any_case_the_regex_accepts(month_and_word, day):
    month, word = month_and_word
    found = match_dateline(f"MOSCOW, {word} {day}. /TASS/.")
    assert found is None or (found.year, found.month, found.day) == (None, month, day)


# --- layout and outlets ------------------------------------------------------------------


@given(st.text() | article_texts)
@settings(BASE, max_examples=300)
def test_split_layout_of_any_text(text):
    layout = split_layout(text, REGISTRY)
    assert isinstance(layout.body, str)
    assert "\n\n\n" not in layout.body
    for part in (layout.title, layout.lede):
        assert part is None or (isinstance(part, str) and part and part in text)
    assert len(layout.header_lines) <= HEADER_LINES
    body_lines = layout.body.split("\n")
    assert all(line and line in body_lines for line in layout.header_lines)


@given(st.text() | article_texts)
@settings(BASE, max_examples=300)
def test_detect_outlet_of_any_text(text):
    layout = split_layout(text, REGISTRY)
    tag = detect_outlet(layout.header_lines, layout.chrome_hits, layout.signoff_hit, REGISTRY)
    assert isinstance(tag, SourceTag)
    assert tag.slug is None or tag.slug in REGISTRY.slugs()
    assert (tag.slug is None) == (tag.evidence is None)


folder_maps = st.dictionaries(st.text(max_size=12), st.text(min_size=1, max_size=8), max_size=3)


@given(
    st.text(),
    st.sampled_from(sorted(REGISTRY.slugs())) | st.none(),
    st.text(min_size=1),
    folder_maps,
)
@settings(BASE, max_examples=200)
def test_assign_source_override_wins(path, detected_slug, override, folders):
    detected = SourceTag(detected_slug, "chrome" if detected_slug else None)
    assert assign_source(path, detected, override, folders) == SourceTag(override, "override")


@given(st.text(), st.sampled_from(sorted(REGISTRY.slugs())) | st.none(), folder_maps)
@settings(BASE, max_examples=200)
def test_assign_source_without_override(path, detected_slug, folders):
    detected = SourceTag(detected_slug, "chrome" if detected_slug else None)
    tag = assign_source(path, detected, None, folders)
    if tag != detected:
        assert tag.slug in folders.values()
        assert tag.evidence.startswith("folder:")


# --- language ----------------------------------------------------------------------------


@given(st.text(max_size=300) | article_texts)
@settings(BASE, max_examples=200)
def test_detect_language_of_any_text(text):
    guess = detect_language(text)
    assert guess.language is None or guess.language in LANGUAGES
    assert guess.probability is None or 0.0 <= guess.probability <= 1.0
    assert (guess.language is None) == (guess.probability is None)
    assert detect_language(text) == guess


# --- end to end --------------------------------------------------------------------------


def build(raw: bytes) -> ArticleRow | None:
    options = EnrichOptions(latest_date=LATEST)
    try:
        return build_article(raw, origin_of(raw), options, REGISTRY)
    except RejectError as exc:
        check_reject(exc)
        return None


@given(raw_bytes(2048))
@example(BOM_ODD_PAYLOAD)
@settings(BASE, max_examples=300)
def test_build_article_of_arbitrary_bytes(raw):
    row = build(raw)
    if row is not None:
        check_article_row(row)


@given(encoded_texts(article_texts))
@settings(BASE, max_examples=200)
def test_build_article_of_encoded_article_text(case):
    _, _, raw = case
    row = build(raw)
    if row is not None:
        check_article_row(row)
