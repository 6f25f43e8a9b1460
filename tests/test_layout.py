"""Title, lede and body; chrome and sign-off lines removed."""

from __future__ import annotations

from pathlib import Path

import pytest
from wirehouse.tasks.decode import decode_bytes
from wirehouse.tasks.layout import MAX_TITLE_CHARS, split_layout
from wirehouse.tasks.sources import load_registry

REGISTRY = load_registry()


def layout(text: str):
    return split_layout(text, REGISTRY)


def test_title_lede_and_dateline_body():
    got = layout(
        "All news\n\nLavrov tells Tillerson Russia is ready\n\n"
        "The top diplomat stresses Moscow's position\n\n"
        "MOSCOW, July 28. /TASS/. Russian Foreign Minister said.\n\nMore text."
    )
    assert got.title == "Lavrov tells Tillerson Russia is ready"
    assert got.lede == "The top diplomat stresses Moscow's position"
    assert got.body == "MOSCOW, July 28. /TASS/. Russian Foreign Minister said.\n\nMore text."
    assert got.chrome_hits == [""]


def test_a_question_can_be_a_title_and_outlet_chrome_is_recognized():
    got = layout(
        "Subscribe to EIR Online\n\n\nDoes the U.S. Want Better Relations, Or Not?\n\n"
        "June 23, 2017 (EIRNS)—The Russian Foreign Ministry said.\n\nBack to top"
    )
    assert got.title == "Does the U.S. Want Better Relations, Or Not?"
    assert got.lede is None
    assert "Subscribe" not in got.body and "Back to top" not in got.body
    assert got.chrome_hits == ["eir", ""]


def test_no_title_when_the_text_opens_with_a_sentence_or_a_dateline():
    assert layout("Russia has expressed its readiness to talk.\n\nMore.").title is None
    assert layout("(Interfax – Moscow, May 17, 2021)\n\nRussia will judge.").title is None


def test_headline_with_single_newlines_and_initials_signoff():
    got = layout("Tillerson, Lavrov discuss ties\nRussian meddling has hurt ties.\nSS")
    assert got.title == "Tillerson, Lavrov discuss ties"
    assert got.body == "Russian meddling has hurt ties."
    assert got.signoff_hit == ""


def test_wire_title_above_dateline_even_with_a_full_stop():
    got = layout("ACME CORP. SETS PAYOUT.\n\nNEW YORK, Feb 26 - Acme said.\n Reuter")
    assert got.title == "ACME CORP. SETS PAYOUT."
    assert got.body == "NEW YORK, Feb 26 - Acme said."
    assert got.signoff_hit == "reuters"


def test_chrome_words_inside_sentences_stay():
    text = "Headline\n\nHe said all news was good. Back to top of the agenda came Syria."
    assert layout(text).body == "He said all news was good. Back to top of the agenda came Syria."


def test_header_lines_are_the_first_lines_of_the_body():
    got = layout("Title\n\nMOSCOW, July 28. /TASS/. One.\nTwo.\nThree.\nFour.\nFive.")
    assert got.header_lines == ["MOSCOW, July 28. /TASS/. One.", "Two.", "Three.", "Four."]


def test_single_line_text_is_body_only():
    got = layout("Just one line of text")
    assert (got.title, got.body) == (None, "Just one line of text")


# --- titles: decided from the layout, not from the first line's punctuation ---------------

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
BODY = (
    "Russian Foreign Minister Sergey Lavrov told US Secretary of State Rex Tillerson on "
    "Friday that Moscow was still ready to mend relations, the foreign ministry said."
)


def seed_title(prefix: str) -> str | None:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return layout(decode_bytes(path.read_bytes()).text).title


def test_seed_titles():
    assert seed_title("000") == "Lavrov tells Tillerson Russia ready to normalize relations with US"
    assert seed_title("002") == "Tillerson, Lavrov discuss damaged US-Russia ties"
    assert seed_title("003") == (
        "Lavrov Delivers a Message to Tillerson: Does the U.S. Want an Improvement of "
        "Relations with Russia, Or Not?"
    )


def test_seeds_that_open_with_their_first_sentence_have_no_title():
    assert seed_title("001") is None  # " date 2017-07-28 Russia has expressed ..."
    assert seed_title("004") is None  # "(Interfax – Moscow, May 17, 2021)"


@pytest.mark.parametrize(
    "headline",
    [
        "Russia ready to normalize relations with US, Lavrov tells Tillerson.",
        "Will Moscow and Washington mend ties?",
        "Lavrov: Russia is ready!",
        'Lavrov: "Russia is ready to normalize relations"',
        "Lavrov: »Russland ist zu normalen Beziehungen bereit«",
        "Lavrov says Moscow wants “predictable relations.”",
    ],
)
def test_headline_above_a_blank_line_and_a_longer_paragraph(headline):
    got = layout(f"{headline}\n\n{BODY}\n\nMore text.")
    assert got.title == headline
    assert got.body == f"{BODY}\n\nMore text."


def test_long_headline():
    headline = (
        "Lavrov tells Tillerson that Russia is ready to normalize relations with the United "
        "States and to cooperate on the key issues of the global agenda, but only on the basis "
        "of equality, mutual respect and a balance of interests, after Moscow cut the number "
        "of US diplomats"
    )
    assert 250 < len(headline) <= MAX_TITLE_CHARS
    assert layout(f"{headline}\n\n{BODY}").title == headline
    assert layout(f"{headline} {headline}\n\n{BODY}").title is None  # too long to be one


def test_headline_ending_in_a_full_stop_above_a_byline_or_a_lede():
    got = layout(f"Lavrov sees no reason for panic.\n\nBy John Smith\n\n{BODY}")
    assert (got.title, got.body) == ("Lavrov sees no reason for panic.", f"By John Smith\n\n{BODY}")
    got = layout(
        "Russia ready to talk.\n\nThe top diplomat stresses Moscow's position\n\n"
        "MOSCOW, July 28. /TASS/. Russian Foreign Minister said."
    )
    assert got.title == "Russia ready to talk."
    assert got.lede == "The top diplomat stresses Moscow's position"


@pytest.mark.parametrize(
    ("headline", "body"),
    [
        (
            "国务院发布新能源汽车产业发展规划：“到2025年销量占比达20%”",
            "国务院办公厅近日印发《新能源汽车产业发展规划》，提出到2025年，"
            "新能源汽车新车销售量达到汽车新车销售总量的20%左右，并要求深化研发布局，提升产业基础能力。",
        ),
        (
            "【速報】新型スマートフォンを発表“薄さと軽さを両立”",
            "東京の通信会社は10日、新型スマートフォンを来月から発売すると発表した。本体の厚さは7ミリで、"
            "従来の機種より2割軽くなった。価格は未定だが、年内に海外でも販売する予定だという。",
        ),
        (
            '대통령 "경제 회복에 총력 기울이겠다"',
            "대통령은 10일 청와대에서 열린 국무회의에서 경제 회복을 위해 정부의 모든 역량을 "
            "집중하겠다고 밝혔다. 대통령은 또 일자리 창출과 소상공인 지원을 최우선 과제로 꼽았다.",
        ),
        (
            'وزير الخارجية الروسي: "موسكو مستعدة لتطبيع العلاقات مع واشنطن"',
            "قال وزير الخارجية الروسي سيرغي لافروف يوم الجمعة إن موسكو لا تزال مستعدة "
            "لتطبيع العلاقات مع الولايات المتحدة، لكن على أساس المساواة والاحترام المتبادل "
            "وتوازن المصالح.",
        ),
        (
            'ראש הממשלה: "נגיע להסכם עם ארה"ב בקרוב"',
            "ראש הממשלה אמר ביום שישי כי ישראל וארצות הברית קרובות להסכם חדש בנושא הביטחון, "
            "וכי הצוותים של שתי המדינות ימשיכו להיפגש בשבועות הקרובים כדי לסגור את הפרטים.",
        ),
    ],
    ids=["zh", "ja", "ko", "ar", "he"],
)
def test_headlines_in_scripts_without_capitals(headline, body):
    assert layout(f"{headline}\n\n{body}").title == headline
    assert layout(f"{headline}\n{body}").title == headline  # one paragraph a line, no blank


def test_japanese_headline_with_its_story_on_the_next_line():
    text = (
        "話題の新型カメラが登場！\n"
        "カメラメーカー各社は今月、小型で軽量な新型カメラを相次いで発表した。いずれも旅行向けで、"
        "若い世代を中心に人気を集めている。\n\n詳しくは以下の通り。"
    )
    assert layout(text).title == "話題の新型カメラが登場！"


def test_first_line_that_runs_on_into_its_paragraph_is_not_a_title():
    wrapped = (
        "Russia has expressed its readiness to normalize relations and\n"
        "cooperate with the United States on major global issues, the\n"
        "foreign ministry said after a telephone call on Friday.\n\n"
        "Russian Foreign Minister Sergei Lavrov made the remarks in a\n"
        "Telephone conversation with his US counterpart Rex Tillerson,\n"
        "adding that Moscow sought to mend the bilateral ties.\n"
    )
    assert layout(wrapped).title is None
    capital = wrapped.replace("relations and\ncooperate", "relations with\nWashington")
    assert layout(capital).title is None  # a wrapped line as long as the others
    one_a_line = (
        "Russia has expressed its readiness to normalize relations.\n"
        "Lavrov made the remarks in a telephone call with Tillerson.\n"
        "He said Moscow was still ready to mend ties.\n"
    )
    assert layout(one_a_line).title is None
    lower = "Russia has expressed its readiness to\nnormalize relations with the US.\n\nMore."
    assert layout(lower).title is None
    brand = "Apple unveils a thinner tablet\niPhone maker Apple showed a new iPad on Tuesday."
    assert layout(brand).title == "Apple unveils a thinner tablet"


def test_first_line_with_several_sentences_is_body_text():
    first = "Russia is ready to mend ties with the US. Lavrov said so on Friday."
    assert layout(f"{first}\n\n{BODY} {BODY}").title is None
    cjk = "国务院今天发布了新能源汽车产业发展规划。规划提出到2025年新车销量占比达到20%左右。"
    assert layout(f"{cjk}\n\n{cjk * 3}").title is None
    headline = "Russia is ready. Is the US?"  # a question: a headline with a kicker
    assert layout(f"{headline}\n\n{BODY}").title == headline


def test_first_paragraph_as_long_as_the_next_is_not_a_title():
    first = (
        "Kyle Technology Corp. said a Seattle investor has signed a letter of intent to buy "
        "the company for about $3.1 million, or $1.20 a share."
    )
    second = "The investor plans to run the company, a spokesman for Kyle said on Friday."
    assert layout(f"{first}\n\n{second}\n\nThe board has approved the deal.").title is None
    quoted = 'Lavrov said on Friday: "Russia is still ready to normalize relations with the US."'
    assert layout(f"{quoted}\n\n{second}").title is None  # the full stop inside the quote counts


def test_one_line_above_a_paragraph_of_several_lines_is_a_title():
    first = "Kyle Technology Corp. agrees to a $3.1 million buyout by a Seattle investor."
    block = "The investor plans to run the company, a spokesman said.\nThe board approved the deal."
    assert len(first) < len(block) < 2 * len(first)
    assert layout(f"{first}\n\n{block}").title == first


@pytest.mark.parametrize(
    "first",
    [
        "By John Smith",
        "by Martin Stirling",
        "Автор: Мартин Табаков",
        "date 2017-07-28",
        "23.12.2020",
        "09 ноември 2020, 09:24",
        "ATTENTION - ADDS details, quotes ///",
        "=(PICTURE)=",
    ],
)
def test_bylines_date_headers_and_desk_notes_are_not_titles(first):
    got = layout(f"{first}\n\nMOSCOW, July 28 (AFP) - {BODY}")
    assert got.title is None
    assert got.body.startswith(first)
