"""Shared fixtures: a real Prefect test server for the session, seeds, warehouse helpers."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

# Prefect reads these when first imported: keep its state out of ~/.prefect, make no
# telemetry calls, and keep its own chatter out of the test output.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="wirehouse-test-prefect-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# The CLI's default is a long-lived local server; tests use a temporary one per command
# (tests/test_local_server.py and test_kill.py remove this where they test that server).
os.environ.setdefault("WIREHOUSE_EPHEMERAL", "1")

PROJECT = Path(__file__).resolve().parent.parent
SEEDS = PROJECT / "seeds"


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[None]:
    """One temporary Prefect server (SQLite in a temp dir) for all flow tests."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=60):
        yield


@pytest.fixture
def seeds_copy(tmp_path: Path) -> Path:
    """A private copy of seeds/ that a test may change."""
    target = tmp_path / "source"
    shutil.copytree(SEEDS, target)
    return target


def run_ingest(source_dir: Path, warehouse: Path, force: bool = False, **options: Any) -> dict:
    """Run the real ingest flow (in this process, against the test Prefect server)."""
    from wirehouse.flows.ingest import ingest

    from wirehouse.settings import IngestOptions

    return ingest(str(source_dir), str(warehouse), force, IngestOptions(**options))


def query(warehouse: Path, sql: str, params: list[Any] | None = None) -> list[tuple]:
    """Read through the warehouse's own DuckDB catalog file, read-only."""
    with duckdb.connect(str(warehouse / "wirehouse.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()
