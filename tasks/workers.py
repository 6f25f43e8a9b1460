"""Lean worker processes for the batch step: the same Prefect task runs, a lighter process.

Why not Prefect's ProcessPoolTaskRunner: its spawned workers re-import the program that
started them (the `wirehouse` CLI, hence Prefect and DuckDB) and run Prefect's task engine,
about 300 MB each and seconds of start-up. Here the `process-batch` Prefect task runs in a
thread of the flow (its task run, logs and state are Prefect's as before) and hands the
CPU work to a worker forked from a fresh `forkserver` process, which imports only the batch
step and its libraries (~180 MB). A killed worker breaks the pool, so the task, and with
it the run, fails; nothing is committed.

A killed run (even `kill -9`) leaves no worker behind: each watches the process that
started the pool (`exit_with`) and exits when it ends; the forkserver then exits by
itself, as it does once the last process holding its "alive" pipe is gone.

On a distributed task runner (Dask, later) no pool is active in the worker's process and
the batch simply runs in place.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import select
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_pool: ProcessPoolExecutor | None = None
_prestarted = False

# Imported by the forkserver before it forks a worker: the batch step, warmed up.
PRELOAD = "wirehouse.tasks.preload"
OWNER_VARIABLE = "WIREHOUSE_POOL_OWNER"  # the pid the warming forkserver watches


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([PRELOAD])
    return context


def prestart() -> bool:
    """Start the workers' forkserver now, so it imports and warms up the batch step
    (tasks/preload.py) on another core while this process imports Prefect and plans
    the run; workers forked later start warm. False where there is no forkserver."""
    global _prestarted
    if _context().get_start_method() != "forkserver":
        return False
    from multiprocessing import forkserver

    os.environ[OWNER_VARIABLE] = str(os.getpid())
    forkserver.ensure_running()
    _prestarted = True
    return True


@contextmanager
def worker_processes(count: int) -> Iterator[None]:
    """Run `in_worker` calls in `count` lean processes while the block runs (0: in place).

    One worker is worth it only when the forkserver was prestarted (its warm-up is then
    done): otherwise the batch runs in place, sparing a worker's start-up."""
    global _pool
    if count < 1 or (count == 1 and not _prestarted):
        yield
        return
    with ProcessPoolExecutor(
        max_workers=count,
        mp_context=_context(),
        initializer=_start_worker,
        initargs=(os.getpid(),),
    ) as pool:
        # Every worker now, not one per submission that finds none idle (Python >= 3.9
        # spawns on demand): a warm worker can finish a short batch before the next one
        # is submitted, and the run asked for `count` processes. Private, so only if
        # there (CPython 3.11-3.13 have it); without it, workers come on demand.
        launch = getattr(pool, "_launch_processes", None)
        if callable(launch):
            launch()
        _pool = pool
        try:
            yield
        finally:
            _pool = None


def _start_worker(owner: int) -> None:
    exit_with(owner)
    _use_system_allocator()


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


def exit_with(pid: int, grace: float | None = None) -> None:
    """End this process when process `pid` ends, however it ends (`kill -9` too).

    A daemon thread waits for it: on a pidfd on Linux (woken the moment it exits), else by
    polling twice a second. Then this process exits at once, or, given `grace`, is sent
    SIGTERM first (a server shuts down cleanly) and exits `grace` seconds later if still
    there. The watch is on the process, not on the thread that started this one, as
    PR_SET_PDEATHSIG's would be: a pool started from a task runner's thread outlives it.
    """
    threading.Thread(
        target=_exit_after, args=(pid, grace), name="wirehouse-exit-with", daemon=True
    ).start()


def _exit_after(pid: int, grace: float | None) -> None:
    _wait_for_end(pid)
    if grace is not None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace)
    os._exit(1)


def _wait_for_end(pid: int) -> None:
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return  # gone already
    except (AttributeError, OSError):  # not Linux (or before 5.3): poll
        while alive(pid):
            time.sleep(0.5)
        return
    try:
        select.select([handle], [], [])  # readable once it has exited
    finally:
        os.close(handle)


def alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie does not; a child of this one is reaped)."""
    with contextlib.suppress(ChildProcessError):
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    with contextlib.suppress(OSError):  # Linux: not a zombie
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True
