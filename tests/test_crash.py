"""Crashes and concurrency: SIGKILL mid-run, readers during commits, two writers at once.

Every ingest here is a real `wirehouse ingest` subprocess (against one shared Prefect
server, to save each run the start of a temporary one). Kill points are named places in
the write path where WIREHOUSE_CRASH_AT makes the process SIGKILL itself
(`warehouse.storage.crash_point`); time-based kills land wherever the run happens to be.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import SEEDS
from live import LivePrefect
from wirehouse.warehouse.catalog import ensure_catalog
from wirehouse.warehouse.storage import Warehouse

pytestmark = pytest.mark.server

WIREHOUSE = str(Path(sys.executable).with_name("wirehouse"))
VIEWS = ("articles", "article_versions", "manifest", "file_events", "rejects", "runs")
# What must come out identical after a crash and a re-run, whatever the run ids and times.
STATE_QUERIES = {
    "articles": "SELECT source_path, version, content_sha256, title, source, published_date, "
    "language FROM articles ORDER BY ALL",
    "article_versions": "SELECT source_path, version, content_sha256, is_current "
    "FROM article_versions ORDER BY ALL",
    "manifest": "SELECT source_path, event, version, raw_sha256 FROM manifest ORDER BY ALL",
    "rejects": "SELECT source_path, reason FROM rejects ORDER BY ALL",
}


@pytest.fixture(scope="module")
def prefect(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LivePrefect]:
    server = LivePrefect(tmp_path_factory.mktemp("prefect-home-crash"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """40 distinct articles in 4 folders, plus two files that get rejected."""
    root = tmp_path_factory.mktemp("crash") / "corpus"
    for copy in range(8):
        for seed in sorted(SEEDS.iterdir()):
            target = root / f"desk{copy % 4}" / f"{copy}-{seed.name}"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(seed.read_text() + f"\n\nDesk copy {copy}.\n")
    (root / "desk0" / "empty.txt").write_bytes(b"")
    (root / "desk1" / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(300))
    return root


@pytest.fixture(scope="module")
def reference(prefect: LivePrefect, corpus: Path, tmp_path_factory) -> dict[str, list]:
    """The tables of one clean, uninterrupted run."""
    warehouse = tmp_path_factory.mktemp("reference") / "wh"
    ingest(prefect, corpus, warehouse).check_returncode()
    return state(warehouse)


def ingest(
    prefect: LivePrefect,
    source: Path,
    warehouse: Path,
    *args: str,
    crash_at: str | None = None,
    wait: bool = True,
) -> subprocess.CompletedProcess[str] | subprocess.Popen[str]:
    env = prefect.env()
    env.pop("WIREHOUSE_CRASH_AT", None)
    if crash_at:
        env["WIREHOUSE_CRASH_AT"] = crash_at
    command = [
        WIREHOUSE,
        "ingest",
        str(source),
        "--warehouse",
        str(warehouse),
        "--batch-size",
        "10",
        "--show",
        "0",
        *args,
    ]
    if not wait:
        return subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def state(warehouse: Path) -> dict[str, list]:
    with duckdb.connect(str(warehouse / "wirehouse.duckdb"), read_only=True) as con:
        return {name: con.execute(sql).fetchall() for name, sql in STATE_QUERIES.items()}


def assert_readable_and_whole(warehouse: Path) -> None:
    """Every view reads; every visible Parquet file is complete; no temp file is visible."""
    with duckdb.connect(str(warehouse / "wirehouse.duckdb"), read_only=True) as con:
        for view in VIEWS:
            con.execute(f"SELECT * FROM {view}").fetchall()
    visible = list((warehouse / "commits").glob("*/*"))
    assert visible and all(p.suffix == ".parquet" and not p.name.startswith(".") for p in visible)
    for part in visible:
        pq.read_table(part)  # raises on a truncated or half-written file


# Named kill points, thread runner (the kill takes the whole run down), and where it lands.
KILL_POINTS = [
    ("parquet-written:1", "first part written to a temp name, not yet renamed"),
    ("parquet-written:3", "third part written, earlier parts already staged"),
    ("file-processed:15", "in the middle of the second batch"),
    ("before-commit", "all parts staged, the commit rename not done"),
    ("after-commit", "run committed, the process killed before it finished"),
]


@pytest.mark.parametrize(("crash_at", "where"), KILL_POINTS, ids=[k for k, _ in KILL_POINTS])
def test_kill_point_then_rerun_equals_a_clean_run(
    prefect, corpus, reference, tmp_path, crash_at, where
):
    warehouse = tmp_path / "wh"
    ensure_catalog(Warehouse.at(warehouse))  # so that kill points count this run's writes
    crashed = ingest(prefect, corpus, warehouse, "--runner", "thread", crash_at=crash_at)
    assert crashed.returncode == -signal.SIGKILL, f"{where}: {crashed.stdout}{crashed.stderr}"
    assert_readable_and_whole(warehouse)
    committed = 1 if crash_at == "after-commit" else 0
    with duckdb.connect(str(warehouse / "wirehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchall() == [(committed,)]

    rerun = ingest(prefect, corpus, warehouse)
    rerun.check_returncode()
    assert state(warehouse) == reference
    assert not list((warehouse / "_staging").iterdir())  # the dead run's leftovers are gone


def test_killed_worker_process_fails_the_run_and_loses_nothing(
    prefect, corpus, reference, tmp_path
):
    """Process runner: the kill hits a worker; the run fails cleanly, the re-run is exact."""
    warehouse = tmp_path / "wh"
    failed = ingest(
        prefect,
        corpus,
        warehouse,
        "--runner",
        "process",
        "--workers",
        "2",
        crash_at="file-processed:5",
    )
    assert failed.returncode != 0
    assert_readable_and_whole(warehouse)
    ingest(prefect, corpus, warehouse).check_returncode()
    assert state(warehouse) == reference


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_kill_at_a_random_moment(prefect, corpus, reference, tmp_path, seed):
    warehouse = tmp_path / "wh"
    delay = random.Random(seed).uniform(0.5, 4.0)
    run = ingest(prefect, corpus, warehouse, wait=False)
    time.sleep(delay)
    run.send_signal(signal.SIGKILL)
    run.wait()
    if warehouse.exists() and (warehouse / "wirehouse.duckdb").exists():
        assert_readable_and_whole(warehouse)
    ingest(prefect, corpus, warehouse).check_returncode()
    assert state(warehouse) == reference


def test_readers_see_old_or_new_state_while_runs_commit(prefect, corpus, tmp_path):
    """A reader polling during a run that changes every file sees 42 live files throughout."""
    source = tmp_path / "source"
    shutil.copytree(corpus, source)
    warehouse = tmp_path / "wh"
    ingest(prefect, source, warehouse).check_returncode()
    for path in source.rglob("*-*.txt"):
        path.write_text(path.read_text() + "\nCorrected.\n")
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(warehouse / "wirehouse.duckdb")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        writer = ingest(prefect, source, warehouse, "--batch-size", "2")  # 20 parts
        writer.check_returncode()
    finally:
        reader.send_signal(signal.SIGTERM)
    counts = reader.communicate(timeout=30)[0].split()
    assert len(counts) > 10, "the reader did not get to read during the run"
    assert set(counts) == {"40,40"}, set(counts)


READER = """
import signal, sys, duckdb
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    with duckdb.connect(sys.argv[1], read_only=True) as con:
        live = con.execute("SELECT count(*) FROM articles").fetchall()[0][0]
        current = con.execute(
            "SELECT count(*) FROM article_versions WHERE is_current").fetchall()[0][0]
    print(f"{live},{current}", flush=True)
"""


def test_second_writer_waits_or_refuses_clearly(prefect, tmp_path):
    corpus = tmp_path / "big"
    corpus.mkdir()
    texts = [seed.read_text() for seed in sorted(SEEDS.iterdir())]
    for i in range(1200):  # long enough a run for the others to find it holding the lock
        (corpus / f"{i:04d}.txt").write_text(f"{texts[i % 5]}\n\nCopy {i}.\n")
    warehouse = tmp_path / "wh"
    first = ingest(prefect, corpus, warehouse, "--runner", "thread", wait=False)
    lock = warehouse / ".lock"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (lock.exists() and lock.read_text()):
        time.sleep(0.1)
    refused = ingest(prefect, corpus, warehouse, "--lock-timeout", "0")
    waited = ingest(prefect, corpus, warehouse, "--lock-timeout", "300", wait=False)
    assert first.wait(timeout=300) == 0
    assert waited.wait(timeout=300) == 0, waited.stdout.read()
    assert refused.returncode == 1
    assert "is being written by run" in refused.stderr and "--lock-timeout" in refused.stderr
    with duckdb.connect(str(warehouse / "wirehouse.duckdb"), read_only=True) as con:
        runs = con.execute("SELECT new, unchanged FROM runs ORDER BY run_id").fetchall()
    assert runs == [(1200, 0), (0, 1200)]  # the waiting run found everything already there


def test_full_disk_is_a_clear_error_and_keeps_the_previous_state(prefect, tmp_path, corpus):
    warehouse = tmp_path / "wh"
    ingest(prefect, SEEDS, warehouse).check_returncode()
    before = state(warehouse)
    # A file-size limit makes writes fail with EFBIG, as a full disk fails them with ENOSPC.
    limited = subprocess.run(
        [WIREHOUSE, "ingest", str(corpus), "--warehouse", str(warehouse), "--runner", "thread"],
        env=prefect.env(),
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limit_file_size,
    )
    assert limited.returncode == 1
    assert "cannot write" in limited.stderr and "warehouse is as it was" in limited.stderr
    assert state(warehouse) == before
    assert_readable_and_whole(warehouse)


def _limit_file_size() -> None:
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))


def test_read_only_warehouse_is_a_clear_error(prefect, tmp_path):
    warehouse = tmp_path / "wh"
    ingest(prefect, SEEDS, warehouse).check_returncode()
    before = state(warehouse)
    with read_only(warehouse):
        result = ingest(prefect, SEEDS, warehouse, "--force")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "cannot write" in result.stderr and "warehouse is as it was" in result.stderr
    assert state(warehouse) == before


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """Make a folder tree unwritable, even for root (immutable attribute), else chmod."""
    if os.geteuid() == 0:
        if subprocess.run(["chattr", "-R", "+i", str(folder)], capture_output=True).returncode:
            pytest.skip("running as root without chattr +i: cannot make a folder read-only")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-R", "-i", str(folder)], check=True)
    else:
        modes = {p: p.stat().st_mode for p in [folder, *folder.rglob("*")]}
        for path in modes:
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield
        finally:
            for path, mode in modes.items():
                path.chmod(mode)
