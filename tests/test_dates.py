"""Publication dates from datelines and headers; invalid and body dates are not taken."""

from __future__ import annotations

from datetime import date

import pytest
from wirehouse.tasks.dates import NO_DATE, find_publication_date

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("line", "expected", "source"),
    [
        ("MOSCOW, July 28. /TASS/. Russian Foreign Minister", (None, 7, 28), "dateline"),
        ("(Interfax – Moscow, May 17, 2021)", (2021, 5, 17), "dateline"),
        ("June 23, 2017 (EIRNS)—The Russian Foreign Ministry", (2017, 6, 23), "dateline"),
        ("date 2017-07-28 Russia has expressed its readiness", (2017, 7, 28), "header"),
        ("Published: 28.07.2017", (2017, 7, 28), "header"),
        ("2017-07-28", (2017, 7, 28), "header"),
        ("SALVADOR, Feb 26 - Showers continued throughout", (None, 2, 26), "dateline"),
        ("PORTLAND, Ore., Feb 26 - Brae Corp said", (None, 2, 26), "dateline"),
        ("ROCHESTER, N.Y., Feb 26 - Gould Pumps", (None, 2, 26), "dateline"),
        ("WASHINGTON, Sept. 3 - The Treasury", (None, 9, 3), "dateline"),
        ("BEIJING, July 28 (Xinhua) -- China said", (None, 7, 28), "dateline"),
        ("Moscow, July 28 (Xinhua) -- Russia said", (None, 7, 28), "dateline"),
        ("МОСКВА, 28 июля. /ТАСС/. Министр иностранных дел", (None, 7, 28), "dateline"),
        ("МОСКВА, 3 марта 2022 года. /ТАСС/.", (2022, 3, 3), "dateline"),
        ("BERLIN, 28. Juli 2017 (dpa) - Die Bundesregierung", (2017, 7, 28), "dateline"),
        ("PARIS, 28 juillet 2017 (AFP) - Le ministre", (2017, 7, 28), "dateline"),
        ("MADRID, 28 de julio de 2017 (EFE).- El ministro", (2017, 7, 28), "dateline"),
        ("WIEN, 5. März (APA) - Die Regierung", (None, 3, 5), "dateline"),
        ("MOSCOW, 28.07.2017 - Talks", (2017, 7, 28), "dateline"),
        ("Toronto, Feb 26 - Mixed-case city, dash after", (None, 2, 26), "dateline"),
        ("VANCOUVER, British Columbia, Feb 26 - x", (None, 2, 26), "dateline"),
        ("Scarborough, Ontario, Feb 26 - x", (None, 2, 26), "dateline"),
        ("RICHMOND, Va. Feb 26 - no comma after the state", (None, 2, 26), "dateline"),
        ("DALLAS/FORT WORTH, Texas, March 3 - x", (None, 3, 3), "dateline"),
        ("LISBOA, 28 de julho de 2017 (Lusa) - O ministro", (2017, 7, 28), "dateline"),
        ("ROMA, 3 marzo 2022 (ANSA) - Il ministro", (2022, 3, 3), "dateline"),
    ],
)
def test_dateline_styles(line, expected, source):
    found = find_publication_date([line], TODAY)
    assert (found.year, found.month, found.day) == expected
    assert found.source == source and found.text and line.startswith(found.text)


def test_published_only_with_all_three_parts():
    assert find_publication_date(["MOSCOW, July 28. /TASS/."], TODAY).published is None
    full = find_publication_date(["(Interfax – Moscow, May 17, 2021)"], TODAY)
    assert full.published == date(2021, 5, 17)


@pytest.mark.parametrize(
    "line",
    [
        "February 30, 2017 (EIRNS)—Nothing",
        "(Interfax – Moscow, May 17, 0207)",
        "(Interfax – Moscow, May 17, 2099)",  # after `latest`
        "SALVADOR, Feb 31 - no such day",
        "date 2017-13-01 bad month",
    ],
)
def test_impossible_dates_are_marked_invalid_not_kept(line):
    found = find_publication_date([line], TODAY)
    assert (found.year, found.month, found.day, found.published) == (None, None, None, None)
    assert found.source == "invalid" and found.text


def test_feb_29_without_a_year_is_possible():
    found = find_publication_date(["MOSCOW, Feb 29. /TASS/."], TODAY)
    assert (found.month, found.day) == (2, 29)


@pytest.mark.parametrize(
    "lines",
    [
        ["Russia will act, Lavrov said on Monday [17 May]."],
        ["However, May 5 was a quiet day in Moscow."],  # mixed-case word, no agency marker
        ["The talks began on July 28, 2017 in Manila."],  # a date inside a sentence
        ["First paragraph.", "Second.", "Third.", "Fourth.", "MOSCOW, July 28. /TASS/."],
        [],
    ],
)
def test_body_dates_are_not_the_publication_date(lines):
    assert find_publication_date(lines, TODAY) == NO_DATE


def test_only_the_first_dateline_counts():
    found = find_publication_date(
        ["(Interfax – Moscow, May 17, 2021)", "June 23, 2017 (EIRNS)—x"], TODAY
    )
    assert found.published == date(2021, 5, 17)
