"""Task runners for the ingest flow, chosen by the `runner` setting.

- `process` (default): batch tasks run in threads of the flow, one per worker, and each
  hands its batch to a lean worker process (tasks/workers.py), so every core works.
- `thread`: batches run in the flow's process (one core).
- `dask`: batch tasks run on a Dask cluster through prefect-dask: an existing one
  (`dask_address`) or a temporary `distributed.LocalCluster` of `workers` processes.
  Tasks receive batch descriptors (work file + row group) and write their own Parquet
  parts into the run's staging folder, which the flow commits at the end; the staging
  folder and the source must be reachable from every worker (a shared file system).
"""

from __future__ import annotations

import os
from typing import Any, Self

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from wirehouse.settings import Settings


def make_task_runner(settings: Settings) -> TaskRunner[Any]:
    if settings.runner == "dask":
        return _dask_runner(settings)
    # One thread per worker: more would only queue for the worker processes.
    return ThreadPoolTaskRunner(max_workers=settings.workers)


def worker_count(settings: Settings, batches: int) -> int:
    """Lean worker processes for this run: none unless the runner is `process`; for one
    batch, one (tasks/workers.py runs it in place unless the forkserver was prestarted)."""
    if settings.runner != "process":
        return 0
    return min(settings.workers, batches)


def _dask_runner(settings: Settings) -> TaskRunner[Any]:
    from prefect_dask import DaskTaskRunner

    class SharedServerDaskRunner(DaskTaskRunner):
        """A Dask runner whose local workers report to the flow's temporary Prefect server.

        Without PREFECT_API_URL, Prefect runs a temporary server for the flow, and worker
        processes, not knowing its address, would each start one of their own (seconds
        each, and their task runs would land nowhere). The CLI always exports the URL of
        its server (flows/server.py); this covers a flow called from Python. Workers of
        a remote cluster need PREFECT_API_URL set to a real server instead.
        """

        def __enter__(self) -> Self:
            _share_temporary_server()
            return super().__enter__()

    if settings.dask_address:
        return SharedServerDaskRunner(address=settings.dask_address)
    return SharedServerDaskRunner(
        cluster_class="distributed.LocalCluster",
        cluster_kwargs={
            "n_workers": settings.workers,
            "threads_per_worker": 1,  # the batch step is CPU-bound Python: one per process
            "processes": True,
            "dashboard_address": None,
        },
    )


def _share_temporary_server() -> None:
    """Export the running temporary server's URL, so processes started now inherit it."""
    if os.environ.get("PREFECT_API_URL"):
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    if server.running:
        os.environ["PREFECT_API_URL"] = server.api_url
