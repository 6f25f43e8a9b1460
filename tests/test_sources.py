"""The outlet registry: detection evidence, ties, overrides, user registry files."""

from __future__ import annotations

import pytest
from wirehouse.tasks.layout import split_layout
from wirehouse.tasks.sources import (
    RegistryError,
    SourceTag,
    assign_source,
    detect_outlet,
    load_registry,
)

REGISTRY = load_registry()


def detect(text: str, registry=REGISTRY) -> SourceTag:
    layout = split_layout(text, registry)
    return detect_outlet(layout.header_lines, layout.chrome_hits, layout.signoff_hit, registry)


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Title\n\nMOSCOW, July 28. /TASS/. Text.", "tass"),
        ("МОСКВА, 28 июля. /ТАСС/. Текст.", "tass"),
        ("(Interfax – Moscow, May 17, 2021)\n\nRussia will judge.", "interfax"),
        ("Title\n\nJune 23, 2017 (EIRNS)—Text.", "eir"),
        ("Subscribe to EIR Online\n\nTitle\n\nText without dateline.", "eir"),
        ("TITLE\n\nSALVADOR, Feb 26 - Showers.\n Reuter", "reuters"),
        ("TITLE\n\nSALVADOR, Feb 26 - Showers.\n REUTER...^M", "reuters"),
        ("TITLE\n\nSALVADOR, Feb 26 - Showers.\n reuter", "reuters"),
        ("Title\n\nWASHINGTON (Reuters) - Text.", "reuters"),
        ("Title\n\nBEIJING, July 28 (Xinhua) -- Text.", "xinhua"),
        ("Заголовок\n\nПЕКИН, 28 июля /Синьхуа/ -- Текст.", "xinhua"),
        ("Title\n\nPARIS, 28 juillet 2017 (AFP) - Le ministre.", "afp"),
    ],
)
def test_outlets_are_recognized(text, slug):
    assert detect(text).slug == slug


def test_unknown_stays_null():
    assert detect("Title\n\nRussia has expressed its readiness.\nSS") == SourceTag(None, None)


def test_agency_names_in_the_story_are_not_evidence():
    text = "Title\n\nOne.\nTwo.\nThree.\nFour.\nLater, TASS (TASS) and /TASS/ reported it."
    assert detect(text).slug is None


def test_two_outlets_at_the_same_level_give_null():
    assert detect("Title\n\nMOSCOW, July 28 (Xinhua) /TASS/ - Text.").slug is None
    # a Reuters story re-published under an AFP credit
    assert detect("Title\n\nPARIS (AFP) - Text.\n\nLONDON (Reuters) - Text.").slug is None


def test_a_newspaper_quoting_an_agency_is_not_its_copy():
    assert detect("Title\n\nRussia will respond, Reuters reported on Friday.\n\nMore.").slug is None
    assert detect("Заголовок\n\nКак сообщает РИА Новости, министр прибыл.\n\nЕще.").slug is None


def test_site_chrome_outranks_the_credited_wire():
    tag = detect("Subscribe to EIR Online\n\nTitle\n\nMOSCOW, July 28. /TASS/. Text.")
    assert tag.slug == "eir"


def test_override_beats_folder_beats_detection():
    detected = SourceTag("tass", "dateline:/TASS/")
    folders = {"wires/xinhua": "xinhua", "wires": "reuters"}
    assert assign_source("a.txt", detected, "eir", folders) == SourceTag("eir", "override")
    assert assign_source("wires/xinhua/a.txt", detected, None, folders).slug == "xinhua"
    assert assign_source("wires/b/a.txt", detected, None, folders).slug == "reuters"
    assert assign_source("other/a.txt", detected, None, folders) == detected
    assert assign_source("wiresx/a.txt", detected, None, folders) == detected


def test_user_registry_adds_outlets_and_chrome(tmp_path):
    extra = tmp_path / "mine.toml"
    extra.write_text(
        '[generic]\nchrome = ["Weiterlesen"]\n\n'
        '[[outlet]]\nslug = "rbc"\nname = "RBC"\ncountry = "RU"\nmarkers = ["\\\\(RBC\\\\)"]\n'
    )
    registry = load_registry(extra)
    assert "rbc" in registry.slugs() and "tass" in registry.slugs()
    rbc = next(o for o in registry.outlets if o.slug == "rbc")
    assert (rbc.name, rbc.country, rbc.languages) == ("RBC", "RU", ())
    tag = detect("Title\n\nMOSCOW, July 28 (RBC) - Text.\n\nWeiterlesen", registry)
    assert tag.slug == "rbc"
    assert (
        "Weiterlesen"
        not in split_layout("T\n\nMOSCOW, July 28 (RBC) - x\nWeiterlesen", registry).body
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[[outlet]]\nslug = "Bad Slug"\n', "slug"),
        ('[[outlet]]\nslug = "ok"\nmarkers = ["(unclosed"]\n', "bad pattern"),
        ("not toml = = =", "mine.toml"),
    ],
)
def test_malformed_registry_names_the_problem(tmp_path, content, message):
    extra = tmp_path / "mine.toml"
    extra.write_text(content)
    with pytest.raises(RegistryError, match=message):
        load_registry(extra)
