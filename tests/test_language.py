"""Language detection: right answers, nulls for too little text, same answer everywhere."""

from __future__ import annotations

import functools
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import SEEDS
from hypothesis import given, settings
from hypothesis import strategies as st
from wirehouse.tasks.language import (
    CONFIDENT,
    UNKNOWN,
    FastDetector,
    LanguageGuess,
    LanguageHint,
    _KeyTable,
    _profiles,
    detect_language,
)

TEXTS = {
    "en": "Russia is ready to normalize relations with the United States, the minister said.",
    "ru": "Россия готова нормализовать отношения с Соединёнными Штатами, заявил министр.",
    "de": "Russland ist bereit, die Beziehungen zu den Vereinigten Staaten zu normalisieren.",
    "fr": "La Russie est prête à normaliser ses relations avec les États-Unis, a dit le ministre.",
    "es": "Rusia está dispuesta a normalizar las relaciones con Estados Unidos, dijo el ministro.",
    "zh-cn": "俄罗斯外交部长拉夫罗夫星期五表示，莫斯科准备在平等、相互尊重和利益平衡的基础上与美国"
    "实现关系正常化。他说，减少美国外交人员数量的决定是对华盛顿一系列敌对行为的回应。",
    "ar": "قال وزير الخارجية الروسي إن موسكو مستعدة لتطبيع العلاقات مع الولايات المتحدة.",
}


@pytest.mark.parametrize(("lang", "text"), TEXTS.items())
def test_languages(lang, text):
    guess = detect_language(text, min_letters=10)
    assert guess.language == lang and 0.5 < guess.probability <= 1.0


@pytest.mark.parametrize("text", ["", "   ", "12345 67890 !!!", "Hi there", "…—…"])
def test_too_little_text_gives_null(text):
    assert detect_language(text) == UNKNOWN


def test_same_answer_in_another_process():
    """An ambiguous text: without the seed, langdetect's answer and probability wobble."""
    texts = ["Ja nein vielleicht", "pan dan ban kan", "Tak, to jest dobre. Ano, to je dobré."]
    here = [_as_list(detect_language(t, min_letters=5)) for t in texts]
    code = (
        "import json, sys; from wirehouse.tasks.language import detect_language;"
        "print(json.dumps([[g.language, g.probability] for g in "
        "(detect_language(t, min_letters=5) for t in json.loads(sys.argv[1]))]))"
    )
    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", code, json.dumps(texts)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1] == here


def _as_list(guess):
    return [guess.language, guess.probability]


@functools.cache
def _langdetect_factory(seed: int):
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.seed = seed
    return factory


def _plain_langdetect(text: str, seed: int = 0):
    """langdetect's own detector, as documented: the reference for FastDetector."""
    from langdetect.lang_detect_exception import LangDetectException

    detector = _langdetect_factory(seed).create()
    detector.append(text)
    try:
        return [(lang.lang, lang.prob) for lang in detector.get_probabilities()]
    except LangDetectException:
        return None


def _fast(text: str, seed: int = 0):
    from langdetect.lang_detect_exception import LangDetectException
    from wirehouse.tasks.language import FastDetector, _profiles

    detector = FastDetector(_profiles(), seed)
    detector.append(text)
    try:
        return [(lang.lang, float(lang.prob)) for lang in detector.get_probabilities()]
    except LangDetectException:
        return None


def _tricky_texts() -> list[str]:
    from test_decode import SAMPLES  # the multilingual sentences of the decode tests

    texts = [seed.read_text() for seed in sorted(SEEDS.iterdir())]
    texts += list(SAMPLES.values()) + list(TEXTS.values())
    texts += [
        "ALL CAPS HEADLINE WITH SOME Words AND NATO, EU, USA",
        "Visit https://example.com/a?b=c or mail me@example.org now",
        "Tiếng Việt có dấu: Hà Nội, Sài Gòn, phở bò",  # Vietnamese normalization
        "Română: ţară, şcoală, țară, școală",  # comma/cedilla variants
        "ひらがな カタカナ 漢字 한국어 ㄅㄆㄇ",
        "a  b   c    double  spaces\nnew\tline",
        "x" * 12000,  # longer than langdetect's 10,000-character limit
        "12345 !!! ...",
        "",
    ]
    return texts


def test_fast_detector_matches_langdetect_bit_for_bit():
    texts = _tricky_texts()
    for seed in (0, 7):
        for text in texts:
            assert _fast(text, seed) == _plain_langdetect(text, seed), (seed, text[:60])


def test_fast_detector_matches_on_generated_text():
    import random

    rng = random.Random(3)
    words = " ".join(_tricky_texts()).split()
    for _ in range(300):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 60)))
        assert _fast(text) == _plain_langdetect(text), text[:80]


@pytest.mark.parametrize(("opening", "prefix"), [(128, 32), (512, 16)])
def test_fast_detector_matches_past_a_short_opening(monkeypatch, opening, prefix):
    """Walks that run past the seed's opening (drawn from the generator) and past the
    prefix first searched: with a short opening, every text goes there."""
    import random

    from wirehouse.tasks import language

    monkeypatch.setattr(language, "OPENING", opening)
    monkeypatch.setattr(language, "_OPENING_PREFIX", prefix)
    for cached in (language._opening, language._shifted_opening):
        cached.cache_clear()
        monkeypatch.setattr(language, cached.__name__, functools.cache(cached.__wrapped__))
    rng = random.Random(opening)
    words = " ".join(_tricky_texts()).split()
    for _ in range(60):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 60)))
        assert _fast(text) == _plain_langdetect(text), text[:80]


@pytest.mark.parametrize("first", [1, 3, 7])
def test_fast_detector_matches_when_walks_outrun_their_first_draws(monkeypatch, first):
    """The compiled walk stops for more draws when a trial outruns the ones drawn ahead
    (FIRST_DRAWS); with a few drawn ahead, every trial does, at every block boundary."""
    import random

    from wirehouse.tasks import language

    monkeypatch.setattr(language, "FIRST_DRAWS", first)
    rng = random.Random(first)
    words = " ".join(_tricky_texts()).split()
    texts = [seed.read_text() for seed in sorted(SEEDS.iterdir())]
    texts += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 60))) for _ in range(40)]
    for text in texts:
        assert _fast(text) == _plain_langdetect(text), text[:80]


def test_ngram_rows_are_langdetects_ngrams_in_order():
    """The vectorized n-gram window against langdetect's character loop, n-gram by n-gram
    (the probability tests only see the few n-grams the random walk draws)."""
    from wirehouse.tasks.language import FastDetector, _profiles

    profiles = _profiles()
    extra = [
        "Ab  CD e\u00a0f",
        " x",
        "ABC abc ABc aBC",
        "Путин (Putin) и NATO: заявление",
        "Президент России (Vladimir) заявил",
    ]
    for text in _tricky_texts() + extra:
        plain = _langdetect_factory(0).create()
        plain.append(text)
        plain.cleaning_text()
        fast = FastDetector(profiles, 0)
        fast.append(text)
        fast.cleaning_text()
        expected = [profiles.word_lang_prob_map[gram] for gram in plain._extract_ngrams()]
        assert fast._extract_ngrams() == expected, text[:60]


# --------------------------------------------------------------------------- hints

UNSURE = "ki u usvojen da sprejet da za usvojen vlada"  # Croatian and Slovene words mixed


def candidates(text: str) -> list[tuple[str, float]]:
    detector = FastDetector(_profiles(), 0)
    detector.append(text)
    return [(c.lang, c.prob) for c in detector.get_probabilities()]


def test_an_outlet_hint_breaks_a_tie_among_langdetects_own_candidates():
    (first, p1), (second, p2), *_ = candidates(UNSURE)
    assert p1 < CONFIDENT and {first, second} == {"hr", "sl"}  # the premise
    plain = detect_language(UNSURE)
    assert (plain.language, plain.evidence) == (first, "text")
    hinted = detect_language(UNSURE, hint=LanguageHint((second, "en"), "outlet:sta"))
    assert hinted == LanguageGuess(second, round(p2, 4), "text+outlet:sta")
    # A hint naming a language langdetect does not propose changes nothing.
    assert detect_language(UNSURE, hint=LanguageHint(("de",), "outlet:dpa")) == plain


def test_a_hint_never_overrules_a_confident_detection():
    text = "Le président a dit que la situation est grave et que le gouvernement agira."
    (_, probability), *_ = candidates(text)
    assert probability >= CONFIDENT
    assert detect_language(text, hint=LanguageHint(("ru",), "outlet:tass")) == detect_language(text)


def test_a_short_text_gets_a_language_only_with_a_hint_it_supports():
    short = "Москва заявила"  # 13 letters: below the 20-letter minimum
    assert detect_language(short) == UNKNOWN
    tass = LanguageHint(("ru", "en"), "outlet:tass")
    assert detect_language(short, hint=tass).language == "ru"
    assert detect_language(short, hint=tass).evidence == "text+outlet:tass"
    assert detect_language(short, hint=LanguageHint(("ja",), "outlet:kyodo")) == UNKNOWN
    assert detect_language("12 345", hint=tass) == UNKNOWN  # no letters, no language


@given(
    st.lists(st.integers(0, (1 << 63) - 1), unique=True, max_size=300),
    st.lists(st.integers(0, (1 << 63) - 1), max_size=100),
)
@settings(max_examples=200, deadline=None)
def test_key_table_finds_each_key_and_only_those(keys, others):
    """The hash table answers as a dict would (small tables: clusters of probes)."""
    rows = list(range(len(keys)))
    table = _KeyTable(np.array(keys, dtype=np.uint64), np.array(rows, dtype=np.intp))
    wanted = dict(zip(keys, rows, strict=True))
    asked = keys + others
    assert table.rows_of(np.array(asked, dtype=np.uint64)).tolist() == [
        wanted.get(k, -1) for k in asked
    ]


def test_key_table_probes_past_keys_of_one_home():
    """Eight keys with the same home slot: the last is found eight probes on, and a key
    missing from that home's run is reported missing, not another key's row."""
    sizing = _KeyTable(np.arange(8, dtype=np.uint64), np.arange(8))
    candidates = np.arange(200_000, dtype=np.uint64)
    homes = sizing._homes(candidates)
    same = candidates[homes == homes[1]]
    keys, missing = same[:8], same[8:12]
    table = _KeyTable(keys, np.arange(8))
    assert table.probes == 8
    assert table.rows_of(keys).tolist() == list(range(8))
    assert table.rows_of(missing).tolist() == [-1] * len(missing)
