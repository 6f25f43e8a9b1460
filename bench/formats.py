"""Formats benchmark: Wirehouse's readers on HTML, JSON Lines and WARC, against bare loops.

    python -m bench.formats N [--workdir DIR] [--big-mb 200] [--workers 2]
        [--jsonl-files 1] [--warc-files 1] [--skip html,jsonl,warc,big]

Builds N distinct articles from bench.corpus (language, title, outlet chrome, dateline,
body, date: the same draws `generate` makes for a corpus's original files, but without its
copies, broken files and legacy encodings, so that every format holds exactly the same N
articles) and writes them four ways under DIR/formats-N/:

- html/: one small page per article (title in <title> and <h1>, og: and
  `article:published_time` meta, canonical link, the paragraphs in <article>, a menu,
  a related-links box and a footer around it), UTF-8;
- plain/: the article's text as bench.corpus renders it (title, chrome, dateline, body), UTF-8;
- jsonl/: news-please records (id, url, title, date_publish, maintext) in --jsonl-files files;
- warc/: the HTML pages as HTTP response records (after a warcinfo record) in
  --warc-files .warc.gz files, one gzip member per record, written with warcio.

Then measures, each in its own subprocess with the peak RSS (and PSS) of its whole process
tree sampled every 0.5 s (bench.throughput.measure), wall clock:

1. HTML: `wirehouse ingest html/` (default settings, --workers worker processes) against
   the bare loop a user would write, one process: trafilatura.extract + htmldate.find_date
   + langdetect.detect per page, rows to Parquet (target: Wirehouse >= 1.7x);
2. JSON Lines: `wirehouse ingest jsonl/` against `wirehouse ingest plain/` (same articles);
3. WARC: `wirehouse ingest warc/` against the bare loop over FastWARC's ArchiveIterator
   (response records) with the same three calls, one process (target: >= 1.7x);
4. memory: one JSON Lines file of about --big-mb MB (articles N, N+1, …, as many as fit),
   larger than the ingest's max_file_bytes so it is streamed record by record, against a
   plain-text folder of the same articles; both runs get the same --max-file-bytes (the
   default, 50 MiB, when the file exceeds it; else a quarter of the file's size). Target:
   the JSON Lines run's peak RSS at most ~200 MB above the plain-text run's.

Every run's output is checked: each Wirehouse warehouse (`wirehouse query`) and each bare
loop's Parquet must hold exactly the articles written, one row each, or the benchmark
fails; the share of languages and publication dates that agree with the generated ones is
printed next to the speed. Before anything is timed, a warm-up ingest migrates Prefect's
database (bench.throughput.warmed_up), and an ingest of the 5 seed files is timed as the
fixed cost of one `wirehouse ingest` (CLI start, flow run, plan, link, commit). The local
Prefect server the warm-up starts (flows/server.py: one per PREFECT_HOME, detached, reused
by every later ingest) is outside the sampled process tree: its own peak RSS during each
ingest is the "server RSS" column; `wirehouse server stop` stops it at the end.

Prints docs/s, MB/s, peak RSS/PSS and the ratios, and writes bench-results/formats-N.json.
The corpora are kept in DIR and reused when the parameters match. Timings are wall clock
on whatever else the machine is doing: compare the ratios within one run.
"""

from __future__ import annotations

import argparse
import html
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.table import Table

from bench.corpus import DEFAULT_EVAL_DIR, FILES_PER_DIR, Sources, _original, choose_style, render
from bench.corpus import load_sources as _load_sources
from bench.peers import corpus_files, write_rows
from bench.throughput import (
    BIN,
    RESULTS,
    Measured,
    _machine,
    _PeakRss,
    bench_env,
    console,
    measure,
    warmed_up,
)

CORPUS_VERSION = 1  # bump when the writers below change: cached corpora are rewritten
DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024  # wirehouse.settings.Settings.max_file_bytes
CRAWL_DATE = "2026-01-15T08:00:00Z"  # after every article's date (bench.corpus: <= 2025)
HTML_TARGET = 1.7  # Wirehouse / bare loop, HTML and WARC
MEMORY_TARGET_MB = 200.0  # big JSON Lines peak RSS over the plain-text run's
_NUMBER = re.compile(r"a(\d{7})")
_PARAGRAPHS = re.compile(r"\n\s*\n|\n {2,}(?=\S)")  # blank lines; indented wire paragraphs
_SPACES = re.compile(r"\s+")

# bench.corpus style -> (host, site name) of the pages and URLs.
SITES: dict[str, tuple[str, str]] = {
    "tass": ("tass.com", "TASS"),
    "interfax": ("interfax.com", "Interfax"),
    "eir": ("larouchepub.com", "EIR"),
    "reuters_wire": ("reuters.com", "Reuters"),
    "reuters": ("reuters.com", "Reuters"),
    "xinhua": ("english.news.cn", "Xinhua"),
    "presstv": ("presstv.ir", "PressTV"),
    "afp": ("afp.com", "AFP"),
    "dpa": ("dpa.com", "dpa"),
    "efe": ("efe.com", "EFE"),
    "none": ("news.example.com", "Daily News"),
}
MENU = ("World", "Politics", "Business", "Markets", "Technology", "Sport", "Opinion", "Video")
FOOTER = ("About us", "Contact", "Advertise", "Terms of use", "Privacy policy", "RSS")


# --------------------------------------------------------------------------- articles


@dataclass(frozen=True, slots=True)
class Story:
    """One generated article, with what each format states about it."""

    number: int
    language: str
    when: date
    title: str
    plain: str  # the text as bench.corpus renders it: title, chrome, dateline, body
    maintext: str  # the same without its title paragraph
    host: str
    site: str

    @property
    def name(self) -> str:
        return f"a{self.number:07d}"

    @property
    def url(self) -> str:
        return f"https://{self.host}/news/{self.name}.html"

    def folder(self) -> str:
        return f"d{self.number // FILES_PER_DIR:04d}"


def stories(sources: Sources, start: int, stop: int, seed: int = 0) -> Iterator[Story]:
    """Articles number `start` … `stop - 1`: what bench.corpus writes for an original file
    of that number, always in UTF-8."""
    for number in range(start, stop):
        article, rng = _original(sources, seed, number)
        style = choose_style(article, rng)
        plain = render(article, style, rng)
        paragraphs = plain.split("\n\n")
        title = article.wire.title if article.wire is not None else article.title
        while paragraphs and _flat(paragraphs[0]).lower() in ("", _flat(title).lower()):
            paragraphs.pop(0)
        host, site = SITES[style]
        maintext = "\n\n".join(paragraphs).strip()
        yield Story(number, article.language, article.when, title, plain, maintext, host, site)


def _flat(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def html_page(story: Story) -> str:
    """A small news page: metadata in <head>, the article between menu and footer."""
    e = html.escape
    title, site, url = e(story.title), e(story.site), e(story.url)
    published = f"{story.when.isoformat()}T{story.number % 24:02d}:{story.number % 60:02d}:00Z"
    paragraphs = "\n".join(
        f"<p>{e(_flat(p))}</p>" for p in _PARAGRAPHS.split(story.maintext) if p.strip()
    )
    menu = "".join(f'<li><a href="/{m.lower()}">{m}</a></li>' for m in MENU)
    footer = "".join(f'<li><a href="/{f.lower().replace(" ", "-")}">{f}</a></li>' for f in FOOTER)
    related = "".join(
        f'<li><a href="/news/a{(story.number * 7 + k) % 9_999_999:07d}.html">'
        f"{e(MENU[(story.number + k) % len(MENU)])}: more from {site}</a></li>"
        for k in range(1, 4)
    )
    return f"""<!DOCTYPE html>
<html lang="{story.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} | {site}</title>
<meta property="og:site_name" content="{site}">
<meta property="og:type" content="article">
<meta property="og:title" content="{title}">
<meta property="og:url" content="{url}">
<meta property="article:published_time" content="{published}">
<link rel="canonical" href="{url}">
<link rel="stylesheet" href="/static/site.css">
<script src="/static/app.js" defer></script>
</head>
<body>
<header class="site-header"><a class="logo" href="/">{site}</a>
<nav class="menu"><ul>{menu}</ul></nav>
<form class="search" action="/search"><input name="q" placeholder="Search"></form></header>
<main>
<article class="story">
<h1 class="headline">{title}</h1>
<div class="share"><a href="#">Share</a> <a href="#">Print</a></div>
<div class="story-body">
{paragraphs}
</div>
</article>
<aside class="related"><h2>Read more</h2><ul>{related}</ul></aside>
</main>
<footer class="site-footer"><ul>{footer}</ul>
<p>&copy; {story.when.year} {site}. All rights reserved.</p></footer>
</body>
</html>
"""


def jsonl_record(story: Story) -> str:
    """A news-please record (its field names; `date_publish` as news-please writes it)."""
    record = {
        "id": story.name,
        "url": story.url,
        "title": story.title,
        "date_publish": f"{story.when.isoformat()} {story.number % 24:02d}:00:00",
        "maintext": story.maintext,
    }
    return json.dumps(record, ensure_ascii=False) + "\n"


# --------------------------------------------------------------------------- corpora


def write_corpora(
    n: int, root: Path, jsonl_files: int, warc_files: int, seed: int = 0
) -> dict[str, Any]:
    """The N articles as html/, plain/, jsonl/ and warc/ under `root`; reused when the
    parameters match. Returns sizes and the expected language and date per article."""
    params = {"version": CORPUS_VERSION, "n": n, "seed": seed}
    params |= {"jsonl_files": jsonl_files, "warc_files": warc_files}
    stamp = root / "corpora.json"
    if (reused := _reused(stamp, params)) is not None:
        return reused
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    sources = load_sources()
    folders = {kind: root / kind for kind in ("html", "plain", "jsonl", "warc")}
    for folder in folders.values():
        folder.mkdir(parents=True)
    per_jsonl, per_warc = math.ceil(n / jsonl_files), math.ceil(n / warc_files)
    jsonl_out = warc_out = None
    warc = None
    expected: dict[str, list[Any]] = {}
    for story in stories(sources, 0, n, seed):
        if story.number % per_jsonl == 0:
            _close(jsonl_out)
            target = folders["jsonl"] / f"articles-{story.number // per_jsonl:03d}.jsonl"
            jsonl_out = open(target, "w", encoding="utf-8")  # noqa: SIM115 (closed above)
        if story.number % per_warc == 0:
            _close(warc_out)
            target = folders["warc"] / f"pages-{story.number // per_warc:03d}.warc.gz"
            warc_out = open(target, "wb")  # noqa: SIM115 (closed above)
            warc = _warc_writer(warc_out, target.name)
        page = html_page(story).encode("utf-8")
        for kind, data in (("html", page), ("plain", story.plain.encode("utf-8"))):
            folder = folders[kind] / story.folder()
            folder.mkdir(exist_ok=True)
            (folder / f"{story.name}.{'html' if kind == 'html' else 'txt'}").write_bytes(data)
        assert jsonl_out is not None and warc is not None
        jsonl_out.write(jsonl_record(story))
        _write_response(warc, story.url, page)
        expected[story.name] = [story.language, story.when.isoformat()]
    _close(jsonl_out)
    _close(warc_out)
    result = {
        "params": params,
        "seconds": round(time.perf_counter() - started, 1),
        "real_text": sources.real,
        "bytes": {kind: _size(folder) for kind, folder in folders.items()},
        "files": {kind: sum(1 for _ in corpus_files(folder)) for kind, folder in folders.items()},
        "expected": expected,
    }
    stamp.write_text(json.dumps(result))
    return result


def _reused(stamp: Path, params: dict[str, Any]) -> dict[str, Any] | None:
    """What an earlier run wrote under `stamp`, if it was written with these parameters."""
    if not stamp.exists():
        return None
    written = json.loads(stamp.read_text())
    return written if written.get("params") == params else None


def write_big(root: Path, big_mb: float, start: int, seed: int = 0) -> dict[str, Any]:
    """One JSON Lines file of about `big_mb` MB and a plain-text folder of the same
    articles (numbers `start`, `start + 1`, …); reused when the parameters match."""
    params = {"version": CORPUS_VERSION, "big_mb": big_mb, "start": start, "seed": seed}
    stamp = root / "big.json"
    if (reused := _reused(stamp, params)) is not None:
        return reused
    shutil.rmtree(root, ignore_errors=True)
    started = time.perf_counter()
    sources = load_sources()
    jsonl, plain = root / "jsonl", root / "plain"
    jsonl.mkdir(parents=True)
    plain.mkdir()
    target, written, number = int(big_mb * 1e6), 0, start
    with open(jsonl / "big.jsonl", "w", encoding="utf-8") as out:
        while written < target:
            stop = number + 1000
            for story in stories(sources, number, stop, seed):
                line = jsonl_record(story)
                out.write(line)
                written += len(line.encode("utf-8"))
                folder = plain / story.folder()
                folder.mkdir(exist_ok=True)
                (folder / f"{story.name}.txt").write_bytes(story.plain.encode("utf-8"))
                if written >= target:
                    stop = story.number + 1
                    break
            number = stop
    result = {
        "params": params,
        "seconds": round(time.perf_counter() - started, 1),
        "articles": number - start,
        "bytes": {"jsonl": _size(jsonl), "plain": _size(plain)},
    }
    stamp.write_text(json.dumps(result))
    return result


_SOURCES: list[Sources] = []


def load_sources() -> Sources:
    """bench.corpus's sentence pools and wire stories, loaded once."""
    if not _SOURCES:
        _SOURCES.append(_load_sources(DEFAULT_EVAL_DIR))
    return _SOURCES[0]


def _warc_writer(out: Any, filename: str) -> Any:
    from warcio.warcwriter import WARCWriter

    writer = WARCWriter(out, gzip=True)
    info = writer.create_warcinfo_record(
        filename, {"software": "bench.formats", "format": "WARC File Format 1.1"}
    )
    writer.write_record(info)
    return writer


def _write_response(writer: Any, url: str, page: bytes) -> None:
    from warcio.statusandheaders import StatusAndHeaders

    http_headers = StatusAndHeaders(
        "200 OK",
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(page))),
            ("Server", "nginx"),
        ],
        protocol="HTTP/1.1",
    )
    record = writer.create_warc_record(
        url,
        "response",
        payload=io.BytesIO(page),
        http_headers=http_headers,
        warc_headers_dict={"WARC-Date": CRAWL_DATE},
    )
    writer.write_record(record)


def _close(handle: Any) -> None:
    if handle is not None:
        handle.close()


def _size(folder: Path) -> int:
    return sum(p.stat().st_size for p in corpus_files(folder))


# --------------------------------------------------------------------------- bare loops


def bare(kind: str, source: Path, out: Path) -> tuple[int, int]:
    """The loop a user would write: per page trafilatura.extract, htmldate.find_date and
    langdetect.detect (seeded, as langdetect's README says), rows to Parquet."""
    import htmldate
    import trafilatura
    from langdetect import DetectorFactory, detect
    from langdetect.lang_detect_exception import LangDetectException

    DetectorFactory.seed = 0

    def row(key: str, page: bytes) -> dict[str, Any] | None:
        text = trafilatura.extract(page)
        if not text:
            return None
        try:
            language = detect(text)
        except LangDetectException:
            language = None
        return {"key": key, "date": htmldate.find_date(page), "language": language, "text": text}

    def pages() -> Iterator[tuple[str, bytes]]:
        if kind == "html":
            for path in corpus_files(source):
                yield path.relative_to(source).as_posix(), path.read_bytes()
            return
        from fastwarc.warc import ArchiveIterator, WarcRecordType

        for path in sorted(source.glob("*.warc.gz")):
            with open(path, "rb") as stream:
                for record in ArchiveIterator(stream, record_types=WarcRecordType.response):
                    yield record.headers.get("WARC-Target-URI"), record.reader.read()

    return write_rows((row(key, page) for key, page in pages()), out)


# --------------------------------------------------------------------------- checks


def wirehouse_rows(warehouse: Path) -> list[dict[str, Any]]:
    """(key, language, published_date) of every article in the warehouse."""
    sql = (
        "SELECT coalesce(record_key, source_path) AS key, language, "
        "CAST(published_date AS VARCHAR) AS date FROM articles"
    )
    return _query(warehouse, sql)


def _query(warehouse: Path, sql: str) -> list[dict[str, Any]]:
    command = [str(BIN / "wirehouse"), "query", "--warehouse", str(warehouse)]
    command += ["--format", "json", "--limit", "100000000", sql]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def check(
    name: str, rows: list[dict[str, Any]], expected: dict[str, list[Any]] | int
) -> dict[str, Any]:
    """Whether the rows are the articles written, each once; fails loudly if not. With the
    expected (language, date) per article, also the shares that agree."""
    numbers = [m.group(0) for row in rows if (m := _NUMBER.search(str(row["key"])))]
    want = expected if isinstance(expected, int) else len(expected)
    found = {"rows": len(rows), "articles": len(set(numbers)), "expected": want}
    if isinstance(expected, dict):
        by_name = {m.group(0): r for r in rows if (m := _NUMBER.search(str(r["key"])))}
        missing = sorted(set(expected) - set(by_name))[:5]
        languages = dates = 0
        for article, (language, day) in expected.items():
            row = by_name.get(article)
            if row is None:
                continue
            languages += (row.get("language") or "").split("-")[0] == language
            dates += str(row.get("date") or "")[:10] == day
        found |= {"language_agrees": languages / want, "date_agrees": dates / want}
    else:
        missing = []
    if len(rows) != want or found["articles"] != want:
        raise RuntimeError(
            f"{name}: {len(rows):,} rows, {found['articles']:,} distinct articles, "
            f"expected {want:,} (missing e.g. {missing})"
        )
    return found


def bare_rows(out: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    if not out.exists():
        return []
    return pq.read_table(out, columns=["key", "language", "date"]).to_pylist()


# --------------------------------------------------------------------------- run


@dataclass
class Contender:
    """One measured run and what it was measured on."""

    measured: Measured
    fmt: str
    docs: int
    megabytes: float
    checked: dict[str, Any]
    server_mb: float | None = None  # peak RSS of the detached local Prefect server meanwhile

    def row(self) -> dict[str, Any]:
        seconds = self.measured.seconds
        return asdict(self.measured) | {
            "format": self.fmt,
            "docs": self.docs,
            "input_mb": self.megabytes,
            "docs_per_s": self.docs / seconds,
            "mb_per_s": self.megabytes / seconds,
            "checked": self.checked,
            "server_peak_rss_mb": self.server_mb,
        }


def run(
    n: int,
    workdir: Path,
    skip: set[str],
    big_mb: float = 200.0,
    workers: int = 2,
    jsonl_files: int = 1,
    warc_files: int = 1,
) -> dict[str, Any]:
    root = workdir / f"formats-{n}"
    corpora = write_corpora(n, root, jsonl_files, warc_files)
    console.print(
        f"corpora: {n:,} articles in {root} ("
        + ", ".join(f"{k} {v / 1e6:,.1f} MB" for k, v in corpora["bytes"].items())
        + f"; text from {'evaluation data' if corpora['real_text'] else 'built-in words'})"
    )
    env = bench_env(workdir)
    with warmed_up(workdir, env):  # the local Prefect server, stopped at the end
        return _run(n, workdir, skip, big_mb, workers, root, corpora, env)


def _run(
    n: int,
    workdir: Path,
    skip: set[str],
    big_mb: float,
    workers: int,
    root: Path,
    corpora: dict[str, Any],
    env: dict[str, str],
) -> dict[str, Any]:
    expected = corpora["expected"]
    home = Path(env["PREFECT_HOME"])
    results: dict[str, Contender] = {}
    scratch = workdir / "warehouses"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()

    def ingest(key: str, label: str, source: Path, fmt: str, *extra: str) -> Contender:
        warehouse = scratch / key
        command = [str(BIN / "wirehouse"), "ingest", str(source), "--warehouse", str(warehouse)]
        command += ["--show", "0", "--workers", str(workers), *extra]
        server = _server_sampler(home)
        measured = measure(label, command, env)
        if server is not None:
            server.stop()
        if fmt == "big":  # only counted: the big runs' articles are not kept in memory
            want: dict[str, list[Any]] | int = big["articles"]
            sql = "SELECT coalesce(record_key, source_path) AS key FROM articles"
            rows = _query(warehouse, sql)
        else:
            want, rows = expected, wirehouse_rows(warehouse)
        checked = check(label, rows, want)
        _print_check(checked)
        megabytes = _size(source) / 1e6
        docs = want if isinstance(want, int) else len(want)
        server_mb = server.mb if server is not None else None
        results[key] = Contender(measured, fmt, docs, megabytes, checked, server_mb)
        shutil.rmtree(warehouse)
        return results[key]

    def bare_loop(key: str, label: str, kind: str, source: Path) -> None:
        out = scratch / f"{key}.parquet"
        command = [sys.executable, "-m", "bench.formats", "bare", kind, str(source), str(out)]
        measured = measure(label, command, env)
        checked = check(label, bare_rows(out), expected)
        _print_check(checked)
        results[key] = Contender(measured, kind, n, _size(source) / 1e6, checked)
        out.unlink(missing_ok=True)

    seeds = Path(__file__).resolve().parent.parent / "seeds"
    command = [str(BIN / "wirehouse"), "ingest", str(seeds), "--warehouse", str(scratch / "seeds")]
    command += ["--show", "0", "--workers", str(workers)]
    fixed = measure("wirehouse ingest of the 5 seed files (fixed cost)", command, env)
    shutil.rmtree(scratch / "seeds")
    big: dict[str, Any] = {}
    if "html" not in skip:
        ingest("html", "html: wirehouse ingest", root / "html", "html")
        bare_loop("html_bare", "html: bare loop", "html", root / "html")
    if "jsonl" not in skip:
        ingest("jsonl", "jsonl: wirehouse ingest", root / "jsonl", "jsonl")
        ingest("plain", "plain: wirehouse ingest", root / "plain", "text")
    if "warc" not in skip:
        ingest("warc", "warc.gz: wirehouse ingest", root / "warc", "warc")
        bare_loop("warc_bare", "warc.gz: bare loop", "warc", root / "warc")
    max_file_bytes = None
    if "big" not in skip:
        big = write_big(workdir / f"formats-big-{big_mb:g}", big_mb, start=n)
        big_root = workdir / f"formats-big-{big_mb:g}"
        size = big["bytes"]["jsonl"]
        max_file_bytes = DEFAULT_MAX_FILE_BYTES if size > DEFAULT_MAX_FILE_BYTES else size // 4
        console.print(
            f"big: {big['articles']:,} articles, JSON Lines {size / 1e6:,.0f} MB, plain text "
            f"{big['bytes']['plain'] / 1e6:,.0f} MB; --max-file-bytes {max_file_bytes:,}"
        )
        limit = ("--max-file-bytes", str(max_file_bytes))
        ingest("big_jsonl", "big jsonl: wirehouse (streamed)", big_root / "jsonl", "big", *limit)
        ingest("big_plain", "big plain: wirehouse ingest", big_root / "plain", "big", *limit)
    report = _report(n, results, fixed, corpora, big, max_file_bytes, workers)
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"formats-{n}.json"
    target.write_text(json.dumps(report, indent=2))
    console.print(f"figures written to {target}")
    return report


def _server_sampler(home: Path) -> _PeakRss | None:
    """A sampler of the local Prefect server of `home` (flows/server.py), started: it runs
    detached from the ingest (reused by the next one), outside the tree `measure` samples."""
    try:
        pid = json.loads((home / "wirehouse-server.json").read_text())["pid"]
        sampler = _PeakRss(int(pid))
    except (OSError, ValueError, KeyError, psutil.Error):
        return None
    sampler.start()
    return sampler


def _print_check(checked: dict[str, Any]) -> None:
    line = f"  landed {checked['rows']:,} of {checked['expected']:,} articles"
    if "language_agrees" in checked:
        line += (
            f"; language = generated: {100 * checked['language_agrees']:.1f} %, "
            f"date = generated: {100 * checked['date_agrees']:.1f} %"
        )
    console.print(line)


def _report(
    n: int,
    results: dict[str, Contender],
    fixed: Measured,
    corpora: dict[str, Any],
    big: dict[str, Any],
    max_file_bytes: int | None,
    workers: int,
) -> dict[str, Any]:
    table = Table(title=f"Formats, N = {n:,} articles, {workers} workers, {os.cpu_count()} cores")
    columns = ("run", "docs", "input MB", "seconds", "docs/s", "MB/s", "peak RSS MB")
    columns += ("peak PSS MB", "server RSS MB")
    for column in (*columns, "lang ok", "date ok"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for contender in results.values():
        m, checked = contender.measured, contender.checked
        table.add_row(
            m.name,
            f"{contender.docs:,}",
            f"{contender.megabytes:,.1f}",
            f"{m.seconds:,.1f}",
            f"{contender.docs / m.seconds:,.1f}",
            f"{contender.megabytes / m.seconds:,.2f}",
            f"{m.peak_rss_mb:,.0f}",
            f"{m.peak_pss_mb:,.0f}",
            f"{contender.server_mb:,.0f}" if contender.server_mb else "",
            f"{100 * checked['language_agrees']:.0f} %" if "language_agrees" in checked else "",
            f"{100 * checked['date_agrees']:.0f} %" if "date_agrees" in checked else "",
        )
    # Not wrapped to 80 columns when the output is a file or a pipe.
    (console if console.is_terminal else Console(width=150)).print(table)
    console.print(
        f"fixed cost of one wirehouse ingest (5 seed files: CLI, Prefect server, plan, "
        f"commit): {fixed.seconds:.1f} s"
    )

    def speed(key: str) -> float:
        return results[key].docs / results[key].measured.seconds

    ratios: dict[str, dict[str, Any]] = {}
    for label, fast, slow, target in (
        ("html: wirehouse / bare loop (throughput)", "html", "html_bare", HTML_TARGET),
        ("jsonl / plain text, both wirehouse (throughput)", "jsonl", "plain", None),
        ("warc.gz: wirehouse / bare loop (throughput)", "warc", "warc_bare", HTML_TARGET),
    ):
        if fast in results and slow in results:
            value = speed(fast) / speed(slow)
            ratios[label] = {"value": value, "target": target}
            verdict = "" if target is None else f" (target >= {target}x: {_ok(value >= target)})"
            console.print(f"{label}: {value:.2f}x{verdict}")
    if "big_jsonl" in results and "big_plain" in results:
        over = results["big_jsonl"].measured.peak_rss_mb - results["big_plain"].measured.peak_rss_mb
        pss = results["big_jsonl"].measured.peak_pss_mb - results["big_plain"].measured.peak_pss_mb
        label = "big jsonl peak RSS - big plain peak RSS (MB)"
        ratios[label] = {"value": over, "target": MEMORY_TARGET_MB, "pss_difference_mb": pss}
        console.print(
            f"{label}: {over:+,.0f} MB (PSS {pss:+,.0f} MB; target <= {MEMORY_TARGET_MB:.0f} MB: "
            f"{_ok(over <= MEMORY_TARGET_MB)})"
        )
    return {
        "n": n,
        "workers": workers,
        "machine": _machine(),
        "corpora": {k: v for k, v in corpora.items() if k != "expected"},
        "big": big,
        "max_file_bytes_big": max_file_bytes,
        "fixed_cost": asdict(fixed),
        "runs": {key: contender.row() for key, contender in results.items()},
        "ratios": ratios,
        "at": datetime.now().isoformat(timespec="seconds"),
    }


def _ok(passed: bool) -> str:
    return "met" if passed else "MISSED"


# --------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bare"]:  # one bare loop, in the subprocess `run` measures
        kind, source, out = argv[1], Path(argv[2]), Path(argv[3])
        files, rows = bare(kind, source, out)
        print(f"files={files} rows={rows}")
        return 0
    parser = argparse.ArgumentParser(
        prog="python -m bench.formats", description=__doc__.splitlines()[0]
    )
    parser.add_argument("n", type=int, nargs="?", default=3000, help="articles (3000)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/wirehouse-bench-formats"))
    parser.add_argument("--big-mb", type=float, default=200.0, help="big JSON Lines file, MB")
    parser.add_argument("--workers", type=int, default=2, help="wirehouse ingest --workers")
    parser.add_argument("--jsonl-files", type=int, default=1, help="JSON Lines files (1)")
    parser.add_argument("--warc-files", type=int, default=1, help=".warc.gz files (1)")
    parser.add_argument("--skip", default="", help="comma-separated: html,jsonl,warc,big")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    skip = set(filter(None, args.skip.split(",")))
    run(
        args.n,
        args.workdir.resolve(),
        skip,
        args.big_mb,
        args.workers,
        args.jsonl_files,
        args.warc_files,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
