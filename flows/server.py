"""The Prefect server a command runs its flows on, started without importing Prefect's server.

In this order (`prefect_api`):
- PREFECT_API_URL set: that server, checked first (one line when it does not answer).
- Else Wirehouse's local server: one long-lived Prefect server (API and UI, 127.0.0.1
  only) per PREFECT_HOME, started in the background by the first command that needs
  one and reused by the next, so runs stay in the UI's history and a command does not
  wait for a server to start. Its files are in PREFECT_HOME: `wirehouse-server.json`
  (pid, port, Prefect version, home), `wirehouse-server.log` (its output) and
  `wirehouse-server.lock` (commands starting at once start one server). A server that
  is gone, answers as another Prefect version or belongs to another home is never
  reused: it is replaced, and stopped first only when it is this home's. A server stops
  by itself once the state file no longer names it (`stop_when_forgotten`): when its
  home is deleted, say.
- `ephemeral`: a temporary server for the one command, stopped with it (and when the
  command is killed: it watches its parent, tasks/workers.py `exit_with`).

Both are started the same way: uvicorn with Prefect's app factory in a process of its
own. Prefect would start its temporary server by importing its whole server package
(the API app, database models: ~1,000 modules) into the flow's process, which then
carries ~76 MB it never uses for the whole run.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
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
from wirehouse.tasks.workers import alive

# Prefect's default wait, 20 s, is short for a first start (the database is created then)
# on a busy 2-core laptop.
MIN_STARTUP_SECONDS = 60.0
# Record task runs and events in batches (measured: 24 s -> 7 s of server CPU per 1,000
# task runs). For the local server and `wirehouse server`, unless the user set them.
SERVER_DEFAULTS = {
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "200",
    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_READ_BATCH_SIZE": "200",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_BATCH_SIZE": "200",
    "PREFECT_SERVER_SERVICES_EVENT_PERSISTER_READ_BATCH_SIZE": "200",
}
STATE_FILE = "wirehouse-server.json"
LOCK_FILE = "wirehouse-server.lock"
LOG_FILE = "wirehouse-server.log"
# The local server's port if free (Prefect's usual one), else one of 8000-8999 (0: any).
PORT_VARIABLE = "WIREHOUSE_SERVER_PORT"
DEFAULT_PORT = 4200
# Run uvicorn in a process that ends when the command that started it ends.
_EXIT_WITH_PARENT = (
    "import os, runpy, sys\n"
    "from wirehouse.tasks.workers import exit_with\n"
    "parent = int(sys.argv.pop(1))\n"
    "exit_with(parent, grace=5.0)\n"
    "if os.getppid() != parent:\n"
    "    sys.exit(1)\n"
    "sys.argv[0] = 'uvicorn'\n"
    "runpy.run_module('uvicorn', run_name='__main__', alter_sys=True)\n"
)
# Run uvicorn in a process that stops once its home's state file no longer names it.
_STOP_WHEN_FORGOTTEN = (
    "import runpy, sys\n"
    "from wirehouse.flows.server import stop_when_forgotten\n"
    "stop_when_forgotten()\n"
    "sys.argv[0] = 'uvicorn'\n"
    "runpy.run_module('uvicorn', run_name='__main__', alter_sys=True)\n"
)


class ServerStartError(RuntimeError):
    """A Prefect server did not answer in time; the message has its output."""

    exited: bool = False  # the server process ended (a port taken meanwhile, say)


class ServerUnreachableError(RuntimeError):
    """PREFECT_API_URL names a server that does not answer; the message says what to do."""


class ServerRunningError(RuntimeError):
    """This PREFECT_HOME's local server runs already (`wirehouse server` would be a second)."""


@dataclass(frozen=True)
class LocalServer:
    """Wirehouse's local server as its state file records it."""

    pid: int
    port: int
    home: str
    prefect_version: str
    started_at: str
    host: str = "127.0.0.1"

    @property
    def url(self) -> str:
        """The UI's address."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    @property
    def log(self) -> Path:
        return Path(self.home) / LOG_FILE


@contextmanager
def prefect_api(ephemeral: bool = False) -> Iterator[str]:
    """The Prefect API URL a command's flows report to, for the duration of the block.

    The URL is also exported to the environment, so processes started in the block (Dask
    workers) report to the same server instead of starting their own.
    """
    if PREFECT_API_URL.value() or ephemeral:
        with temporary_server() as url:
            yield url
        return
    url = local_server().api_url
    try:
        os.environ["PREFECT_API_URL"] = url
        with temporary_settings(updates={PREFECT_API_URL: url}):
            yield url
    finally:
        os.environ.pop("PREFECT_API_URL", None)


def _check_reachable(url: str, timeout: float = 5.0) -> None:
    """Fail in one line when the configured server does not answer its health check."""
    try:
        httpx.get(f"{url.rstrip('/')}/health", timeout=timeout).raise_for_status()
    except httpx.HTTPError as exc:
        raise ServerUnreachableError(
            f"PREFECT_API_URL={url} does not answer ({exc.__class__.__name__}: {exc}); start "
            "that server (wirehouse server) or unset PREFECT_API_URL to use Wirehouse's own"
        ) from None


# ------------------------------------------------------------------ the local server


def prefect_home() -> Path:
    home = Path(get_current_settings().home).expanduser().resolve()
    home.mkdir(parents=True, exist_ok=True)
    return home


def local_server(home: Path | None = None, timeout: float | None = None) -> LocalServer:
    """This home's local server, started in the background if none answers."""
    home = home or prefect_home()
    timeout = timeout or _startup_timeout()
    with _locked(home, timeout + 30):
        state = _read_state(home)
        if state is not None and _reusable(state, home, timeout):
            return state
        return _start_local(home, timeout)


def local_server_status(home: Path | None = None) -> tuple[LocalServer | None, str]:
    """The recorded server and one of: running, starting, stopped (nothing recorded or
    the recorded process is gone), other (it answers as another Prefect version)."""
    home = home or prefect_home()
    state = _read_state(home)
    if state is None or state.home != str(home) or not _runs_server(state, home):
        return state, "stopped"
    version = _version(state.api_url)
    if version is None:
        return state, "starting"
    return state, "running" if version == prefect.__version__ else "other"


def stop_local_server(home: Path | None = None, timeout: float = 20.0) -> LocalServer | None:
    """Stop this home's local server; the one stopped, or None if none was running."""
    home = home or prefect_home()
    if not home.is_dir():
        return None
    with _locked(home, timeout + 10):
        state = _read_state(home)
        (home / STATE_FILE).unlink(missing_ok=True)
        if state is None or state.home != str(home) or not _runs_server(state, home):
            return None
        _terminate(state.pid, timeout)
        return state


@contextmanager
def foreground_server(host: str, port: int) -> Iterator[LocalServer]:
    """Record the server this process is about to become (`wirehouse server` execs
    `prefect server start`, keeping its pid), so commands reuse it while it runs."""
    home = prefect_home()
    with _locked(home, 10):
        state = _read_state(home)
        if state is not None and state.home == str(home) and _runs_server(state, home):
            raise ServerRunningError(
                f"Wirehouse's Prefect server for {home} runs already at {state.url} (pid "
                f"{state.pid}); open that, or stop it first: wirehouse server stop"
            )
        connect = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        state = _state(os.getpid(), port, home, f"[{connect}]" if ":" in connect else connect)
        _write_state(home, state)
        os.environ["PREFECT_HOME"] = str(home)  # as the state says (and checks)
        yield state  # exec inside: that closes the lock file, which releases the lock


def _startup_timeout() -> float:
    return max(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value(), MIN_STARTUP_SECONDS)


def _reusable(state: LocalServer, home: Path, timeout: float) -> bool:
    """Whether the recorded server is this home's, of this Prefect, and answers (waiting
    while it starts). This home's server of another version is stopped: it holds this
    home's database. Processes of other homes, or that are no server, are left alone."""
    if state.home != str(home) or not _runs_server(state, home):
        return False
    if state.prefect_version == prefect.__version__:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _runs_server(state, home):
            version = _version(state.api_url)
            if version == prefect.__version__:
                return True
            if version is not None:
                break
            time.sleep(0.1)
    if _runs_server(state, home):
        _terminate(state.pid, 20.0)
    return False


def _start_local(home: Path, timeout: float, attempts: int = 3) -> LocalServer:
    log = home / LOG_FILE
    for attempt in range(attempts):
        port = _preferred_port() if attempt == 0 else _free_port()
        if log.exists():
            log.replace(log.with_name(LOG_FILE + ".1"))
        with log.open("ab") as output:
            process = subprocess.Popen(
                [sys.executable, "-c", _STOP_WHEN_FORGOTTEN, *_uvicorn_arguments(port, "warning")],
                env=_local_environment(home, port),
                cwd=home,
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # outlives the command; no Ctrl-C, no hang-up
            )
        state = _state(process.pid, port, home)
        _write_state(home, state)  # a command killed while it starts finds it
        try:
            _wait_healthy(process, state.api_url, timeout, log.read_bytes, "Wirehouse's local")
        except ServerStartError as exc:
            (home / STATE_FILE).unlink(missing_ok=True)
            _stop(process)
            if not exc.exited or attempt == attempts - 1:
                raise ServerStartError(f"{exc} Its log: {log}; or use --ephemeral.") from None
        except BaseException:
            (home / STATE_FILE).unlink(missing_ok=True)
            _stop(process)
            raise
        else:
            return state
    raise AssertionError("unreachable")


def stop_when_forgotten(interval: float = 5.0, unrecorded: float = 60.0) -> None:
    """In the local server's process: stop (SIGTERM, as `wirehouse server stop` does) once
    the state file of its PREFECT_HOME no longer names it, rather than run on unseen: its
    home deleted (`make clean`, a test's temporary folder), or another server recorded in
    its place. Also if it is not recorded within `unrecorded` seconds of its start (the
    command starting it was killed before it could record it)."""
    home = Path(os.environ["PREFECT_HOME"])

    def watch() -> None:
        started, recorded = time.monotonic(), False
        while True:
            time.sleep(interval)
            state = _read_state(home)
            if state is not None and state.pid == os.getpid():
                recorded = True
            elif recorded or time.monotonic() - started > unrecorded or not home.is_dir():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(30)
                os._exit(1)

    threading.Thread(target=watch, name="wirehouse-stop-when-forgotten", daemon=True).start()


def _local_environment(home: Path, port: int) -> dict[str, str]:
    env = {**SERVER_DEFAULTS, **os.environ}
    env.pop("PREFECT_API_URL", None)
    env.update(
        PREFECT_HOME=str(home),
        # The UI asks its API at http://host:port/api of these.
        PREFECT_SERVER_API_HOST="127.0.0.1",
        PREFECT_SERVER_API_PORT=str(port),
        PREFECT__SERVER_FINAL="1",
    )
    return env


def _state(pid: int, port: int, home: Path, host: str = "127.0.0.1") -> LocalServer:
    started = datetime.now(UTC).isoformat(timespec="seconds")
    return LocalServer(pid, port, str(home), prefect.__version__, started, host)


def _read_state(home: Path) -> LocalServer | None:
    try:
        return LocalServer(**json.loads((home / STATE_FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None  # none, or not one this version wrote: replaced


def _write_state(home: Path, state: LocalServer) -> None:
    temporary = home / f".{STATE_FILE}.{os.getpid()}"
    temporary.write_text(json.dumps(asdict(state), indent=1) + "\n")
    temporary.replace(home / STATE_FILE)


@contextmanager
def _locked(home: Path, timeout: float) -> Iterator[None]:
    """Hold PREFECT_HOME's server lock (the kernel drops it if this process dies)."""
    from wirehouse.warehouse.locks import flock_within

    with (home / LOCK_FILE).open("a") as lock:
        if not flock_within(lock.fileno(), timeout, poll=0.05):
            raise ServerStartError(
                f"another command has held {home / LOCK_FILE} for {timeout:.0f}s "
                "while starting Wirehouse's local Prefect server; see "
                f"{home / LOG_FILE}, or use --ephemeral"
            )
        yield


def _runs_server(state: LocalServer, home: Path) -> bool:
    """Whether the recorded pid is alive and still a Prefect server on the recorded port
    of this home (not a later process that got the pid). Linux checks the command line
    and environment; elsewhere being alive counts."""
    if not alive(state.pid):
        return False
    proc = Path("/proc") / str(state.pid)
    if not proc.is_dir():
        return True
    try:
        argv = (proc / "cmdline").read_bytes().decode(errors="replace").split("\0")
        environ = (proc / "environ").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return False  # gone meanwhile, or another user's
    homes = [v.partition("=")[2] for v in environ if v.startswith("PREFECT_HOME=")]
    return (
        any("prefect" in arg for arg in argv)
        and str(state.port) in argv
        and bool(homes)
        and Path(homes[0]).expanduser().resolve() == home
    )


def _version(api_url: str) -> str | None:
    """The Prefect version of the server at `api_url`, or None if it does not answer."""
    try:
        with httpx.Client(timeout=2.0) as client:
            if client.get(f"{api_url}/health").status_code != 200:
                return None
            answer = client.get(f"{api_url}/admin/version")
            return str(answer.json()) if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return None


def _terminate(pid: int, timeout: float) -> None:
    """SIGTERM (processes in the background ignore SIGINT), then SIGKILL."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not alive(pid):
                return
            time.sleep(0.1)


def _preferred_port() -> int:
    preferred = int(os.environ.get(PORT_VARIABLE) or DEFAULT_PORT)
    return preferred if preferred and _port_free(preferred) else _free_port()


# ------------------------------------------------------------ the temporary server


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
    process, url = _start(_startup_timeout())
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


def _uvicorn_arguments(port: int, log_level: str) -> list[str]:
    return [
        "--app-dir",
        str(Path(prefect.__file__).parent.parent),
        "--factory",
        "prefect.server.api.server:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        log_level,
        "--lifespan",
        "on",
    ]


def _start_on(port: int, timeout: float) -> tuple[subprocess.Popen[bytes], str]:
    url = f"http://127.0.0.1:{port}/api"
    # `-c` ends it with this process, killed or not; then argv is uvicorn's.
    parent = str(os.getpid())
    command = [sys.executable, "-c", _EXIT_WITH_PARENT, parent, *_uvicorn_arguments(port, "error")]
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
            _wait_healthy(process, url, timeout, lambda: _read_all(output), "the temporary")
        except BaseException:
            _stop(process)
            raise
    return process, url


def _read_all(output: IO[bytes]) -> bytes:
    output.seek(0)
    return output.read()


def _wait_healthy(
    process: subprocess.Popen[bytes],
    url: str,
    timeout: float,
    output: Callable[[], bytes],
    which: str,
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
    said = output().decode(errors="replace").strip()[-2000:]
    code = process.poll()
    what = f"exited with code {code}" if code is not None else f"not up after {timeout:.0f}s"
    error = ServerStartError(
        f"{which} Prefect server at {url} {what}{': ' + said if said else ''}. Set "
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


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port() -> int:
    """A free port in 8000-8999, as Prefect picks: outside the kernel's range for outgoing
    connections, whose ports other processes take at any time. Another process could
    still bind it before the server does; the server then exits and is started again."""
    for _ in range(100):
        port = random.randrange(8000, 9000)
        if _port_free(port):
            return port
    raise ServerStartError("no free port in 8000-8999 for a Prefect server")
