"""A killed `wirehouse ingest` leaves nothing running but Wirehouse's local server.

Each test starts a real `wirehouse ingest` (300 generated files, batches of 10, 2
workers), records every process it starts while it runs, SIGKILLs it at a point (the
server starting, the batches running) and checks that a few seconds later none of those
processes is left: not the temporary server (`--ephemeral`), nor the forkserver, its
workers or multiprocessing's resource tracker. The local server is the one process meant
to outlive a command, and the next command uses it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from conftest import SEEDS
from wirehouse.flows.server import STATE_FILE, local_server, stop_local_server

pytestmark = pytest.mark.server

WIREHOUSE = str(Path(sys.executable).with_name("wirehouse"))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 distinct articles in 6 folders."""
    root = tmp_path_factory.mktemp("kill") / "corpus"
    seeds = sorted(SEEDS.iterdir())
    for i in range(300):
        seed = seeds[i % len(seeds)]
        target = root / f"desk{i % 6}" / f"{i:03d}-{seed.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(seed.read_text() + f"\n\nDesk copy {i}, item {i * 7}.\n")
    return root


@pytest.fixture(scope="module")
def local_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A PREFECT_HOME for the local-server tests; its server is stopped at the end."""
    home = tmp_path_factory.mktemp("kill-local-home")
    yield home
    stop_local_server(home)


def start_ingest(home: Path, corpus: Path, warehouse: Path, **env: str) -> subprocess.Popen:
    environment = {
        k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "WIREHOUSE_EPHEMERAL")
    }
    environment.update(PREFECT_HOME=str(home), WIREHOUSE_SERVER_PORT="0", **env)
    command = [WIREHOUSE, "ingest", str(corpus), "-w", str(warehouse), "--show", "0"]
    command += ["--batch-size", "10", "--workers", "2", "--runner", "process"]
    return subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def kill_when(
    process: subprocess.Popen, ready: Callable[[list[psutil.Process]], bool], timeout: float = 90
) -> list[psutil.Process]:
    """SIGKILL `process` once `ready(its descendants)`; every descendant it had until then."""
    root = psutil.Process(process.pid)
    seen: dict[int, psutil.Process] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "the ingest ended before the kill point"
        try:
            for child in root.children(recursive=True):
                seen.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            pass
        alive = [p for p in seen.values() if _running(p)]
        if ready(alive):
            process.kill()
            process.wait()
            return list(seen.values())
        time.sleep(0.02)
    process.kill()
    process.wait()
    raise AssertionError(f"kill point not reached in {timeout:.0f}s: {_describe(seen.values())}")


def assert_all_end(processes: list[psutil.Process], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(_running(p) for p in processes):
        time.sleep(0.1)
    left = [p for p in processes if _running(p)]
    message = f"left running after the kill: {_describe(left)}"
    for p in left:  # never leave them behind for the next test
        p.kill()
    assert not left, message


def server_starting(processes: list[psutil.Process]) -> bool:
    return any("create_app" in _command(p) for p in processes)


def batches_running(processes: list[psutil.Process]) -> bool:
    """The forkserver and both workers are up (they share the forkserver's command)."""
    return sum("multiprocessing.forkserver" in _command(p) for p in processes) >= 3


def test_kill_while_the_local_server_starts_leaves_only_the_server(corpus, local_home, tmp_path):
    ingest = start_ingest(local_home, corpus, tmp_path / "wh")
    seen = kill_when(ingest, lambda ps: server_starting(ps) and (local_home / STATE_FILE).exists())
    state = json.loads((local_home / STATE_FILE).read_text())
    server = [p for p in seen if p.pid == state["pid"]]
    assert server and _running(server[0]), "the local server should outlive the command"
    assert_all_end([p for p in seen if p.pid != state["pid"]])
    assert local_server(local_home).pid == state["pid"]  # the next command uses it


def test_kill_during_batches_leaves_only_the_local_server(corpus, local_home, tmp_path):
    server = local_server(local_home)  # running already after the test above
    ingest = start_ingest(local_home, corpus, tmp_path / "wh")
    seen = kill_when(ingest, batches_running)
    assert server.pid not in {p.pid for p in seen}
    assert_all_end(seen)
    assert psutil.pid_exists(server.pid)


@pytest.mark.parametrize("point", [server_starting, batches_running], ids=lambda f: f.__name__)
def test_kill_of_an_ephemeral_run_leaves_nothing(corpus, local_home, tmp_path, point):
    home = tmp_path / "home"
    home.mkdir()
    if point is batches_running:  # a migrated database: the server starts in ~5 s, not ~16
        _copy_database(local_home, home)
    ingest = start_ingest(home, corpus, tmp_path / "wh", WIREHOUSE_EPHEMERAL="1")
    seen = kill_when(ingest, point)
    assert any("create_app" in _command(p) for p in seen)
    assert_all_end(seen)
    assert not (home / STATE_FILE).exists()


def _copy_database(source_home: Path, target_home: Path) -> None:
    if not (source_home / "prefect.db").exists():
        return
    with (
        sqlite3.connect(source_home / "prefect.db") as source,
        sqlite3.connect(target_home / "prefect.db") as target,
    ):
        source.backup(target)
    source.close()
    target.close()
    if (source_home / "memo_store.toml").exists():  # blocks registered already
        shutil.copy(source_home / "memo_store.toml", target_home)


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _command(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def _describe(processes: object) -> str:
    return "; ".join(f"{p.pid} {_command(p)[:100]}" for p in processes)  # type: ignore[attr-defined]
