"""Full-text search (warehouse/search.py): real flows, a real tantivy index, the CLI."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tantivy
from conftest import SEEDS, query, run_ingest
from hypothesis import given, settings
from hypothesis import strategies as st
from wirehouse.warehouse import search as search_module
from wirehouse.warehouse.search import (
    TEXT_FIELDS,
    Filters,
    Searcher,
    analyzer,
    generations,
    query_with_hits,
    runs_behind,
    update_index,
)
from wirehouse.warehouse.storage import Warehouse

WIREHOUSE = str(Path(sys.executable).with_name("wirehouse"))
FOLDERS = {"tass": "tass", "xinhua": "xinhua", "reuters": "reuters"}

CRAFTED = {
    "tass/ru1.txt": "Министр иностранных дел заявил о новых санкциях\n\n"
    "МОСКВА, 5 июля 2017. Министр иностранных дел Сергей Лавров заявил, что новые санкции "
    "против России незаконны. Он ещё раз подчеркнул, что Москва ответит на санкции.\n",
    "xinhua/zh1.txt": "中国外交部发言人表示反对制裁\n\n"
    "北京，2017年7月6日 中国外交部发言人今天在例行记者会上表示，中方坚决反对单边制裁，"
    "并呼吁有关各方通过对话解决分歧。\n",
    "reuters/en1.txt": "Foreign minister condemns sanctions\n\n"
    "LONDON, July 10, 2017 - The foreign minister said on Monday that the new sanctions "
    "against the country were unjustified and would harm trade with its neighbours.\n",
    "reuters/en2.txt": "Trade talks resume in Geneva\n\n"
    "LONDON, August 2, 2017 - Ministers from both countries resumed trade talks in Geneva "
    "on Wednesday. No penalties were discussed, officials said after the meeting.\n",
    "reuters/fr1.txt": "Élection présidentielle en France\n\n"
    "PARIS, 7 mai 2017 - Les électeurs français ont voté dimanche lors de l'élection "
    "présidentielle. Le ministre des Affaires étrangères a commenté les sanctions.\n",
}


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, prefect_server) -> Path:
    """Seeds, the crafted articles, and 300 synthetic ones (built-in vocabulary)."""
    from bench.corpus import generate

    source = tmp_path_factory.mktemp("search") / "source"
    shutil.copytree(SEEDS, source / "seeds")
    write(source, CRAFTED)
    generate(source / "generated", 300, seed=7, eval_dir=None)
    target = source.parent / "wh"
    run_ingest(source, target, folder_sources=FOLDERS)
    return target


def ids(warehouse: Path, text: str, **filters) -> set[str]:
    result = Searcher(Warehouse.at(warehouse)).search(text, Filters(**filters), limit=100_000)
    assert result.total == len(result.hits)
    return {h.article_id for h in result.hits}


def article_ids(warehouse: Path, where: str, params: list | None = None) -> set[str]:
    return {
        r[0] for r in query(warehouse, f"SELECT article_id FROM articles WHERE {where}", params)
    }


def crafted(warehouse: Path, name: str) -> str:
    rows = query(warehouse, "SELECT article_id FROM articles WHERE source_path = ?", [name])
    assert len(rows) == 1, name
    return rows[0][0]


def wirehouse(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [WIREHOUSE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )


@pytest.mark.usefixtures("prefect_server")
def test_every_current_article_is_indexed(warehouse):
    searcher = Searcher(Warehouse.at(warehouse))
    (count,) = query(warehouse, "SELECT count(*) FROM articles")[0]
    assert searcher.documents == count > 300
    assert index_ids(warehouse) == article_ids(warehouse, "true")


@pytest.mark.usefixtures("prefect_server")
def test_query_forms(warehouse):
    en1, en2, fr1, ru1 = (
        crafted(warehouse, f"{n}.txt")
        for n in ("reuters/en1", "reuters/en2", "reuters/fr1", "tass/ru1")
    )
    sanctions = ids(warehouse, "sanctions")
    assert {en1, fr1} <= sanctions and en2 not in sanctions
    assert en1 in ids(warehouse, "SANCTION")  # case, and English stemming
    phrase = ids(warehouse, '"foreign minister"')
    assert en1 in phrase and en2 not in phrase
    assert en1 in ids(warehouse, 'sanctions AND "foreign minister"')
    assert en2 not in ids(warehouse, 'sanctions AND "foreign minister"')
    either = ids(warehouse, "geneva OR unjustified")
    assert {en1, en2} <= either
    assert ids(warehouse, "geneva") - ids(warehouse, "geneva NOT penalties") == {en2}
    assert en2 not in ids(warehouse, "trade -geneva") and en1 in ids(warehouse, "trade -geneva")
    assert en1 in ids(warehouse, "unjust*") and en2 not in ids(warehouse, "unjust*")
    assert {en1, en2} <= ids(warehouse, "(geneva OR unjustified) AND trade")
    assert ru1 in ids(warehouse, "санкция*") or ru1 in ids(warehouse, "санкци*")


@pytest.mark.usefixtures("prefect_server")
def test_russian_cjk_and_accents(warehouse):
    ru1, zh1, fr1 = (
        crafted(warehouse, n) for n in ("tass/ru1.txt", "xinhua/zh1.txt", "reuters/fr1.txt")
    )
    assert query(warehouse, "SELECT language FROM articles WHERE article_id = ?", [ru1]) == [
        ("ru",)
    ]
    assert ru1 in ids(warehouse, "санкции")  # stemmed: санкциях, санкции
    assert ru1 in ids(warehouse, "САНКЦИЯМИ")
    assert ru1 in ids(warehouse, "еще")  # ё folded
    assert ru1 in ids(warehouse, '"министр иностранных дел"')
    assert zh1 in ids(warehouse, "外交部")
    assert zh1 in ids(warehouse, "制裁") and zh1 in ids(warehouse, "单边制裁")
    assert zh1 not in ids(warehouse, "交外部")
    assert fr1 in ids(warehouse, "election") and fr1 in ids(warehouse, "ÉLECTION")
    assert fr1 in ids(warehouse, "electeurs") and fr1 in ids(warehouse, '"election presidentielle"')


@pytest.mark.usefixtures("prefect_server")
def test_filters_agree_with_the_articles_view(warehouse):
    everything = ids(warehouse, "the OR и OR der OR le OR el")
    assert len(everything) > 100
    listed = ", ".join(f"'{i}'" for i in everything)
    rows = query(
        warehouse,
        f"SELECT article_id, source, language, published_date FROM articles "
        f"WHERE article_id IN ({listed})",
    )
    for source in {r[1] for r in rows if r[1]}:
        assert ids(warehouse, "the OR и OR der OR le OR el", source=source) == {
            r[0] for r in rows if r[1] == source
        }
    assert ids(warehouse, "the OR и OR der OR le OR el", language="de") == {
        r[0] for r in rows if r[2] == "de"
    }
    dated = sorted(r[3] for r in rows if r[3])
    low, high = dated[len(dated) // 4], dated[3 * len(dated) // 4]
    assert ids(warehouse, "the OR и OR der OR le OR el", date_from=low, date_to=high) == {
        r[0] for r in rows if r[3] and low <= r[3] <= high
    }
    searcher = Searcher(Warehouse.at(warehouse))
    months = dict(searcher.count_by("the OR и OR der OR le OR el", "month"))
    assert sum(months.values()) == len(everything)
    assert months.get(None, 0) == sum(1 for r in rows if r[3] is None)
    by_source = dict(searcher.count_by("the OR и OR der OR le OR el", "source"))
    assert by_source["tass"] == sum(1 for r in rows if r[1] == "tass")


@pytest.mark.usefixtures("prefect_server")
def test_snippets_highlight_the_match(warehouse):
    result = Searcher(Warehouse.at(warehouse)).search('"foreign minister"', limit=20)
    en1 = next(h for h in result.hits if h.source == "reuters" and "sanctions" in (h.title or ""))
    assert "**foreign** **minister**" in en1.snippet.lower()
    zh = Searcher(Warehouse.at(warehouse)).search("外交部", limit=5).hits
    assert "**外**" in zh[0].snippet or "**外交部**" in zh[0].snippet
    ru = Searcher(Warehouse.at(warehouse)).search("ещё", limit=5).hits
    assert any("**ещё**" in h.snippet for h in ru)  # the original text, not the folded one


@pytest.mark.usefixtures("prefect_server")
def test_hits_relation_joins_articles(warehouse):
    columns, rows = query_with_hits(
        Warehouse.at(warehouse),
        "sanctions",
        "SELECT a.source_path, h.score, h.snippet FROM hits AS h JOIN articles AS a "
        "USING (article_id) ORDER BY h.score DESC",
    )
    assert columns == ["source_path", "score", "snippet"]
    assert {r[0] for r in rows} >= {"reuters/en1.txt", "reuters/fr1.txt"}
    assert len(rows) == len(ids(warehouse, "sanctions"))
    assert all("**" in r[2] for r in rows[:5])


@pytest.mark.usefixtures("prefect_server")
def test_word_hits_equal_a_regex_scan(warehouse):
    """A word's hits are exactly the articles whose text holds it as a word, for words no
    other form of which (stemming, accents, case) occurs in the corpus."""
    rows = query(warehouse, "SELECT lower(concat_ws(' ', title, lede, body)) FROM articles")
    raw = {t for (text,) in rows for t in re.findall(r"[^\W_]+", text)}
    plain = analyzer(None)
    stems = [analyzer(code.removeprefix("text_")) for code in TEXT_FIELDS]
    preimage: dict[tuple[int, str], set[str]] = {}
    for token in raw:
        for folded in plain.analyze(token):
            for i, stem in enumerate(stems):
                for term in stem.analyze(folded):
                    preimage.setdefault((i, term), set()).add(token)
    words = sorted(
        w
        for w in raw
        if re.fullmatch(r"[a-z]{4,}", w)
        and all(
            len(terms := stem.analyze(w)) == 1 and preimage[(i, terms[0])] == {w}
            for i, stem in enumerate(stems)
        )
    )
    assert len(words) >= 40
    checked = words[:: max(1, len(words) // 40)]
    for word in checked:
        expected = article_ids(
            warehouse,
            "regexp_matches(lower(concat_ws(' ', title, lede, body)), ?)",
            [rf"(^|[^\p{{L}}\p{{M}}\p{{N}}]){word}([^\p{{L}}\p{{M}}\p{{N}}]|$)"],
        )
        assert ids(warehouse, word) == expected, word


@pytest.mark.usefixtures("prefect_server")
def test_cli_search_count_and_errors(warehouse, tmp_path):
    table = wirehouse("search", 'sanctions AND "foreign minister"', "-w", str(warehouse))
    assert table.returncode == 0, table.stderr
    assert "Foreign minister condemns sanctions" in table.stdout
    csv_out = wirehouse(
        "search", "sanctions", "--source", "reuters", "-f", "csv", "-w", str(warehouse)
    )
    lines = csv_out.stdout.splitlines()
    assert lines[0] == "score,source,date,title,snippet,article_id"
    assert all(",reuters," in line for line in lines[1:]) and len(lines) >= 3
    counts = wirehouse(
        "search", "sanctions", "--count-by", "language", "-f", "json", "-w", str(warehouse)
    )
    assert counts.returncode == 0 and '"language": "en"' in counts.stdout
    plot = tmp_path / "plot.png"
    drawn = wirehouse(
        "search", "the", "--count-by", "month", "--plot", str(plot), "-w", str(warehouse)
    )
    assert drawn.returncode == 0 and plot.stat().st_size > 1000
    joined = wirehouse(
        "query",
        "--search",
        "外交部",
        "SELECT source FROM hits JOIN articles USING (article_id)",
        "-f",
        "csv",
        "-w",
        str(warehouse),
    )
    assert joined.stdout.splitlines() == ["source", "xinhua"]
    for bad in ("foo)", '"unclosed', "AND", ""):
        failed = wirehouse("search", bad, "-w", str(warehouse))
        assert failed.returncode == 1, bad
        assert failed.stderr.startswith("error: ") and len(failed.stderr.splitlines()) == 1, (
            failed.stderr
        )
        assert "Traceback" not in failed.stderr
    failed = wirehouse("query", "--search", "(", "SELECT * FROM hits", "-w", str(warehouse))
    assert failed.returncode == 1 and len(failed.stderr.splitlines()) == 1


def index_ids(warehouse: Path) -> set[str]:
    searcher = Searcher(Warehouse.at(warehouse))
    found = searcher.searcher.search(tantivy.Query.all_query(), max(searcher.documents, 1))
    return {searcher.searcher.doc(a).get_first("article_id") for _, a in found.hits}


def index_rows(warehouse: Path) -> set[tuple]:
    searcher = Searcher(Warehouse.at(warehouse))
    found = searcher.searcher.search(tantivy.Query.all_query(), max(searcher.documents, 1))
    rows = set()
    for _, address in found.hits:
        doc = searcher.searcher.doc(address)
        day = doc.get_first("published_date")
        rows.add(
            (
                doc.get_first("article_id"),
                doc.get_first("source"),
                doc.get_first("language"),
                day.date() if day else None,
                doc.get_first("story_id"),
                bool(doc.get_first("duplicate")),
            )
        )
    return rows


def view_rows(warehouse: Path) -> set[tuple]:
    return set(
        query(
            warehouse,
            "SELECT article_id, source, language, published_date, story_id, "
            "duplicate_of IS NOT NULL FROM articles",
        )
    )


@pytest.mark.usefixtures("prefect_server")
def test_incremental_add_supersede_delete_and_roll_forward(tmp_path, monkeypatch):
    source, target = tmp_path / "source", tmp_path / "wh"
    wh = Warehouse.at(target)
    write(source, {k: v for k, v in CRAFTED.items() if k != "reuters/en2.txt"})
    run_ingest(source, target, folder_sources=FOLDERS)
    assert index_rows(target) == view_rows(target) and len(view_rows(target)) == 4
    assert ids(target, "unjustified") and not ids(target, "geneva")

    # a new file and a changed one: the old version leaves the index, the new one enters
    write(source, {"reuters/en2.txt": CRAFTED["reuters/en2.txt"]})
    write(source, {"reuters/en1.txt": CRAFTED["reuters/en1.txt"].replace("unjustified", "illegal")})
    first = generations(wh)[-1]
    run_ingest(source, target, folder_sources=FOLDERS)
    assert generations(wh)[-1].run_id > first.run_id
    assert not ids(target, "unjustified") and ids(target, "illegal") and ids(target, "geneva")
    assert index_rows(target) == view_rows(target) and len(view_rows(target)) == 5

    # indexing killed after the commit: the previous generation stays searchable
    def killed(name: str) -> None:
        if name == "search-built":
            raise RuntimeError("killed while indexing")

    monkeypatch.setattr(search_module, "crash_point", killed)
    (source / "tass/ru1.txt").unlink()
    before = generations(wh)[-1]
    run_ingest(source, target, folder_sources=FOLDERS)
    assert generations(wh)[-1] == before
    assert runs_behind(wh, before) == [wh.committed_runs()[-1]]
    assert ids(target, "санкции")  # the deleted article: still in the previous generation
    assert len(generations(wh)) <= 2

    # the next run rolls forward: the deletion and this run's change
    monkeypatch.undo()
    write(source, {"reuters/fr1.txt": CRAFTED["reuters/fr1.txt"] + "Nouveau paragraphe.\n"})
    run_ingest(source, target, folder_sources=FOLDERS)
    current = generations(wh)[-1]
    assert current.run_id == wh.committed_runs()[-1] and not runs_behind(wh, current)
    assert not ids(target, "санкции") and ids(target, "nouveau")
    incremental = index_rows(target)
    assert incremental == view_rows(target) and len(incremental) == 4
    assert not list((target / "search").glob(".building-*"))

    # an unchanged run builds no generation; reindex equals the incremental index
    run_ingest(source, target, folder_sources=FOLDERS)
    assert generations(wh)[-1] == current
    rebuilt = update_index(wh, rebuild=True)
    assert rebuilt.rebuilt and rebuilt.documents == 4
    assert index_rows(target) == incremental
    assert len(generations(wh)) == 2


@pytest.mark.usefixtures("prefect_server")
def test_artifact_reports_index_size(tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    summary = run_ingest(SEEDS, tmp_path / "wh")
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["ingest-summary"]))
        )
    mine = [a.data for a in artifacts if summary["run_id"] in (a.data or "")]
    assert mine and "Search index: 5 articles after the run." in mine[0]


def test_equal_scores_come_in_article_id_order_whoever_indexed_them(tmp_path, monkeypatch):
    """Reprints of one text score the same: the hits kept, and their order, are decided by
    article id, not by which indexing thread or run put each one where in the index."""
    source = tmp_path / "src"
    story = "Geneva talks on the grain corridor resumed today, officials said.\n"
    write(source, {f"copies/c{i:02d}.txt": f"Grain corridor\n\n{story}" for i in range(30)})
    write(source, {"other/o1.txt": "Grain prices\n\nGrain prices rose again in Chicago.\n"})
    run_ingest(source, tmp_path / "wh")
    wh = Warehouse.at(tmp_path / "wh")
    ids = sorted(r[0] for r in query(wh.root, "SELECT article_id FROM articles"))
    copies = sorted(
        r[0]
        for r in query(wh.root, "SELECT article_id FROM articles WHERE source_path LIKE 'copies/%'")
    )
    assert len(ids) == 31 and len(copies) == 30
    orders = []
    for threads in (1, 4):  # one segment, then several filled in no set order
        monkeypatch.setattr(search_module, "INDEX_THREADS", threads)
        update_index(wh, rebuild=True)
        searcher = Searcher(wh)
        result = searcher.search('"grain corridor" geneva', limit=7)
        assert result.total == 30
        assert [h.article_id for h in result.hits] == copies[:7]
        orders.append([h.article_id for h in searcher.search("corridor", limit=50).hits])
    assert orders[0] == orders[1] == copies


@given(st.text(min_size=search_module.ARRAY_FOLD_CHARS, max_size=600) | st.text(max_size=40))
@settings(deadline=None, database=None, max_examples=400)
def test_fold_of_a_long_text_is_the_tables(text):
    assert search_module.fold(text) == text.translate(search_module._FOLD)


_MIXED = st.sampled_from(
    "aZ09 _-.,'\"\n\t\u00a0\u3000éÉßøĳ"  # ASCII, spaces, precomposed Latin, ligature
    "йЙёЁσς"  # Cyrillic (й keeps its mark), Greek
    "हिन्दी"  # Devanagari: letters with combining vowel signs and a virama
    "新华社北京ひらがなカタカナ한국어"  # Han, Kana (single tokens), Hangul (runs)
    "\u0301\u200d①²½"  # a lone combining mark, ZWJ, other numbers
) | st.characters(exclude_categories=("Cs",))


@given(
    st.text(_MIXED, min_size=search_module.ARRAY_FOLD_CHARS, max_size=700)
    | st.text(_MIXED, max_size=60)
)
@settings(deadline=None, database=None, max_examples=400)
def test_the_writers_pre_split_text_gives_the_regex_analyzers_tokens(text):
    """The writer indexes `index_text` with a whitespace tokenizer: the tokens (and so
    positions: the bare tokenizers) and the analyzed terms are the regex analyzer's."""
    bare_regex = search_module._bare_regex()
    bare_split = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
    split = search_module.index_text(text)
    assert bare_split.analyze(split) == bare_regex.analyze(search_module.fold(text))
    for language in ("en", "ru", None):
        assert analyzer(language, pre_split=True).analyze(split) == analyzer(language).analyze(
            search_module.fold(text)
        )


def test_part_texts_stream_rows_in_file_order_across_batches(tmp_path):
    """The full build reads an article part's text in file order, a batch at a time; a
    text column the part lacks (an older part) reads as null."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = 2 * search_module.BATCH_ROWS + 7  # several of the reader's batches
    part = tmp_path / "articles-old.parquet"
    table = pa.table(
        {
            "title": [f"title {i}" for i in range(rows)],
            "body": [None if i % 5 == 0 else f"body {i}" for i in range(rows)],
        }
    )
    pq.write_table(table, part, row_group_size=1_500)
    texts = search_module._PartTexts(str(part))
    wanted = [0, 1, 999, 1_000, 1_001, 2_500, rows - 1]
    got = [texts.row(number) for number in wanted]
    assert got == [
        {"title": f"title {i}", "lede": None, "body": None if i % 5 == 0 else f"body {i}"}
        for i in wanted
    ]
