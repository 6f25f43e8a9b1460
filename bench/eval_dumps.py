"""The record readers (tasks/readers/records.py) on real dumps, and JSON Lines throughput.

    python -m bench.eval_dumps [FOLDER] [--records 20000] [--json OUT]

FOLDER (default ../shared/eval/dumps) holds, as described in ../shared/eval/FORMATS.md:
`news-please/sample.json` (1 article), `giveme5w1h-news_cluster/*.json` (421 news-please
files of the older schema: 419 articles, 2 empty files, 23 null dates) and
`mediacloud2/*.json` (two Media Cloud search responses, 3 stories each, without text).

Every file goes through `read_documents` as an ingest would (the reader chosen by content).
Per set: files, the reader chosen, documents read against those expected, rejects by reason,
and how many records have title / text / date / URL / outlet mapped; the last is counted on
the records themselves (with the readers' `FieldMap`), so records rejected for having no
text still show which of their other fields map. Then a JSON Lines file of N generated
news-please records (written to a temporary folder, never into the repository) is read and
timed: documents/s and MB/s. The evaluation data is only read, never copied.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from wirehouse.tasks.errors import RejectError
from wirehouse.tasks.readers import (
    Document,
    ReadOptions,
    RecordReject,
    choose_reader,
    read_documents,
)
from wirehouse.tasks.readers.records import DUMP_KEYS, JSONL, FieldMap, parse_date

DEFAULT_FOLDER = Path(__file__).resolve().parent.parent.parent / "shared" / "eval" / "dumps"
OPTIONS = ReadOptions(latest=date.today())

# What FORMATS.md states per set: files, articles (documents that should land).
EXPECTED = {
    "news-please": {"glob": "news-please/*.json", "files": 1, "articles": 1},
    "giveme5w1h": {
        "glob": "giveme5w1h-news_cluster/*.json",
        "files": 421,
        "articles": 419,
        "empty_files": 2,
        "null_dates": 23,
    },
    "mediacloud2": {"glob": "mediacloud2/*.json", "files": 2, "articles": 6},
}
MAPPED = ("title", "text", "published", "url", "outlet", "language")


def _raw_records(raw: bytes) -> list[dict[str, Any]]:
    """The records of a JSON file as dicts, for counting mapped fields (not the reader)."""
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    if isinstance(data, dict):
        for key in DUMP_KEYS:
            if isinstance(data.get(key), list):
                return [r for r in data[key] if isinstance(r, dict)]
        return [data]
    return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []


def evaluate_set(files: list[Path], expected: dict[str, Any]) -> dict[str, Any]:
    fields = FieldMap()
    readers: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    mapped: Counter[str] = Counter()
    stated: Counter[str] = Counter()
    examples: dict[str, str] = {}
    documents = records = 0
    for path in files:
        raw = path.read_bytes()
        if not raw:
            reasons["empty (0-byte file)"] += 1
            continue
        readers[choose_reader(raw[:65536], path.name).name] += 1
        for record in _raw_records(raw):
            records += 1
            found = fields.find(record)
            for name in MAPPED:
                if name == "published":
                    ok = "published" in found and parse_date(found["published"][1]) is not None
                else:
                    ok = name in found
                mapped[name] += ok
        try:
            items = list(read_documents(raw, path.name, OPTIONS))
        except RejectError as exc:
            reasons[f"{exc.reason} (file)"] += 1
            examples.setdefault(f"{exc.reason} (file)", exc.message)
            continue
        for item in items:
            if isinstance(item, RecordReject):
                reasons[item.reason] += 1
                examples.setdefault(item.reason, item.message)
            elif isinstance(item, Document):
                documents += 1
                s = item.stated
                for name, value in (
                    ("title", s.title),
                    ("published", s.published),
                    ("url", s.url),
                    ("outlet", s.outlet),
                ):
                    stated[name] += value is not None
    return {
        "files": len(files),
        "expected_files": expected["files"],
        "readers": dict(readers),
        "records": records,
        "documents": documents,
        "expected_articles": expected["articles"],
        "rejects": dict(reasons),
        "reject_examples": examples,
        "mapped": {name: mapped[name] for name in MAPPED},
        "stated_on_documents": dict(stated),
    }


def evaluate_dumps(folder: Path | str = DEFAULT_FOLDER) -> dict[str, Any]:
    """Per set of FOLDER: documents read vs expected, fields mapped, rejects by reason."""
    folder = Path(folder)
    sets: dict[str, Any] = {}
    for name, expected in EXPECTED.items():
        files = sorted(folder.glob(expected["glob"]))
        if files:
            sets[name] = evaluate_set(files, expected)
    return {"folder": str(folder), "sets": sets}


def time_jsonl(count: int = 20_000, seed: int = 7) -> dict[str, Any]:
    """Write `count` generated news-please records as JSON Lines (temp dir) and read them."""
    rng = random.Random(seed)
    words = ["the", "minister", "said", "on", "Tuesday", "that", "talks", "would", "resume"]
    with tempfile.TemporaryDirectory(prefix="wirehouse-jsonl-") as tmp:
        path = Path(tmp) / "dump.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for i in range(count):
                paragraphs = [
                    " ".join(rng.choices(words, k=rng.randint(30, 80)))
                    for _ in range(rng.randint(3, 8))
                ]
                day = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
                record = {
                    "authors": ["A. Writer"],
                    "date_publish": f"{day} 10:00:00",
                    "language": "en",
                    "maintext": "\n\n".join(paragraphs),
                    "source_domain": "www.example.com",
                    "title": f"Story {i}",
                    "url": f"https://www.example.com/news/{i}",
                }
                out.write(json.dumps(record) + "\n")
        size = path.stat().st_size
        start = time.perf_counter()
        with path.open("rb") as stream:
            read = sum(isinstance(i, Document) for i in JSONL.read(stream, path.name, OPTIONS))
        seconds = time.perf_counter() - start
    return {
        "records": count,
        "documents": read,
        "mb": size / 1e6,
        "seconds": seconds,
        "docs_per_s": read / seconds,
        "mb_per_s": size / 1e6 / seconds,
    }


def _print(result: dict[str, Any], timing: dict[str, Any] | None, console: Console) -> None:
    table = Table(title=f"Record dumps in {result['folder']}")
    for column in ("set", "files", "reader", "docs / expected", "rejects", *MAPPED):
        table.add_column(
            column, justify="left" if column in ("set", "reader", "rejects") else "right"
        )
    for name, s in result["sets"].items():
        rejects = ", ".join(f"{k}: {v}" for k, v in sorted(s["rejects"].items())) or "-"
        table.add_row(
            name,
            f"{s['files']}/{s['expected_files']}",
            ", ".join(f"{k} {v}" for k, v in s["readers"].items()),
            f"{s['documents']}/{s['expected_articles']}",
            rejects,
            *(f"{s['mapped'][m]}/{s['records']}" for m in MAPPED),
        )
    console.print(table)
    for name, s in result["sets"].items():
        for reason, message in s["reject_examples"].items():
            console.print(f"  [dim]{name} {reason}: {message[:160]}[/dim]")
    if timing:
        console.print(
            f"JSON Lines: {timing['documents']:,} of {timing['records']:,} records, "
            f"{timing['mb']:.1f} MB in {timing['seconds']:.2f} s = "
            f"{timing['docs_per_s']:,.0f} docs/s, {timing['mb_per_s']:.1f} MB/s"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder", nargs="?", default=str(DEFAULT_FOLDER))
    parser.add_argument("--records", type=int, default=20_000, help="0 skips the timing")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    result = evaluate_dumps(args.folder)
    timing = time_jsonl(args.records) if args.records else None
    _print(result, timing, Console(width=170))
    if args.json:
        Path(args.json).write_text(json.dumps({**result, "jsonl_timing": timing}, indent=2))


if __name__ == "__main__":
    main()
