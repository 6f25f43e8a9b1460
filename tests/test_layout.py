"""Title, lede and body; chrome and sign-off lines removed."""

from __future__ import annotations

from tasks.layout import split_layout
from tasks.sources import load_registry

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
