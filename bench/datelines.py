"""A synthetic corpus of wire datelines in many scripts and agency styles, for measuring only.

`bench.evaluate` builds it at evaluation time, into a temporary folder, from lingua-py's
sentences (`../shared/eval/lingua-sentences/`, 500 a language, file name = ISO code). It fills
in the scripts and agencies that the real `wire/` set lacks. Each article is made of:

- a headline: one sentence of the language, without its final full stop;
- a blank line;
- for some styles, a date header line (`2017年7月28日`, `Friday, July 28, 2017`,
  `28 กรกฎาคม 2560`) and a blank line;
- the first paragraph: a dateline in the agency's real style (`MOSCOW, July 28. /TASS/.`,
  `新华社北京7月28日电`, `WARSZAWA, 14 lutego 2018 r. (PAP) -`), written from the agencies'
  published copy, followed by sentences of the same language;
- more paragraphs, 3–6 sentences in all. For every sixth article the second paragraph
  opens with another date in that language's long form (`3 июля 2015 года …`). That date
  is not the publication date and must not be taken for it;
- for a few styles, the agency's sign-off line (`Reuter`, `/ritzau/`).

The dates vary deterministically (years 1990–2025, every month). Some styles give no year,
and some give no date at all (`ANKARA (AA) -`, `Warszawa (PAP) -`). About 30 % of the files
are written in the language's legacy code page (cp1252 … cp1258, cp874, cp932, euc_jp,
cp949, gb18030, big5, koi8-r, koi8-u, iso8859-2/-7/-16), chosen by a hash of the path. The
rest are UTF-8, a few with a BOM, and a few are UTF-16. A file whose text the code page
cannot hold, or does not decode back to itself, is written in UTF-8 instead. `truth.csv`
beside the files says what each one is.

lingua-sentences has no Chinese. The Chinese styles therefore take their sentences from
`../shared/eval/encodings/sample-chinese.txt` (a classical-Chinese Wikipedia text) when the
caller passes them. They are skipped otherwise.

Nothing here is test data or project data. Run `python -m bench.datelines LINGUA_DIR OUT_DIR`
to look at a corpus, and keep it out of the repository.
"""

from __future__ import annotations

import calendar
import csv
import hashlib
import random
import re
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import ftfy

FIRST_YEAR, LAST_YEAR = 1990, 2025
PER_STYLE = 30
MENTION_EVERY = 6  # every sixth article mentions another date in its second paragraph
LEGACY_SHARE = 0.30
BOM_SHARE = 0.04  # UTF-8 with BOM
UTF16_SHARE = 0.03

TRUTH_COLUMNS = (
    "path",
    "language",
    "style",
    "agency",
    "marker",
    "states_year",
    "states_month",
    "states_day",
    "date",
    "other_date",
    "encoding",
    "line_ends",
    "title",
    "dateline",
    "header",
    "sentences_from",
)


def _split(words: str) -> list[str]:
    out = words.split()
    assert len(out) == 12, words
    return out


# --------------------------------------------------------------------- month names

M = {
    "en": _split("January February March April May June July August September October "
                 "November December"),
    "en_reuters": _split("Jan Feb March April May June July Aug Sept Oct Nov Dec"),
    "en_pti": _split("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec"),
    "ru": _split("января февраля марта апреля мая июня июля августа сентября октября "
                 "ноября декабря"),
    "ru_ria": _split("янв фев мар апр мая июн июл авг сен окт ноя дек"),
    "uk": _split("січня лютого березня квітня травня червня липня серпня вересня жовтня "
                 "листопада грудня"),
    "bg": _split("януари февруари март април май юни юли август септември октомври "
                 "ноември декември"),
    "mk": _split("јануари февруари март април мај јуни јули август септември октомври "
                 "ноември декември"),
    "de": _split("Januar Februar März April Mai Juni Juli August September Oktober "
                 "November Dezember"),
    "fr": _split("janvier février mars avril mai juin juillet août septembre octobre "
                 "novembre décembre"),
    "fr_afp": _split("janv févr mars avr mai juin juil août sept oct nov déc"),
    "es": _split("enero febrero marzo abril mayo junio julio agosto septiembre octubre "
                 "noviembre diciembre"),
    "es_efe": _split("ene feb mar abr may jun jul ago sep oct nov dic"),
    "pt": _split("janeiro fevereiro março abril maio junho julho agosto setembro outubro "
                 "novembro dezembro"),
    "pt_lusa": _split("jan fev mar abr mai jun jul ago set out nov dez"),
    "it": _split("gennaio febbraio marzo aprile maggio giugno luglio agosto settembre "
                 "ottobre novembre dicembre"),
    "it_ansa": _split("GEN FEB MAR APR MAG GIU LUG AGO SET OTT NOV DIC"),
    "cs": _split("ledna února března dubna května června července srpna září října "
                 "listopadu prosince"),
    "sk": _split("januára februára marca apríla mája júna júla augusta septembra októbra "
                 "novembra decembra"),
    "pl": _split("stycznia lutego marca kwietnia maja czerwca lipca sierpnia września "
                 "października listopada grudnia"),
    "hu": _split("január február március április május június július augusztus "
                 "szeptember október november december"),
    "sl": _split("januarja februarja marca aprila maja junija julija avgusta septembra "
                 "oktobra novembra decembra"),
    "hr": _split("siječnja veljače ožujka travnja svibnja lipnja srpnja kolovoza rujna "
                 "listopada studenoga prosinca"),
    "ro": _split("ianuarie februarie martie aprilie mai iunie iulie august septembrie "
                 "octombrie noiembrie decembrie"),
    "ro_agerpres": _split("ian feb mar apr mai iun iul aug sep oct noi dec"),
    "el": _split("Ιανουαρίου Φεβρουαρίου Μαρτίου Απριλίου Μαΐου Ιουνίου Ιουλίου "
                 "Αυγούστου Σεπτεμβρίου Οκτωβρίου Νοεμβρίου Δεκεμβρίου"),
    "tr": _split("Ocak Şubat Mart Nisan Mayıs Haziran Temmuz Ağustos Eylül Ekim Kasım "
                 "Aralık"),
    "ar": _split("يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر "
                 "ديسمبر"),
    "fa": _split("ژانویه فوریه مارس آوریل مه ژوئن ژوئیه اوت سپتامبر اکتبر نوامبر دسامبر"),
    "th": _split("มกราคม กุมภาพันธ์ มีนาคม เมษายน พฤษภาคม มิถุนายน กรกฎาคม สิงหาคม "
                 "กันยายน ตุลาคม พฤศจิกายน ธันวาคม"),
    "th_abbr": _split("ม.ค. ก.พ. มี.ค. เม.ย. พ.ค. มิ.ย. ก.ค. ส.ค. ก.ย. ต.ค. พ.ย. ธ.ค."),
    "hi": _split("जनवरी फरवरी मार्च अप्रैल मई जून जुलाई अगस्त सितंबर अक्टूबर नवंबर दिसंबर"),
    "id": _split("Januari Februari Maret April Mei Juni Juli Agustus September Oktober "
                 "November Desember"),
    "nl": _split("januari februari maart april mei juni juli augustus september oktober "
                 "november december"),
    "sv": _split("januari februari mars april maj juni juli augusti september oktober "
                 "november december"),
    "da": _split("januar februar marts april maj juni juli august september oktober "
                 "november december"),
    "fi": _split("tammikuuta helmikuuta maaliskuuta huhtikuuta toukokuuta kesäkuuta "
                 "heinäkuuta elokuuta syyskuuta lokakuuta marraskuuta joulukuuta"),
    "et": _split("jaanuar veebruar märts aprill mai juuni juuli august september oktoober "
                 "november detsember"),
    "lv": _split("janvāris februāris marts aprīlis maijs jūnijs jūlijs augusts septembris "
                 "oktobris novembris decembris"),
    "lv_loc": _split("janvārī februārī martā aprīlī maijā jūnijā jūlijā augustā septembrī "
                     "oktobrī novembrī decembrī"),
    "lt": _split("sausio vasario kovo balandžio gegužės birželio liepos rugpjūčio rugsėjo "
                 "spalio lapkričio gruodžio"),
    "sq": _split("janar shkurt mars prill maj qershor korrik gusht shtator tetor nëntor "
                 "dhjetor"),
    "ca": _split("gener febrer març abril maig juny juliol agost setembre octubre novembre "
                 "desembre"),
    "he": _split("ינואר פברואר מרץ אפריל מאי יוני יולי אוגוסט ספטמבר אוקטובר נובמבר דצמבר"),
    "ur": _split("جنوری فروری مارچ اپریل مئی جون جولائی اگست ستمبر اکتوبر نومبر دسمبر"),
    "bn": _split("জানুয়ারি ফেব্রুয়ারি মার্চ এপ্রিল মে জুন জুলাই আগস্ট সেপ্টেম্বর অক্টোবর "
                 "নভেম্বর ডিসেম্বর"),
}  # fmt: skip

WEEKDAYS = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "hu": ["hétfő", "kedd", "szerda", "csütörtök", "péntek", "szombat", "vasárnap"],
    "sv": ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"],
}

_DIGITS = {
    "fa": "۰۱۲۳۴۵۶۷۸۹",  # Extended Arabic-Indic (Persian)
    "ar": "٠١٢٣٤٥٦٧٨٩",  # Arabic-Indic
    "bn": "০১২৩৪৫৬৭৮৯",  # Bengali
}


def digits(number: int | str, script: str) -> str:
    return str(number).translate(str.maketrans("0123456789", _DIGITS[script]))


def mon(table: str, d: date) -> str:
    return M[table][d.month - 1]


def _catalan_de(month: str) -> str:
    return "d'" if month[0] in "aeiou" else "de "


# Another date in each language's long form, to open a later paragraph with: a date the
# story mentions, which is not its publication date.
MENTION: dict[str, Callable[[date], str]] = {
    "en": lambda d: f"On {mon('en', d)} {d.day}, {d.year},",
    "ru": lambda d: f"{d.day} {mon('ru', d)} {d.year} года",
    "uk": lambda d: f"{d.day} {mon('uk', d)} {d.year} року",
    "bg": lambda d: f"На {d.day} {mon('bg', d)} {d.year} г.",
    "mk": lambda d: f"На {d.day} {mon('mk', d)} {d.year} година",
    "de": lambda d: f"Am {d.day}. {mon('de', d)} {d.year}",
    "fr": lambda d: f"Le {d.day} {mon('fr', d)} {d.year},",
    "es": lambda d: f"El {d.day} de {mon('es', d)} de {d.year},",
    "pt": lambda d: f"Em {d.day} de {mon('pt', d)} de {d.year},",
    "it": lambda d: f"Il {d.day} {mon('it', d)} {d.year}",
    "cs": lambda d: f"{d.day}. {mon('cs', d)} {d.year}",
    "sk": lambda d: f"{d.day}. {mon('sk', d)} {d.year}",
    "pl": lambda d: f"{d.day} {mon('pl', d)} {d.year} r.",
    "hu": lambda d: f"{d.year}. {mon('hu', d)} {d.day}.",
    "sl": lambda d: f"{d.day}. {mon('sl', d)} {d.year}",
    "hr": lambda d: f"{d.day}. {mon('hr', d)} {d.year}.",
    "ro": lambda d: f"Pe {d.day} {mon('ro', d)} {d.year},",
    "el": lambda d: f"Στις {d.day} {mon('el', d)} {d.year}",
    "tr": lambda d: f"{d.day} {mon('tr', d)} {d.year} tarihinde",
    "ar": lambda d: f"في {d.day} {mon('ar', d)} {d.year}",
    "fa": lambda d: f"{digits(d.day, 'fa')} {mon('fa', d)} {digits(d.year, 'fa')}",
    "th": lambda d: f"เมื่อวันที่ {d.day} {mon('th', d)} {d.year + 543}",
    "hi": lambda d: f"{d.day} {mon('hi', d)} {d.year} को",
    "vi": lambda d: f"Ngày {d.day} tháng {d.month} năm {d.year},",
    "id": lambda d: f"Pada {d.day} {mon('id', d)} {d.year},",
    "nl": lambda d: f"Op {d.day} {mon('nl', d)} {d.year}",
    "sv": lambda d: f"Den {d.day} {mon('sv', d)} {d.year}",
    "da": lambda d: f"Den {d.day}. {mon('da', d)} {d.year}",
    "fi": lambda d: f"{d.day}. {mon('fi', d)} {d.year}",
    "et": lambda d: f"{d.day}. {mon('et', d)} {d.year}",
    "lv": lambda d: f"{d.year}. gada {d.day}. {mon('lv_loc', d)}",
    "lt": lambda d: f"{d.year} m. {mon('lt', d)} {d.day} d.",
    "sq": lambda d: f"Më {d.day} {mon('sq', d)} {d.year},",
    "ca": lambda d: f"El {d.day} {_catalan_de(mon('ca', d))}{mon('ca', d)} de {d.year},",
    "he": lambda d: f"ב-{d.day} ב{mon('he', d)} {d.year}",
    "ur": lambda d: f"{d.day} {mon('ur', d)} {d.year} کو",
    "bn": lambda d: f"{digits(d.day, 'bn')} {mon('bn', d)} {digits(d.year, 'bn')}",
    "ko": lambda d: f"{d.year}년 {d.month}월 {d.day}일",
    "ja": lambda d: f"{d.year}年{d.month}月{d.day}日、",
    "zh": lambda d: f"{d.year}年{d.month}月{d.day}日，",
}
NO_SPACE_LANGUAGES = {"ja", "zh", "th"}

# Legacy code pages per language (the first is the usual one; a hash picks among them).
LEGACY: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        ("en", "de", "fr", "es", "pt", "it", "nl", "sv", "da", "fi", "ca", "id", "sq"),
        ("cp1252",),
    ),
    **dict.fromkeys(("cs", "sk", "hu", "sl", "hr"), ("cp1250",)),
    "pl": ("cp1250", "iso8859_2"),
    "ro": ("cp1250", "iso8859_16"),
    "ru": ("cp1251", "koi8_r"),
    "uk": ("cp1251", "koi8_u"),
    "bg": ("cp1251",),
    "mk": ("cp1251",),
    "el": ("cp1253", "iso8859_7"),
    "tr": ("cp1254",),
    "he": ("cp1255",),
    "ar": ("cp1256",),
    "fa": ("cp1256",),
    "ur": ("cp1256",),
    "et": ("cp1257",),
    "lv": ("cp1257",),
    "lt": ("cp1257",),
    "vi": ("cp1258",),
    "th": ("cp874",),
    "ja": ("cp932", "euc_jp"),
    "ko": ("cp949",),
    "zh": ("gb18030", "big5"),
}


# --------------------------------------------------------------------- styles

Render = Callable[[date, random.Random], str]


@dataclass(frozen=True, slots=True)
class Style:
    """One agency's dateline style. The flags say what the whole opening states."""

    name: str
    language: str
    agency: str  # outlet slug; '' when the text names no outlet
    marker: bool  # the text names the agency (dateline marker or sign-off)
    year: bool
    month: bool
    day: bool
    dateline: Render  # opens the first paragraph; returns '' for no dateline
    header: Render | None = None  # a date line above the story
    signoff: str | None = None  # last line
    own_line: bool = False  # the dateline stands on a line of its own
    count: int = PER_STYLE
    sentences_from: str = "lingua"

    @property
    def states(self) -> str:
        """'YMD', 'MD', 'D' or '-': what the opening states."""
        flags = (("Y", self.year), ("M", self.month), ("D", self.day))
        return "".join(letter for letter, on in flags if on) or "-"


def pick(*options: str) -> Callable[[random.Random], str]:
    return lambda r: r.choice(options)


def typo(word: str, r: random.Random) -> str:
    """A one-letter slip: two neighbouring letters swapped ('Macrh') or the last dropped."""
    months = {m.lower() for m in M["en"]}
    for _ in range(10):
        if r.random() < 0.5 and len(word) > 3:
            i = r.randrange(1, len(word) - 2)
            out = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        else:
            out = word[:-1]
        if out != word and out.lower() not in months:
            return out
    return word[:-1]


_en_cities = pick("MOSCOW", "ST. PETERSBURG", "VLADIVOSTOK", "KALININGRAD", "MINSK")
_reuters_cities = pick(
    "GRONINGEN, the Netherlands", "NITRO, W. Va.", "PORTLAND, Ore.", "SALVADOR, Brazil",
    "ROCHESTER, N.Y.", "LYON, France", "TORONTO", "LONDON", "SANTIAGO, Chile", "HOUSTON",
)  # fmt: skip
_zh_reporters = pick("王立", "李明", "张华", "刘洋", "陈静")
_tw_reporters = pick("陳家倫", "林克倫", "張淑伶", "黃名璽")
_ko_reporters = pick("김민수", "이지은", "박성현", "최영호", "정다은")


def _hms(r: random.Random) -> str:
    return f"{r.randrange(6, 23):02d}:{r.randrange(60):02d}"


STYLES: tuple[Style, ...] = (
    # ---- Russian agencies, in Russian and English
    Style("tass-en", "en", "tass", True, False, True, True,
          lambda d, r: f"{_en_cities(r)}, {mon('en', d)} {d.day}. /TASS/. "),
    Style("tass-ru", "ru", "tass", True, False, True, True,
          lambda d, r: f"{pick('МОСКВА', 'САНКТ-ПЕТЕРБУРГ', 'ВЛАДИВОСТОК', 'КАЗАНЬ')(r)}, "
                       f"{d.day} {mon('ru', d)}. /ТАСС/. "),
    Style("interfax-ru", "ru", "interfax", True, True, True, True,
          lambda d, r: f"{pick('Москва', 'Санкт-Петербург', 'Екатеринбург', 'Новосибирск')(r)}"
                       f". {d.day} {mon('ru', d)} {d.year} г. ИНТЕРФАКС - "),
    Style("interfax-ru-site", "ru", "interfax", True, False, True, True,
          lambda d, r: f"{pick('Москва', 'Санкт-Петербург', 'Екатеринбург')(r)}. "
                       f"{d.day} {mon('ru', d)}. INTERFAX.RU - "),
    Style("ria-ru", "ru", "ria", True, False, True, True,
          lambda d, r: f"{pick('МОСКВА', 'САНКТ-ПЕТЕРБУРГ', 'СОЧИ')(r)}, "
                       f"{d.day} {mon('ru_ria', d)} — РИА Новости. "),
    Style("interfax-en", "en", "interfax", True, True, True, True,
          lambda d, r: f"(Interfax – {pick('Moscow', 'St. Petersburg', 'Minsk')(r)}, "
                       f"{mon('en', d)} {d.day}, {d.year}) "),
    # ---- Xinhua and other English-language wires
    Style("xinhua-en", "en", "xinhua", True, True, True, True,
          lambda d, r: f"{pick('BEIJING', 'SHANGHAI', 'NAIROBI', 'CAIRO', 'GENEVA')(r)}, "
                       f"{mon('en', d)} {d.day}, {d.year} (Xinhua) -- "),
    Style("xinhua-en-noyear", "en", "xinhua", True, False, True, True,
          lambda d, r: f"{pick('BEIJING', 'WASHINGTON', 'UNITED NATIONS', 'BRUSSELS')(r)}, "
                       f"{mon('en', d)} {d.day} (Xinhua) -- "),
    Style("reuters-en", "en", "reuters", True, False, True, True,
          lambda d, r: f"{_reuters_cities(r)}, {mon('en_reuters', d)} {d.day} - ",
          signoff="Reuter"),
    Style("reuters-en-typo", "en", "reuters", True, False, True, True,
          lambda d, r: f"{_reuters_cities(r)}, {typo(mon('en', d), r)} {d.day} - ",
          signoff="Reuter"),
    Style("reuters-en-nodate", "en", "reuters", True, False, False, False,
          lambda d, r: f"{pick('LONDON', 'NEW YORK', 'FRANKFURT', 'TOKYO')(r)} (Reuters) - "),
    Style("ap-en-weekday", "en", "ap", True, True, True, True,
          lambda d, r: f"{pick('WASHINGTON', 'NEW YORK', 'LOS ANGELES', 'CHICAGO')(r)} (AP) — ",
          header=lambda d, r: f"{WEEKDAYS['en'][d.weekday()]}, {mon('en', d)} {d.day}, {d.year}"),
    Style("bernama-en", "en", "bernama", True, False, True, True,
          lambda d, r: f"{pick('KUALA LUMPUR', 'PUTRAJAYA', 'GEORGE TOWN')(r)}, "
                       f"{mon('en', d)} {d.day} (Bernama) -- "),
    Style("pti-en", "en", "pti", True, False, True, True,
          lambda d, r: f"{pick('NEW DELHI', 'MUMBAI', 'KOLKATA', 'CHENNAI')(r)}, "
                       f"{mon('en_pti', d)} {d.day} (PTI) "),
    # ---- Chinese, Korean, Japanese
    Style("xinhua-zh", "zh", "xinhua", True, False, True, True,
          lambda d, r: f"新华社{pick('北京', '上海', '广州', '华盛顿')(r)}{d.month}月{d.day}日电"
                       f"（记者{_zh_reporters(r)}）",
          count=20, sentences_from="encodings/sample-chinese.txt"),
    Style("xinhua-zh-header", "zh", "xinhua", True, True, True, True,
          lambda d, r: f"新华社{pick('北京', '上海', '香港')(r)}{d.month}月{d.day}日电"
                       f"（记者{_zh_reporters(r)}）",
          header=lambda d, r: f"{d.year}年{d.month}月{d.day}日",
          count=20, sentences_from="encodings/sample-chinese.txt"),
    Style("cna-zh", "zh", "cna", True, True, True, True,
          lambda d, r: f"（中央社記者{_tw_reporters(r)}"
                       f"{pick('台北', '台中', '高雄')(r)}{d.day}日電）",
          header=lambda d, r: f"{d.year}/{d.month}/{d.day} {_hms(r)}",
          count=20, sentences_from="encodings/sample-chinese.txt"),
    Style("yonhap-ko", "ko", "yonhap", True, True, True, True,
          lambda d, r: f"({pick('서울', '부산', '워싱턴', '베이징', '도쿄')(r)}=연합뉴스) "
                       f"{_ko_reporters(r)} 기자 = ",
          header=lambda d, r: f"{d.year}년 {d.month}월 {d.day}일"),
    Style("kyodo-ja", "ja", "kyodo", True, True, True, True,
          lambda d, r: f"【{pick('ワシントン', '北京', 'ソウル', 'ロンドン', 'ニューヨーク')(r)}"
                       "共同】",
          header=lambda d, r: f"{d.year}年{d.month}月{d.day}日"),
    # ---- Western Europe
    Style("dpa-de", "de", "dpa", True, True, True, True,
          lambda d, r: f"{pick('BERLIN', 'HAMBURG', 'MÜNCHEN', 'FRANKFURT/MAIN', 'KÖLN')(r)}, "
                       f"{d.day}. {mon('de', d)} {d.year} (dpa) - "),
    Style("dpa-de-nodate", "de", "dpa", True, False, False, False,
          lambda d, r: f"{pick('Berlin', 'Hamburg', 'München', 'Stuttgart')(r)} (dpa) - "),
    Style("afp-fr", "fr", "afp", True, True, True, True,
          lambda d, r: f"{pick('PARIS', 'LYON', 'MARSEILLE', 'BRUXELLES', 'GENÈVE')(r)}, "
                       f"{d.day} {mon('fr_afp', d)} {d.year} (AFP) - "),
    Style("efe-es", "es", "efe", True, False, True, True,
          lambda d, r: f"{pick('Madrid', 'Barcelona', 'Bogotá', 'México', 'Buenos Aires')(r)}, "
                       f"{d.day} {mon('es_efe', d)} (EFE).- "),
    Style("europapress-es", "es", "europapress", True, False, False, True,
          lambda d, r: f"{pick('MADRID', 'SEVILLA', 'BARCELONA', 'VALENCIA')(r)}, "
                       f"{d.day} (EUROPA PRESS)",
          own_line=True),
    Style("lusa-pt", "pt", "lusa", True, False, True, True,
          lambda d, r: f"{pick('Lisboa', 'Porto', 'Coimbra', 'Luanda', 'Maputo')(r)}, "
                       f"{d.day} {mon('pt_lusa', d)} (Lusa) - "),
    Style("ansa-it", "it", "ansa", True, False, True, True,
          lambda d, r: f"{pick('ROMA', 'MILANO', 'NAPOLI', 'TORINO', 'BRUXELLES')(r)}, "
                       f"{d.day} {mon('it_ansa', d)} (ANSA) - "),
    Style("ansa-it-web", "it", "ansa", True, False, True, True,
          lambda d, r: f"(ANSA) - {pick('ROMA', 'MILANO', 'FIRENZE', 'BOLOGNA')(r)}, "
                       f"{d.day:02d} {mon('it_ansa', d)} - "),
    Style("anp-nl", "nl", "anp", True, True, True, True,
          lambda d, r: f"{pick('DEN HAAG', 'AMSTERDAM', 'ROTTERDAM', 'UTRECHT')(r)} (ANP) - ",
          header=lambda d, r: f"{d.day} {mon('nl', d)} {d.year}"),
    Style("tt-sv-weekday", "sv", "tt", True, True, True, True,
          lambda d, r: f"{pick('STOCKHOLM', 'GÖTEBORG', 'MALMÖ', 'UPPSALA')(r)} (TT) ",
          header=lambda d, r: f"{WEEKDAYS['sv'][d.weekday()]} {d.day} {mon('sv', d)} {d.year}"),
    Style("ritzau-da", "da", "ritzau", True, True, True, True,
          lambda d, r: "",
          header=lambda d, r: f"{d.day}. {mon('da', d)} {d.year}", signoff="/ritzau/"),
    Style("stt-fi", "fi", "stt", True, True, True, True,
          lambda d, r: f"{pick('HELSINKI', 'TAMPERE', 'TURKU', 'OULU')(r)} (STT) ",
          header=lambda d, r: f"{d.day}.{d.month}.{d.year} {_hms(r)}"),
    Style("acn-ca", "ca", "acn", True, True, True, True,
          lambda d, r: f"{pick('Barcelona', 'Girona', 'Lleida', 'Tarragona')(r)} (ACN).- ",
          header=lambda d, r: f"{d.day} {_catalan_de(mon('ca', d))}{mon('ca', d)} de {d.year}"),
    # ---- Central and Eastern Europe
    Style("ctk-cs", "cs", "ctk", True, False, True, True,
          lambda d, r: f"{pick('Praha', 'Brno', 'Ostrava', 'Plzeň', 'Olomouc')(r)} "
                       f"{d.day}. {mon('cs', d)} (ČTK) - "),
    Style("tasr-sk", "sk", "tasr", True, False, True, True,
          lambda d, r: f"{pick('Bratislava', 'Košice', 'Žilina', 'Prešov', 'Nitra')(r)} "
                       f"{d.day}. {mon('sk', d)} (TASR) - "),
    Style("pap-pl", "pl", "pap", True, True, True, True,
          lambda d, r: f"{pick('WARSZAWA', 'KRAKÓW', 'GDAŃSK', 'POZNAŃ', 'WROCŁAW')(r)}, "
                       f"{d.day} {mon('pl', d)} {d.year} r. (PAP) - "),
    Style("pap-pl-nodate", "pl", "pap", True, False, False, False,
          lambda d, r: f"{pick('Warszawa', 'Kraków', 'Gdańsk', 'Łódź')(r)} (PAP) - "),
    Style("mti-hu", "hu", "mti", True, True, True, True,
          lambda d, r: f"{pick('BUDAPEST', 'DEBRECEN', 'SZEGED', 'PÉCS', 'GYŐR')(r)}, "
                       f"{d.year}. {mon('hu', d)} {d.day}. (MTI) – "),
    Style("mti-hu-weekday", "hu", "mti", True, True, True, True,
          lambda d, r: f"{pick('Budapest', 'Debrecen', 'Szeged')(r)}, {d.year}. {mon('hu', d)} "
                       f"{d.day}., {WEEKDAYS['hu'][d.weekday()]} (MTI) – "),
    Style("sta-sl", "sl", "sta", True, False, True, True,
          lambda d, r: f"{pick('Ljubljana', 'Maribor', 'Koper', 'Celje', 'Kranj')(r)}, "
                       f"{d.day}. {mon('sl', d)} (STA) - "),
    Style("hina-hr", "hr", "hina", True, True, True, True,
          lambda d, r: f"{pick('ZAGREB', 'SPLIT', 'RIJEKA', 'OSIJEK', 'ZADAR')(r)}, "
                       f"{d.day}. {mon('hr', d)} {d.year}. (Hina) - "),
    Style("agerpres-ro", "ro", "agerpres", True, True, True, True,
          lambda d, r: f"{pick('BUCUREŞTI', 'CLUJ-NAPOCA', 'IAŞI', 'TIMIŞOARA', 'CONSTANŢA')(r)}"
                       f", {d.day} {mon('ro_agerpres', d)} {d.year} /Agerpres/ - "),
    Style("agerpres-ro-noyear", "ro", "agerpres", True, False, True, True,
          lambda d, r: f"{pick('Bucureşti', 'Cluj-Napoca', 'Iaşi', 'Braşov')(r)}, "
                       f"{d.day} {mon('ro_agerpres', d)} /Agerpres/ - "),
    Style("ukrinform-uk", "uk", "ukrinform", True, True, True, True,
          lambda d, r: f"{pick('КИЇВ', 'ЛЬВІВ', 'ХАРКІВ', 'ОДЕСА', 'ДНІПРО')(r)}, "
                       f"{d.day} {mon('uk', d)} {d.year} р. /Укрінформ/. "),
    Style("bta-bg", "bg", "bta", True, False, True, True,
          lambda d, r: f"{pick('СОФИЯ', 'ПЛОВДИВ', 'ВАРНА', 'БУРГАС', 'РУСЕ')(r)}, "
                       f"{d.day} {mon('bg', d)} (БТА) "),
    Style("bta-bg-slash", "bg", "bta", True, False, True, True,
          lambda d, r: f"{pick('София', 'Пловдив', 'Варна', 'Бургас')(r)}, "
                       f"{d.day} {mon('bg', d)} /БТА/. "),
    Style("mia-mk", "mk", "mia", True, True, True, True,
          lambda d, r: f"{pick('Скопје', 'Битола', 'Охрид', 'Куманово')(r)}, "
                       f"{d.day} {mon('mk', d)} {d.year} (МИА) - "),
    Style("ata-sq", "sq", "ata", True, False, True, True,
          lambda d, r: f"{pick('Tiranë', 'Durrës', 'Shkodër', 'Vlorë', 'Elbasan')(r)}, "
                       f"{d.day} {mon('sq', d)} /ATSH/ - "),
    Style("anampa-el", "el", "ana-mpa", True, False, True, True,
          lambda d, r: f"{pick('ΑΘΗΝΑ', 'ΘΕΣΣΑΛΟΝΙΚΗ', 'ΠΑΤΡΑ', 'ΗΡΑΚΛΕΙΟ', 'ΒΡΥΞΕΛΛΕΣ')(r)}, "
                       f"{d.day} {mon('el', d)} (ΑΠΕ-ΜΠΕ) "),
    Style("aa-tr", "tr", "anadolu", True, True, True, True,
          lambda d, r: f"{pick('İSTANBUL', 'ANKARA', 'İZMİR', 'BURSA', 'ANTALYA')(r)}, "
                       f"{d.day} {mon('tr', d)} {d.year} (AA) - "),
    Style("aa-tr-nodate", "tr", "anadolu", True, False, False, False,
          lambda d, r: f"{pick('ANKARA', 'İSTANBUL', 'İZMİR', 'DİYARBAKIR')(r)} (AA) - "),
    # ---- Baltic
    Style("bns-et", "et", "bns", True, False, True, True,
          lambda d, r: f"{pick('TALLINN', 'TARTU', 'PÄRNU', 'NARVA')(r)}, "
                       f"{d.day}. {mon('et', d)}, BNS - "),
    Style("leta-lv", "lv", "leta", True, False, True, True,
          lambda d, r: f"{pick('RĪGA', 'DAUGAVPILS', 'LIEPĀJA', 'JELGAVA')(r)}, "
                       f"{d.day}. {mon('lv', d)}, LETA. "),
    Style("elta-lt", "lt", "elta", True, False, True, True,
          lambda d, r: f"{pick('Vilnius', 'Kaunas', 'Klaipėda', 'Šiauliai')(r)}, "
                       f"{mon('lt', d)} {d.day} d. (ELTA). "),
    # ---- Middle East
    Style("reuters-ar", "ar", "reuters", True, False, True, True,
          lambda d, r: f"{pick('القاهرة', 'دبي', 'بيروت', 'الرياض', 'بغداد')(r)} "
                       f"{d.day} {mon('ar', d)} (رويترز) - "),
    Style("reuters-ar-nodate", "ar", "reuters", True, False, False, False,
          lambda d, r: f"{pick('القاهرة', 'دبي', 'بيروت', 'عمان')(r)} (رويترز) - "),
    Style("kuna-ar", "ar", "kuna", True, False, True, True,
          lambda d, r: f"{pick('الكويت', 'نيويورك', 'القاهرة', 'جنيف')(r)} - {d.day} - "
                       f"{d.month} (كونا) -- "),
    Style("wam-ar", "ar", "wam", True, False, True, True,
          lambda d, r: f"{pick('أبوظبي', 'دبي', 'الشارقة')(r)} في {d.day} {mon('ar', d)} / وام / "),
    Style("mena-ar-indic", "ar", "mena", True, True, True, True,
          lambda d, r: f"{pick('القاهرة', 'الإسكندرية', 'أسوان')(r)} في {digits(d.day, 'ar')} "
                       f"{mon('ar', d)} {digits(d.year, 'ar')} /أ ش أ/ "),
    Style("irna-fa", "fa", "irna", True, True, True, True,
          lambda d, r: f"{pick('تهران', 'مشهد', 'اصفهان', 'تبریز', 'شیراز')(r)}- ایرنا- ",
          header=lambda d, r: f"{digits(d.day, 'fa')} {mon('fa', d)} {digits(d.year, 'fa')}"),
    Style("header-he", "he", "", False, True, True, True,
          lambda d, r: "",
          header=lambda d, r: f"{d.day} ב{mon('he', d)} {d.year}"),
    Style("ynet-he", "he", "ynet", False, True, True, True,
          lambda d, r: "",
          header=lambda d, r: f"פורסם: {d.day:02d}.{d.month:02d}.{d.year % 100:02d} , {_hms(r)}"),
    # ---- South and Southeast Asia
    Style("bhasha-hi", "hi", "pti", True, False, True, True,
          lambda d, r: f"{pick('नयी दिल्ली', 'मुंबई', 'कोलकाता', 'लखनऊ', 'जयपुर')(r)}, "
                       f"{d.day} {mon('hi', d)} (भाषा) "),
    Style("varta-hi", "hi", "uni", True, False, True, True,
          lambda d, r: f"{pick('नयी दिल्ली', 'पटना', 'भोपाल', 'चंडीगढ़')(r)}, "
                       f"{d.day} {mon('hi', d)} (वार्ता) "),
    Style("app-ur-nodate", "ur", "app", True, False, False, False,
          lambda d, r: f"{pick('اسلام آباد', 'لاہور', 'کراچی', 'پشاور')(r)} (اے پی پی) "),
    Style("bss-bn", "bn", "bss", True, True, True, True,
          lambda d, r: f"{pick('ঢাকা', 'চট্টগ্রাম', 'রাজশাহী', 'খুলনা')(r)}, "
                       f"{digits(d.day, 'bn')} {mon('bn', d)}, {digits(d.year, 'bn')} (বাসস) : "),
    Style("tna-th", "th", "tna", True, True, True, True,
          lambda d, r: f"{pick('กรุงเทพฯ', 'เชียงใหม่', 'ภูเก็ต', 'ขอนแก่น')(r)} "
                       f"{d.day} {mon('th_abbr', d)}- ",
          header=lambda d, r: f"{d.day} {mon('th', d)} {d.year + 543}",
          signoff="- สำนักข่าวไทย"),
    Style("vna-vi", "vi", "vna", True, True, True, True,
          lambda d, r: f"{pick('Hà Nội', 'TP Hồ Chí Minh', 'Đà Nẵng', 'Hải Phòng')(r)}, "
                       f"ngày {d.day} tháng {d.month} năm {d.year} (TTXVN) - "),
    Style("vna-vi-short", "vi", "vna", True, False, True, True,
          lambda d, r: f"{pick('Hà Nội', 'Cần Thơ', 'Huế', 'Đà Nẵng')(r)}, "
                       f"{d.day}/{d.month} (TTXVN) - "),
    Style("antara-id", "id", "antara", True, True, True, True,
          lambda d, r: f"{pick('Jakarta', 'Surabaya', 'Bandung', 'Medan', 'Makassar')(r)}, "
                       f"{d.day} {mon('id', d)} {d.year} (ANTARA) - "),
    Style("antara-id-short", "id", "antara", True, False, True, True,
          lambda d, r: f"{pick('Jakarta', 'Semarang', 'Denpasar')(r)}, {d.day}/{d.month} "
                       f"(ANTARA) - "),
    Style("antara-id-nodate", "id", "antara", True, False, False, False,
          lambda d, r: f"{pick('Jakarta', 'Yogyakarta', 'Palembang')(r)} (ANTARA) - "),
)  # fmt: skip


# --------------------------------------------------------------------- sentences

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b\u2028\u2029\ufeff]")
_HEADLINE_END = ".。।؛;:,，、"


_MONTH_WORDS = {w.casefold().rstrip(".") for table in M.values() for w in table}
_WORD_EDGE = ".,:;'’\"«»„“()[]-–—"


def opens_with_date(text: str) -> bool:
    """A digit in the first three words, or a month name first: the sentence could pass
    for a dateline or a date header, and the truth would no longer be certain."""
    words = text.split()[:3]
    if any(ch.isdigit() for word in words for ch in word):
        return True
    return bool(words) and words[0].strip(_WORD_EDGE).casefold() in _MONTH_WORDS


def clean_sentences(lines: list[str]) -> list[str]:
    """Whitespace collapsed, NFC, no control characters. Drops sentences that open with a
    date, that do not start with a letter or a quote, and those with mojibake in them
    (ftfy would change them, so "decoded text equals the original" would be ill-defined)."""
    out = []
    for line in lines:
        text = unicodedata.normalize("NFC", " ".join(line.split()))
        if not 15 <= len(text) <= 400 or _CONTROL.search(text) or "\ufffd" in text:
            continue
        if not text[0].isalpha() and text[0] not in "\"'«„“(":
            continue
        if opens_with_date(text) or ftfy.fix_encoding(text) != text:
            continue
        out.append(text)
    return out


def load_sentences(lingua_dir: Path, extra: dict[str, list[str]] | None = None) -> dict:
    languages = {s.language for s in STYLES}
    pools: dict[str, list[str]] = {}
    for code in sorted(languages):
        path = lingua_dir / f"{code}.txt"
        if path.is_file():
            pools[code] = clean_sentences(path.read_text(encoding="utf-8").split("\n"))
    for code, lines in (extra or {}).items():
        pools.setdefault(code, clean_sentences(lines))
    return {code: pool for code, pool in pools.items() if len(pool) >= 8}


def chinese_sentences(path: Path) -> list[str]:
    """Sentences of encodings/sample-chinese.txt (Big5), split after 。 and ；."""
    if not path.is_file():
        return []
    text = path.read_bytes().decode("big5", errors="replace")
    parts = re.split(r"(?<=[。；])", " ".join(text.split()))
    return [p.strip() for p in parts if len(p.strip()) >= 8 and p.strip()[0].isalpha()]


# --------------------------------------------------------------------- articles


@dataclass(frozen=True, slots=True)
class Article:
    path: str
    style: Style
    date: date
    other_date: date | None
    title: str
    dateline: str
    header: str | None
    text: str  # what the file says, NFC, LF line ends
    encoding: str  # the codec it is written in
    line_ends: str  # 'lf' or 'crlf'
    raw: bytes

    def truth(self) -> dict[str, str]:
        s = self.style
        return {
            "path": self.path,
            "language": s.language,
            "style": s.name,
            "agency": s.agency,
            "marker": str(int(s.marker)),
            "states_year": str(int(s.year)),
            "states_month": str(int(s.month)),
            "states_day": str(int(s.day)),
            "date": self.date.isoformat(),
            "other_date": self.other_date.isoformat() if self.other_date else "",
            "encoding": self.encoding,
            "line_ends": self.line_ends,
            "title": self.title,
            "dateline": self.dateline,
            "header": self.header or "",
            "sentences_from": s.sentences_from,
        }


def article_date(style_index: int, i: int, r: random.Random) -> date:
    span = LAST_YEAR - FIRST_YEAR + 1
    year = FIRST_YEAR + (i * 11 + style_index * 7) % span
    month = 1 + (i + style_index) % 12
    return date(year, month, r.randint(1, calendar.monthrange(year, month)[1]))


def other_date(d: date, r: random.Random) -> date:
    span = LAST_YEAR - FIRST_YEAR + 1
    year = FIRST_YEAR + (d.year - FIRST_YEAR + r.randint(1, span - 1)) % span
    month = 1 + (d.month - 1 + r.randint(1, 11)) % 12
    return date(year, month, r.randint(1, calendar.monthrange(year, month)[1]))


def _fraction(path: str, salt: str) -> float:
    digest = hashlib.sha256(f"{salt}:{path}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _cp1258_form(text: str) -> str:
    """Vietnamese as Windows-1258 holds it: precomposed base letters, separate tone marks."""
    tones = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
    out = []
    for ch in text:
        try:
            ch.encode("cp1258")
            out.append(ch)
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
        out.append(base + "".join(c for c in parts if c in tones))
    return "".join(out)


def encode(text: str, language: str, path: str) -> tuple[str, bytes, str]:
    """(codec, bytes, line ends) for one file, chosen deterministically by its path."""
    share = _fraction(path, "encoding")
    crlf = _fraction(path, "crlf") < 0.25
    if share < LEGACY_SHARE and language in LEGACY:
        options = LEGACY[language]
        codec = options[int(_fraction(path, "codec") * len(options))]
        body = text.replace("\n", "\r\n") if crlf else text
        source = _cp1258_form(body) if codec == "cp1258" else body
        try:
            raw = source.encode(codec)
            if unicodedata.normalize("NFC", raw.decode(codec)) == unicodedata.normalize(
                "NFC", body
            ):
                return codec, raw, "crlf" if crlf else "lf"
        except UnicodeError:
            pass
    if share < LEGACY_SHARE + BOM_SHARE:
        return "utf-8-sig", text.encode("utf-8-sig"), "lf"
    if share < LEGACY_SHARE + BOM_SHARE + UTF16_SHARE:
        return "utf-16", text.encode("utf-16"), "lf"
    return "utf-8", text.encode("utf-8"), "lf"


def _continued(language: str, sentence: str) -> str:
    """A sentence that now follows a date phrase: its first letter in lower case, unless
    it starts an acronym or the language capitalizes nouns."""
    if language == "de" or len(sentence) < 2 or sentence[1].isupper():
        return sentence
    return sentence[0].lower() + sentence[1:]


def _join(language: str, parts: list[str]) -> str:
    return ("" if language in NO_SPACE_LANGUAGES else " ").join(parts)


def make_article(style: Style, style_index: int, i: int, pool: list[str]) -> Article:
    r = random.Random(f"{style.name}:{i}")
    lang = style.language
    when = article_date(style_index, i, r)
    headlines = [s for s in pool if len(s) <= 160] or pool
    title = r.choice(headlines).rstrip(_HEADLINE_END).rstrip()
    body_pool = [s for s in pool if s.rstrip(_HEADLINE_END).rstrip() != title]
    sentences = r.sample(body_pool, min(len(body_pool), r.randint(3, 6)))
    dateline = style.dateline(when, r)
    header = style.header(when, r) if style.header else None
    mention = other_date(when, r) if i % MENTION_EVERY == MENTION_EVERY - 1 else None

    # Paragraphs of one or two sentences; the first opens with the dateline.
    paragraphs: list[str] = []
    rest = list(sentences)
    while rest:
        take = 2 if len(rest) > 2 and r.random() < 0.4 else 1
        paragraphs.append(_join(lang, rest[:take]))
        rest = rest[take:]
    if mention is not None and len(paragraphs) >= 2:
        paragraphs[1] = _join(lang, [MENTION[lang](mention), _continued(lang, paragraphs[1])])
    elif mention is not None:
        mention = None
    first = [dateline.strip(), paragraphs[0]] if style.own_line else [dateline + paragraphs[0]]
    blocks = [title, *([header] if header else []), *first, *paragraphs[1:]]
    if style.signoff:
        blocks.append(style.signoff)
    text = unicodedata.normalize("NFC", "\n\n".join(blocks) + "\n")
    path = f"{lang}/{style.name}-{i:03d}.txt"
    codec, raw, line_ends = encode(text, lang, path)
    return Article(
        path=path,
        style=style,
        date=when,
        other_date=mention,
        title=title,
        dateline=dateline.strip(),
        header=header,
        text=text,
        encoding=codec,
        line_ends=line_ends,
        raw=raw,
    )


def build_corpus(lingua_dir: Path, extra: dict[str, list[str]] | None = None) -> list[Article]:
    """Every article of every style whose language has sentences; deterministic."""
    pools = load_sentences(lingua_dir, extra)
    articles = []
    for k, style in enumerate(STYLES):
        pool = pools.get(style.language)
        if pool is None:
            continue
        articles.extend(make_article(style, k, i, pool) for i in range(style.count))
    return articles


def write_corpus(articles: list[Article], out_dir: Path) -> Path:
    """Write the files and truth.csv under out_dir (a temporary folder); returns truth.csv."""
    for article in articles:
        target = out_dir / article.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(article.raw)
    truth = out_dir / "truth.csv"
    with truth.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=TRUTH_COLUMNS)
        writer.writeheader()
        writer.writerows(a.truth() for a in articles)
    return truth


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m bench.datelines LINGUA_DIR OUT_DIR (for measuring only)")
        return 2
    lingua, out = Path(args[0]), Path(args[1])
    zh = chinese_sentences(lingua.parent / "encodings" / "sample-chinese.txt")
    articles = build_corpus(lingua, {"zh": zh} if zh else None)
    truth = write_corpus(articles, out)
    print(f"{len(articles)} articles, truth in {truth}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
