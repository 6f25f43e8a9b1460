"""The built-in outlet registry: every outlet's credit lines, what must not count as one,
and the combined expressions that must answer exactly as the patterns one by one."""

from __future__ import annotations

import json
import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langdetect.detector_factory import PROFILES_DIRECTORY
from wirehouse.tasks.sources import (
    RegistryError,
    SourceTag,
    _shape,
    detect_outlet,
    is_chrome_line,
    is_signoff_line,
    load_registry,
)

REGISTRY = load_registry()
BY_SLUG = {o.slug: o for o in REGISTRY.outlets}
LANGDETECT = frozenset(os.listdir(PROFILES_DIRECTORY))
NOT_IN_LANGDETECT = frozenset({"ms"})  # Malay (Bernama): ISO 639-1, but langdetect lacks it
BASE = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# Opening lines in each outlet's own dateline style (written for these tests).
DATELINES = {
    "tass": [
        "MOSCOW, July 28. /TASS/. Russia's Foreign Ministry said on Friday.",
        "МОСКВА, 28 июля. /ТАСС/. Министр иностранных дел заявил.",
        "МОСКВА, 12 марта. /Корр. ИТАР-ТАСС Иван Петров/. Правительство одобрило проект.",
        "MOSCOW, March 12 (Itar-Tass) -- The government approved the draft.",
    ],
    "interfax": [
        "Москва. 14 февраля 2018 г. ИНТЕРФАКС - Правительство одобрило законопроект.",
        "Москва. 10 августа. INTERFAX.RU - Пилоты объявили забастовку.",
        "(Interfax – Moscow, May 17, 2021) Russia will respond.",
        "KYIV. Feb 14 (Interfax-Ukraine) – The parliament passed the bill.",
        "Київ. 14 лютого. ІНТЕРФАКС-УКРАЇНА - Верховна Рада ухвалила закон.",
    ],
    "ria": [
        "МОСКВА, 19 ноя — РИА Новости. Президент провел совещание.",
        "MOSCOW, July 28 (RIA Novosti) - The Kremlin said.",
    ],
    "sputnik": [
        "MOSCOW (Sputnik) - Russia and China signed the deal.",
        "МИНСК, 28 июл — Sputnik. Президент заявил.",
    ],
    "rt": ["RT News", "RT на русском"],
    "regnum": ["14 февраля 2018, 17:26 REGNUM Правительство одобрило проект."],
    "prime": [
        "МОСКВА, 23 июл ПРАЙМ. Прибыль компании выросла.",
        "MOSCOW, July 23 (PRIME) -- Gazprom said.",
    ],
    "ukrinform": ["Київ, 14 лютого. /Укрінформ/. Президент підписав закон."],
    "unian": ["Київ, 14 лютого /УНІАН/. Уряд ухвалив постанову."],
    "reuters": [
        "LONDON (Reuters) - Shares rose.",
        "WASHINGTON, Feb 26 (Reuters) - The Fed said.",
        "МОСКВА, 28 июля (Рейтер) - Рубль подешевел.",
        "القاهرة (رويترز) - قالت الحكومة المصرية",
        "路透北京7月28日 - 中国国家统计局周五公布",
        "［東京　２８日　ロイター］ - 日経平均株価は反発した。",
    ],
    "afp": [
        "PARIS, 28 juillet 2017 (AFP) - Le ministre a annoncé.",
        "WASHINGTON (AFP) - The United States said.",
        "باريس (أ ف ب) - أعلنت الحكومة الفرنسية",
        "（法新社巴黎28日電）法國政府宣布",
        "【パリＡＦＰ＝時事】フランス政府は２８日、発表した。",
    ],
    "dpa": [
        "Berlin (dpa) - Die Bundesregierung hat beschlossen.",
        "Düsseldorf (dpa/lnw) - Der Landtag hat entschieden.",
    ],
    "efe": [
        "Madrid, 28 jul (EFE).- El Gobierno aprobó hoy el proyecto.",
        "MADRID, Jul 28 (EFE) - The government approved the bill.",
    ],
    "ansa": ["(ANSA) - ROMA, 14 FEB - Il governo ha approvato il decreto."],
    "pap": ["Warszawa (PAP) - Sejm uchwalił ustawę."],
    "ctk": [
        "Praha 14. února (ČTK) - Vláda schválila návrh zákona.",
        "Prague, Feb 14 (CTK) - The government approved the bill.",
    ],
    "mti": ["BUDAPEST, február 14. (MTI) – A kormány elfogadta a javaslatot."],
    "sta": [
        "Ljubljana, 14. februarja (STA) - Vlada je sprejela predlog.",
        "STA, 28 June 2021 - Researchers have published an article.",
    ],
    "bta": [
        "SOFIA, 14 February (BTA) - The government approved the plan.",
        "София, 14 февруари /БТА/ Правителството одобри проекта.",
    ],
    "focus": [
        "Пловдив. Кметът откри новия мост, съобщи репортер на Агенция „Фокус“.",
        "Всички права запазени. Забранено без съгласие на Информационна агенция „Фокус“!",
    ],
    "agerpres": [
        "BUCUREŞTI, 14 feb /Agerpres/ - Guvernul a aprobat proiectul.",
        "Bucharest, April 8 /AGERPRES/ - Romania will host the games.",
    ],
    "bbc": ["BBC News, Moscow", "BBC News"],
    "eir": ["June 23, 2017 (EIRNS)—The Russian Foreign Ministry said."],
    "ap": [
        "WASHINGTON (AP) — The Senate voted.",
        "SAN JUAN, Puerto Rico (AP) — Officials said.",
        "(AP) — Stocks fell on Wall Street.",
    ],
    "cnn": ["(CNN) -- The Senate voted.", "WASHINGTON (CNN) — The president said."],
    "prensa-latina": ["La Habana, 28 jul (Prensa Latina) El presidente recibió hoy."],
    "anadolu": [
        "ANKARA (AA) - Dışişleri Bakanlığı açıklama yaptı.",
        "İSTANBUL (AA) - Borsa günü yükselişle tamamladı.",
    ],
    "irna": [
        "Tehran, July 28, IRNA -- Iran's foreign minister said.",
        "تهران- ایرنا- وزیر امور خارجه گفت",
    ],
    "presstv": ["TEHRAN (Press TV) - Iran has said."],
    "kuna": [
        "KUWAIT, July 28 (KUNA) -- The Cabinet approved the plan.",
        "الكويت - 28 - 7 (كونا) -- وافق مجلس الوزراء",
    ],
    "aljazeera": ["Al Jazeera and news agencies"],
    "xinhua": [
        "BEIJING, July 28 (Xinhua) -- China said.",
        "BERLIN, Nov. 29 (Xinhua)",
        "新华社北京7月28日电（记者张三）国务院总理主持召开会议。",
        "ПЕКИН, 28 июля /Синьхуа/ -- Китай заявил.",
        "【新華社北京7月28日】中国国務院は発表した。",
    ],
    "kyodo": [
        "【ワシントン共同】米政府は２８日、発表した。",
        "TOKYO (Kyodo) -- Japan's government said.",
        "TOKYO, July 28 Kyodo - The yen rose.",
    ],
    "yonhap": [
        "(서울=연합뉴스) 홍길동 기자 = 정부는 28일 발표했다.",
        "SEOUL, July 28 (Yonhap) -- South Korea said.",
    ],
    "pti": [
        "NEW DELHI, Jul 28 (PTI) The government on Friday said.",
        "नयी दिल्ली, 28 जुलाई (भाषा) सरकार ने शुक्रवार को कहा",
    ],
    "bernama": [
        "KUALA LUMPUR, July 28 (Bernama) -- The government said.",
        "KUALA LUMPUR, 28 Julai (Bernama) -- Kerajaan hari ini mengumumkan.",
    ],
    "antara": ["Jakarta (ANTARA) - Pemerintah menetapkan kebijakan baru."],
}

SIGNOFFS = {
    "reuters": ["Reuter", "REUTER...^M"],
    "xinhua": ["(Xinhua)"],
    "efe": ["EFE", "EFE mr/jt"],
    "dpa": ["© dpa-infocom, dpa:210214-99-432154/2"],
    "pap": ["ksi/ mok/"],
    "bernama": ["-- BERNAMA"],
    "aljazeera": ["Source: Al Jazeera and news agencies", "المصدر : الجزيرة + وكالات"],
}

# An agency named in an ordinary sentence, an acronym spelled out, a photo credit, a bare
# short word: none of these says the text is that agency's copy.
NOT_CREDITS = [
    "MOSCOW, July 28 - Russia will respond to the sanctions, TASS reported.",
    "Russia will respond, Reuters reported on Friday, citing two sources.",
    "The AP Stylebook now allows the singular they.",
    "RT @user: a great thread on the election",
    "We met the PAP leader in Singapore on Tuesday.",
    "Agence France-Presse (AFP) reported that the talks had stalled.",
    "Copyright 2019 The Associated Press (AP) - all rights reserved.",
    "Polska Agencja Prasowa (PAP) – największa polska agencja informacyjna.",
    "Adria Airways (AA), the former flag carrier, cancelled its flights.",
    "Demonstrators gather in central Paris on July 28, 2017. (AFP)",
    "Photo: REUTERS/Kevin Lamarque",
    "Как сообщает РИА Новости, министр прибыл в Пекин.",
    "По данным ПРАЙМ, прибыль компании выросла.",
    "据新华社报道，中国国务院周五宣布。",
    "共同通信の世論調査によると、内閣支持率は下がった。",
    "연합뉴스에 따르면 정부는 28일 발표했다.",
    "He told Al Jazeera that the talks had failed.",
    "Speaking to the BBC, the minister said the plan would go ahead.",
    "CNN reported on Tuesday that the deal was close.",
    "Xinhua said in a commentary on Friday that trade would grow.",
    "According to IRNA, the minister arrived in Baghdad.",
    "Вакцина «Спутник V» (Sputnik V) зарегистрирована.",
    "The Kuwait News Agency (KUNA) said the emir had returned.",
    "ذكرت وكالة الأنباء الكويتية (كونا) أن الأمير عاد",
    "Press Trust of India (PTI) reported the verdict.",
    "The Slovenian Press Agency (STA) turned 30 this year.",
    "Česká tisková kancelář (ČTK) - národní tisková agentura.",
]


def marker(line: str, registry=REGISTRY) -> SourceTag:
    return detect_outlet([line], [], None, registry)


def reference(header_lines, chrome_hits, signoff_hit, registry):
    """detect_outlet as the patterns say it one by one (the slug it must give)."""
    by_chrome = {slug for slug in chrome_hits if slug}
    if len(by_chrome) == 1:
        return by_chrome.pop()
    if signoff_hit:
        return signoff_hit
    found = {
        o.slug
        for line in header_lines
        for o in registry.outlets
        for p in o.markers
        if p.search(line)
    }
    return found.pop() if len(found) == 1 else None


def reference_full_line(line, registry, kind):
    if len(line) > 80:
        return None
    for outlet in registry.outlets:
        if any(p.match(line) for p in getattr(outlet, kind)):
            return outlet.slug
    return "" if any(p.match(line) for p in getattr(registry, kind)) else None


@pytest.mark.parametrize("outlet", REGISTRY.outlets, ids=lambda o: o.slug)
def test_every_outlet_has_datelines_that_name_it(outlet):
    examples = DATELINES.get(outlet.slug)
    assert examples, f"give {outlet.slug!r} a dateline example in its own style"
    for line in examples:
        tag = marker(line)
        assert tag.slug == outlet.slug, line
        assert tag.evidence.startswith("dateline:") and tag.evidence[9:] in line


def test_no_examples_for_outlets_that_are_gone():
    assert set(DATELINES) <= REGISTRY.slugs() and set(SIGNOFFS) <= REGISTRY.slugs()


@pytest.mark.parametrize(("slug", "line"), [(s, x) for s, xs in SIGNOFFS.items() for x in xs])
def test_signoffs_name_their_outlet(slug, line):
    assert is_signoff_line(line, REGISTRY) == slug
    assert detect_outlet([], [], slug, REGISTRY) == SourceTag(slug, "signoff")


@pytest.mark.parametrize("line", NOT_CREDITS)
def test_an_agency_mentioned_is_not_an_agency_credited(line):
    assert marker(line) == SourceTag(None, None)
    assert is_signoff_line(line, REGISTRY) in (None, "")


@pytest.mark.parametrize(
    "lines",
    [
        ["PARIS (AFP) - France said.", "LONDON (Reuters) - Britain said."],
        ["LONDON (Reuters) - Britain said, /TASS/ added."],
        ["WASHINGTON (AP) — The Senate voted.", "(CNN) -- The vote was close."],
        ["【ワシントン共同】米政府は発表した。", "新华社北京7月28日电 国务院宣布。"],
    ],
)
def test_two_credits_give_no_outlet(lines):
    assert detect_outlet(lines, [], None, REGISTRY) == SourceTag(None, None)


def test_outlets_know_their_languages():
    assert BY_SLUG["kyodo"].languages[0] == "ja"
    assert "ko" in BY_SLUG["yonhap"].languages and "zh-cn" in BY_SLUG["xinhua"].languages
    for outlet in REGISTRY.outlets:
        assert outlet.languages, outlet.slug
        assert set(outlet.languages) <= LANGDETECT | NOT_IN_LANGDETECT, outlet.slug
        assert outlet.name and outlet.country and re.fullmatch(r"[A-Z]{2}", outlet.country)


def test_built_in_markers_take_the_fast_path():
    # One marker that begins otherwise would make every search try every marker everywhere.
    slow = [p.pattern for o in REGISTRY.outlets for p in o.markers if _shape(p.pattern) == "other"]
    assert slow == []


def _user(tmp_path, text: str):
    extra = tmp_path / "mine.toml"
    extra.write_text(text, encoding="utf-8")
    return load_registry(extra)


def test_a_user_entry_replaces_the_built_in_one(tmp_path):
    registry = _user(
        tmp_path,
        '[[outlet]]\nslug = "tass"\nname = "TASS (dump)"\nlanguages = ["ru"]\n'
        "markers = ['/TASS-RU/']\n",
    )
    assert marker("MOSCOW, July 28. /TASS/. Text.", registry).slug is None
    assert marker("МОСКВА, 28 июля. /TASS-RU/. Текст.", registry).slug == "tass"
    tass = next(o for o in registry.outlets if o.slug == "tass")
    assert (tass.name, tass.country, tass.languages) == ("TASS (dump)", None, ("ru",))
    assert marker("BEIJING, July 28 (Xinhua) -- Text.", registry).slug == "xinhua"


@pytest.mark.parametrize(
    "pattern",
    [
        r"(['\"])Echo\1",  # a backreference
        r"(?P<quote>['\"])Echo(?P=quote)",  # named groups
        r"(?i)['\"]echo['\"]",  # a global flag
        r"'Echo'|\"Echo\"",  # a top-level alternation
        r"[\"']Echo['\"]",  # no literal first character
        r"^['\"]Echo['\"]",  # anchored
    ],
)
def test_user_markers_of_any_shape_work(tmp_path, pattern):
    registry = _user(tmp_path, f'[[outlet]]\nslug = "echo"\nmarkers = [{json.dumps(pattern)}]\n')
    for line in ("'Echo' reports from Minsk.", '"Echo" reports from Minsk.'):
        assert marker(line, registry).slug == reference([line], [], None, registry) == "echo"
    assert marker("Echo reports from Minsk.", registry).slug is None
    # and the built-in outlets still answer next to it
    assert marker("LONDON (Reuters) - Text.", registry).slug == "reuters"


def test_two_outlets_matching_at_the_same_place_give_no_outlet(tmp_path):
    # A combined expression reports one alternative per position: the tie must not hide.
    registry = _user(
        tmp_path,
        "[[outlet]]\nslug = \"copy\"\nmarkers = ['\\(Reuters\\) -', '^WASHINGTON \\(AP\\)']\n",
    )
    assert marker("LONDON (Reuters) - Text.", registry).slug is None
    assert marker("WASHINGTON (AP) — Text.", registry).slug is None
    assert marker("BEIJING, July 28 (Xinhua) -- Text.", registry).slug == "xinhua"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[[outlet]]\nslug = "ok"\nsignoffs = ["(x"]\n', r"mine\.toml \[ok\]: bad pattern"),
        ('[[outlet]]\nslug = "ok"\nchrome = ["[x"]\n', r"mine\.toml \[ok\]: bad pattern"),
        ('[[outlet]]\nslug = "ok"\nmarkers = "/OK/"\n', r"mine\.toml \[ok\]: .* list"),
        ('[[outlet]]\nslug = "ok"\nlanguages = "ru"\n', r"mine\.toml \[ok\]: languages"),
        ('[[outlet]]\nslug = "ok"\nlanguages = ["Russian"]\n', r"mine\.toml \[ok\]: languages"),
        ('[generic]\nchrome = ["(x"]\n', r"mine\.toml: bad pattern"),
    ],
)
def test_a_bad_entry_is_named(tmp_path, content, message):
    with pytest.raises(RegistryError, match=message):
        _user(tmp_path, content)


# --- properties ----------------------------------------------------------------------------

CREDITS = [x for xs in DATELINES.values() for x in xs] + NOT_CREDITS
SLUGS = sorted(REGISTRY.slugs())
lines = (
    st.text()
    | st.sampled_from(CREDITS)
    | st.builds(
        lambda a, c, b: a + c + b, st.text(max_size=20), st.sampled_from(CREDITS), st.text()
    )
)


@given(
    st.lists(lines, max_size=5),
    st.lists(st.sampled_from(["", *SLUGS]), max_size=3),
    st.none() | st.just("") | st.sampled_from(SLUGS),
)
@settings(BASE, max_examples=400)
def test_detect_outlet_never_raises_and_agrees_with_the_patterns(header, chrome, signoff):
    tag = detect_outlet(header, chrome, signoff, REGISTRY)
    assert isinstance(tag, SourceTag) and (tag.slug is None) == (tag.evidence is None)
    assert tag.slug == reference(header, chrome, signoff, REGISTRY)


@given(lines | st.sampled_from([x for xs in SIGNOFFS.values() for x in xs] + ["Advertisement"]))
@settings(BASE, max_examples=300)
def test_chrome_and_signoffs_agree_with_the_patterns(line):
    assert is_chrome_line(line, REGISTRY) == reference_full_line(line, REGISTRY, "chrome")
    assert is_signoff_line(line, REGISTRY) == reference_full_line(line, REGISTRY, "signoffs")
