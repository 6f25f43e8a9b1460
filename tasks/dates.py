"""Publication dates from datelines and headers, in the styles news outlets really use.

Only the opening lines of an article are searched, and every pattern is anchored at the
start of a line, so dates mentioned in the story itself are never taken for the
publication date. A date without a year keeps `year=None`: nothing is guessed here.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

# Month names and abbreviations in English, Russian (nominative and genitive), German,
# French, Spanish, Portuguese and Italian, mapped to month numbers. Lower case; matching
# ignores case.
_MONTH_WORDS: dict[int, str] = {
    1: "january jan января январь янв januar jänner janvier janv enero ene janeiro gennaio",
    2: "february feb февраля февраль фев februar février fevrier févr fevr febrero fevereiro "
    "febbraio",
    3: "march mar марта март märz maerz mars marzo março marco",
    4: "april apr апреля апрель апр avril avr abril abr aprile",
    5: "may мая май mai mayo maio maggio",
    6: "june jun июня июнь juni juin junio junho giugno",
    7: "july jul июля июль juli juillet juil julio julho luglio",
    8: "august aug августа август авг août aout agosto ago",
    9: "september sept sep сентября сентябрь сент сен septembre septiembre setiembre set "
    "setembro settembre",
    10: "october oct октября октябрь окт oktober okt octobre octubre outubro ottobre",
    11: "november nov ноября ноябрь ноя novembre noviembre novembro",
    12: "december dec декабря декабрь дек dezember dez décembre decembre déc diciembre dic "
    "dezembro dicembre",
}
MONTHS: dict[str, int] = {w: n for n, words in _MONTH_WORDS.items() for w in words.split()}
_MONTHS_FOLDED = {w.casefold(): n for w, n in MONTHS.items()}
# Month names ignore case; city names in datelines must stay in capitals, so the flag is
# scoped to the month group instead of the whole pattern.
_MONTH = "(?P<mon>(?i:" + "|".join(sorted(map(re.escape, MONTHS), key=len, reverse=True)) + r"))\.?"

# A dateline city: capitals (Latin or Cyrillic), maybe several words, maybe a US state or
# country abbreviation after a comma ("PORTLAND, Ore.", "ROCHESTER, N.Y.").
_CAPS = r"[A-ZÀ-ÖØ-ÞА-ЯЁ]"
# After the city, maybe a region: an abbreviation ("Ore.", "N.Y.") or up to three
# capitalized words ("British Columbia", "West Germany").
_STATE = r"(?:,\s*(?:[A-Z][A-Za-z.]{1,6}(?:\s?[A-Z]\.)?|[A-Z][a-z]+(?:\s[A-Z][a-z]+){0,2}))?"
_CITY = rf"(?P<city>{_CAPS}[{_CAPS[1:-1]}0-9.'’/ -]{{1,40}}?){_STATE}"
_MIXED_CITY = rf"(?P<city>[A-ZÀ-ÞА-ЯЁ][\w.'’ -]{{1,40}}?){_STATE}"
# The comma before the date may be missing after an abbreviation: "RICHMOND, Va. Feb 26 -".
_SEP = r"(?:,\s*|(?<=\.)\s+)"
_DAY = r"(?P<day>\d{1,2})"
_YEAR = r"(?P<year>\d{4})"
_DASH = r"[-–—]"
# What follows a dateline's date: an agency marker, a dash, a full stop or a slash.
_AFTER = rf"(?=\s*(?:\(|/|{_DASH}|\.|:|,|$))"
_HEADER_WORD = r"(?i:date|dated|published|posted|publication date|datum|fecha|дата)"


@dataclass(frozen=True, slots=True)
class DateInfo:
    """A publication date as stated in the text; parts the text does not state are None."""

    year: int | None
    month: int | None
    day: int | None
    text: str | None
    source: str | None  # 'dateline', 'header', or 'invalid' (stated but impossible)

    @property
    def published(self) -> date | None:
        if None in (self.year, self.month, self.day):
            return None
        return date(self.year, self.month, self.day)  # type: ignore[arg-type]


NO_DATE = DateInfo(None, None, None, None, None)

# (label, pattern). Order matters: the most specific styles come first.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (label, re.compile(pattern))
    for label, pattern in (
        # " date 2017-07-28", "Published: 2017-07-28", "Дата: 28.07.2017"
        (
            "header",
            rf"^{_HEADER_WORD}"
            rf"\s*:?\s*{_YEAR}[-/.](?P<month>\d{{1,2}})[-/.]{_DAY}\b",
        ),
        (
            "header",
            rf"^{_HEADER_WORD}"
            rf"\s*:?\s*{_DAY}[./](?P<month>\d{{1,2}})[./]{_YEAR}\b",
        ),
        (
            "header",
            rf"^{_HEADER_WORD}\s*:?\s*"
            rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}\b",
        ),
        # A line that is only a date: "2017-07-28", "July 28, 2017"
        ("header", rf"^{_YEAR}-(?P<month>\d{{2}})-{_DAY}(?:[T ][\d:.+Z]*)?$"),
        ("header", rf"^{_MONTH}\s+{_DAY},\s+{_YEAR}$"),
        # "(Interfax – Moscow, May 17, 2021)"
        (
            "dateline",
            rf"^\((?P<agency>[^()\n,–—-]{{2,40}}?)\s*{_DASH}\s*{_MIXED_CITY},\s*"
            rf"{_MONTH}\s+{_DAY},?\s+{_YEAR}\)",
        ),
        # "June 23, 2017 (EIRNS)—"
        ("dateline", rf"^{_MONTH}\s+{_DAY},\s+{_YEAR}(?=\s*(?:\(|{_DASH}))"),
        # "MOSCOW, July 28. /TASS/.", "SALVADOR, Feb 26 -", "BEIJING, July 28, 2017 (Xinhua) --"
        ("dateline", rf"^{_CITY}{_SEP}{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?{_AFTER}"),
        # "МОСКВА, 28 июля. /ТАСС/.", "BERLIN, 28. Juli 2017 (dpa) -", "MADRID, 28 de julio (EFE)"
        (
            "dateline",
            rf"^{_CITY},\s*{_DAY}\.?\s+(?:de\s+)?{_MONTH}(?:\s+(?:de\s+)?{_YEAR}(?:\s*(?:года|г\.))?)?"
            rf"{_AFTER}",
        ),
        # "MOSCOW, 28.07.2017 -"
        ("dateline", rf"^{_CITY},\s*{_DAY}\.(?P<month>\d{{1,2}})\.{_YEAR}{_AFTER}"),
        # "Moscow, July 28 (Xinhua) --", "Toronto, Feb 26 -": mixed-case city, so only with
        # an agency marker or a dash right after the date
        (
            "dateline",
            rf"^{_MIXED_CITY}{_SEP}{_MONTH}\s+{_DAY}(?:,?\s+{_YEAR})?"
            rf"(?=\s*(?:[(/]|{_DASH}))",
        ),
    )
)

EARLIEST_YEAR = 1800
HEADER_LINES = 4  # dateline search covers this many non-empty lines from the top
HEADER_CHARS = 300  # and this many characters of each


def find_publication_date(lines: list[str], latest: date) -> DateInfo:
    """The first dateline or header date among the opening `lines`.

    `latest` is the newest acceptable date (usually today): a later year is invalid.
    """
    for line in lines[:HEADER_LINES]:
        found = match_dateline(line[:HEADER_CHARS])
        if found is not None:
            return _validated(found, latest)
    return NO_DATE


def match_dateline(line: str) -> DateInfo | None:
    """Parse a dateline or date header at the start of `line`, without validating it."""
    stripped = line.strip()
    for label, pattern in _PATTERNS:
        m = pattern.match(stripped)
        if m is None:
            continue
        parts = m.groupdict()
        month = _month_number(parts["mon"]) if parts.get("mon") else int(parts["month"])
        if month is None:
            continue
        year = int(parts["year"]) if parts.get("year") else None
        return DateInfo(year, month, int(parts["day"]), m.group(0).strip(), label)
    return None


def _month_number(word: str) -> int | None:
    """The month a matched name stands for. `re` ignores case more loosely than
    str.casefold (it lets 'ſ' match 's'), so a match may still name no month."""
    return _MONTHS_FOLDED.get(word.casefold())


def _validated(found: DateInfo, latest: date) -> DateInfo:
    """Keep the date only if it exists in the calendar and lies in [1800, latest]."""
    month, day, year = found.month or 0, found.day or 0, found.year
    leap_safe_year = year if year is not None else 2000  # Feb 29 is fine without a year
    calendar_ok = 1 <= month <= 12 and 1 <= day <= _days_in(leap_safe_year, month)
    year_ok = year is None or EARLIEST_YEAR <= year <= latest.year
    if not (calendar_ok and year_ok):
        return DateInfo(None, None, None, found.text, "invalid")
    if year is not None and date(year, month, day) > latest:
        return DateInfo(None, None, None, found.text, "invalid")
    return found


def _days_in(year: int, month: int) -> int:
    if not 1 <= year <= 9999 or not 1 <= month <= 12:
        return 0
    return calendar.monthrange(year, month)[1]
