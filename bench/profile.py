"""Where a batch spends its time per document: each step of the real batch code, timed.

    python -m bench.profile N [--workdir DIR] [--sample 2000] [--no-check] [--no-html]
        [--clock wall|cpu] [--json OUT]

`profile_steps()` runs the pipeline's own `tasks.batch.process_batch`, in this process, on
one batch holding the sampled files (a work file written as tasks/plan.py writes it, every
file new), with the function of each step replaced, for the duration of the run only, by a
timing wrapper around it (`timed_steps`: the module attribute the pipeline looks up at
call time is swapped, then restored). Nothing of tasks/ is copied or changed here:

    read      tasks.batch.read_file (the file's bytes from disk)
    hash      tasks.batch's hashlib.sha256 (the file's sha256; content keys, rejects), and
              tasks.batch._stream (a file over max_file_bytes, hashed in chunks)
    reader    tasks.batch._read_documents, each item it yields (a streamed file's reader,
              through tasks.batch.reader_named, likewise): JSON parsing, field mapping, …
    sniff     tasks.readers.choose_reader inside it (every reader's sniff of the head)
    decode    tasks.article.decode_bytes / decode_text
    layout    tasks.article.split_layout
    outlet    tasks.article.detect_outlet, outlet_slug, assign_source
    language  tasks.article.detect_language
    date      tasks.article.find_publication_date
    story     tasks.batch.story_features (the story-matching signature)
    quotes    tasks.batch.extract_quotes
    arrow     tasks.batch.to_table (the staged rows as Arrow tables, FLUSH_ROWS at a time)
    parquet   tasks.batch.parquet_writer: opening each part, its write_table calls, and
              closing it (footer, fsync, rename)
    rest      the batch's time minus all the steps: the glue of process_batch (its work
              file's row group, the PlannedFile rows), _process_file, build_document and
              _stage_article (ids, keys and content hashes, language hints, the typed
              rows, file events, rejects, bookkeeping)

Steps are timed by the wall clock (`--clock cpu`: by this thread's CPU time, which other
processes on the cores do not inflate, but which leaves out waiting for the disk). A step
called inside another one's wrapper (decoding inside a reader, say) is timed as its
own: the wrappers keep a stack, and each interval goes to the innermost step running. The
wrappers' own cost is measured on an empty function (`wrapper_overhead`) and subtracted:
the figures are net of it, and it is reported. Unless `check` is off, the same batch also
runs once without wrappers: its time is the cross-check of the net total (both are one
run each: on a busy machine they differ by more than the wrappers cost), and its outcomes
must be the profiled run's.

A short warm-up first runs a small batch of each format, so what a worker pays once
(langdetect's profiles, the date grammar) is not counted, and reads every sampled file
once, so both runs read from the page cache.

The same articles are then profiled as one JSON Lines file (`{"id", "text"}` per line, the
text as decoded from each file), and as many HTML pages as there are files, written by
bench/formats.py (`html_page`: a news page with its menu, metadata and footer around the
article; the first N of its stories, which are bench.corpus's originals), read by the
`html` reader (trafilatura) like any saved page.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import importlib
import itertools
import json
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table
from wirehouse.tasks.article import EnrichOptions
from wirehouse.tasks.batch import BatchContext, BatchResult, process_batch
from wirehouse.tasks.decode import decode_bytes
from wirehouse.tasks.errors import RejectError
from wirehouse.tasks.plan import BatchRef
from wirehouse.tasks.readers import ReadOptions
from wirehouse.tasks.sources import Registry, load_registry

STEPS = (
    "read",
    "hash",
    "reader",
    "sniff",
    "decode",
    "layout",
    "outlet",
    "language",
    "date",
    "story",
    "quotes",
    "arrow",
    "parquet",
    "rest",
)
REST = "rest"
LABELS = {
    "read": "read",
    "hash": "sha256",
    "reader": "reader",
    "sniff": "  sniffing",
    "decode": "decode",
    "layout": "layout",
    "outlet": "outlet",
    "language": "language",
    "date": "date",
    "story": "story feat.",
    "quotes": "quotes",
    "arrow": "Arrow",
    "parquet": "Parquet",
    "rest": "rest (glue)",
}
# Where each step is timed: (module, attribute, step, how). "call" times the call;
# "iter" the call and each item of the iterator it returns; "reader" a reader object's
# read() likewise; "writer" a Parquet writer's context and write_table; "hashlib" the
# module's sha256. A name the pipeline no longer has fails loudly (`timed_steps`).
TIMED = (
    ("wirehouse.tasks.batch", "read_file", "read", "call"),
    ("wirehouse.tasks.batch", "hashlib", "hash", "hashlib"),
    ("wirehouse.tasks.batch", "_stream", "hash", "call"),
    ("wirehouse.tasks.batch", "_read_documents", "reader", "iter"),
    ("wirehouse.tasks.batch", "reader_named", "reader", "reader"),
    ("wirehouse.tasks.readers", "choose_reader", "sniff", "call"),
    ("wirehouse.tasks.batch", "choose_reader", "sniff", "call"),
    ("wirehouse.tasks.article", "decode_bytes", "decode", "call"),
    ("wirehouse.tasks.article", "decode_text", "decode", "call"),
    ("wirehouse.tasks.article", "split_layout", "layout", "call"),
    ("wirehouse.tasks.article", "detect_outlet", "outlet", "call"),
    ("wirehouse.tasks.article", "outlet_slug", "outlet", "call"),
    ("wirehouse.tasks.article", "assign_source", "outlet", "call"),
    ("wirehouse.tasks.article", "detect_language", "language", "call"),
    ("wirehouse.tasks.article", "find_publication_date", "date", "call"),
    ("wirehouse.tasks.batch", "story_features", "story", "call"),
    ("wirehouse.tasks.batch", "extract_quotes", "quotes", "call"),
    ("wirehouse.tasks.batch", "to_table", "arrow", "call"),
    ("wirehouse.tasks.batch", "parquet_writer", "parquet", "writer"),
)
# What the steps are timed by: wall clock (what a batch takes, waiting included), or this
# thread's CPU time (what it computes: steadier when other processes share the cores).
CLOCKS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.thread_time}
MAX_FILE_BYTES = 50 * 1024 * 1024  # wirehouse.settings' default max_file_bytes
WARM_UP_FILES = 20
OVERHEAD_CALLS = 200_000
BUSY_CPU_OVER_WALL = 0.9  # below: the process waited for a core part of the time
RUN_ID = "profile"
# A plan's work file (tasks/plan.py): the columns of PlannedFile it holds.
WORK_SCHEMA = pa.schema(
    [
        ("source_path", pa.string()),
        ("ordinal", pa.int64()),
        ("path_bytes", pa.binary()),
        ("file_size", pa.int64()),
        ("file_mtime_ns", pa.int64()),
        ("problem", pa.string()),
        ("problem_message", pa.string()),
        ("prev_event", pa.string()),
        ("prev_version", pa.int64()),
        ("prev_article_id", pa.string()),
        ("prev_raw_sha256", pa.string()),
        ("prev_reject_reason", pa.string()),
        ("action", pa.string()),
        ("shard", pa.int32()),
        ("shards", pa.int32()),
    ]
)


# --------------------------------------------------------------------------- timing


class StepTimer:
    """Exclusive time per step: `enter`/`leave` pairs nest, and the time between two
    events goes to the step on top of the stack (`rest` at the bottom)."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.clock = clock
        self.seconds: dict[str, float] = dict.fromkeys(STEPS, 0.0)
        self.calls: Counter[str] = Counter()  # completed enter/leave pairs per step
        self.children: Counter[str] = Counter()  # steps entered while this one ran
        self._stack: list[str] = []
        self._current = REST
        self._mark = 0.0

    def start(self) -> float:
        self._current, self._stack = REST, []
        self._mark = self.clock()
        return self._mark

    def stop(self) -> float:
        now = self.clock()
        self.seconds[self._current] += now - self._mark
        if self._stack:
            raise RuntimeError(f"steps still running at the end: {self._stack}")
        return now

    def enter(self, step: str) -> None:
        now = self.clock()
        current = self._current
        self.seconds[current] += now - self._mark
        self.children[current] += 1
        self._stack.append(current)
        self._current = step
        self._mark = now

    def leave(self) -> None:
        now = self.clock()
        current = self._current
        self.seconds[current] += now - self._mark
        self.calls[current] += 1
        self._current = self._stack.pop()
        self._mark = now

    def wrap(self, step: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        enter, leave = self.enter, self.leave

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            enter(step)
            try:
                return fn(*args, **kwargs)
            finally:
                leave()

        return timed

    def wrap_iter(self, step: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        """`fn`'s call, and then each item of the iterator it returns (a generator does
        its work as it is consumed)."""
        call = self.wrap(step, fn)

        @functools.wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            return _TimedIterator(iter(call(*args, **kwargs)), self, step)

        return timed


class _TimedIterator:
    __slots__ = ("_items", "_step", "_timer")

    def __init__(self, items: Iterator[Any], timer: StepTimer, step: str) -> None:
        self._items, self._timer, self._step = items, timer, step

    def __iter__(self) -> _TimedIterator:
        return self

    def __next__(self) -> Any:
        self._timer.enter(self._step)
        try:
            return next(self._items)
        finally:
            self._timer.leave()


class _TimedReader:
    """A reader (tasks/readers) whose read() is timed item by item."""

    def __init__(self, reader: Any, timer: StepTimer, step: str) -> None:
        self._reader = reader
        self.read = timer.wrap_iter(step, reader.read)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


class _TimedWriter:
    """A pq.ParquetWriter whose write_table is timed."""

    def __init__(self, writer: pq.ParquetWriter, timer: StepTimer, step: str) -> None:
        self._writer = writer
        self.write_table = timer.wrap(step, writer.write_table)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._writer, name)


class _TimedWriting:
    """warehouse.storage.parquet_writer's context, its opening and closing timed."""

    def __init__(self, context: Any, timer: StepTimer, step: str) -> None:
        self._context, self._timer, self._step = context, timer, step

    def __enter__(self) -> _TimedWriter:
        self._timer.enter(self._step)
        try:
            writer = self._context.__enter__()
        finally:
            self._timer.leave()
        return _TimedWriter(writer, self._timer, self._step)

    def __exit__(self, *exc: Any) -> Any:
        self._timer.enter(self._step)
        try:
            return self._context.__exit__(*exc)
        finally:
            self._timer.leave()


class _TimedHashlib:
    """hashlib, its sha256 timed (hashing bytes given to the constructor is the work)."""

    def __init__(self, timer: StepTimer, step: str) -> None:
        self.sha256 = timer.wrap(step, hashlib.sha256)

    def __getattr__(self, name: str) -> Any:
        return getattr(hashlib, name)


def _timed(original: Any, timer: StepTimer, step: str, how: str) -> Any:
    if how == "call":
        return timer.wrap(step, original)
    if how == "iter":
        return timer.wrap_iter(step, original)
    if how == "reader":
        return timer.wrap(step, lambda *a, **k: _TimedReader(original(*a, **k), timer, step))
    if how == "writer":
        return lambda *a, **k: _TimedWriting(original(*a, **k), timer, step)
    if how == "hashlib":
        return _TimedHashlib(timer, step)
    raise ValueError(f"unknown kind of timing {how!r}")


@contextlib.contextmanager
def timed_steps(timer: StepTimer, registry: Registry | None = None) -> Iterator[StepTimer]:
    """Every TIMED attribute replaced by its timing wrapper while the block runs, then
    restored; `registry`, if given, is what tasks.batch.load_registry returns meanwhile."""
    replacements = []
    for module_name, name, step, how in TIMED:
        module = importlib.import_module(module_name)
        replacements.append((module, name, _timed(_original(module, name), timer, step, how)))
    with _swapped(replacements), _registry(registry):
        yield timer


@contextlib.contextmanager
def _registry(registry: Registry | None) -> Iterator[None]:
    """The batch's registry (tasks.batch.load_registry's answer) while the block runs."""
    if registry is None:
        yield
        return
    batch = importlib.import_module("wirehouse.tasks.batch")
    _original(batch, "load_registry")
    with _swapped([(batch, "load_registry", lambda *_args, **_kwargs: registry)]):
        yield


def _original(module: Any, name: str) -> Any:
    if not hasattr(module, name):
        raise AttributeError(
            f"{module.__name__} has no {name!r} any more: bring bench/profile.py's TIMED "
            "in step with the pipeline"
        )
    return getattr(module, name)


@contextlib.contextmanager
def _swapped(replacements: list[tuple[Any, str, Any]]) -> Iterator[None]:
    """Module attributes set to the given values while the block runs, then restored."""
    saved = [(module, name, getattr(module, name)) for module, name, _value in replacements]
    try:
        for module, name, value in replacements:
            setattr(module, name, value)
        yield
    finally:
        for module, name, original in reversed(saved):
            setattr(module, name, original)


def wrapper_overhead(
    clock: Callable[[], float] = time.perf_counter, calls: int = OVERHEAD_CALLS, repeat: int = 5
) -> dict[str, float]:
    """What one timed call costs beyond the call itself, in ns: `inner` lands in the step
    (between its two clock reads), `outer` in whatever called it. The least of `repeat`
    rounds: other processes only ever add to it."""

    def empty() -> None:
        return None

    perf = clock
    loop = range(calls // repeat)
    rounds: list[tuple[float, float, float, float]] = []
    for _ in range(repeat):
        started = perf()
        for _ in loop:
            pass
        looping = perf() - started
        started = perf()
        for _ in loop:
            empty()
        bare = perf() - started
        timer = StepTimer(clock)
        timed = timer.wrap("read", empty)
        started = timer.start()
        for _ in loop:
            timed()
        wrapped = timer.stop() - started
        rounds.append((looping, bare, wrapped, timer.seconds["read"]))
    looping, bare, wrapped, inside = (
        min(column) / len(loop) for column in zip(*rounds, strict=True)
    )
    full = max(wrapped - bare, 0.0)
    inner = min(max(inside - max(bare - looping, 0.0), 0.0), full)
    return {"ns_per_call": 1e9 * full, "inner_ns": 1e9 * inner, "outer_ns": 1e9 * (full - inner)}


# --------------------------------------------------------------------------- one batch


def _context(root: Path, staging: Path, options: EnrichOptions) -> BatchContext:
    """What flows/ingest.py gives a batch with default settings."""
    return BatchContext(
        run_id=RUN_ID,
        source_root=str(root),
        staging_dir=str(staging),
        ingested_at=datetime.now(UTC),
        max_file_bytes=MAX_FILE_BYTES,
        options=options,
        read_options=ReadOptions(latest=options.latest_date, max_document_bytes=MAX_FILE_BYTES),
    )


def _work_file(files: list[Path], root: Path, target: Path) -> BatchRef:
    """The plan's work file for `files`, all new (tasks/plan.py, action 'new'), as one
    batch: one row group."""
    rows = []
    for ordinal, path in enumerate(files):
        rel = path.relative_to(root).as_posix()
        st = path.stat()
        rows.append(
            {
                "source_path": rel,
                "ordinal": ordinal,
                "path_bytes": os.fsencode(rel),
                "file_size": st.st_size,
                "file_mtime_ns": st.st_mtime_ns,
                "action": "new",
                "shard": 0,
                "shards": 1,
            }
        )
    table = pa.Table.from_pylist(rows, schema=WORK_SCHEMA)
    pq.write_table(table, target, row_group_size=max(len(rows), 1))
    return BatchRef(str(target), row_group=0, rows=len(rows), index=1, of=1)


def _run_batch(
    files: list[Path],
    root: Path,
    options: EnrichOptions,
    registry: Registry | None,
    timer: StepTimer,
    *,
    timed: bool = True,
) -> tuple[BatchResult, dict[str, float]]:
    """process_batch on `files` as one batch into a scratch staging folder, under the
    timing wrappers unless not `timed`; its time by the timer's clock, wall and CPU."""
    with tempfile.TemporaryDirectory(prefix="wirehouse-profile-") as scratch:
        ref = _work_file(files, root, Path(scratch) / "work.parquet")
        staging = Path(scratch) / "staging"
        staging.mkdir()
        ctx = _context(root, staging, options)
        with timed_steps(timer, registry) if timed else _registry(registry):
            cpu, wall = time.process_time(), time.perf_counter()
            started = timer.start()
            result = process_batch(ref, ctx)
            seconds = timer.stop() - started
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return result, {"seconds": seconds, "wall": wall, "cpu": cpu}


def _profile(
    files: list[Path],
    root: Path,
    registry: Registry | None,
    options: EnrichOptions,
    clock: str,
    overhead: dict[str, float],
    check: bool,
) -> dict[str, Any]:
    timer = StepTimer(CLOCKS[clock])
    result, times = _run_batch(files, root, options, registry, timer)
    figures = _figures(result, timer, times["seconds"], overhead)
    figures["bytes"] = sum(p.stat().st_size for p in files)
    figures["cpu_over_wall"] = round(times["cpu"] / times["wall"], 3) if times["wall"] else None
    if check:
        plain, plain_times = _run_batch(
            files, root, options, registry, StepTimer(CLOCKS[clock]), timed=False
        )
        if _outcomes(plain) != _outcomes(result):
            raise AssertionError(
                "process_batch did not do the same under the timing wrappers: "
                f"{_outcomes(result)} against {_outcomes(plain)} without them"
            )
        seconds, net = plain_times["seconds"], figures["total_ms"] / 1000
        wall, cpu = plain_times["wall"], plain_times["cpu"]
        net_cpu = times["cpu"] - figures["overhead_ms"] / 1000
        figures["check"] = {
            "unwrapped_ms": round(1000 * seconds, 1),
            "unwrapped_ms_per_doc": round(1000 * seconds / max(figures["documents"], 1), 4),
            "net_over_unwrapped": round(net / seconds - 1, 4) if seconds else None,
            # CPU time, which other processes on the cores inflate less than wall time
            "net_over_unwrapped_cpu": round(net_cpu / cpu - 1, 4) if cpu else None,
            "unwrapped_cpu_over_wall": round(cpu / wall, 3) if wall else None,
            "outcomes_match": True,
        }
    return figures


def _outcomes(result: BatchResult) -> tuple[Any, ...]:
    return dict(result.counts), dict(result.documents), sorted(result.rejects)


def _figures(
    result: BatchResult, timer: StepTimer, measured: float, overhead: dict[str, float]
) -> dict[str, Any]:
    """Per step: ms, ms per document and share, net of the wrappers' overhead; `rest` is
    the batch's time (`measured`) minus the wrappers' cost and every step."""
    inner, outer = overhead["inner_ns"] / 1e9, overhead["outer_ns"] / 1e9
    calls = sum(timer.calls.values())
    overhead_s = calls * (inner + outer)
    total = measured - overhead_s
    seconds = {
        step: max(timer.seconds[step] - timer.calls[step] * inner - timer.children[step] * outer, 0)
        for step in STEPS
        if step != REST
    }
    seconds[REST] = total - sum(seconds.values())
    documents = result.documents
    handled = sum(n for kind, n in documents.items() if kind != "deleted")
    per_doc = max(handled, 1)
    language = seconds["language"]
    others = {s: v for s, v in seconds.items() if s not in ("language", REST)}
    biggest = max(others, key=others.__getitem__)
    return {
        "files": result.planned,
        "documents": handled,
        "rejected_files": result.counts["rejected"],
        "rejected_documents": documents["rejected"],  # a rejected one-article file's too
        "internal_errors": sum(
            1 for _p, reason, _m in result.rejects if reason == "internal_error"
        ),
        "steps": {
            step: {
                "ms": round(1000 * value, 2),
                "ms_per_doc": round(1000 * value / per_doc, 4),
                "share": round(value / total, 4) if total else 0.0,
                "calls": timer.calls[step] if step != REST else None,
            }
            for step, value in seconds.items()
        },
        "measured_ms": round(1000 * measured, 1),  # with the wrappers
        "overhead_ms": round(1000 * overhead_s, 2),
        "wrapped_calls": calls,
        "total_ms": round(1000 * total, 1),  # net: steps + rest
        "ms_per_doc": round(1000 * total / per_doc, 4),
        "docs_per_s": round(handled / total, 1) if total else None,
        "other_over_language": round((total - language) / language, 3) if language else None,
        "largest_besides_language": biggest,
    }


# --------------------------------------------------------------------------- driver


def profile_steps(
    files: list[Path],
    registry: Registry | None = None,
    options: EnrichOptions | None = None,
    *,
    root: Path | None = None,
    check: bool = True,
    jsonl: bool = True,
    clock: str = "wall",
    html: bool = False,
) -> dict[str, Any]:
    """Time each step of process_batch on `files` (as plain files), then on the same
    articles as one JSON Lines file, and (`html`) on as many HTML pages of bench.formats;
    per format: ms, ms per document and share of each step, and (everything but language)
    / language. `root` is the source root (default: the files' common folder);
    `registry` is the batch's (default: the built-in one); `check` also runs the batch
    without wrappers, as the cross-check of the total; `clock` is "wall" (perf_counter)
    or "cpu" (this thread's CPU time)."""
    files = sorted(files)
    root = root or Path(os.path.commonpath([p.parent for p in files]))
    options = options or EnrichOptions(latest_date=date.today())
    scratch = Path(tempfile.mkdtemp(prefix="wirehouse-profile-"))
    try:
        lines = _write_jsonl(files, root, scratch / "articles.jsonl") if jsonl else None
        pages = _write_html(len(files), scratch / "html") if html else []
        started = time.perf_counter()
        _warm_up(files, root, lines, registry, options)
        if pages:
            _run_batch(
                pages[:WARM_UP_FILES], pages[0].parent, options, registry, StepTimer(), timed=False
            )
        warm_up = time.perf_counter() - started
        overhead = wrapper_overhead(CLOCKS[clock])
        args = (registry, options, clock, overhead, check)
        formats: dict[str, Any] = {"text": _profile(files, root, *args)}
        if lines is not None:
            formats["jsonl"] = _profile([lines], scratch, *args)
        if pages:
            formats["html"] = _profile(pages, pages[0].parent, *args)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "sample_files": len(files),
        "root": str(root),
        "warm_up_seconds": round(warm_up, 2),
        "clock": clock,
        "wrapper_overhead_ns": round(overhead["ns_per_call"], 1),
        "formats": formats,
    }


def _warm_up(
    files: list[Path],
    root: Path,
    lines: Path | None,
    registry: Registry | None,
    options: EnrichOptions,
) -> None:
    """What a worker pays once: langdetect's profiles, the date grammar, regexes, the
    readers' first use; and the sampled files into the page cache."""
    for path in files:
        path.read_bytes()
    _run_batch(files[:WARM_UP_FILES], root, options, registry, StepTimer(), timed=False)
    if lines is not None:
        with tempfile.TemporaryDirectory(prefix="wirehouse-profile-") as folder:
            small = Path(folder) / "warm-up.jsonl"
            with open(lines, encoding="utf-8") as source:
                small.write_text("".join(itertools.islice(source, WARM_UP_FILES)))
            _run_batch([small], Path(folder), options, registry, StepTimer(), timed=False)


def _write_jsonl(files: list[Path], root: Path, target: Path) -> Path:
    """The same articles as one JSON Lines dump: each file's decoded text, keyed by its
    path; files that are not text (the corpus's broken ones) are left out."""
    with open(target, "w", encoding="utf-8") as out:
        for path in files:
            try:
                text = decode_bytes(path.read_bytes()).text
            except RejectError:
                continue
            record = {"id": path.relative_to(root).as_posix(), "text": text}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return target


def _write_html(count: int, folder: Path) -> list[Path]:
    """`count` news pages as bench/formats.py writes them for its HTML corpus."""
    from bench.formats import html_page, load_sources, stories

    folder.mkdir(parents=True)
    pages = []
    for story in stories(load_sources(), 0, count):
        page = folder / f"{story.name}.html"
        page.write_text(html_page(story), encoding="utf-8")
        pages.append(page)
    return pages


def sample_files(corpus: Path, n: int) -> list[Path]:
    """The first `n` files of the corpus in sorted order (bench.corpus draws every file
    independently, so any prefix is a fair sample)."""
    found: list[Path] = []
    for folder in sorted(p for p in corpus.iterdir() if p.is_dir()):
        found.extend(sorted(p for p in folder.iterdir() if p.is_file()))
        if len(found) >= n:
            break
    return found[:n]


# --------------------------------------------------------------------------- output


def profile_table(result: dict[str, Any]) -> Table:
    """One rich table, the formats side by side: ms, ms/doc and share per step."""
    formats = {k: v for k, v in result["formats"].items() if "steps" in v}
    notes = [f"{name}: {v['skipped']}" for name, v in result["formats"].items() if "skipped" in v]
    table = Table(
        title=f"Batch steps per document, {result['sample_files']:,} files, "
        f"tasks.batch.process_batch in one process, {result.get('clock', 'wall')} clock",
        caption="net of the timing wrappers' own cost (wrappers); rest/lang: everything but "
        "language over language (issue 17: ≤ 0.5x); unwrapped: the same batch without "
        "wrappers" + "".join(f"; {note}" for note in notes),
    )
    table.add_column("step")
    for name, figures in formats.items():
        table.add_column(f"{name}\nms", justify="right")
        table.add_column(f"{figures['documents']:,}\nms/doc", justify="right")
        table.add_column("\nshare", justify="right")
    for step in STEPS:
        cells = []
        for figures in formats.values():
            s = figures["steps"][step]
            cells += [f"{s['ms']:,.0f}", f"{s['ms_per_doc']:.3f}", f"{100 * s['share']:.1f}%"]
        table.add_row(LABELS[step], *cells, style="bold" if step == "language" else None)
    table.add_section()
    cells = []
    for figures in formats.values():
        cells += [f"{figures['total_ms']:,.0f}", f"{figures['ms_per_doc']:.3f}", "100%"]
    table.add_row("total", *cells)
    cells = []
    for figures in formats.values():
        ratio = figures["other_over_language"]
        cells += ["", f"{ratio:.2f}x" if ratio is not None else "–", ""]
    table.add_row("rest/lang", *cells)
    cells = []
    for figures in formats.values():
        per_doc = figures["overhead_ms"] / max(figures["documents"], 1)
        cells += [f"{figures['overhead_ms']:,.1f}", f"{per_doc:.4f}", ""]
    table.add_row("wrappers", *cells)
    if all("check" in f for f in formats.values()):
        cells = []
        for figures in formats.values():
            check = figures["check"]
            cells += [
                f"{check['unwrapped_ms']:,.0f}",
                f"{check['unwrapped_ms_per_doc']:.3f}",
                f"{100 * check['net_over_unwrapped']:+.1f}%",
            ]
        table.add_row("unwrapped", *cells)
    return table


def print_profile(result: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    console.print(profile_table(result))
    for name, figures in result["formats"].items():
        if "steps" in figures:
            waited = result.get("clock", "wall") == "wall" and _shared(figures)
            console.print(
                f"{name}: {figures['docs_per_s']:,.0f} docs/s in one process; largest step "
                f"besides language: {figures['largest_besides_language']}; "
                f"{figures['wrapped_calls']:,} timed calls; CPU/wall {figures['cpu_over_wall']:.2f}"
                + (" (the cores were shared: times include waiting)" if waited else "")
            )
        if "check" in figures:
            check = figures["check"]
            console.print(
                f"{name}: net total against the unwrapped run: "
                f"{100 * check['net_over_unwrapped']:+.1f}% ({result.get('clock', 'wall')}), "
                f"{100 * check['net_over_unwrapped_cpu']:+.1f}% (process CPU time)"
            )
    console.print(
        f"timing wrapper: {result['wrapper_overhead_ns']:.0f} ns per call (subtracted); "
        f"warm-up (not timed above): {result['warm_up_seconds']:.1f} s"
    )


def _shared(figures: dict[str, Any]) -> bool:
    """Other processes took the core for part of the run (wall time well over CPU time)."""
    return (figures.get("cpu_over_wall") or 1.0) < BUSY_CPU_OVER_WALL


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.profile", description=__doc__.splitlines()[0]
    )
    parser.add_argument("n", type=int, help="corpus size (corpus-N under --workdir)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/wirehouse-bench"))
    parser.add_argument("--sample", type=int, default=2000, help="files to profile")
    parser.add_argument(
        "--no-check", action="store_true", help="skip the run of the batch without wrappers"
    )
    parser.add_argument(
        "--clock",
        choices=sorted(CLOCKS),
        default="wall",
        help="time the steps by the wall clock (default) or by this thread's CPU time",
    )
    parser.add_argument(
        "--no-html", action="store_true", help="leave out the HTML pages (bench.formats')"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    corpus = args.workdir / f"corpus-{args.n}"
    if not corpus.with_suffix(".json").exists():  # as bench.throughput makes it
        from bench.corpus import generate

        shutil.rmtree(corpus, ignore_errors=True)
        stats = generate(corpus, args.n, seed=0).as_dict()
        corpus.with_suffix(".json").write_text(json.dumps(stats))
    files = sample_files(corpus, args.sample)
    options = EnrichOptions(latest_date=date.today())
    result = profile_steps(
        files,
        load_registry(),
        options,
        root=corpus,
        check=not args.no_check,
        clock=args.clock,
        html=not args.no_html,
    )
    print_profile(result)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
