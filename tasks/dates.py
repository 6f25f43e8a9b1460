"""Publication dates from datelines and date headers, in every language langdetect knows.

Only the opening lines of an article are searched, and a date counts only where a line's
layout makes it the publication date: at the start of the line, after a dateline city
(any script, maybe followed by regions or abbreviations: `NITRO, W. Va., March 31 -`),
after an agency (`(Interfax – Moscow, May 17, 2021)`, `新华社北京7月28日电`) or after a
header word (`Published: 28.07.2017`), and followed by what ends a dateline (an agency
marker, a dash, a full stop, a colon, `电`). Dates mentioned in the story are never taken.
A date without a year keeps `year=None`: nothing is guessed here.

The vocabulary comes from the Unicode CLDR through Babel, for each of langdetect's 55
languages and all their regional locales: month names (wide and abbreviated, format and
stand-alone, so genitive forms too), weekday names, the words CLDR's date patterns put
between the numbers (`de`, `del`, `г.`, `gada`, `m.`, `년`, `日`, `ב`…) and the order of
day, month and year in numeric dates. Chinese, Japanese and Korean dates (`2017年7月28日`,
`2017년 7월 28일`) are CLDR's own month names (`7月`, `7월`) between numbers; digits of
every script count (`۲۸`, `٢٨`, `２８`), and a Thai Buddhist-era year (`2560`) is converted.

What is hand-written, and why: the grammar (where a date may stand in a line: CLDR
describes dates, not datelines), the header words (CLDR has no "published"), the year
words news copy writes but CLDR's patterns do not (`года`, `року`, `r.`, `roku`,
`godine`), and English ordinals (`28th`). A word that names different months in
different languages (`listopad`: November in Polish and Czech, October in Croatian) is
resolved by the article's language, else left alone. A month name of four letters or
more with one typo (`Macrh`, `Apri`: one letter added, dropped, changed or two swapped,
the first letter kept) is accepted when it can only be one month.
"""

from __future__ import annotations

import calendar
import os
import re
import sys
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date
from functools import cache

EARLIEST_YEAR = 1800
HEADER_LINES = 4  # dateline search covers this many non-empty lines from the top
HEADER_CHARS = 300  # and this many characters of each
DATE_WITHIN = 120  # a dateline's date begins within this many characters of its line
BUDDHIST_ERA = 543  # Thai years are counted from 543 BC

# CLDR locales of langdetect's languages where the codes differ.
_CLDR_LOCALE = {"zh-cn": "zh_Hans", "zh-tw": "zh_Hant", "no": "nb", "tl": "fil"}

# Words before a date in a header line (CLDR has none for "published"), any case.
_HEADER_WORDS = (
    "date", "dated", "published", "published on", "posted", "posted on", "publication date",
    "datum", "fecha", "fecha de publicación", "publicado", "publicado el", "data",
    "data de publicação", "data publikacji", "opublikowano", "publié", "publié le",
    "date de publication", "veröffentlicht", "veröffentlicht am", "pubblicato", "pubblicato il",
    "дата", "дата публикации", "опубликовано", "опубліковано", "дата публікації",
    "tarih", "yayınlanma tarihi", "yayın tarihi", "datum objave", "objavljeno", "közzétéve",
    "日期", "发布时间", "發佈時間", "发布日期", "發布日期", "时间", "時間", "掲載日", "配信日",
    "公開日", "게시일", "등록일", "입력", "기사입력", "تاريخ", "تاريخ النشر", "تاریخ",
    "تاریخ انتشار", "نشر في", "תאריך", "פורסם", "פורסם ב", "วันที่", "ngày đăng", "tanggal",
    "tarikh", "diterbitkan", "julkaistu", "publicerad", "gepubliceerd", "publikováno",
)  # fmt: skip
# Year words news copy writes after a year that CLDR's date patterns do not have.
_YEAR_WORDS = ("года", "год", "г", "року", "рік", "р", "r", "roku", "godine", "god", "yılı", "năm")
_DAY_WORDS = ("ngày",)  # Vietnamese: "ngày 28 tháng 7 năm 2017"
_ORDINALS = ("st", "nd", "rd", "th", "er", "re", "º", "ª", "-го", "-е")
_DASH = "[-–—―]"


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


def find_publication_date(lines: list[str], latest: date, language: str | None = None) -> DateInfo:
    """The first dateline or header date among the opening `lines`.

    `latest` is the newest acceptable date (usually today): a later date is invalid.
    `language` (langdetect's code) settles month names that differ between languages.
    """
    for line in lines[:HEADER_LINES]:
        found = match_dateline(line[:HEADER_CHARS], language, latest)
        if found is not None:
            return _validated(found, latest)
    return NO_DATE


def match_dateline(
    line: str, language: str | None = None, latest: date | None = None
) -> DateInfo | None:
    """Parse a dateline or date header in `line`, without validating the calendar.
    `latest` places a two-digit year in its century (without it, the year stays None)."""
    original = line.strip()
    if not _HAS_DIGIT.search(original):
        return None
    grammar = _grammar()
    # Digits of every script as ASCII, one character for one: CLDR's "7月" matches "７月".
    # and the typewriter apostrophe as CLDR's: "4 d'agost" is "4 d’agost".
    foreign = _FOREIGN_DIGIT.search(original) or "'" in original
    stripped = original.translate(grammar.digits) if foreign else original
    opening = len(stripped) - len(stripped.lstrip(_DECORATION))  # "****RIO DE JANEIRO, …"
    starts = _candidate_starts(stripped, opening)
    for pattern in (grammar.dates, grammar.typo_dates):
        for start in starts:
            m = pattern.match(stripped, start)
            if m is None:
                continue
            found = _in_place(stripped, opening, m, grammar, language, latest)
            if found is not None:
                return replace(found, text=original[: len(found.text)])
    return None


def _candidate_starts(line: str, opening: int) -> list[int]:
    """Where a date may begin: at a number near the start of the line, or at one of the
    words just before it ("Friday, July 28"). Trying the date grammar only there, instead
    of at every character of 300, makes a line cost a few µs instead of a few hundred."""
    starts: set[int] = set()
    for number in _NUMBER.finditer(line, opening, opening + DATE_WITHIN):
        at = number.start()
        starts.add(at)
        starts.update(w.start() for w in _WORD_START.finditer(line, max(opening, at - 40), at))
    return sorted(starts)


def month_names(language: str | None = None) -> dict[str, int]:
    """Every month name the parser knows (case-folded), with its month; names that stand
    for different months in different languages only with `language`'s reading."""
    names = {}
    for word, readings in _vocabulary().months.items():
        month = _reading(readings, language)
        if month is not None:
            names[word] = month
    return names


# --------------------------------------------------------------------------- grammar

_HAS_DIGIT = re.compile(r"\d")
_FOREIGN_DIGIT = re.compile(r"(?![0-9])\d")
_NUMBER = re.compile(r"(?<!\d)\d")
_WORD_START = re.compile(r"(?<![\w.’'])[^\W\d_]")  # a word's first letter, not an abbreviation's
_DECORATION = "*•■▪►#>.·|  "
_PUNCTUATED = re.compile(r"[,،.\-–—―]\s*$")  # the end of a city, before the date
_DASHED = re.compile(r"\s[\-–—―]\s*$")


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    months: dict[str, dict[str, int]]  # folded name -> {language: month}
    weekdays: dict[str, dict[str, int]]  # folded name -> {language: weekday, Monday 0}
    fillers: tuple[str, ...]  # words CLDR's date patterns put between the numbers
    orders: dict[str, frozenset[str]]  # language -> orders of its numeric d/m/y dates


@dataclass(frozen=True, slots=True)
class _Grammar:
    dates: re.Pattern[str]  # a date anywhere in a line (the context is checked after)
    typo_dates: re.Pattern[str]  # the same with any word in place of the month
    before: re.Pattern[str]  # what may stand before a date: city, agency, header word
    after_strong: re.Pattern[str]  # what ends any dateline
    after_weak: re.Pattern[str]  # what ends a dateline after a city in capitals
    after_marker: re.Pattern[str]  # an agency marker: "(ČTK)", "/TASS/"
    time: re.Pattern[str]  # a clock time after a date in a header line
    digits: dict[int, int]  # str.translate table: digits of every script -> ASCII, ' -> ’


def _fold(word: str) -> str:
    """Case-folded, without the dot of an abbreviation, the Turkish dotted İ undone."""
    folded = word.casefold().replace("\u0307", "").replace("'", "’")
    return unicodedata.normalize("NFC", folded).rstrip(".")


def _unaccented(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@cache
def _vocabulary() -> _Vocabulary:
    """CLDR's names and patterns of langdetect's languages, read once per process."""
    from babel import Locale, localedata
    from babel.dates import tokenize_pattern

    identifiers = localedata.locale_identifiers()
    months: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    weekdays: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    fillers: set[str] = set()
    orders: dict[str, set[str]] = defaultdict(set)
    for language in languages():
        for locale in _locales(language, identifiers, Locale):
            for context in ("format", "stand-alone"):
                for width in ("wide", "abbreviated"):
                    for number, name in locale.months[context][width].items():
                        months[_fold(name)][language].add(number)
                    for number, name in locale.days[context][width].items():
                        weekdays[_fold(name)][language].add(number)
            for pattern in _date_patterns(locale):
                fields = ""
                for kind, value in tokenize_pattern(pattern):
                    if kind == "field":
                        fields += value[0] if value[0] in "yMLd" and value[1] <= 2 else "_"
                    elif any(ch.isalpha() for ch in value):
                        words = (_fold(w.strip(".,()（）")) for w in value.split())
                        fillers.update(w for w in words if any(ch.isalpha() for ch in w))
                if set(fields) == {"y", "M", "d"} or set(fields) <= {"y", "M", "L", "d"}:
                    order = fields.replace("L", "M")
                    if len(order) == 3 and "_" not in order:
                        orders[language].add(order)
    # Accent-free spellings (`fevrier`, `AOUT`, Greek capitals) where they are unambiguous.
    for table in (months, weekdays):
        for word in list(table):
            bare = _unaccented(word)
            if bare != word and bare not in table:
                table[bare] = table[word]
    return _Vocabulary(
        months=_single_readings(months),
        # Babel counts from Monday = 0. Two-letter abbreviations ("la", "ma", "Di") are
        # ordinary words or city names too often to be taken for a weekday (CJK's 木 is not).
        weekdays={
            w: r for w, r in _single_readings(weekdays).items() if len(w) >= 3 or _caseless(w)
        },
        fillers=tuple(sorted(w for w in fillers if not w.isdigit())),
        orders={lang: frozenset(o) for lang, o in orders.items()},
    )


@cache
def languages() -> tuple[str, ...]:
    """langdetect's languages (the names of its profiles), in its own codes."""
    from langdetect.detector_factory import PROFILES_DIRECTORY

    return tuple(sorted(os.listdir(PROFILES_DIRECTORY)))


def _locales(language: str, identifiers: list[str], locale_class: type) -> list:
    """The language's CLDR locale and its regional variants in the same script."""
    base = _CLDR_LOCALE.get(language, language)
    found = []
    for identifier in identifiers:
        if identifier == base or identifier.startswith(base + "_"):
            locale = locale_class.parse(identifier)
            if locale.script is None or "_" in base:  # not `en_Shaw`, `sr_Latn` …
                found.append(locale)
    return found


def _date_patterns(locale: object) -> list[str]:
    patterns = [locale.date_formats[k].pattern for k in ("full", "long", "medium", "short")]
    skeletons = locale.datetime_skeletons
    for key in ("MMMd", "MMMMd", "yMMMd", "yMMMMd", "MMMEd", "yMMMEd", "Md", "yMd", "yMMdd"):
        if key in skeletons:
            patterns.append(skeletons[key].pattern)
    return patterns


def _single_readings(table: dict[str, dict[str, set[int]]]) -> dict[str, dict[str, int]]:
    """Keep, per name, the languages in which it means one month (or one weekday)."""
    kept: dict[str, dict[str, int]] = {}
    for word, by_language in table.items():
        readings = {lang: min(ns) for lang, ns in by_language.items() if len(ns) == 1}
        if readings and word:
            kept[word] = readings
    return kept


def _reading(readings: dict[str, int] | None, language: str | None) -> int | None:
    """What a name means: in the article's language if it has the name, else the one
    meaning all languages agree on, else nothing."""
    if not readings:
        return None
    if language in readings:
        return readings[language]
    meanings = set(readings.values())
    return meanings.pop() if len(meanings) == 1 else None


@cache
def _char_classes() -> dict[str, str]:
    """Regex classes of upper-case letters, letters without case and combining marks, and
    the decimal digits beyond ASCII (one pass over Unicode, once per process)."""
    groups: dict[str, list[int]] = {"upper": [], "caseless": [], "mark": [], "digit": []}
    for cp in range(0x80, sys.maxunicode + 1):
        category = unicodedata.category(chr(cp))
        if category in ("Lu", "Lt"):
            groups["upper"].append(cp)
        elif category == "Lo":
            groups["caseless"].append(cp)
        elif category in ("Mn", "Mc", "Me"):
            groups["mark"].append(cp)
        elif category == "Nd":
            groups["digit"].append(cp)
    classes = {name: _ranges(cps) for name, cps in groups.items() if name != "digit"}
    classes["upper"] = "A-Z" + classes["upper"]
    classes["digit"] = "".join(map(chr, groups["digit"]))
    return classes


def _ranges(codepoints: list[int]) -> str:
    out, start, prev = [], None, None
    for cp in [*codepoints, -1]:
        if start is not None and cp == prev + 1:
            prev = cp
            continue
        if start is not None:
            out.append(re.escape(chr(start)) if start == prev else f"{chr(start)}-{chr(prev)}")
        start = prev = cp
    return "".join(out)


def _alternation(words: list[str]) -> str:
    """A regex matching any of `words`, as a trie: at each position the engine follows
    one path instead of trying 2,000 names in turn. Longer names are tried first; a
    space in a name matches any run of spaces (CLDR writes NBSP and U+202F)."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in " ".join(word.split()):
            node = node.setdefault(ch, {})
        node[""] = {}
    return _trie_regex(trie)


def _trie_regex(node: dict) -> str:
    ends = "" in node
    branches = [
        (r"\s*" if ch == " " else re.escape(ch)) + _trie_regex(child)
        for ch, child in sorted(node.items(), key=lambda kv: kv[0], reverse=True)
        if ch
    ]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{body})?" if ends else body


@cache
def _grammar() -> _Grammar:
    vocab = _vocabulary()
    cls = _char_classes()
    upper, caseless, mark = cls["upper"], cls["caseless"], cls["mark"]
    letter = rf"(?:[^\W\d_]|[{mark}])"
    # A name starts a word, or follows a letter of a script without spaces (Hebrew writes
    # "ביולי": the preposition ב joined to יולי).
    word_start = rf"(?:(?<![^\W\d_])(?<![{mark}])|(?<=[{caseless}]))"
    month = (
        rf"(?:(?=\d)|{word_start})(?P<mon>(?i:{_alternation(list(vocab.months))}))"
        rf"(?!{letter})\.?"
    )
    typo = rf"{word_start}(?P<mon>{letter}{{4,12}})(?!{letter})\.?"
    weekdays = _alternation(list(vocab.weekdays))
    weekday = rf"(?:{word_start}(?P<wd>(?i:{weekdays}))(?!{letter})\.?\s*[,،]?\s*)?"
    fill = [*vocab.fillers, *_YEAR_WORDS, *_DAY_WORDS]
    cased = _alternation([w for w in fill if not _caseless(w)])
    caseless_fill = _alternation([w for w in fill if _caseless(w)])  # 年 日 년: no spaces
    filler = rf"(?:(?:(?i:{cased})(?!{letter})|{caseless_fill})\.?\s*)"
    day = rf"(?<!\d)(?P<day>\d{{1,2}})(?!\d)(?:(?i:{_alternation(list(_ORDINALS))})(?!{letter}))?"
    year = r"(?<!\d)(?P<year>\d{4})(?!\d)"
    era = r"(?:(?:พ\.ศ\.|ค\.ศ\.)\s*)?"
    after_year = rf"(?:\s*{filler})?"

    def forms(month: str) -> str:
        """Day-month-year in CLDR's orders; groups are numbered apart per order."""
        orders = (
            rf"{year}\.?\s*{filler}*{month}\s*{day}\.?\s*{filler}*",  # 2018. február 14.
            rf"{year}\.?\s*{filler}*{day}\.?\s*{month}",  # 2018. gada 14. februāris
            rf"{filler}*{day}\.?\s*[,،]?\s*{filler}*{month}"
            rf"(?:\s*[,،]?\s*{filler}*{era}{year}{after_year})?",
            rf"{month}\s*{filler}*{day}\.?(?:\s*{filler})?"
            rf"(?:\s*[,،]?\s*{era}{year}{after_year})?",
        )
        return "|".join(
            re.sub(r"\(\?P<(\w+)>", rf"(?P<\g<1>{i}>", f"(?:{o})") for i, o in enumerate(orders)
        )

    numeric = (
        r"(?<!\d)(?P<ny>\d{4})(?P<nsep>[-./])\s?(?P<nm>\d{1,2})(?P=nsep)\s?(?P<nd>\d{1,2})(?!\d)\.?"
        r"|(?<!\d)(?P<na>\d{1,2})(?P<asep>[-./])\s?(?P<nb>\d{1,2})(?P=asep)\s?(?P<nay>\d{4})"
        rf"(?!\d){after_year}"
        # "פורסם: 04.01.14": a two-digit year, only in a header (see _in_place)
        r"|(?<!\d)(?P<sa>\d{1,2})(?P<ssep>[./])(?P<sb>\d{1,2})(?P=ssep)(?P<sy>\d{2})(?![\d.])"
    )
    # "2012年5月31日（木）", "2018. február 14., szerda": the weekday may follow the date.
    then_weekday = (
        rf"(?:\s*[,،]?\s*(?P<wdp>[(（]\s*)?{word_start}(?P<wd2>(?i:{weekdays}))(?!{letter})\.?"
        rf"(?(wdp)\s*[)）]))?"
    )
    dates = re.compile(rf"{weekday}(?:{forms(month)}|{numeric}){then_weekday}")
    typo_dates = re.compile(rf"{weekday}(?:{forms(typo)}){then_weekday}")

    caps_word = rf"[{upper}](?:[{upper}]|[{mark}]|[.'’\-])*"
    cap_word = rf"[{upper}](?:{letter}|[.'’\-])*"
    caseless_word = rf"[{caseless}](?:[{caseless}]|[{mark}]|[.'’\-])*"
    lower_word = rf"[^\W\d_](?:{letter}|[.'’\-])*"  # "Mexico city", "Rio de Janeiro"
    region = rf"(?:(?:the|la|le|el)\s+)?{cap_word}(?:\s+{cap_word}){{0,2}}"
    regions = rf"(?:\s*,\s*{region}){{0,2}}"
    sep = rf"(?:\s*[,،]\s*|\.\s+|\s+|\s*{_DASH}\s*)"
    headers = _alternation(list(_HEADER_WORDS))
    before = re.compile(
        rf"(?P<header>(?i:{headers})\s*[:：]?\s*)"
        rf"|(?P<caps>{caps_word}(?:[ /]{caps_word}){{0,4}}){regions}{sep}"
        rf"|(?P<caseless>{caseless_word}(?:\s{caseless_word}){{0,3}}){sep}"
        rf"|(?P<mixed>{cap_word}(?:[ /](?:{cap_word}|{lower_word})){{0,3}}){regions}{sep}"
        rf"|(?P<agency>\([^()\n,–—-]{{2,40}}?\s*{_DASH}\s*{cap_word}(?:\s{cap_word}){{0,3}}\s*,\s*)"
        # "(ANSA) - ROMA, 01 SET -": the agency first, then a city
        rf"|(?P<credited>\([^()\n]{{2,30}}\)\s*{_DASH}?\s*{cap_word}(?:[ /]{cap_word}){{0,3}}"
        rf"{regions}\s*[,،]\s*)"
        rf"|(?P<cjk>[【\[（(]?[{caseless}]{{1,12}})"
    )
    agency_word = rf"[{upper}](?:[{upper}]|[.\-])+"
    after_strong = re.compile(
        rf"\s*[.,]?\s*(?:[(（\[【/]|{_DASH}|[电電讯訊]|$)|[\s,]*{agency_word}\s*(?:{_DASH}|\.|$)"
    )
    after_weak = re.compile(r"\s*[.:,]")
    after_marker = re.compile(r"\s*[.,]?\s*[(（\[【/]")
    time = re.compile(
        r"[\s,T]*\d{1,2}\s*(?:[:：h.]\s*\d{2}|時\s*\d{1,2}\s*分|시\s*\d{1,2}\s*분)", re.IGNORECASE
    )
    digits = {ord(ch): ord(str(unicodedata.decimal(ch))) for ch in cls["digit"]}
    digits[ord("'")] = ord("’")
    return _Grammar(dates, typo_dates, before, after_strong, after_weak, after_marker, time, digits)


def _in_place(
    line: str,
    opening: int,
    m: re.Match[str],
    grammar: _Grammar,
    language: str | None,
    latest: date | None,
) -> DateInfo | None:
    """The date of match `m` if the line's layout makes it the publication date."""
    start, end = m.span()
    groups = m.groupdict()
    numeric = groups.get("ny") is not None or groups.get("na") is not None
    label = _context(line, opening, start, end, grammar, numeric=numeric)
    weekday = m.group("wd") or m.group("wd2")
    if label is None and m.group("wd") is not None:  # "LA, January 1": the Finnish "la" is no day
        start, weekday = _after_weekday(m), None
        label = _context(line, opening, start, end, grammar, numeric=numeric)
    if label is None:
        return None
    if groups.get("sa") is not None and label != "header":
        return None  # a two-digit year is read only where a header says it is a date
    parts = _parts(m, grammar, language, weekday, latest)
    if parts is None:
        return None
    year, month, day = parts
    text_end = end
    if label == "dateline" and line[opening] == "(" and line[end:].lstrip().startswith(")"):
        text_end = line.index(")", end) + 1
    text = line[:text_end].strip()
    if text.endswith(".") and text[-2:-1].isdigit():
        text = text[:-1]  # "MOSCOW, July 28. /TASS/.": the full stop ends the dateline
    return DateInfo(year, month, day, text, label)


def _context(
    line: str, opening: int, start: int, end: int, grammar: _Grammar, *, numeric: bool
) -> str | None:
    """'dateline' or 'header' when what stands before and after the date allows it.

    A full numeric date that opens a line is a page's date stamp (`16.01.2018 World …`)
    whatever follows it; prose does not open with one.
    """
    rest = line[end:]
    strong = grammar.after_strong.match(rest) is not None
    if start == opening:  # a line that opens with a date
        if strong or not rest.strip() or grammar.time.match(rest) or numeric:
            return "dateline" if strong and rest.strip() else "header"
        return None
    before = grammar.before.fullmatch(line, opening, start)
    if before is None:
        return None
    kind = before.lastgroup
    if kind == "header":
        return "header"
    if kind == "agency":
        return "dateline" if rest.lstrip().startswith(")") else None
    if kind == "cjk":
        return "dateline" if rest.lstrip()[:1] in ("电", "電", "讯", "訊") else None
    if not _PUNCTUATED.search(line, opening, start):
        # No comma, full stop or dash after the city ("Praha 14. února (ČTK)",
        # "القاهرة 28 يوليو (رويترز)"): only a short city of capitalized words, and an
        # agency marker next, else a headline ("ROTTERDAM PORT SUBSIDY TO END JULY 1 -")
        # would read as one.
        words = before.group(kind).split()
        short = len(words) <= 2 and not any(w[0].islower() for w in words)
        marker = grammar.after_marker.match(rest) or (kind == "caseless" and strong)
        return "dateline" if short and marker and rest.strip() else None
    if kind != "caseless" and _DASHED.search(line, opening, start):
        return None  # "U.S. FINANCIAL ANALYSTS - March 3" is a headline; "القاهرة - 28 …" not
    weak = grammar.after_weak.match(rest) or line[end - 1] == "."  # "28 июля." took its dot
    if strong or (kind in ("caps", "caseless") and weak):
        return "dateline"
    return None


def _century(two_digits: int, latest: date) -> int:
    """The latest year up to `latest` that ends in these two digits: 14 -> 2014, 97 -> 1997."""
    year = latest.year - latest.year % 100 + two_digits
    return year if year <= latest.year else year - 100


def _after_weekday(m: re.Match[str]) -> int:
    """Where the date proper starts in a match that begins with a weekday name."""
    return min(
        m.start(k)
        for k, v in m.groupdict().items()
        if v is not None and k not in ("wd", "wdp", "wd2")
    )


def _parts(
    m: re.Match[str],
    grammar: _Grammar,
    language: str | None,
    weekday_name: str | None,
    latest: date | None,
) -> tuple[int | None, int, int] | None:
    """(year, month, day) of a date match; None when a name or an order is unclear."""
    vocab = _vocabulary()
    groups = {k: v for k, v in m.groupdict().items() if v is not None}
    if "ny" in groups:
        year, month, day = int(groups["ny"]), int(groups["nm"]), int(groups["nd"])
    elif "na" in groups:
        resolved = _numeric_order(int(groups["na"]), int(groups["nb"]), groups["asep"], language)
        if resolved is None:
            return None
        month, day = resolved
        year = int(groups["nay"])
    elif "sa" in groups:
        resolved = _numeric_order(int(groups["sa"]), int(groups["sb"]), groups["ssep"], language)
        if resolved is None:
            return None
        month, day = resolved
        year = _century(int(groups["sy"]), latest) if latest else None
    else:
        (name,) = (v for k, v in groups.items() if k.startswith("mon"))
        month = _month(name, m.re is grammar.typo_dates, language)
        if month is None:
            return None
        day = int(next(v for k, v in groups.items() if k.startswith("day")))
        stated = next((v for k, v in groups.items() if k.startswith("year")), None)
        year = int(stated) if stated is not None else None
        if year is not None and _is_thai(name, language) and year > EARLIEST_YEAR + BUDDHIST_ERA:
            year -= BUDDHIST_ERA
    weekday = _reading(vocab.weekdays.get(_fold(weekday_name or "")), language)
    if weekday is not None and year is not None and _weekday_of(year, month, day) != weekday:
        return year, 0, 0  # "Friday, July 27, 2017": one of them is wrong, so invalid
    return year, month, day


def _month(name: str, typo: bool, language: str | None) -> int | None:
    months = _vocabulary().months
    word = _fold(name)
    if not typo:
        return _reading(months.get(word) or months.get(_unaccented(word)), language)
    if word in months or len(word) < 4:
        return None  # a known name would have matched already; short words are too risky
    meanings = {
        month
        for known, readings in months.items()
        if len(known) >= 4 and known[0] == word[0] and _one_edit(word, known)
        for lang, month in readings.items()
        if language is None or lang == language
    }
    return meanings.pop() if len(meanings) == 1 else None


def _one_edit(a: str, b: str) -> bool:
    """True if a is b with one letter added, dropped, replaced, or two neighbours swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and a[diff[1]] == b[diff[0]]
        )
    short, long = sorted((a, b), key=len)
    i = next((i for i in range(len(short)) if short[i] != long[i]), len(short))
    return short[i:] == long[i + 1 :]


def _numeric_order(a: int, b: int, sep: str, language: str | None) -> tuple[int, int] | None:
    """(month, day) of `a sep b sep year`: day first with dots and dashes everywhere CLDR
    writes them; with slashes, the order of the article's language when all its locales
    share it (not English: US and British orders differ), else only when a > 12 or b > 12."""
    if sep in ".-":
        return b, a
    orders = _vocabulary().orders.get(language or "", frozenset())
    if a > 12 >= b:
        return b, a
    if b > 12 >= a:
        return a, b
    if orders == {"dMy"}:
        return b, a
    if orders == {"Mdy"}:
        return a, b
    return None


def _caseless(word: str) -> bool:
    """A word of a script without case or spaces between words (年, 日, 년, ที่)."""
    return all(unicodedata.category(ch) in ("Lo", "Mn", "Mc") for ch in word)


def _is_thai(name: str, language: str | None) -> bool:
    return language == "th" or any("\u0e00" <= ch <= "\u0e7f" for ch in name)


def _weekday_of(year: int, month: int, day: int) -> int | None:
    try:
        return date(year, month, day).weekday()
    except ValueError:
        return None


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
