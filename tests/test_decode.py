"""Decoding real files written in many encodings, disguises of one article, and non-text."""

from __future__ import annotations

import gzip
import hashlib
import sys
import unicodedata
from pathlib import Path

import pytest
from conftest import SEEDS, query, run_ingest
from wirehouse.tasks.decode import decode_bytes, normalize_text
from wirehouse.tasks.errors import RejectError

RU = (
    "Министр иностранных дел России Сергей Лавров заявил в пятницу, что Москва готова к "
    "нормализации отношений с Соединёнными Штатами, но только на основе равноправия, "
    "взаимного уважения и баланса интересов. Решение о сокращении числа дипломатов стало "
    "ответом на враждебные шаги Вашингтона."
)
SAMPLES = {
    "ru": RU,
    "el": "Ο υπουργός Εξωτερικών της Ρωσίας δήλωσε την Παρασκευή ότι η Μόσχα είναι έτοιμη να "
    "ομαλοποιήσει τις σχέσεις της με τις Ηνωμένες Πολιτείες, αλλά μόνο στη βάση της "
    "ισότητας και του αμοιβαίου σεβασμού.",
    "pl": "Minister spraw zagranicznych Rosji Siergiej Ławrow oświadczył w piątek, że Moskwa "
    "jest gotowa do normalizacji stosunków ze Stanami Zjednoczonymi, ale wyłącznie na "
    "zasadach równości, wzajemnego szacunku i równowagi interesów.",
    "tr": "Rusya Dışişleri Bakanı Sergey Lavrov cuma günü yaptığı açıklamada, Moskova'nın ABD "
    "ile ilişkileri normalleştirmeye hazır olduğunu, ancak bunun yalnızca eşitlik, "
    "karşılıklı saygı ve çıkar dengesi temelinde mümkün olabileceğini söyledi.",
    "he": "שר החוץ הרוסי סרגיי לברוב אמר ביום שישי כי מוסקבה מוכנה לנרמל את היחסים עם ארצות "
    "הברית, אך רק על בסיס של שוויון, כבוד הדדי ואיזון אינטרסים בין שתי המדינות.",
    "ar": "قال وزير الخارجية الروسي سيرغي لافروف يوم الجمعة إن موسكو مستعدة لتطبيع العلاقات مع "
    "الولايات المتحدة، ولكن فقط على أساس المساواة والاحترام المتبادل وتوازن المصالح بين البلدين.",
    "lt": "Rusijos užsienio reikalų ministras Sergejus Lavrovas penktadienį pareiškė, kad Maskva "
    "yra pasirengusi normalizuoti santykius su Jungtinėmis Valstijomis, tačiau tik lygybės, "
    "abipusės pagarbos ir interesų pusiausvyros pagrindu.",
    "zh-hans": "俄罗斯外交部长拉夫罗夫星期五表示，莫斯科准备在平等、相互尊重和利益平衡的基础上与美国实现"
    "关系正常化。他说，减少美国外交人员数量的决定是对华盛顿一系列敌对行为的回应。",
    "zh-hant": "俄羅斯外交部長拉夫羅夫星期五表示，莫斯科準備在平等、相互尊重和利益平衡的基礎上與美國實現"
    "關係正常化。他說，減少美國外交人員數量的決定是對華盛頓一系列敵對行為的回應。",
    "ja": "ロシアのラブロフ外相は金曜日、モスクワは平等と相互尊重、利益の均衡に基づいて米国との関係を"
    "正常化する用意があると述べた。外交官の削減はワシントンの敵対的な措置への対応だという。",
    "ko": "러시아의 라브로프 외무장관은 금요일 모스크바가 평등과 상호 존중, 이익의 균형에 기초해 미국과의 "
    "관계를 정상화할 준비가 되어 있다고 말했다. 외교관 감축 결정은 워싱턴의 적대적 조치에 대한 "
    "대응이라고 밝혔다.",
}
LEGACY = [
    ("ru", "cp1251"),
    ("ru", "koi8_r"),
    ("ru", "mac_cyrillic"),
    ("ru", "iso8859_5"),
    ("el", "cp1253"),
    ("pl", "cp1250"),
    ("pl", "iso8859_2"),
    ("tr", "cp1254"),
    ("he", "cp1255"),
    ("ar", "cp1256"),
    ("lt", "cp1257"),
    ("zh-hans", "gb18030"),
    ("zh-hant", "big5"),
    ("ja", "shift_jis"),
    ("ja", "euc_jp"),
    ("ko", "cp949"),
]


def _file(tmp_path: Path, name: str, data: bytes) -> bytes:
    """Write the bytes to a real file and read them back, as the pipeline does."""
    path = tmp_path / name
    path.write_bytes(data)
    return path.read_bytes()


@pytest.mark.parametrize(("lang", "encoding"), LEGACY)
def test_legacy_code_pages_decode_to_the_original_text(tmp_path, lang, encoding):
    text = SAMPLES[lang]
    decoded = decode_bytes(_file(tmp_path, f"{lang}.txt", text.encode(encoding)))
    assert decoded.text == text
    # The detected name may be a superset code page (cp932 for shift_jis) but must decode
    # these bytes to the same text.
    assert text.encode(encoding).decode(decoded.encoding) == text


SEED = (SEEDS / "000_ef1758e8d78d9052.txt").read_text(encoding="utf-8")
DISGUISES = {
    "utf8": SEED.encode("utf-8"),
    "utf8-bom": b"\xef\xbb\xbf" + SEED.encode("utf-8"),
    "utf16-bom": SEED.encode("utf-16"),
    "utf16be-bom": b"\xfe\xff" + SEED.encode("utf-16-be"),
    "utf16le-no-bom": SEED.encode("utf-16-le"),
    "cp1252": SEED.encode("cp1252"),
    "crlf": SEED.replace("\n", "\r\n").encode("utf-8"),
    "nfd": unicodedata.normalize("NFD", SEED).encode("utf-8"),
    "mojibake": SEED.encode("utf-8").decode("cp1252").encode("utf-8"),
    "double-mojibake": SEED.encode("utf-8")
    .decode("cp1252")
    .encode("utf-8")
    .decode("cp1252")
    .encode("utf-8"),
}


def test_every_disguise_gives_the_same_text(tmp_path):
    texts = {name: decode_bytes(_file(tmp_path, name, raw)).text for name, raw in DISGUISES.items()}
    reference = texts.pop("utf8")
    assert "Washington’s" in reference and "\r" not in reference
    assert texts == dict.fromkeys(texts, reference)


def test_disguises_record_how_they_were_decoded(tmp_path):
    got = {name: decode_bytes(_file(tmp_path, name, raw)) for name, raw in DISGUISES.items()}
    assert got["utf8-bom"].had_bom and got["utf8-bom"].encoding == "utf_8"
    assert got["utf16le-no-bom"].encoding == "utf_16_le" and not got["utf16le-no-bom"].had_bom
    assert got["mojibake"].mojibake_fixed and got["double-mojibake"].mojibake_fixed
    assert not got["utf8"].mojibake_fixed and not got["cp1252"].mojibake_fixed


@pytest.mark.usefixtures("prefect_server")
def test_disguised_copies_ingest_with_identical_body_and_hash(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name, raw in DISGUISES.items():
        (source / f"{name}.txt").write_bytes(raw)
    run_ingest(source, tmp_path / "wh")
    rows = query(tmp_path / "wh", "SELECT DISTINCT body, content_sha256, title FROM articles")
    assert len(rows) == 1
    body, sha, title = rows[0]
    assert sha == hashlib.sha256(f"{title}\n\n{body}".encode()).hexdigest()


def test_undecodable_bytes_inside_utf8_are_replaced_not_fatal(tmp_path):
    raw = RU.encode("utf-8")
    broken = raw[:100] + b"\xff\xfe\xfa" + raw[100:]
    decoded = decode_bytes(_file(tmp_path, "broken.txt", broken))
    assert decoded.encoding == "utf_8" and decoded.decode_errors == 3
    assert decoded.text.count("\ufffd") == 3 and decoded.text.endswith("Вашингтона.")


def test_nul_bytes_and_control_characters_are_removed(tmp_path):
    raw = b"Moscow said\x00 on Friday\x07 that talks\x1b[1m would go on.\r\nNext line"
    decoded = decode_bytes(_file(tmp_path, "nul.txt", raw))
    assert "\x00" not in decoded.text and "\x07" not in decoded.text
    assert decoded.text.endswith("would go on.\nNext line")


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty", b"", "empty"),
        ("spaces", b" \n\t\r\n  \n", "no_text"),
        ("punctuation", "… -- !!! ??? ...\n«»".encode(), "no_text"),
        ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary"),
        ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "binary"),
        ("gzip", gzip.compress(b"hello world" * 50), "binary"),
        ("elf", Path(sys.executable).resolve().read_bytes()[:4096], "binary"),
        ("random-controls", bytes(range(32)) * 40, "binary"),
    ],
)
def test_non_text_is_rejected_with_a_reason(tmp_path, name, data, reason):
    with pytest.raises(RejectError) as info:
        decode_bytes(_file(tmp_path, name, data))
    assert info.value.reason == reason and info.value.message


def test_normalize_text_rules():
    messy = "  Title\u00a0 here \r\n\r\n\r\n\r\nBody\tline\u2028next\ufeff \n"
    assert normalize_text(messy) == "Title here\n\nBody line\nnext"


@pytest.mark.parametrize("lang", ["ru", "el", "he", "ar", "zh-hans", "ja", "ko", "pl"])
@pytest.mark.parametrize("encoding", ["utf_16_le", "utf_16_be"])
def test_utf16_without_bom_in_any_script(tmp_path, lang, encoding):
    text = SAMPLES[lang] + "\n\n" + SAMPLES[lang]
    decoded = decode_bytes(_file(tmp_path, "u16.txt", text.encode(encoding)))
    assert (decoded.encoding, decoded.text) == (encoding, text)


def test_a_file_mixing_utf8_and_a_legacy_code_page(tmp_path):
    raw = (RU + "\n\n").encode("utf-8") + RU.encode("cp1251")
    decoded = decode_bytes(_file(tmp_path, "mixed.txt", raw))
    assert decoded.encoding == "utf_8+cp1251" and decoded.text == f"{RU}\n\n{RU}"


def _lossy_mojibake(text: str) -> bytes:
    """UTF-8 read as cp1252 with U+FFFD for its undefined bytes, then saved as UTF-8."""
    return text.encode().decode("cp1252", errors="replace").encode()


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        # ” is the only reading of â€ + a lost byte that can end a quotation.
        ("“We are ready,” the minister said. “Talks go on.”", None),
        ("The envoy called it “useful”.\nNo date was set.", None),
        # A hyphen (U+2010) joins two letters: the lost byte stays lost.
        ("A well\u2010known “case” again.", "A well\ufffdknown “case” again."),
        # A ZWJ between emoji, and right-to-left text (where it may be an RLM): not guessed.
        ("Family 👨\u200d👩 at “home”.", "Family 👨\ufffd👩 at “home”."),
        ("قال الوزير “نعم” اليوم", "قال الوزير “نعم\ufffd اليوم"),
    ],
)
def test_lossy_mojibake_restores_a_lost_quote_only_where_nothing_else_fits(
    tmp_path, original, expected
):
    decoded = decode_bytes(_file(tmp_path, "lossy.txt", _lossy_mojibake(original)))
    assert decoded.mojibake_fixed and decoded.encoding == "utf_8"
    assert decoded.text == (original if expected is None else expected)


def test_encoding_confidence_is_certain_only_when_the_bytes_prove_the_encoding(tmp_path):
    def confidence(name: str, raw: bytes) -> float | None:
        return decode_bytes(_file(tmp_path, name, raw)).encoding_confidence

    assert confidence("utf8", RU.encode()) == 1.0
    assert confidence("bom", b"\xef\xbb\xbf" + RU.encode()) == 1.0
    assert confidence("utf16", (RU + "\n\n" + RU).encode("utf-16-le")) == 1.0
    raw = RU.encode()
    assert 0.9 <= confidence("broken", raw[:100] + b"\xff\xfe\xfa" + raw[100:]) < 1.0
    for lang, encoding in LEGACY:
        assert 0.0 < confidence(lang, SAMPLES[lang].encode(encoding)) < 1.0, encoding
