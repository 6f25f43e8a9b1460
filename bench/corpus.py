"""A realistic synthetic news corpus for the throughput benchmark.

Run `python -m bench.corpus OUT_DIR N [--seed S] [--eval-dir ../shared/eval]` from the
project root: it writes N article files as OUT_DIR/d0000/a0000000.txt … (1,000 per folder)
and prints a one-line summary. `generate()` does the same from Python and returns a
`CorpusStats`.

What the files hold, as a real collection of scraped news does:

- one language per article: sentences sampled from `EVAL_DIR/lingua-sentences/<iso>.txt`
  (English 40 %, the rest spread over 30+ languages) and, for part of the English
  articles, Reuters-21578 wire copy from `EVAL_DIR/reuters/` (a real story's title,
  dateline and lead, continued with paragraphs of other stories). Without the
  evaluation data a small built-in vocabulary (English, Russian, German, French, Spanish)
  makes pseudo-sentences instead: the script works anywhere, only less realistically;
- a title and the page chrome and dateline of one outlet (TASS, Interfax, EIR, Reuters wire
  and modern, Xinhua, a PressTV-like scrape, AFP, dpa, EFE), month names in the article's
  language; 15 % have no dateline at all, some a date without a year;
- the whole file in UTF-8, UTF-8 with BOM, UTF-16 with BOM, the legacy code page of the
  language, mojibake (UTF-8 read as cp1252 and saved again as UTF-8) or UTF-8 with CRLF;
- exact byte copies of earlier files (2 %), near copies (1 %: a word changed, another
  outlet's chrome) and broken files (0.5 %: empty, binary, PNG, whitespace only).

Every file is derived from its own `random.Random`, seeded with (seed, file number): the
same seed gives the same bytes, and a copy re-creates the earlier article it copies instead
of keeping it, so nothing but the sentence pools is held in memory (~45 MB RSS). Files
already in OUT_DIR are overwritten, never deleted. The evaluation data is only read, never
copied into the project.
"""

from __future__ import annotations

import argparse
import html
import random
import re
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import NamedTuple

DEFAULT_EVAL_DIR = Path("../shared/eval")
FILES_PER_DIR = 1000
FIRST_DAY = date(1987, 1, 1).toordinal()
LAST_DAY = date(2025, 12, 31).toordinal()
BODY_BYTES = (1000, 4800)  # target UTF-8 size of the body; chrome and title come on top
WIRE_SHARE = 0.3  # share of English articles that are real Reuters-21578 stories
NO_DATELINE_SHARE = 0.15

# What a file is: cumulative thresholds on the first draw of its generator.
BROKEN = 0.005
EXACT_COPY = BROKEN + 0.02
NEAR_COPY = EXACT_COPY + 0.01
COPY_TRIES = 20

# English 40 %; the other 60 % spread over 35 languages (renormalized to those present).
LANGUAGE_WEIGHTS: dict[str, float] = {
    "en": 40.0, "ru": 8.0, "de": 5.0, "fr": 5.0, "es": 5.0, "ar": 3.0, "pt": 2.5,
    "it": 2.5, "uk": 2.0, "pl": 2.0, "tr": 2.0, "ja": 2.0, "fa": 1.5, "ko": 1.5,
    "nl": 1.5, "hi": 1.5, "bg": 1.0, "el": 1.0, "he": 1.0, "vi": 1.0, "cs": 1.0,
    "id": 1.0, "ro": 0.8, "hu": 0.8, "sv": 0.8, "fi": 0.5, "da": 0.5, "hr": 0.5,
    "sk": 0.4, "sl": 0.3, "lt": 0.4, "lv": 0.3, "et": 0.3, "mk": 0.3, "ur": 0.5, "th": 0.5,
}  # fmt: skip

# The legacy code page a file in that language was typically saved in (default cp1252).
CODE_PAGES: dict[str, str] = {
    **dict.fromkeys(("ru", "bg", "uk", "mk"), "cp1251"),
    **dict.fromkeys(("pl", "cs", "sk", "hu", "hr", "sl", "ro"), "cp1250"),
    **dict.fromkeys(("ar", "fa", "ur"), "cp1256"),
    **dict.fromkeys(("lt", "lv", "et"), "cp1257"),
    "el": "cp1253", "tr": "cp1254", "he": "cp1255", "vi": "cp1258", "th": "cp874",
    "ja": "shift_jis", "ko": "cp949", "zh": "gb18030",
}  # fmt: skip

# Languages written without spaces between words: titles are cut by characters.
UNSPACED = frozenset({"ja", "zh", "th"})

_MONTH_NAMES = {
    "en": "January February March April May June July August September October November December",
    "ru": "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
    "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "pt": "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro "
    "dezembro",
}
MONTHS: dict[str, tuple[str, ...]] = {
    lang: tuple(names.split()) for lang, names in _MONTH_NAMES.items()
}
MONTH_ABBR = tuple(m[:3] for m in MONTHS["en"])

CITIES: dict[str, tuple[str, ...]] = {
    "en": ("WASHINGTON", "LONDON", "NEW YORK", "GENEVA", "BRUSSELS", "TOKYO", "NEW DELHI",
           "CAIRO", "UNITED NATIONS", "SINGAPORE", "NAIROBI", "SYDNEY"),
    "ru": ("МОСКВА", "САНКТ-ПЕТЕРБУРГ", "ВЛАДИВОСТОК", "НОВОСИБИРСК", "КАЗАНЬ"),
    "de": ("BERLIN", "HAMBURG", "MÜNCHEN", "FRANKFURT/MAIN", "WIEN", "ZÜRICH"),
    "fr": ("PARIS", "LYON", "MARSEILLE", "BRUXELLES", "GENÈVE", "DAKAR"),
    "es": ("MADRID", "BARCELONA", "BOGOTÁ", "MÉXICO", "BUENOS AIRES", "LIMA"),
    "pt": ("BRASÍLIA", "SÃO PAULO", "LISBOA", "RIO DE JANEIRO", "LUANDA"),
}  # fmt: skip
TASS_CITIES = ("MOSCOW", "ST. PETERSBURG", "VLADIVOSTOK", "MINSK", "UNITED NATIONS")
XINHUA_CITIES = ("BEIJING", "SHANGHAI", "UNITED NATIONS", "WASHINGTON", "NAIROBI", "MOSCOW")
XINHUA_CITIES_RU = ("ПЕКИН", "ШАНХАЙ", "МОСКВА")
INTERFAX_CITIES = ("Moscow", "St. Petersburg", "Kyiv", "Minsk", "Astana", "Tbilisi", "Baku")

PNG_MAGIC = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"

# Built-in vocabulary for when the evaluation data is missing (~100 words per language).
FALLBACK_WORDS: dict[str, str] = {
    "en": """the government said on minister president talks with officials country economy
        market prices oil gas trade agreement week year month report bank central rates
        inflation growth security council meeting foreign defense military forces border
        election vote party opposition parliament law court police city region people
        company shares investors analysts expected percent billion million dollars new
        plans talks support sanctions crisis energy exports imports production workers
        strike union health ministry officials statement spokesman told reporters news
        agency data first quarter rose fell higher lower since last after before during
        between against about under major leaders summit visit capital national state""",
    "ru": """правительство заявил министр президент переговоры страна экономика рынок цены
        нефть газ торговля соглашение неделя год месяц доклад банк центральный ставка
        инфляция рост безопасность совет встреча иностранный оборона армия граница выборы
        голосование партия оппозиция парламент закон суд полиция город регион люди
        компания акции инвесторы аналитики ожидается процент миллиард миллион рублей новый
        планы поддержка санкции кризис энергетика экспорт импорт производство рабочие
        забастовка здоровье министерство официальный заявление представитель сообщил
        журналистам агентство данные квартал вырос снизился выше ниже после перед во время
        между против около лидеры саммит визит столица национальный государство""",
    "de": """die Regierung sagte Minister Präsident Gespräche Land Wirtschaft Markt Preise
        Öl Gas Handel Abkommen Woche Jahr Monat Bericht Bank Zentralbank Zinsen Inflation
        Wachstum Sicherheit Rat Treffen ausländische Verteidigung Armee Grenze Wahl
        Abstimmung Partei Opposition Parlament Gesetz Gericht Polizei Stadt Region Menschen
        Unternehmen Aktien Anleger Analysten erwartet Prozent Milliarden Millionen Euro neue
        Pläne Unterstützung Sanktionen Krise Energie Exporte Importe Produktion Arbeiter
        Streik Gewerkschaft Gesundheit Ministerium Erklärung Sprecher berichtete Agentur
        Daten Quartal stieg fiel höher niedriger seit nach vor während zwischen gegen über
        unter Führung Gipfel Besuch Hauptstadt national Staat""",
    "fr": """le gouvernement a déclaré ministre président négociations pays économie marché
        prix pétrole gaz commerce accord semaine année mois rapport banque centrale taux
        inflation croissance sécurité conseil réunion étrangère défense armée frontière
        élection vote parti opposition parlement loi tribunal police ville région personnes
        entreprise actions investisseurs analystes attendu pour cent milliards millions
        euros nouveaux projets soutien sanctions crise énergie exportations importations
        production travailleurs grève syndicat santé ministère déclaration porte-parole
        journalistes agence données trimestre hausse baisse depuis après avant pendant entre
        contre environ dirigeants sommet visite capitale nationale État""",
    "es": """el gobierno dijo ministro presidente conversaciones país economía mercado precios
        petróleo gas comercio acuerdo semana año mes informe banco central tasas inflación
        crecimiento seguridad consejo reunión extranjera defensa ejército frontera elección
        votación partido oposición parlamento ley tribunal policía ciudad región personas
        empresa acciones inversores analistas esperado por ciento mil millones euros nuevos
        planes apoyo sanciones crisis energía exportaciones importaciones producción
        trabajadores huelga sindicato salud ministerio declaración portavoz periodistas
        agencia datos trimestre subió bajó desde después antes durante entre contra sobre
        líderes cumbre visita capital nacional Estado""",
}
FALLBACK_LANGUAGE_WEIGHTS = {"en": 40.0, "ru": 15.0, "de": 15.0, "fr": 15.0, "es": 15.0}
FALLBACK_POOL = 1500  # pseudo-sentences per language

_BODY = re.compile(r"<BODY>(.*?)</BODY>", re.S)
_STORY = re.compile(r"<REUTERS[^>]*>(.*?)</REUTERS>", re.S)
_TITLE = re.compile(r"<TITLE>(.*?)</TITLE>", re.S)
_DATELINE = re.compile(r"<DATELINE>(.*?)</DATELINE>", re.S)
_DATE = re.compile(r"<DATE>\s*(\d{1,2})-([A-Za-z]{3})-(\d{4})")
_SIGNOFF = re.compile(r"\s*\n\s*reuter\s*$", re.I)
_WIRE_PARAGRAPH = re.compile(r"\n {2,}(?=\S)")  # paragraphs start indented on a new line
# The sentence files hold some cp1252 text read as latin-1 (C1 controls for quotes and
# dashes in fr/fi/sv) and cp1254/cp1250 letters read as latin-1 in tr and hu.
_C1_TO_CP1252 = {b: bytes([b]).decode("cp1252", errors="ignore") for b in range(0x80, 0xA0)}
_REPAIRS = {
    "tr": str.maketrans("ýþðÝÞÐ", "ışğİŞĞ") | _C1_TO_CP1252,
    "hu": str.maketrans("õûÕÛ", "őűŐŰ") | _C1_TO_CP1252,
}
_TITLE_TRIM = ".,;:!…。、，！：；»«”“\"'()- "


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class WireStory:
    """One Reuters-21578 story: title, dateline as printed, date, paragraphs (no sign-off)."""

    title: str
    dateline: str
    when: date
    paragraphs: tuple[str, ...]  # line-wrapped as on the wire, without the indent


@dataclass(frozen=True, slots=True)
class Sources:
    """Everything the generator samples from; loaded once, read-only."""

    sentences: dict[str, tuple[tuple[str, int], ...]]  # language -> (sentence, UTF-8 bytes)
    languages: tuple[str, ...]
    cum_weights: tuple[float, ...]
    wire: tuple[WireStory, ...]
    wire_paragraphs: tuple[tuple[str, int], ...]  # every story's paragraphs, with sizes
    real: bool  # True when built from the evaluation data


@dataclass(frozen=True, slots=True)
class Article:
    """The content of one article before an outlet's chrome and an encoding are applied."""

    language: str
    title: str
    lede: str
    paragraphs: tuple[str, ...]
    when: date
    wire: WireStory | None = None


Renderer = Callable[[Article, random.Random], str]


class FileInfo(NamedTuple):
    """What one file is, for the statistics."""

    kind: str  # 'article', 'duplicate', 'near_duplicate' or 'broken'
    language: str | None
    encoding: str
    style: str
    fallback: bool  # the legacy code page could not encode the text: written as UTF-8


@dataclass(slots=True)
class CorpusStats:
    """What was written: counts per kind, language, encoding and outlet style."""

    files: int = 0
    bytes: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    encodings: Counter[str] = field(default_factory=Counter)
    styles: Counter[str] = field(default_factory=Counter)
    duplicates: int = 0  # exact byte copies of an earlier file
    near_duplicates: int = 0  # an earlier article with a word changed and other chrome
    broken: int = 0
    legacy_fallbacks: int = 0  # legacy code page chosen but unable to encode: UTF-8
    seconds: float = 0.0
    real_text: bool = True

    def add(self, info: FileInfo, size: int) -> None:
        self.files += 1
        self.bytes += size
        self.duplicates += info.kind == "duplicate"
        self.near_duplicates += info.kind == "near_duplicate"
        self.broken += info.kind == "broken"
        self.legacy_fallbacks += info.fallback
        if info.language is not None:
            self.languages[info.language] += 1
        self.encodings[info.encoding] += 1
        self.styles[info.style] += 1

    def as_dict(self) -> dict[str, object]:
        """JSON-ready: `dataclasses.asdict` would rebuild each Counter from its item pairs."""
        return {f: dict(v) if isinstance(v, Counter) else v for f, v in self._fields()}

    def _fields(self) -> Iterator[tuple[str, object]]:
        for name in self.__slots__:
            yield name, getattr(self, name)

    def summary(self) -> str:
        rate = self.files / self.seconds if self.seconds else 0.0
        return (
            f"{self.files} files, {self.bytes:,} bytes ({self.bytes / 1e6:.1f} MB) in "
            f"{self.seconds:.1f} s ({rate:,.0f} files/s); {len(self.languages)} languages, "
            f"{self.duplicates} copies, {self.near_duplicates} near copies, "
            f"{self.broken} broken; text from "
            + ("evaluation data" if self.real_text else "built-in vocabulary")
        )


# --------------------------------------------------------------------------- sources


def load_sources(eval_dir: Path | None) -> Sources:
    """Sentence pools and wire stories from the evaluation data, else the built-in words."""
    folder = eval_dir / "lingua-sentences" if eval_dir is not None else None
    if folder is None or not folder.is_dir():
        return _fallback_sources()
    sentences = {path.stem: _sized(_read_lines(path)) for path in sorted(folder.glob("*.txt"))}
    sentences = {lang: pool for lang, pool in sentences.items() if pool}
    weights = {lang: w for lang, w in LANGUAGE_WEIGHTS.items() if lang in sentences}
    if not weights:
        return _fallback_sources()
    wire = tuple(_wire_stories(eval_dir / "reuters")) if "en" in weights else ()
    return _sources(sentences, weights, wire, real=True)


def _read_lines(path: Path) -> list[str]:
    """The sentences of one language, with the source's own mis-decodings undone."""
    table = _REPAIRS.get(path.stem, _C1_TO_CP1252)
    lines = path.read_text(encoding="utf-8").translate(table).splitlines()
    return [" ".join(line.split()) for line in lines if line.strip()]


def _sized(sentences: Sequence[str]) -> tuple[tuple[str, int], ...]:
    return tuple((s, len(s.encode())) for s in sentences)


def _sources(
    sentences: dict[str, tuple[tuple[str, int], ...]],
    weights: dict[str, float],
    wire: tuple[WireStory, ...],
    *,
    real: bool,
) -> Sources:
    languages = tuple(weights)
    cum, total = [], 0.0
    for lang in languages:
        total += weights[lang]
        cum.append(total)
    paragraphs = _sized([p for story in wire for p in story.paragraphs])
    return Sources(sentences, languages, tuple(cum), wire, paragraphs, real)


def _wire_stories(folder: Path) -> Iterator[WireStory]:
    """Reuters-21578 stories that have a title, a dateline, a date and a body."""
    for path in sorted(folder.glob("reut2-*.sgm")):
        for story in _STORY.findall(path.read_text(encoding="latin-1")):
            parsed = _wire_story(story)
            if parsed is not None and parsed.paragraphs:
                yield parsed


def _wire_story(story: str) -> WireStory | None:
    body, title = _BODY.search(story), _TITLE.search(story)
    dateline, when = _DATELINE.search(story), _DATE.search(story)
    if body is None or title is None or dateline is None or when is None:
        return None
    text = _SIGNOFF.sub("", html.unescape(body.group(1)).replace("\x03", "").rstrip())
    day, month, year = when.groups()
    return WireStory(
        title=" ".join(html.unescape(title.group(1)).split()),
        dateline=html.unescape(dateline.group(1)),
        when=date(int(year), MONTH_ABBR.index(month.title()) + 1, int(day)),
        paragraphs=tuple(p.strip() for p in _WIRE_PARAGRAPH.split(text) if p.strip()),
    )


def _fallback_sources() -> Sources:
    rng = random.Random(20_250_101)  # fixed: the pools do not depend on the corpus seed
    sentences = {
        lang: _sized([_pseudo_sentence(words.split(), rng) for _ in range(FALLBACK_POOL)])
        for lang, words in FALLBACK_WORDS.items()
    }
    return _sources(sentences, FALLBACK_LANGUAGE_WEIGHTS, (), real=False)


def _pseudo_sentence(words: Sequence[str], rng: random.Random) -> str:
    picked = [rng.choice(words) for _ in range(rng.randint(7, 22))]
    if len(picked) > 10 and rng.random() < 0.5:
        picked[rng.randrange(3, len(picked) - 3)] += ","
    text = " ".join(picked)
    return text[0].upper() + text[1:] + rng.choice("....!?")


# --------------------------------------------------------------------------- articles


def compose(rng: random.Random, sources: Sources) -> Article:
    """Language, title, lede, body and date of a new article."""
    lang = rng.choices(sources.languages, cum_weights=sources.cum_weights)[0]
    pool = sources.sentences[lang]
    if lang == "en" and sources.wire and rng.random() < WIRE_SHARE:
        return _wire_article(sources, rng)
    return Article(
        language=lang,
        title=_headline(rng.choice(pool)[0], lang, rng),
        lede=rng.choice(pool)[0],
        paragraphs=_paragraphs(pool, lang, rng),
        when=date.fromordinal(rng.randint(FIRST_DAY, LAST_DAY)),
    )


def _wire_article(sources: Sources, rng: random.Random) -> Article:
    """A real story's title, dateline and lead, continued with other stories' paragraphs.

    Whole stories would recur as byte-identical files once the corpus outgrows the ~8,000
    stories; mixed paragraphs keep every article new.
    """
    story = rng.choice(sources.wire)
    lead = story.paragraphs[0]
    target, size, paragraphs = rng.randint(*BODY_BYTES), len(lead), [lead]
    while size < target:
        paragraph, n = rng.choice(sources.wire_paragraphs)
        paragraphs.append(paragraph)
        size += n + 5
    lede = rng.choice(sources.sentences["en"])[0]
    return Article("en", story.title, lede, tuple(paragraphs), story.when, story)


def _paragraphs(pool: Sequence[tuple[str, int]], lang: str, rng: random.Random) -> tuple[str, ...]:
    target, size = rng.randint(*BODY_BYTES), 0
    joiner = "" if lang in ("ja", "zh") else " "
    paragraphs: list[str] = []
    while size < target:
        picked = [rng.choice(pool) for _ in range(rng.randint(1, 4))]
        paragraphs.append(joiner.join(text for text, _ in picked))
        size += sum(n for _, n in picked) + len(picked) + 1
    return tuple(paragraphs)


def _headline(sentence: str, lang: str, rng: random.Random) -> str:
    """A title: the first 6-12 words (or 10-25 characters) of a sentence, no final stop."""
    if lang in UNSPACED:
        title = sentence[: rng.randint(10, 25)]
    else:
        title = " ".join(sentence.split()[: rng.randint(6, 12)])
    title = title.strip(_TITLE_TRIM) or sentence.strip(_TITLE_TRIM) or "News"
    return title[0].upper() + title[1:]


def edit_article(article: Article, rng: random.Random, sources: Sources) -> Article:
    """The same article with one word of one paragraph replaced (a near duplicate)."""
    at = rng.randrange(len(article.paragraphs))
    donor = rng.choice(sources.sentences[article.language])[0]
    paragraphs = list(article.paragraphs)
    paragraphs[at] = _replace_word(paragraphs[at], donor, article.language, rng)
    return Article(article.language, article.title, article.lede, tuple(paragraphs), article.when)


def _replace_word(text: str, donor: str, lang: str, rng: random.Random) -> str:
    if lang in UNSPACED:
        at = rng.randrange(len(text))
        return text[:at] + rng.choice(donor) + text[at + 1 :]
    words, new = text.split(" "), donor.split(" ")
    words[rng.randrange(len(words))] = rng.choice(new).strip(".,;:!?")
    return " ".join(words)


# --------------------------------------------------------------------------- dates


def long_date(day: date, lang: str, *, year: bool) -> str:
    """'July 28, 2017', '28 июля', '28. Juli 2017', '28 juillet', '28 de julio de 2017'."""
    months = MONTHS.get(lang, MONTHS["en"])
    month = months[day.month - 1]
    if lang not in MONTHS or lang == "en":
        return f"{month} {day.day}, {day.year}" if year else f"{month} {day.day}"
    if lang == "ru":
        return f"{day.day} {month} {day.year} года" if year else f"{day.day} {month}"
    if lang == "de":
        return f"{day.day}. {month} {day.year}" if year else f"{day.day}. {month}"
    if lang in ("es", "pt"):
        return f"{day.day} de {month} de {day.year}" if year else f"{day.day} de {month}"
    return f"{day.day} {month} {day.year}" if year else f"{day.day} {month}"


def _city(lang: str, rng: random.Random, english: Sequence[str] = CITIES["en"]) -> str:
    return rng.choice(CITIES[lang] if lang in CITIES and lang != "en" else english)


def _body(article: Article) -> str:
    return "\n\n".join(article.paragraphs)


# --------------------------------------------------------------------------- outlets


def tass(article: Article, rng: random.Random) -> str:
    if article.language == "ru":
        city = rng.choice(CITIES["ru"])
        dateline = f"{city}, {long_date(article.when, 'ru', year=False)}. /ТАСС/. "
        return f"{article.title}\n\n{article.lede}\n\n{dateline}{_body(article)}\n"
    city = rng.choice(TASS_CITIES)
    dateline = f"{city}, {long_date(article.when, 'en', year=False)}. /TASS/. "
    return f"All news\n\n{article.title}\n\n{article.lede}\n\n{dateline}{_body(article)}\n"


def interfax(article: Article, rng: random.Random) -> str:
    when = long_date(article.when, "en", year=True)
    head = f"{article.title}\n\n" if rng.random() < 0.5 else ""
    return f"{head}(Interfax – {rng.choice(INTERFAX_CITIES)}, {when})\n\n{_body(article)}\n"


def eir(article: Article, rng: random.Random) -> str:
    when = long_date(article.when, "en", year=True)
    return (
        f"Subscribe to EIR Online\n\n\n{article.title}\n\n {when} (EIRNS)—{_body(article)}"
        "\n\nBack to top\n"
    )


def reuters_wire(article: Article, rng: random.Random) -> str:
    body = "\n    ".join(article.paragraphs)
    if article.wire is not None:
        return f"{article.wire.title}\n\n{article.wire.dateline}{body}\n Reuter\n"
    when = f"{MONTH_ABBR[article.when.month - 1]} {article.when.day}"
    dateline = f"    {rng.choice(CITIES['en'])}, {when} - "
    return f"{article.title.upper()}\n\n{dateline}{body}\n Reuter\n"


def reuters(article: Article, rng: random.Random) -> str:
    return f"{article.title}\n\n{_city(article.language, rng)} (Reuters) - {_body(article)}\n"


def xinhua(article: Article, rng: random.Random) -> str:
    lang, year = article.language, rng.random() < 0.4
    if lang == "ru":
        when = long_date(article.when, "ru", year=year)
        dateline = f"{rng.choice(XINHUA_CITIES_RU)}, {when} /Синьхуа/ -- "
    else:
        when = long_date(article.when, lang if lang in MONTHS else "en", year=year)
        dateline = f"{rng.choice(XINHUA_CITIES)}, {when} (Xinhua) -- "
    return f"{article.title}\n\n{dateline}{_body(article)}\n"


def presstv(article: Article, rng: random.Random) -> str:
    return f" date {article.when.isoformat()} {_body(article)}\n"


def _agency(marker: str, cities: Callable[[str], Sequence[str]], tail: str = " - ") -> Renderer:
    """An agency style 'CITY, <date in the article's language> (MARKER) - body'."""

    def render(article: Article, rng: random.Random) -> str:
        lang = article.language
        city = rng.choice(cities(lang))
        when = long_date(article.when, lang if lang in MONTHS else "en", year=True)
        return f"{article.title}\n\n{city}, {when} ({marker}){tail}{_body(article)}\n"

    return render


def no_dateline(article: Article, rng: random.Random) -> str:
    if rng.random() < 0.3:
        return f"{article.title}\n\n{article.lede}\n\n{_body(article)}\n"
    return f"{article.title}\n\n{_body(article)}\n"


def _local_cities(*fallback: str) -> Callable[[str], Sequence[str]]:
    return lambda lang: CITIES.get(lang, fallback) if lang != "en" else fallback


# name -> (weight, languages or None for all, renderer); `none` is drawn first (15 %).
STYLES: dict[str, tuple[float, frozenset[str] | None, Renderer]] = {
    "tass": (10.0, frozenset({"en", "ru"}), tass),
    "interfax": (8.0, frozenset({"en"}), interfax),
    "eir": (5.0, frozenset({"en"}), eir),
    "reuters_wire": (8.0, frozenset({"en"}), reuters_wire),
    "reuters": (12.0, frozenset({"en", "de", "fr", "es", "it", "pt", "ar", "ja"}), reuters),
    "xinhua": (12.0, None, xinhua),
    "presstv": (8.0, None, presstv),
    "afp": (
        8.0,
        frozenset({"en", "fr", "de", "es", "pt"}),
        _agency("AFP", _local_cities("PARIS", "LONDON", "WASHINGTON", "HONG KONG")),
    ),
    "dpa": (5.0, frozenset({"de", "en"}), _agency("dpa", _local_cities("BERLIN", "HAMBURG"))),
    "efe": (
        5.0,
        frozenset({"es", "en", "pt"}),
        _agency("EFE", _local_cities("MADRID", "BOGOTA", "MEXICO CITY"), tail=".- "),
    ),
}


@cache
def styles_for(lang: str) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """The outlet styles used for a language, with cumulative weights."""
    names = tuple(n for n, (_, langs, _) in STYLES.items() if langs is None or lang in langs)
    cum, total = [], 0.0
    for name in names:
        total += STYLES[name][0]
        cum.append(total)
    return names, tuple(cum)


def choose_style(article: Article, rng: random.Random, avoid: str | None = None) -> str:
    if rng.random() < NO_DATELINE_SHARE and avoid != "none":
        return "none"
    if article.wire is not None and avoid is None:
        return "reuters_wire"
    names, cum = styles_for(article.language)
    for _ in range(5):
        name = rng.choices(names, cum_weights=cum)[0]
        if name != avoid:
            return name
    return "none" if avoid != "none" else names[0]


def render(article: Article, style: str, rng: random.Random) -> str:
    if style == "none":
        return no_dateline(article, rng)
    return STYLES[style][2](article, rng)


# --------------------------------------------------------------------------- encodings


def encode(text: str, lang: str, rng: random.Random) -> tuple[bytes, str, bool]:
    """(bytes, encoding label, fell back to UTF-8) for one file's text."""
    roll = rng.random()
    if roll < 0.05:
        return b"\xef\xbb\xbf" + text.encode(), "utf-8-bom", False
    if roll < 0.10:
        codec = "utf-16-be" if rng.random() < 0.2 else "utf-16-le"
        bom = b"\xfe\xff" if codec == "utf-16-be" else b"\xff\xfe"
        return bom + text.encode(codec), f"{codec}-bom", False
    if roll < 0.20:
        codec = CODE_PAGES.get(lang, "cp1252")
        try:
            return text.encode(codec), codec, False
        except UnicodeEncodeError:
            return text.encode(), "utf-8", True
    if roll < 0.23:
        raw = text.encode()
        if raw.isascii():
            return raw, "utf-8", False
        return raw.decode("cp1252", errors="replace").encode(), "mojibake", False
    if roll < 0.28:
        return text.replace("\n", "\r\n").encode(), "utf-8-crlf", False
    return text.encode(), "utf-8", False


def broken_bytes(rng: random.Random) -> tuple[bytes, str]:
    """An unusable file: empty, random binary, a PNG, or whitespace only."""
    kind = rng.choice(("empty", "binary", "png", "whitespace"))
    if kind == "empty":
        return b"", kind
    if kind == "binary":
        return rng.randbytes(rng.randint(1024, 6144)), kind
    if kind == "png":
        return PNG_MAGIC + rng.randbytes(rng.randint(512, 6144)), kind
    return "".join(rng.choice(" \t\r\n\u00a0") for _ in range(rng.randint(1, 400))).encode(), kind


# --------------------------------------------------------------------------- files


def file_rng(seed: int, number: int) -> random.Random:
    """The generator of file `number`: independent of every other file and of the order."""
    return random.Random(seed * 1_000_000_007 + number)


def _is_original(seed: int, number: int) -> bool:
    return file_rng(seed, number).random() >= NEAR_COPY


def _earlier_original(seed: int, number: int, rng: random.Random) -> int | None:
    """A random earlier file that is a new article (not broken, not a copy), if any."""
    if number == 0:
        return None
    for _ in range(COPY_TRIES):
        candidate = rng.randrange(number)
        if _is_original(seed, candidate):
            return candidate
    return None


def _original(sources: Sources, seed: int, number: int) -> tuple[Article, random.Random]:
    """Re-create the article of an original file: same generator, same draws."""
    rng = file_rng(seed, number)
    rng.random()  # the kind roll
    return compose(rng, sources), rng


def _write_article(
    article: Article, style: str, rng: random.Random, kind: str
) -> tuple[bytes, FileInfo]:
    text = render(article, style, rng)
    data, encoding, fallback = encode(text, article.language, rng)
    return data, FileInfo(kind, article.language, encoding, style, fallback)


def file_bytes(sources: Sources, seed: int, number: int) -> tuple[bytes, FileInfo]:
    """The bytes of file `number` and what they are."""
    rng = file_rng(seed, number)
    roll = rng.random()
    if roll < BROKEN:
        data, what = broken_bytes(rng)
        return data, FileInfo("broken", None, f"broken:{what}", "broken", False)
    if roll < NEAR_COPY:
        earlier = _earlier_original(seed, number, rng)
        if earlier is not None and roll < EXACT_COPY:
            data, info = file_bytes(sources, seed, earlier)
            return data, info._replace(kind="duplicate")
        if earlier is not None:
            article, old_rng = _original(sources, seed, number=earlier)
            old_style = choose_style(article, old_rng)
            edited = edit_article(article, rng, sources)
            style = choose_style(edited, rng, avoid=old_style)
            return _write_article(edited, style, rng, "near_duplicate")
    article = compose(rng, sources)
    return _write_article(article, choose_style(article, rng), rng, "article")


def file_path(out_dir: Path, number: int) -> Path:
    return out_dir / f"d{number // FILES_PER_DIR:04d}" / f"a{number:07d}.txt"


def write_files(out_dir: Path, n: int, seed: int, sources: Sources) -> CorpusStats:
    """Write files 0 … n-1, one at a time, and count what was written."""
    stats = CorpusStats(real_text=sources.real)
    for number in range(n):
        path = file_path(out_dir, number)
        if number % FILES_PER_DIR == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
        data, info = file_bytes(sources, seed, number)
        with open(path, "wb") as handle:
            handle.write(data)
        stats.add(info, len(data))
    return stats


def generate(
    out_dir: Path, n: int, seed: int = 0, eval_dir: Path | None = DEFAULT_EVAL_DIR
) -> CorpusStats:
    """Write `n` files under `out_dir` (the same bytes for the same seed) and count them."""
    started = time.perf_counter()
    sources = load_sources(Path(eval_dir) if eval_dir is not None else None)
    stats = write_files(Path(out_dir), n, seed, sources)
    stats.seconds = time.perf_counter() - started
    return stats


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.corpus", description=__doc__.split("\n")[0]
    )
    parser.add_argument("out_dir", type=Path, help="folder to write into (created)")
    parser.add_argument("n", type=int, help="number of files")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--eval-dir",
        default=str(DEFAULT_EVAL_DIR),
        help="evaluation data to sample text from; 'none' for the built-in vocabulary",
    )
    args = parser.parse_args(argv)
    eval_dir = None if args.eval_dir.lower() == "none" else Path(args.eval_dir)
    stats = generate(args.out_dir, args.n, args.seed, eval_dir)
    print(f"{args.out_dir}: {stats.summary()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
