"""Files of many documents through the real flow: per-document versions, deletions, rejects."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import query, run_ingest

pytestmark = pytest.mark.usefixtures("prefect_server")

RECORDS = [
    {
        "id": "a1",
        "title": "Lavrov meets Tillerson in Manila",
        "maintext": "MANILA, Aug 7 (Reuters) - Russian Foreign Minister Sergei Lavrov met "
        "U.S. Secretary of State Rex Tillerson on Sunday, the ministry said.",
        "date_publish": "2017-08-07 10:00:00",
        "url": "https://example.com/a1",
        "source_domain": "reuters.com",
    },
    {
        "id": "a2",
        "title": "Moscow answers sanctions",
        "maintext": "MOSCOW, July 28. /TASS/. Russia has ordered the United States to cut its "
        "diplomatic staff, the Foreign Ministry said on Friday.",
    },
    {
        "id": "a3",
        "title": "Die Regierung beobachtet die Lage",
        "maintext": "BERLIN, 28. Juli 2017 (dpa) - Die Bundesregierung hat am Freitag "
        "mitgeteilt, dass sie die Lage in Moskau genau beobachte.",
    },
]


def write_jsonl(path: Path, records: list[dict], extra: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n" + extra, encoding="utf-8")


def current(warehouse: Path) -> dict[str, tuple]:
    rows = query(
        warehouse,
        "SELECT record_key, version, article_id, format, title, published_date, date_source, "
        "source, url FROM articles WHERE source_path = 'dump/news.jsonl'",
    )
    return {row[0]: row[1:] for row in rows}


def docs(summary: dict) -> tuple[int, ...]:
    keys = ("docs_new", "docs_changed", "docs_unchanged", "docs_deleted", "docs_rejected")
    return tuple(summary[k] for k in keys)


def test_documents_of_a_changing_file_keep_their_versions(tmp_path):
    source, warehouse = tmp_path / "src", tmp_path / "wh"
    dump = source / "dump" / "news.jsonl"
    write_jsonl(dump, RECORDS)
    first = run_ingest(source, warehouse)
    assert (first["new"], docs(first)) == (1, (3, 0, 0, 0, 0))
    rows = current(warehouse)
    assert set(rows) == {"a1", "a2", "a3"}
    version, _, fmt, title, published, date_source, outlet, url = rows["a1"]
    # The container's fields, with their evidence; the text's where it has none.
    assert (version, fmt, title, url) == (1, "jsonl", RECORDS[0]["title"], "https://example.com/a1")
    assert (str(published), date_source, outlet) == ("2017-08-07", "field:date_publish", "reuters")
    assert rows["a2"][6] == "tass" and rows["a3"][6] == "dpa"

    # One record changed, one removed, one added, and one broken line.
    changed = [dict(RECORDS[0]), dict(RECORDS[1], maintext=RECORDS[1]["maintext"] + " More.")]
    added = {"id": "a4", "title": "Talks in Geneva", "maintext": "GENEVA, March 3 (AFP) - "
             "Ministers met in Geneva on Monday to discuss the treaty."}  # fmt: skip
    write_jsonl(dump, [*changed, added], extra="{not json\n")
    second = run_ingest(source, warehouse)
    assert (second["changed"], docs(second)) == (1, (1, 1, 1, 1, 1))
    after = current(warehouse)
    assert set(after) == {"a1", "a2", "a4"}
    assert after["a1"][:2] == rows["a1"][:2]  # same content: same version, same article id
    assert after["a2"][0] == 2 and after["a4"][0] == 1
    # The removed document keeps its history; the broken line is a reject naming the file.
    history = query(
        warehouse,
        "SELECT version, is_current, deleted_at IS NOT NULL FROM article_versions "
        "WHERE record_key = 'a3'",
    )
    assert history == [(1, False, True)]
    ((path, reason, message),) = query(
        warehouse, "SELECT source_path, reason, message FROM rejects WHERE run_id = ?",
        [second["run_id"]],
    )  # fmt: skip
    assert (path, reason) == ("dump/news.jsonl", "bad_record") and "line 4" in message

    # Nothing changed: nothing read, nothing added.
    before = query(warehouse, "SELECT count(*) FROM article_versions")
    third = run_ingest(source, warehouse)
    assert (third["unchanged"], docs(third)) == (1, (0, 0, 0, 0, 0))
    assert query(warehouse, "SELECT count(*) FROM article_versions") == before

    # Same bytes, new mtime: touched, not re-read.
    os.utime(dump, ns=(dump.stat().st_atime_ns, dump.stat().st_mtime_ns + 10**9))
    assert docs(run_ingest(source, warehouse)) == (0, 0, 0, 0, 0)

    # Forced: every document is read again and gets a new version.
    forced = run_ingest(source, warehouse, force=True)
    assert docs(forced)[:3] == (0, 3, 0)
    assert {k: v[0] for k, v in current(warehouse).items()} == {"a1": 2, "a2": 3, "a4": 2}


def test_a_deleted_or_unreadable_container_buries_every_document(tmp_path):
    source, warehouse = tmp_path / "src", tmp_path / "wh"
    write_jsonl(source / "dump" / "news.jsonl", RECORDS)
    write_jsonl(source / "other.jsonl", RECORDS[:2])
    run_ingest(source, warehouse)
    assert query(warehouse, "SELECT count(*) FROM articles") == [(5,)]

    (source / "dump" / "news.jsonl").unlink()
    gone = run_ingest(source, warehouse)
    assert (gone["deleted"], gone["docs_deleted"]) == (1, 3)
    assert query(warehouse, "SELECT count(*) FROM articles") == [(2,)]

    (source / "other.jsonl").write_bytes(b"\x00\x01\x02" * 400)  # now binary
    broken = run_ingest(source, warehouse)
    assert (broken["rejected"], broken["docs_deleted"]) == (1, 2)
    assert query(warehouse, "SELECT count(*) FROM articles") == [(0,)]
    assert query(warehouse, "SELECT count(*) FROM article_versions") == [(5,)]


def test_one_article_files_keep_their_identity(tmp_path):
    """A plain text file is one document with no record key, as before containers."""
    from wirehouse.tasks.article import article_id

    source, warehouse = tmp_path / "src", tmp_path / "wh"
    source.mkdir()
    (source / "a.txt").write_text("MOSCOW, July 28. /TASS/. Russia said on Friday it would act.")
    run_ingest(source, warehouse)
    ((key, fmt, article, root),) = query(
        warehouse, "SELECT record_key, format, article_id, source_root FROM articles"
    )
    assert (key, fmt) == (None, "text")
    assert article == article_id(root, "a.txt", 1)


def test_a_container_over_max_file_bytes_is_streamed_a_record_at_a_time(tmp_path):
    """max_file_bytes bounds each document; a JSON Lines file or an archive larger than it is
    read from disk a record (a member) at a time, and a plain text file that large is not."""
    import zipfile

    source, warehouse = tmp_path / "src", tmp_path / "wh"
    many = [
        {"id": f"r{i}", "title": f"Item {i}", "maintext": f"MOSCOW, July {1 + i % 28}. /TASS/. "
         + "Ministers met again and said the talks would go on. " * 3}
        for i in range(60)
    ]  # fmt: skip
    write_jsonl(source / "big.jsonl", many)
    with zipfile.ZipFile(source / "big.zip", "w") as archive:
        for i in range(3):
            archive.writestr(f"m{i}.txt", "LONDON, Feb 26 (Reuters) - Shares rose. " * 40)
    (source / "big.txt").write_text("Shares rose on Friday. " * 300)
    limit = 4000
    assert min((source / n).stat().st_size for n in ("big.jsonl", "big.zip", "big.txt")) > limit
    first = run_ingest(source, warehouse, max_file_bytes=limit)
    # The text file counts as one rejected document.
    assert (first["new"], first["rejected"], docs(first)) == (2, 1, (63, 0, 0, 0, 1))
    rejects = query(warehouse, "SELECT source_path, reason FROM rejects")
    assert rejects == [("big.txt", "too_large")]
    counts = dict(query(warehouse, "SELECT format, count(*) FROM articles GROUP BY 1"))
    assert counts == {"jsonl": 60, "text": 3}
    # Unchanged, then the same bytes with a new mtime, then one record changed.
    assert docs(run_ingest(source, warehouse, max_file_bytes=limit)) == (0, 0, 0, 0, 0)
    path = source / "big.jsonl"
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    touched = run_ingest(source, warehouse, max_file_bytes=limit)
    assert (touched["unchanged"], docs(touched)) == (3, (0, 0, 0, 0, 0))
    many[5]["maintext"] += " Changed."
    write_jsonl(path, many)
    changed = run_ingest(source, warehouse, max_file_bytes=limit)
    assert docs(changed)[:3] == (0, 1, 59)


def test_a_repeated_key_is_rejected_without_burying_the_first(tmp_path):
    source, warehouse = tmp_path / "src", tmp_path / "wh"
    dump = source / "dump" / "news.jsonl"
    write_jsonl(dump, RECORDS)
    run_ingest(source, warehouse)
    again = dict(RECORDS[1], maintext="A different text under the same id, on Monday.")
    write_jsonl(dump, [*RECORDS, again])
    second = run_ingest(source, warehouse)
    assert docs(second) == (0, 0, 3, 0, 1)
    assert set(current(warehouse)) == {"a1", "a2", "a3"}
    ((reason,),) = query(
        warehouse, "SELECT reason FROM rejects WHERE run_id = ?", [second["run_id"]]
    )
    assert reason == "duplicate_key"


def test_documents_that_come_back_outrank_their_tombstones(tmp_path):
    """A record removed and put back, a file deleted and re-added, rejected and fixed, or
    turned into one article and back: the returning documents are current again."""
    source, warehouse = tmp_path / "src", tmp_path / "wh"
    dump = source / "dump" / "news.jsonl"

    def keys() -> dict[str, int]:
        return {k: v[0] for k, v in current(warehouse).items()}

    def no_repeated_ids() -> bool:
        sql = "SELECT article_id FROM article_versions GROUP BY 1 HAVING count(*) > 1"
        return query(warehouse, sql) == []

    write_jsonl(dump, RECORDS)
    run_ingest(source, warehouse)
    write_jsonl(dump, RECORDS[:1])
    run_ingest(source, warehouse)
    write_jsonl(dump, RECORDS[:2])
    back = run_ingest(source, warehouse)
    assert docs(back)[0] == 1 and keys() == {"a1": 1, "a2": 3}  # a2: 1, tombstone 2, now 3
    dump.unlink()
    run_ingest(source, warehouse)
    write_jsonl(dump, RECORDS[:2])
    run_ingest(source, warehouse)
    assert keys() == {"a1": 3, "a2": 5}
    dump.write_bytes(b"\x00\x01\x02" * 400)
    run_ingest(source, warehouse)
    assert keys() == {}
    write_jsonl(dump, RECORDS[:2])
    run_ingest(source, warehouse)
    assert keys() == {"a1": 5, "a2": 7}
    dump.write_text("MOSCOW, July 28. /TASS/. Russia said on Friday it would act on it soon.")
    run_ingest(source, warehouse)
    assert set(keys()) == {None}  # one article now
    write_jsonl(dump, RECORDS[:2])
    run_ingest(source, warehouse)
    assert set(keys()) == {"a1", "a2"} and no_repeated_ids()
