"""Language of a text with langdetect, seeded so every run and process gives the same answer.

langdetect spends most of its time in per-character Python loops (normalizing each
character, sliding the n-gram window) and in per-language Python loops (updating 55
probabilities per sampled n-gram). `FastDetector` keeps langdetect's profiles, its random
walk and its floating-point arithmetic, and replaces those loops with equivalent
whole-text operations (code-point arrays, regular expressions) and three loops compiled by
numba (tasks/compiled.py): the n-gram window's integer keys, their lookup in a hash table
of the profiles' keys, and the walk (same element-wise IEEE operations, same left-to-right
sums, no fast-math). It draws the same random numbers in the same order, so every answer
and probability is bit-for-bit langdetect's;
tests/test_language.py compares the two on thousands of texts.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import re
import sys
from dataclasses import dataclass
from functools import cache

import numpy as np
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.lang_detect_exception import ErrorCode, LangDetectException
from langdetect.utils.ngram import NGram
from wirehouse.tasks.compiled import compiled
from wirehouse.tasks.defaults import LANGUAGE_MIN_LETTERS, LANGUAGE_SEED

from wirehouse.codepoints import CodePointTable, code_points


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    language: str | None  # ISO 639-1 as langdetect spells it ('en', 'ru', 'zh-cn')
    probability: float | None  # langdetect's probability for `language`
    evidence: str | None = None  # 'text', or 'text+<hint>' when a hint broke a tie


UNKNOWN = LanguageGuess(None, None)

# A detection at least this probable is never overruled by a hint. langdetect gives
# 0.99+ for nearly every real article; below this its answer is one of several.
CONFIDENT = 0.9


@dataclass(frozen=True, slots=True)
class LanguageHint:
    """What a container or an outlet says about the language: e.g. TASS writes ru or en."""

    languages: tuple[str, ...]
    evidence: str  # 'outlet:tass', 'field:language', …


_DOUBLE_SPACES = re.compile(" {2,}")
_LATIN = re.compile("[A-z]")  # langdetect's test: 'A' <= ch <= 'z'
# langdetect means to skip Latin Extended Additional here, but compares its block number
# with a block *name*, so every character from U+0300 up counts: replicate that.
_FIRST_NON_LATIN = 0x300
_LETTERS = re.compile(r"[^\W\d_]")  # what str.isalpha() accepts, near enough


class _Profiles:
    """langdetect's profiles: a hash table of n-gram keys, a (n-grams × languages) matrix."""

    seed: int | None = None  # Detector.__init__ reads factory.seed; each detector sets its own

    def __init__(self, directory: str = PROFILES_DIRECTORY) -> None:
        self.langlist, self.word_lang_prob_map, self.matrix = _read_profiles(directory)
        # NGram.normalize of each code point (one character for one).
        self.normalized = CodePointTable(lambda code: ord(NGram.normalize(chr(code))))
        grams = [gram for gram in self.word_lang_prob_map if 1 <= len(gram) <= NGram.N_GRAM]
        keys = np.array([_gram_key(gram) for gram in grams], dtype=np.uint64)
        self.table = _KeyTable(keys, np.array([self.word_lang_prob_map[g] for g in grams]))
        # str.isupper of every code point, looked up by array indexing (1.1 MB).
        self.upper = np.array([chr(c).isupper() for c in range(sys.maxunicode + 1)])

    def normalize(self, text: str) -> np.ndarray:
        """The code points of `text` with NGram.normalize applied to each."""
        return self.normalized[code_points(text)].astype(np.uint64)  # room for 3 per key

    def ngram_array(self, codes: np.ndarray) -> np.ndarray:
        """Rows of the n-grams langdetect's NGram window yields for a normalized text (its
        code points, as `normalize` gives them).

        The window holds up to 3 characters and starts again from a space after each
        space. So at each character it yields the 1-, 2- and 3-grams ending there, except
        a space as a 1-gram and a 3-gram with a space in the middle, and nothing at all
        for a space after a space or for a capital after a capital. Each n-gram becomes
        one integer (21 bits per code point); the ones the window yields are looked up
        among the profiles' keys (`_KeyTable`), by character, then 1-, 2- and 3-gram.
        """
        found = self.table.rows_of(compiled(_window_keys)(codes, self.upper))
        return found[found >= 0]


def _window_keys(codes: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """The keys of the n-grams langdetect's window yields over normalized code points, in
    its order (`_Profiles.ngram_array`); `upper`: whether each code point is upper case.
    Compiled (tasks/compiled.py): one pass instead of a dozen whole-array operations."""
    keys = np.empty(3 * codes.shape[0], dtype=np.uint64)
    count = 0
    space, bits = _SPACE, _BITS
    earlier = before = space  # the window starts as a space
    for i in range(codes.shape[0]):
        here = codes[i]
        if not ((upper[here] and upper[before]) or (here == space and before == space)):
            if here != space:
                keys[count] = here
                count += 1
            keys[count] = (before << bits) | here
            count += 1
            if before != space:
                keys[count] = (((earlier << bits) | before) << bits) | here
                count += 1
        earlier, before = before, here
    return keys[:count]


_KEY_BITS = 21  # per code point in an n-gram key (`_gram_key`)
_BITS = np.uint64(_KEY_BITS)
_EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)  # no n-gram key: 3 code points take 63 bits
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing's multiplier, 2^64 / phi


class _KeyTable:
    """The profiles' n-gram keys in an open-addressing hash table (linear probing), so
    a text's n-grams are looked up in one compiled loop (`_lookup`).

    Hand-written because no library offers a vectorized integer hash map for NumPy
    arrays: sorting a text's keys to search them among the sorted profile keys (what
    this replaces) was a third of the language step. A key's home slot is its Fibonacci
    hash (the top bits of key x 2^64/phi); a key is stored at the first free slot from
    its home on, so a lookup probes from the home until it finds the key (its row) or a
    free slot (-1). Under a quarter of the slots are used, so most lookups end on the first
    probe and none takes more than `probes`.
    """

    def __init__(self, keys: np.ndarray, rows: np.ndarray, spread: int = 4) -> None:
        bits = max(4, (spread * len(keys)).bit_length())
        self.mask = (1 << bits) - 1
        self.shift = np.uint64(64 - bits)
        stored: list[int | None] = [None] * (self.mask + 1)
        slot_rows = [-1] * (self.mask + 1)
        self.probes = 1
        homes = self._homes(keys).tolist()
        for key, row, home in zip(keys.tolist(), rows.tolist(), homes, strict=True):
            slot, probes = home, 1
            while stored[slot] is not None:
                slot, probes = (slot + 1) & self.mask, probes + 1
            stored[slot], slot_rows[slot] = key, row
            self.probes = max(self.probes, probes)
        self.keys = np.array([_EMPTY if k is None else k for k in stored], dtype=np.uint64)
        self.rows = np.array(slot_rows, dtype=np.intp)

    def _homes(self, keys: np.ndarray) -> np.ndarray:
        return ((keys * _GOLDEN) >> self.shift).astype(np.intp)

    def rows_of(self, keys: np.ndarray) -> np.ndarray:
        """The profile row of each key, or -1 for n-grams no profile has."""
        return compiled(_lookup)(keys, self.keys, self.rows, self.mask, self.shift, self.probes)


def _lookup(
    keys: np.ndarray,
    table_keys: np.ndarray,
    table_rows: np.ndarray,
    mask: int,
    shift: np.uint64,
    probes: int,
) -> np.ndarray:
    """`_KeyTable.rows_of`, compiled (tasks/compiled.py): per key, the slots from its home
    on until the key (its row), a free slot or `probes` slots (-1). One loop instead of
    a few whole-array probes: 31-40 against 138-173 µs per bench text."""
    found = np.full(keys.shape[0], -1, dtype=np.intp)
    for i in range(keys.shape[0]):
        key = keys[i]
        slot = np.intp((key * _GOLDEN) >> shift)
        for _ in range(probes):
            stored = table_keys[slot]
            if stored == key:
                found[i] = table_rows[slot]
                break
            if stored == _EMPTY:
                break
            slot = (slot + 1) & mask
    return found


SPACE = ord(" ")
_SPACE = np.uint64(SPACE)


def _gram_key(gram: str) -> int:
    """An n-gram of up to 3 characters as one integer, as `_Profiles.ngram_array` builds it."""
    key = 0
    for char in gram:
        key = (key << _KEY_BITS) | ord(char)
    return key


def _read_profiles(directory: str) -> tuple[list[str], dict[str, int], np.ndarray]:
    """What DetectorFactory.load_profile builds, straight into a matrix.

    Same files in the same order, same rows, same divisions, so the same floats; but
    without the factory's 87,598 Python lists of 55 floats, whose ~60 MB the allocator
    keeps in every worker process after they are freed.
    """
    listing = os.listdir(directory)
    langlist: list[str] = []
    rows: dict[str, int] = {}
    cells: tuple[list[int], list[int], list[float]] = ([], [], [])
    for name in listing:
        path = os.path.join(directory, name)
        if name.startswith(".") or not os.path.isfile(path):
            continue
        with open(path, encoding="utf-8") as handle:
            profile = json.load(handle)
        column = len(langlist)
        langlist.append(profile["name"])
        n_words = profile["n_words"]
        for ngram, count in profile["freq"].items():
            row = rows.setdefault(ngram, len(rows))
            if 1 <= len(ngram) <= 3:
                cells[0].append(row)
                cells[1].append(column)
                cells[2].append(1.0 * count / n_words[len(ngram) - 1])
    matrix = np.zeros((len(rows), len(listing)), dtype=np.float64)
    matrix[cells[0], cells[1]] = cells[2]
    return langlist, rows, matrix


class FastDetector(Detector):
    """langdetect's Detector, same answers, without its per-character Python loops."""

    def __init__(self, profiles: _Profiles, seed: int) -> None:
        super().__init__(profiles)
        self.seed = seed
        self._profiles = profiles

    def append(self, text: str) -> None:
        """Detector.append; each substitution skipped where the text lacks what every
        match holds ("http", "@", a Vietnamese tone mark, two spaces)."""
        if "http" in text:
            text = self.URL_RE.sub(" ", text)
        if "@" in text:
            text = self.MAIL_RE.sub(" ", text)
        if any(mark in text for mark in NGram.DMARK_CLASS):
            text = NGram.normalize_vi(text)
        text = text[: self.max_text_length]
        self.text += _DOUBLE_SPACES.sub(" ", text) if "  " in text else text

    def cleaning_text(self) -> None:
        codes = code_points(self.text)
        latin = np.count_nonzero((codes >= ord("A")) & (codes <= ord("z")))
        if latin * 2 < np.count_nonzero(codes >= _FIRST_NON_LATIN):
            self.text = _LATIN.sub("", self.text)

    def _extract_ngrams(self) -> list[int]:
        return self._ngram_array().tolist()

    def _ngram_array(self) -> np.ndarray:
        if not self.text:
            return np.empty(0, dtype=np.intp)
        return self._profiles.ngram_array(self._profiles.normalize(self.text))

    def _init_probability(self) -> np.ndarray:
        return np.full(len(self.langlist), 1.0 / len(self.langlist))

    def _detect_block(self) -> None:
        """langdetect's random walk, compiled (`_walk`).

        Each trial multiplies the probabilities by one drawn n-gram's row (plus the
        trial's weight) per step and normalizes them every fifth step, stopping once one
        language passes CONV_THRESHOLD. The n-grams are drawn ahead (`_Draws`: the numbers
        `random.Random(seed)` gives) and only the draws the walk used are consumed. So
        the walk, its stopping step and every float are langdetect's."""
        self.cleaning_text()
        rows = self._ngram_array()
        if not len(rows):
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        matrix = self._profiles.matrix
        walk = compiled(_walk)
        draws = _Draws(self.seed)
        total = np.zeros(len(self.langlist))
        for _ in range(self.n_trial):
            prob = self._init_probability()
            weight = (self.alpha + draws.gauss() * self.ALPHA_WIDTH) / self.BASE_FREQ
            chosen, ends = draws.peek_below(len(rows), FIRST_DRAWS)
            grams = rows[chosen]
            used, last, steps = 0, 0, 1  # last: the step a block ends on (0, 5, 10, …)
            while True:
                used, last, steps, done = walk(
                    matrix, grams, weight, prob, used, last, steps,
                    self.ITERATION_LIMIT, self.CONV_THRESHOLD,
                )  # fmt: skip
                if done:
                    break
                # A long walk: draw up to the limit.
                more, more_ends = draws.peek_below(
                    len(rows), self.ITERATION_LIMIT + 1 - len(grams), int(ends[-1])
                )
                grams = np.concatenate((grams, rows[more]))
                ends = np.concatenate((ends, more_ends))
            draws.at += int(ends[used - 1])
            total += prob / self.n_trial
        self.langprob = list(total)


def _walk(
    matrix: np.ndarray,
    grams: np.ndarray,
    weight: float,
    prob: np.ndarray,
    used: int,
    last: int,
    steps: int,
    limit: int,
    threshold: float,
) -> tuple[int, int, int, bool]:
    """One trial of langdetect's walk from where it stands (`used` draws taken, blocks
    of `steps`), over the drawn n-gram rows `grams`, `prob` updated in place: per step
    prob[j] *= weight + matrix[gram, j], and after each block the division by the
    left-to-right sum, in langdetect's order. Returns the walk's state and whether it
    ended (converged, or at `limit`); False: it needs more draws than `grams` holds.

    Compiled by numba (tasks/compiled.py): the walk is a few hundred dependent steps of
    55 multiplications, which cost a NumPy call each (most of the language step's time);
    compiled without fast-math, every operation is the same IEEE one in the same order.
    """
    n = prob.shape[0]
    while True:
        if used + steps > grams.shape[0]:
            return used, last, steps, False
        for k in range(used, used + steps):
            row = grams[k]
            for j in range(n):
                prob[j] *= weight + matrix[row, j]
        used += steps
        total = 0.0
        top = prob[0]
        for j in range(n):
            total += prob[j]
            if prob[j] > top:
                top = prob[j]
        top = top / total
        for j in range(n):
            prob[j] /= total
        if top > threshold or last >= limit:
            return used, last, steps, True
        last += 5
        steps = 5


FIRST_DRAWS = 96  # n-grams drawn ahead for a trial (a walk takes ~40 steps on news text)
OPENING = 1 << 14  # outputs of the seed kept: 7 walks of ~40 steps take ~600
_OPENING_PREFIX = 1 << 10  # how much of it a detection's choices are first found in


class _Draws:
    """What `random.Random(seed)` gives `choice` and `gauss`, drawn in blocks from NumPy's
    MT19937 started in the same state (both are the reference Mersenne Twister: the same
    32-bit outputs in the same order).

    `peek_below(n, k)`: the next k results of `choice` over n items (CPython's
    `_randbelow`: the top `n.bit_length()` bits of one output, drawn again while not
    below n); `gauss()`: CPython's Random.gauss (two `random()` per pair of values, the
    second kept for the next call). Hand-written because the walk needs a few thousand
    of these per text and each Python `choice` call costs a microsecond."""

    BLOCK = 4096

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.buffer = _opening(seed)  # shared, never written to
        self.gauss_next: float | None = None  # as Random.seed leaves it
        self.generator: np.random.MT19937 | None = None  # past the opening, if needed
        self.at = 0
        self._below = 0  # the n of `_positions` (0: none yet)
        self._known = 0  # how much of the opening `_positions` covers
        self._choices = self._positions = np.empty(0, dtype=np.intp)

    def _ahead(self, count: int) -> np.ndarray:
        """At least `count` outputs from the next one on, not consumed."""
        if self.at + count > len(self.buffer):
            if self.generator is None:
                self.generator = _generator(self.seed)
                self.generator.random_raw(OPENING)  # where the opening ends
            fresh = self.generator.random_raw(max(self.BLOCK, count))
            self.buffer = np.concatenate((self.buffer[self.at :], fresh))
            self.at = 0
        return self.buffer[self.at :]

    def peek_below(self, n: int, k: int, skip: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """The next k results of `choice` over n items, starting `skip` outputs ahead,
        and after each of them how many outputs it took from the next one on (skip
        included); nothing is consumed (`at` moves when the caller knows how many it
        used)."""
        if self.generator is None:  # still in the opening, where `at` is a position
            found = self._opening_choices(n, self.at + skip, k)
            if found is not None:
                return found
        shift = np.uint64(32 - n.bit_length())
        want = k + 16
        while True:
            values = self._ahead(skip + want)[skip : skip + want] >> shift
            kept = np.flatnonzero(values < n)
            if len(kept) >= k:
                kept = kept[:k]
                return values[kept].astype(np.intp), kept + (skip + 1)
            want *= 2

    def _opening_choices(self, n: int, start: int, k: int) -> tuple[np.ndarray, np.ndarray] | None:
        """`peek_below` inside the opening, where positions are `at`'s: the positions of
        the outputs that are below n once shifted are found once per detection, over a
        prefix of the opening that grows as the walk goes further, and a trial's draws are
        the next k of them from `start`. None when the opening ends first."""
        if self._below != n:
            self._below, self._known = n, 0
            self._choices = _shifted_opening(self.seed, n.bit_length())
        while True:
            if self._known:
                first = int(self._positions.searchsorted(start))
                kept = self._positions[first : first + k]
                if len(kept) == k:
                    return self._choices[kept], kept - (self.at - 1)
                if self._known == OPENING:
                    return None
            self._known = min(OPENING, max(_OPENING_PREFIX, 2 * self._known, 2 * (start + k)))
            self._positions = np.flatnonzero(self._choices[: self._known] < n)

    def random(self) -> float:
        a, b = (int(v) for v in self._ahead(2)[:2])
        self.at += 2
        return ((a >> 5) * 67108864.0 + (b >> 6)) * (1.0 / 9007199254740992.0)

    def gauss(self) -> float:
        z, self.gauss_next = self.gauss_next, None
        if z is None:
            x2pi = self.random() * math.tau
            g2rad = math.sqrt(-2.0 * math.log(1.0 - self.random()))
            z = math.cos(x2pi) * g2rad
            self.gauss_next = math.sin(x2pi) * g2rad
        return 0.0 + z * 1.0


def _generator(seed: int) -> np.random.MT19937:
    """NumPy's MT19937 in the state `random.Random(seed)` starts from."""
    _version, state, _gauss_next = random.Random(seed).getstate()
    generator = np.random.MT19937()
    generator.state = {
        "bit_generator": "MT19937",
        "state": {"key": np.array(state[:-1], dtype=np.uint32), "pos": state[-1]},
    }
    return generator


@cache
def _shifted_opening(seed: int, bits: int) -> np.ndarray:
    """The opening's outputs as `choice` over a number of `bits` bits reads them: their
    top `bits` bits."""
    return (_opening(seed) >> np.uint64(32 - bits)).astype(np.intp)


@cache
def _opening(seed: int) -> np.ndarray:
    """The first OPENING outputs of `random.Random(seed)`: every detection with this seed
    starts with them."""
    return _generator(seed).random_raw(OPENING)


@cache
def _profiles() -> _Profiles:
    """Load langdetect's 55 profiles once per process (about a second)."""
    return _Profiles()


def detect_language(
    text: str,
    *,
    seed: int = LANGUAGE_SEED,
    min_letters: int = LANGUAGE_MIN_LETTERS,
    hint: LanguageHint | None = None,
) -> LanguageGuess:
    """The most probable language, or UNKNOWN for short, letterless or unclassifiable text.

    langdetect decides (seeded: bit-for-bit the same answer everywhere). Only where it is
    unsure (best probability below CONFIDENT) or the text is too short does a `hint`
    count, and only to choose among the languages langdetect itself proposes: the most
    probable of them that the hint names, recorded as `text+<hint>`. A hint never turns
    a confident detection, and never names a language the text gives no sign of.
    """
    # Only whether the first 1,000 characters hold `min_letters` letters, or any, is
    # asked below: counting stops there (counting all of them was a tenth of the step).
    wanted = max(min_letters, 1)
    letters = sum(1 for _ in itertools.islice(_LETTERS.finditer(text, 0, 1000), wanted))
    if letters < min_letters and (hint is None or not letters):
        return UNKNOWN
    detector = FastDetector(_profiles(), seed)
    detector.append(text)
    try:
        candidates = detector.get_probabilities()
    except LangDetectException:
        return UNKNOWN
    if not candidates:
        return UNKNOWN
    best = candidates[0]
    if hint is not None and (letters < min_letters or best.prob < CONFIDENT):
        hinted = next((c for c in candidates if c.lang in hint.languages), None)
        if hinted is not None:
            return LanguageGuess(hinted.lang, round(float(hinted.prob), 4), f"text+{hint.evidence}")
    if letters < min_letters:
        return UNKNOWN
    return LanguageGuess(best.lang, round(float(best.prob), 4), "text")


@cache
def _language_names() -> dict[str, str]:
    """Language names in English and in themselves ("German", "Deutsch") -> langdetect code,
    from CLDR through Babel."""
    from babel import Locale

    names: dict[str, str] = {}
    for code in _profiles().langlist:
        locale = Locale.parse({"zh-cn": "zh_Hans", "zh-tw": "zh_Hant", "no": "nb"}.get(code, code))
        for name in (Locale("en").languages.get(locale.language), locale.get_display_name()):
            if name:
                names.setdefault(name.casefold(), code)
    return names


def language_code(stated: str) -> str | None:
    """langdetect's code for a language as a container states it: "en", "de-DE", "zh_TW",
    "English", "Deutsch"; None when it is none of langdetect's languages."""
    value = stated.strip().replace("_", "-")
    if not value:
        return None
    known = set(_profiles().langlist)
    lowered = value.lower()
    if lowered in known:
        return lowered
    base, _, region = lowered.partition("-")
    if base == "zh":
        return "zh-tw" if region in ("tw", "hk", "mo", "hant") else "zh-cn"
    if base in ("nb", "nn"):
        return "no"
    if base in known:
        return base
    return _language_names().get(value.casefold())
