"""Task runners for the ingest flow, chosen by the `runner` setting.

Batch tasks run in threads of the flow; with the `process` runner each thread hands its
batch to a lean worker process (tasks/workers.py), so every core works.
"""

from __future__ import annotations

from typing import Any

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from wirehouse.settings import Settings


def make_task_runner(settings: Settings) -> TaskRunner[Any]:
    """One thread per worker: more would only queue for the worker processes."""
    return ThreadPoolTaskRunner(max_workers=settings.workers)


def worker_count(settings: Settings, batches: int) -> int:
    """Worker processes for this run: none for one batch (start-up would cost more)."""
    if settings.runner == "thread" or batches <= 1:
        return 0
    return min(settings.workers, batches)
