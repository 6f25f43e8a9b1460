"""Datelines of every language family and script, from CLDR's names; typos, ambiguity."""

from __future__ import annotations

import unicodedata
from datetime import date

import pytest
from babel import Locale
from wirehouse.tasks.dates import find_publication_date, languages, match_dateline, month_names

TODAY = date(2026, 12, 2)


def parsed(line: str, language: str | None = None) -> tuple[int | None, int | None, int | None]:
    found = find_publication_date([line], TODAY, language)
    assert found.source != "invalid", found
    return found.year, found.month, found.day


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # Slavic, Cyrillic and Latin; the agency between date and dash, in its own script
        ("Москва. 14 февраля 2018 г. ИНТЕРФАКС - Президент заявил", (2018, 2, 14)),
        ("Москва. 14 февраля 2018 г. INTERFAX.RU - Президент заявил", (2018, 2, 14)),
        ("МОСКВА, 23 июл ПРАЙМ. Прибыль авиакомпании", (None, 7, 23)),
        ("КИЕВ. 8 ноября. УНН. Из тюрьмы", (None, 11, 8)),
        ("КИЇВ, 14 лютого 2018 р. /Укрінформ/. Текст", (2018, 2, 14)),
        ("СОФИЯ, 14 февруари (БТА) Текст", (None, 2, 14)),
        ("WARSZAWA, 14 lutego 2018 r. (PAP) - Premier", (2018, 2, 14)),
        ("Praha 14. února (ČTK) - Vláda", (None, 2, 14)),
        ("LJUBLJANA, 3. marca 2020 (STA) - Vlada", (2020, 3, 3)),
        # Baltic, Finno-Ugric, Turkic, Romance, Greek
        ("Vilnius, 2018 m. vasario 14 d. (BNS) – Seimas", (2018, 2, 14)),
        ("RĪGA, 2018. gada 14. februāris (LETA) - Saeima", (2018, 2, 14)),
        ("BUDAPEST, 2018. február 14. (MTI) – A kormány", (2018, 2, 14)),
        ("BUDAPEST, február 14. (MTI) – A kormány", (None, 2, 14)),
        ("BUDAPEST, 2018. február 14., szerda (MTI) – A kormány", (2018, 2, 14)),
        ("HELSINKI, 14. helmikuuta 2018 (STT) - Hallitus", (2018, 2, 14)),
        ("İSTANBUL, 14 Şubat 2018 (AA) - Cumhurbaşkanı", (2018, 2, 14)),
        ("BUCUREŞTI, 14 feb 2018 /Agerpres/ - Guvernul", (2018, 2, 14)),
        ("ROMA, 28 LUG (ANSA) - Il governo", (None, 7, 28)),
        ("(ANSA) - ROMA, 01 SET - Il governo", (None, 9, 1)),
        ("4 d'agost de 1991", (1991, 8, 4)),  # CLDR writes d’agost
        ("PARIS, 28 juil 2017 (AFP) - Le ministre", (2017, 7, 28)),
        ("PARIS, 1er AOUT 2017 (AFP) - Le ministre", (2017, 8, 1)),
        ("La Habana, 28 jul (Prensa Latina) El gobierno", (None, 7, 28)),
        ("BARCELONA, 28 d’abril (EFE) - El govern", (None, 4, 28)),
        ("ΑΘΗΝΑ, 28 Ιουλίου (ΑΠΕ-ΜΠΕ) Η κυβέρνηση", (None, 7, 28)),
        ("ΑΘΗΝΑ, 28 ΙΟΥΛΙΟΥ 2017 (ΑΠΕ-ΜΠΕ) Η κυβέρνηση", (2017, 7, 28)),
        # Germanic beyond English and German
        ("AMSTERDAM, 28 juli 2017 (ANP) - Het kabinet", (2017, 7, 28)),
        ("STOCKHOLM, 28 juli (TT) - Regeringen", (None, 7, 28)),
        # Semitic and Persian, with Arabic-Indic and Persian digits
        ("القاهرة 28 يوليو (رويترز) - قالت الحكومة", (None, 7, 28)),
        ("القاهرة في ٢٨ يوليو ٢٠١٧ (أ ش أ) قالت", (2017, 7, 28)),
        ("تهران، ۲۸ ژوئیه ۲۰۱۷ (ایرنا) - دولت", (2017, 7, 28)),
        ("ירושלים, 28 ביולי 2017 (רויטרס) - הממשלה", (2017, 7, 28)),
        # Indic, Thai (Buddhist era), Vietnamese, Malay/Indonesian
        ("नई दिल्ली, 28 जुलाई (भाषा) सरकार ने", (None, 7, 28)),
        ("กรุงเทพฯ 28 กรกฎาคม 2560 (สำนักข่าวไทย) รัฐบาล", (2017, 7, 28)),
        ("กรุงเทพฯ 28 ก.ค. 2560 - รัฐบาล", (2017, 7, 28)),
        ("Hà Nội, ngày 28 tháng 7 năm 2017 (TTXVN) Chính phủ", (2017, 7, 28)),
        ("Jakarta, 28 Juli 2017 (ANTARA) - Pemerintah", (2017, 7, 28)),
        ("KUALA LUMPUR, 28 Julai (Bernama) -- Kerajaan", (None, 7, 28)),
        # Chinese, Japanese, Korean: CLDR's month names (7月, 7월) between numbers
        ("新华社北京7月28日电（记者 王小明）国务院", (None, 7, 28)),
        ("新華社東京7月28日電", (None, 7, 28)),
        ("2017年7月28日 10:24 来源：新华网", (2017, 7, 28)),
        ("2017年７月２８日", (2017, 7, 28)),
        ("2017年7月28日(金) 10:24", (2017, 7, 28)),
        ("2017년 7월 28일", (2017, 7, 28)),
        ("2017.07.28 10:24", (2017, 7, 28)),
        # English wire styles
        ("GRONINGEN, the Netherlands, March 31 - Gasunie", (None, 3, 31)),
        ("NITRO, W. Va., March 31 - The company", (None, 3, 31)),
        ("HAILEY, Idaho, Calif., March 20 - Geodome", (None, 3, 20)),
        ("****RIO DE JANEIRO, March 5 - Brazil", (None, 3, 5)),
        ("Mexico city, march 18 - mexico's reserves", (None, 3, 18)),
        ("Tehran, July 28, IRNA -- Iran said", (None, 7, 28)),
        ("Friday, July 28, 2017 (EIRNS)—The ministry", (2017, 7, 28)),
        ("Опубликовано: 14 февраля 2018, 10:24", (2018, 2, 14)),
        ("16.01.2018 Свят Великобритания напуска ЕС", (2018, 1, 16)),
    ],
)
def test_datelines_of_many_languages_and_scripts(line, expected):
    assert parsed(line) == expected
    assert line.startswith(match_dateline(line).text.rstrip("."))


@pytest.mark.parametrize(
    ("line", "month"),
    [
        ("NEW YORK, Macrh 31 - Shares", 3),  # two letters swapped
        ("LONDON, Apri 1 - Shares", 4),  # one dropped
        ("FORT WAYNE, IND., Marchg 12 - Qtly div", 3),  # one added
        ("CHICAGO, Jume 5 - Futures", 6),  # one changed
    ],
)
def test_a_one_letter_typo_in_a_month_name_is_accepted_and_shown(line, month):
    found = find_publication_date([line], TODAY)
    assert (found.month, found.source) == (month, "dateline")
    typo = line.split(",")[-1].split()[0] if "IND." not in line else "Marchg"
    assert typo in found.text  # date_text shows the word as written


@pytest.mark.parametrize(
    "line",
    [
        "LONDON, Mya 5 - three-letter names are too short for the typo rule",
        "LONDON, Some 20 people died - police said",
        "LONDON, Xarch 5 - the first letter must be right",
        "LONDON, Mrahc 5 - two edits",
    ],
)
def test_typos_beyond_the_rule_give_no_date(line):
    assert find_publication_date([line], TODAY).month is None


def test_a_name_that_differs_between_languages_needs_the_language():
    # "listopad(a)": November in Polish and Czech, October in Croatian.
    line = "ZAGREB, 14. listopada 2018. (Hina) - Vlada"
    assert find_publication_date([line], TODAY).month is None
    assert parsed(line, "hr") == (2018, 10, 14)
    assert parsed("WARSZAWA, 14 listopada 2018 r. (PAP) - Rząd", "pl") == (2018, 11, 14)


def test_numeric_dates_use_the_languages_cldr_order_or_none():
    line = "WASHINGTON, 07/08/2017 (AP) - The"
    assert find_publication_date([line], TODAY).month is None  # 7 August or July 8?
    assert find_publication_date([line], TODAY, "en").month is None  # US and UK differ
    assert parsed(line, "de") == (2017, 8, 7)
    assert parsed("TOKYO, 28/07/2017 (Kyodo) - The", None) == (2017, 7, 28)  # 28 > 12
    assert parsed("MOSCOW, 07.08.2017 - Talks") == (2017, 8, 7)  # dots: day first


def test_a_weekday_that_contradicts_the_date_makes_it_invalid():
    found = find_publication_date(["Thursday, July 28, 2017 (EIRNS)—"], TODAY)
    assert found.source == "invalid" and found.published is None
    found = find_publication_date(["Freitag, 28. Juli 2017 (dpa) - Die"], TODAY)
    assert found.published == date(2017, 7, 28)
    assert find_publication_date(["2012年5月31日（金）"], TODAY).source == "invalid"  # a Thursday
    assert find_publication_date(["2012年5月31日（木）"], TODAY).published == date(2012, 5, 31)


@pytest.mark.parametrize(
    "line",
    [
        "ROTTERDAM PORT SUBSIDY TO END JULY 1 - MINISTER",  # a headline in capitals
        "ST LAWRENCE SEAWAY OPENING STILL MARCH 31",
        "U.S. FINANCIAL ANALYSTS - March 3",
        "Lavrov said 28 July (AFP) the talks",
        "In Moscow, July 28, is a holiday",
        "The talks began on 28 июля 2017 in Manila.",
        "По данным на 14 февраля 2018 г. ИНТЕРФАКС сообщил",
        "他说2017年7月28日的会议很重要。",
        "2012年5月31日（木）までで終了を予定していたキャンペーン",  # a sentence opens with it
    ],
)
def test_dates_inside_headlines_and_sentences_are_not_taken(line):
    assert find_publication_date([line], TODAY).month is None


def test_the_vocabulary_comes_from_cldr_for_every_language():
    names = month_names()
    assert len(languages()) == 55
    for language in languages():
        locale = Locale.parse(
            {"zh-cn": "zh_Hans", "zh-tw": "zh_Hant", "no": "nb", "tl": "fil"}.get(
                language, language
            )
        )
        wide = locale.months["format"]["wide"]
        ours = month_names(language)
        for number, name in wide.items():
            folded = unicodedata.normalize("NFC", name.casefold()).rstrip(".")
            assert ours.get(folded) == number, (language, name)
            # Unambiguous names are known without the language too.
            assert names.get(folded, number) == number


def test_a_two_digit_year_is_read_only_in_a_header_and_placed_in_its_latest_century():
    assert parsed("פורסם: 04.01.14 , 13:53") == (2014, 1, 4)  # Hebrew "Published:"
    assert parsed("Published: 27.06.97") == (1997, 6, 27)
    assert parsed("04.01.14") == (2014, 1, 4)  # a line that is only a date stamp
    assert find_publication_date(["Published: 01.01.27"], TODAY).published == date(1927, 1, 1)
    for line in ("MOSCOW, 28.07.17 - Talks", "Version 1.2.14 released", "Score 3.1.14 in"):
        assert find_publication_date([line], TODAY).month is None, line
