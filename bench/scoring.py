"""Counting helpers shared by the evaluations of bench/evaluate.py and bench/wire.py.

A `Tally` counts, per group (a set, a language, a style, "all") and metric, how many rows
were measured and how many of them hit. For an accuracy a hit is a right answer. For an
error rate ("wrong dates") a hit is a wrong one. `Examples` keeps failures to show, spread
over the groups.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

MAX_EXAMPLES = 10
MAX_PER_GROUP = 3  # examples from one group before the others get a turn

console = Console()


def percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def collapsed_nfc(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def flat(text: str | None, limit: int = 120) -> str:
    """The first `limit` characters, on one line (newlines shown as \\n)."""
    if text is None:
        return "None"
    return repr(text[:limit])[1:-1]


def clip(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Tally:
    def __init__(self) -> None:
        self.counts: dict[str, dict[str, list[int]]] = {}

    def add(self, groups: Iterable[str], metric: str, hit: bool) -> None:
        for group in groups:
            cell = self.counts.setdefault(group, {}).setdefault(metric, [0, 0])
            cell[0] += 1
            cell[1] += bool(hit)

    def get(self, group: str, metric: str) -> tuple[int, int]:
        """(hits, measured)."""
        measured, hits = self.counts.get(group, {}).get(metric, [0, 0])
        return hits, measured

    def groups(self, prefix: str) -> list[str]:
        return sorted(g for g in self.counts if g.startswith(prefix))

    def as_json(self) -> dict[str, dict[str, dict[str, Any]]]:
        return {
            group: {
                metric: {"measured": n, "count": h, "percent": percent(h, n)}
                for metric, (n, h) in metrics.items()
            }
            for group, metrics in self.counts.items()
        }


class Examples:
    def __init__(self) -> None:
        self.by_metric: dict[str, dict[str, list[dict[str, Any]]]] = {}

    def add(self, metric: str, group: str, example: dict[str, Any]) -> None:
        rows = self.by_metric.setdefault(metric, {}).setdefault(group, [])
        if len(rows) < MAX_EXAMPLES:
            rows.append(example)

    def picked(self, limit: int = MAX_EXAMPLES) -> dict[str, list[dict[str, Any]]]:
        """Up to `limit` examples per metric, a few from each group in turn."""
        out: dict[str, list[dict[str, Any]]] = {}
        for metric, by_group in self.by_metric.items():
            chosen: list[dict[str, Any]] = []
            rounds = [by_group[g] for g in sorted(by_group)]
            for start in range(0, MAX_EXAMPLES, MAX_PER_GROUP):
                for rows in rounds:
                    chosen.extend(rows[start : start + MAX_PER_GROUP])
                if len(chosen) >= limit:
                    break
            out[metric] = chosen[:limit]
        return out


def short_percent(hits: int, measured: int) -> str:
    """At most four characters. '100' only when every row hit and '0' only when none did:
    otherwise one decimal, kept off those two (99.97 shows as 99.9, 0.02 as 0.1)."""
    if hits == measured:
        return "100"
    if hits == 0:
        return "0"
    return f"{min(max(round(100 * hits / measured, 1), 0.1), 99.9):.1f}"


def cell(tally: Tally, group: str, metric: str) -> str:
    """The percentage over 'hits/measured' (two lines), or '–' when nothing was measured."""
    hits, measured = tally.get(group, metric)
    if not measured:
        return "–"
    return f"{short_percent(hits, measured)}\n[dim]{hits}/{measured}[/dim]"


def pct_cell(tally: Tally, group: str, metric: str) -> str:
    hits, measured = tally.get(group, metric)
    return short_percent(hits, measured) if measured else "–"


def compact_table(title: str, *, leading: int = 0) -> Table:
    """Without vertical rules, so that wide tables still fit in 80 columns."""
    return Table(
        title=title, box=box.SIMPLE_HEAVY, pad_edge=False, collapse_padding=True, leading=leading
    )


def grouped_table(
    title: str,
    tally: Tally,
    sections: list[tuple[str, list[str]]],
    columns: list[tuple[str, str]],
    *,
    first_column: str = "group",
    render: Callable[[Tally, str, str], str] = cell,
    extra: dict[str, Callable[[str], str]] | None = None,
) -> Table:
    """One row per group, sections separated; columns are (header, metric) pairs. `extra`
    maps a header to per-group values shown after the group name (e.g. article counts)."""
    table = compact_table(title, leading=1 if render is cell else 0)
    table.add_column(first_column, no_wrap=True)
    for header in extra or {}:
        table.add_column(header, justify="right", no_wrap=True)
    for header, _ in columns:
        # wide enough for '1496/1498' below the percentage
        table.add_column(header, justify="right", min_width=9 if render is cell else 4)
    for s, (_, groups) in enumerate(sections):
        for i, group in enumerate(groups):
            values = [fn(group) for fn in (extra or {}).values()]
            table.add_row(
                group.split(":", 1)[-1],
                *values,
                *(render(tally, group, metric) for _, metric in columns),
                end_section=i == len(groups) - 1 and s < len(sections) - 1,
            )
    return table


def print_examples(
    picked: dict[str, list[dict[str, Any]]], labels: dict[str, str], heading: str
) -> None:
    for metric, rows in picked.items():
        if not rows:
            continue
        console.print(
            f"\n{heading} failures: {labels.get(metric, metric)} (up to {MAX_EXAMPLES})",
            markup=False,
        )
        for r in rows:
            console.print(
                f"  {r['path']}: expected {clip(r['expected'])} got {clip(r['got'])}"
                + (f" [{r['note']}]" if r.get("note") else ""),
                markup=False,
            )
            console.print(f"      {r['head']}", markup=False)
