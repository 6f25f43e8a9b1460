"""Full-text search over the current articles: a tantivy index kept in step with the runs.

Layout, inside the warehouse folder:

    search/<run_id>.<n>/          one generation of the index (a tantivy directory) and its
                                  `wirehouse.json` (the run it reflects, documents, schema)
    search/.building-<...>/       a generation being built (ignored by readers)

A generation is never changed once it has its name. After each run's commit (under the
writer lock) the step copies the newest generation by hard links (tantivy's segment files
are written once and never modified; the two small metadata files are copied), applies
the article versions, tombstones, story links and inferred dates of every committed run
that generation does not reflect yet (normally just this run; after a killed or failed
indexing step, those too: roll forward), commits, and publishes the result with one
atomic rename. A reader opens the newest generation, so a step killed at any point
leaves the previous generation searchable and whole; it then reflects an earlier run,
which `search` reports (the next run, or `wirehouse reindex`, catches up).

Analysis (per article `language`): tokens are runs of letters, marks and digits, and
single Han, Hiragana and Katakana characters (a CJK word of the query becomes a phrase of
its characters: exact substring matching); lowercase; accents folded for every script
(precomposed letters lose their marks in Python, keeping offsets; then tantivy's ASCII
folding for Latin); then the Snowball stemmer of the article's language where tantivy has
one (`STEMMERS`), none otherwise. Each analyzer is its own field `text_<code>`; a query
searches them all.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import tantivy
from wirehouse.warehouse.storage import (
    COMMITS,
    Warehouse,
    WarehouseError,
    atomic_file,
    crash_point,
    writing,
)

from wirehouse.codepoints import CodePointTable, code_points

SEARCH_DIR = "search"
STATE_FILE = "wirehouse.json"
KEEP_GENERATIONS = 2  # the newest and the one before (a reader may still have it open)
# Indexing threads (each writes segments of its own; tantivy merges them) and the heap of
# each: 9,966 bench articles index in 3.5 s on one thread, 1.6-2.5 s on two (this VM's 2
# cores, idle once the batches are done; 2.4-3.1 s before the writer's pre-split text).
# Equal scores are then ordered by article id (`_top`), not by where the threads put the
# documents.
INDEX_THREADS = 4
WRITER_HEAP_PER_THREAD = 32_000_000  # tantivy wants at least 15 MB per thread
TIE_MARGIN = 20  # extra hits fetched to see which documents tie with the last one kept
BATCH_ROWS = 2_000

# langdetect codes -> tantivy's Snowball stemmers.
STEMMERS = {
    "ar": "arabic",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
}
PLAIN = "xx"  # every other language, and articles without one
TEXT_FIELDS = tuple(f"text_{code}" for code in (*STEMMERS, PLAIN))
_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}"
TOKEN_PATTERN = rf"[{_CJK}]|[\p{{L}}\p{{M}}\p{{N}}--{_CJK}]+"
MAX_TOKEN_BYTES = 64
# The letters whose marks are part of the letter for the stemmer (Russian й is not и).
_KEEP_MARKS = frozenset("йЙ")
SCHEMA_VERSION = hashlib.sha256(
    f"2|{TOKEN_PATTERN}|{MAX_TOKEN_BYTES}|{sorted(STEMMERS.items())}|{sorted(_KEEP_MARKS)}".encode()
).hexdigest()[:12]

HIGHLIGHT = ("**", "**")  # around matches in snippets (table output renders them bold)
SNIPPET_CHARS = 180


class SearchError(WarehouseError):
    """A search the user can fix: a malformed query, no index."""


# --- analysis ---------------------------------------------------------------------------


class _FoldTable(dict):
    """str.translate table: a precomposed letter -> its base letter, one char for one
    char (offsets stay valid, so snippets can be cut from the original text)."""

    def __missing__(self, code: int) -> int:
        char = chr(code)
        folded = code
        if char not in _KEEP_MARKS:
            base = "".join(
                c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c)
            )
            if len(base) == 1:
                folded = ord(base)
        self[code] = folded
        return folded


_FOLD = _FoldTable({c: c for c in range(128)})


def fold(text: str) -> str:
    """Accents off every precomposed letter (é→e, ё→е, ά→α), same length; case is left
    to the analyzer, so query operators (AND, OR, NOT) survive.

    A long text is folded through an array of code points (`_fold_codes`): str.translate
    looks each character up in the table's dict, which cost more than the rest of
    indexing an article."""
    if text.isascii():
        return text  # the table leaves ASCII as it is
    if len(text) < ARRAY_FOLD_CHARS:
        return text.translate(_FOLD)
    return _fold_codes(text)


ARRAY_FOLD_CHARS = 256


def _fold_codes(text: str) -> str:
    return _fold_table()[code_points(text)].tobytes().decode("utf-32-le", "surrogatepass")


@cache
def _fold_table() -> CodePointTable:
    """`_FOLD` over every code point, filled in as code points show up."""
    return CodePointTable(_FOLD.__getitem__)


# --- the writer's pre-split text ----------------------------------------------------------
#
# tantivy's regex tokenizer is most of the cost of indexing: on 9,966 bench articles
# (2.7 KB each) the analyzer's regex took 4.2 CPU-seconds where its whitespace tokenizer
# takes 1.7. So the writer indexes `index_text(text)`: fold(text) with every character
# the regex does not put in a token made a space, and each single-character token (Han,
# Kana) set between spaces. The whitespace tokenizer then yields the regex tokenizer's
# tokens over fold(text), in the same order, so the same positions; the filters after it
# are the same. Which characters are which is asked of the regex tokenizer itself, one
# code point at a time as they show up (Python's Unicode tables are another version than
# the Rust regex crate's). Queries and snippets still use the regex analyzer.

_WORD, _SINGLE, _GAP = 1, 2, 0
_SPLIT_FLAG = 0x8000_0000  # in `_split_table`: the folded code point is a single token


@cache
def _bare_regex() -> tantivy.TextAnalyzer:
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.regex(TOKEN_PATTERN)).build()


def _token_kind(char: str) -> int:
    """_WORD (part of a run), _SINGLE (a token of its own) or _GAP (no token), as
    the regex tokenizer treats `char`; two of it tell a run from single tokens."""
    if 0xD800 <= ord(char) < 0xE000:
        return _GAP  # a lone surrogate (decoded with surrogateescape) is no letter
    tokens = _bare_regex().analyze(char + char)
    return _GAP if not tokens else _WORD if len(tokens) == 1 else _SINGLE


class _SplitTable(dict):
    """str.translate table of `index_text`: a code point -> its folded character, a
    space, or its folded character between spaces."""

    def __missing__(self, code: int) -> str:
        folded = chr(_FOLD[code])
        kind = _token_kind(folded)
        value = folded if kind == _WORD else f" {folded} " if kind == _SINGLE else " "
        self[code] = value
        return value


_SPLIT = _SplitTable()


@cache
def _ascii_split() -> bytes:
    """bytes.translate table of `index_text` for ASCII text (no ASCII is _SINGLE)."""
    table = bytearray(b" " * 256)
    for code in range(128):
        if len(_SPLIT[code]) == 1:
            table[code] = ord(_SPLIT[code])
    return bytes(table)


@cache
def _split_table() -> CodePointTable:
    """`_SPLIT` over every code point, filled in as code points show up: the folded code
    point, a space, or the folded code point with `_SPLIT_FLAG`."""

    def value(code: int) -> int:
        split = _SPLIT[code]
        return ord(split) if len(split) == 1 else ord(split[1]) | _SPLIT_FLAG

    return CodePointTable(value)


def index_text(text: str) -> str:
    """fold(text) as the index writer's whitespace tokenizer takes it (see above)."""
    if text.isascii():
        return text.encode().translate(_ascii_split()).decode()
    if len(text) < ARRAY_FOLD_CHARS:
        return text.translate(_SPLIT)
    import numpy as np

    out = _split_table()[code_points(text)]
    single = out >= _SPLIT_FLAG
    if single.any():  # each single token becomes space, character, space
        widths = np.where(single, 3, 1)
        out = np.repeat(out & ~np.uint32(_SPLIT_FLAG), widths)
        starts = (np.cumsum(widths) - widths)[single]
        out[starts] = out[starts + 2] = 0x20
    return out.tobytes().decode("utf-32-le", "surrogatepass")


def analyzer(language: str | None, pre_split: bool = False) -> tantivy.TextAnalyzer:
    """The analyzer of a language's field; `pre_split`: the writer's, over `index_text`."""
    tokenizer = (
        tantivy.Tokenizer.whitespace() if pre_split else tantivy.Tokenizer.regex(TOKEN_PATTERN)
    )
    builder = (
        tantivy.TextAnalyzerBuilder(tokenizer)
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_BYTES))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
    )
    if language in STEMMERS:
        builder = builder.filter(tantivy.Filter.stemmer(STEMMERS[language]))
    return builder.build()


def text_field(language: str | None) -> str:
    code = (language or "").split("-")[0]
    return f"text_{code}" if code in STEMMERS else f"text_{PLAIN}"


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    for name in TEXT_FIELDS:
        sb.add_text_field(name, stored=False, tokenizer_name=name)
    sb.add_text_field("article_id", stored=True, tokenizer_name="raw")
    sb.add_integer_field("file_key", stored=True, indexed=True)
    sb.add_text_field("source", stored=True, fast=True, tokenizer_name="raw")
    sb.add_text_field("language", stored=True, fast=True, tokenizer_name="raw")
    sb.add_date_field("published_date", stored=True, indexed=True, fast=True)
    sb.add_integer_field("month", indexed=True, fast=True)  # yyyymm
    sb.add_integer_field("week", indexed=True, fast=True)  # yyyymmdd of its Monday
    sb.add_text_field("story_id", stored=True, tokenizer_name="raw")
    sb.add_integer_field("duplicate", stored=True, indexed=True, fast=True)  # 0 or 1
    for name in ("title", "lede", "body"):
        sb.add_bytes_field(name, stored=True)
    return sb.build()


SCHEMA = _schema()


def _open(path: Path, create: bool = False, writer: bool = False) -> tantivy.Index:
    """The index at `path`; a `writer`'s text fields take `index_text`, not the text."""
    index = tantivy.Index(SCHEMA, path=str(path), reuse=not create)
    for name in TEXT_FIELDS:
        index.register_tokenizer(name, analyzer(name.removeprefix("text_"), pre_split=writer))
    return index


# --- generations ------------------------------------------------------------------------

_GENERATION = re.compile(r"^(?P<run>[0-9]{8}T[0-9]+-[0-9a-z]+)\.(?P<n>[0-9]+)$")


@dataclass(frozen=True)
class Generation:
    path: Path
    run_id: str
    documents: int
    schema: str

    @property
    def current_schema(self) -> bool:
        return self.schema == SCHEMA_VERSION


def search_root(wh: Warehouse) -> Path:
    return wh.root / SEARCH_DIR


def generations(wh: Warehouse) -> list[Generation]:
    """Complete generations of committed runs, oldest first."""
    root = search_root(wh)
    if not root.is_dir():
        return []
    found = []
    for entry in root.iterdir():
        match = _GENERATION.match(entry.name)
        if not match or not (wh.root / COMMITS / match["run"]).is_dir():
            continue
        try:
            state = json.loads((entry / STATE_FILE).read_text())
        except (OSError, ValueError):
            continue
        found.append((match["run"], int(match["n"]), entry, state))
    found.sort(key=lambda item: (item[0], item[1]))
    return [
        Generation(p, run, s.get("documents", 0), s.get("schema", "")) for run, _, p, s in found
    ]


def current_generation(wh: Warehouse) -> Generation | None:
    found = generations(wh)
    return found[-1] if found else None


def runs_behind(wh: Warehouse, generation: Generation) -> list[str]:
    """Committed runs after the generation's that changed what the index holds."""
    return [r for r in wh.committed_runs() if r > generation.run_id and _run_parts(wh, [r])]


def _run_parts(wh: Warehouse, runs: Iterable[str]) -> dict[str, list[str]]:
    parts: dict[str, list[str]] = {}
    for run in runs:
        for table in ("articles", "article_links", "inferred_dates"):
            files = sorted(str(p) for p in (wh.commits / run).glob(f"{table}-*.parquet"))
            if files:
                parts.setdefault(table, []).extend(files)
    return parts


# --- building ---------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexSummary:
    documents: int  # in the index after the step
    run_id: str  # the run it reflects
    added: int = 0
    deleted_keys: int = 0  # file keys whose documents were removed (superseded, deleted)
    runs_applied: int = 0
    rebuilt: bool = False
    seconds: float = 0.0


def update_index(wh: Warehouse, rebuild: bool = False) -> IndexSummary:
    """Bring the index up to the last committed run. Call under the writer lock, after
    the commit. Incremental from the newest generation unless there is none, its schema
    is an older one, or `rebuild`."""
    started = time.perf_counter()
    committed = wh.committed_runs()
    last = committed[-1]
    base = None if rebuild else current_generation(wh)
    if base is not None and not base.current_schema:
        base = None
    if base is not None:
        pending = [r for r in committed if r > base.run_id]
        parts = _run_parts(wh, pending)
        if not parts:
            _discard_leftovers(wh)
            return IndexSummary(base.documents, base.run_id, seconds=time.perf_counter() - started)
    building = search_root(wh) / f".building-{last}"
    _discard_leftovers(wh)
    with writing(building):
        building.mkdir(parents=True)
        if base is not None:
            _link_generation(base.path, building)
    index = _open(building, create=base is None, writer=True)
    threads = max(1, min(INDEX_THREADS, os.cpu_count() or 1))
    writer = index.writer(WRITER_HEAP_PER_THREAD * threads, threads)
    try:
        with duckdb.connect(config={"memory_limit": "512MB"}) as con:
            from wirehouse.warehouse.catalog import create_views

            create_views(con, wh)
            if base is None:
                every = _run_parts(wh, committed).get("articles", [])
                added, deleted, applied = _add_rows(writer, _current_rows(con, every)), 0, 0
            else:
                added, deleted = _apply_runs(con, writer, index, parts)
                applied = len(pending)
        writer.commit()
        writer.wait_merging_threads()
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    index.reload()
    documents = index.searcher().num_docs
    summary = IndexSummary(
        documents, last, added, deleted, applied, base is None, time.perf_counter() - started
    )
    _publish(wh, building, summary)
    return summary


def _discard_leftovers(wh: Warehouse) -> None:
    root = search_root(wh)
    if root.is_dir():
        for leftover in root.glob(".building-*"):
            shutil.rmtree(leftover, ignore_errors=True)


def _link_generation(source: Path, target: Path) -> None:
    """Hard links to the generation's segment files (tantivy never rewrites one), copies
    of its metadata files (rewritten at the commit)."""
    for entry in source.iterdir():
        if entry.name == STATE_FILE or entry.name.startswith(".tantivy-"):
            continue
        if entry.name.endswith(".json"):
            shutil.copy2(entry, target / entry.name)
        else:
            os.link(entry, target / entry.name)


def _publish(wh: Warehouse, building: Path, summary: IndexSummary) -> None:
    root = search_root(wh)
    with atomic_file(building / STATE_FILE) as tmp:
        tmp.write_text(
            json.dumps(
                {
                    "run_id": summary.run_id,
                    "documents": summary.documents,
                    "schema": SCHEMA_VERSION,
                    "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
                    "rebuilt": summary.rebuilt,
                }
            )
        )
    n = 1 + max(
        (
            int(m["n"])
            for p in root.iterdir()
            if (m := _GENERATION.match(p.name)) and m["run"] == summary.run_id
        ),
        default=0,
    )
    crash_point("search-built")
    with writing(root):
        _fsync(building)
        os.rename(building, root / f"{summary.run_id}.{n}")
        _fsync(root)
    for old in generations(wh)[:-KEEP_GENERATIONS]:
        shutil.rmtree(old.path, ignore_errors=True)
    for entry in root.iterdir():  # generations of runs that never committed
        match = _GENERATION.match(entry.name)
        if match and not (wh.commits / match["run"]).is_dir():
            shutil.rmtree(entry, ignore_errors=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# What a document holds: the `articles` view's current row (with story and inferred
# date), the text from the parts.
_META = """article_id, source_root, source_path, record_key, source, language,
           published_date, story_id, duplicate_of IS NOT NULL AS duplicate"""


def _apply_runs(
    con: duckdb.DuckDBPyConnection,
    writer: tantivy.IndexWriter,
    index: tantivy.Index,
    parts: dict[str, list[str]],
) -> tuple[int, int]:
    """Apply the given runs' parts: remove every document of a file key the runs wrote
    a row for (new version or tombstone), add the current versions; documents whose
    story or inferred date the runs changed are re-added from the index's stored text."""
    added = 0
    keys: list[int] = []
    files = parts.get("articles", [])
    if files:
        con.execute(
            "CREATE TEMP TABLE run_rows AS SELECT file_key, row_kind, article_id "
            f"FROM read_parquet({files!r}, union_by_name = true)"
        )
        keys = [k for (k,) in con.execute("SELECT DISTINCT file_key FROM run_rows").fetchall()]
        for key in keys:
            writer.delete_documents_by_term("file_key", key)
        added += _add_rows(writer, _current_rows(con, files))
    else:
        con.execute("CREATE TEMP TABLE run_rows (article_id VARCHAR, row_kind VARCHAR)")
    relinked = [f for table in ("article_links", "inferred_dates") for f in parts.get(table, [])]
    if relinked:
        # Articles the runs wrote were added whole above.
        rows = con.sql(
            f"""SELECT {_META} FROM articles
                WHERE article_id IN (
                    SELECT article_id FROM read_parquet({relinked!r}, union_by_name = true))
                  AND article_id NOT IN (
                      SELECT article_id FROM run_rows
                      WHERE row_kind = 'article' AND article_id IS NOT NULL)"""
        ).to_arrow_table()
        searcher = index.searcher()
        for row in rows.to_pylist():
            found = searcher.search(
                tantivy.Query.term_query(SCHEMA, "article_id", row["article_id"]), 1
            ).hits
            if not found:
                continue
            stored = searcher.doc(found[0][1])
            for name in TEXT_COLUMNS:
                value = stored.get_first(name)
                row[name] = bytes(value).decode() if value is not None else None
            writer.delete_documents_by_term("article_id", row["article_id"])
            added += _add_rows(writer, [row])
    return added, len(keys)


TEXT_COLUMNS = ("title", "lede", "body")


def _current_rows(con: duckdb.DuckDBPyConnection, files: list[str]) -> Iterator[dict[str, Any]]:
    """The current articles (`articles` view) whose rows are in the part files `files`,
    with their text, one part file at a time.

    The view gives each current row's metadata and where its row is (file, row number),
    in file order; the text is then read from one part file at a time beside it. Joining
    the text through the view instead held all of it in memory at once (the view's joins
    cannot spill: 507 MB of DuckDB memory at 100k articles, more than its limit at 1M).
    An article id names one version of one document, so it is in one row; should a
    retried run have written it twice, its first row is taken.
    """
    if not files:
        return
    located = con.sql(
        f"""SELECT part.filename AS part_file, part.file_row_number AS part_row, {_META}
            FROM articles
            JOIN (
                SELECT article_id, filename, file_row_number
                FROM read_parquet({files!r}, filename = true, file_row_number = true,
                                  union_by_name = true)
                WHERE row_kind = 'article'
                QUALIFY row_number() OVER (
                    PARTITION BY article_id ORDER BY filename, file_row_number) = 1
            ) AS part USING (article_id)
            ORDER BY part_file, part_row"""
    ).to_arrow_reader(BATCH_ROWS)
    texts: _PartTexts | None = None
    for batch in located:
        for part_file, group in groupby(batch.to_pylist(), key=itemgetter("part_file")):
            if texts is None or texts.path != part_file:
                texts = _PartTexts(part_file)
            for row in group:
                row.update(texts.row(row["part_row"]))
                yield row


class _PartTexts:
    """The text columns of one article part, streamed in file order (rows are asked for
    in file order). A compacted part holds a whole run (113 MB of Parquet at 100k
    articles, row groups of 20k rows): read a row group at a time, its pages alone took
    ~300 MB; streamed in batches without pre-buffering, ~100 MB. A text column older
    parts lack is null."""

    def __init__(self, path: str) -> None:
        self.path = path
        part = pq.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)
        present = [c for c in TEXT_COLUMNS if c in part.schema_arrow.names]
        self._batches = part.iter_batches(batch_size=BATCH_ROWS // 2, columns=present)
        self._first = 0  # the file row number of the loaded batch's first row
        self._rows: list[dict[str, Any]] = []

    def row(self, number: int) -> dict[str, Any]:
        while number >= self._first + len(self._rows):
            self._first += len(self._rows)
            self._rows = next(self._batches).to_pylist()
        found = self._rows[number - self._first]
        return {c: found.get(c) for c in TEXT_COLUMNS}


def _add_rows(writer: tantivy.IndexWriter, rows: Iterable[dict[str, Any]]) -> int:
    from wirehouse.tasks.article import file_key

    count = 0
    for row in rows:
        doc = tantivy.Document()
        text = "\n\n".join(t for t in (row["title"], row["lede"], row["body"]) if t)
        doc.add_text(text_field(row["language"]), index_text(text))
        doc.add_text("article_id", row["article_id"])
        doc.add_integer(
            "file_key", file_key(row["source_root"], row["source_path"], row["record_key"])
        )
        if row["source"]:
            doc.add_text("source", row["source"])
        if row["language"]:
            doc.add_text("language", row["language"])
        day = row["published_date"]
        if day is not None:
            doc.add_date("published_date", datetime(day.year, day.month, day.day, tzinfo=UTC))
            doc.add_integer("month", day.year * 100 + day.month)
            monday = day - timedelta(days=day.weekday())
            doc.add_integer("week", monday.year * 10000 + monday.month * 100 + monday.day)
        if row["story_id"]:
            doc.add_text("story_id", row["story_id"])
        doc.add_integer("duplicate", int(bool(row["duplicate"])))
        for name in ("title", "lede", "body"):
            if row[name]:
                doc.add_bytes(name, row[name].encode())
        writer.add_document(doc)
        count += 1
    return count


# --- searching --------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    source: str | None = None
    language: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    story_id: str | None = None
    unique: bool = False  # skip exact duplicates


@dataclass
class Hit:
    article_id: str
    score: float
    source: str | None
    language: str | None
    published_date: date | None
    title: str | None
    snippet: str
    story_id: str | None = None


@dataclass
class SearchResult:
    total: int
    hits: list[Hit]
    run_id: str  # the run the index reflects
    behind: list[str] = field(default_factory=list)  # committed runs it does not yet


_PREFIX = re.compile(r"(?<![\w\"*])(\w+)\*")


def rewrite_query(text: str) -> str:
    """Fold accents like the index does and turn `word*` into a prefix query; phrases
    are left as they are (`"foreign min"*` is tantivy's own phrase prefix)."""
    pieces = fold(text).split('"')
    for i in range(0, len(pieces), 2):  # outside quotes
        pieces[i] = _PREFIX.sub(_prefix_query, pieces[i])
    return '"'.join(pieces)


def _prefix_query(match: re.Match[str]) -> str:
    """`word*`: terms starting with the word, in every text field (tantivy's parser has
    no term prefix: a regex over the terms). The terms are stemmed, so the word is
    analyzed like one first (`санкци*` looks for terms starting with `санкц`)."""
    clauses = []
    for name in TEXT_FIELDS:
        terms = _analyzers()[name].analyze(match[1])
        prefix = terms[0] if len(terms) == 1 else match[1].lower()
        clauses.append(f"{name}:/{re.escape(prefix)}.*/")
    return "(" + " OR ".join(clauses) + ")"


@cache
def _analyzers() -> dict[str, tantivy.TextAnalyzer]:
    return {name: analyzer(name.removeprefix("text_")) for name in TEXT_FIELDS}


class Searcher:
    """The newest generation of a warehouse's index, opened once for many queries."""

    def __init__(self, wh: Warehouse) -> None:
        generation = current_generation(wh)
        if generation is None:
            raise SearchError(
                f"no search index in {wh.root}: run `wirehouse ingest` or `wirehouse reindex "
                f"--warehouse {wh.root}`"
            )
        if not generation.current_schema:
            raise SearchError(
                f"the search index in {wh.root} was built by another version: run "
                f"`wirehouse reindex --warehouse {wh.root}`"
            )
        self.wh = wh
        self.generation = generation
        self.index = _open(generation.path)
        self.searcher = self.index.searcher()

    @property
    def documents(self) -> int:
        return self.searcher.num_docs

    def parse(self, text: str, filters: Filters | None = None) -> tantivy.Query:
        if not text.strip():
            raise SearchError("empty search query")
        try:
            query = self.index.parse_query(
                rewrite_query(text),
                list(TEXT_FIELDS),
                conjunction_by_default=True,
                allow_regexes=True,
            )
        except ValueError as exc:
            raise SearchError(f"malformed search query {text!r}: {exc}") from None
        clauses = [(tantivy.Occur.Must, query)]
        for name, value in _filter_terms(filters or Filters()):
            clauses.append((tantivy.Occur.Must, tantivy.Query.term_query(SCHEMA, name, value)))
        if filters and (filters.date_from or filters.date_to):
            clauses.append(
                (
                    tantivy.Occur.Must,
                    tantivy.Query.range_query(
                        SCHEMA,
                        "published_date",
                        tantivy.FieldType.Date,
                        _day(filters.date_from or date(1700, 1, 1)),
                        _day(filters.date_to or date(2262, 1, 1)),
                    ),
                )
            )
        if filters and filters.unique:
            clauses.append((tantivy.Occur.Must, tantivy.Query.term_query(SCHEMA, "duplicate", 0)))
        return clauses[0][1] if len(clauses) == 1 else tantivy.Query.boolean_query(clauses)

    def search(
        self,
        text: str,
        filters: Filters | None = None,
        limit: int = 20,
        snippets: bool = True,
    ) -> SearchResult:
        query = self.parse(text, filters)
        count, top = self._top(query, max(limit, 0))
        hits = []
        generators: dict[str, tantivy.SnippetGenerator] = {}
        for score, doc in top:
            body = _stored_text(doc)
            snippet = self._snippet(query, doc, body, generators) if snippets else ""
            day = doc.get_first("published_date")
            hits.append(
                Hit(
                    article_id=doc.get_first("article_id"),
                    score=round(score, 4),
                    source=doc.get_first("source"),
                    language=doc.get_first("language"),
                    published_date=day.date() if day is not None else None,
                    title=_decoded(doc.get_first("title")),
                    snippet=snippet,
                    story_id=doc.get_first("story_id"),
                )
            )
        return SearchResult(
            count, hits, self.generation.run_id, runs_behind(self.wh, self.generation)
        )

    def _top(self, query: tantivy.Query, limit: int) -> tuple[int, list[tuple[float, Any]]]:
        """The hit count and the `limit` best hits (score, document), best first, equal
        scores in article id order. tantivy orders equal scores (the same text reprinted)
        by where the documents sit in the index, which depends on its indexing threads and
        on the runs that built it: so the hits tied with the last one kept are all
        fetched, and the ids decide."""
        if limit == 0:
            return self.searcher.search(query, 1, count=True).count or 0, []
        fetch = limit + TIE_MARGIN
        while True:
            found = self.searcher.search(query, fetch, count=True)
            hits = found.hits
            if len(hits) <= limit or hits[-1][0] < hits[limit - 1][0] or len(hits) < fetch:
                break
            fetch *= 4  # every hit fetched ties with the last one kept: there may be more
        if not hits:
            return found.count or 0, []
        floor = hits[min(limit, len(hits)) - 1][0]
        docs = [(score, self.searcher.doc(address)) for score, address in hits if score >= floor]
        docs.sort(key=lambda hit: (-hit[0], hit[1].get_first("article_id")))
        return found.count or 0, docs[:limit]

    def _snippet(
        self,
        query: tantivy.Query,
        doc: tantivy.Document,
        text: str,
        generators: dict[str, tantivy.SnippetGenerator],
    ) -> str:
        name = text_field(doc.get_first("language"))
        if name not in generators:
            generators[name] = tantivy.SnippetGenerator.create(self.searcher, query, SCHEMA, name)
            generators[name].set_max_num_chars(SNIPPET_CHARS)
        folded = fold(text)
        probe = tantivy.Document()
        probe.add_text(name, folded)
        snippet = generators[name].snippet_from_doc(probe)
        fragment = snippet.fragment_range()
        if fragment.end <= fragment.start:
            return _one_line(text[:SNIPPET_CHARS])
        raw = folded.encode()
        start = len(raw[: fragment.start].decode(errors="ignore"))
        pieces, at = [], start
        for mark in snippet.highlighted():  # byte offsets within the fragment
            a = start + len(
                raw[fragment.start : fragment.start + mark.start].decode(errors="ignore")
            )
            b = start + len(raw[fragment.start : fragment.start + mark.end].decode(errors="ignore"))
            pieces += [text[at:a], HIGHLIGHT[0], text[a:b], HIGHLIGHT[1]]
            at = b
        end = start + len(raw[fragment.start : fragment.end].decode(errors="ignore"))
        pieces.append(text[at:end])
        prefix = "…" if start > 0 else ""
        suffix = "…" if end < len(text) else ""
        return _one_line(prefix + "".join(pieces) + suffix)

    def count_by(
        self, text: str, by: str, filters: Filters | None = None, per_source: bool = False
    ) -> list[tuple[Any, ...]]:
        """(key, count) per month/week/source/language of the query's hits, ordered by
        key; (key, source, count) with `per_source`. Undated hits count under None."""
        fields = {"month": "month", "week": "week", "source": "source", "language": "language"}
        if by not in fields:
            raise SearchError(f"cannot count by {by!r}: choose one of {', '.join(fields)}")
        query = self.parse(text, filters)
        agg: dict[str, Any] = {"terms": {"field": fields[by], "size": 100_000}}
        if per_source:
            agg["aggs"] = {"per": {"terms": {"field": "source", "size": 10_000}}}
        result = self.searcher.aggregate(query, {"by": agg})["by"]["buckets"]
        total = self.searcher.search(query, 1, count=True).count or 0
        rows: list[tuple[Any, ...]] = []
        for bucket in result:
            key = _bucket_key(by, bucket["key"])
            if per_source:
                rows += [(key, sub["key"], sub["doc_count"]) for sub in bucket["per"]["buckets"]]
            else:
                rows.append((key, bucket["doc_count"]))
        counted = sum(b["doc_count"] for b in result)
        rows.sort(key=lambda r: (r[0] is None, str(r[0])))
        if total > counted and not per_source:
            rows.append((None, total - counted))
        return rows


def _filter_terms(filters: Filters) -> list[tuple[str, str]]:
    return [
        (name, value)
        for name, value in (
            ("source", filters.source),
            ("language", filters.language),
            ("story_id", filters.story_id),
        )
        if value
    ]


def _bucket_key(by: str, key: Any) -> Any:
    if by == "month":
        return f"{int(key) // 100:04d}-{int(key) % 100:02d}"
    if by == "week":
        key = int(key)
        return date(key // 10000, key // 100 % 100, key % 100).isoformat()
    return key


def _day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _decoded(value: Any) -> str | None:
    return bytes(value).decode() if value is not None else None


def _stored_text(doc: tantivy.Document) -> str:
    parts = (_decoded(doc.get_first(name)) for name in ("title", "lede", "body"))
    return "\n\n".join(p for p in parts if p)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def hits_table(result: SearchResult) -> pa.Table:
    """The `hits` relation of `wirehouse query --search`: article_id, score, snippet."""
    return pa.table(
        {
            "article_id": pa.array([h.article_id for h in result.hits], pa.string()),
            "score": pa.array([h.score for h in result.hits], pa.float64()),
            "snippet": pa.array([h.snippet for h in result.hits], pa.string()),
        }
    )


def query_with_hits(
    wh: Warehouse,
    search: str,
    sql: str,
    params: list[object] | None = None,
    limit: int = 10_000,
    filters: Filters | None = None,
) -> tuple[list[str], list[tuple[object, ...]]]:
    """Run read-only SQL on the warehouse with the search's hits as the relation `hits`."""
    from wirehouse.warehouse.catalog import READ_STATEMENTS, QueryRefusedError, connect

    statements = duckdb.extract_statements(sql)
    if not statements:
        raise QueryRefusedError("no SQL statement given")
    for statement in statements:
        if statement.type not in READ_STATEMENTS:
            raise QueryRefusedError(
                f"{statement.type.name} statements are refused with --search: read-only"
            )
    if params and len(statements) > 1:
        raise QueryRefusedError("parameters (-p) need a single SQL statement")
    hits = hits_table(Searcher(wh).search(search, filters, limit=limit))
    with connect(wh) as con:
        con.register("hits", hits)
        for statement in statements[:-1]:
            con.execute(statement).fetchall()
        cursor = con.execute(statements[-1], params or [])
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall()


def index_documents(wh: Warehouse) -> int | None:
    generation = current_generation(wh)
    return generation.documents if generation else None


def plot_counts(rows: list[tuple[Any, ...]], query: str, by: str, target: Path) -> None:
    """Hits per month (or week) per outlet, one line each, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[str, dict[Any, int]] = {}
    for key, source, count in rows:
        if key is not None:
            series.setdefault(source or "unknown", {})[key] = count
    keys = sorted({key for points in series.values() for key in points})
    figure, axes = plt.subplots(figsize=(11, 5))
    for source, points in sorted(series.items(), key=lambda item: -sum(item[1].values())):
        axes.plot(keys, [points.get(k, 0) for k in keys], label=source, marker=".")
    axes.set_title(f"Articles matching {query!r} per {by} and outlet")
    axes.set_ylabel("articles")
    step = max(1, len(keys) // 20)
    axes.set_xticks(range(0, len(keys), step), keys[::step], rotation=45, ha="right")
    if series:
        axes.legend(fontsize="small", ncol=2)
    figure.tight_layout()
    figure.savefig(target, dpi=100)
    plt.close(figure)
