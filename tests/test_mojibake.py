"""The decode step's shortcuts give ftfy's and the plain substitutions' answers exactly.

`tasks.mojibake.is_bad` searches ftfy's mojibake pattern only around its anchor
characters, `tasks.decode._repair_mojibake` skips ftfy where ftfy would fix no encoding,
and `tasks.decode.normalize_text` skips substitutions that have nothing to replace. Each
is compared here with the plain computation it replaces, on texts made of the characters
those shortcuts reason about: mojibake characters, their neighbours, line breaks,
controls, spaces of every kind, combining marks, surrogates.
"""

from __future__ import annotations

import re
import unicodedata

import ftfy
import pytest
from ftfy import badness
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from wirehouse.tasks import decode, mojibake

BASE = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

_MOJIBAKE_CHARS = "".join(
    sorted(
        {
            chr(code)
            for code in range(0x80, 0x2600)
            if badness.BADNESS_RE.search(chr(code))
            or any(badness.BADNESS_RE.search(chr(code) + other) for other in "\u20ac\u00a0 a")
        }
    )
)
_ALPHABET = (
    _MOJIBAKE_CHARS
    + "ÂÃÎÐØÙàâéèüöäßœŒвЂГўВСРΒΓΞΟ€™“”‘’«»–—…×²³°µ"
    + "abcxyzABC .,?!'\"-0123456789"
    + "\n\r\t\x0b\x0c\x85\u2028\u2029\x00\x1b\x7f\u200b\ufeff\u00a0\u2009\u3000\u206a"
    + "\u0301\u0308\u0327"  # combining marks: NFC composes them
    + "\ud83d\ude00\udca9"  # surrogates, paired or not
)
texts = st.text(alphabet=_ALPHABET, max_size=60)

_SAMPLES = [
    "The Mona Lisa doesnÃ¢â‚¬â„¢t have eyebrows.",
    "voilÃ le travail",
    "Ã‰tÃ© 2021 â€” premiÃ¨re",
    "Р’ РњРѕСЃРєРІРµ РїСЂРѕС€Р»Рё РїРµСЂРµРіРѕРІРѕСЂС‹",
    "вЂњquotedвЂќ",
    "ГўВЂВњhello",
    "Ð¿Ñ€Ð¸Ð²ÐµÑ‚",
    "Â Â hello",
    "“A quote,” she said — in Zürich, Łódź and Москва.",
    "Президент России Владимир Путин заявил",
    "\u0391\u03b8\u03ae\u03bd\u03b1 \u00ab\u03b5\u03af\u03c0\u03b5\u00bb",
]


def _old_normalize_text(text: str) -> str:
    text = decode._LINE_BREAKS.sub("\n", text)
    text = decode._CONTROL.sub(lambda m: " " if m.group() == "\t" else "", text)
    text = decode._SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return unicodedata.normalize("NFC", decode._BLANK_RUNS.sub("\n\n", text).strip())


def _ftfy_repair(text: str) -> tuple[str, bool]:
    """What _repair_mojibake computed before the shortcut: ftfy on every non-ASCII text."""
    if text.isascii():
        return text, False
    fixed, steps = ftfy.fix_and_explain(text, config=decode._FTFY_CONFIG)
    repaired = any(step.action in decode._ENCODING_STEPS for step in steps or ())
    if repaired and decode._LOSSY_QUOTE in text:
        fixed = decode._restore_lost_quotes(text, fixed)
    return fixed, repaired


def test_the_installed_ftfy_pattern_is_searched_in_windows():
    plan = mojibake._plan()
    assert plan is not None, "ftfy's pattern changed shape: is_bad falls back to ftfy's own"
    assert 4 <= plan.margin + 1 <= 12
    # The anchors leave out the letters ordinary text is made of.
    for letter in "aeéàüöвоеаиαο":
        assert not plan.anchors.fullmatch(letter), letter
    for char in "Ђ€\u0080¤":
        assert plan.anchors.fullmatch(char), char


def test_a_pattern_of_another_shape_is_not_windowed(monkeypatch):
    monkeypatch.setattr(badness, "BADNESS_RE", re.compile(r"(?<=x)é|a"))
    mojibake._plan.cache_clear()
    try:
        assert mojibake._plan() is None
        assert mojibake.is_bad("xé") and not mojibake.is_bad("bé")
    finally:
        monkeypatch.undo()
        mojibake._plan.cache_clear()
    assert mojibake._plan() is not None


@pytest.mark.parametrize("text", _SAMPLES)
def test_is_bad_on_samples(text):
    assert mojibake.is_bad(text) == badness.is_bad(text)


@given(texts)
@settings(BASE, max_examples=3000)
@example("ГўВЂВ\rx")
@example("ÃÂ a")
@example("a Â ”")
def test_is_bad_is_ftfys(text):
    assert mojibake.is_bad(text) == badness.is_bad(text)


@given(st.lists(texts, max_size=8).map(" lorem ipsum dolor sit amet ".join))
@settings(BASE, max_examples=1000)
def test_is_bad_is_ftfys_on_long_texts(text):
    assert mojibake.is_bad(text) == badness.is_bad(text)


@pytest.mark.parametrize("text", _SAMPLES)
def test_repair_on_samples(text):
    assert decode._repair_mojibake(text) == _ftfy_repair(text)


@given(texts)
@settings(BASE, max_examples=3000)
@example("e\u0301\r\n€")
@example("Â\r\n ")
def test_repair_is_ftfys(text):
    assert decode._repair_mojibake(text) == _ftfy_repair(text)


@given(st.text(max_size=80) | texts)
@settings(BASE, max_examples=3000)
@example("a\u00a0 b\t\tc\r\n\r\n\r\n d")
@example("x\u200b\ufeffy  z")
def test_normalize_text_is_the_plain_substitutions(text):
    assert decode.normalize_text(text) == _old_normalize_text(text)


@given(st.binary(max_size=300) | st.text(max_size=100).map(lambda t: t.encode("utf-8")))
@settings(BASE, max_examples=3000)
@example(b"\xed\xa0\x80 \xe2\x82 a \xc0\xaf \xff\xfe \xf4\x90\x80\x80")
def test_utf8_counting_decode_is_the_escaping_handlers(raw):
    escaped = raw.decode("utf-8", errors="wirehouse-escape")
    assert decode._decode_counting(raw, "utf_8") == decode._ESCAPED_BYTE.subn("\ufffd", escaped)
