"""One typed settings object for every Wirehouse entry point (CLI, flows, tests).

Values come, in rising priority, from the defaults below, `WIREHOUSE_*` environment
variables, and explicit overrides (CLI options or flow parameters). Build it once at the
entry point and pass it down; nothing here is evaluated at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from wirehouse.tasks import defaults
from wirehouse.warehouse.locations import local_path

RunnerKind = Literal["process", "thread", "dask"]


class Settings(BaseSettings):
    """Everything a run can be tuned with; defaults work on a laptop."""

    model_config = SettingsConfigDict(env_prefix="WIREHOUSE_", extra="forbid")

    warehouse: Path = Field(
        default=Path("data"),
        description="Folder holding the Parquet tables and the DuckDB catalog file.",
    )
    batch_size: int = Field(
        default=2000,
        ge=1,
        le=100_000,
        description="Most files one Prefect task processes; batches are also split so "
        "every worker gets one when the corpus is small.",
    )
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        le=256,
        description="Parallel worker processes for the batch tasks.",
    )
    runner: RunnerKind = Field(
        default="process",
        description="Task runner: 'process' (uses every core), 'thread' (one core, "
        "no worker start-up cost; handy for tiny inputs and debugging) or 'dask' (batches "
        "on a Dask cluster: `dask_address`, or a temporary local one of `workers` processes).",
    )
    dask_address: str | None = Field(
        default=None,
        description="Scheduler of an existing Dask cluster (tcp://host:8786) for "
        "runner='dask'; unset: a temporary distributed.LocalCluster.",
    )
    storage_options: dict[str, Any] = Field(
        default_factory=dict,
        description="fsspec options for an object-store source (s3://…), e.g. "
        '{"endpoint_url": "http://127.0.0.1:9000"}; credentials usually come from the '
        "store's own environment variables (AWS_ACCESS_KEY_ID, …) instead. JSON in "
        "WIREHOUSE_STORAGE_OPTIONS. Only the keys are recorded in `runs`.",
    )
    publish_to: str | None = Field(
        default=None,
        description="Object-store URL (s3://bucket/prefix) each ingest run publishes the "
        "warehouse to after committing; readers query it with --warehouse URL.",
    )
    include: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Glob patterns (on the file name) of files to ingest. Hidden files "
        "and folders (starting with '.') are never ingested.",
    )
    exclude: list[str] = Field(
        default_factory=list, description="Glob patterns (on the file name) to skip."
    )
    max_file_bytes: int = Field(
        default=defaults.MAX_DOCUMENT_BYTES,
        ge=1,
        description="Files larger than this are rejected (reason 'too_large') unread.",
    )
    max_expanded_bytes: int = Field(
        default=defaults.MAX_EXPANDED_BYTES,
        ge=1,
        description="An archive's members together may expand to at most this many bytes.",
    )
    max_members: int = Field(
        default=defaults.MAX_MEMBERS, ge=1, description="Members of one archive read at most."
    )
    max_depth: int = Field(
        default=defaults.MAX_DEPTH,
        ge=0,
        description="Archives inside archives read this deep at most.",
    )
    formats: dict[str, str] = Field(
        default_factory=dict,
        description="File-name glob -> format (`wirehouse formats`): overrides the reader "
        "chosen by content, e.g. {'*.dat': 'jsonl'}.",
    )
    fields: dict[str, str] = Field(
        default_factory=dict,
        description="JSON/CSV field mapping, ours -> the dump's, e.g. {'text': 'maintext', "
        "'published': 'date_publish'}; defaults recognise news-please and Media Cloud.",
    )
    source: str | None = Field(
        default=None,
        description="Outlet slug forced on every file of the ingest (e.g. 'tass').",
    )
    folder_sources: dict[str, str] = Field(
        default_factory=dict,
        description="Folder (relative to the ingest root) -> outlet slug; files under "
        "the folder get that outlet. The longest matching folder wins.",
    )
    outlets_file: Path | None = Field(
        default=None,
        description="Extra outlet registry (TOML) merged over the built-in one.",
    )
    language_min_chars: int = Field(
        default=defaults.LANGUAGE_MIN_LETTERS,
        ge=1,
        description="Texts with fewer letters than this get language NULL.",
    )
    language_seed: int = Field(
        default=defaults.LANGUAGE_SEED,
        description="Seed for langdetect, so answers are repeatable.",
    )
    lock_timeout: float = Field(
        default=600.0,
        ge=0,
        description="Seconds a run waits for another run's warehouse lock before failing.",
    )
    cron: str = Field(
        default="0 * * * *",
        description="Schedule of the served re-ingest deployment (cron syntax; hourly).",
    )
    force: bool = Field(
        default=False,
        description="Reprocess every file, even unchanged ones (after a registry or "
        "model change). Never duplicates rows in `articles`.",
    )

    @field_validator("warehouse", mode="before")
    @classmethod
    def _file_url_is_a_folder(cls, value: Any) -> Any:
        return local_path(value) if isinstance(value, str) else value

    @field_validator("source")
    @classmethod
    def _slug_lowercase(cls, value: str | None) -> str | None:
        return value.strip().lower() or None if value else None

    @field_validator("folder_sources")
    @classmethod
    def _folders_normalized(cls, value: dict[str, str]) -> dict[str, str]:
        return {k.strip("/"): v.strip().lower() for k, v in value.items()}

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with the given fields replaced; `None` means 'keep the current value'."""
        given = {k: v for k, v in overrides.items() if v is not None}
        return Settings.model_validate(self.model_dump() | given)


# The settings one run of the ingest flow may change: its `options`, a form in the Prefect
# UI. Each is the Settings field itself (type, default, limits, description): one
# definition per setting.
RUN_OPTIONS = (
    "source",
    "folder_sources",
    "include",
    "exclude",
    "batch_size",
    "workers",
    "runner",
    "dask_address",
    "max_file_bytes",
    "formats",
    "fields",
    "outlets_file",
    "lock_timeout",
    "publish_to",
)

IngestOptions = create_model(
    "IngestOptions",
    __config__=ConfigDict(extra="forbid", frozen=True),
    __doc__="Per-run knobs of the ingest flow. A field given overrides the environment "
    "and the defaults; a field left out keeps them.",
    **{
        name: (Settings.model_fields[name].annotation, Settings.model_fields[name])
        for name in RUN_OPTIONS
    },
)


def effective_options(settings: Settings) -> dict[str, Any]:
    """What each run option is for these settings, as JSON: the values a deployment's
    form opens with in the Prefect UI, ready to edit."""
    values = {name: getattr(settings, name) for name in RUN_OPTIONS}
    return IngestOptions(**values).model_dump(mode="json")


def run_settings(base: Settings, options: BaseModel, **given: Any) -> Settings:
    """`base` with the run's options that were given (not those left out) and the other
    flow parameters that are not None."""
    chosen = options.model_dump(exclude_unset=True)
    return Settings.model_validate(
        base.model_dump() | chosen | {k: v for k, v in given.items() if v is not None}
    )
