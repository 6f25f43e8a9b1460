"""Stories, duplicates, inferred dates and shared quotes: rules, real flows, the cookbook."""

from __future__ import annotations

import os
import random
import re
import zlib
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pytest
from conftest import SEEDS, query, run_ingest
from hypothesis import given, settings
from hypothesis import strategies as st
from wirehouse.tasks.stories import (
    _WEEKDAY,
    _WEEKDAYS,
    MAX_QUOTE_ARTICLES,
    Candidate,
    Dated,
    Pair,
    days_apart,
    infer_from_story,
    infer_from_weekday,
    lead_weekday,
    link_kind,
    minhash,
    permutations,
    shingle_signature,
    story_features,
    word_shingles,
)
from wirehouse.warehouse.catalog import TRUSTED_INFERENCE

PROJECT = Path(__file__).resolve().parent.parent

RATE_BODY = (
    "Russia's central bank raised its key interest rate by half a percentage point to "
    "five percent, its first increase in three years, citing accelerating inflation and "
    "strong consumer demand after the pandemic slump.\n\n"
    '"Inflation is rising faster than we expected, and the risks have shifted towards '
    'higher prices for longer," central bank governor Elvira Nabiullina told reporters '
    "at a news conference.\n\n"
    "Economists polled before the meeting had mostly expected the regulator to keep "
    "borrowing costs unchanged, although several large lenders had warned that food "
    "prices, a weaker rouble and government spending were pushing inflation well above "
    "the four percent target. The bank said further increases were possible at its "
    "coming meetings if price growth did not slow, and it raised its forecast for "
    "economic growth this year as factories and retailers reported rising orders.\n\n"
    "The rouble firmed against the dollar and the euro after the announcement, while "
    "yields on government bonds rose across the curve as traders priced in a faster "
    "cycle of tightening than analysts had predicted only a month ago."
)
WIRE = (
    "Central bank raises key rate to fight inflation\n\n"
    f"MOSCOW, March 3, 2021 (Reuters) - {RATE_BODY}\n"
)
# The wire copy reprinted by another outlet: its own dateline, no year, a few words changed.
REPRINT = (
    "Bank of Russia lifts key rate\n\nMOSCOW, March 3. /TASS/. "
    + RATE_BODY.replace("strong consumer", "robust consumer")
    .replace("several large lenders", "several big banks")
    .replace("firmed against", "strengthened against")
    + "\n"
)
# A different article on the same event, a day later, quoting the governor.
FOLLOW_UP = (
    "(Interfax – Moscow, March 4, 2021)\n\n"
    "Bankers and business groups gave a mixed response to the surprise rate decision, "
    "with retailers warning that dearer credit would hurt sales of cars and appliances "
    "while exporters welcomed the prospect of a steadier currency.\n\n"
    "Nabiullina defended the move. "
    '"Inflation is rising faster than we expected, and the risks have shifted towards '
    'higher prices for longer," she said, adding that the regulator would act again '
    "if needed.\n"
)
# Unrelated, year-less, with a weekday in its lead.
WEEKDAY = (
    "BEIJING, July 28 (Xinhua) -- China's ministry of agriculture said on Friday that the "
    "summer grain harvest had reached a record, helped by favourable weather across the "
    "northern plains and new irrigation projects in several provinces, and that purchase "
    "prices for wheat would be kept stable for farmers throughout the coming season.\n"
)


def write(folder: Path, name: str, text: str, mtime: date | None = None) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if mtime:
        stamp = datetime(mtime.year, mtime.month, mtime.day, 12).timestamp()
        os.utime(path, (stamp, stamp))
    return path


def articles(warehouse: Path) -> dict[str, dict]:
    sql = """SELECT source_path, story_id, duplicate_of, published_date, date_source,
                    date_confidence, source, article_id FROM articles"""
    keys = ("story", "duplicate_of", "date", "date_source", "confidence", "source", "id")
    return {row[0]: dict(zip(keys, row[1:], strict=True)) for row in query(warehouse, sql)}


# --------------------------------------------------------------------------- rules


def test_minhash_is_datasketchs():
    datasketch = pytest.importorskip("datasketch")
    tokens = [w.encode() for w in ("central", "bank", "raises", "its", "key", "interest")]
    reference = datasketch.MinHash(
        num_perm=64, hashfunc=zlib.crc32, permutations=permutations(), scheme="legacy"
    )
    reference.update_batch(tokens)
    assert np.array_equal(reference.hashvalues, minhash(tokens))


_WORDY = (
    st.sampled_from(
        [*"ab Z9_ \n\t.,—«»'-", "Straße", "ǅ", "İ", "ﬁ", "北京", "ё", "\u0301", "²", "½", "\udcff"]
    )
    | st.characters()
)


@given(st.lists(_WORDY, max_size=80).map("".join))
@settings(deadline=None, database=None, max_examples=300)
def test_the_compiled_signature_is_minhash_of_the_word_shingles(text):
    """`shingle_signature` (words found by a code-point table, shingles hashed from their
    UTF-8 bytes by a compiled crc32) gives `minhash` of `word_shingles`: the stored values."""
    shingles = list(word_shingles(text))
    expected = minhash(shingles).astype(np.uint32).tolist() if shingles else None
    assert shingle_signature(text) == expected


def test_signatures_estimate_word_overlap():
    wire, reprint, other = (
        story_features(None, text).signature for text in (WIRE, REPRINT, WEEKDAY)
    )
    assert np.mean(np.array(wire) == np.array(reprint)) > 0.7
    assert np.mean(np.array(wire) == np.array(other)) < 0.2
    assert story_features(None, "… — !").signature is None


@pytest.mark.parametrize(
    ("lead", "weekday"),
    [
        ("The ministry said on Friday that", 4),
        ("Die Regierung teilte am Montag mit", 0),
        ("Le ministre a déclaré mardi que", 1),
        ("Министр заявил в пятницу, что", 4),
        ("The talks last Friday and next Monday", None),
        ("Fridays are quiet", None),
    ],
)
def test_weekday_of_the_lead(lead, weekday):
    assert lead_weekday(lead) == weekday


def test_days_apart_wraps_around_the_year_when_one_year_is_missing():
    assert days_apart(Dated(2021, 12, 31), Dated(None, 1, 2)) == 2
    assert days_apart(Dated(2021, 12, 31), Dated(2022, 1, 2)) == 2
    assert days_apart(Dated(2021, 3, 3), Dated(2020, 3, 3)) == 365
    assert days_apart(Dated(2021, 3, None), Dated(2021, 3, 3)) is None
    assert days_apart(Dated(2017, 2, 30), Dated(2017, 2, 28)) is None  # no such date


def test_story_inference_takes_the_majority_and_the_weekday_raises_confidence():
    member = Dated(None, 12, 31, weekday=4)  # 31 December 2021 was a Friday
    siblings = [date(2022, 1, 1), date(2022, 1, 2), date(2019, 12, 30)]
    found, confidence = infer_from_story(member, siblings)
    assert found == date(2021, 12, 31)
    assert confidence == pytest.approx(0.8 * 2 / 3 + 0.15, abs=0.01)
    assert infer_from_story(Dated(None, 6, 1), [date(2022, 1, 1)]) is None  # too far


def test_weekday_inference_picks_the_latest_matching_year_up_to_the_files():
    # An archive copied years later: 2017 or 2006, equally likely; the latest is taken.
    found, confidence = infer_from_weekday(
        Dated(None, 7, 28, weekday=4, file_date=date(2022, 6, 1)), date(2026, 1, 1)
    )
    assert found == date(2017, 7, 28) and confidence == 0.25
    # A file saved days after the day: that year, likely.
    found, confidence = infer_from_weekday(
        Dated(None, 7, 28, weekday=4, file_date=date(2017, 8, 2)), date(2026, 1, 1)
    )
    assert found == date(2017, 7, 28) and confidence == 0.9
    assert infer_from_weekday(Dated(None, 7, 28), date(2026, 1, 1)) is None


def test_links_need_close_dates_except_for_copies():
    def article(text: str, when: Dated, content: str | None = None) -> Candidate:
        return Candidate(text[:8], True, content, when, None)

    def pair(a: str, b: str, quote: bool = False) -> Pair:
        first, second = (np.array(story_features(None, t).signature) for t in (a, b))
        return Pair("a", "b", quote, float(np.mean(first == second)))

    wire, reprint = article(WIRE, Dated(2021, 3, 3)), article(REPRINT, Dated(None, 3, 3))
    assert link_kind(wire, reprint, pair(WIRE, REPRINT))[0] == "near_duplicate"
    month_later = article(REPRINT, Dated(2021, 4, 3))
    assert link_kind(wire, month_later, pair(WIRE, REPRINT, True)) is None
    undated = article(FOLLOW_UP, Dated(None, None, None))
    # A shared quote alone is not enough: the days must be known and close.
    assert link_kind(wire, undated, pair(WIRE, FOLLOW_UP, True)) is None
    follow_up = article(FOLLOW_UP, Dated(2021, 3, 4))
    assert link_kind(wire, follow_up, pair(WIRE, FOLLOW_UP, True))[0] == "shared_quote"
    assert link_kind(wire, follow_up, pair(WIRE, FOLLOW_UP)) is None
    copy_a, copy_b = (
        article(WIRE, Dated(2021, 3, 3), "x"),
        article(WIRE, Dated(None, None, None), "x"),
    )
    assert link_kind(copy_a, copy_b, pair(WIRE, WIRE)) == ("duplicate", 1.0)


def test_one_outlets_templated_items_are_not_one_story():
    def reuters(day: int) -> Candidate:
        return Candidate(f"r{day}", True, None, Dated(None, 3, day), None, "reuters")

    def similar(score: float) -> Pair:
        return Pair("a", "b", False, score)

    # "Fed adds reserves" on consecutive days, or two companies' dividend notices.
    assert link_kind(reuters(12), reuters(13), similar(0.86)) is None
    assert link_kind(reuters(12), reuters(12), similar(0.7)) is None
    # The same item repeated or corrected on the day does link.
    assert link_kind(reuters(12), reuters(12), similar(0.9))[0] == "near_duplicate"
    # So does a near-copy printed by another outlet the next day.
    other = Candidate("t", True, None, Dated(None, 3, 13), None, "tass")
    assert link_kind(reuters(12), other, similar(0.7))[0] == "near_duplicate"


# --------------------------------------------------------------------------- flows


@pytest.mark.usefixtures("prefect_server")
def test_a_quote_in_too_many_articles_links_none(tmp_path):
    """A stock phrase quoted across more than MAX_QUOTE_ARTICLES articles is no evidence of
    one event (and its pairs would grow with the square of its articles); two articles
    sharing a quote do link (test_stories_grow_incrementally_and_dates_are_inferred_openly)."""
    rng, vocabulary = random.Random(7), sorted(set((RATE_BODY + FOLLOW_UP).split()))
    quote = FOLLOW_UP.split("\n\n")[-1]
    for i in range(MAX_QUOTE_ARTICLES + 1):
        dateline = ("(Interfax – Moscow, March 4, 2021)\n\n", "MOSCOW, March 4, 2021 (Reuters) - ")
        body = " ".join(rng.choice(vocabulary) for _ in range(150))
        write(tmp_path / "src", f"a{i:03d}.txt", f"{dateline[i % 2]}{body}\n\n{quote}")
    run_ingest(tmp_path / "src", tmp_path / "wh")
    kinds = dict(query(tmp_path / "wh", "SELECT link, count(*) FROM article_links GROUP BY 1"))
    assert kinds == {None: MAX_QUOTE_ARTICLES + 1}


@pytest.fixture(scope="module")
def news(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two runs: the year-less reprint alone, then the wire, a copy, a follow-up, others."""
    source = tmp_path_factory.mktemp("news")
    warehouse = source.parent / "news-wh"
    write(source, "tass/reprint.txt", REPRINT, mtime=date(2021, 6, 1))
    return source, warehouse


@pytest.mark.usefixtures("prefect_server")
def test_stories_grow_incrementally_and_dates_are_inferred_openly(news):
    source, warehouse = news
    run_ingest(source, warehouse)
    first = articles(warehouse)["tass/reprint.txt"]
    # Alone, the reprint has no year and nothing to infer one from (no weekday either).
    assert first["story"] is not None and first["date"] is None

    write(source, "reuters/wire.txt", WIRE)
    write(source, "mirror/wire.txt", WIRE)  # the same file reached twice
    write(source, "interfax/follow-up.txt", FOLLOW_UP)
    write(source, "xinhua/harvest.txt", WEEKDAY, mtime=date(2022, 6, 1))
    summary = run_ingest(source, warehouse)
    assert summary["new"] == 4 and summary["unchanged"] == 1
    rows = articles(warehouse)

    reprint, wire = rows["tass/reprint.txt"], rows["reuters/wire.txt"]
    copy, follow_up = rows["mirror/wire.txt"], rows["interfax/follow-up.txt"]
    # The new articles joined the story the reprint started; its id did not change.
    assert reprint["story"] == first["story"]
    assert wire["story"] == copy["story"] == follow_up["story"] == reprint["story"]
    assert rows["xinhua/harvest.txt"]["story"] != reprint["story"]
    # Exact duplicates point at the first copy and count once in the story.
    assert {wire["duplicate_of"], copy["duplicate_of"]} == {None, min(wire["id"], copy["id"])}
    ((count, files, outlets),) = query(
        warehouse,
        "SELECT article_count, file_count, outlets FROM stories WHERE story_id = ?",
        [reprint["story"]],
    )
    assert (count, files) == (3, 4)
    assert {"reuters", "tass", "interfax"} <= set(outlets)
    # The reprint's year now comes from its dated siblings; stated dates stay stated.
    inferred = {
        article_id: (when, kind, confidence)
        for article_id, when, kind, confidence in query(
            warehouse,
            "SELECT article_id, published_date, date_source, date_confidence FROM inferred_dates",
        )
    }
    when, kind, confidence = inferred[reprint["id"]]
    assert (when, kind) == (date(2021, 3, 3), "inferred:story")
    # All three dated siblings agree (0.8 x 3/3): trusted, so it fills published_date.
    assert confidence == pytest.approx(0.8) and confidence >= TRUSTED_INFERENCE
    assert (reprint["date"], reprint["date_source"]) == (when, kind)
    assert reprint["confidence"] == 0.8
    assert (wire["date"], wire["confidence"]) == (date(2021, 3, 3), 1.0)
    assert wire["date_source"] != "inferred:story"
    harvest = rows["xinhua/harvest.txt"]
    # 2006 or 2017 (the file was saved in 2022): a guess, kept in inferred_dates only.
    assert inferred[harvest["id"]] == (date(2017, 7, 28), "inferred:weekday", 0.25)
    assert harvest["date"] is None and harvest["date_source"] != "inferred:weekday"
    # How each one got there is on record.
    links = dict(query(warehouse, "SELECT article_id, link FROM article_links"))
    assert links[follow_up["id"]] == "shared_quote"
    assert links[wire["id"]] in {"near_duplicate", "duplicate"}

    again = run_ingest(source, warehouse)
    assert again["new"] == 0
    assert articles(warehouse) == rows  # nothing re-linked, nothing duplicated
    (n,) = query(warehouse, "SELECT count(*) FROM article_links")[0]
    assert n == 5

    # Reprocessing everything makes new versions; they stay in their stories.
    forced = run_ingest(source, warehouse, force=True)
    assert forced["reprocessed"] == 5
    after = articles(warehouse)
    assert {p: r["story"] for p, r in after.items()} == {p: r["story"] for p, r in rows.items()}
    assert {p: r["date"] for p, r in after.items()} == {p: r["date"] for p, r in rows.items()}


@pytest.fixture(scope="module")
def seeds_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    warehouse = tmp_path_factory.mktemp("seed-stories") / "wh"
    run_ingest(SEEDS, warehouse)
    return warehouse


@pytest.mark.usefixtures("prefect_server")
def test_seeds_000_and_001_share_a_story_and_a_quote(seeds_warehouse):
    rows = {path[:3]: row for path, row in articles(seeds_warehouse).items()}
    assert rows["000"]["story"] == rows["001"]["story"]
    assert rows["003"]["story"] != rows["000"]["story"]
    assert rows["004"]["story"] not in {rows["000"]["story"], rows["003"]["story"]}
    assert (rows["000"]["date"], rows["000"]["date_source"]) == (
        date(2017, 7, 28),
        "inferred:story",
    )


COOKBOOK = sorted((PROJECT / "queries").glob("*.sql"))


def test_every_cookbook_query_is_tested():
    assert {q.stem for q in COOKBOOK} == {
        "outlets_per_story",
        "who_published_first",
        "shared_quotes",
        "coverage_by_month_and_language",
    }


def run_cookbook(warehouse: Path, name: str) -> list[dict]:
    sql = (PROJECT / "queries" / f"{name}.sql").read_text()
    with duckdb.connect(str(warehouse / "wirehouse.duckdb"), read_only=True) as con:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


@pytest.mark.usefixtures("prefect_server")
def test_cookbook_on_the_seeds(seeds_warehouse):
    (shared,) = [
        q
        for q in run_cookbook(seeds_warehouse, "shared_quotes")
        if "illegal sanctions" in q["quote"]
    ]
    assert shared["quote"].startswith("Such actions included illegal sanctions against Russia")
    assert [f[:3] for f in shared["files"]] == ["000", "001"]
    assert shared["speakers"] == ["the ministry", "the statement"]

    (story,) = run_cookbook(seeds_warehouse, "outlets_per_story")
    assert story["article_count"] == 2 and story["outlets"] == ["tass"]
    assert story["title"].startswith("Lavrov tells Tillerson")

    order = run_cookbook(seeds_warehouse, "who_published_first")
    assert {r["source_path"][:3] for r in order} == {"000", "001"}
    assert all(r["rank"] == 1 for r in order)  # the same day: a tie, openly

    coverage = {
        (r["month"], r["language"]): r["articles"]
        for r in run_cookbook(seeds_warehouse, "coverage_by_month_and_language")
    }
    assert coverage == {
        (date(2017, 6, 1), "en"): 1,
        (date(2017, 7, 1), "en"): 2,
        (date(2021, 5, 1), "en"): 1,
    }


@pytest.mark.usefixtures("prefect_server")
def test_cookbook_on_the_news(news):
    _, warehouse = news
    if not warehouse.exists():
        pytest.skip("needs test_stories_grow_incrementally_and_dates_are_inferred_openly")
    order = run_cookbook(warehouse, "who_published_first")
    firsts = {r["source_path"] for r in order if r["rank"] == 1}
    assert "interfax/follow-up.txt" not in firsts and "reuters/wire.txt" in firsts
    (story,) = [s for s in run_cookbook(warehouse, "outlets_per_story") if s["article_count"] > 2]
    assert story["first_published"] == date(2021, 3, 3)
    assert story["last_published"] == date(2021, 3, 4)
    coverage = {
        (r["month"], r["language"]): r["articles"]
        for r in run_cookbook(warehouse, "coverage_by_month_and_language")
    }
    assert coverage[(date(2021, 3, 1), "en")] == 3  # the mirrored copy counts once


def test_cookbook_files_are_read_only_sql():
    for path in COOKBOOK:
        (statement,) = duckdb.extract_statements(path.read_text())
        assert statement.type == duckdb.StatementType.SELECT, path


_PLAIN_WEEKDAY = re.compile(  # the pattern before its lookbehind was factored out
    r"(?<![\w-])(?:on|am|el|в|во)\s+(" + "|".join(_WEEKDAYS) + r")\b"
    r"|(?<![\w-])(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b",
    re.IGNORECASE,
)


@given(
    st.lists(
        st.sampled_from([*_WEEKDAYS, "on", "ON", "Am", "el", "в", "ВО", "x", "-", "last"])
        | st.text(alphabet="oOnNaAmMеЕвВ \n-_ſKİı", max_size=4),
        max_size=8,
    ).map(" ".join)
)
@settings(deadline=None, database=None, max_examples=2000)
def test_weekday_pattern_finds_what_the_plain_one_does(lead):
    plain = _PLAIN_WEEKDAY.search(lead)
    match = _WEEKDAY.search(lead)
    assert (plain and plain.span(), plain and plain.groups()) == (
        match and match.span(),
        match and match.groups(),
    )
