"""Language of a text with langdetect, seeded so every run and process gives the same answer.

langdetect spends most of its time in per-character Python loops (normalizing each
character, sliding the n-gram window) and in per-language Python loops (updating 55
probabilities per sampled n-gram). `FastDetector` keeps langdetect's profiles, its random
walk and its floating-point arithmetic, and replaces those loops with equivalent
whole-string operations (str.translate, regular expressions, a per-word n-gram cache) and
NumPy vectors (same element-wise IEEE operations, same left-to-right sums). It draws the
same random numbers in the same order, so every answer and probability is bit-for-bit
langdetect's; tests/test_language.py compares the two on thousands of texts.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache, lru_cache

import numpy as np
from langdetect.detector import Detector
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.lang_detect_exception import LangDetectException
from langdetect.utils.ngram import NGram


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    language: str | None  # ISO 639-1 as langdetect spells it ('en', 'ru', 'zh-cn')
    probability: float | None


UNKNOWN = LanguageGuess(None, None)

_DOUBLE_SPACES = re.compile(" {2,}")
_LATIN = re.compile("[A-z]")  # langdetect's test: 'A' <= ch <= 'z'
# langdetect means to skip Latin Extended Additional here, but compares its block number
# with a block *name*, so every character from U+0300 up counts: replicate that.
_NON_LATIN = re.compile("[\u0300-\U0010ffff]")
_LETTERS = re.compile(r"[^\W\d_]")  # what str.isalpha() accepts, near enough
WORD_CACHE_SIZE = 30_000  # distinct words whose n-grams are remembered, per process (~10 MB)


class _NormalizedChars(dict[int, str]):
    """str.translate table applying NGram.normalize, filled in as characters show up."""

    def __missing__(self, codepoint: int) -> str:
        normalized = NGram.normalize(chr(codepoint))
        self[codepoint] = normalized
        return normalized


class _Profiles:
    """langdetect's n-gram profiles as a row index and a (n-grams × languages) matrix."""

    seed: int | None = None  # Detector.__init__ reads factory.seed; each detector sets its own

    def __init__(self, directory: str = PROFILES_DIRECTORY) -> None:
        self.langlist, self.word_lang_prob_map, self.matrix = _read_profiles(directory)
        self.normalized = _NormalizedChars()
        self.word_ngrams = lru_cache(maxsize=WORD_CACHE_SIZE)(self._word_ngrams)

    def _word_ngrams(self, word: str, space_follows: bool) -> tuple[int, ...]:
        """Rows of the n-grams langdetect's NGram window yields for one space-free word.

        The window restarts at every space, so a word's n-grams depend only on the word
        and on whether a space follows it (that adds its trailing ' '-grams).
        """
        rows: list[int] = []
        grams, capital_word = " ", False
        for ch in word + (" " if space_follows else ""):
            last = grams[-1]
            if last == " ":
                grams, capital_word = " ", False
                if ch == " ":
                    continue
            elif len(grams) >= NGram.N_GRAM:
                grams = grams[1:]
            grams += ch
            capital_word = ch.isupper() and (capital_word or last.isupper())
            if capital_word:
                continue
            for n in range(1, min(len(grams), NGram.N_GRAM) + 1):
                gram = grams[-n:]
                if gram != " " and gram in self.word_lang_prob_map:
                    rows.append(self.word_lang_prob_map[gram])
        return tuple(rows)


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
        text = self.URL_RE.sub(" ", text)
        text = self.MAIL_RE.sub(" ", text)
        text = NGram.normalize_vi(text)
        self.text += _DOUBLE_SPACES.sub(" ", text[: self.max_text_length])

    def cleaning_text(self) -> None:
        without_latin, latin = _LATIN.subn("", self.text)
        if latin * 2 < _NON_LATIN.subn("", self.text)[1]:
            self.text = without_latin

    def _extract_ngrams(self) -> list[int]:
        words = self.text.translate(self._profiles.normalized).split(" ")
        rows: list[int] = []
        for word in words[:-1]:
            if word:
                rows += self._profiles.word_ngrams(word, True)
        if words[-1]:
            rows += self._profiles.word_ngrams(words[-1], False)
        return rows

    def _init_probability(self) -> np.ndarray:
        return np.full(len(self.langlist), 1.0 / len(self.langlist))

    def _update_lang_prob(self, prob: np.ndarray, word: int, alpha: float) -> bool:
        prob *= alpha / self.BASE_FREQ + self._profiles.matrix[word]
        return True

    def _normalize_prob(self, prob: np.ndarray) -> float:
        prob /= np.cumsum(prob)[-1]  # cumsum adds left to right, like langdetect's sum()
        return float(prob.max())


@cache
def _profiles() -> _Profiles:
    """Load langdetect's 55 profiles once per process (about a second)."""
    return _Profiles()


def detect_language(text: str, *, seed: int = 0, min_letters: int = 20) -> LanguageGuess:
    """The most probable language, or UNKNOWN for short, letterless or unclassifiable text."""
    if len(_LETTERS.findall(text, 0, 1000)) < min_letters:
        return UNKNOWN
    detector = FastDetector(_profiles(), seed)
    detector.append(text)
    try:
        best = detector.get_probabilities()[0]
    except (LangDetectException, IndexError):
        return UNKNOWN
    return LanguageGuess(best.lang, round(float(best.prob), 4))
