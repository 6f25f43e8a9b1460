"""The tables of a 2,000-document mixed corpus equal the ones recorded by an earlier
version of the code: a change meant to make a step faster must not change what lands.

The corpus is written here, the same bytes on every machine: 1,600 plain-text files from
bench.corpus with its built-in words (12 languages, 20+ outlets and dateline styles,
UTF-8/BOM/UTF-16/cp1251/cp1252/latin-1/mojibake, reprinted copies, broken files), a JSON
Lines file of 250 news-please records and 150 HTML pages (bench.formats), and 100 of its
articles with two quotations each, in five languages' quoting styles. It is ingested
by the real flow on two workers, and every table and view is reduced to one digest per
column
(`table_digests`): paths, run ids and times are left out, and article ids, which hash the
source folder, are replaced by the document they name.

The expectation, tests/expected/outputs-mixed.json, also names the versions of the
libraries that shape the outputs (decoding, dates, language, HTML): with other versions
installed, the test skips and says so, since the tables may then rightly differ.
`make setup` installs those versions (tests/constraints.txt, kept in step by a test), so
on a fresh machine the test runs. To record both again, after a change that is meant to
change outputs or to move to newer libraries:

    WIREHOUSE_RECORD_OUTPUTS=1 .venv/bin/pytest tests/test_outputs.py
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib.metadata import version
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import run_ingest

pytestmark = [pytest.mark.usefixtures("prefect_server"), pytest.mark.slow]

EXPECTED = Path(__file__).parent / "expected" / "outputs-mixed.json"
CONSTRAINTS = Path(__file__).parent / "constraints.txt"
RECORD = "WIREHOUSE_RECORD_OUTPUTS"
LIBRARIES = (
    "charset-normalizer",
    "ftfy",
    "babel",
    "langdetect",
    "numpy",
    "duckdb",
    "trafilatura",
    "htmldate",
    "lxml",
)
# Columns that differ from run to run or machine to machine, whatever the code does.
VOLATILE = {
    "source_root",
    "file_key",
    "file_mtime",
    "file_mtime_ns",
    "ingested_at",
    "event_at",
    "rejected_at",
    "run_id",
    "superseded_at",
    "deleted_at",
}
ID_COLUMNS = ("article_id",)
# Which article names a story, and which copy of a text is the original, follow the order
# of the ids (hashes of the folder): a story is named by its first member's name instead,
# `duplicate_of` kept as the number of copies in the article's story, and
# `matched_article_id` (one of several copies) as whether there is one.
STORY_COLUMNS = ("story_id",)
TABLES = (
    "articles",
    "article_versions",
    "file_events",
    "rejects",
    "quotes",
    "article_features",  # the story signatures and weekdays (no view: read from its parts)
    "article_links",
    "inferred_dates",
    "stories",
    "manifest",
)
QUOTE_STYLES = (
    '"{q}," {who} said.',
    "{who} said: \u201c{q}.\u201d",
    "\u00ab{q}\u00bb, \u2014 \u0437\u0430\u044f\u0432\u0438\u043b {who}.",
    "\u201e{q}\u201c, sagte {who}.",
    "\u00ab {q} \u00bb, a d\u00e9clar\u00e9 {who}.",
)
WEEKDAYS = ("Monday", "Tuesday", "Friday")
SPEAKERS = ("Sergei Lavrov", "the foreign minister", "Angela Merkel", "a spokesman")
RUN_COUNTS = ("discovered", "new", "rejected", "docs_new", "docs_rejected")


def write_corpus(root: Path) -> None:
    from bench.corpus import load_sources, write_files
    from bench.formats import html_page, jsonl_record, stories

    sources = load_sources(None)  # the built-in words: the same on every machine
    write_files(root / "plain", 1600, 3, sources)
    (root / "dump").mkdir()
    with (root / "dump" / "news.jsonl").open("w", encoding="utf-8") as out:
        out.writelines(jsonl_record(s) for s in stories(sources, 5000, 5250, seed=3))
    (root / "pages").mkdir()
    for story in stories(sources, 6000, 6150, seed=3):
        (root / "pages" / f"{story.name}.html").write_text(html_page(story), encoding="utf-8")
    (root / "quoted").mkdir()  # the built-in words hold no quotations: these do
    for i, story in enumerate(stories(sources, 7000, 7100, seed=3)):
        words = story.maintext.split()
        said = QUOTE_STYLES[i % len(QUOTE_STYLES)].format(
            q=" ".join(words[:9]).strip(".,;"), who=SPEAKERS[i % len(SPEAKERS)]
        )
        again = QUOTE_STYLES[(i + 1) % len(QUOTE_STYLES)].format(
            q=" ".join(words[9:16]).strip(".,;"), who=SPEAKERS[(i + 2) % len(SPEAKERS)]
        )
        head, _, rest = story.plain.partition("\n\n")
        day = WEEKDAYS[i % len(WEEKDAYS)]  # "on Friday": the lead's weekday (tasks/stories.py)
        text = f"{head}\n\nTalks went on on {day}.\n\n{said}\n\n{rest}\n\n{again}\n"
        (root / "quoted" / f"{story.name}.txt").write_text(text, encoding="utf-8")


def table_digests(warehouse: Path) -> dict[str, Any]:
    """Per table: its row count and one SHA-256 per column over the rows in order."""
    with duckdb.connect(str(warehouse / "wirehouse.duckdb"), read_only=True) as con:
        con.execute(
            "CREATE TEMP TABLE names AS SELECT DISTINCT article_id, "
            "concat_ws('|', source_path, record_key, version) AS name FROM article_versions"
        )
        con.execute(
            "CREATE TEMP TABLE story_names AS SELECT l.story_id, min(n.name) AS name "
            "FROM article_links AS l JOIN names AS n USING (article_id) GROUP BY 1"
        )
        features = sorted(str(p) for p in warehouse.glob("commits/*/article_features-*.parquet"))
        con.execute(f"CREATE TEMP VIEW article_features AS FROM read_parquet({features!r})")
        out: dict[str, Any] = {}
        for table in TABLES:
            columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
            kept = [c for c in columns if c not in VOLATILE]
            select = [_canonical_sql(c) for c in kept]
            sql = f"SELECT {', '.join(select)} FROM {table} AS t ORDER BY ALL"
            rows = con.execute(sql).fetchall()
            digests = {}
            for i, column in enumerate(kept):
                digest = hashlib.sha256()
                for row in rows:
                    digest.update(_canonical(row[i]).encode("utf-8", "surrogatepass") + b"\x00")
                digests[column] = digest.hexdigest()[:16]
            out[table] = {"rows": len(rows), "columns": digests}
        (counts,) = con.execute(f"SELECT {', '.join(RUN_COUNTS)} FROM runs").fetchall()
        out["runs"] = dict(zip(RUN_COUNTS, counts, strict=True))
    return out


def _canonical_sql(column: str) -> str:
    if column in ID_COLUMNS:
        return f'(SELECT name FROM names WHERE names.article_id = t."{column}") AS "{column}"'
    if column in STORY_COLUMNS:
        return f'(SELECT name FROM story_names AS s WHERE s.story_id = t."{column}") AS "{column}"'
    if column == "matched_article_id":
        return f't."{column}" IS NOT NULL AS "{column}"'
    if column == "duplicate_of":  # how many of the story's articles are copies
        return 'count(t.duplicate_of) OVER (PARTITION BY t.story_id) AS "duplicate_of"'
    return f't."{column}"'


def _canonical(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | tuple):
        return json.dumps([_canonical(v) for v in value])
    return repr(value)


def test_the_tables_of_a_mixed_corpus_are_the_recorded_ones(tmp_path):
    versions = {name: version(name) for name in LIBRARIES}
    recording = os.environ.get(RECORD) == "1"
    if not recording:
        expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
        if expected["versions"] != versions:
            differ = {
                k: f"{expected['versions'].get(k)} -> {v}"
                for k, v in versions.items()
                if expected["versions"].get(k) != v
            }
            pytest.skip(f"outputs recorded with other library versions: {differ}; {RECORD}=1")
    source = tmp_path / "corpus"
    write_corpus(source)
    summary = run_ingest(source, tmp_path / "wh", workers=2)
    written = sum(1 for p in source.rglob("*") if p.is_file())
    assert summary["discovered"] == written > 1700
    found = {"versions": versions, "tables": table_digests(tmp_path / "wh")}
    if recording:
        EXPECTED.parent.mkdir(exist_ok=True)
        EXPECTED.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        _write_constraints(versions)
        return
    for table, want in expected["tables"].items():
        got = found["tables"][table]
        if table == "runs":
            assert got == want, "run counts"
            continue
        assert got["rows"] == want["rows"], f"{table}: row count"
        changed = sorted(c for c in want["columns"] if got["columns"].get(c) != want["columns"][c])
        assert not changed, f"{table}: these columns are not the recorded ones: {changed}"
    assert set(found["tables"]) == set(expected["tables"])


def _pinned() -> dict[str, str]:
    lines = CONSTRAINTS.read_text(encoding="utf-8").splitlines()
    return dict(line.split("==") for line in lines if line and not line.startswith("#"))


def _write_constraints(versions: dict[str, str]) -> None:
    comments = [
        line for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines() if line[:1] == "#"
    ]
    pins = [f"{name}=={versions[name]}" for name in sorted(versions)]
    CONSTRAINTS.write_text("\n".join(comments + pins) + "\n", encoding="utf-8")


def test_make_setup_installs_the_recorded_versions():
    """tests/constraints.txt pins what the expectation was recorded with, every library."""
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))["versions"]
    assert _pinned() == expected
    assert set(expected) == set(LIBRARIES)
