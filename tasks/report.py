"""Human-readable run reports (the Prefect artifact and the CLI share the same content)."""

from __future__ import annotations

from wirehouse.tasks.commit import RunSummary
from wirehouse.tasks.link import LinkSummary

COUNT_HELP = {
    "discovered": "files found under the source folder",
    "new": "files seen for the first time, ingested",
    "changed": "files whose bytes changed, ingested as a new version",
    "reprocessed": "unchanged files ingested again (force)",
    "unchanged": "files skipped: same size and mtime, or same bytes",
    "rejected": "files that could not be ingested (see `rejects`)",
    "deleted": "files gone since the last run, marked deleted",
    "ingested": "new + changed + reprocessed",
    "docs_new": "documents (articles) first seen in the files read",
    "docs_changed": "documents whose content changed: a new version",
    "docs_unchanged": "documents of re-read files whose content did not change",
    "docs_deleted": "documents gone from their file, or with their file",
    "docs_rejected": "records that could not be read (see `rejects`)",
}


def summary_markdown(
    summary: RunSummary, links: LinkSummary | None = None, indexed: int | None = None
) -> str:
    """Markdown for the per-run Prefect artifact: counts, stories, then the first rejects."""
    counts = summary.counts()
    lines = [
        f"### Ingest run `{summary.run_id}`",
        "",
        f"Source `{summary.source_root}` → warehouse `{summary.warehouse}`, "
        f"{(summary.finished_at - summary.started_at).total_seconds():.1f} s, "
        f"{summary.bytes_read / 1e6:.1f} MB read, "
        f"{summary.batches:,} batches in {summary.processes:,} processes.",
        "",
        "| count | number | meaning |",
        "|---|---:|---|",
        *(f"| {name} | {value:,} | {COUNT_HELP[name]} |" for name, value in counts.items()),
    ]
    if links is not None and links.articles:
        lines += [
            "",
            f"Stories: {links.new_stories:,} new, {links.joined_stories:,} articles joined "
            f"a story, {links.duplicates:,} exact duplicates, "
            f"{links.inferred_dates:,} dates inferred.",
        ]
    lines += [] if indexed is None else ["", f"Search index: {indexed:,} articles after the run."]
    if summary.rejects:
        lines += ["", "#### Rejected files", "", "| file | reason | message |", "|---|---|---|"]
        lines += [
            f"| `{_cell(path)}` | {reason} | {_cell(message)} |"
            for path, reason, message in summary.rejects
        ]
        if summary.rejected > len(summary.rejects):
            lines.append(f"| … | | {summary.rejected - len(summary.rejects):,} more in `rejects` |")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("`", "'")
