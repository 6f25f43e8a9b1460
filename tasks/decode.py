"""Decode raw bytes to normalized text: BOMs, UTF-8/16, legacy code pages, mojibake, NFC, LF."""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

import charset_normalizer
import ftfy

from tasks.errors import RejectError

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

_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029\x85\x0b\x0c]")
# Control characters (Cc) except newline, plus BOM / zero-width space left inside the text.
_CONTROL = re.compile(r"[\x00-\x09\x0e-\x1f\x7f-\x84\x86-\x9f\ufeff\u200b]")
_SPACES = re.compile(r"[^\S\n]+")  # any run of whitespace except newline (NBSP included)
_BLANK_RUNS = re.compile(r"\n{3,}")
_HAS_WORD = re.compile(r"[^\W_]")


@dataclass(frozen=True, slots=True)
class Decoded:
    """Text ready for the later steps, and how it was obtained."""

    text: str
    encoding: str
    had_bom: bool
    mojibake_fixed: bool
    decode_errors: int


def decode_bytes(raw: bytes) -> Decoded:
    """Decode and normalize one file's bytes; raise RejectError when they are not text."""
    if not raw:
        raise RejectError("empty", "the file is empty (0 bytes)")
    bom = _strip_bom(raw)
    if bom is not None:
        encoding, payload = bom
        text, errors = _decode_counting(payload, encoding)
        return _finish(text, encoding, had_bom=True, decode_errors=errors)
    _reject_magic(raw)
    if _control_heavy(raw[:_SNIFF_BYTES]):
        # Not 8-bit text. UTF-16 without a BOM looks like this too: NULs between Latin
        # letters, 0x04 bytes between Cyrillic ones, low bytes among CJK ones.
        utf16 = _utf16_without_bom(raw)
        if utf16 is None:
            raise RejectError("binary", "mostly control bytes, and not UTF-16 either; not text")
        return _finish(utf16[1], utf16[0], had_bom=False, decode_errors=0)
    try:
        return _finish(raw.decode("utf-8"), "utf_8", had_bom=False, decode_errors=0)
    except UnicodeDecodeError:
        pass
    text, errors = _decode_counting(raw, "utf_8")
    if _mostly_utf8(raw, errors):
        # A few corrupt bytes inside real UTF-8: replacing them beats re-guessing the
        # whole file as a legacy code page, which would garble every other character.
        return _finish(text, "utf_8", had_bom=False, decode_errors=errors)
    best = charset_normalizer.from_bytes(raw).best()
    if best is not None:
        return _finish(str(best), best.encoding, had_bom=False, decode_errors=0)
    mixed = _utf8_mixed_with_legacy(raw)
    if mixed is None:
        raise RejectError("undecodable", "no encoding decodes these bytes as text")
    return _finish(mixed[1], mixed[0], had_bom=False, decode_errors=0)


def normalize_text(text: str) -> str:
    """NFC, LF line ends, no control characters, single spaces, at most one blank line."""
    text = _LINE_BREAKS.sub("\n", text)
    text = _CONTROL.sub(lambda m: " " if m.group() == "\t" else "", text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    # NFC last: deleting a control or zero-width character can bring a letter and a
    # combining mark together that only now compose.
    return unicodedata.normalize("NFC", _BLANK_RUNS.sub("\n\n", text).strip())


def _finish(text: str, encoding: str, *, had_bom: bool, decode_errors: int) -> Decoded:
    repaired, mojibake_fixed = _repair_mojibake(text)
    normalized = normalize_text(repaired)
    if not _HAS_WORD.search(normalized):
        what = "only whitespace" if not normalized else "no letters or digits"
        raise RejectError("no_text", f"decoded as {encoding} but the text has {what}")
    return Decoded(normalized, encoding, had_bom, mojibake_fixed, decode_errors)


def _repair_mojibake(text: str) -> tuple[str, bool]:
    """Undo mis-decoding with ftfy; it leaves text alone unless it shows mojibake."""
    if text.isascii():
        return text, False
    fixed, steps = ftfy.fix_and_explain(text, config=_FTFY_CONFIG)
    return fixed, any(step.action in _ENCODING_STEPS for step in steps or ())


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
    """Decode with one U+FFFD per bad byte; also return how many bytes were bad."""
    return _ESCAPED_BYTE.subn("\ufffd", payload.decode(encoding, errors="wirehouse-escape"))


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


def _utf8_mixed_with_legacy(raw: bytes) -> tuple[str, str] | None:
    """UTF-8 with stretches in one legacy code page (files pasted together from two sources).

    The stretches that are not UTF-8 are detected together and decoded with their code
    page; the encoding is recorded as e.g. 'utf_8+cp1251'.
    """
    text = raw.decode("utf-8", errors="wirehouse-escape")
    runs = [bytes(ord(ch) - 0xDC00 for ch in m.group()) for m in _ESCAPED.finditer(text)]
    legacy = charset_normalizer.from_bytes(b"".join(runs)).best() if runs else None
    if legacy is None:
        return None
    decoded = iter(run.decode(legacy.encoding, errors="replace") for run in runs)
    return f"utf_8+{legacy.encoding}", _ESCAPED.sub(lambda _: next(decoded), text)


def _mostly_utf8(raw: bytes, bad_bytes: int) -> bool:
    """True when valid multi-byte UTF-8 sequences far outnumber the invalid bytes."""
    non_ascii = len(raw) - len(raw.translate(_BINARY_TABLE, bytes(range(128, 256))))
    return non_ascii - bad_bytes >= 9 * bad_bytes
