"""The `wirehouse` command line: ingest folders, list tables, query with DuckDB SQL."""

from __future__ import annotations

import atexit
import gc
import json
import logging
import os
import signal
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    help="Wirehouse: messy news text files in, clean Parquet tables out, queried with DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

# Prefect settings Wirehouse chooses unless the user set them: no telemetry calls (the
# machine may be offline, and each failed call logs an error), and only warnings from
# Prefect's own machinery (temporary-server chatter) while flow and task run logs, the
# progress a user wants to see, stay at INFO.
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_LOGGING_LOGGERS_PREFECT_FLOW_RUNS_LEVEL": "INFO",
    "PREFECT_LOGGING_LOGGERS_PREFECT_TASK_RUNS_LEVEL": "INFO",
}


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


WarehouseOption = Annotated[
    str | None,
    typer.Option(
        "--warehouse",
        "-w",
        help="Warehouse folder [default: ./data or WIREHOUSE_WAREHOUSE]; for reading, "
        "also a published one (s3://bucket/prefix).",
        show_default=False,
    ),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")]


@app.callback()
def _setup() -> None:
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    # Registered first, so run last: once every other exit handler (Prefect's log and
    # event flushing among them) has run, the interpreter's final garbage collection
    # over Prefect's and pydantic's millions of objects is skipped. Their memory goes
    # back with the process. That collection was 0.5-0.8 s of a 3.5 s `make demo`.
    atexit.register(gc.freeze)


@app.command()
def ingest(
    source_dir: Annotated[
        str,
        typer.Argument(help="Folder of raw article files, or an s3://bucket/prefix URL."),
    ],
    warehouse: WarehouseOption = None,
    source: Annotated[str | None, typer.Option(help="Outlet slug for every file.")] = None,
    folder_source: Annotated[
        list[str] | None,
        typer.Option(help="FOLDER=SLUG: files under FOLDER get outlet SLUG (repeatable)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Reprocess unchanged files too.")] = False,
    include: Annotated[
        list[str] | None, typer.Option(help="File-name glob to ingest (repeatable).")
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="File-name glob to skip (repeatable).")
    ] = None,
    batch_size: Annotated[int | None, typer.Option(help="Most files per batch task.")] = None,
    workers: Annotated[int | None, typer.Option(help="Worker processes.")] = None,
    runner: Annotated[
        str | None, typer.Option(help="Task runner: process (all cores), thread, or dask.")
    ] = None,
    dask_address: Annotated[
        str | None,
        typer.Option(help="Dask scheduler (tcp://host:8786) for --runner dask; unset: local."),
    ] = None,
    publish_to: Annotated[
        str | None,
        typer.Option(help="After the run, publish the warehouse to s3://bucket/prefix."),
    ] = None,
    max_file_bytes: Annotated[
        int | None, typer.Option(help="Reject larger files (and larger documents).")
    ] = None,
    format: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            help="GLOB=FORMAT: read matching files with that reader, whatever their content "
            "(repeatable; `wirehouse formats` lists them).",
        ),
    ] = None,
    field: Annotated[
        list[str] | None,
        typer.Option(
            "--field",
            help="OURS=THEIRS: JSON/CSV field mapping, e.g. text=maintext (repeatable).",
        ),
    ] = None,
    outlets_file: Annotated[Path | None, typer.Option(help="Extra outlet registry (TOML).")] = None,
    lock_timeout: Annotated[
        float | None, typer.Option(help="Seconds to wait for a running ingest.")
    ] = None,
    show: Annotated[int, typer.Option(help="Articles of this run to print.")] = 20,
    ephemeral: Annotated[
        bool,
        typer.Option(
            "--ephemeral",
            envvar="WIREHOUSE_EPHEMERAL",
            help="Run on a temporary Prefect server, stopped with this command (the run is "
            "not kept), instead of Wirehouse's local server (see `wirehouse server`).",
        ),
    ] = False,
) -> None:
    """Ingest SOURCE_DIR (recursively) into the warehouse and show what landed."""
    from wirehouse.settings import IngestOptions, Settings, run_settings
    from wirehouse.warehouse.locations import is_url, local_path
    from wirehouse.warehouse.storage import Warehouse, check_format

    if not is_url(source_dir) and not Path(local_path(source_dir)).is_dir():
        errors.print(f"[red]error:[/red] source folder {source_dir!r} does not exist")
        raise typer.Exit(2)
    _check_outlets_file(outlets_file)
    given = dict(
        source=source,
        folder_sources=_pairs(folder_source, "--folder-source", "FOLDER=SLUG"),
        include=include,
        exclude=exclude,
        batch_size=batch_size,
        workers=workers,
        runner=runner,
        max_file_bytes=max_file_bytes,
        formats=_formats(format),
        fields=_pairs(field, "--field", "OURS=THEIRS"),
        outlets_file=str(outlets_file) if outlets_file else None,
        lock_timeout=lock_timeout,
        publish_to=publish_to,
        dask_address=dask_address,
    )
    # Only the options given on the command line override the environment and defaults.
    options = IngestOptions(**{name: value for name, value in given.items() if value is not None})
    # The run's settings as the flow will build them, for what is checked before it starts.
    chosen = _fail_cleanly(lambda: run_settings(Settings(), options, warehouse=_local(warehouse)))
    _fail_cleanly(lambda: check_format(Warehouse.at(chosen.warehouse)))
    if chosen.runner == "process":
        from wirehouse.tasks.workers import prestart

        prestart()  # the workers warm up on another core while Prefect is imported
    from wirehouse.flows.ingest import ingest as ingest_flow

    with ExitStack() as server:
        _enter_prefect(server, ephemeral)
        server.enter_context(_quiet_user_errors())
        server.enter_context(_without_heartbeats())
        summary = _fail_cleanly(lambda: ingest_flow(source_dir, _local(warehouse), force, options))
    _print_summary(summary, show)


# Errors the user must act on, raised inside a flow: the CLI says them in one line, so
# Prefect's own report of the failed task and flow run (with a traceback) is left out.
USER_ERRORS = ("AccountingError", "NewerWarehouseError", "WarehouseError")


class _UserErrorFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            kinds = {k.__name__ for k in type(record.exc_info[1]).__mro__}
            return not kinds & set(USER_ERRORS)
        message = record.getMessage()
        return not any(f"{name}:" in message or f"{name}(" in message for name in USER_ERRORS)


@contextmanager
def _quiet_user_errors() -> Iterator[None]:
    """Keep Prefect's flow and task run loggers from reporting a user error (with its
    traceback) that the CLI reports in one line."""
    loggers = [logging.getLogger(f"prefect.{kind}_runs") for kind in ("flow", "task")]
    quiet = _UserErrorFilter()
    for logger in loggers:
        logger.addFilter(quiet)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(quiet)


@contextmanager
def _without_heartbeats() -> Iterator[None]:
    """No flow run heartbeats from the flow this command runs in its own process, unless
    the user set their frequency (PREFECT_FLOWS_HEARTBEAT_FREQUENCY, or a profile).

    A synchronous flow joins its heartbeat thread when it ends, and that thread sleeps in
    one-second steps: every CLI ingest waited up to 1 s for it (a flow doing nothing took
    1.10-1.16 s with heartbeats, 0.12-0.14 s without, measured side by side). Prefect's
    default heartbeat (every 180 s) only feeds zombie-run automations a user would have
    to create; runs started from the UI (`wirehouse serve`) keep it."""
    from prefect.settings import (
        PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
        get_current_settings,
        temporary_settings,
    )

    if "heartbeat_frequency" in get_current_settings().flows.model_fields_set:
        yield
        return
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


def _enter_prefect(stack: ExitStack, ephemeral: bool = False) -> str:
    """The Prefect API the command's flows report to (flows/server.py `prefect_api`), for
    the rest of `stack`; a server that does not answer is one line and exit 2."""
    from wirehouse.flows.server import ServerStartError, ServerUnreachableError, prefect_api

    try:
        return _fail_cleanly(lambda: stack.enter_context(prefect_api(ephemeral)), ServerStartError)
    except ServerUnreachableError as exc:
        errors.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


@app.command()
def query(
    sql: Annotated[
        str,
        typer.Argument(
            help="DuckDB SQL over the warehouse views, or a .sql file such as "
            "queries/shared_quotes.sql."
        ),
    ],
    warehouse: WarehouseOption = None,
    fmt: FormatOption = OutputFormat.table,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Value for the next `?` placeholder (repeatable)."),
    ] = None,
    limit: Annotated[int, typer.Option(help="Most rows printed in table format.")] = 1000,
    write: Annotated[
        bool, typer.Option("--write", help="Allow statements that write, attach or set.")
    ] = False,
    search: Annotated[
        str | None,
        typer.Option(
            "--search",
            help="Full-text query; its hits are the relation hits(article_id, score, snippet).",
        ),
    ] = None,
) -> None:
    """Run SQL against the warehouse (read-only unless --write) and print the result."""
    from wirehouse.warehouse.catalog import run_query

    if sql.endswith(".sql") and Path(sql).is_file():
        sql = Path(sql).read_text(encoding="utf-8")
    if search is not None:
        from wirehouse.warehouse.search import query_with_hits

        columns, rows = _fail_one_line(
            lambda: query_with_hits(_warehouse(_local(warehouse)), search, sql, list(param or []))
        )
        _emit(columns, rows, fmt, limit)
        return
    columns, rows = _fail_cleanly(
        lambda: run_query(_warehouse(warehouse), sql, list(param or []), write=write)
    )
    _emit(columns, rows, fmt, limit)


class CountBy(StrEnum):
    month = "month"
    week = "week"
    source = "source"
    language = "language"


@app.command()
def search(
    text: Annotated[
        str,
        typer.Argument(
            help='Words, "phrases", AND/OR/NOT (or -word), prefixes (sanction*), (groups).'
        ),
    ],
    warehouse: WarehouseOption = None,
    source: Annotated[str | None, typer.Option(help="Only this outlet.")] = None,
    language: Annotated[str | None, typer.Option(help="Only this language (en, ru, …).")] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Published on or after (YYYY-MM-DD).")
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help="Published on or before (YYYY-MM-DD).")
    ] = None,
    limit: Annotated[int, typer.Option(help="Most hits printed.")] = 20,
    fmt: FormatOption = OutputFormat.table,
    count_by: Annotated[
        CountBy | None, typer.Option(help="Print hit counts per month, week, source or language.")
    ] = None,
    plot: Annotated[
        Path | None, typer.Option(help="With --count-by month|week: draw the series per outlet.")
    ] = None,
) -> None:
    """Full-text search of the current articles: ranked hits with a snippet, or counts."""
    from wirehouse.warehouse.search import Filters, Searcher, SearchError

    def run() -> tuple[list[str], list[tuple[Any, ...]]]:
        filters = Filters(source, language, _day(date_from, "--from"), _day(date_to, "--to"))
        searcher = Searcher(_warehouse(_local(warehouse)))
        if count_by is not None:
            if plot is not None:
                from wirehouse.warehouse.search import plot_counts

                rows = searcher.count_by(text, count_by.value, filters, per_source=True)
                plot_counts(rows, text, count_by.value, plot)
                errors.print(f"plotted {len(rows):,} points to {plot}", highlight=False)
            rows = searcher.count_by(text, count_by.value, filters)
            return [count_by.value, "hits"], rows
        if plot is not None:
            raise SearchError("--plot needs --count-by")
        result = searcher.search(text, filters, limit=limit)
        if result.behind:
            errors.print(
                f"note: the index reflects run {result.run_id}; {len(result.behind)} later "
                "run(s) are not in it yet (the next ingest or `wirehouse reindex` adds them)",
                highlight=False,
            )
        if fmt is OutputFormat.table:
            errors.print(f"{result.total:,} articles match", highlight=False)
        columns = ["score", "source", "date", "title", "snippet", "article_id"]
        return columns, [
            (h.score, h.source, h.published_date, h.title, h.snippet, h.article_id)
            for h in result.hits
        ]

    columns, rows = _fail_one_line(run)
    if fmt is OutputFormat.table and count_by is None:
        _emit_hits(columns, rows)
    else:
        _emit(columns, rows, fmt, limit=max(limit, len(rows)))


def _fail_one_line(action: Any) -> Any:
    """`_fail_cleanly`, with a search error always on one line (it quotes the query)."""
    from wirehouse.warehouse.search import SearchError

    def guarded() -> Any:
        try:
            return action()
        except SearchError as exc:
            message = " ".join(str(exc).split())
            errors.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return _fail_cleanly(guarded)


def _day(value: str | None, option: str) -> Any:
    from datetime import date

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.print(f"[red]error:[/red] {option} {value!r} is not a date (YYYY-MM-DD)")
        raise typer.Exit(2) from None


def _emit_hits(columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Hits as a table, matches in the snippet in bold."""
    import re

    from rich.text import Text

    table = Table()
    for column in ("score", "source", "date", "title", "snippet"):
        table.add_column(column, overflow="fold")
    for score, source, day, title, snippet, _ in rows:
        text = Text()
        for i, piece in enumerate(re.split(r"\*\*", snippet)):
            text.append(piece, style="bold reverse" if i % 2 else None)
        table.add_row(f"{score:.2f}", source or "∅", str(day or "∅"), title or "∅", text)
    console.print(table)


@app.command()
def reindex(
    warehouse: WarehouseOption = None,
    lock_timeout: Annotated[
        float, typer.Option(help="Seconds to wait for a running ingest.")
    ] = 600,
) -> None:
    """Rebuild the search index from the warehouse's tables (a new generation)."""
    from wirehouse.warehouse.search import update_index
    from wirehouse.warehouse.storage import writer_lock

    wh = _warehouse(_local(warehouse))

    def run() -> Any:
        if not wh.exists():
            from wirehouse.warehouse.storage import WarehouseError

            raise WarehouseError(f"no warehouse at {wh.root}")
        with writer_lock(wh, "reindex", lock_timeout):
            return update_index(wh, rebuild=True)

    summary = _fail_cleanly(run)
    console.print(
        f"Search index rebuilt: {summary.documents:,} articles (run {summary.run_id}) "
        f"in {summary.seconds:.1f}s.",
        highlight=False,
    )


@app.command()
def tables(warehouse: WarehouseOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """List the warehouse views with their row counts."""
    from wirehouse.warehouse.catalog import connect, table_counts

    def run() -> list[tuple[str, int, str]]:
        with connect(_warehouse(warehouse)) as con:
            return table_counts(con)

    _emit(["table", "rows", "what"], _fail_cleanly(run), fmt, limit=100)


@app.command()
def publish(
    url: Annotated[str, typer.Argument(help="Where to publish: s3://bucket/prefix (fsspec).")],
    warehouse: WarehouseOption = None,
) -> None:
    """Copy the warehouse's committed runs that URL lacks to object storage.

    Readers anywhere then query it with `wirehouse query SQL --warehouse URL`.
    """
    from wirehouse.settings import Settings
    from wirehouse.warehouse.remote import Published, publish

    local = _warehouse(_local(warehouse))
    summary = _fail_cleanly(lambda: publish(local, Published(url, Settings().storage_options)))
    console.print(
        f"Published {summary.runs_sent} new runs ({summary.files_sent} files, "
        f"{summary.bytes_sent / 1e6:,.1f} MB) to {url}; {summary.runs_present} were there.",
        highlight=False,
    )


@app.command()
def serve(
    source_dir: Annotated[
        Path,
        typer.Argument(
            help="Folder the deployments ingest by default.", exists=True, file_okay=False
        ),
    ],
    warehouse: WarehouseOption = None,
    cron: Annotated[
        str | None,
        typer.Option(help="Schedule of the re-ingest [default: hourly or WIREHOUSE_CRON]."),
    ] = None,
) -> None:
    """Register and serve the `ingest` and `scheduled-reingest` deployments until Ctrl-C.

    On the server of PREFECT_API_URL, else on Wirehouse's local server (`wirehouse server`).
    """
    from wirehouse.flows.deployments import build_deployments, serve_until_stopped
    from wirehouse.settings import Settings

    settings = Settings().with_overrides(
        warehouse=Path(_local(warehouse)).resolve() if warehouse else None, cron=cron
    )
    deployments = _fail_cleanly(lambda: build_deployments(source_dir, settings, settings.cron))
    # SIGTERM (how service managers stop things) ends serving like Ctrl-C does, also in
    # the moment before the runner is started (it then cancels the runner instead).
    signal.signal(signal.SIGTERM, _interrupt)
    with ExitStack() as server:
        api = _enter_prefect(server)
        ui = api.removesuffix("/api")
        names = ", ".join(f"{d.flow_name}/{d.name}" for d in deployments)
        console.print(
            f"Serving {names} on {ui}/deployments (Ctrl-C stops); run one from the UI or "
            "with `prefect deployment run NAME`",
            highlight=False,
            soft_wrap=True,
        )
        with suppress(KeyboardInterrupt):
            serve_until_stopped(deployments)
        console.print("Stopped serving.")
    _exit_without_finalizing(0)


def _exit_without_finalizing(code: int) -> None:
    """Run the exit handlers (Prefect drains its log and event queues in them), flush,
    and end the process without the interpreter's finalization.

    After a clean stop, 4 of 135 `wirehouse serve` processes (SIGTERM at random moments,
    a /tmp loop over tests/live.py's `Served`; 0 of 90 with this) then died in
    finalization: SIGSEGV, or
    SIGABRT after "FATAL: exception not rethrown", with only the main thread left and
    no Python frame on it (faulthandler), that is, in the C/C++ teardown of the
    extensions the runner loaded. Nothing is left to do there for this command.
    """
    import atexit

    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


server_app = typer.Typer(no_args_is_help=False)
app.add_typer(server_app, name="server")


@server_app.callback(invoke_without_command=True)
def server(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port of the API and UI.")] = 4200,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
) -> None:
    """Wirehouse's Prefect server (API + UI) for this PREFECT_HOME.

    Commands start it in the background when they need it (unless PREFECT_API_URL is
    set) and leave it running: `wirehouse server status|start|stop`. Alone, `wirehouse
    server` runs it in the foreground with Wirehouse's settings until Ctrl-C, and
    commands use that one meanwhile.
    """
    if ctx.invoked_subcommand is not None:
        return
    from wirehouse.flows.server import SERVER_DEFAULTS, ServerRunningError, foreground_server

    for key, value in SERVER_DEFAULTS.items():
        os.environ.setdefault(key, value)
    prefect = Path(sys.executable).with_name("prefect")
    try:
        with foreground_server(host, port) as state:
            console.print(
                f"Prefect UI: {state.url}  -  `wirehouse ingest` and `wirehouse serve` in "
                "another shell (same PREFECT_HOME) run on it",
                highlight=False,
            )
            argv = [str(prefect), "server", "start", "--host", host, "--port", str(port)]
            os.execv(prefect, argv)
    except ServerRunningError as exc:
        errors.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@server_app.command("status")
def server_status() -> None:
    """Whether the local server runs, and its address, pid and files (exit 1 if not)."""
    from wirehouse.flows.server import STATE_FILE, local_server_status, prefect_home

    home = prefect_home()
    state, status = local_server_status(home)
    if os.environ.get("PREFECT_API_URL"):
        console.print(
            f"PREFECT_API_URL is set: commands use {os.environ['PREFECT_API_URL']}, "
            "not this server.",
            highlight=False,
        )
    if state is None or status == "stopped":
        console.print(
            f"Not running (PREFECT_HOME {home}); the next `wirehouse ingest` or `wirehouse "
            "server start` starts it.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1)
    words = {"running": "running", "starting": "starting (not answering yet)"}
    console.print(
        f"{words.get(status, f'running another Prefect than {state.prefect_version}')}: "
        f"pid {state.pid}, Prefect {state.prefect_version}, since {state.started_at}\n"
        f"  UI:    {state.url}\n  API:   {state.api_url}\n"
        f"  state: {home / STATE_FILE}\n  log:   {state.log}",
        highlight=False,
    )


@server_app.command("start")
def server_start() -> None:
    """Start the local server in the background, unless it runs; print its address."""
    from wirehouse.flows.server import ServerStartError, local_server

    state = _fail_cleanly(local_server, ServerStartError)
    console.print(f"Prefect UI: {state.url} (pid {state.pid}; log: {state.log})", highlight=False)


@server_app.command("stop")
def server_stop() -> None:
    """Stop the local server (runs in progress on it fail)."""
    from wirehouse.flows.server import ServerStartError, stop_local_server

    state = _fail_cleanly(stop_local_server, ServerStartError)
    if state is None:
        console.print("No local server was running.")
    else:
        console.print(f"Stopped the server at {state.url} (pid {state.pid}).", highlight=False)


def _warehouse(given: str | None) -> Any:
    """The local warehouse folder, or a published one when `given` is a URL."""
    from wirehouse.settings import Settings
    from wirehouse.warehouse.locations import is_url
    from wirehouse.warehouse.remote import Published
    from wirehouse.warehouse.storage import Warehouse

    if given is not None and is_url(given):
        return Published(given, Settings().storage_options)
    return Warehouse.at(given if given is not None else Settings().warehouse)


def _local(warehouse: str | None) -> str | None:
    """A warehouse a run writes to: a local folder (see `wirehouse publish` for buckets)."""
    from wirehouse.warehouse.locations import is_url

    if warehouse is not None and is_url(warehouse):
        errors.print(
            f"[red]error:[/red] runs write to a local warehouse folder, not {warehouse}: "
            f"ingest into a folder, then `wirehouse publish {warehouse} --warehouse FOLDER`",
            highlight=False,
        )
        raise typer.Exit(2)
    return warehouse


def _check_outlets_file(outlets_file: Path | None) -> None:
    """A malformed outlet registry is the user's to fix: one line and exit 2, before any
    server or flow starts (the flow would fail in its first batch with a traceback)."""
    if outlets_file is None:
        return
    from wirehouse.tasks.sources import RegistryError, load_registry

    try:
        load_registry(Path(outlets_file))
    except RegistryError as exc:
        errors.print(
            f"[red]error:[/red] {exc} (fix the file or leave out --outlets-file)",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2) from None


def _pairs(items: list[str] | None, option: str, shape: str) -> dict[str, str] | None:
    if not items:
        return None
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise typer.BadParameter(f"{item!r} is not {shape}", param_hint=option)
        pairs[key] = value
    return pairs


def _formats(items: list[str] | None) -> dict[str, str] | None:
    from wirehouse.tasks.readers import READERS

    pairs = _pairs(items, "--format", "GLOB=FORMAT")
    known = {r.name for r in READERS}
    for glob, name in (pairs or {}).items():
        if name not in known:
            raise typer.BadParameter(
                f"{glob}={name}: no format {name!r}; known: {', '.join(sorted(known))}",
                param_hint="--format",
            )
    return pairs


@app.command()
def formats() -> None:
    """List the readers: which files each reads, and what it takes from the container."""
    from wirehouse.tasks.readers import READERS

    table = Table(title="Readers (chosen by content; --format GLOB=FORMAT overrides)")
    for column in ("format", "reads", "fields"):
        table.add_column(column)
    for reader in READERS:
        table.add_row(reader.name, reader.description, ", ".join(reader.fields) or "-")
    console.print(table)


def _fail_cleanly(action: Any, *also: type[Exception]) -> Any:
    """Run `action`; turn expected failures into one red line and exit code 1, or 2 for
    those the user must fix before anything runs (a newer warehouse, a failed accounting
    check)."""
    import duckdb
    from pydantic import ValidationError

    from wirehouse.tasks.errors import AccountingError
    from wirehouse.warehouse.storage import NewerWarehouseError, WarehouseError

    try:
        return action()
    except NewerWarehouseError as exc:
        errors.print(f"[red]error:[/red] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    except AccountingError as exc:
        errors.print(
            f"[red]error:[/red] {exc}. Nothing was committed: run the same ingest again, and "
            "report a bug with this message if it fails the same way",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(2) from None
    except (WarehouseError, FileNotFoundError, ValidationError, duckdb.Error, *also) as exc:
        errors.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None


def _print_summary(summary: dict[str, Any], show: int) -> None:
    from wirehouse.tasks.report import COUNT_HELP
    from wirehouse.warehouse.catalog import connect
    from wirehouse.warehouse.storage import Warehouse

    counts = Table(title=f"Run {summary['run_id']}", title_justify="left")
    for column in ("count", "number", "meaning"):
        counts.add_column(column, justify="right" if column == "number" else "left")
    for name in COUNT_HELP:
        counts.add_row(name, f"{summary[name]:,}", COUNT_HELP[name])
    console.print(counts)
    with connect(Warehouse.at(summary["warehouse"])) as con:
        rows = con.execute(_LANDED_SQL, [summary["run_id"], show]).fetchall()
    if rows:
        _emit(
            ["file", "source", "date", "language", "title"],
            rows,
            OutputFormat.table,
            limit=show,
            title="Landed in this run",
        )
        if any(str(row[2]).startswith("≈") for row in rows):
            console.print("≈ inferred date: see date_source and date_confidence in `articles`")
    if not summary["ingested"]:
        console.print(f"Nothing new or changed: {summary['unchanged']:,} files unchanged.")
    elif show and summary["ingested"] > len(rows):
        console.print(f"… and {summary['ingested'] - len(rows):,} more.")
    for path, reason, message in summary["rejects"]:
        errors.print(f"[yellow]rejected[/yellow] {path}: {reason} ({message})", highlight=False)
    console.print(
        f'Warehouse: {summary["warehouse"]}. Try: wirehouse query "SELECT source, language, '
        f'count(*) FROM articles GROUP BY ALL" --warehouse {summary["warehouse"]}',
        highlight=False,
        soft_wrap=True,
    )


# A date without a year shows as ????-MM-DD: the month and day are known, the year is not.
# A date inferred from the article's story (confidence >= 0.8) shows as ≈YYYY-MM-DD.
# A document of a file of many shows as `path #record_key`.
_LANDED_SQL = """
SELECT source_path || coalesce(' #' || record_key, '') AS document, source,
       coalesce(CASE WHEN date_source LIKE 'inferred:%' THEN '≈' ELSE '' END
                    || CAST(published_date AS VARCHAR),
                CASE WHEN pub_month IS NOT NULL THEN
                    coalesce(CAST(pub_year AS VARCHAR), '????') || '-'
                    || lpad(CAST(pub_month AS VARCHAR), 2, '0') || '-'
                    || coalesce(lpad(CAST(pub_day AS VARCHAR), 2, '0'), '??') END) AS date,
       language, title
FROM articles WHERE run_id = ? ORDER BY source_path, record_key NULLS FIRST LIMIT ?
"""


def _emit(
    columns: list[str],
    rows: list[tuple[Any, ...]],
    fmt: OutputFormat,
    limit: int,
    title: str | None = None,
) -> None:
    if fmt is OutputFormat.json:
        sys.stdout.write(
            json.dumps(
                [dict(zip(columns, r, strict=True)) for r in rows],
                default=str,
                ensure_ascii=False,
                indent=1,
            )
            + "\n"
        )
    elif fmt is OutputFormat.csv:
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows(rows)
    else:
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows[:limit]:
            table.add_row(*("∅" if v is None else str(v) for v in row))
        console.print(table)
        if len(rows) > limit:
            console.print(f"({len(rows):,} rows, first {limit} shown; use --format csv for all)")


def main() -> None:  # pragma: no cover - console entry point
    app()
