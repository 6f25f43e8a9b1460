"""The whole ingest flow on real files: seeds, idempotency, versions, deletions, rejects."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import SEEDS, query, run_ingest

pytestmark = pytest.mark.usefixtures("prefect_server")

# The issue's table: source, published_date, (month, day), title.
EXPECTED = {
    "000_ef1758e8d78d9052.txt": (
        "tass",
        date(2017, 7, 28),  # no year in the text: inferred from 001, its story (issue 6)
        (7, 28),
        "Lavrov tells Tillerson Russia ready to normalize relations with US",
    ),
    "001_c3068d83a41f7ce5.txt": (None, date(2017, 7, 28), (7, 28), None),
    "002_8dbeb891fb4c8d83.txt": (
        None,
        None,
        (None, None),
        "Tillerson, Lavrov discuss damaged US-Russia ties",
    ),
    "003_e72f4309ebf72042.txt": (
        "eir",
        date(2017, 6, 23),
        (6, 23),
        "Lavrov Delivers a Message to Tillerson: Does the U.S. Want an Improvement of "
        "Relations with Russia, Or Not?",
    ),
    "004_cd3fca1b6fed57ec.txt": ("interfax", date(2021, 5, 17), (5, 17), None),
}
CHROME = ("All news", "Subscribe to EIR Online", "Back to top")


@pytest.fixture(scope="module")
def seeds_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    warehouse = tmp_path_factory.mktemp("seeds") / "wh"
    return warehouse, run_ingest(SEEDS, warehouse)


def test_seeds_land_as_the_issue_expects(seeds_warehouse):
    warehouse, summary = seeds_warehouse
    rows = query(
        warehouse,
        """
        SELECT source_path, source, published_date, pub_year, pub_month, pub_day, title,
               language, body
        FROM articles ORDER BY source_path""",
    )
    assert [r[0] for r in rows] == sorted(EXPECTED)
    for path, source, published, year, month, day, title, language, body in rows:
        want_source, want_date, (want_month, want_day), want_title = EXPECTED[path]
        assert (source, published, title) == (want_source, want_date, want_title), path
        assert (month, day) == (want_month, want_day), path
        assert year == (want_date.year if want_date else None), path
        assert language == "en", path
        for chrome in CHROME:
            assert chrome not in body, (path, chrome)
        assert not body.endswith("\nSS"), path
    assert summary["new"] == 5 and summary["rejected"] == 0


def test_year_is_never_guessed_only_inferred_openly(seeds_warehouse):
    warehouse, _ = seeds_warehouse
    columns = "pub_year, published_date, date_text, date_source"
    where = "WHERE source_path LIKE '000_%'"
    (stated,) = query(warehouse, f"SELECT {columns} FROM article_versions {where}")
    assert stated == (None, None, "MOSCOW, July 28", "dateline")
    (shown,) = query(warehouse, f"SELECT {columns}, date_confidence FROM articles {where}")
    assert shown[:4] == (2017, date(2017, 7, 28), "MOSCOW, July 28", "inferred:story")
    assert 0.5 < shown[4] < 1


def test_provenance_columns(seeds_warehouse):
    warehouse, summary = seeds_warehouse
    rows = query(
        warehouse,
        """SELECT source_path, file_size, raw_sha256, encoding, run_id,
                                      source_root FROM articles""",
    )
    for path, size, raw_sha, encoding, run_id, root in rows:
        assert size == (SEEDS / path).stat().st_size
        assert len(raw_sha) == 64 and encoding == "utf_8"
        assert run_id == summary["run_id"] and root == str(SEEDS)


def test_rerun_adds_no_rows(seeds_warehouse):
    warehouse, _ = seeds_warehouse
    before = _table_sizes(warehouse)
    again = run_ingest(SEEDS, warehouse)
    assert (again["discovered"], again["unchanged"], again["ingested"]) == (5, 5, 0)
    after = _table_sizes(warehouse)
    assert after["runs"] == before["runs"] + 1
    assert {k: v for k, v in after.items() if k != "runs"} == {
        k: v for k, v in before.items() if k != "runs"
    }


def test_force_reprocesses_without_duplicating_articles(seeds_copy, tmp_path):
    warehouse = tmp_path / "wh"
    run_ingest(seeds_copy, warehouse)
    forced = run_ingest(seeds_copy, warehouse, force=True)
    assert forced["reprocessed"] == 5
    assert query(warehouse, "SELECT count(*), count(DISTINCT source_path) FROM articles") == [
        (5, 5)
    ]
    assert query(warehouse, "SELECT max(version) FROM articles") == [(2,)]


def test_changed_deleted_touched_and_rejected_files(seeds_copy, tmp_path):
    warehouse = tmp_path / "wh"
    run_ingest(seeds_copy, warehouse)
    changed = seeds_copy / "002_8dbeb891fb4c8d83.txt"
    changed.write_text(changed.read_text() + "\nA late paragraph added by the editors.\n")
    (seeds_copy / "004_cd3fca1b6fed57ec.txt").unlink()
    touched = seeds_copy / "003_e72f4309ebf72042.txt"
    os.utime(touched, ns=(touched.stat().st_atime_ns, touched.stat().st_mtime_ns + 10**9))
    (seeds_copy / "picture.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (seeds_copy / "empty.txt").write_bytes(b"")

    second = run_ingest(seeds_copy, warehouse)

    assert {
        k: second[k] for k in ("discovered", "new", "changed", "unchanged", "rejected", "deleted")
    } == {
        "discovered": 6,
        "new": 0,
        "changed": 1,
        "unchanged": 3,
        "rejected": 2,
        "deleted": 1,
    }
    live = dict(query(warehouse, "SELECT source_path, version FROM articles"))
    assert "004_cd3fca1b6fed57ec.txt" not in live
    assert live["002_8dbeb891fb4c8d83.txt"] == 2 and live["003_e72f4309ebf72042.txt"] == 1
    history = query(
        warehouse,
        """SELECT version, body LIKE '%late paragraph%'
                                  FROM article_versions
                                  WHERE source_path = '002_8dbeb891fb4c8d83.txt' ORDER BY 1""",
    )
    assert history == [(1, False), (2, True)]
    assert query(
        warehouse,
        """SELECT event FROM manifest
                               WHERE source_path = '004_cd3fca1b6fed57ec.txt'""",
    ) == [("deleted",)]
    rejects = dict(query(warehouse, "SELECT source_path, reason FROM rejects"))
    assert rejects == {"picture.txt": "binary", "empty.txt": "empty"}

    third = run_ingest(seeds_copy, warehouse)  # bad files unchanged: not re-rejected
    assert (third["unchanged"], third["rejected"], third["deleted"]) == (6, 0, 0)
    assert query(warehouse, "SELECT count(*) FROM rejects") == [(2,)]


def test_many_batches_run_in_worker_processes(tmp_path):
    """Several batches fan out to the process pool and still produce every article once."""
    source = tmp_path / "source"
    for i in range(4):
        for seed in SEEDS.iterdir():
            target = source / f"copy{i}" / seed.name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(seed.read_bytes())
    warehouse = tmp_path / "wh"
    summary = run_ingest(source, warehouse, batch_size=6)
    assert summary["new"] == 20
    assert query(warehouse, "SELECT count(DISTINCT run_id), count(*) FROM articles") == [(1, 20)]
    # ceil(20 / 6) = 4 batches, one part each, merged into one file before the commit
    parts = list((warehouse / "commits" / summary["run_id"]).glob("articles-*.parquet"))
    assert [p.name for p in parts] == ["articles-run.parquet"]
    assert pq.ParquetFile(parts[0]).metadata.num_rows == 20


def test_artifact_reports_the_counts(seeds_warehouse):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    _, summary = seeds_warehouse
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=["ingest-summary"]))
        )
    mine = [a for a in artifacts if summary["run_id"] in (a.data or "")]
    assert mine, "no artifact for this run"
    assert "| discovered | 5 |" in mine[0].data and "| new | 5 |" in mine[0].data


def test_catalog_works_from_any_directory(seeds_warehouse, tmp_path):
    warehouse, _ = seeds_warehouse
    script = (
        "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True);"
        "print(con.execute('SELECT count(*) FROM articles').fetchall()[0][0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(warehouse / "wirehouse.duckdb")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "5"


def test_missing_source_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        run_ingest(tmp_path / "nope", tmp_path / "wh")


def _table_sizes(warehouse: Path) -> dict[str, int]:
    views = ("articles", "article_versions", "file_events", "rejects", "runs", "manifest")
    return {v: query(warehouse, f"SELECT count(*) FROM {v}")[0][0] for v in views}


def test_outlet_overrides_and_user_registry(seeds_copy, tmp_path):
    (seeds_copy / "wires").mkdir()
    for name in ("001_c3068d83a41f7ce5.txt", "002_8dbeb891fb4c8d83.txt"):
        (seeds_copy / name).rename(seeds_copy / "wires" / name)
    registry = tmp_path / "outlets.toml"
    registry.write_text(
        '[[outlet]]\nslug = "tassru"\nname = "TASS (ru)"\nmarkers = ["/TASS/"]\n'
        '[[outlet]]\nslug = "tass"\nname = "TASS"\nmarkers = []\n'
    )
    warehouse = tmp_path / "wh"
    run_ingest(
        seeds_copy, warehouse, folder_sources={"wires": "presstv"}, outlets_file=str(registry)
    )
    got = dict(query(warehouse, "SELECT source_path, source FROM articles"))
    assert (
        got["wires/001_c3068d83a41f7ce5.txt"]
        == got["wires/002_8dbeb891fb4c8d83.txt"]
        == ("presstv")
    )
    assert got["000_ef1758e8d78d9052.txt"] == "tassru"
    run_ingest(seeds_copy, warehouse, force=True, source="eir")
    assert set(dict(query(warehouse, "SELECT source_path, source FROM articles")).values()) == {
        "eir"
    }
    (row,) = query(
        warehouse, "SELECT flow_run_id, parameters FROM runs ORDER BY run_id DESC LIMIT 1"
    )
    assert row[0] and '"source": "eir"' in row[1]
