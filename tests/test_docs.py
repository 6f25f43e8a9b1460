"""The README and docs/ stay true: quick start, tour, column reference, example SQL, links.

The README is the front page; the reference lives in docs/*.md. Sections are found by their
headings (`_section`), generated tables between their markers (`_between`). Every ```sql
block of README.md and docs/*.md runs against an ingest of seeds/, except a block right
below an HTML comment `<!-- not-run: reason -->`, which must give its reason.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import duckdb
import pytest
from conftest import PROJECT
from wirehouse.warehouse.schemas import markdown_reference

README = PROJECT / "README.md"
DOCS = PROJECT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
README_MAX_LINES = 250
NOT_RUN = re.compile(r"<!--\s*not-run:(.*?)-->")
WIREHOUSE = str(Path(sys.executable).with_name("wirehouse"))


def _text(page: Path) -> str:
    return page.read_text(encoding="utf-8")


def _prose_lines(text: str) -> list[str]:
    """The lines outside fenced code blocks (a `# comment` in a sh block is no heading)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def _heading(line: str) -> tuple[int, str] | None:
    match = re.match(r"^(#{1,6}) +(.*?)\s*$", line)
    return (len(match.group(1)), match.group(2)) if match else None


def _section(page: Path, title: str, level: int = 2) -> str:
    """The text under the heading `title` of `page`, up to the next heading as high."""
    found, body = False, []
    fenced = False
    for line in _text(page).splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        heading = None if fenced else _heading(line)
        if found and heading and heading[0] <= level:
            break
        if found:
            body.append(line)
        elif heading == (level, title):
            found = True
    assert found, f"{page.name} has no '{'#' * level} {title}' section"
    return "\n".join(body) + "\n"


def _between(page: Path, start: str, end: str) -> str:
    """The text of `page` between two markers (the start marker's comment closed first)."""
    text = _text(page)
    assert start in text and end in text, f"{page.name} lacks {start} … {end}"
    after = text.split(start, 1)[1]
    if not start.endswith("-->"):
        after = after.split("-->", 1)[1]
    return after.split(end, 1)[0]


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    for line in _prose_lines(_text(page)):
        if heading := _heading(line):
            slug = _slug(heading[1])
            anchors.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
            seen[slug] = seen.get(slug, 0) + 1
    return anchors


def _links(page: Path) -> list[str]:
    """Every link and image target of `page`'s prose (inline code and code blocks left out)."""
    prose = "\n".join(re.sub(r"`+[^`]*`+", "", line) for line in _prose_lines(_text(page)))
    return re.findall(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)", prose)


def _printed_table(block: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a table as `wirehouse` prints it; cells wrapped over lines joined."""
    header: list[str] = []
    rows: list[list[str]] = []
    for line in block.splitlines():
        line = line.strip()
        if line.startswith("┃"):
            header = [cell.strip() for cell in line.strip("┃").split("┃")]
        elif line.startswith("│"):
            cells = [cell.strip() for cell in line.strip("│").split("│")]
            if cells[0] or not rows:
                rows.append(cells)
            else:
                joined = zip(rows[-1], cells, strict=True)
                rows[-1] = [" ".join(filter(None, pair)) for pair in joined]
    return header, rows


def _wirehouse(*args: str) -> str:
    """`wirehouse` as a user runs it, from the project folder, wide enough not to wrap."""
    result = subprocess.run(
        [WIREHOUSE, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 0, f"wirehouse {args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def seeds_ingest(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The README tour's ingest, into a fresh warehouse: (warehouse, what it printed)."""
    (source,) = re.findall(r"wirehouse ingest (\S+) --warehouse", _section(README, "One ingest", 3))
    warehouse = tmp_path_factory.mktemp("docs") / "wh"
    return warehouse, _wirehouse("ingest", source, "--warehouse", str(warehouse))


def test_quick_start_is_exactly_demo_and_test():
    quick_start = _section(README, "Quick start")
    blocks = re.findall(r"```sh\n(.*?)```", quick_start, re.S)
    commands = [line.split("#")[0].strip() for line in blocks[0].splitlines()]
    assert [c for c in commands if c] == ["make demo", "make test"]
    assert "no server started by hand" in quick_start


def test_make_targets_and_ci_entry_point_exist():
    makefile = (PROJECT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (PROJECT / ".ci" / "run").read_text()


def test_readme_is_a_front_page_that_links_every_docs_page():
    lines = _text(README).count("\n")
    assert lines <= README_MAX_LINES, f"README.md has {lines} lines; keep it to {README_MAX_LINES}"
    linked = {(README.parent / unquote(t.split("#")[0])).resolve() for t in _links(README)}
    unlinked = [p.name for p in PAGES[1:] if p.resolve() not in linked]
    assert not unlinked, f"docs pages the README does not link to: {unlinked}"


def test_relative_links_point_to_existing_files_and_headings():
    checked, broken = 0, []
    for page in PAGES:
        for target in _links(page):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: …
                continue
            path, _, anchor = unquote(target).partition("#")
            linked = (page.parent / path).resolve() if path else page
            checked += 1
            if not linked.exists():
                broken.append(f"{page.name}: {target} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
                broken.append(f"{page.name}: {target} (no such heading in {linked.name})")
    assert checked > 50
    assert not broken, "\n".join(broken)


def test_column_reference_matches_the_schemas():
    generated = _between(DOCS / "tables.md", "<!-- columns:start", "<!-- columns:end -->")
    assert generated.strip() == markdown_reference().strip()


def test_formats_table_lists_every_reader():
    from wirehouse.tasks.readers import formats_markdown

    generated = _between(DOCS / "formats.md", "<!-- formats:start -->", "<!-- formats:end -->")
    assert generated.strip() == formats_markdown().strip()


def test_sql_examples_run(seeds_ingest):
    warehouse, _ = seeds_ingest
    statements, skipped = [], 0
    for page in PAGES:
        text = _text(page)
        for block in re.finditer(r"^```sql\n(.*?)^```", text, re.M | re.S):
            above = text[: block.start()].rstrip("\n").rsplit("\n", 1)[-1]
            if marker := NOT_RUN.search(above):
                assert marker.group(1).strip(), f"{page.name}: a not-run block gives no reason"
                skipped += 1
                continue
            code = "\n".join(
                line for line in block.group(1).splitlines() if not line.lstrip().startswith("--")
            )
            statements += [(page.name, s.strip()) for s in code.split(";") if s.strip()]
    assert len(statements) >= 5
    with duckdb.connect(str(warehouse / "wirehouse.duckdb"), read_only=True) as con:
        for name, statement in statements:
            try:
                con.execute(statement).fetchall()
            except duckdb.Error as error:
                pytest.fail(f"{name}: {statement}\n{error}")
        history = con.execute(
            "SELECT count(*) FROM article_versions WHERE source_path = '000_ef1758e8d78d9052.txt'"
        ).fetchall()
    assert history == [(1,)]


def test_readme_tour_ingest_output_is_what_ingest_prints(seeds_ingest):
    _, printed = seeds_ingest
    (shown,) = re.findall(r"```text\n(.*?)```", _section(README, "One ingest", 3), re.S)
    shown_counts, shown_landed = shown.split("Landed in this run")
    printed_counts, printed_landed = printed.split("Landed in this run")
    # The README shortens the counts (a `…` row stands for the rest): the rows it shows are
    # printed as shown, in that order.
    header, rows = _printed_table(shown_counts)
    printed_header, printed_rows = _printed_table(printed_counts)
    shown_rows = [row for row in rows if row[0] != "…"]
    assert header == printed_header and len(shown_rows) >= 3
    assert shown_rows == [row for row in printed_rows if row in shown_rows]
    assert _printed_table(shown_landed) == _printed_table(printed_landed)


def test_readme_tour_query_output_is_what_query_prints(seeds_ingest):
    warehouse, _ = seeds_ingest
    tour = _section(README, "One query", 3)
    (sql,) = re.findall(r'wirehouse query --warehouse \S+ "([^"]+)"', tour)
    (shown,) = re.findall(r"```text\n(.*?)```", tour, re.S)
    printed = _wirehouse("query", "--warehouse", str(warehouse), sql)
    assert _printed_table(shown) == _printed_table(printed)
    assert len(_printed_table(shown)[1]) == 5


def test_outlets_table_lists_the_registry_and_its_examples_are_detected():
    from wirehouse.tasks.sources import detect_outlet, load_registry

    registry = load_registry()
    outlets = _section(DOCS / "dates-and-outlets.md", "Outlets")
    rows = re.findall(r"^\| `([a-z0-9_-]+)` \|.*\| (.*) \|$", outlets, re.M)
    assert [slug for slug, _ in rows] == [o.slug for o in registry.outlets]
    for slug, examples in rows:
        # Sign-offs and chrome are judged elsewhere (last line, page chrome); the rest are
        # credit lines as they open a story.
        lines = re.findall(r"(?<!sign-off )(?<!chrome )`([^`]+)`", examples)
        assert lines, slug
        for line in lines:
            found = detect_outlet([f"{line} Text of the story."], [], None, registry).slug
            if found is None:  # markers anchored at the end of a line (`(PAP)$`, "a line")
                found = detect_outlet([line], [], None, registry).slug
            assert found == slug, (slug, line)


def test_outlets_toml_example_loads(tmp_path):
    from wirehouse.tasks.sources import detect_outlet, load_registry

    (toml,) = re.findall(
        r"```toml\n(.*?)```", _section(DOCS / "dates-and-outlets.md", "Outlets"), re.S
    )
    (tmp_path / "mine.toml").write_text(toml, encoding="utf-8")
    registry = load_registry(tmp_path / "mine.toml")
    assert detect_outlet(["ZAGREB, 14. listopada (Hina) - Vlada"], [], None, registry).slug == (
        "hina"
    )
