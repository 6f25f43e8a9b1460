"""Split normalized text into title, lede and body, removing outlet chrome and sign-offs."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from wirehouse.tasks.dates import HEADER_LINES, match_dateline
from wirehouse.tasks.sources import Registry, is_chrome_line, is_signoff_line

MAX_TITLE_CHARS = 300  # longer first lines in real data are a headline run into its teaser
MAX_LEDE_CHARS = 400
SHORT_FACTOR = 2  # a sentence-shaped title is at most half as long as the paragraph under it
MAX_WRAP_WIDTH = 120  # hard-wrapped text has lines no longer than this
FULL_LINE = 0.75  # a line of wrapped text that runs on is at least this share of the width

# What is left once closing quotes and brackets are peeled off the end of a line.
_CLOSERS = "\"'”’»«“」』】）)]›"
_FULL_STOPS = (".", "。", "．", "।", "॥", "۔")
_CONTINUES = (",", ";", ":", "，", "；", "：", "、", "-", "–", "—", "(", "[", "„")
# A sentence ends at .!? (or a CJK/Indic stop) before a capital or a letter of a caseless script.
_BOUNDARY = re.compile(r"(\w*)([.!?]+|[。！？।؟]+)[\"'”’»“」』)]*\s*[\"'„“«「(]*(?=[^\W\d_])")
_BYLINE = re.compile(
    r"(?i:by|von|par|por|door|written by|reported by|autor|autorka|author|автор|авторка"
    r"|kirjoittaja)\b:?\s+(?P<names>.+)"
)
MAX_BYLINE_NAMES = 5
_NAME_WORD = re.compile(r"[^\W\d_][\w.'’-]*")
_NAME_JOINERS = frozenset(
    "and und et y i a и та і de van von der den di da du des del le la in at".split()  # noqa: SIM905
)
_TOKEN = re.compile(r"\w+")
_WORD = re.compile(r"[^\W\d_]+")
_DESK_NOTE = re.compile(
    r"^=|=$|///|^(?:ATTENTION|ADVISORY|EDITORS?|NOTE TO EDITORS|EDS)\b\s*[-–:]"
    r"|^\W*(?i:pictures?|photos?|graphics?|video|audio|fotos?|фото|видео)\W*$"
)


@dataclass(frozen=True, slots=True)
class Layout:
    title: str | None
    lede: str | None
    body: str
    header_lines: list[str]  # the opening lines of the body, where datelines live
    chrome_hits: list[str]  # for each removed chrome line: its outlet slug, '' if generic
    signoff_hit: str | None  # outlet slug of a removed sign-off ('' if generic), else None


def split_layout(text: str, registry: Registry) -> Layout:
    """Find the title and lede, drop chrome and sign-off lines, keep the rest as the body."""
    lines = [line.strip() for line in text.split("\n")]
    chrome_hits: list[str] = []
    kept: list[str] = []
    for line in lines:
        hit = is_chrome_line(line, registry) if line else None
        if hit is None:
            kept.append(line)
        else:
            chrome_hits.append(hit)
    kept, signoff_hit = _drop_signoff(kept, registry)
    content = [i for i, line in enumerate(kept) if line]
    title_at = _title_index(kept, content)
    lede_at = _lede_index(kept, content) if title_at is not None else None
    skip = {i for i in (title_at, lede_at) if i is not None}
    body_lines = [line for i, line in enumerate(kept) if i not in skip]
    body = "\n".join(body_lines).strip()
    while "\n\n\n" in body:
        body = body.replace("\n\n\n", "\n\n")
    return Layout(
        title=kept[title_at] if title_at is not None else None,
        lede=kept[lede_at] if lede_at is not None else None,
        body=body,
        header_lines=[line for line in body.split("\n") if line][:HEADER_LINES],
        chrome_hits=chrome_hits,
        signoff_hit=signoff_hit,
    )


def _drop_signoff(lines: list[str], registry: Registry) -> tuple[list[str], str | None]:
    last = max((i for i, line in enumerate(lines) if line), default=None)
    if last is None or last == 0:
        return lines, None
    hit = is_signoff_line(lines[last], registry)
    if hit is None:
        return lines, None
    return lines[:last], hit


def _title_index(lines: list[str], content: list[int]) -> int | None:
    """The first content line is the title when the layout sets it apart as one.

    A headline is a line of its own above the story: above a dateline or byline (or a lede
    and a dateline), above a blank line and a longer paragraph, or above a much longer line
    in a text that puts each paragraph on one line. It may end in '.', '?', '!' or a quote,
    and be in any script. The story's first sentence is not one: it runs on into more lines
    of its paragraph, has several sentences, or is about as long as the paragraph under it.
    Datelines, date stamps, bylines and desk or picture notes are never titles.
    """
    if len(content) < 2:
        return None
    at, first = content[0], lines[content[0]]
    if len(first) > MAX_TITLE_CHARS or not _may_be_title(first):
        return None
    below = _paragraph(lines, content[1])
    if _opens_story(below[0]) or _lede_index(lines, content) is not None:
        return at  # "ACME CORP. SETS PAYOUT." above "NEW YORK, Feb 26 - ...", or above a lede
    statement = _ends_statement(first)
    if statement and _boundaries(first):
        return None  # two or more sentences: body text
    if content[1] == at + 1:  # no blank line: the next line may be more of its paragraph
        return at if _stands_apart(first, below[0], _wrap_width(lines[at + 1 :])) else None
    chars = sum(map(len, below))
    longer = chars >= SHORT_FACTOR * len(first) or (len(below) > 1 and chars > len(first))
    return at if longer or not statement else None


def _may_be_title(line: str) -> bool:
    return not (
        _is_dateline(line)
        or _is_date_stamp(line)
        or _is_byline(line)
        or _DESK_NOTE.search(line) is not None
        or line.endswith(_CONTINUES)
    )


def _opens_story(line: str) -> bool:
    """A dateline, date header, date stamp or byline: what sits between a headline and its story."""
    return _is_dateline(line) or _is_date_stamp(line) or _is_byline(line)


def _paragraph(lines: list[str], start: int) -> list[str]:
    """The non-empty lines from `start` up to the next blank line."""
    block = []
    for line in lines[start:]:
        if not line:
            break
        block.append(line)
    return block


def _stands_apart(first: str, nxt: str, wrap_width: int | None) -> bool:
    """Whether `first` is not the opening line of the paragraph that `nxt` goes on with.

    Hard-wrapped text goes on in a lower-case word or after a line as long as the width.
    In a text with one paragraph on each line, a headline is a phrase, or much shorter than
    the paragraph under it.
    """
    word = _WORD.match(nxt)
    if word is not None and word.group().islower():
        return False
    if wrap_width is not None and len(nxt) <= wrap_width <= len(first) / FULL_LINE:
        return False
    return not _ends_statement(first) or len(nxt) >= SHORT_FACTOR * len(first)


def _wrap_width(lines: list[str]) -> int | None:
    """The width of a hard-wrapped text, None if it is not wrapped.

    A wrapped text's lines that run on into the next one are nearly all about as long as
    the longest of them.
    """
    inner = [len(a) for a, b in pairwise(lines) if a and b]
    if len(inner) < 3 or max(inner) > MAX_WRAP_WIDTH:
        return None
    width = max(inner)
    full = sum(n >= FULL_LINE * width for n in inner)
    return width if full >= 0.8 * len(inner) else None


def _ends_statement(line: str) -> bool:
    """Ends in a full stop, also inside quotes; not in an ellipsis (a cut headline), '?' or '!'."""
    core = line.rstrip(_CLOSERS)
    return core.endswith(_FULL_STOPS) and not core.endswith(("...", "…"))


def _boundaries(line: str) -> int:
    """How many sentence boundaries the line has inside it (abbreviations and initials aside)."""
    found = 0
    for m in _BOUNDARY.finditer(line):
        word, stop = m.group(1), m.group(2)
        if line[m.end()].islower():
            continue
        if stop == "." and (len(word) < 2 or (len(word) < 5 and word.istitle())):
            continue  # "U.S. Want", "Corp. International", "J. Smith"; not "the US. Lavrov"
        found += 1
    return found


def _is_date_stamp(line: str) -> bool:
    """A line that is only a date or time: "23.12.2020", "09 ноември 2020, 09:24".

    Two or more numbers, at most two words (a month, a weekday), more digits than letters;
    "G7 2021" or "Euro 2020: 16 teams" are not stamps.
    """
    if len(line) > 40:
        return False
    tokens = _TOKEN.findall(line)
    numbers = [t for t in tokens if t.isdigit()]
    words = [t for t in tokens if _WORD.fullmatch(t)]
    return (
        len(numbers) >= 2
        and len(words) <= 2
        and len(numbers) + len(words) == len(tokens)
        and sum(map(len, numbers)) >= sum(map(len, words))
    )


def _is_byline(line: str) -> bool:
    """ "By John Smith", "Автор: Мартин Табаков": a credit word, then a few names."""
    m = _BYLINE.match(line)
    if m is None or len(line) > 60:
        return False
    words = [w.strip(",") for w in m.group("names").split()]
    names = [w for w in words if w.casefold() not in _NAME_JOINERS]
    return 0 < len(names) <= MAX_BYLINE_NAMES and all(
        _NAME_WORD.fullmatch(w) and not w[0].islower() for w in names
    )


@lru_cache(maxsize=1024)
def _is_dateline(line: str) -> bool:
    """Whether the line opens with a dateline or date header. Cached: the title and lede
    rules ask it of the same few opening lines, up to four times per article."""
    return match_dateline(line) is not None


def _lede_index(lines: list[str], content: list[int]) -> int | None:
    """A short paragraph between the title and the dateline is the lede (standfirst)."""
    if len(content) < 3:
        return None
    candidate, after = lines[content[1]], lines[content[2]]
    if len(candidate) > MAX_LEDE_CHARS or _is_dateline(candidate):
        return None
    return content[1] if _is_dateline(after) else None
