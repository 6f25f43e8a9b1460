"""The real pipeline on ../shared/eval/wire, scored as that folder's README says.

The 1,498 articles are copied into a temporary folder, so their modification times are
today, as for a user who copied an old archive. They are then ingested with the CLI
(`wirehouse ingest`, with a temporary PREFECT_HOME and warehouse). The `articles` view is
exported with DuckDB and matched to `truth.csv` by the last two components of the path.
Every figure is given per set, per language and over all sets, as a count and a percentage.
Dates inferred from the file time (`date_source` `inferred:*`) count like any other date.
They are also shown apart, by `date_source` and by `date_confidence` band, so their error
rate is visible.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any

from bench.scoring import (
    Examples,
    Tally,
    cell,
    collapsed_nfc,
    compact_table,
    console,
    flat,
    grouped_table,
    percent,
    print_examples,
)

INGEST_TIMEOUT = 1800
OPTIONAL_COLUMNS = ("date_confidence", "inferred_date", "language_evidence")
EXPORT_COLUMNS = (
    "source_path",
    "title",
    "published_date",
    "pub_year",
    "pub_month",
    "pub_day",
    "date_text",
    "date_source",
    "language",
    "source",
    "source_evidence",
    "encoding",
    *OPTIONAL_COLUMNS,
)

# How wire credits name each agency in the first 400 characters (wire/README.md). The long
# names are matched in any case (`ИНТЕРФАКС`, `XINHUA`); short ones as written, as words.
AGENCY_NAMES: dict[str, re.Pattern[str]] = {
    "afp": re.compile(r"\bAFP\b"),
    "xinhua": re.compile(r"(?i:xinhua)|新华社"),
    "ap": re.compile(r"\(AP\)"),
    "tass": re.compile(r"\bТАСС\b|\bTASS\b"),
    "ria": re.compile(r"(?i:РИА Новости|RIA Novosti)"),
    "interfax": re.compile(r"(?i:Интерфакс|Interfax)"),
    "unian": re.compile(r"\bУНІАН\b|\bUNIAN\b"),
    "ukrinform": re.compile(r"(?i:Укрінформ|Ukrinform)"),
    "bta": re.compile(r"\bБТА\b|\bBTA\b"),
    "pap": re.compile(r"\bPAP\b"),
    "ctk": re.compile(r"ČTK"),
    "sta": re.compile(r"\bSTA\b"),
    "regnum": re.compile(r"REGNUM"),
    "prime": re.compile(r"ПРАЙМ|\bPRIME\b"),
    "focus": re.compile(r"Фокус|\bFocus\b"),
}

# Export values -> truth slugs, after lower-casing and dropping non-alphanumerics.
SOURCE_LONG_FORMS = {
    "itartass": "tass",
    "tassru": "tass",
    "rianovosti": "ria",
    "associatedpress": "ap",
    "apw": "ap",
    "agencefrancepresse": "afp",
    "xinhuanewsagency": "xinhua",
    "xinhuanet": "xinhua",
    "interfaxukraine": "interfax",
    "čtk": "ctk",
    "ceskenoviny": "ctk",
    "1prime": "prime",
    "focusnews": "focus",
    "unianua": "unian",
    "btabg": "bta",
    "regnumru": "regnum",
}

LABELS = {
    "landed": "landed",
    "language": "language",
    "full_date": "full date where stated (date_in_text=1)",
    "date_coverage": "date given, of rows with a known date",
    "wrong_date": "wrong dates among those given",
    "md": "month/day where stated (md_in_text=1)",
    "md_coverage": "month/day given, of rows with a known date",
    "md_wrong": "wrong month/day among those given",
    "outlet_named": "outlet where the text names it",
    "outlet_all": "outlet over all rows with a source",
    "wrong_outlet": "wrong outlets (rows with a source)",
    "title_exact": "title, exact after strip",
    "title_nfc": "title, whitespace-collapsed NFC",
}
EXAMPLE_METRICS = (
    "landed",
    "language",
    "full_date",
    "wrong_date",
    "md",
    "md_wrong",
    "outlet_named",
    "wrong_outlet",
    "title_exact",
    "title_nfc",
)
# For these a hit is a failure; for the others a miss is.
ERROR_METRICS = {"wrong_date", "md_wrong", "wrong_outlet"}


def source_slug(value: str | None) -> str | None:
    if not value:
        return None
    key = re.sub(r"[\W_]+", "", value.lower())
    return SOURCE_LONG_FORMS.get(key, key) or None


def language_code(value: str | None) -> str | None:
    return re.split(r"[-_]", value.lower())[0] if value else None


def match_key(source_path: str) -> str:
    return "/".join(PurePosixPath(source_path.replace("\\", "/")).parts[-2:])


# --------------------------------------------------------------------- ingest and export


def run_ingest(source: Path, warehouse: Path, prefect_home: Path) -> dict[str, Any]:
    """`wirehouse ingest SOURCE --warehouse WAREHOUSE` in a subprocess, on its own Prefect
    home (an ephemeral API), so the evaluation leaves nothing in the project's database."""
    binary = Path(sys.executable).with_name("wirehouse")
    command = [
        str(binary) if binary.exists() else "wirehouse",
        "ingest",
        str(source),
        "--warehouse",
        str(warehouse),
        "--show",
        "0",
    ]
    env = dict(os.environ)
    env["PREFECT_HOME"] = str(prefect_home)
    env.pop("PREFECT_API_URL", None)
    env["WIREHOUSE_EPHEMERAL"] = "1"  # a temporary server, gone with the command
    env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    env.setdefault("DO_NOT_TRACK", "1")
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            command, capture_output=True, text=True, env=env, timeout=INGEST_TIMEOUT, check=False
        )
        returncode, output = proc.returncode, proc.stdout + proc.stderr
    except subprocess.TimeoutExpired as exc:
        returncode, output = -1, f"timed out after {INGEST_TIMEOUT} s: {exc}"
    return {
        "command": " ".join(
            [*command[:2], "<copy of wire/>", "--warehouse", "<tmp>", "--show", "0"]
        ),
        "returncode": returncode,
        "elapsed_seconds": round(time.perf_counter() - started, 1),
        "output_tail": output.strip().splitlines()[-15:],
    }


def export_articles(database: Path) -> tuple[list[dict[str, Any]], list[str], dict[str, Any]]:
    """The `articles` view (optional columns only where present), rejects and run counts."""
    import duckdb

    con = duckdb.connect(str(database), read_only=True)
    try:
        present = [row[0] for row in con.execute("DESCRIBE articles").fetchall()]
        columns = [c for c in EXPORT_COLUMNS if c in present]
        rows = [
            dict(zip(columns, values, strict=True))
            for values in con.execute(f"SELECT {', '.join(columns)} FROM articles").fetchall()
        ]
        run: dict[str, Any] = {}
        try:
            rejects = con.execute("SELECT source_path, reason, message FROM rejects").fetchall()
            run["rejects"] = [list(r) for r in rejects]
            counts = con.execute(
                "SELECT discovered, new, rejected, ingested FROM runs ORDER BY started_at DESC"
            ).fetchone()
            if counts:
                run.update(zip(("discovered", "new", "rejected", "ingested"), counts, strict=True))
        except duckdb.Error as exc:
            run["error"] = str(exc)
    finally:
        con.close()
    return rows, present, run


# --------------------------------------------------------------------- scoring


def read_truth(folder: Path) -> list[dict[str, str]]:
    with (folder / "truth.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def file_text(folder: Path, row: dict[str, str]) -> str:
    raw = (folder / row["path"]).read_bytes()
    return raw.decode(row["encoding"] or "utf-8", errors="replace")


def wire_checks(
    truth: dict[str, str], got: dict[str, Any] | None, head: str
) -> dict[str, tuple[bool, Any, Any]]:
    """Per metric this row is measured on: (hit, expected, got)."""
    row = got or {}
    checks: dict[str, tuple[bool, Any, Any]] = {
        "landed": (got is not None, "in the export", "landed" if got else "missing"),
    }
    if truth["language"]:
        lang = language_code(row.get("language"))
        checks["language"] = (lang == truth["language"], truth["language"], row.get("language"))
    accepted = {d for d in (truth["date"], truth["alt_date"]) if d}
    if accepted:
        published = row.get("published_date")
        given = str(published)[:10] if published is not None else None
        accepted_md = {(int(d[5:7]), int(d[8:10])) for d in accepted}
        month, day = row.get("pub_month"), row.get("pub_day")
        md = (int(month), int(day)) if month is not None and day is not None else None
        expected = " or ".join(sorted(accepted))
        shown = f"{given} ({row.get('date_source')}: {row.get('date_text')!r})"
        if truth["date_in_text"] == "1":
            checks["full_date"] = (given in accepted, expected, shown)
        checks["date_coverage"] = (given is not None, expected, given)
        if given is not None:
            checks["wrong_date"] = (given not in accepted, expected, shown)
        md_shown = f"{md} ({row.get('date_source')}: {row.get('date_text')!r})"
        if truth["md_in_text"] == "1":
            checks["md"] = (md in accepted_md, sorted(accepted_md), md_shown)
        checks["md_coverage"] = (md is not None, sorted(accepted_md), md)
        if md is not None:
            checks["md_wrong"] = (md not in accepted_md, sorted(accepted_md), md_shown)
    if truth["source"]:
        slug = source_slug(row.get("source"))
        shown = f"{row.get('source')} ({row.get('source_evidence')})"
        if AGENCY_NAMES.get(truth["source"], re.compile(r"(?!)")).search(head[:400]):
            checks["outlet_named"] = (slug == truth["source"], truth["source"], shown)
        checks["outlet_all"] = (slug == truth["source"], truth["source"], shown)
        checks["wrong_outlet"] = (
            slug is not None and slug != truth["source"],
            truth["source"],
            shown,
        )
    if truth["title"]:
        title = row.get("title")
        checks["title_exact"] = (
            (title or "").strip() == truth["title"].strip(),
            truth["title"],
            title,
        )
        checks["title_nfc"] = (
            collapsed_nfc(title) == collapsed_nfc(truth["title"]),
            truth["title"],
            title,
        )
    return checks


CONFIDENCE_BANDS = ((1.0, "1.0"), (0.8, "[0.8, 1)"), (0.5, "[0.5, 0.8)"), (0.25, "[0.25, 0.5)"))


def confidence_band(value: float | None) -> str:
    if value is None:
        return "NULL"
    return next((label for low, label in CONFIDENCE_BANDS if value >= low), "< 0.25")


def score_wire(
    folder: Path, truth_rows: list[dict[str, str]], export: list[dict[str, Any]], columns: list[str]
) -> dict[str, Any]:
    by_key = {match_key(r["source_path"]): r for r in export}
    tally, examples = Tally(), Examples()
    by_source = Tally()  # dates given, by date_source and by confidence band
    unscored_sources: Counter[str] = Counter()
    for truth in truth_rows:
        got = by_key.get(truth["path"])
        text = file_text(folder, truth)
        groups = ("all", f"set:{truth['set']}", f"lang:{truth['language']}")
        for metric, (hit, expected, shown) in wire_checks(truth, got, text).items():
            tally.add(groups, metric, hit)
            failed = hit if metric in ERROR_METRICS else not hit
            if failed and metric in EXAMPLE_METRICS:
                examples.add(
                    metric,
                    truth["set"],
                    {
                        "path": truth["path"],
                        "expected": expected,
                        "got": shown,
                        "head": flat(text, 120),
                    },
                )
        if got is None:
            continue
        accepted = {d for d in (truth["date"], truth["alt_date"]) if d}
        published = got.get("published_date")
        if accepted and published is not None:
            wrong = str(published)[:10] not in accepted
            by_source.add([f"date_source {got.get('date_source')}"], "wrong_date", wrong)
            if "date_confidence" in columns:
                band = confidence_band(got.get("date_confidence"))
                by_source.add([f"date_confidence {band}"], "wrong_date", wrong)
        if accepted and got.get("pub_month") is not None and got.get("pub_day") is not None:
            md = (int(got["pub_month"]), int(got["pub_day"]))
            wrong_md = md not in {(int(d[5:7]), int(d[8:10])) for d in accepted}
            by_source.add([f"date_source {got.get('date_source')}"], "md_wrong", wrong_md)
        if accepted and "inferred_date" in columns and got.get("inferred_date") is not None:
            wrong = str(got["inferred_date"])[:10] not in accepted
            by_source.add(["inferred_date (column)"], "wrong_date", wrong)
        if not truth["source"] and got.get("source"):
            unscored_sources[f"{got['source']} ({truth['set']})"] += 1
    return {
        "tally": tally,
        "by_source": by_source,
        "examples": examples.picked(),
        "unscored_sources": dict(unscored_sources.most_common()),
    }


# --------------------------------------------------------------------- report


def print_wire(scored: dict[str, Any], run: dict[str, Any], ingest: dict[str, Any]) -> None:
    tally: Tally = scored["tally"]
    sections = [("set", tally.groups("set:")), ("lang", tally.groups("lang:")), ("", ["all"])]
    console.print(
        grouped_table(
            "wire/: dates (real ingest via the CLI, files copied today; %, count/measured)",
            tally,
            sections,
            [
                ("landed", "landed"),
                ("full date where stated", "full_date"),
                ("wrong dates ↓", "wrong_date"),
                ("date given", "date_coverage"),
                ("m/d where stated", "md"),
                ("m/d wrong ↓", "md_wrong"),
            ],
        )
    )
    console.print(
        grouped_table(
            "wire/: language, outlets, titles (%, count/measured)",
            tally,
            sections,
            [
                ("language", "language"),
                ("outlet named", "outlet_named"),
                ("outlet, all", "outlet_all"),
                ("wrong outlet ↓", "wrong_outlet"),
                ("title exact", "title_exact"),
                ("title NFC", "title_nfc"),
            ],
        )
    )
    by_source: Tally = scored["by_source"]
    table = compact_table(
        "wire/: dates given, by the export's date_source / date_confidence", leading=1
    )
    for column in (
        "date_source / confidence",
        "full dates given",
        "wrong ↓",
        "m/d given",
        "md wrong ↓",
    ):
        table.add_column(column, justify="left" if column.startswith("date_") else "right")
    groups = sorted(by_source.counts, key=lambda g: (not g.startswith("date_source"), g))
    for i, group in enumerate(groups):
        nxt = groups[i + 1] if i + 1 < len(groups) else None
        kind, _, value = group.partition(" ")
        table.add_row(
            {"date_source": value, "date_confidence": f"confidence {value}"}.get(kind, group),
            str(by_source.get(group, "wrong_date")[1]),
            cell(by_source, group, "wrong_date"),
            str(by_source.get(group, "md_wrong")[1]),
            cell(by_source, group, "md_wrong"),
            end_section=nxt is not None and nxt.split()[0] != group.split()[0],
        )
    console.print(table)
    rejects = run.get("rejects", [])
    counts = {k: run[k] for k in ("discovered", "new", "rejected", "ingested") if k in run}
    console.print(
        f"ingest: exit {ingest['returncode']}, {ingest['elapsed_seconds']:.1f} s; "
        f"run counts {counts}; "
        f"rejected: {', '.join(f'{p} ({r})' for p, r, _ in rejects) or 'none'}",
        markup=False,
    )
    if scored["unscored_sources"]:
        console.print(
            "sources given where truth names no agency (not scored): "
            + ", ".join(f"{k} {n}" for k, n in scored["unscored_sources"].items()),
            markup=False,
        )
    console.print(
        "↓ = lower is better. Wrong dates count every published_date, inferred ones "
        "included; the files' mtimes are today, so a date inferred from them is a guess.",
        markup=False,
    )
    print_examples(scored["examples"], LABELS, "wire/")
    console.print()


def evaluate_wire(folder: Path) -> dict[str, Any]:
    """Ingest a copy of wire/ with the CLI and score the `articles` export against truth.csv."""
    truth_rows = read_truth(folder)
    with tempfile.TemporaryDirectory(prefix="wirehouse-eval-wire-") as tmp:
        source = Path(tmp) / "wire"
        for set_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
            # copyfile, not copy2: the copies get today's modification time
            shutil.copytree(set_dir, source / set_dir.name, copy_function=shutil.copyfile)
        ingest = run_ingest(source, Path(tmp) / "warehouse", Path(tmp) / "prefect")
        database = Path(tmp) / "warehouse" / "wirehouse.duckdb"
        if ingest["returncode"] != 0 or not database.is_file():
            console.print(f"wire/: ingest failed (exit {ingest['returncode']}):", markup=False)
            for line in ingest["output_tail"]:
                console.print(f"  {line}", markup=False)
            return {"ingest": ingest, "error": "ingest failed"}
        export, columns, run = export_articles(database)
    scored = score_wire(folder, truth_rows, export, columns)
    print_wire(scored, run, ingest)
    tally: Tally = scored["tally"]
    overall = {
        m: dict(zip(("count", "measured"), tally.get("all", m), strict=True)) for m in LABELS
    }
    for figures in overall.values():
        figures["percent"] = percent(figures["count"], figures["measured"])
    return {
        "ingest": ingest,
        "run": run,
        "export_columns": columns,
        "metrics": LABELS,
        "overall": overall,
        "groups": tally.as_json(),
        "dates_by_source_and_confidence": scored["by_source"].as_json(),
        "sources_where_truth_has_none": scored["unscored_sources"],
        "failure_examples": scored["examples"],
    }
