"""The `wirehouse` command as a user runs it: a real subprocess, real Prefect, real DuckDB."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import SEEDS

WIREHOUSE = str(Path(sys.executable).with_name("wirehouse"))


def wirehouse(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [WIREHOUSE, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )
    if check and result.returncode != 0:
        raise AssertionError(f"wirehouse {args} failed:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    warehouse = tmp_path_factory.mktemp("cli") / "wh"
    run = wirehouse("ingest", str(SEEDS), "--warehouse", str(warehouse))
    return warehouse, run.stdout


def test_ingest_prints_counts_and_what_landed(ingested):
    _, out = ingested
    assert "discovered" in out and "Landed in this run" in out
    assert "Lavrov tells Tillerson Russia ready to normalize relations with US" in out
    # 000 states July 28 without a year; its story (001, dated) supplies 2017, openly.
    assert "≈2017-07-28" in out and "≈ inferred date" in out
    assert "2021-05-17" in out and "interfax" in out


def test_ingest_output_has_no_tracebacks_or_server_chatter(ingested):
    _, out = ingested
    assert "Traceback" not in out and "temporary server" not in out


def test_tables_lists_row_counts(ingested):
    warehouse, _ = ingested
    rows = json.loads(wirehouse("tables", "--warehouse", str(warehouse), "--format", "json").stdout)
    counts = {r["table"]: r["rows"] for r in rows}
    assert counts["articles"] == 5 and counts["runs"] == 1 and counts["rejects"] == 0


def test_query_formats(ingested):
    warehouse, _ = ingested
    sql = "SELECT source, language, count(*) AS n FROM articles GROUP BY ALL ORDER BY ALL"
    as_json = json.loads(wirehouse("query", sql, "-w", str(warehouse), "-f", "json").stdout)
    assert {(r["source"], r["n"]) for r in as_json} == {
        ("eir", 1),
        ("interfax", 1),
        ("tass", 1),
        (None, 2),
    }
    as_csv = list(
        csv.DictReader(
            io.StringIO(wirehouse("query", sql, "-w", str(warehouse), "-f", "csv").stdout)
        )
    )
    assert len(as_csv) == 4 and as_csv[0].keys() == {"source", "language", "n"}
    table = wirehouse("query", sql, "-w", str(warehouse)).stdout
    assert "interfax" in table and "┃" in table


def test_query_binds_parameters(ingested):
    warehouse, _ = ingested
    out = wirehouse(
        "query",
        "SELECT count(*) AS n FROM articles WHERE source = ?",
        "-p",
        "tass' OR 1=1 --",
        "-w",
        str(warehouse),
        "-f",
        "json",
    ).stdout
    assert json.loads(out) == [{"n": 0}]


def test_errors_are_one_clear_line(tmp_path, ingested):
    warehouse, _ = ingested
    missing = wirehouse("query", "SELECT 1", "-w", str(tmp_path / "none"), check=False)
    assert missing.returncode == 1 and "wirehouse ingest" in missing.stderr
    bad_sql = wirehouse("query", "SELEC 1", "-w", str(warehouse), check=False)
    assert bad_sql.returncode == 1 and "syntax error" in bad_sql.stderr.lower()
    assert "Traceback" not in missing.stderr + bad_sql.stderr
    no_source = wirehouse("ingest", str(tmp_path / "nope"), "-w", str(warehouse), check=False)
    assert no_source.returncode == 2 and "does not exist" in no_source.stderr


@pytest.mark.parametrize(
    "sql",
    [
        "COPY (SELECT * FROM articles) TO '/tmp/wirehouse-leak.csv'",
        "ATTACH '/tmp/other.duckdb' AS other",
        "CREATE TABLE copy AS SELECT * FROM articles",
        "DROP VIEW articles",
        "INSTALL httpfs",
        "SET threads = 1",
        "SELECT 1; DELETE FROM wirehouse_meta",
    ],
)
def test_query_is_read_only_by_default(ingested, sql):
    warehouse, _ = ingested
    refused = wirehouse("query", sql, "-w", str(warehouse), check=False)
    assert refused.returncode == 1 and "read-only unless you pass --write" in refused.stderr
    assert not Path("/tmp/wirehouse-leak.csv").exists()
    assert wirehouse("query", "SELECT count(*) FROM articles", "-w", str(warehouse)).returncode == 0


def test_write_flag_allows_writing(ingested, tmp_path):
    warehouse, _ = ingested
    target = tmp_path / "export.csv"
    wirehouse(
        "query", f"COPY (SELECT title FROM articles) TO '{target}'", "-w", str(warehouse), "--write"
    )
    assert len(target.read_text().splitlines()) == 6  # header + 5 articles


def test_the_flows_process_leaves_prefects_server_to_the_server(tmp_path):
    """Without PREFECT_API_URL the CLI runs a temporary server, as Prefect would, but the
    flow's process never imports Prefect's server package (~76 MB it would carry all run);
    the server stops with the command, once the run's logs have reached it."""
    script = (
        "import sys, httpx\n"
        "from wirehouse.flows.server import temporary_server\n"
        "from wirehouse.flows.ingest import ingest\n"
        "with temporary_server() as url:\n"
        "    ingest(sys.argv[1], warehouse=sys.argv[2])\n"
        "    with httpx.Client() as client:\n"
        "        runs = client.post(f'{url}/flow_runs/filter', json={}).json()\n"
        "print(url, len(runs), sorted(m for m in sys.modules if m.startswith('prefect.server')))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    run = subprocess.run(
        [sys.executable, "-c", script, str(SEEDS), str(tmp_path / "wh")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=Path(__file__).parent.parent,
    )
    assert run.returncode == 0, run.stderr
    url, flow_runs, imported = run.stdout.split(" ", 2)
    assert imported.strip() == "[]" and int(flow_runs) == 1
    assert "Error logging to API" not in run.stderr  # logs sent before the server stopped
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{url}/health", timeout=2)


def test_user_errors_of_ingest_end_in_one_line_and_exit_2(tmp_path, ingested):
    """A malformed outlet registry and an unreachable PREFECT_API_URL: one line, status 2."""
    warehouse, _ = ingested
    bad = tmp_path / "outlets.toml"
    bad.write_text('[[outlet]]\nslug = "x"\nmarkers = ["(unclosed"]\n')
    broken = wirehouse(
        "ingest", str(SEEDS), "-w", str(warehouse), "--outlets-file", str(bad), check=False
    )
    assert broken.returncode == 2 and "Traceback" not in broken.stderr
    (line,) = broken.stderr.strip().splitlines()
    assert "outlets.toml" in line and "bad pattern" in line

    env = {**os.environ, "COLUMNS": "200", "PREFECT_API_URL": "http://127.0.0.1:9/api"}
    unreachable = subprocess.run(
        [WIREHOUSE, "ingest", str(SEEDS), "-w", str(warehouse)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert unreachable.returncode == 2 and "Traceback" not in unreachable.stderr
    (line,) = unreachable.stderr.strip().splitlines()
    assert "PREFECT_API_URL" in line and "does not answer" in line


def test_a_warehouse_of_a_newer_wirehouse_is_one_line_and_exit_2(tmp_path, ingested):
    import shutil

    from wirehouse.warehouse.storage import FORMAT_FILE, FORMAT_VERSION

    warehouse = tmp_path / "newer"
    shutil.copytree(ingested[0], warehouse)
    marker = warehouse / FORMAT_FILE
    assert json.loads(marker.read_text())["format"] == FORMAT_VERSION  # written by ingest
    marker.write_text(json.dumps({"format": FORMAT_VERSION + 1, "written_by": "99.0"}))
    for command in (
        ("ingest", str(SEEDS), "-w", str(warehouse)),
        ("query", "-w", str(warehouse), "SELECT 1"),
    ):
        refused = wirehouse(*command, check=False)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
        (line,) = refused.stderr.strip().splitlines()
        assert "Wirehouse 99.0" in line and "upgrade Wirehouse" in line
    assert json.loads(marker.read_text())["format"] == FORMAT_VERSION + 1  # left as it was


@pytest.mark.usefixtures("prefect_server")
def test_a_failed_accounting_check_is_one_line_and_exit_2(tmp_path, monkeypatch):
    """A run whose counts do not add up is not committed; the CLI says so in one line."""
    import wirehouse.tasks.commit
    from typer.testing import CliRunner
    from wirehouse.tasks.errors import AccountingError
    from wirehouse.warehouse.storage import INIT_RUN_ID, Warehouse

    from wirehouse.cli import app

    def broken(plan, results):
        raise AccountingError("discovered 5 files but accounted for 4; not committing this run")

    monkeypatch.setattr(wirehouse.tasks.commit, "_tally", broken)
    result = CliRunner().invoke(app, ["ingest", str(SEEDS), "-w", str(tmp_path / "wh")])
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)  # typer.Exit, not a traceback
    assert "Traceback" not in result.output, result.output
    assert "AccountingError" not in result.output, result.output
    (line,) = [line for line in result.output.splitlines() if "accounted for 4" in line]
    assert line.startswith("error:") and "run the same ingest" in line
    assert Warehouse.at(tmp_path / "wh").committed_runs() == [INIT_RUN_ID]  # nothing committed


@pytest.mark.parametrize("frequency", [None, "60"])
def test_the_cli_flow_sends_heartbeats_only_when_the_user_asks(frequency):
    """A synchronous flow waits up to 1 s for its heartbeat thread when it ends: the
    CLI's own flow runs without one unless PREFECT_FLOWS_HEARTBEAT_FREQUENCY is set."""
    env = {k: v for k, v in os.environ.items() if "HEARTBEAT" not in k}
    if frequency:
        env["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] = frequency
    script = (
        "from prefect.settings import get_current_settings\n"
        "from wirehouse.cli import _without_heartbeats\n"
        "before = get_current_settings().flows.heartbeat_frequency\n"
        "with _without_heartbeats():\n"
        "    inside = get_current_settings().flows.heartbeat_frequency\n"
        "after = get_current_settings().flows.heartbeat_frequency\n"
        "print(before, inside, after)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == (["180", "None", "180"] if frequency is None else ["60", "60", "60"])
