"""Direct quotations and their speakers: marks, attribution, seeds and properties."""

from __future__ import annotations

import hashlib
import itertools
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from wirehouse.tasks.quotes import Quote, extract_quotes, normalize_quote

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
OPENING = '"“„«»「『'
CLOSING = '"”“»«」』'
BASE = settings(deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def seed(prefix: str) -> str:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


def only(body: str) -> Quote:
    quotes = extract_quotes(body)
    assert len(quotes) == 1, quotes
    return quotes[0]


def speakers(body: str) -> list[str | None]:
    return [q.speaker for q in extract_quotes(body)]


# ---------------------------------------------------------------- marks


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ('He wrote "we will not accept these terms" and left.', "we will not accept these terms"),
        ("He wrote “we will not accept these terms” and left.", "we will not accept these terms"),
        (
            "Il a dit «nous ne céderons jamais à ces pressions».",
            "nous ne céderons jamais à ces pressions",
        ),
        ("Il a dit « nous ne céderons jamais ici » hier.", "nous ne céderons jamais ici"),
        (
            "Er sagte »wir werden das niemals akzeptieren« gestern.",
            "wir werden das niemals akzeptieren",
        ),
        (
            "Er sagte „wir werden das niemals akzeptieren“ gestern.",
            "wir werden das niemals akzeptieren",
        ),
        (
            "Er sagte „wir werden das niemals akzeptieren” gestern.",
            "wir werden das niemals akzeptieren",
        ),
        ("彼は「今日は良い天気です」と言った。", "今日は良い天気です"),
        ("『これは引用です』", "これは引用です"),
        (
            '"Straight opened and curly closed here,” he added.',
            "Straight opened and curly closed here",
        ),
        (
            '“Curly opened and straight closed here," he added.',
            "Curly opened and straight closed here",
        ),
    ],
)
def test_each_mark_type_pairs(body: str, text: str) -> None:
    quote = only(body)
    assert quote.text == text
    assert body[quote.start] in OPENING
    assert body[quote.end - 1] in CLOSING
    assert normalize_quote(body[quote.start : quote.end]) == normalize_quote(text)


def test_single_quotes_are_apostrophes_not_marks() -> None:
    assert (
        extract_quotes("It was Russia’s ‘eye for an eye’ answer, the ‘new normal’ it said.") == []
    )
    quote = only("“It is not an ‘eye for eye’ response,” the ministry said.")
    assert quote.text == "It is not an ‘eye for eye’ response"


def test_nested_double_quotes_stay_inside_the_outer_quote() -> None:
    quote = only('“He called it "pure nonsense" in public,” she said.')
    assert quote.text == 'He called it "pure nonsense" in public'
    quote = only("«Он назвал это „полной чепухой“ вчера вечером», сказал он.")
    assert quote.text == "Он назвал это „полной чепухой“ вчера вечером"


def test_unclosed_curly_quote_gives_way_to_the_next_one() -> None:
    quote = only("“First part never closes. “Second part is closed now,” Lavrov said.")
    assert (quote.text, quote.speaker) == ("Second part is closed now", "Lavrov")


def test_text_is_collapsed_and_loses_only_the_said_clause_comma() -> None:
    assert only('"We   are\tready  to talk,"  he said.').text == "We are ready to talk"
    assert only('"Are we ready to talk?" he asked.').text == "Are we ready to talk?"
    assert only('"We are ready to talk!" he shouted.').text == "We are ready to talk!"
    assert only('"We are ready to talk." That was all.').text == "We are ready to talk."


# ---------------------------------------------------------------- attribution


@pytest.mark.parametrize(
    ("body", "speaker"),
    [
        ('"We are ready to talk," the ministry said.', "the ministry"),
        ('"We are ready to talk," said Lavrov.', "Lavrov"),
        (
            '"We are ready to talk," said Russian Foreign Minister Sergei Lavrov.',
            "Russian Foreign Minister Sergei Lavrov",
        ),
        ('"We are ready to talk," Lavrov said.', "Lavrov"),
        (
            '"We are ready to talk," the Russian Foreign Minister said.',
            "the Russian Foreign Minister",
        ),
        ('"We are ready to talk," the statement further read.', "the statement"),
        ('"We are ready to talk," Tillerson told reporters.', "Tillerson"),
        ('"We are ready to talk," according to the Foreign Ministry.', "the Foreign Ministry"),
        ('"We are ready to talk," said the ministry in a statement on Friday.', "the ministry"),
        ('"We are ready to talk," Lavrov stressed.', "Lavrov"),
        ('"We are ready to talk," the minister has also said.', "the minister"),
        ('"We are ready to talk," officials said.', "officials"),
        ('"Are you ready to talk?" asked Lavrov.', "Lavrov"),
        ('"We are ready to talk", and the minister emphasised.', "the minister"),
        (
            '"We are ready to talk," said a source familiar with the matter.',
            "a source familiar with the matter",
        ),
    ],
)
def test_said_clause_after_the_quote(body: str, speaker: str) -> None:
    assert only(body).speaker == speaker


@pytest.mark.parametrize(
    ("body", "speaker"),
    [
        ('Lavrov said: "We are ready to talk."', "Lavrov"),
        ('Lavrov said that "we are ready to talk."', "Lavrov"),
        ('According to X, "we are ready to talk."', "X"),
        ('According to the ministry, "we are ready to talk."', "the ministry"),
        ('Tillerson told reporters: "We are ready to talk."', "Tillerson"),
        ('The ministry said in a statement: "We are ready to talk."', "The ministry"),
        (
            'Meanwhile, the ministry said in a statement on Sunday, "We are ready to talk."',
            "the ministry",
        ),
        (
            'U.S. Secretary of State Rex Tillerson said: "We are ready to talk."',
            "U.S. Secretary of State Rex Tillerson",
        ),
        (
            'In an interview on Monday the Russian Foreign Minister said: "We are ready to talk."',
            "the Russian Foreign Minister",
        ),
        (
            'The spokesman added that Lavrov and Tillerson "agreed to maintain contacts."',
            "The spokesman",
        ),
        ('Lavrov said:\n\n"We are ready to talk."', "Lavrov"),
    ],
)
def test_attribution_before_the_quote(body: str, speaker: str) -> None:
    assert only(body).speaker == speaker


@pytest.mark.parametrize(
    "body",
    [
        '"We are ready to talk." Lavrov said the United States should act first.',
        '"We are ready to talk," Lavrov, the minister, said.',
        'The Foreign Ministry statement speaks for itself: "We are ready to talk."',
        '"We are ready to talk," it was said by some in the corridors of power that day.',
        'Sources that are not named, which is common in reporting, said: "We are ready to talk."',
    ],
)
def test_no_speaker_rather_than_a_wrong_one(body: str) -> None:
    assert only(body).speaker is None


def test_pronoun_resolves_to_earlier_named_speaker() -> None:
    body = '"We are ready to talk," Lavrov said.\n\n"The ball is in their court," he added.'
    assert speakers(body) == ["Lavrov", "Lavrov"]


def test_pronoun_resolves_to_a_speaker_named_in_reported_speech() -> None:
    body = (
        "Russia will judge the calls by deeds, Foreign Minister Sergei Lavrov said on Monday.\n\n"
        '"We will treat the calls not by words but by deeds," he said at a press conference.'
    )
    assert only(body).speaker == "Foreign Minister Sergei Lavrov"


def test_pronoun_without_an_earlier_name_gives_none() -> None:
    assert only('"We will treat the calls by deeds," he said.').speaker is None
    body = '"We will treat the calls by deeds," he said. Later Lavrov said so too.'
    assert only(body).speaker is None  # a name that comes after the quote does not count


def test_he_skips_institutions_but_it_does_not() -> None:
    body = (
        '"We are ready to talk now," Lavrov said.\n'
        '"Such steps cannot remain unanswered," the ministry said.\n'
        '"The ball is in their court now," he added.\n'
        '"Washington must pull back from confrontation," it said.'
    )
    assert speakers(body) == ["Lavrov", "the ministry", "Lavrov", "the ministry"]


def test_said_verbs_inside_a_quote_are_not_reported_speech() -> None:
    body = (
        'Lavrov said on Friday: "We are ready, as Putin said before, to talk."\n'
        '"We mean every word," he said.'
    )
    assert speakers(body) == ["Lavrov", "Lavrov"]


def test_quote_without_said_clause_inherits_from_the_quote_before_it() -> None:
    body = (
        '"Such steps cannot remain unanswered," the ministry said. '
        '"Such actions included illegal sanctions against Russia."'
    )
    assert speakers(body) == ["the ministry", "the ministry"]


def test_inheritance_stops_at_the_paragraph() -> None:
    body = (
        '"Such steps cannot remain unanswered," the ministry said.\n"Another quote stands alone."'
    )
    assert speakers(body) == ["the ministry", None]


def test_quote_broken_by_said_clause_gives_two_quotes_with_one_speaker() -> None:
    body = 'Lavrov met him. "First part of it all," Lavrov said. "Second part of it too."'
    quotes = extract_quotes(body)
    assert [q.text for q in quotes] == ["First part of it all", "Second part of it too."]
    assert [q.speaker for q in quotes] == ["Lavrov", "Lavrov"]
    assert body[quotes[0].start : quotes[0].end] == '"First part of it all,"'


def test_speaker_is_cleaned() -> None:
    assert only('"We are ready to talk," and the ministry said.').speaker == "the ministry"
    assert only('"We are ready to talk," said Lavrov.').speaker == "Lavrov"
    assert only('"We are ready to talk," said Lavrov, who met Tillerson.').speaker == "Lavrov"
    long_name = (
        '"We are ready to talk," said one of the many very senior officials of the old regime.'
    )
    assert only(long_name).speaker is None


# ---------------------------------------------------------------- paragraphs and limits


def test_quote_continued_over_paragraphs_is_one_quote() -> None:
    body = (
        'The statement read:\n\n"First paragraph of the statement.\n\n'
        '"Second paragraph of the statement.\n\n"Last paragraph, which closes it."\n\nAfter.'
    )
    quote = only(body)
    assert quote.text == (
        "First paragraph of the statement. Second paragraph of the statement. "
        "Last paragraph, which closes it."
    )
    assert quote.start == body.index('"First')
    assert quote.end == body.index("\n\nAfter")
    assert quote.speaker == "The statement"


def test_unclosed_paragraph_without_continuation_is_dropped() -> None:
    body = '"This quote is never closed at all\n\nA plain paragraph. "A closed quote here."'
    assert [q.text for q in extract_quotes(body)] == ["A closed quote here."]


def test_spans_over_six_paragraphs_or_3000_chars_are_dropped() -> None:
    seven = "\n".join(f'"Paragraph number {n} of it.' for n in range(7)) + '"'
    assert extract_quotes(seven) == []
    six = "\n".join(f'"Paragraph number {n} of it.' for n in range(6)) + '"'
    assert len(extract_quotes(six)) == 1
    assert extract_quotes('"' + "word " * 700 + '"') == []
    assert len(extract_quotes('"' + "word " * 500 + '"')) == 1


def test_scare_quotes_are_skipped_and_min_words_counts() -> None:
    body = 'He called it "delusional" and "a serious incident" but "not worth it at all."'
    assert [q.text for q in extract_quotes(body)] == ["not worth it at all."]
    assert [q.text for q in extract_quotes(body, min_words=1)] == [
        "delusional",
        "a serious incident",
        "not worth it at all.",
    ]
    assert [q.text for q in extract_quotes(body, min_words=6)] == []


def test_cjk_characters_count_as_words() -> None:
    assert normalize_quote("今日は良い天気") == "今 日 は 良 い 天 気"
    assert extract_quotes("「良い日」") == []  # three characters: under min_words
    assert len(extract_quotes("「良い天気」")) == 1


@pytest.mark.parametrize(
    "body",
    [
        "",
        '"',
        '""',
        '" "',
        "“”„«»「」『』" * 50,
        '"unbalanced "marks" everywhere',
        "”closing first then “opening” and «guillemets» »reversed« „german“",
        "\n\n\n" + '"' * 101 + "\n",
        '"nested “deep „deeper «deepest» and” more" out',
        "said said said: said that, according to according to",
        '"\u0301\u0301 combining marks only at the start here"',
    ],
)
def test_hostile_text_never_raises(body: str) -> None:
    for quote in extract_quotes(body, min_words=1):
        assert 0 <= quote.start < quote.end <= len(body)


def test_megabyte_lines_stay_fast() -> None:
    bodies = [
        '"' + "word " * 200_000,
        "“" * 300_000,
        '"a b" ' * 50_000,
        "Lavrov said " * 25_000 + '"We are ready to talk," he said.',
    ]
    started = time.perf_counter()
    results = [extract_quotes(body) for body in bodies]
    # Linear work takes about a second here; catastrophic backtracking would take hours.
    assert time.perf_counter() - started < 30
    assert [len(r) for r in results] == [0, 0, 0, 1]
    assert results[3][0].speaker == "Lavrov"


# ---------------------------------------------------------------- normalization and hash


def test_normalize_quote_ignores_marks_case_and_spacing() -> None:
    assert (
        normalize_quote("  Russia’s  ACTIONS,\n were “illegal.” ") == "russias actions were illegal"
    )
    assert normalize_quote("Russia's actions were illegal") == "russias actions were illegal"
    assert normalize_quote("Straße – ÉCOLE_dir 42") == "strasse école dir 42"
    assert normalize_quote("नमस्ते दुनिया") == "नमस्ते दुनिया"  # vowel signs stay in their words
    assert normalize_quote("…, — !") == ""


def test_quote_hash_is_sha256_of_normalized_text() -> None:
    comma = only('"Such actions included illegal sanctions," the ministry said.')
    full_stop = only("“Such actions included illegal sanctions.” That was all.")
    expected = hashlib.sha256(b"such actions included illegal sanctions").hexdigest()[:16]
    assert comma.quote_hash == full_stop.quote_hash == expected
    assert only('"Other actions included illegal sanctions."').quote_hash != expected


def test_quotes_are_frozen() -> None:
    quote = only('"We are ready to talk," Lavrov said.')
    with pytest.raises(AttributeError):
        quote.text = "changed"  # type: ignore[misc]


# ---------------------------------------------------------------- seeds


def test_seed_000_and_001_share_the_such_actions_quote() -> None:
    def such_actions(body: str) -> Quote:
        (quote,) = [q for q in extract_quotes(body) if q.text.startswith("Such actions")]
        return quote

    tass, rt = such_actions(seed("000")), such_actions(seed("001"))
    assert tass.quote_hash == rt.quote_hash
    assert (tass.speaker, rt.speaker) == ("the ministry", "the statement")
    assert tass.text.endswith("diplomatic property.")
    assert rt.text.endswith("diplomatic property")
    assert seed("001")[rt.start : rt.end].startswith("“Such actions")


def test_seed_000_speakers() -> None:
    assert speakers(seed("000")) == [
        "the ministry",
        "the ministry",
        "the spokesman",
        "the spokesman",
        "The spokesman",
        "The Russian minister",
        "the ministry",
        "the ministry",
    ]


def test_seed_002_mixed_marks_told_reporters_and_he_added() -> None:
    body = seed("002")
    quotes = extract_quotes(body)
    assert quotes[0].text.startswith("Russian meddling in the elections")
    assert quotes[0].speaker == "Tillerson"
    assert body[quotes[1].start] == '"' and body[quotes[1].end - 1] == "”"
    assert quotes[1].text.endswith("deal with that")
    assert quotes[1].speaker == "Tillerson"
    assert "serious mistrust" not in [q.text for q in quotes]
    assert quotes[-1].speaker == "the statement"


def test_seed_003_statement_over_four_paragraphs() -> None:
    body = seed("003")
    quote = only(body)
    assert quote.text.startswith("While discussing the prospects")
    assert quote.text.endswith("implement the Minsk Agreements.")
    assert body[quote.start : quote.end].count("\n\n") == 3
    assert "‘delusional’" in quote.text


def test_seed_004_speakers() -> None:
    assert speakers(seed("004")) == [
        "Russian Foreign Minister Sergei Lavrov",
        "Lavrov",
        "the Russian Foreign Minister",
        "the minister",
        "Lavrov",
    ]


# ---------------------------------------------------------------- properties

PIECES = st.sampled_from(
    [
        *OPENING,
        *CLOSING,
        *["”", "'", "’", "‘", " ", " ", "\n", "\n\n", ",", ".", ":", "_", "\t", "\u0301"],
        *["said", "he", "it", "Lavrov", "the ministry", "according to", "that", "told reporters"],
        *["We are ready", "to talk", "a", "今日", "ß", "İ", "U.S.", "and"],
    ]
)
BODIES = st.one_of(st.text(), st.lists(PIECES, max_size=80).map("".join))


@settings(BASE, max_examples=600)
@given(body=BODIES, min_words=st.integers(min_value=-1, max_value=6))
@example(body='"a b"\n"c d', min_words=1)
@example(body='"ab’\n\n"’cd e f"', min_words=1)
@example(body='"x y z w," he said.', min_words=4)
def test_properties_of_any_text(body: str, min_words: int) -> None:
    quotes = extract_quotes(body, min_words=min_words)
    flat = " ".join(body.split())
    for previous, quote in itertools.pairwise(quotes):
        assert previous.end <= quote.start
    for quote in quotes:
        assert 0 <= quote.start < quote.end <= len(body)
        assert body[quote.start] in OPENING and body[quote.end - 1] in CLOSING + "”"
        words = normalize_quote(quote.text).split()
        assert quote.text and len(words) >= max(min_words, 1)
        assert re.fullmatch("[0-9a-f]{16}", quote.quote_hash)
        span_words = normalize_quote(body[quote.start : quote.end])
        assert f" {' '.join(words)} " in f" {span_words} "
        if quote.speaker is not None:
            assert 1 <= len(quote.speaker.split()) <= 8
            assert quote.speaker in flat
            assert not quote.speaker.casefold().startswith("and ")
            assert quote.speaker[-1] not in ",;:!?"
