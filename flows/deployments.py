"""Deployments of the ingest flow, served by `wirehouse serve`: on demand and scheduled."""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import EntrypointType, RunnerDeployment
from wirehouse.flows.ingest import ingest

from wirehouse.settings import Settings, effective_options

ON_DEMAND = "ingest"
SCHEDULED = "scheduled-reingest"
TAGS = ["wirehouse"]


def build_deployments(source_dir: Path, settings: Settings, cron: str) -> list[RunnerDeployment]:
    """The on-demand `ingest` deployment (a form in the UI) and the scheduled re-ingest.

    Each deployment runs one flow run at a time and queues the next (ENQUEUE). That limit
    covers one deployment only; what keeps runs of *both* deployments (and of the CLI)
    from interleaving writes is the warehouse's own writer lock.
    """
    parameters = {
        "source_dir": str(source_dir.resolve()),
        "warehouse": str(settings.warehouse.resolve()),
        # The form opens with each option's effective value (environment and defaults
        # resolved now), typed and ready to edit.
        "options": effective_options(settings),
    }
    one_at_a_time = ConcurrencyLimitConfig(
        limit=1, collision_strategy=ConcurrencyLimitStrategy.ENQUEUE
    )
    common = {
        "parameters": parameters,
        "concurrency_limit": one_at_a_time,
        "tags": TAGS,
        # Load the flow by module path: works wherever Wirehouse is installed.
        "entrypoint_type": EntrypointType.MODULE_PATH,
    }
    on_demand = ingest.to_deployment(
        name=ON_DEMAND,
        description=(
            "Ingest a folder now. 'Custom run' opens a form: source folder, warehouse, "
            "force, and options (outlet overrides, file globs, batch size, …). Unchanged "
            "files are skipped; the run's artifact 'ingest-summary' lists the counts and "
            "any rejected file."
        ),
        **common,
    )
    scheduled = ingest.to_deployment(
        name=SCHEDULED,
        cron=cron,
        description=(
            f"Re-ingest {parameters['source_dir']} on the schedule '{cron}': new and "
            "changed files are ingested, deleted ones marked deleted, unchanged ones "
            "skipped after a stat. Pause the schedule in the UI to stop it."
        ),
        **common,
    )
    return [on_demand, scheduled]


def serve_until_stopped(deployments: list[RunnerDeployment]) -> None:
    """Serve `deployments` until Ctrl-C or SIGTERM: `prefect.serve`, stopped in order.

    Prefect's runner answers SIGTERM with `sys.exit(0)` raised inside whichever
    coroutine runs at that moment; inside its poller's HTTP request an anyio task group
    wraps that into an exception group and prints its traceback (CI, 12-02). Here
    SIGTERM cancels the runner's task instead, exactly as Ctrl-C does (asyncio cancels
    the main task), so its task group, client and webserver close in order. Schedules
    stay as the user left them in the UI: nothing is paused on shutdown.
    """
    import asyncio

    from prefect.runner import Runner

    runner = Runner(pause_on_shutdown=False)
    for deployment in deployments:
        runner.add_deployment(deployment)

    async def until_stopped() -> None:
        loop, task = asyncio.get_running_loop(), asyncio.current_task()
        assert task is not None
        # `Runner.start` installs `self.handle_sigterm` as the SIGTERM handler.
        runner.handle_sigterm = lambda *_: loop.call_soon_threadsafe(task.cancel)  # type: ignore[method-assign]
        await runner.start()

    with suppress(asyncio.CancelledError):
        asyncio.run(until_stopped())
