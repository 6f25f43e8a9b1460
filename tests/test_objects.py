"""Object storage: raw files read from, and the warehouse published to, a real S3 server.

The server is moto's S3 server (from PyPI) in its own process on 127.0.0.1; Wirehouse
reaches it over HTTP through s3fs, as it would reach AWS or MinIO.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import SEEDS, query, run_ingest

s3fs = pytest.importorskip("s3fs")
pytest.importorskip("moto")
pytestmark = pytest.mark.usefixtures("prefect_server")

PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
# What a run decides about each article, without run ids, times and where it came from
# (ids are derived from the source root: stories are compared by their first member).
ARTICLE_COLUMNS = (
    "source_path, title, body, content_sha256, raw_sha256, encoding, source, "
    "published_date, date_source, language, "
    "min(source_path) OVER (PARTITION BY story_id) AS story"
)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2)
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail("the moto S3 server did not start")
            time.sleep(0.2)
    yield endpoint
    server.terminate()
    server.wait(timeout=20)


@pytest.fixture
def bucket(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> tuple[object, str]:
    """A new bucket, with credentials and endpoint set the way a user sets them."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    # Explicit options too: worker processes fork from a server process that may have
    # started (in an earlier test) before the AWS variables above were set.
    options = {"endpoint_url": s3_endpoint, "key": "testing", "secret": "testing"}
    monkeypatch.setenv("WIREHOUSE_STORAGE_OPTIONS", json.dumps(options))
    fs = s3fs.S3FileSystem(endpoint_url=s3_endpoint, skip_instance_cache=True)
    name = f"wirehouse-{uuid.uuid4().hex[:12]}"
    fs.mkdir(name)
    return fs, name


def source_tree(folder: Path) -> Path:
    """Seeds, a nested copy, a disguised PNG and a hidden file: what the bucket holds too."""
    shutil.copytree(SEEDS, folder)
    shutil.copytree(SEEDS, folder / "mirror" / "2017")
    (folder / "mirror" / "picture.txt").write_bytes(PNG)
    (folder / ".hidden.txt").write_text("never ingested")
    return folder


def upload(fs, local: Path, url: str) -> None:
    for path in sorted(local.rglob("*")):
        if path.is_file():
            fs.put_file(str(path), f"{url}/{path.relative_to(local).as_posix()}")


def articles(warehouse: Path) -> list[tuple]:
    return query(warehouse, f"SELECT {ARTICLE_COLUMNS} FROM articles ORDER BY source_path")


def test_ingest_from_s3_matches_the_same_files_on_disk(bucket, tmp_path):
    fs, name = bucket
    local = source_tree(tmp_path / "raw")
    upload(fs, local, f"{name}/raw")
    url = f"s3://{name}/raw"

    # batch_size=4: several batches, read by worker processes with their own S3 clients
    from_s3 = run_ingest(url, tmp_path / "wh-s3", batch_size=4)
    from_disk = run_ingest(local, tmp_path / "wh-disk", batch_size=4)

    assert from_s3["discovered"] == from_disk["discovered"] == 11  # hidden file skipped
    assert (from_s3["new"], from_s3["rejected"]) == (10, 1)
    assert articles(tmp_path / "wh-s3") == articles(tmp_path / "wh-disk")
    assert query(tmp_path / "wh-s3", "SELECT source_path, reason FROM rejects") == [
        ("mirror/picture.txt", "binary")
    ]
    ((root, parameters),) = query(tmp_path / "wh-s3", "SELECT source_root, parameters FROM runs")
    assert root == url
    recorded = json.loads(parameters)["storage_options"]
    assert recorded == ["endpoint_url", "key", "secret"]  # keys only: values may be secrets


def test_s3_reingest_skips_unchanged_and_sees_changes_and_deletions(bucket, tmp_path):
    fs, name = bucket
    upload(fs, source_tree(tmp_path / "raw"), f"{name}/raw")
    url, warehouse = f"s3://{name}/raw", tmp_path / "wh"
    run_ingest(url, warehouse)

    again = run_ingest(url, warehouse)
    assert (again["unchanged"], again["new"], again["changed"]) == (11, 0, 0)

    changed = f"{name}/raw/mirror/2017/003_e72f4309ebf72042.txt"
    assert fs.exists(changed), fs.ls(f"{name}/raw/mirror/2017")
    fs.pipe_file(changed, fs.cat_file(changed) + b"\nA sentence added by the outlet.\n")
    fs.rm_file(f"{name}/raw/000_ef1758e8d78d9052.txt")
    fs.pipe_file(f"{name}/raw/late/new.txt", b"MOSCOW, July 29. /TASS/. A later story, " * 5)

    third = run_ingest(url, warehouse)
    assert (third["new"], third["changed"], third["deleted"]) == (1, 1, 1)
    assert query(warehouse, "SELECT count(*) FROM articles")[0][0] == 10


def test_publish_to_s3_and_query_it_there(bucket, tmp_path):
    from wirehouse.warehouse.storage import INIT_RUN_ID

    fs, name = bucket
    source = tmp_path / "source"
    shutil.copytree(SEEDS, source)
    warehouse, url = tmp_path / "wh", f"s3://{name}/warehouse"
    run_ingest(source, warehouse, publish_to=url)
    (source / "extra.txt").write_text("June 23, 2017 (EIRNS)—Another day, another story. " * 5)
    run_ingest(source, warehouse)  # not published yet

    published = cli("publish", url, "--warehouse", str(warehouse))
    assert "Published 1 new runs" in published and "2 were there" in published  # init + 1st
    assert "Published 0 new runs (0 files" in cli("publish", url, "--warehouse", str(warehouse))
    # A bucket published by an older version lacks the init part of a newer table.
    fs.rm_file(f"{name}/warehouse/commits/{INIT_RUN_ID}/inferred_dates-init.parquet")
    assert "Published 0 new runs (1 files" in cli("publish", url, "--warehouse", str(warehouse))

    sql = "SELECT source_path, content_sha256, story_id FROM articles ORDER BY 1"
    remote = json.loads(cli("query", sql, "--warehouse", url, "--format", "json"))
    local = query(warehouse, sql)
    assert [tuple(row.values()) for row in remote] == [tuple(row) for row in local]
    assert len(local) == 6
    counts = json.loads(cli("tables", "--warehouse", url, "--format", "json"))
    assert {row["table"]: row["rows"] for row in counts}["runs"] == 2


def test_a_run_being_published_is_invisible_until_its_runs_part_lands(bucket, tmp_path):
    from wirehouse.warehouse.catalog import connect
    from wirehouse.warehouse.remote import Published
    from wirehouse.warehouse.storage import Warehouse

    fs, name = bucket
    warehouse, url = tmp_path / "wh", f"s3://{name}/warehouse"
    run_ingest(SEEDS, warehouse, publish_to=url)
    # A second run copied halfway: its articles are there, its `runs` part is not yet.
    (run_id,) = [r for r in Warehouse.at(warehouse).committed_runs() if not r.startswith("0000")]
    part = next((warehouse / "commits" / run_id).glob("articles-*.parquet"))
    fs.put_file(str(part), f"{name}/warehouse/commits/99999999T000000-half/{part.name}")

    target = Published(url, json.loads(os.environ["WIREHOUSE_STORAGE_OPTIONS"]))
    with connect(target) as con:
        # Visible, the half run's copies would replace or add rows; they do neither.
        assert con.execute("SELECT count(*), max(run_id) FROM article_versions").fetchone() == (
            5,
            run_id,
        )
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 1


def test_unreachable_or_missing_locations_are_clear_errors(bucket, tmp_path):
    _, name = bucket
    with pytest.raises(FileNotFoundError, match="does not exist"):
        run_ingest(f"s3://{name}/nothing-here", tmp_path / "wh")
    missing = cli("query", "SELECT 1", "--warehouse", f"s3://{name}/nowhere", check=False)
    assert "no published warehouse" in missing
    refused = cli("ingest", str(SEEDS), "--warehouse", f"s3://{name}/wh", check=False)
    assert "runs write to a local warehouse folder" in refused


def cli(*args: str, check: bool = True) -> str:
    done = subprocess.run(
        [str(Path(sys.executable).with_name("wirehouse")), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=os.environ.copy(),
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def test_file_urls_are_local_folders(tmp_path):
    from wirehouse.warehouse.locations import is_url, local_path

    from wirehouse.settings import Settings

    assert is_url("s3://bucket/raw") and is_url("gs://b/p")
    assert not is_url("file:///srv/raw") and not is_url("/srv/raw") and not is_url("raw")
    assert local_path("file:///srv/raw") == "/srv/raw" and local_path("raw") == "raw"
    assert Settings(warehouse=f"file://{tmp_path}/wh").warehouse == tmp_path / "wh"
    summary = run_ingest(f"file://{SEEDS}", tmp_path / "wh")
    assert summary["new"] == 5 and summary["source_root"] == str(SEEDS)
