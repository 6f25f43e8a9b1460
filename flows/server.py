"""A temporary Prefect server for one command, started without importing Prefect's server.

Without PREFECT_API_URL, Prefect starts a temporary server for a flow by itself, but to do
so it imports its whole server package (the API app, database models: ~1,000 modules)
into the flow's own process, which then carries ~76 MB it never uses for the whole run;
the server runs in a process of its own anyway. This starts that same process (uvicorn
with Prefect's app factory, UI off, as Prefect does) from here and points the flow at it.
"""

from __future__ import annotations

import atexit
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import httpx
import prefect
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
    get_current_settings,
    temporary_settings,
)

# Prefect's default wait, 20 s, is short for a first start (the database is created then)
# on a busy 2-core laptop.
MIN_STARTUP_SECONDS = 60.0


class ServerStartError(RuntimeError):
    """The temporary Prefect server did not answer in time; the message has its output."""

    exited: bool = False  # the server process ended (a port taken meanwhile, say)


class ServerUnreachableError(RuntimeError):
    """PREFECT_API_URL names a server that does not answer; the message says what to do."""


def _check_reachable(url: str, timeout: float = 5.0) -> None:
    """Fail in one line when the configured server does not answer its health check."""
    import httpx

    try:
        httpx.get(f"{url.rstrip('/')}/health", timeout=timeout).raise_for_status()
    except httpx.HTTPError as exc:
        raise ServerUnreachableError(
            f"PREFECT_API_URL={url} does not answer ({exc.__class__.__name__}: {exc}); start "
            "that server (wirehouse server) or unset PREFECT_API_URL to use a temporary one"
        ) from None


@contextmanager
def temporary_server() -> Iterator[str]:
    """The configured Prefect API URL, or a temporary server's for the duration of the block.

    The URL is also exported to the environment, so processes started in the block (Dask
    workers) report to the same server instead of starting their own.
    """
    configured = PREFECT_API_URL.value()
    if configured:
        _check_reachable(configured)
        yield configured
        return
    timeout = max(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value(), MIN_STARTUP_SECONDS)
    process, url = _start(timeout)
    atexit.register(_stop, process)  # should the block below never end normally
    try:
        os.environ["PREFECT_API_URL"] = url
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield url
    finally:
        try:
            if process.poll() is None:
                _send_pending_logs_and_events()
        finally:
            os.environ.pop("PREFECT_API_URL", None)
            _stop(process)
            atexit.unregister(_stop)


def _send_pending_logs_and_events() -> None:
    """Flush Prefect's background log and event senders while the server still answers
    (they flush at exit otherwise, when this server is gone)."""
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    APILogWorker.drain_all(timeout=5)
    EventsWorker.drain_all(timeout=5)


def _start(timeout: float, attempts: int = 3) -> tuple[subprocess.Popen[bytes], str]:
    """Start the server and wait until it answers; on another port if it exited."""
    for attempt in range(attempts):
        try:
            return _start_on(_free_port(), timeout)
        except ServerStartError as exc:
            if not exc.exited or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _start_on(port: int, timeout: float) -> tuple[subprocess.Popen[bytes], str]:
    url = f"http://127.0.0.1:{port}/api"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(Path(prefect.__file__).parent.parent),
        "--factory",
        "prefect.server.api.server:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "error",
        "--lifespan",
        "on",
    ]
    env = {
        **os.environ,
        **get_current_settings().to_environment_variables(exclude_unset=True),
        "PREFECT_UI_ENABLED": "0",
        "PREFECT__SERVER_EPHEMERAL": "1",
        "PREFECT__SERVER_FINAL": "1",
    }
    # Its output goes to a file, not a pipe: a pipe nobody reads would block the server.
    with tempfile.TemporaryFile() as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=output)
        try:
            _wait_healthy(process, url, timeout, output)
        except BaseException:
            _stop(process)
            raise
    return process, url


def _wait_healthy(
    process: subprocess.Popen[bytes], url: str, timeout: float, output: IO[bytes]
) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client() as client:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if client.get(f"{url}/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    output.seek(0)
    said = output.read().decode(errors="replace").strip()[-2000:]
    code = process.poll()
    what = f"exited with code {code}" if code is not None else f"not up after {timeout:.0f}s"
    error = ServerStartError(
        f"the temporary Prefect server at {url} {what}{': ' + said if said else ''}. Set "
        "PREFECT_API_URL to use a running server (`wirehouse server`), or allow it longer "
        "with PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS."
    )
    error.exited = code is not None
    raise error


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _free_port() -> int:
    """A free port in 8000-8999, as Prefect picks: outside the kernel's range for outgoing
    connections, whose ports other processes take at any time. Another process could
    still bind it before the server does; the server then exits and `_start` tries again."""
    for _ in range(100):
        port = random.randrange(8000, 9000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise ServerStartError("no free port in 8000-8999 for a temporary Prefect server")
