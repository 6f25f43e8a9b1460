"""Every disguise of one article decodes to the same text (issue 13, deliverable 3).

One article can reach Wirehouse as UTF-8 with or without a BOM, UTF-16 in either byte
order with or without a BOM, its language's legacy code page, with CRLF line ends, in NFD,
or as mojibake: UTF-8 read as cp1252 and saved again as UTF-8, where cp1252's undefined
bytes (0x81, 0x8D, 0x8F, 0x90, 0x9D) became C1 controls (what browsers and Windows do) or,
in lossy mojibake, U+FFFD. All of them must give the same `decode_bytes(...).text`, or
the copies get different content hashes. Short articles are included on purpose: a few
hundred bytes are where a legacy code page is guessed wrong.

A disguise that cannot represent an article is skipped for it, not faked: cp1252 for
Russian, or lossy mojibake of a text whose UTF-8 holds an undefined cp1252 byte anywhere
but in ” (E2 80 9D), since the lost byte cannot be known there.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest
from wirehouse.tasks.decode import decode_bytes, normalize_text

# (name, legacy code pages, text). Written for this test, in the style of wire copy.
ARTICLES: list[tuple[str, tuple[str, ...], str]] = [
    (
        "en-short",
        ("cp1252",),
        "Talks end without a deal\n"
        "“We will not be rushed,” the minister said on Friday — a day after the talks in "
        "Geneva broke up. Washington’s envoy called the meeting “useful” but gave no date.",
    ),
    (
        # Only apostrophes (0x92): charset-normalizer ranks cp852 first, where it is Ă.
        "en-apostrophes",
        ("cp1252",),
        "Ontario’s health ministry said on Monday that the clinic would reopen. It’s the "
        "company’s third recall this year.",
    ),
    (
        # ... and mac_iceland here, where ’ reads í and — reads ó.
        "en-tiny",
        ("cp1252",),
        "It’s the company’s third recall this year. The union’s members voted to accept the "
        "offer — by a narrow margin.",
    ),
    (
        "en",
        ("cp1252",),
        "Ceasefire talks to resume in Geneva\n\n"
        "GENEVA, March 14 — Negotiators will meet again next week, the United Nations said "
        "on Friday, after two days of talks ended without agreement on a ceasefire.\n\n"
        "“Nobody walked out, and that counts for something,” a diplomat who attended the "
        "sessions told reporters. The envoy’s office said the next round would start on "
        "Tuesday — “if the parties agree on an agenda first.”\n\n"
        "Aid agencies have warned that food and fuel could run out within weeks.",
    ),
    (
        "fr",
        ("cp1252",),
        "Les négociations reprendront à Genève\n"
        "« Nous ne céderons pas », a déclaré vendredi le ministre, au lendemain de l’échec "
        "des pourparlers. L’envoyé américain a qualifié la réunion d’« utile », sans "
        "préciser la date de la prochaine séance. Les ONG s’inquiètent — la trêve expire "
        "déjà lundi.",
    ),
    (
        "de",
        ("cp1252",),
        "Gespräche in Genf ohne Ergebnis\n"
        "„Wir lassen uns nicht drängen“, sagte der Minister am Freitag – einen Tag, nachdem "
        "die Gespräche ohne Einigung zu Ende gegangen waren. Der Gesandte aus Washington "
        "nannte das Treffen „nützlich“, ließ aber offen, wann die nächste Runde beginnt. "
        "Größere Zugeständnisse seien nicht zu erwarten.",
    ),
    (
        "ru",
        ("cp1251",),
        "Переговоры в Женеве завершились без соглашения\n"
        "«Нас не заставят торопиться», — заявил в пятницу министр, на следующий день после "
        "того, как переговоры закончились безрезультатно. Посланник США назвал встречу "
        "полезной, но не сообщил, когда начнётся следующий раунд.",
    ),
    (
        # KOI8-R has no typographic quotes or dashes.
        "ru-koi8",
        ("cp1251", "koi8_r"),
        "Министр: переговоры продолжатся\n"
        '"Нас не заставят торопиться", - заявил в пятницу министр иностранных дел. '
        "Следующий раунд начнётся в Женеве на следующей неделе.",
    ),
    (
        "ru-short",
        ("cp1251", "koi8_r"),
        "Министр заявил в пятницу, что переговоры продолжатся на следующей неделе.",
    ),
    (
        "pl",
        ("cp1250",),
        "Rozmowy w Genewie bez porozumienia\n"
        "„Nie damy się pospieszać” – powiedział w piątek minister, dzień po tym, jak "
        "rozmowy zakończyły się fiaskiem. Wysłannik Waszyngtonu nazwał spotkanie "
        "pożytecznym, ale nie podał daty kolejnej rundy. Źródła zbliżone do delegacji "
        "mówią o ostrożnym optymizmie.",
    ),
    (
        "el",
        ("cp1253",),
        "Χωρίς συμφωνία οι συνομιλίες στη Γενεύη\n"
        "«Δεν θα βιαστούμε», δήλωσε την Παρασκευή ο υπουργός, μία ημέρα μετά το ναυάγιο των "
        "συνομιλιών. Ο απεσταλμένος της Ουάσιγκτον χαρακτήρισε τη συνάντηση χρήσιμη, αλλά "
        "δεν ανακοίνωσε ημερομηνία για τον επόμενο γύρο.",
    ),
    (
        "tr",
        ("cp1254",),
        "Cenevre görüşmeleri anlaşmasız bitti\n"
        "“Acele etmeyeceğiz” dedi Bakan cuma günü; görüşmeler bir gün önce anlaşma olmadan "
        "sona ermişti. Washington’ın temsilcisi toplantıyı “yararlı” olarak nitelendirdi, "
        "ancak bir sonraki turun tarihini açıklamadı. İki taraf da ılımlı konuştu.",
    ),
    (
        "ja",
        ("cp932", "shift_jis"),
        "ジュネーブ協議、合意に至らず\n"
        "「急がされることはない」と外相は金曜日に述べた。協議は前日、合意のないまま終わった。"
        "米国の特使は会合を「有益だった」と評価したが、次回の日程は明らかにしなかった。",
    ),
    (
        "zh",
        ("gb18030",),
        "日内瓦会谈未达成协议\n"
        "“我们不会仓促行事，”外交部长星期五说。此前一天，在日内瓦举行的会谈未能达成协议。"
        "美国特使称这次会晤“有益”，但没有透露下一轮会谈的日期。",
    ),
    (
        "ko",
        ("cp949",),
        "제네바 회담 합의 없이 종료\n"
        "“서두르지 않겠다”고 장관은 금요일에 말했다. 회담은 전날 합의 없이 끝났다. 미국 특사는 "
        "회담이 “유익했다”고 평가했지만 다음 회담 날짜는 밝히지 않았다.",
    ),
]

# cp1252 leaves these bytes undefined: mojibake keeps them as C1 controls (sloppy cp1252,
# as browsers and Windows decode), lossy mojibake replaces them with U+FFFD.
UNDEFINED_IN_CP1252 = frozenset({0x81, 0x8D, 0x8F, 0x90, 0x9D})
RIGHT_QUOTE_UTF8 = "\u201d".encode()


def _as_cp1252(data: bytes, *, lossy: bool) -> str:
    return "".join(
        ("\ufffd" if lossy else chr(b)) if b in UNDEFINED_IN_CP1252 else bytes([b]).decode("cp1252")
        for b in data
    )


def _legacy(codec: str) -> Callable[[str], bytes | None]:
    def encode(text: str) -> bytes | None:
        try:
            return text.encode(codec)
        except UnicodeEncodeError:
            return None

    return encode


def _lossy_mojibake(text: str) -> bytes | None:
    """UTF-8 read as cp1252 with U+FFFD for undefined bytes, saved as UTF-8.

    None when a byte other than the last of a ” is lost: nothing can bring that back.
    """
    data = text.encode()
    if any(b in UNDEFINED_IN_CP1252 for b in data.replace(RIGHT_QUOTE_UTF8, b"")):
        return None
    return _as_cp1252(data, lossy=True).encode()


DISGUISES: dict[str, Callable[[str], bytes | None]] = {
    "utf8-bom": lambda t: b"\xef\xbb\xbf" + t.encode(),
    "utf16le-bom": lambda t: b"\xff\xfe" + t.encode("utf-16-le"),
    "utf16be-bom": lambda t: b"\xfe\xff" + t.encode("utf-16-be"),
    "utf16le": lambda t: t.encode("utf-16-le"),
    "utf16be": lambda t: t.encode("utf-16-be"),
    "cp1252": _legacy("cp1252"),
    "crlf": lambda t: t.replace("\n", "\r\n").encode(),
    "nfd": lambda t: unicodedata.normalize("NFD", t).encode(),
    "mojibake": lambda t: _as_cp1252(t.encode(), lossy=False).encode(),
    "lossy-mojibake": _lossy_mojibake,
}
CASES = [
    pytest.param(text, disguise, encode, id=f"{name}-{disguise}")
    for name, pages, text in ARTICLES
    for disguise, encode in [
        *DISGUISES.items(),
        *((page, _legacy(page)) for page in pages if page != "cp1252"),
    ]
]


@pytest.mark.parametrize(("text", "disguise", "encode"), CASES)
def test_every_disguise_gives_the_same_text(tmp_path, text, disguise, encode):
    raw = encode(text)
    if raw is None:
        pytest.skip(f"{disguise} cannot represent this text")
    path = tmp_path / "article.txt"
    path.write_bytes(raw)
    reference = decode_bytes(text.encode())
    assert reference.text == normalize_text(text)
    assert decode_bytes(path.read_bytes()).text == reference.text


@pytest.mark.parametrize(
    ("name", "page", "text"),
    [
        pytest.param(name, page, text, id=f"{name}-{page}")
        for name, pages, text in ARTICLES
        for page in pages
    ],
)
def test_legacy_disguise_is_called_by_a_fitting_code_page(name, page, text):
    """The recorded code page decodes the bytes to the text; a legacy guess is below 1."""
    raw = text.encode(page)
    decoded = decode_bytes(raw)
    assert raw.decode(decoded.encoding) == text, name
    assert decoded.encoding_confidence is not None and 0 < decoded.encoding_confidence < 1


@pytest.mark.parametrize("name", ["en-short", "en-apostrophes", "en-tiny", "fr", "de"])
def test_short_cp1252_with_typographic_punctuation_is_called_cp1252(name):
    text = next(text for article, _, text in ARTICLES if article == name)
    decoded = decode_bytes(text.encode("cp1252"))
    assert (decoded.encoding, decoded.text) == ("cp1252", text)
