"""Decode raw bytes to normalized text: BOMs, UTF-8/16, legacy code pages, mojibake, NFC, LF."""

from __future__ import annotations

import codecs
import locale
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import cache

import charset_normalizer
import ftfy
import ftfy.chardata
import ftfy.fixes
from charset_normalizer.cd import mb_encoding_languages
from charset_normalizer.constant import FREQUENCIES
from wirehouse.tasks import mojibake
from wirehouse.tasks.errors import RejectError

# Longest BOMs first: the UTF-32-LE BOM starts with the UTF-16-LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf_32_le"),
    (b"\x00\x00\xfe\xff", "utf_32_be"),
    (b"\xef\xbb\xbf", "utf_8"),
    (b"\xff\xfe", "utf_16_le"),
    (b"\xfe\xff", "utf_16_be"),
)

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"%PDF-", "PDF document"),
    (b"\x1f\x8b", "gzip archive"),
    (b"PK\x03\x04", "ZIP archive (or docx/xlsx/epub)"),
    (b"\x7fELF", "ELF executable"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"BZh", "bzip2 archive"),
    (b"\xfd7zXZ\x00", "xz archive"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"SQLite format 3\x00", "SQLite database"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE document (doc/xls)"),
    (b"\xcf\xfa\xed\xfe", "Mach-O executable"),
    (b"RIFF", "RIFF media file"),
    (b"OggS", "Ogg media file"),
)

_SNIFF_BYTES = 8192
# Bytes that never occur in text: C0 controls other than tab, LF, FF, CR and ESC.
_BINARY_BYTES = bytes(set(range(32)) - {9, 10, 12, 13, 27})
_BINARY_TABLE = bytes.maketrans(b"", b"")

# Only encoding repairs: keep typographic quotes, full-width CJK punctuation, ligatures.
_FTFY_CONFIG = ftfy.TextFixerConfig(
    unescape_html=False,
    fix_latin_ligatures=False,
    fix_character_width=False,
    uncurl_quotes=False,
    normalization="NFC",
    explain=True,
)
_ENCODING_STEPS = {"encode", "decode", "transcode"}
# What ftfy's other fixers act on, with _FTFY_CONFIG: the control characters it removes
# (ESC among them, which its terminal-escape fixer needs) and surrogates. C1 controls
# are not listed: its mojibake test matches every one of them.
_FTFY_OTHER_FIXES = re.compile(
    "["
    + "".join(re.escape(chr(code)) for code in sorted(ftfy.chardata.CONTROL_CHARS))
    + "\ud800-\udfff]"
)
# The fast path below reproduces ftfy's result only while these fixers stay off.
_FTFY_FAST_PATH = _FTFY_CONFIG.normalization == "NFC" and not any(
    (
        _FTFY_CONFIG.unescape_html,
        _FTFY_CONFIG.fix_latin_ligatures,
        _FTFY_CONFIG.fix_character_width,
        _FTFY_CONFIG.uncurl_quotes,
    )
)

_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029\x85\x0b\x0c]")
_BREAK_CHARS = "\r\u2028\u2029\x85\x0b\x0c"  # every match of _LINE_BREAKS holds one
# Control characters (Cc) except newline, plus BOM / zero-width space left inside the text.
_CONTROL = re.compile(r"[\x00-\x09\x0e-\x1f\x7f-\x84\x86-\x9f\ufeff\u200b]")
# Any run of whitespace except newline (NBSP included), to one space: a lone space is left
# as it is (the same result, without a replacement at every word).
_SPACES = re.compile(r"[^\S\n]{2,}|[^\S\n ]")
_BLANK_RUNS = re.compile(r"\n\n\n+")  # a literal prefix: searched for, not tried at each \n
_HAS_WORD = re.compile(r"[^\W_]")


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text ready for the later steps, and how it was obtained.

    `encoding_confidence` says how sure the choice of `encoding` is, from 0 to 1:

    - 1.0 when the bytes prove it: a BOM, valid UTF-8, UTF-16 recognised without a BOM;
    - for UTF-8 with a few corrupt bytes, the share of non-ASCII bytes that are valid UTF-8;
    - for a legacy code page (also the legacy part of 'utf_8+cpXXXX'), at most 0.99:
      (1 - chaos) x plausibility x separation, where chaos is charset-normalizer's mess
      ratio of the chosen reading, plausibility the share of its non-ASCII characters
      that the detected language and typography explain (see `_read`), and separation 1
      when no close rival reads the bytes differently, else 0.5 + 0.5 x (p - p_rival) / p
      (so 0.5 when only the code-page prior decided between equally plausible readings).

    None is left for rows that were not decoded by `decode_bytes`.
    """

    text: str
    encoding: str
    had_bom: bool
    mojibake_fixed: bool
    decode_errors: int
    encoding_confidence: float | None = None


def decode_bytes(raw: bytes) -> Decoded:
    """Decode and normalize one file's bytes; raise RejectError when they are not text."""
    if not raw:
        raise RejectError("empty", "the file is empty (0 bytes)")
    bom = _strip_bom(raw)
    if bom is not None:
        encoding, payload = bom
        text, errors = _decode_counting(payload, encoding)
        return _finish(text, encoding, had_bom=True, decode_errors=errors, confidence=1.0)
    _reject_magic(raw)
    if _control_heavy(raw[:_SNIFF_BYTES]):
        # Not 8-bit text. UTF-16 without a BOM looks like this too: NULs between Latin
        # letters, 0x04 bytes between Cyrillic ones, low bytes among CJK ones.
        utf16 = _utf16_without_bom(raw)
        if utf16 is None:
            raise RejectError("binary", "mostly control bytes, and not UTF-16 either; not text")
        return _finish(utf16[1], utf16[0], had_bom=False, decode_errors=0, confidence=1.0)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return _finish(text, "utf_8", had_bom=False, decode_errors=0, confidence=1.0)
    text, errors = _decode_counting(raw, "utf_8")
    if _mostly_utf8(raw, errors):
        # A few corrupt bytes inside real UTF-8: replacing them beats re-guessing the
        # whole file as a legacy code page, which would garble every other character.
        confidence = round(1 - errors / _non_ascii_bytes(raw), 3)
        return _finish(text, "utf_8", had_bom=False, decode_errors=errors, confidence=confidence)
    guess = _guess_legacy(raw)
    if guess is not None:
        return _finish(
            guess.text, guess.encoding, had_bom=False, decode_errors=0, confidence=guess.confidence
        )
    mixed = _utf8_mixed_with_legacy(raw)
    if mixed is None:
        raise RejectError("undecodable", "no encoding decodes these bytes as text")
    encoding, text, confidence = mixed
    return _finish(text, encoding, had_bom=False, decode_errors=0, confidence=confidence)


def normalize_text(text: str) -> str:
    """NFC, LF line ends, no control characters, single spaces, at most one blank line.

    Each substitution runs only on a text that holds something for it to replace: a
    substring test for the line breaks, and `str.isprintable` for the rest (false for
    every control, format and whitespace character but the space, so a printable text
    holds nothing `_CONTROL` removes and no whitespace `_SPACES` replaces but double
    spaces). Scanning for what is not there was most of this function's time.
    """
    if any(char in text for char in _BREAK_CHARS):
        text = _LINE_BREAKS.sub("\n", text)
    if not text.replace("\n", "").isprintable():
        text = _CONTROL.sub(lambda m: " " if m.group() == "\t" else "", text)
        text = _SPACES.sub(" ", text)
    elif "  " in text:
        text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    # NFC last: deleting a control or zero-width character can bring a letter and a
    # combining mark together that only now compose.
    return unicodedata.normalize("NFC", _BLANK_RUNS.sub("\n\n", text).strip())


def _finish(
    text: str, encoding: str, *, had_bom: bool, decode_errors: int, confidence: float
) -> Decoded:
    repaired, mojibake_fixed = _repair_mojibake(text)
    normalized = normalize_text(repaired)
    if not _HAS_WORD.search(normalized):
        what = "only whitespace" if not normalized else "no letters or digits"
        raise RejectError("no_text", f"decoded as {encoding} but the text has {what}")
    return Decoded(normalized, encoding, had_bom, mojibake_fixed, decode_errors, confidence)


def _repair_mojibake(text: str) -> tuple[str, bool]:
    """Undo mis-decoding with ftfy; it leaves text alone unless it shows mojibake.

    Lossy mojibake whose lost byte the context settles is restored too: see
    `_restore_lost_quotes`.

    Most texts hold no mojibake, and for them ftfy's answer is known without running it
    (`_unchanged_by_ftfy`); it costs a tenth of ftfy's own test.
    """
    if text.isascii():
        return text, False
    unchanged = _unchanged_by_ftfy(text)
    if unchanged is not None:
        return unchanged, False
    fixed, steps = ftfy.fix_and_explain(text, config=_FTFY_CONFIG)
    repaired = any(step.action in _ENCODING_STEPS for step in steps or ())
    if repaired and _LOSSY_QUOTE in text:
        fixed = _restore_lost_quotes(text, fixed)
    return fixed, repaired


def _unchanged_by_ftfy(text: str) -> str | None:
    """What `ftfy.fix_and_explain(text, _FTFY_CONFIG)` returns when it fixes no encoding.

    None when ftfy might fix one, or do anything but its line-break and NFC steps.

    With _FTFY_CONFIG, a pass of ftfy over a text that its mojibake test passes
    (`ftfy.badness.is_bad`, computed exactly by `mojibake.is_bad`) and that holds none
    of the characters its other fixers act on changes only line breaks (`fix_line_breaks`)
    and then the normalization (NFC). ftfy repeats passes until one changes nothing: the
    second pass, over that result, is a no-op if the result passes the test too (neither
    step makes control characters or surrogates, and both are idempotent).
    """
    if not _FTFY_FAST_PATH or _FTFY_OTHER_FIXES.search(text) or mojibake.is_bad(text):
        return None
    result = unicodedata.normalize("NFC", ftfy.fixes.fix_line_breaks(text))
    if result != text and mojibake.is_bad(result):
        return None
    return result


# UTF-8 E2 80 9x read as cp1252 with errors="replace": "â€" and U+FFFD for the lost byte.
_LOSSY_QUOTE = "\u00e2\u20ac\ufffd"
# The same bytes read by ftfy's sloppy cp1252, which keeps 0x9D as U+009D.
_SLOPPY_QUOTE = "\u00e2\u20ac\u009d"
_RIGHT_QUOTE = "\u201d"


def _restore_lost_quotes(text: str, fixed: str) -> str:
    """Turn the U+FFFD that ftfy made of `â€` + a lost byte back into ”, where only ” fits.

    cp1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined, so UTF-8 text decoded as
    cp1252 with replacement characters loses them, and `â€�` is E2 80 followed by one of
    them: U+2001 EM QUAD, U+200D ZERO WIDTH JOINER, U+200F RIGHT-TO-LEFT MARK, U+2010
    HYPHEN or U+201D ”. ftfy's `replace_lossy_sequences` decodes such a sequence as U+FFFD,
    since it cannot know the byte. The context rules out all readings but ” here:

    - U+2001 has a canonical decomposition to U+2003 EM SPACE, so text that was ever
      NFC-normalized cannot hold it (an em space is E2 80 83, which cp1252 keeps);
    - U+2010 and U+200D join what stands on both sides (a hyphen between letters, a ZWJ
      between emoji or letters and marks), so they cannot come before the end of the text,
      a space or punctuation, nor after a space;
    - U+200F only makes sense in right-to-left text, so nothing is restored in a text
      with Hebrew, Arabic or other right-to-left letters.

    So a replacement character is restored when it follows a character that is neither a
    space, a mark nor a symbol, is followed by the end, a space or punctuation, and the
    text has no right-to-left letters; elsewhere it stays U+FFFD. The restoration reruns
    ftfy on the text with the sloppy-cp1252 reading of the lost byte (0x9D) put back and
    takes from it only U+FFFD -> ” changes; if anything else differs, ftfy's own result
    stands.
    """
    candidate, _ = ftfy.fix_and_explain(text.replace(_LOSSY_QUOTE, _SLOPPY_QUOTE), _FTFY_CONFIG)
    if len(candidate) != len(fixed) or any(
        unicodedata.bidirectional(ch) in ("R", "AL") for ch in candidate
    ):
        return fixed
    restored = list(fixed)
    for i, (old, new) in enumerate(zip(fixed, candidate, strict=True)):
        if old == new:
            continue
        if old != "\ufffd" or new != _RIGHT_QUOTE:
            return fixed
        if _closes_a_quote(candidate, i):
            restored[i] = new
    return "".join(restored)


def _closes_a_quote(text: str, i: int) -> bool:
    """The character at i follows a word or punctuation and ends it (see above)."""
    if i == 0 or text[i - 1].isspace() or unicodedata.category(text[i - 1])[0] in "MS":
        return False
    if i + 1 == len(text):
        return True
    after = text[i + 1]
    return after.isspace() or unicodedata.category(after)[0] == "P"


# --- legacy code pages ----------------------------------------------------------------

# Readings whose chaos and coherence are this close to charset-normalizer's best are
# compared on evidence. Measured on 2,063 texts of 100-1,600 bytes made from the
# lingua-py test sentences of 36 languages in 21 legacy code pages (cp1250-1257, cp874,
# cp932, cp949, ISO 8859-2/5/7/9/15, KOI8-R, Mac Cyrillic, Shift-JIS, EUC-JP, EUC-KR):
# charset-normalizer's best reading was right for 1,576; of the 464 where it was wrong
# while the right reading was among its matches, the right one's chaos was higher by at
# most 0.034 in 95 % and 0.08 in all, and its coherence lower by at most
# 0.070 in 95 %, 0.143 in 99 % and 0.167 in all. The margins are the 99th percentiles;
# any pair from 0.035-0.08 and 0.07-0.15 gives 1,886-1,912 right readings there (no
# margin: 1,723).
_CHAOS_MARGIN = 0.08
_COHERENCE_MARGIN = 0.143
# When no code page passes charset-normalizer's chaos probing at its default threshold
# (0.2 mess ratio in a 512-byte chunk), one more try at twice that: short CJK news mixed
# with Latin names and full-width punctuation fails the first (livedoor news in cp932).
_RETRY_THRESHOLD = 0.4

# The Windows ("ANSI") code pages: the code pages Windows programs saved legacy text in,
# hence the legacy encodings most files are in (Microsoft's system code pages 1250-1258,
# 874, 932, 949 and 950; gb18030 stands for 936, since it is GBK's superset and Python's
# gbk and gb18030 decode GBK bytes alike; big5 for 950). cp1252 comes first because it is
# the most widespread: the order only breaks ties in `_common_pages` and picks a name
# among code pages that decode the bytes to the very same text.
_WINDOWS_CODE_PAGES = (
    "cp1252",
    "cp1250",
    "cp1251",
    "cp1253",
    "cp1254",
    "cp1255",
    "cp1256",
    "cp1257",
    "cp1258",
    "cp874",
    "cp932",
    "cp949",
    "big5",
    "gb18030",
)
_LETTERS = frozenset({"Lu", "Ll", "Lt", "Lo"})
# Characters of running text other than letters: punctuation (typographic quotes and
# dashes included), spaces such as NBSP, digits. Currency signs count half, like a letter
# foreign to the language: they are text, but a wrong code page readily puts one inside a
# word (cp1258's ₫ where cp1250 has the Romanian ţ).
_TEXT_MARKS = frozenset({"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Zs", "Nd"})
# Never in text: C0/C1 controls, unassigned code points, private use, surrogates.
_NOT_TEXT = frozenset({"Cc", "Cn", "Co", "Cs"})
_FREQUENT_LETTERS = {language: frozenset(chars) for language, chars in FREQUENCIES.items()}


@dataclass(frozen=True, slots=True)
class _Reading:
    """One way of decoding the bytes, with the evidence for it."""

    encoding: str
    text: str
    chaos: float
    coherence: float
    plausibility: float
    common: bool  # the encoding is a common code page of the detected language


@dataclass(frozen=True, slots=True)
class _Guess:
    encoding: str
    text: str
    confidence: float


def _guess_legacy(raw: bytes) -> _Guess | None:
    """Choose among charset-normalizer's readings of `raw` on evidence, not on rank alone.

    Every match whose chaos is within `_CHAOS_MARGIN` of the best match's and whose
    coherence is within `_COHERENCE_MARGIN` of it is a close reading. Among those, the one
    whose non-ASCII characters are most plausible wins (`_read`): a typographic quote or
    dash (0x91-0x97 in cp1252) that a rival code page turns into a letter foreign to the
    language, a box-drawing character or a control decides it. Equally plausible readings
    go to a common code page of the detected language (`_common_pages`), then to
    charset-normalizer's order.
    """
    matches = list(charset_normalizer.from_bytes(raw))
    if not matches:
        matches = list(charset_normalizer.from_bytes(raw, threshold=_RETRY_THRESHOLD))
    if not matches:
        return None
    best = matches[0]
    readings = [
        _read(match)
        for match in matches
        if match.chaos - best.chaos <= _CHAOS_MARGIN
        and best.coherence - match.coherence <= _COHERENCE_MARGIN
    ]
    chosen = max(readings, key=lambda r: (round(r.plausibility, 9), r.common))
    return _Guess(chosen.encoding, chosen.text, _confidence(chosen, readings))


def _confidence(chosen: _Reading, readings: list[_Reading]) -> float:
    """(1 - chaos) x plausibility x separation, at most 0.99 (see `Decoded`)."""
    plausibility = max(chosen.plausibility, 0.0)
    rivals = [r.plausibility for r in readings if r.text != chosen.text]
    separation = 1.0
    if rivals and plausibility > 0:
        separation = 0.5 + 0.5 * min(1.0, max(0.0, (plausibility - max(rivals)) / plausibility))
    return round(min(0.99, (1 - chosen.chaos) * plausibility * separation), 3)


def _read(match: charset_normalizer.CharsetMatch) -> _Reading:
    """A match's text, the encoding to call it by, and how plausible its characters are.

    The detected language is the one of charset-normalizer's three likeliest for this
    match (any of its languages when it names none) whose frequent letters (its
    FREQUENCIES table) cover most of the text's letters. Plausibility averages over the
    non-ASCII characters: 1 for a frequent letter of that language and for punctuation,
    spaces and digits; 0.5 for another letter or a currency sign; 0 for other symbols (box
    drawing included) and marks; -1 for controls, unassigned and private-use characters.
    The encoding is called by a common code page of the language when one decodes the
    bytes to the same text (charset-normalizer lists those), else by a Windows code page
    among them, else by charset-normalizer's name.
    """
    text = str(match)
    letters: Counter[str] = Counter()
    others: Counter[str] = Counter()
    for ch, n in Counter(text).items():
        if ch.isascii():
            if ch.isalpha():
                letters[ch.lower()] += n
            continue
        category = unicodedata.category(ch)
        if category in _LETTERS:
            letters[ch.lower()] += n
        else:
            others[category] += n
    language = _language_of(match, letters)
    frequent = _FREQUENT_LETTERS[language] if language else frozenset()
    foreign = sum(n for ch, n in letters.items() if not ch.isascii())
    native = sum(n for ch, n in letters.items() if not ch.isascii() and ch in frequent)
    score = native + 0.5 * (foreign - native + others.get("Sc", 0))
    score += sum(n for category, n in others.items() if category in _TEXT_MARKS)
    score -= sum(n for category, n in others.items() if category in _NOT_TEXT)
    total = foreign + sum(others.values())
    aliases = match.could_be_from_charset
    common = next((page for page in _common_pages(language) if page in aliases), None)
    name = common or next((p for p in _WINDOWS_CODE_PAGES if p in aliases), match.encoding)
    plausibility = score / total if total else 1.0
    return _Reading(name, text, match.chaos, match.coherence, plausibility, common is not None)


def _language_of(match: charset_normalizer.CharsetMatch, letters: Counter[str]) -> str | None:
    """Of the match's three likeliest languages, the one whose frequent letters cover most.

    Ties go to the one covering more non-ASCII letters, then to charset-normalizer's order.
    """
    if not letters:
        return None
    pool = [lang for lang in match.languages[:3] if lang in _FREQUENT_LETTERS]
    if not pool and match.language in _FREQUENT_LETTERS:
        pool = [match.language]

    def fit(language: str) -> tuple[int, int]:
        frequent = _FREQUENT_LETTERS[language]
        covered = [(ch, n) for ch, n in letters.items() if ch in frequent]
        return sum(n for _, n in covered), sum(n for ch, n in covered if not ch.isascii())

    return max(pool or _FREQUENT_LETTERS, key=fit)


@cache
def _common_pages(language: str | None) -> tuple[str, ...]:
    """The Windows code pages a legacy text in `language` is most likely written in.

    CJK languages: the Windows code pages of their family in charset-normalizer
    (`mb_encoding_languages`: cp932 Japanese, cp949 Korean, big5 and gb18030 Chinese).
    Other languages: the single-byte Windows code pages that encode the most letters of
    the language's legacy charset in Python's POSIX locale table (`locale.locale_alias`,
    e.g. 'hungarian' -> hu_HU.ISO8859-2, whose letters cp1250 holds), or of its frequent
    letters in charset-normalizer's FREQUENCIES where the table names no single-byte
    charset. FREQUENCIES alone cannot tell cp1250 from cp1252 for Hungarian (its 26
    letters lack ő and ű); the locale table can.
    """
    if language is None:
        return ()
    family = tuple(p for p in _WINDOWS_CODE_PAGES if language in mb_encoding_languages(p))
    if family:
        return family
    single = [p for p in _WINDOWS_CODE_PAGES if not mb_encoding_languages(p)]
    letters = _locale_letters(language.rstrip("\u2014").lower()) or set(FREQUENCIES[language])
    coverage = {page: sum(_encodes(page, ch) for ch in letters) for page in single}
    top = max(coverage.values())
    return tuple(page for page in single if coverage[page] == top) if top else ()


def _locale_letters(name: str) -> set[str]:
    """The non-ASCII letters of the charset of the POSIX locale named `name`, if any."""
    _, _, charset = locale.locale_alias.get(name, "").partition(".")
    try:
        codec = codecs.lookup(charset).name if charset else ""
    except LookupError:
        return set()
    if not codec or mb_encoding_languages(codec):
        return set()
    decoded = bytes(range(0x80, 0x100)).decode(codec, errors="ignore")
    return {ch for ch in decoded if ch.isalpha()}


def _encodes(page: str, ch: str) -> bool:
    try:
        ch.encode(page)
    except UnicodeEncodeError:
        return False
    return True


# --- helpers -------------------------------------------------------------------------


def _strip_bom(raw: bytes) -> tuple[str, bytes] | None:
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            return encoding, raw[len(bom) :]
    return None


def _escape_bad_bytes(error: UnicodeDecodeError) -> tuple[str, int]:
    """Codec error handler: each undecodable byte becomes the lone surrogate U+DC00+byte.

    Like Python's 'surrogateescape', but for every byte value and every codec (that one
    refuses bytes below 0x80, which bad UTF-16 code units contain). Decoded text never
    holds lone surrogates otherwise, so they mark exactly the bad bytes, in one pass.
    """
    bad = error.object[error.start : error.end]
    return "".join(chr(0xDC00 + b) for b in bad), error.end


codecs.register_error("wirehouse-escape", _escape_bad_bytes)
_ESCAPED_BYTE = re.compile("[\udc00-\udcff]")
_ESCAPED = re.compile("[\udc00-\udcff]+")


def _decode_counting(payload: bytes, encoding: str) -> tuple[str, int]:
    """Decode with one U+FFFD per bad byte; also return how many bytes were bad.

    UTF-8 uses Python's own 'surrogateescape' instead of the handler above: it gives the
    same string (a bad byte in UTF-8 is always 0x80 or above, and both map it to
    U+DC00+byte), and the decoder applies it in C instead of calling Python once per bad
    byte (a file in a legacy code page has hundreds: this was most of its decoding)."""
    errors = "surrogateescape" if encoding in _UTF8_NAMES else "wirehouse-escape"
    return _ESCAPED_BYTE.subn("\ufffd", payload.decode(encoding, errors=errors))


_UTF8_NAMES = frozenset({"utf_8", "utf-8", "utf8"})


def _reject_magic(raw: bytes) -> None:
    for magic, kind in _MAGIC:
        if raw.startswith(magic):
            raise RejectError("binary", f"the file is a {kind}, not text")


def _control_heavy(head: bytes) -> bool:
    """More control bytes than any 8-bit text has (a few stray NULs are tolerated)."""
    control = len(head) - len(head.translate(_BINARY_TABLE, _BINARY_BYTES))
    return control > max(8, len(head) // 10)


def _utf16_without_bom(raw: bytes) -> tuple[str, str] | None:
    """(encoding, text) if the bytes read as plausible UTF-16 LE or BE text, else None."""
    if len(raw) % 2:
        return None
    for encoding in ("utf_16_le", "utf_16_be"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _plausible(text[:4096]):
            return encoding, text
    return None


def _plausible(text: str) -> bool:
    """Nearly all printable, with letters: what text decoded with the right codec looks like.

    Bytes decoded with the wrong 16-bit codec give unassigned, private-use or control
    characters, which str.isprintable() rejects.
    """
    printable = sum(ch.isprintable() or ch in "\n\r\t" for ch in text)
    return printable >= 0.98 * len(text) and any(ch.isalpha() for ch in text)


def _utf8_mixed_with_legacy(raw: bytes) -> tuple[str, str, float] | None:
    """UTF-8 with stretches in one legacy code page (files pasted together from two sources).

    The stretches that are not UTF-8 are detected together and decoded with their code
    page; the encoding is recorded as e.g. 'utf_8+cp1251'. Returns (encoding, text,
    confidence of the legacy guess).
    """
    text = raw.decode("utf-8", errors="wirehouse-escape")
    runs = [bytes(ord(ch) - 0xDC00 for ch in m.group()) for m in _ESCAPED.finditer(text)]
    legacy = _guess_legacy(b"".join(runs)) if runs else None
    if legacy is None:
        return None
    decoded = iter(run.decode(legacy.encoding, errors="replace") for run in runs)
    mixed = _ESCAPED.sub(lambda _: next(decoded), text)
    return f"utf_8+{legacy.encoding}", mixed, legacy.confidence


def _mostly_utf8(raw: bytes, bad_bytes: int) -> bool:
    """True when valid multi-byte UTF-8 sequences far outnumber the invalid bytes."""
    non_ascii = _non_ascii_bytes(raw)
    return non_ascii - bad_bytes >= 9 * bad_bytes


def _non_ascii_bytes(raw: bytes) -> int:
    return len(raw) - len(raw.translate(_BINARY_TABLE, bytes(range(128, 256))))


def decode_text(text: str) -> Decoded:
    """Text a reader already decoded (a JSON field, an HTML page's main text): the same
    repairs and normalization as decoded bytes; raises RejectError when it has no text."""
    return _finish(text, "unicode", had_bom=False, decode_errors=0, confidence=None)
