"""Lean worker processes for the batch step: the same Prefect task runs, a lighter process.

Why not Prefect's ProcessPoolTaskRunner: its spawned workers re-import the program that
started them (the `wirehouse` CLI, hence Prefect and DuckDB) and run Prefect's task engine,
about 300 MB each and seconds of start-up. Here the `process-batch` Prefect task runs in a
thread of the flow (its task run, logs and state are Prefect's as before) and hands the
CPU work to a worker forked from a fresh `forkserver` process, which imports only the batch
step and its libraries (~180 MB). A killed worker breaks the pool, so the task, and with
it the run, fails; nothing is committed.

On a distributed task runner (Dask, later) no pool is active in the worker's process and
the batch simply runs in place.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_pool: ProcessPoolExecutor | None = None


@contextmanager
def worker_processes(count: int) -> Iterator[None]:
    """Run `in_worker` calls in `count` lean processes while the block runs (0/1: in place)."""
    global _pool
    if count <= 1:
        yield
        return
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    with ProcessPoolExecutor(
        max_workers=count, mp_context=context, initializer=_use_system_allocator
    ) as pool:
        _pool = pool
        try:
            yield
        finally:
            _pool = None


def _use_system_allocator() -> None:
    """Arrow's default jemalloc pool keeps freed pages for reuse: ~30 MB more RSS per
    worker than malloc (236 vs 207 MB peak per worker over 2,000-file batches), and Arrow
    is a small part of a batch's time (building and writing its tables). Arrow's C++ side
    (the Parquet writer) reads the variable when it first allocates, so it is set before
    anything is; the Python side is told directly."""
    os.environ["ARROW_DEFAULT_MEMORY_POOL"] = "system"
    import pyarrow as pa

    pa.set_memory_pool(pa.system_memory_pool())


def in_worker(function: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """`function(*args)` in a worker process if a pool is open, else right here."""
    if _pool is None:
        return function(*args, **kwargs)
    return _pool.submit(function, *args, **kwargs).result()
