"""Stories: one event covered by several outlets, found incrementally; dates inferred openly.

Per article, when its batch is processed (`story_features`): a MinHash signature of its
set of word 3-shingles (64 permutations) and the weekday its lead names ("on Friday").
The MinHash is datasketch's ("legacy" scheme; tests/test_stories.py checks the values
against datasketch) written out in NumPy (`minhash`), because importing datasketch
imports SciPy: 75 MB more in every worker process. A batch computes the same values with
one compiled loop over the words' bytes (`shingle_signature`, tested against `minhash`).

Per run, before the commit (tasks/link.py), the run's new articles are matched against
each other and against the warehouse's current articles. Candidates come from joins in
DuckDB, so no index lives in memory between runs and a new article joins an old story
without recomputing the corpus:

- LSH banding: 16 bands of 4 signature rows; equal band hashes make a candidate;
- identical content (`content_sha256`): exact duplicates;
- a shared quotation of at least `MIN_SHARED_QUOTE_WORDS` words.

A candidate pair is linked as `duplicate` (same content), `near_duplicate` (shingle
similarity ≥ 0.5, days at most two apart or unknown), `shared_quote` or `same_event`
(similarity ≥ 0.25); the last two need both publication days known and at most two days
apart (a rewrite of a wire story shares quotes with it, but so does next month's
follow-up). Between two articles of the same outlet only near-identical (≥ 0.8) same-day
copies link: an outlet's templated items are near-copies of each other every day.
Linked articles form a story; a story keeps its id forever and stories are never merged
retroactively (an article bridging two stories joins the older id).

A year-less date is completed from the story's dated articles (`inferred:story`), else
from the weekday named in the lead (`inferred:weekday`: the latest matching day up to
the file's modification time); `date_confidence` says how sure. Stated dates are never
overwritten: inferences live in their own table and the `articles` view shows them only
where the text states no year.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
from wirehouse.tasks.compiled import compiled

from wirehouse.codepoints import CodePointTable, code_points

NUM_PERM = 64
# 16 bands of 4 rows: pairs of similarity 0.5 collide in some band with probability 0.64,
# 0.8 with 0.999, unrelated news (< 0.02) practically never: the candidate list stays
# linear in the corpus.
BANDS, ROWS = 16, 4
SHINGLE = 3  # words per shingle
NEAR_DUPLICATE = 0.5
SAME_OUTLET_COPY = 0.8  # one outlet's templated items reach 0.5-0.8 with each other
SAME_EVENT = 0.25
MAX_EVENT_DAYS = 2  # same_event / shared_quote: publication days at most this far apart
MAX_STORY_DAYS = 7  # a year inferred from a sibling must put the date this close to it
MIN_SHARED_QUOTE_WORDS = 8
# A quote in more articles than this is a slogan or a stock phrase, not evidence of one
# event (and its pairs grow with the square of its articles: 55M at 1M synthetic articles).
MAX_QUOTE_ARTICLES = 50
WEEKDAY_YEARS = 20  # inferred:weekday looks this many years back from the file's year
SAVED_WITHIN_DAYS = 31  # a file modified this soon after the day found anchors the year

_WORD = re.compile(r"\w+")
_WEEKDAYS = {
    day: number
    for number, names in enumerate(
        [
            "monday montag lundi lunes понедельник",
            "tuesday dienstag mardi martes вторник",
            "wednesday mittwoch mercredi miércoles среду",
            "thursday donnerstag jeudi jueves четверг",
            "friday freitag vendredi viernes пятницу",
            "saturday samstag samedi sábado субботу",
            "sunday sonntag dimanche domingo воскресенье",
        ]
    )
    for day in names.split()
}
# "on Friday", "am Freitag", "el viernes", "в пятницу", "vendredi": the day of the news.
# "last Friday" / "next Friday" name other days and are not matched.
# The lookbehind is written once for both alternatives, and the lookahead names the
# letters a match can start with: the same matches, with most positions of the lead
# rejected by one test instead of two alternatives' (half the search's time).
_WEEKDAY = re.compile(
    r"(?<![\w-])(?=[oaeвlmjvsd])"
    r"(?:(?:on|am|el|в|во)\s+(" + "|".join(_WEEKDAYS) + r")\b"
    r"|(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b)",
    re.IGNORECASE,
)
LEAD_CHARS = 1500


@dataclass(frozen=True, slots=True)
class StoryFeatures:
    signature: list[int] | None  # NUM_PERM values; None for text without words
    weekday: int | None  # Monday = 0


_MERSENNE_PRIME = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)
_SHIFT = np.uint64(61)


@cache
def permutations() -> np.ndarray:
    """The (a, b) pairs of the universal hash functions, shape (2, NUM_PERM)."""
    generator = np.random.RandomState(1)
    a = generator.randint(1, _MERSENNE_PRIME, NUM_PERM, dtype=np.uint64)
    b = generator.randint(0, _MERSENNE_PRIME, NUM_PERM, dtype=np.uint64)
    return np.stack([a, b])


def minhash(tokens: Iterable[bytes]) -> np.ndarray:
    """MinHash values of a token set: min over tokens of ((a·h + b) mod p) & (2³² - 1)."""
    # crc32 instead of datasketch's default sha1: the same role, several times faster.
    return minhash_of_hashes(np.fromiter(map(zlib.crc32, tokens), dtype=np.uint64))


def minhash_of_hashes(hashes: np.ndarray) -> np.ndarray:
    """`minhash` of the tokens whose crc32 values `hashes` holds (uint64), repeats allowed.

    A token seen twice leaves every minimum as it is, so the tokens need not be made
    distinct first. The product wraps at 2⁶⁴ as datasketch's does. `mod p` for
    p = 2⁶¹ - 1 is taken without a division: x = q·2⁶¹ + r is q + r (mod p), which is
    below 2p, and one p off changes the low 32 bits by adding 1 (2⁶¹ is 0 in them); the
    same values as `% p`, several NumPy passes cheaper than its 64-bit division."""
    a, b = permutations()
    x = np.multiply.outer(hashes, a)
    x += b
    high = x >> _SHIFT
    x &= _MERSENNE_PRIME
    x += high  # x mod p, or that plus p
    x += x >= _MERSENNE_PRIME
    x &= _MAX_HASH
    return x.min(axis=0)


def story_features(title: str | None, body: str) -> StoryFeatures:
    """Signature of the article's word shingles, and the weekday its lead names."""
    return StoryFeatures(shingle_signature(f"{title or ''}\n{body}"), lead_weekday(body))


def shingle_signature(text: str) -> list[int] | None:
    """`minhash(word_shingles(text))` as a list, None for a text without words: the same
    values, computed from the words' UTF-8 bytes by one compiled loop (`_signature`:
    each shingle's crc32, then its 64 hash values into the minima) instead of a Python
    string, a bytes object and a crc32 call per shingle and nine NumPy passes.

    The words are `_WORD`'s matches: which code points are word characters is asked of
    `_WORD` itself, once per code point (`_word_chars`)."""
    folded = text.casefold()
    codes = code_points(folded)
    word = _word_chars()[codes]
    edges = np.flatnonzero(np.diff(word.astype(np.int8), prepend=0, append=0))
    if not edges.size:
        return None
    # UTF-8 byte offsets of the code points (surrogates, 3 bytes, are never in a word).
    widths = 1 + (codes >= 0x80) + (codes >= 0x800) + (codes >= 0x10000)
    offsets = np.concatenate(([0], np.cumsum(widths)))[edges]
    a, b = permutations()
    data = np.frombuffer(folded.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    signature = compiled(_signature)(
        data, offsets[0::2], offsets[1::2], a, b, SHINGLE, _crc_table()
    )
    return signature.astype(np.uint32).tolist()


@cache
def _word_chars() -> CodePointTable:
    """Whether each code point is a word character for `_WORD` (1/0), asked of the
    pattern itself as code points show up (1.1 MB)."""
    return CodePointTable(
        lambda code: _WORD.fullmatch(chr(code)) is not None, dtype=np.uint8, unset=2
    )


@cache
def _crc_table() -> np.ndarray:
    """zlib's crc32 table (reflected polynomial 0xEDB88320), for `_signature`: zlib's
    own crc32 takes one bytes object per call, which is what made it cost."""
    table = np.arange(256, dtype=np.uint32)
    for _ in range(8):
        table = np.where(table & 1, (table >> 1) ^ np.uint32(0xEDB88320), table >> 1)
    return table


def _signature(
    data: np.ndarray,
    starts: np.ndarray,
    ends: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    size: int,
    crc_table: np.ndarray,
) -> np.ndarray:
    """MinHash (as `minhash_of_hashes`) of the crc32 of every run of `size` consecutive
    words, joined by a space; one run of all the words when there are no more than
    `size`. Word k is data[starts[k]:ends[k]] (UTF-8); `crc_table` is `_crc_table()`.
    Compiled (tasks/compiled.py)."""
    words = starts.shape[0]
    runs = max(words - size + 1, 1)
    width = min(size, words)
    result = np.full(a.shape[0], np.uint64(0xFFFFFFFFFFFFFFFF))
    for first in range(runs):
        crc = np.uint32(0xFFFFFFFF)
        for k in range(first, first + width):
            if k > first:
                crc = crc_table[(crc ^ np.uint32(0x20)) & np.uint32(0xFF)] ^ (crc >> np.uint32(8))
            for i in range(starts[k], ends[k]):
                crc = crc_table[(crc ^ np.uint32(data[i])) & np.uint32(0xFF)] ^ (
                    crc >> np.uint32(8)
                )
        hashed = np.uint64(crc ^ np.uint32(0xFFFFFFFF))
        for j in range(a.shape[0]):
            x = a[j] * hashed + b[j]  # wraps at 2^64, as datasketch's product does
            x = (x & _MERSENNE_PRIME) + (x >> _SHIFT)
            if x >= _MERSENNE_PRIME:
                x -= _MERSENNE_PRIME
            x &= _MAX_HASH
            if x < result[j]:
                result[j] = x
    return result


def word_shingles(text: str, size: int = SHINGLE) -> Iterator[bytes]:
    """The runs of `size` consecutive words (case-folded), repeats included; one run for
    shorter texts, none for a text without words. MinHash needs no set of them."""
    words = _WORD.findall(text.casefold())
    if len(words) <= size:
        return iter([" ".join(words).encode()] if words else [])
    return map(str.encode, map(" ".join, zip(*(words[i:] for i in range(size)), strict=False)))


def lead_weekday(body: str) -> int | None:
    match = _WEEKDAY.search(body, 0, LEAD_CHARS)
    if not match:
        return None
    return _WEEKDAYS[(match.group(1) or match.group(2)).lower()]


# --------------------------------------------------------------------------- dates


@dataclass(frozen=True, slots=True)
class Dated:
    """What matching and inference need to know about an article's date."""

    year: int | None
    month: int | None
    day: int | None
    weekday: int | None = None
    file_date: date | None = None  # the file's modification day

    def stated(self) -> date | None:
        return _date(self.year, self.month, self.day) if self.year else None


def _date(year: int, month: int | None, day: int | None) -> date | None:
    try:
        return date(year, month, day)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def days_apart(a: Dated, b: Dated) -> int | None:
    """Days between two publication dates; None when either lacks a valid month and day.

    When a year is missing on either side the distance is taken around the calendar
    (31 December and 2 January are 2 days apart).
    """
    if a.year and b.year:
        first, second = a.stated(), b.stated()
        return abs((first - second).days) if first and second else None
    first, second = _date(2000, a.month, a.day), _date(2000, b.month, b.day)  # a leap year
    if not first or not second:
        return None
    apart = abs((first - second).days)
    return min(apart, 366 - apart)


def infer_from_story(member: Dated, siblings: Iterable[date]) -> tuple[date, float] | None:
    """The year-less date placed next to the story's dated articles, by majority."""
    votes: Counter[date] = Counter()
    total = 0
    for sibling in siblings:
        total += 1
        options = [_date(sibling.year + d, member.month, member.day) for d in (-1, 0, 1)]
        near = [o for o in options if o and abs((o - sibling).days) <= MAX_STORY_DAYS]
        if near:
            votes[min(near, key=lambda o: abs((o - sibling).days))] += 1
    if not votes:
        return None
    (best, count), *_ = sorted(votes.items(), key=lambda kv: (-kv[1], kv[0]))
    confidence = 0.8 * count / total
    if member.weekday is not None and best.weekday() == member.weekday:
        confidence += 0.15
    return best, round(confidence, 2)


def infer_from_weekday(member: Dated, latest: date) -> tuple[date, float] | None:
    """The latest day, up to the file's date, that has the stated month, day and weekday.

    The file's modification time is the only anchor. When the day found is at most a
    month before it (a file saved soon after publication) the answer is likely; else
    (an archive copied years later) one of several equally likely years was picked, and
    the confidence says so.
    """
    if member.weekday is None or member.month is None or member.day is None:
        return None
    until = min(member.file_date or latest, latest)
    days = [
        d
        for y in range(until.year - WEEKDAY_YEARS + 1, until.year + 1)
        if (d := _date(y, member.month, member.day))
        and d <= until
        and d.weekday() == member.weekday
    ]
    if not days:
        return None
    if member.file_date and (member.file_date - days[-1]).days <= SAVED_WITHIN_DAYS:
        return days[-1], 0.9
    return days[-1], round(0.5 / len(days), 2)


# --------------------------------------------------------------------------- linking


@dataclass(frozen=True, slots=True)
class Candidate:
    """One side of a candidate pair, as read from the warehouse or the run's staging."""

    article_id: str
    new: bool
    content_sha256: str | None
    when: Dated
    story_id: str | None  # for old articles: their story, if they have one
    source: str | None = None  # outlet slug


@dataclass(frozen=True, slots=True)
class Pair:
    a: str
    b: str
    shares_quote: bool
    similarity: float  # MinHash estimate of the shingle-set Jaccard similarity


LINK_ORDER = ("duplicate", "near_duplicate", "shared_quote", "same_event")


def link_kind(a: Candidate, b: Candidate, pair: Pair) -> tuple[str, float] | None:
    """Why two articles belong to one story, with their similarity; None if they do not.

    One outlet's own near-copies are the same story only when nearly identical and from
    the same day (a corrected or repeated item): its templated notices ("Fed adds
    reserves", "X declares dividend") are near-copies of each other every day.
    """
    score = pair.similarity
    if a.content_sha256 is not None and a.content_sha256 == b.content_sha256:
        return "duplicate", 1.0
    apart = days_apart(a.when, b.when)
    one_outlet = a.source is not None and a.source == b.source
    if one_outlet:
        if score >= SAME_OUTLET_COPY and not apart:
            return "near_duplicate", score
        return None
    if score >= NEAR_DUPLICATE and (apart is None or apart <= MAX_EVENT_DAYS):
        return "near_duplicate", score
    if apart is None or apart > MAX_EVENT_DAYS:
        return None
    if pair.shares_quote:
        return "shared_quote", score
    if score >= SAME_EVENT:
        return "same_event", score
    return None


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


@dataclass(frozen=True, slots=True)
class Link:
    story_id: str
    matched_article_id: str | None
    similarity: float | None
    link: str | None


def assign_stories(candidates: dict[str, Candidate], pairs: Iterable[Pair]) -> dict[str, Link]:
    """Stories of the new articles in `pairs` (and of old ones that had none).

    New articles in no linked pair start a story of their own; the caller adds those.
    """
    groups = _UnionFind()
    best: dict[str, tuple[int, float, str]] = {}
    for pair in pairs:
        kind = link_kind(candidates[pair.a], candidates[pair.b], pair)
        if kind is None:
            continue
        groups.union(pair.a, pair.b)
        rank = (LINK_ORDER.index(kind[0]), -kind[1])
        for x, y in ((pair.a, pair.b), (pair.b, pair.a)):
            if candidates[x].new and (x not in best or rank < best[x][:2]):
                best[x] = (*rank, y)
    members: dict[str, list[str]] = defaultdict(list)
    for article_id in list(groups.parent):
        members[groups.find(article_id)].append(article_id)
    links: dict[str, Link] = {}
    for group in members.values():
        stories = sorted({c.story_id for m in group if (c := candidates[m]).story_id})
        story_id = stories[0] if stories else min(group)
        for m in group:
            if candidates[m].new or candidates[m].story_id is None:
                kind_rank, neg_score, matched = best.get(m, (None, None, None))
                links[m] = Link(
                    story_id,
                    matched,
                    None if neg_score is None else round(-neg_score, 3),
                    None if kind_rank is None else LINK_ORDER[kind_rank],
                )
    return links
