"""Beyond one machine: the same flow on a real Dask cluster writes the same tables."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from bench.corpus import generate

pytest.importorskip("prefect_dask")
pytestmark = pytest.mark.slow

WIREHOUSE = str(Path(sys.executable).with_name("wirehouse"))
# Everything a run decides, without run ids and times.
TABLES = {
    "articles": "SELECT * EXCLUDE (run_id, ingested_at, source_root) FROM articles",
    "rejects": "SELECT source_path, reason, message FROM rejects",
    "quotes": "SELECT * EXCLUDE (source_path) FROM quotes",
    "links": "SELECT * EXCLUDE (run_id) FROM article_links",
    "stories": "SELECT * FROM stories",
    "dates": "SELECT * EXCLUDE (run_id) FROM inferred_dates",
}


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "WIREHOUSE_"))}
    return env | {
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        # The first start migrates a new database: allow for a busy machine.
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    }


def ingest(source: Path, warehouse: Path, home: Path, *args: str) -> str:
    """A real `wirehouse ingest` with Wirehouse's local server for `home`, as on a laptop."""
    command = [WIREHOUSE, "ingest", str(source), "--warehouse", str(warehouse), "--show", "0"]
    done = subprocess.run(
        [*command, "--batch-size", "40", *args],
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


@pytest.fixture
def home(tmp_path):
    """A PREFECT_HOME whose local server (started by the first ingest) is stopped after
    the test: otherwise it runs until pytest deletes the folder, runs later."""
    home = tmp_path / "prefect-home"
    yield home
    subprocess.run([WIREHOUSE, "server", "stop"], env=_env(home), capture_output=True, timeout=120)


def tables(warehouse: Path) -> dict[str, list]:
    with duckdb.connect(str(warehouse / "wirehouse.duckdb"), read_only=True) as con:
        return {name: sorted(con.execute(sql).fetchall(), key=repr) for name, sql in TABLES.items()}


def test_dask_local_cluster_writes_exactly_the_local_runners_tables(tmp_path, home):
    corpus = tmp_path / "corpus"
    generate(corpus, 240, seed=7, eval_dir=None)  # mixed outlets, encodings, copies, broken

    local = ingest(corpus, tmp_path / "local", home, "--runner", "thread")
    on_dask = ingest(corpus, tmp_path / "dask", home, "--runner", "dask", "--workers", "2")

    assert tables(tmp_path / "local") == tables(tmp_path / "dask")
    counts = tables(tmp_path / "dask")
    assert len(counts["articles"]) > 150 and counts["rejects"] and counts["stories"]
    # The batches really ran in two Dask worker processes, not in the flow's.
    local_pids = set(re.findall(r"in process (\d+)", local))
    dask_pids = set(re.findall(r"in process (\d+)", on_dask))
    assert len(local_pids) == 1 and len(dask_pids) == 2, (local_pids, dask_pids)
    (parameters,) = (
        duckdb.connect(str(tmp_path / "dask" / "wirehouse.duckdb"), read_only=True)
        .execute("SELECT parameters FROM runs")
        .fetchone()
    )
    assert '"runner": "dask"' in parameters
