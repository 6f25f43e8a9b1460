"""Operating Wirehouse as a service: a real Prefect server, `wirehouse serve`, runs via the API.

Marked `server`: each test here talks to a `prefect server start` subprocess on 127.0.0.1.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from conftest import SEEDS, query
from live import LivePrefect, Served, wait_for

from wirehouse.settings import Settings, effective_options

pytestmark = pytest.mark.server


def _cron_far_from_now() -> str:
    """Daily, 12 hours from now: scheduled runs exist but none fires during the test."""
    later = datetime.now(UTC) + timedelta(hours=12)
    return f"{later.minute} {later.hour} * * *"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    home = tmp_path_factory.mktemp("prefect-home")
    source = tmp_path_factory.mktemp("operate") / "source"
    shutil.copytree(SEEDS, source)
    prefect = LivePrefect(home)
    prefect.start()
    service = Served(prefect, source, source.parent / "wh", _cron_far_from_now())
    try:
        service.start()
        yield service
    finally:
        service.stop()
        prefect.stop()


def test_both_deployments_are_registered_with_forms_and_schedule(served):
    prefect = served.prefect
    on_demand, scheduled = prefect.deployment("ingest"), prefect.deployment("scheduled-reingest")
    assert on_demand["description"] and scheduled["description"]
    assert on_demand["schedules"] == []
    assert [s["schedule"]["cron"] for s in scheduled["schedules"]] == [served.cron]
    form = on_demand["parameter_openapi_schema"]["properties"]
    assert "walked recursively" in form["source_dir"]["description"]
    assert form["options"]["$ref"].endswith("IngestOptions")
    # The form opens with the deployment's parameters: the served folder and warehouse, and
    # every option's effective value, typed (not "X | None"), ready to edit.
    parameters = on_demand["parameters"]
    assert (parameters["source_dir"], parameters["warehouse"]) == (
        str(served.source),
        str(served.warehouse),
    )
    assert parameters["options"] == effective_options(Settings())
    assert parameters["options"]["workers"] >= 1 and parameters["options"]["batch_size"] == 2000
    schema = on_demand["parameter_openapi_schema"]["definitions"]["IngestOptions"]["properties"]
    assert schema["runner"]["enum"] == ["process", "thread", "dask"]
    assert schema["workers"]["type"] == "integer" and schema["batch_size"]["default"] == 2000
    assert on_demand["global_concurrency_limit"]["limit"] == 1


def test_cron_deployment_really_has_scheduled_runs(served):
    prefect = served.prefect
    deployment_id = prefect.deployment("scheduled-reingest")["id"]

    def scheduled_runs() -> list:
        return prefect.post(
            "/flow_runs/filter",
            {
                "flow_runs": {
                    "deployment_id": {"any_": [deployment_id]},
                    "state": {"type": {"any_": ["SCHEDULED"]}},
                }
            },
        )

    wait_for(lambda: len(scheduled_runs()) > 0, 60, "the scheduler to create runs")
    assert all(r["parameters"]["source_dir"] == str(served.source) for r in scheduled_runs())


def test_runs_from_the_api_ingest_and_reingest_incrementally(served):
    prefect, source, warehouse = served.prefect, served.source, served.warehouse
    first = prefect.wait_for_run(prefect.run_deployment("ingest", {}))
    assert first["state_type"] == "COMPLETED", served.log()
    assert query(warehouse, "SELECT count(*) FROM articles") == [(5,)]

    (source / "new_story.txt").write_text("Fresh headline\n\nMOSCOW, Aug 1. /TASS/. News.\n")
    changed = source / "002_8dbeb891fb4c8d83.txt"
    changed.write_text(changed.read_text() + "\nUpdate: a correction.\n")
    (source / "004_cd3fca1b6fed57ec.txt").unlink()
    (source / "broken.txt").write_bytes(b"%PDF-1.4 not an article")

    second = prefect.wait_for_run(prefect.run_deployment("ingest", {}))
    assert second["state_type"] == "COMPLETED", served.log()  # a bad file is not a failure
    (counts,) = query(
        warehouse,
        """SELECT discovered, new, changed, unchanged, deleted,
                                           rejected, flow_run_id
                                    FROM runs ORDER BY run_id DESC LIMIT 1""",
    )
    assert counts == (6, 1, 1, 3, 1, 1, second["id"])
    assert query(warehouse, "SELECT count(*) FROM articles") == [(5,)]
    assert query(warehouse, "SELECT count(*) FROM article_versions") == [(7,)]

    artifact = _summary_artifact(prefect, second["id"])
    assert "| new | 1 |" in artifact and "| deleted | 1 |" in artifact
    assert "broken.txt" in artifact and "binary" in artifact


def test_form_parameters_reach_the_flow(served, tmp_path):
    other_source = tmp_path / "other"
    other_source.mkdir()
    (other_source / "a.txt").write_text("Headline here\n\nBEIJING, July 28 (Xinhua) -- Text.")
    run = served.prefect.run_deployment(
        "ingest",
        {
            "source_dir": str(other_source),
            "warehouse": str(tmp_path / "wh"),
            "options": {"source": "presstv", "include": ["*.txt"]},
        },
    )
    assert served.prefect.wait_for_run(run)["state_type"] == "COMPLETED", served.log()
    assert query(tmp_path / "wh", "SELECT source, source_evidence FROM articles") == [
        ("presstv", "override")
    ]


@pytest.mark.parametrize(("runner", "processes"), [("process", 2), ("thread", 1)])
def test_runner_and_workers_chosen_in_the_form_are_honoured(served, tmp_path, runner, processes):
    """The runner is made per run from the form's options: `process` with 2 workers runs
    the batches in 2 worker processes, `thread` in the flow's own; the artifact says so.

    Each batch has over a second of work (articles of ~40 KB), longer than the moments
    between the two batch tasks' starts: with batches of ~0.3 s (8 KB articles), a warm
    worker finished all three before the other one got one (CI, 12-03)."""
    source = tmp_path / "many"
    source.mkdir()
    for i in range(120):
        words = " ".join(f"talks{i} continued on day {k} in the capital." for k in range(800))
        (source / f"{i}.txt").write_text(f"Headline {i}\n\nMOSCOW, July 28. /TASS/. {words}")
    run = served.prefect.run_deployment(
        "ingest",
        {
            "source_dir": str(source),
            "warehouse": str(tmp_path / "wh"),
            "options": {"runner": runner, "workers": 2, "batch_size": 50},
        },
    )
    assert served.prefect.wait_for_run(run)["state_type"] == "COMPLETED", served.log()
    artifact = _summary_artifact(served.prefect, run)
    assert f"3 batches in {processes} processes" in artifact, artifact


def test_invalid_form_input_is_refused_by_the_server(served):
    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as info:
        served.prefect.run_deployment("ingest", {"options": {"batch_size": 0}})
    assert info.value.code == 409


def test_pausing_the_schedule_in_the_ui_sticks(served):
    prefect = served.prefect
    deployment = prefect.deployment("scheduled-reingest")
    prefect.patch(f"/deployments/{deployment['id']}", {"paused": True})
    wait_for(lambda: prefect.deployment("scheduled-reingest")["paused"], 10, "pause")
    import time

    time.sleep(3)  # several runner polls: serve must not un-pause it
    assert prefect.deployment("scheduled-reingest")["paused"] is True
    prefect.patch(f"/deployments/{deployment['id']}", {"paused": False})


def _summary_artifact(prefect: LivePrefect, flow_run_id: str) -> str:
    artifacts = prefect.post(
        "/artifacts/filter",
        {
            "artifacts": {
                "flow_run_id": {"any_": [flow_run_id]},
                "key": {"any_": ["ingest-summary"]},
            }
        },
    )
    assert len(artifacts) == 1
    return artifacts[0]["data"]


def test_serve_stops_cleanly(tmp_path):
    """SIGTERM ends `wirehouse serve` with exit code 0, before the server is stopped."""
    prefect = LivePrefect(tmp_path / "home")
    prefect.home.mkdir()
    prefect.start()
    try:
        service = Served(prefect, SEEDS, tmp_path / "wh", "0 0 1 1 *")
        service.start()
        assert service.stop() == 0, service.log()
        assert "Traceback" not in service.log()
    finally:
        assert prefect.stop() is not None
    assert not prefect.listening(), "the server left something listening on its port"
