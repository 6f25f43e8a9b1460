"""ftfy's mojibake test, answered exactly, in a fraction of its time on ordinary text.

ftfy decides whether a text holds mojibake with one regular expression,
`ftfy.badness.BADNESS_RE`: about forty alternatives of two to seven characters each
(`[ВГРС][…][ВГРС]`, `вЂ`, `[a-z]\\s?[ÃÂ][ ]`, …). Python's engine tries every alternative
at every position of the text, so `ftfy.badness.is_bad` costs ~0.4 ms on a 2 KB article,
and for nearly every article the answer is no: it was most of the decode step's time.

`is_bad` here gives the same answer for every text, found where a match can be:

- Each alternative has a position whose character class holds only characters that are
  rare in text written on purpose (the *anchor*: `Ђ` in `вЂ`, the currency signs in
  `[{lower_accented}…][{currency}]`). Of an alternative's positions, the anchor is the one
  whose characters cost least, a letter among some language's most frequent ones
  (charset-normalizer's `FREQUENCIES`) costing 100, any other letter or mark 10, anything
  else 1; ASCII characters are never anchors.
- Every match contains its alternative's anchor character, and is at most `width`
  characters long (the pattern's longest match). So every match lies within `width - 1`
  characters of an anchor character, and the regular expression need only be searched in
  those windows (runs of anchors closer together share one window).
- `Pattern.search(text, pos, endpos)` on a window finds what the whole text holds there:
  the pattern has no lookarounds, and its only anchor (`^`) matches at the text's real
  start only, as it does in the whole text.

All of this is read from ftfy's pattern when first needed (`_plan`), with Python's own
regular-expression parser; if the pattern ever takes a shape the reasoning above does not
cover (flags, lookarounds, an alternative without an anchor, unbounded repeats), `is_bad`
is ftfy's own function. Hand-written because no library answers the question faster:
the check is ftfy's, only where it is run changes.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from re import _constants as sre_constants  # type: ignore[attr-defined]
from re import _parser as sre_parser  # type: ignore[attr-defined]

from charset_normalizer.constant import FREQUENCIES
from ftfy import badness

_COMMON_LETTER_COST = 100
_LETTER_COST = 10
_OTHER_COST = 1
# `^` (no MULTILINE flag is allowed) and `\A`: both match at the text's start only.
_START_OF_TEXT = (sre_constants.AT_BEGINNING, sre_constants.AT_BEGINNING_STRING)


@dataclass(frozen=True, slots=True)
class _Plan:
    anchors: re.Pattern[str]  # runs of anchor characters
    margin: int  # the longest match's length, minus one


def is_bad(text: str) -> bool:
    """`ftfy.badness.is_bad(text)`, searched only around the characters a match needs."""
    plan = _plan()
    if plan is None:
        return badness.is_bad(text)
    search = badness.BADNESS_RE.search
    margin = plan.margin
    start = end = -1
    for run in plan.anchors.finditer(text):
        left = run.start() - margin
        if left <= end:  # overlaps the window being gathered
            end = run.end() + margin
            continue
        if end >= 0 and search(text, start, end):
            return True
        start, end = max(left, 0), run.end() + margin
    return end >= 0 and search(text, start, end) is not None


@cache
def _plan() -> _Plan | None:
    """The anchor characters and window margin of ftfy's pattern, or None if not sound."""
    pattern = badness.BADNESS_RE
    if pattern.flags & ~(re.VERBOSE | re.UNICODE):
        return None
    tree = sre_parser.parse(pattern.pattern, pattern.flags)
    width = tree.getwidth()[1]
    if width >= sre_constants.MAXREPEAT or len(tree.data) != 1:
        return None
    op, value = tree.data[0]
    if op is not sre_constants.BRANCH:
        return None
    anchors: set[int] = set()
    for branch in value[1]:
        if not _plain(branch):
            return None
        classes = [chars for item in branch.data if (chars := _class(*item))]
        usable = [chars for chars in classes if min(chars) >= 128]
        if not usable:
            return None
        anchors |= min(usable, key=_cost)
    members = "".join(re.escape(chr(code)) for code in sorted(anchors))
    return _Plan(re.compile(f"[{members}]+"), width - 1)


def _plain(branch: sre_parser.SubPattern) -> bool:
    """Only characters, classes, `^`, `.` and bounded repeats of them: no lookarounds."""
    allowed = {
        sre_constants.LITERAL,
        sre_constants.IN,
        sre_constants.ANY,
        sre_constants.AT,
        sre_constants.MAX_REPEAT,
        sre_constants.MIN_REPEAT,
    }
    for op, value in branch.data:
        if op not in allowed:
            return False
        if op is sre_constants.AT and value not in _START_OF_TEXT:
            return False
        if op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT) and not _plain(value[2]):
            return False
    return True


def _class(op: object, value: object) -> frozenset[int] | None:
    """The code points one pattern item always matches one of, if it is a plain class."""
    if op is sre_constants.LITERAL:
        return frozenset((value,))  # type: ignore[arg-type]
    if op is not sre_constants.IN:
        return None
    codes: set[int] = set()
    for kind, item in value:  # type: ignore[attr-defined]
        if kind is sre_constants.LITERAL:
            codes.add(item)
        elif kind is sre_constants.RANGE:
            codes.update(range(item[0], item[1] + 1))
        else:  # NEGATE, CATEGORY (\w, \s): not a small set of characters
            return None
    return frozenset(codes)


@cache
def _frequent_letters() -> frozenset[str]:
    return frozenset(letter for letters in FREQUENCIES.values() for letter in letters)


def _cost(codes: frozenset[int]) -> int:
    frequent = _frequent_letters()
    total = 0
    for code in codes:
        char = chr(code)
        if unicodedata.category(char)[0] not in "LM":
            total += _OTHER_COST
        else:
            total += _COMMON_LETTER_COST if char in frequent else _LETTER_COST
    return total
