"""Wirehouse's local Prefect server: started once per PREFECT_HOME, reused, replaced when stale.

Every test has PREFECT_HOMEs of its own (their database copied from one migrated once,
so a server starts in seconds) and stops what it started; a last sweep kills any process
still running with one of those homes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import prefect
import psutil
import pytest
from conftest import SEEDS
from wirehouse.flows.server import (
    STATE_FILE,
    LocalServer,
    local_server,
    local_server_status,
    stop_local_server,
)

pytestmark = pytest.mark.server

WIREHOUSE = str(Path(sys.executable).with_name("wirehouse"))
# Answers like a Prefect server of another version; "prefect" in its command line and
# the home in its environment make it look like this home's server.
FAKE_SERVER = """
import http.server, json, sys
class Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = {"/api/health": True, "/api/admin/version": "2.0.0"}.get(self.path)
        self.send_response(200 if body is not None else 404)
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())
    def log_message(self, *args):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[2])), Answer).serve_forever()
"""


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PREFECT_HOME whose database a server created and migrated (once, ~10-20 s)."""
    home = tmp_path_factory.mktemp("template-home")
    try:
        local_server(home)
    finally:
        stop_local_server(home)
    return home


@pytest.fixture
def new_home(
    template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[], Path]]:
    """Make PREFECT_HOMEs with a copy of the template's database; stop their servers."""
    monkeypatch.setenv("WIREHOUSE_SERVER_PORT", "0")  # any free port, not 4200
    homes: list[Path] = []

    def make() -> Path:
        home = tmp_path / f"prefect-home-{len(homes)}"
        home.mkdir()
        with (
            sqlite3.connect(template / "prefect.db") as source,
            sqlite3.connect(home / "prefect.db") as target,
        ):
            source.backup(target)
        source.close()
        target.close()
        shutil.copy(template / "memo_store.toml", home)  # blocks registered already
        homes.append(home)
        return home

    yield make
    for home in homes:
        stop_local_server(home)
    for process in _processes_of(homes):
        process.kill()


@pytest.fixture
def home(new_home: Callable[[], Path]) -> Path:
    return new_home()


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "WIREHOUSE_EPHEMERAL")
    }
    return env | {"PREFECT_HOME": str(home), "COLUMNS": "200"} | extra


def wirehouse(
    home: Path, *args: str, check: bool = True, **extra: str
) -> subprocess.CompletedProcess:
    run = subprocess.run(
        [WIREHOUSE, *args],
        env=environment(home, **extra),
        capture_output=True,
        text=True,
        timeout=180,
    )
    if check and run.returncode != 0:
        raise AssertionError(f"wirehouse {args} failed:\n{run.stdout}\n{run.stderr}")
    return run


def state_of(home: Path) -> dict:
    return json.loads((home / STATE_FILE).read_text())


def test_commands_start_one_server_and_reuse_it(home, new_home, tmp_path):
    wirehouse(home, "ingest", str(SEEDS), "-w", str(tmp_path / "wh1"), "--show", "0")
    state = state_of(home)
    assert state["home"] == str(home) and state["prefect_version"] == prefect.__version__
    assert os.getsid(state["pid"]) == state["pid"], "detached: a session of its own"
    assert (home / "wirehouse-server.log").exists()

    wirehouse(home, "ingest", str(SEEDS), "-w", str(tmp_path / "wh2"), "--show", "0")
    assert state_of(home)["pid"] == state["pid"]
    # PREFECT_API_URL set: that server, and no server of this home's own.
    other = new_home()
    api = f"http://127.0.0.1:{state['port']}/api"
    wirehouse(
        other, "ingest", str(SEEDS), "-w", str(tmp_path / "wh3"), "--show", "0", PREFECT_API_URL=api
    )
    assert not (other / STATE_FILE).exists()

    runs = httpx.post(f"{api}/flow_runs/filter", json={}, timeout=10).json()
    assert [r["state_type"] for r in runs] == ["COMPLETED"] * 3  # in the UI's history
    ui = httpx.get(f"http://127.0.0.1:{state['port']}/", timeout=10, follow_redirects=True)
    assert ui.status_code == 200 and "<html" in ui.text.lower()

    status = wirehouse(home, "server", "status")
    assert (
        f"http://127.0.0.1:{state['port']}" in status.stdout and str(state["pid"]) in status.stdout
    )
    assert "Stopped" in wirehouse(home, "server", "stop").stdout
    assert not psutil.pid_exists(state["pid"]) or _zombie(state["pid"])
    assert wirehouse(home, "server", "status", check=False).returncode == 1
    assert "No local server" in wirehouse(home, "server", "stop").stdout


def test_ephemeral_keeps_a_temporary_server_for_one_command(home, tmp_path):
    wirehouse(home, "ingest", str(SEEDS), "-w", str(tmp_path / "wh"), "--show", "0", "--ephemeral")
    assert not (home / STATE_FILE).exists()
    assert not _processes_of([home])


def test_server_listens_on_loopback_only(home):
    server = local_server(home)
    assert httpx.get(f"{server.api_url}/health", timeout=5).status_code == 200
    addresses = [
        a.address
        for addrs in psutil.net_if_addrs().values()
        for a in addrs
        if a.family == socket.AF_INET and not a.address.startswith("127.")
    ]
    if not addresses:
        pytest.skip("this machine has no non-loopback IPv4 address")
    for address in addresses:
        with pytest.raises(OSError), socket.create_connection((address, server.port), timeout=2):
            pass


def test_two_commands_at_once_start_one_server(home):
    starts = [
        subprocess.Popen(
            [WIREHOUSE, "server", "start"], env=environment(home), stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=180)[0] for p in starts]
    assert [p.returncode for p in starts] == [0, 0]
    pid = state_of(home)["pid"]
    assert all(f"pid {pid}" in out for out in outputs), outputs
    assert [p.pid for p in _processes_of([home])] == [pid]


@pytest.mark.parametrize("recorded", ["exited", "not-a-server"])
def test_a_stale_pid_is_replaced(home, recorded):
    other = subprocess.Popen(["true"] if recorded == "exited" else ["sleep", "60"])
    if recorded == "exited":
        other.wait()
    _record(home, other.pid, _free_port(), prefect.__version__)
    try:
        server = local_server(home)
        assert server.pid != other.pid and state_of(home)["pid"] == server.pid
        assert _answers(server) == prefect.__version__
        if recorded == "not-a-server":
            assert other.poll() is None, "a process that is not this home's server is left alone"
    finally:
        other.kill()
        other.wait()


def test_a_dead_server_is_replaced(home):
    first = local_server(home)
    os.kill(first.pid, signal.SIGKILL)
    _wait(lambda: not psutil.pid_exists(first.pid) or _zombie(first.pid))
    second = local_server(home)
    assert second.pid != first.pid and _answers(second) == prefect.__version__
    status, word = local_server_status(home)
    assert word == "running" and status == second


@pytest.mark.parametrize("recorded_version", ["2.0.0", prefect.__version__])
def test_a_server_of_another_prefect_version_is_not_reused(home, recorded_version):
    """Recorded as another version, or answering as one: replaced (and, being this home's
    server, stopped: it holds this home's database)."""
    port = _free_port()
    fake = subprocess.Popen(
        [sys.executable, "-c", FAKE_SERVER, "fake-prefect-server", str(port)],
        env=environment(home),
    )
    try:
        _wait(lambda: _answers_at(port) == "2.0.0")
        _record(home, fake.pid, port, recorded_version)
        server = local_server(home)
        assert server.pid != fake.pid and server.port != port
        assert _answers(server) == prefect.__version__
        assert fake.poll() is not None, "this home's server of another version is stopped"
    finally:
        fake.kill()
        fake.wait()


def test_a_server_of_another_home_is_not_reused(new_home):
    first, second = new_home(), new_home()
    theirs = local_server(first)
    shutil.copy(first / STATE_FILE, second / STATE_FILE)  # as if the home had been copied
    ours = local_server(second)
    assert ours.pid != theirs.pid and ours.home == str(second)
    assert _answers(theirs) == prefect.__version__, "the other home's server is left alone"


def test_a_server_stops_itself_once_its_home_is_deleted(home):
    """`make clean` (rm -rf .prefect) or a test's temporary folder going leaves no server."""
    server = local_server(home)
    shutil.rmtree(home)
    _wait(lambda: not psutil.pid_exists(server.pid) or _zombie(server.pid), timeout=30)


def test_the_port_is_chosen_free(home, monkeypatch):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        monkeypatch.setenv("WIREHOUSE_SERVER_PORT", str(busy))
        server = local_server(home)
        assert server.port != busy and _answers(server) == prefect.__version__


def test_the_foreground_server_is_used_while_it_runs(home):
    port = _free_port()
    foreground = subprocess.Popen(
        [WIREHOUSE, "server", "--port", str(port)],
        env=environment(home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(lambda: _answers_at(port) == prefect.__version__, timeout=120)
        assert local_server(home).pid == foreground.pid  # `prefect server start` in its place
        again = wirehouse(home, "server", "--port", str(_free_port()), check=False)
        assert again.returncode == 1 and "runs already" in again.stderr
    finally:
        foreground.send_signal(signal.SIGTERM)
        foreground.wait(timeout=30)


def _record(home: Path, pid: int, port: int, version: str) -> None:
    state = LocalServer(pid, port, str(home), version, "2026-01-01T00:00:00+00:00")
    (home / STATE_FILE).write_text(json.dumps(state.__dict__))


def _answers(server: LocalServer) -> str | None:
    return _answers_at(server.port)


def _answers_at(port: int) -> str | None:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/admin/version", timeout=2).json()
    except (httpx.HTTPError, ValueError):
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.1)


def _zombie(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _processes_of(homes: list[Path]) -> list[psutil.Process]:
    """Running processes whose PREFECT_HOME is one of `homes`."""
    wanted = {str(h) for h in homes}
    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get("PREFECT_HOME") in wanted and not _zombie(process.pid):
                found.append(process)
        except psutil.Error:
            continue
    return found
