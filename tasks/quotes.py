"""Direct quotations and their attributed speakers, from a normalized article body.

`extract_quotes` pairs double quote marks (straight, typographic, guillemets in both
directions, German low-high and CJK corner brackets; single quotes are apostrophes and
only ever nested), joins wire-style quotes continued over paragraphs, and attributes
each quote with a few anchored regexes over the text right after its closing mark
(`," the ministry said`) and right before its opening mark (`Lavrov said: "`).
Pronouns resolve to the most recent named speaker earlier in the article, whether
named for a quote or in reported speech ("Lavrov said on Monday ..."); a quote with no
said-clause inherits the speaker of the quote just before it in the same paragraph.

Limits: attribution is English only and heuristic: it gives None rather than a doubtful
name, misses speakers split off by an appositive ("Lavrov, the minister, said"), takes
the subject of `X said that ... "partial quote"` for up to ten words after "that", and
"he"/"she" only skip speakers that are obviously institutions. Straight quotes pair by
alternation within a paragraph, so one stray mark shifts the rest of that paragraph.
Words for `min_words` are those of `normalize_quote` ("counter-actions" is two, a Han
or kana character is one). Spans over 3000 characters or 6 paragraphs are dropped.

Hand-rolled regexes: no well-kept library does quote attribution this cheaply.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cache

__all__ = ["Quote", "extract_quotes", "normalize_quote"]

MAX_SPAN_CHARS = 3000
MAX_PARAGRAPHS = 6
_WINDOW = 200  # characters of context read before and after a quote
_MAX_NESTING = 8


@dataclass(frozen=True, slots=True)
class Quote:
    """One direct quotation; `body[start:end]` is its span including the marks."""

    text: str
    speaker: str | None
    start: int
    end: int
    quote_hash: str


# ---------------------------------------------------------------- normalization

_APOSTROPHES = re.compile("['‘’ʼ]")
# Han and kana are written without spaces, so each character counts as a word; otherwise
# a whole Japanese or Chinese sentence would be one "word" and fall under min_words.
_CJK = re.compile("([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f])")


@cache
def _word_re() -> re.Pattern[str]:
    """A word: a letter or digit, then letters, digits and combining marks (any script)."""
    # `\w` leaves out combining marks, which would cut Indic words into pieces; the
    # class is built on first use (about 10 ms) rather than at import.
    ranges = "".join(f"{chr(a)}-{chr(b)}" for a, b in _ranges(_combining_marks()))
    return re.compile(rf"\w[\w{ranges}]*")


def _combining_marks() -> list[int]:
    planes = [*range(0x300, 0x20000), *range(0xE0100, 0xE01F0)]
    return [cp for cp in planes if unicodedata.category(chr(cp)).startswith("M")]


def _ranges(points: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for cp in points:
        if out and out[-1][1] == cp - 1:
            out[-1] = (out[-1][0], cp)
        else:
            out.append((cp, cp))
    return out


def normalize_quote(text: str) -> str:
    """Casefolded letters and digits of `text`, words joined by single spaces.

    Apostrophes are dropped inside words ("Russia’s" and "Russia's" both give "russias");
    each Han or kana character is a word of its own.
    """
    # "_" is a word character to `\w` but not a letter; as a space it separates words.
    folded = _APOSTROPHES.sub("", text.casefold()).replace("_", " ")
    if not folded.isascii():
        folded = _CJK.sub(r" \1 ", folded)
    return " ".join(_word_re().findall(folded))


def _hash_normalized(normalized: str) -> str:
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------- pairing marks

_OPENERS = '"“„«»「『'
_OPEN_ONLY = "„「『"
_CLOSE_ONLY = "”」』"
# Marks that open in one style and close in another: „…“, «…», »…«.
_CLOSER_FOR = {"„": "“", "«": "»", "»": "«"}
_MARK_RE = re.compile('["“”„«»「」『』\n]')
_NON_SPACE = re.compile(r"\S")
_BEFORE_OPENING = "([{—–-/"
_AFTER_CLOSING = ".,;:!?)]}—–-…"


@dataclass(slots=True)
class _Span:
    start: int
    parts: list[tuple[int, int]]  # (start, end) of the inner text in each paragraph
    end: int = 0


def _looks_opening(body: str, i: int) -> bool:
    before = body[i - 1] if i else " "
    after = body[i + 1] if i + 1 < len(body) else " "
    return (before.isspace() or before in _BEFORE_OPENING) and not after.isspace()


def _looks_closing(body: str, i: int) -> bool:
    before = body[i - 1] if i else " "
    after = body[i + 1] if i + 1 < len(body) else " "
    return not before.isspace() and (after.isspace() or after in _AFTER_CLOSING)


def _closes(body: str, i: int, mark: str, top: str) -> bool:
    """Whether `mark`, met inside a quote opened by `top`, closes it."""
    if mark == '"':
        # Straight marks never nest in each other; inside a curly quote, one that looks
        # like it opens a word starts a nested quote.
        return top == '"' or not _looks_opening(body, i) or _looks_closing(body, i)
    if mark in _OPEN_ONLY:
        return False
    if _CLOSER_FOR.get(top) == mark:
        return True
    return _looks_closing(body, i) and not _looks_opening(body, i)


class _Scanner:
    """Pairs quote marks in one left-to-right pass over the marks and newlines."""

    def __init__(self, body: str) -> None:
        self.body = body
        self.stack: list[str] = []
        self.span = _Span(0, [])
        self.part_start = 0
        self.skip_until = 0
        self.spans: list[_Span] = []

    def run(self) -> list[_Span]:
        for match in _MARK_RE.finditer(self.body):
            i, mark = match.start(), match.group()
            if i < self.skip_until:
                continue
            if mark == "\n":
                self._newline(i)
            elif self.stack:
                self._inside(i, mark)
            elif mark not in _CLOSE_ONLY:
                self._open(i, mark)
        return self.spans

    def _open(self, i: int, mark: str) -> None:
        self.stack = [mark]
        self.span = _Span(i, [])
        self.part_start = i + 1

    def _inside(self, i: int, mark: str) -> None:
        if mark in _CLOSE_ONLY or _closes(self.body, i, mark, self.stack[-1]):
            self._close(i)
        elif len(self.stack) == 1 and mark == self.stack[0]:
            # Writers do not nest a quote in the same curly or angled marks, so this is
            # a new quote and the one before it was never closed.
            self._open(i, mark)
        elif len(self.stack) < _MAX_NESTING:
            self.stack.append(mark)

    def _close(self, i: int) -> None:
        self.stack.pop()
        if self.stack:
            return
        span = self.span
        span.parts.append((self.part_start, i))
        span.end = i + 1
        if span.end - span.start <= MAX_SPAN_CHARS and len(span.parts) <= MAX_PARAGRAPHS:
            self.spans.append(span)

    def _newline(self, i: int) -> None:
        """An open quote continues only if the next paragraph opens with a mark again."""
        if not self.stack:
            return
        self.span.parts.append((self.part_start, i))
        following = _NON_SPACE.search(self.body, i)
        if following is not None and following.group() in _OPENERS:
            j = following.start()
            self.stack = [following.group()]
            self.part_start = self.skip_until = j + 1
        else:
            self.stack = []


def _quote_text(body: str, span: _Span) -> str:
    joined = " ".join(body[a:b] for a, b in span.parts)
    # The comma belongs to the said-clause ("…," he said); . ? ! belong to the quote.
    return " ".join(joined.split()).rstrip(", ")


# ---------------------------------------------------------------- attribution


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


_VERB_WORDS = _word_set(
    "said says say added adds stressed stresses noted told tells asked asks explained explains "
    "wrote writes warned warns insisted insists continued continues replied replies declared "
    "declares announced announces read emphasized emphasised emphasizes emphasises stated "
    "reiterated reiterates recalled argued argues concluded tweeted"
)
# Lower case only, so "the United States" or "Notes" is never taken for a verb.
_VERBS = "|".join([*sorted(_VERB_WORDS), r"pointed\s+out"])
# Verbs that mark reported speech in running text; looser ones ("read", "continued")
# would name things like "the war" as speakers.
_REPORT_RE = re.compile(
    r"\b(?:said|says|added|stressed|noted|told|warned|insisted|explained|declared"
    r"|announced|emphasi[sz]ed|stated|reiterated|replied|wrote)\b"
)
_ADVERBS = _word_set(
    "also further later then again once previously earlier reportedly repeatedly has had "
    "have would will was"
)
_ADV = "(?:" + "|".join(sorted(_ADVERBS)) + ")"
_TOK = r"[^\W\d_][\w'’.\-]*"
_TAIL_TOK = r"(?:(?:[A-Z]\.){2,}|[\w'’\-]+)"
# After the closing mark: `," said Lavrov`, `," the ministry said`, `," according to X`.
_AFTER_RE = re.compile(
    rf"[\s,;:—–-]*(?:(?:{_VERBS})\s+(?P<named>{_TOK}(?:\s+{_TOK}){{0,9}})"
    rf"|(?P<subject>{_TOK}(?:\s+{_TOK}){{0,7}}?)\s+(?:{_ADV}\s+){{0,2}}(?:{_VERBS})\b"
    rf"|[Aa]ccording\s+to\s+(?P<source>{_TOK}(?:\s+{_TOK}){{0,9}}))"
)
# Before the opening mark, anchored at its end; the greedy `.*` finds the last verb.
_BEFORE_COLON = re.compile(rf".*\b(?P<verb>{_VERBS})\b(?:\s+{_TAIL_TOK}){{0,6}}\s*[:,]\s*$", re.S)
_BEFORE_THAT = re.compile(
    rf".*\b(?P<verb>{_VERBS})\b(?:\s+{_TAIL_TOK}){{0,3}}?\s+that(?:\s+{_TAIL_TOK}){{0,10}}\s*$",
    re.S,
)
_BEFORE_ACCORDING = re.compile(
    rf"(?:^|\s)[Aa]ccording\s+to\s+(?P<source>{_TOK}(?:\s+{_TOK}){{0,9}}?)\s*,\s*$"
)
_BOUNDARY_RE = re.compile(r"[,;:!?()\[\]\"“”„«»「」『』—–]|\.(?=\s|$)|\s-\s")
_ABBREVIATION = re.compile(
    r"(?:[A-Za-z]\.)*[A-Za-z]\.?|(?:Mr|Mrs|Ms|Dr|Prof|Gen|Sen|Rep|Gov|St)\.?"
)
# The comma (or ? ! dash) that ends a quote followed by its said-clause.
_CLAUSE_END = ",?!…—–-:;"

_PRONOUNS = _word_set("he she they it")
_DETERMINERS = _word_set("the a an his her its their our these those one two several some")
_LEADING = _word_set(
    "and but so then meanwhile however also now still thus moreover yesterday today earlier "
    "later monday tuesday wednesday thursday friday saturday sunday"
)
_TIME_WORDS = _word_set(
    "monday tuesday wednesday thursday friday saturday sunday yesterday today tonight earlier "
    "later recently week month year morning evening afternoon night weekend"
)
_TIME_LEAD = _word_set("on last this next early late")
# Prepositions that end a speaker named after the verb or start one named before it;
# "of" and "for" stay inside titles ("Secretary of State", "spokesman for the ministry").
_PREPOSITIONS = _word_set(
    "in on at during after before with from to via by through over under into per about "
    "following while when who which that as amid despite since until within without "
    "against between among across near"
)
_PREPOSITION_KEEPERS = _word_set("familiar close closest loyal")
_STOP = (
    _word_set(
        "that which who whom whose what when where why how if because although though since "
        "unless whether is was were are be been being not no nor would will could should can "
        "may might must do does did has have had than or i you we me us my your there here "
        "this according saying adding pointed"
    )
    | _VERB_WORDS
)
_INSTITUTIONS = _word_set(
    "statement ministry government embassy office department agency committee council "
    "kremlin report service administration website newspaper"
)


def _strip_token(word: str) -> str:
    word = word.strip(",;:!?\"'‘’“”«»„()[]—–-")
    if word.endswith(".") and not _ABBREVIATION.fullmatch(word):
        word = word.rstrip(".")
    return word


def _valid_speaker(words: list[str]) -> str | None:
    """The speaker as written, or None unless `words` look like a short noun phrase."""
    if not 1 <= len(words) <= 8:
        return None
    folded = [w.casefold() for w in words]
    if folded[0] in _PRONOUNS:
        return folded[0] if len(words) == 1 else None
    if any(f in _STOP for f in folded) or not all(any(c.isalpha() for c in w) for w in words):
        return None
    if folded[0] in _DETERMINERS:
        return " ".join(words) if len(words) > 1 else None
    # A lower-case phrase ("officials", "local residents") is only trusted when short.
    return " ".join(words) if words[0][0].isupper() or len(words) <= 3 else None


def _drop_leading(words: list[str]) -> list[str]:
    start = 0
    while start < len(words) and words[start].casefold() in _LEADING:
        start += 1
    return words[start:]


def _trim_time(words: list[str]) -> list[str]:
    """Drop a trailing time phrase: "the ministry on Friday" -> "the ministry"."""
    while words and words[-1].casefold() in _TIME_WORDS:
        words = words[:-1]
        if words and words[-1].casefold() in _TIME_LEAD:
            words = words[:-1]
    return words


def _is_preposition(words: list[str], k: int) -> bool:
    # "a source familiar with the matter", "people close to the Kremlin" keep their tail.
    return words[k].casefold() in _PREPOSITIONS and (
        k == 0 or words[k - 1].casefold() not in _PREPOSITION_KEEPERS
    )


def _speaker_after_verb(phrase: str) -> str | None:
    """`said the ministry in a statement` -> "the ministry": the name ends at a preposition."""
    words = [w for w in map(_strip_token, phrase.split()) if w]
    for k in range(1, len(words)):
        if _is_preposition(words, k):
            words = words[:k]
            break
    return _valid_speaker(_drop_leading(words))


def _speaker_before_verb(words: list[str]) -> str | None:
    """The subject right before a verb, less a time phrase and any leading adverbial.

    A short subject keeps its prepositions ("officials in Kyiv"); one that opens with a
    preposition or is too long starts after the last one ("In an interview on Monday the
    minister").
    """
    words = _trim_time([w for w in map(_strip_token, words) if w])
    if words and (len(words) > 8 or _is_preposition(words, 0)):
        words = _after_adverbial(words)
    return _valid_speaker(_drop_leading(words))


def _after_adverbial(words: list[str]) -> list[str]:
    """Words after the last preposition's object: "In Moscow the minister" -> "the minister"."""
    for k in range(len(words) - 1, -1, -1):
        if _is_preposition(words, k):
            words = words[k + 1 :]
            break
    # What is left may still open with the adverbial's noun: "an interview Lavrov".
    for k in range(1, len(words)):
        if words[k].casefold() in _DETERMINERS or _starts_name(words[k - 1], words[k]):
            return words[k:]
    return words


def _starts_name(previous: str, word: str) -> bool:
    return (
        word[0].isupper()
        and previous.islower()
        and previous not in _DETERMINERS
        and previous not in ("of", "for")
    )


def _is_abbreviation_dot(text: str, i: int) -> bool:
    token = text[text.rfind(" ", 0, i) + 1 : i + 1]
    return bool(_ABBREVIATION.fullmatch(token))


def _subject_before(text: str) -> str | None:
    """The subject of a verb that starts right after `text`, within its clause."""
    cut = 0
    for match in _BOUNDARY_RE.finditer(text):
        if match.group() != "." or not _is_abbreviation_dot(text, match.start()):
            cut = match.end()
    # A subject has at most 8 words plus a time phrase; the cap keeps "said" x 10^5 linear.
    words = text[cut:].split()[-16:]
    while words and words[-1].casefold() in _ADVERBS:
        words.pop()
    return _speaker_before_verb(words)


def _line_bounds(body: str, start: int, end: int) -> tuple[int, int]:
    """The window of at most _WINDOW characters before `start` and after `end`, in-line."""
    lo = max(0, start - _WINDOW)
    lo = max(lo, body.rfind("\n", lo, start) + 1)
    hi = body.find("\n", end, end + _WINDOW)
    return lo, (hi if hi >= 0 else min(len(body), end + _WINDOW))


def _said_clause_follows(body: str, span: _Span, hi: int) -> bool:
    """Whether text after the quote may be its said-clause, not a new sentence."""
    a, b = span.parts[-1]
    if body[max(a, b - 8) : b].rstrip()[-1:] in _CLAUSE_END:
        return True
    # After a full stop only a lower-case word or a comma can continue the sentence.
    first = _NON_SPACE.search(body, span.end, hi)
    return first is not None and (first.group() in ",—–-" or first.group().islower())


def _speaker_after(body: str, span: _Span, hi: int) -> str | None:
    match = _AFTER_RE.match(body, span.end, hi)
    if match is None or not _said_clause_follows(body, span, hi):
        return None
    if match.group("named") is not None:
        return _speaker_after_verb(match.group("named"))
    if match.group("source") is not None:
        return _speaker_after_verb(match.group("source"))
    return _speaker_before_verb(match.group("subject").split())


def _previous_paragraph_tail(body: str, newline: int) -> str:
    """`Lavrov said:` ending the paragraph before a quote that opens its own paragraph."""
    tail = body[max(0, newline - _WINDOW) : newline].rstrip()
    tail = tail[tail.rfind("\n") + 1 :]
    return tail + " " if tail.endswith(":") else ""


def _speaker_before(body: str, span: _Span, lo: int, floor: int) -> str | None:
    text = body[max(lo, floor) : span.start]
    if not text.strip() and lo >= floor and lo > 0 and body[lo - 1] == "\n":
        text = _previous_paragraph_tail(body, lo - 1)
    if not text.strip():
        return None
    match = _BEFORE_COLON.match(text) or _BEFORE_THAT.match(text)
    if match is not None:
        return _subject_before(text[: match.start("verb")])
    match = _BEFORE_ACCORDING.search(text)
    return _speaker_after_verb(match.group("source")) if match else None


def _attribute(body: str, span: _Span, floor: int) -> str | None:
    """The raw speaker (maybe a pronoun) from the said-clause after, else before, the quote."""
    lo, hi = _line_bounds(body, span.start, span.end)
    return _speaker_after(body, span, hi) or _speaker_before(body, span, lo, floor)


def _is_institution(name: str) -> bool:
    last = _APOSTROPHES.sub("", name.rsplit(" ", 1)[-1].casefold())
    return last in _INSTITUTIONS or last.removesuffix("s") in _INSTITUTIONS


class _Resolver:
    """The most recent named speaker before a position, for pronouns.

    Reported speech ("Lavrov said on Monday") is read lazily, backwards from the pronoun,
    and each verb at most once, so a text full of "said" stays linear.
    """

    def __init__(self, body: str, spans: list[_Span]) -> None:
        self.body = body
        self.spans = spans
        self.starts = [s.start for s in spans]
        self.hits: list[int] | None = None
        self.done = 0
        self.person: tuple[int, str] | None = None
        self.anyone: tuple[int, str] | None = None

    def note(self, pos: int, name: str) -> None:
        if self.anyone is None or pos >= self.anyone[0]:
            self.anyone = (pos, name)
        if not _is_institution(name) and (self.person is None or pos >= self.person[0]):
            self.person = (pos, name)

    def resolve(self, pronoun: str, pos: int) -> str | None:
        self._read_reported(pos)
        # "he" and "she" are people; "it" and "they" may be a ministry or a statement.
        best = self.person if pronoun in ("he", "she") else self.anyone
        return best[1] if best else None

    def _read_reported(self, pos: int) -> None:
        if self.hits is None:
            self.hits = [m.start() for m in _REPORT_RE.finditer(self.body)]
        stop = bisect_left(self.hits, pos)
        for k in range(stop - 1, self.done - 1, -1):
            if self._dominated(self.hits[k]):
                break  # nothing earlier can be more recent than what is known
            name = self._reported_subject(self.hits[k])
            if name is not None:
                self.note(self.hits[k], name)
        self.done = max(self.done, stop)

    def _dominated(self, pos: int) -> bool:
        return (
            self.person is not None
            and self.anyone is not None
            and min(self.person[0], self.anyone[0]) > pos
        )

    def _reported_subject(self, pos: int) -> str | None:
        k = bisect_right(self.starts, pos) - 1
        if k >= 0 and self.spans[k].end > pos:
            return None  # a verb inside a quotation is not reported speech
        lo, _ = _line_bounds(self.body, pos, pos)
        name = _subject_before(self.body[lo:pos])
        return None if name is None or name in _PRONOUNS else name


# ---------------------------------------------------------------- extraction


def _same_paragraph(body: str, end: int, start: int) -> bool:
    return body.find("\n", end, start) < 0


def extract_quotes(body: str, *, min_words: int = 4) -> list[Quote]:
    """Direct quotations of at least `min_words` words in `body`, in order of start."""
    spans = _Scanner(body).run()
    resolver = _Resolver(body, spans)
    quotes: list[Quote] = []
    for index, span in enumerate(spans):
        text = _quote_text(body, span)
        normalized = normalize_quote(text)
        words = normalized.count(" ") + 1 if normalized else 0
        if words < max(min_words, 1):
            continue
        floor = spans[index - 1].end if index else 0
        speaker = _attribute(body, span, floor)
        if speaker is None:
            previous = quotes[-1] if quotes else None
            if previous is not None and _same_paragraph(body, previous.end, span.start):
                speaker = previous.speaker
        elif speaker in _PRONOUNS:
            speaker = resolver.resolve(speaker, span.start)
        else:
            resolver.note(span.start, speaker)
        quotes.append(Quote(text, speaker, span.start, span.end, _hash_normalized(normalized)))
    return quotes
