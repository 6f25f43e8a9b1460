"""Task runners for the ingest flow, chosen by the `runner` setting."""

from __future__ import annotations

import os
from typing import Any, Self

from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner

from wirehouse.settings import Settings


class WorkerPool(ProcessPoolTaskRunner):
    """A process pool whose workers report to the same Prefect API as the flow.

    Without an explicit PREFECT_API_URL, Prefect runs a temporary server inside the flow's
    process, and spawned workers, not knowing its address, each start a server of their
    own (seconds each, and their task runs land nowhere). Pointing them at the flow's
    temporary server fixes both; with a real server configured there is nothing to do.
    """

    def __enter__(self) -> Self:
        api_url = _temporary_server_url()
        if api_url and self._initializer is None:
            self._initializer, self._initargs = _use_api_url, (api_url,)
        return super().__enter__()


def make_task_runner(settings: Settings) -> TaskRunner[Any]:
    if settings.runner == "thread":
        return ThreadPoolTaskRunner(max_workers=settings.workers)
    return WorkerPool(max_workers=settings.workers)


def _temporary_server_url() -> str | None:
    if os.environ.get("PREFECT_API_URL"):
        return None
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    return server.api_url if server.running else None


def _use_api_url(api_url: str) -> None:
    os.environ["PREFECT_API_URL"] = api_url
