"""Real processes for the operate tests: a Prefect server and `wirehouse serve`.

Both run as subprocesses on 127.0.0.1 with a temporary PREFECT_HOME and a free port, and
are stopped (serve first, then the server, as Prefect needs) when the test is done.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BIN = Path(sys.executable).parent
TERMINAL_STATES = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LivePrefect:
    """A `prefect server start` subprocess and a tiny client for its REST API (the UI's API)."""

    home: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        return f"{self.url}/api"

    def env(self, **extra: str) -> dict[str, str]:
        return os.environ | {
            "PREFECT_HOME": str(self.home),
            "PREFECT_API_URL": self.api,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_RUNNER_POLL_FREQUENCY": "1",  # the default 10 s makes tests slow
            **extra,
        }

    def start(self, timeout: float = 90) -> None:
        log = (self.home / "server.log").open("wb")
        self.process = subprocess.Popen(
            [str(BIN / "wirehouse"), "server", "--port", str(self.port)],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(lambda: self._healthy(), timeout, "Prefect server health")

    def stop(self) -> int | None:
        return stop_process(self.process)

    def listening(self) -> bool:
        with socket.socket() as sock:
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def _healthy(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise RuntimeError(f"server exited: {(self.home / 'server.log').read_text()}")
        try:
            return self.get("/health") is True
        except (urllib.error.URLError, ConnectionError):
            return False

    def get(self, path: str) -> Any:
        return self._send("GET", path, None)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self._send("POST", path, body)

    def patch(self, path: str, body: dict[str, Any]) -> Any:
        return self._send("PATCH", path, body)

    def _send(self, method: str, path: str, body: dict[str, Any] | None) -> Any:
        data = None if method == "GET" else json.dumps(body or {}).encode()
        request = urllib.request.Request(
            self.api + path,
            method=method,
            data=data,
            headers={"content-type": "application/json"},
        )
        attempts = 12
        for attempt in range(attempts):
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    raw = response.read()
                return json.loads(raw) if raw else None
            except urllib.error.HTTPError as exc:
                # SQLite-backed servers answer 503 while the database is busy; the UI
                # retries too.
                if exc.code != 503 or attempt == attempts - 1:
                    exc.msg = f"{exc.msg}: {exc.read()[:500]!r}"
                    raise
                time.sleep(min(0.5 * (attempt + 1), 3))
        raise AssertionError("unreachable")

    def deployment(self, name: str) -> dict[str, Any]:
        return self.get(f"/deployments/name/ingest/{name}")

    def run_deployment(self, name: str, parameters: dict[str, Any]) -> str:
        """Create a flow run exactly as the UI's Run button does; return its id."""
        deployment_id = self.deployment(name)["id"]
        run = self.post(f"/deployments/{deployment_id}/create_flow_run", {"parameters": parameters})
        return run["id"]

    def wait_for_run(self, run_id: str, timeout: float = 120) -> dict[str, Any]:
        wait_for(
            lambda: self.get(f"/flow_runs/{run_id}")["state_type"] in TERMINAL_STATES,
            timeout,
            f"flow run {run_id}",
        )
        return self.get(f"/flow_runs/{run_id}")


@dataclass
class Served:
    """`wirehouse serve SOURCE --warehouse W --cron C` against a LivePrefect."""

    prefect: LivePrefect
    source: Path
    warehouse: Path
    cron: str
    process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 60) -> None:
        log = (self.prefect.home / "serve.log").open("wb")
        self.process = subprocess.Popen(
            [
                str(BIN / "wirehouse"),
                "serve",
                str(self.source),
                "--warehouse",
                str(self.warehouse),
                "--cron",
                self.cron,
            ],
            env=self.prefect.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._registered, timeout, "deployments registered")

    def _registered(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise RuntimeError(f"serve exited: {self.log()}")
        names = {d["name"] for d in self.prefect.post("/deployments/filter")}
        return {"ingest", "scheduled-reingest"} <= names

    def log(self) -> str:
        return (self.prefect.home / "serve.log").read_text(errors="replace")

    def stop(self) -> int | None:
        return stop_process(self.process)


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.5)
    raise TimeoutError(f"gave up waiting {timeout:.0f}s for {what}")


def stop_process(process: subprocess.Popen[bytes] | None, timeout: float = 20) -> int | None:
    """SIGTERM (background processes ignore SIGINT), then SIGKILL if it hangs."""
    if process is None or process.poll() is not None:
        return process.returncode if process else None
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise
