"""Split normalized text into title, lede and body, removing outlet chrome and sign-offs."""

from __future__ import annotations

from dataclasses import dataclass

from tasks.dates import HEADER_LINES, match_dateline
from tasks.sources import Registry, is_chrome_line, is_signoff_line

MAX_TITLE_CHARS = 250
MAX_LEDE_CHARS = 400
_SENTENCE_END = (".", "!", ";", ",", ":", "»", "”", '"')  # '?' may end a headline


@dataclass(frozen=True, slots=True)
class Layout:
    title: str | None
    lede: str | None
    body: str
    header_lines: list[str]  # the opening lines of the body, where datelines live
    chrome_hits: list[str]  # for each removed chrome line: its outlet slug, '' if generic
    signoff_hit: str | None  # outlet slug of a removed sign-off ('' if generic), else None


def split_layout(text: str, registry: Registry) -> Layout:
    """Find the title and lede, drop chrome and sign-off lines, keep the rest as the body."""
    lines = [line.strip() for line in text.split("\n")]
    chrome_hits: list[str] = []
    kept: list[str] = []
    for line in lines:
        hit = is_chrome_line(line, registry) if line else None
        if hit is None:
            kept.append(line)
        else:
            chrome_hits.append(hit)
    kept, signoff_hit = _drop_signoff(kept, registry)
    content = [i for i, line in enumerate(kept) if line]
    title_at = _title_index(kept, content)
    lede_at = _lede_index(kept, content) if title_at is not None else None
    skip = {i for i in (title_at, lede_at) if i is not None}
    body_lines = [line for i, line in enumerate(kept) if i not in skip]
    body = "\n".join(body_lines).strip()
    while "\n\n\n" in body:
        body = body.replace("\n\n\n", "\n\n")
    return Layout(
        title=kept[title_at] if title_at is not None else None,
        lede=kept[lede_at] if lede_at is not None else None,
        body=body,
        header_lines=[line for line in body.split("\n") if line][:HEADER_LINES],
        chrome_hits=chrome_hits,
        signoff_hit=signoff_hit,
    )


def _drop_signoff(lines: list[str], registry: Registry) -> tuple[list[str], str | None]:
    last = max((i for i, line in enumerate(lines) if line), default=None)
    if last is None or last == 0:
        return lines, None
    hit = is_signoff_line(lines[last], registry)
    if hit is None:
        return lines, None
    return lines[:last], hit


def _title_index(lines: list[str], content: list[int]) -> int | None:
    """The first content line is a title if it is short, not a dateline, and not a sentence.

    A line directly above a dateline is a title even if it ends like a sentence
    ("ACME CORP. SETS PAYOUT.") because the dateline is what opens a story.
    """
    if len(content) < 2:
        return None
    first, second = lines[content[0]], lines[content[1]]
    if len(first) > MAX_TITLE_CHARS or match_dateline(first) is not None:
        return None
    if match_dateline(second) is not None:
        return content[0]
    if first.endswith(_SENTENCE_END):
        return None
    return content[0]


def _lede_index(lines: list[str], content: list[int]) -> int | None:
    """A short paragraph between the title and the dateline is the lede (standfirst)."""
    if len(content) < 3:
        return None
    candidate, after = lines[content[1]], lines[content[2]]
    if len(candidate) > MAX_LEDE_CHARS or match_dateline(candidate) is not None:
        return None
    return content[1] if match_dateline(after) is not None else None
