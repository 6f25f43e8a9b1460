"""A container larger than max_file_bytes is read by several batches at once, one shard of
its records each: the tables are those a single reading gives, run after run."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import query, run_ingest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter
from wirehouse.tasks.readers import Document, ReadOptions, Skipped, in_shard, read_documents

pytestmark = pytest.mark.usefixtures("prefect_server")

LIMIT = 6000  # max_file_bytes: every container below is over it, so it is streamed
CITIES = ("MOSCOW, July {d}. /TASS/.", "LONDON, Feb {d} (Reuters) -", "BERLIN, {d}. Juli (dpa) -")


def _story(i: int) -> str:
    dateline = CITIES[i % 3].format(d=1 + i % 27)
    return f"{dateline} Talks number {i} between the ministers went on for hours. " * 3


def _records(n: int) -> list[dict]:
    return [{"id": f"r{i}", "title": f"Item {i}", "maintext": _story(i)} for i in range(n)]


def _write_jsonl(path: Path, records: list[dict], extra: str = "") -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records) + extra, encoding="utf-8")


def _page(i: int) -> bytes:
    paragraphs = "".join(f"<p>{_story(i)} Paragraph {p} of page {i}.</p>" for p in range(3))
    return (
        f"<html><head><title>Page {i}</title>"
        '<meta property="article:published_time" content="2021-03-16T09:30:00+00:00">'
        f"</head><body><article><h1>Page {i}</h1>{paragraphs}</article></body></html>"
    ).encode()


def _write_warc(path: Path, pages: int) -> None:
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for i in range(pages):
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            payload = _page(i)
            writer.write_record(
                writer.create_warc_record(
                    f"https://news.example/{i}",
                    "response",
                    payload=io.BytesIO(payload),
                    length=len(payload),
                    http_headers=http,
                    warc_headers_dict={"WARC-Date": "2021-03-17T10:00:00Z"},
                )
            )


def _source(root: Path) -> Path:
    source = root / "src"
    source.mkdir()
    records = _records(80)
    bad = '{"id": "broken", "maintext": \n'
    _write_jsonl(source / "dump.jsonl", [*records, {**records[3], "maintext": "again"}], bad)
    _write_warc(source / "crawl.warc.gz", 12)
    with zipfile.ZipFile(source / "texts.zip", "w") as archive:
        for i in range(20):
            archive.writestr(f"t/{i}.txt", _story(i + 100) * 4)
    (source / "huge.txt").write_text(_story(7) * 40)  # not a container: too large
    (source / "small.txt").write_text(_story(8))
    return source


def _tables(warehouse: Path) -> tuple[list[tuple], ...]:
    articles = query(
        warehouse,
        "SELECT source_path, record_key, version, article_id, content_sha256, title, "
        "published_date, source, format FROM articles ORDER BY ALL",
    )
    events = query(
        warehouse,
        "SELECT source_path, event, version, documents, reject_reason FROM file_events "
        "ORDER BY ALL",
    )
    rejects = query(warehouse, "SELECT source_path, record_key, reason FROM rejects ORDER BY ALL")
    return articles, events, rejects


COUNTS = ("new", "changed", "unchanged", "rejected", "docs_new", "docs_changed", "docs_unchanged")
COUNTS += ("docs_deleted", "docs_rejected")


def test_a_huge_container_read_in_shards_lands_as_a_single_reading_does(tmp_path):
    source = _source(tmp_path)
    sharded, single = tmp_path / "sharded", tmp_path / "single"
    runs = {}
    for warehouse, workers in ((sharded, 2), (single, 1)):
        runs[warehouse] = run_ingest(
            source, warehouse, max_file_bytes=LIMIT, workers=workers, batch_size=50
        )
    assert [runs[sharded][c] for c in COUNTS] == [runs[single][c] for c in COUNTS]
    # 80 records + 12 pages + 20 members + small.txt; the repeated key and the broken line
    # are record rejects, huge.txt a file reject (one document)
    assert runs[sharded]["docs_new"] == 113
    assert runs[sharded]["docs_rejected"] == 3
    assert _tables(sharded) == _tables(single)
    (documents,) = query(
        sharded, "SELECT documents FROM file_events WHERE source_path = 'dump.jsonl'"
    )
    assert documents == (80,)

    # One record changed, one removed, one added; the WARC and the zip untouched.
    records = _records(80)
    records[10]["maintext"] += " Changed."
    del records[20]
    records.append({"id": "r-new", "title": "Added", "maintext": _story(90)})
    _write_jsonl(source / "dump.jsonl", records)
    for warehouse, workers in ((sharded, 2), (single, 1)):
        runs[warehouse] = run_ingest(
            source, warehouse, max_file_bytes=LIMIT, workers=workers, batch_size=50
        )
    assert [runs[sharded][c] for c in COUNTS] == [runs[single][c] for c in COUNTS]
    docs = [runs[sharded][c] for c in ("docs_new", "docs_changed", "docs_unchanged")]
    assert [*docs, runs[sharded]["docs_deleted"]] == [1, 1, 78, 1]
    assert _tables(sharded) == _tables(single)
    # Nothing changed: skipped unread, no row anywhere.
    again = run_ingest(source, sharded, max_file_bytes=LIMIT, workers=2, batch_size=50)
    assert (again["unchanged"], again["docs_new"], again["docs_deleted"]) == (5, 0, 0)
    assert _tables(sharded) == _tables(single)


def _plan(source: Path, warehouse: Path, shard_bytes: int):
    """The plan of a first run over `source` on 2 workers, batches of 50."""
    from wirehouse.tasks.discover import write_discovery
    from wirehouse.tasks.plan import plan_run
    from wirehouse.warehouse.catalog import ensure_catalog
    from wirehouse.warehouse.storage import Warehouse, begin_run

    wh = Warehouse.at(warehouse)
    ensure_catalog(wh)
    _staging, scratch = begin_run(wh, "r1")
    write_discovery(str(source), ["*"], [], scratch / "discovered.parquet", {})
    return plan_run(
        scratch / "discovered.parquet",
        wh,
        str(source),
        scratch,
        force=False,
        batch_size=50,
        workers=2,
        shard_bytes=shard_bytes,
    )


def test_plan_gives_each_shard_of_a_huge_file_a_batch_of_its_own(tmp_path):
    source = _source(tmp_path)
    plan = _plan(source, tmp_path / "wh", LIMIT)
    shards = [
        pq.ParquetFile(ref.work_file).read_row_group(ref.row_group).to_pylist()
        for ref in plan.batches
    ]
    big = sorted(p.name for p in source.iterdir() if p.stat().st_size > LIMIT)
    # the big files' shards come first, one a batch; then the small file
    firsts = [(rows[0]["source_path"], rows[0]["shard"], rows[0]["shards"]) for rows in shards]
    assert firsts[:-1] == [(name, k, 2) for name in big for k in (0, 1)]
    assert [(r["source_path"], r["shard"]) for r in shards[-1]] == [("small.txt", 0)]


def test_readers_skip_what_another_shard_reads(tmp_path):
    """Each record is read by exactly one shard; a WARC's pages and a zip's members are
    skipped unread (Skipped) by the others."""
    from datetime import date

    _write_warc(tmp_path / "crawl.warc.gz", 12)
    with zipfile.ZipFile(tmp_path / "texts.zip", "w") as archive:
        for i in range(12):
            archive.writestr(f"t/{i}.txt", _story(i))
    for name in ("crawl.warc.gz", "texts.zip"):
        raw = (tmp_path / name).read_bytes()
        whole = [d.record_key for d in read_documents(raw, name, ReadOptions(date.today()))]
        taken: list[str] = []
        for k in (0, 1):
            options = ReadOptions(date.today(), shard=(k, 2))
            items = list(read_documents(raw, name, options))
            assert [i.record_key for i in items] == whole  # one item per record, in order
            own = [i.record_key for i in items if isinstance(i, Document)]
            assert all(in_shard(key, (k, 2)) for key in own)
            assert all(isinstance(i, Skipped) for i in items if i.record_key not in own)
            taken += own
        assert sorted(taken) == sorted(whole) and 0 < len(taken) - len(own) < len(whole)


def test_a_container_large_beside_the_rest_of_the_run_is_read_in_shards(tmp_path):
    """A container under max_file_bytes is read in shards too when it holds most of the
    run's bytes (one worker would read it while the other idles); the tables are the same."""
    from wirehouse.tasks.plan import SHARD_MIN_BYTES

    source = tmp_path / "src"
    source.mkdir()
    records = [{**r, "maintext": r["maintext"] * 8} for r in _records(700)]
    _write_jsonl(source / "dump.jsonl", records)
    for i in range(3):
        (source / f"small{i}.txt").write_text(_story(200 + i))
    assert SHARD_MIN_BYTES < (source / "dump.jsonl").stat().st_size < 50 * 2**20

    plan = _plan(source, tmp_path / "plan", 50 * 2**20)
    firsts = [
        pq.ParquetFile(ref.work_file).read_row_group(ref.row_group).to_pylist()[0]
        for ref in plan.batches
    ]
    assert [(r["source_path"], r["shard"], r["shards"]) for r in firsts[:2]] == [
        ("dump.jsonl", 0, 2),
        ("dump.jsonl", 1, 2),
    ]
    assert {r["source_path"] for r in firsts[2:]} <= {f"small{i}.txt" for i in range(3)}

    sharded, single = tmp_path / "sharded", tmp_path / "single"
    runs = {w: run_ingest(source, w, workers=n) for w, n in ((sharded, 2), (single, 1))}
    assert [runs[sharded][c] for c in COUNTS] == [runs[single][c] for c in COUNTS]
    assert runs[sharded]["docs_new"] == 703
    assert _tables(sharded) == _tables(single)
