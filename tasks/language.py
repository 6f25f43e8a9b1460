"""Language of a text with langdetect, seeded so every run and process gives the same answer."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.lang_detect_exception import LangDetectException


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    language: str | None  # ISO 639-1 as langdetect spells it ('en', 'ru', 'zh-cn')
    probability: float | None


UNKNOWN = LanguageGuess(None, None)


@cache
def _factory(seed: int) -> DetectorFactory:
    """Load langdetect's 55 profiles once per process (about a second) for this seed.

    langdetect keeps its own module-level factory; a private instance keeps our seed from
    leaking into, or being changed by, other users of the library in the same process.
    """
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.seed = seed
    return factory


def detect_language(text: str, *, seed: int = 0, min_letters: int = 20) -> LanguageGuess:
    """The most probable language, or UNKNOWN for short, letterless or unclassifiable text."""
    if sum(ch.isalpha() for ch in text[:1000]) < min_letters:
        return UNKNOWN
    detector = _factory(seed).create()
    detector.append(text)
    try:
        best = detector.get_probabilities()[0]
    except (LangDetectException, IndexError):
        return UNKNOWN
    return LanguageGuess(best.lang, round(best.prob, 4))
