"""Hostile input: whatever a scraper leaves behind, no run crashes and every file is explained.

One folder holds every kind of bad file next to the good seeds; one real `wirehouse
ingest` run must ingest the good ones, reject the bad ones with a stable reason, and
account for each. When the tests run as root (CI), file permissions do not stop root, so
the ingest runs with the DAC-override capabilities dropped (util-linux `setpriv`).
"""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import SEEDS, query
from wirehouse.tasks.article import EnrichOptions
from wirehouse.tasks.batch import BatchContext, _read_all, process_batch, read_file
from wirehouse.tasks.discover import write_discovery
from wirehouse.tasks.errors import RejectError
from wirehouse.tasks.plan import plan_run
from wirehouse.warehouse.catalog import ensure_catalog
from wirehouse.warehouse.storage import Warehouse, begin_run

WIREHOUSE = str(Path(sys.executable).with_name("wirehouse"))
MB = 1024 * 1024
RU = "Министр иностранных дел России заявил, что Москва готова к диалогу. "

# file name -> expected reject reason (None: ingested)
EXPECTED: dict[str, str | None] = {
    "empty.txt": "empty",
    "png.txt": "binary",
    "pdf.txt": "binary",
    "gzip.txt": None,  # a gzip archive of text: read as an archive now
    "elf.txt": "binary",
    "nul-bytes.txt": None,
    "bad-bytes-in-utf8.txt": None,
    "two-encodings.txt": None,
    "utf16-no-bom.txt": None,
    "huge-200mb.txt": "too_large",
    "one-10mb-line.txt": None,
    "unreadable.txt": "unreadable",
    "locked-folder": "unreadable",
    "loop/again": "symlink_loop",
    "outside.txt": "outside_root",
    "dangling.txt": "broken_symlink",
    "name with spaces.txt": None,
    "new\nline.txt": None,
    "latin1-\\xe9.txt": None,  # the name's bytes are not UTF-8: shown escaped
    "whitespace.txt": "no_text",
    "punctuation.txt": "no_text",
    "feb-30.txt": None,
    "year-0207.txt": None,
    "amharic.txt": None,
    **{seed.name: None for seed in SEEDS.iterdir()},
}


def build_hostile_folder(root: Path) -> None:
    root.mkdir()
    for seed in SEEDS.iterdir():
        shutil.copy(seed, root / seed.name)
    files = {
        "empty.txt": b"",
        "png.txt": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(500),
        "pdf.txt": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >>",
        "gzip.txt": gzip.compress(b"not text inside" * 100),
        "elf.txt": Path(sys.executable).resolve().read_bytes()[:8192],
        "nul-bytes.txt": b"Moscow said\x00 on Friday that\x00 talks would go on as planned.",
        "bad-bytes-in-utf8.txt": RU.encode()[:60] + b"\xff\xfe" + (RU * 3).encode(),
        "two-encodings.txt": (RU * 3).encode() + (RU * 3).encode("cp1251"),
        "utf16-no-bom.txt": ("Headline\n\n" + RU * 4).encode("utf-16-le"),
        "one-10mb-line.txt": ("word " * (2 * MB)).encode(),
        "unreadable.txt": b"Secret headline\n\nNobody may read this file.",
        "name with spaces.txt": b"Spaces\n\nA perfectly fine article with spaces in its name.",
        "new\nline.txt": b"Newline\n\nA fine article whose file name has a newline in it.",
        "whitespace.txt": b" \n\t \r\n   \n",
        "punctuation.txt": "... --- !!! ??? «» — …\n".encode(),
        "feb-30.txt": b"Title\n\nFebruary 30, 2017 (EIRNS)\xe2\x80\x94The day that never was.",
        "year-0207.txt": b"(Interfax \xe2\x80\x93 Moscow, May 17, 0207)\n\nA typo in the year.",
        "amharic.txt": "የኢትዮጵያ ጠቅላይ ሚኒስትር ዛሬ በአዲስ አበባ መግለጫ ሰጡ። ".encode() * 5,
    }
    for name, data in files.items():
        (root / name).write_bytes(data)
    (root / os.fsdecode(b"latin1-\xe9.txt")).write_bytes(b"Latin name\n\nFine text in here.")
    with open(root / "huge-200mb.txt", "wb") as huge:  # sparse: 200 MB, no disk used
        huge.truncate(200 * MB)
    (root / "locked-folder").mkdir()
    (root / "locked-folder" / "inside.txt").write_bytes(b"Hidden by its folder's mode.")
    (root / "loop").mkdir()
    (root / "loop" / "again").symlink_to("..")
    (root / "outside.txt").symlink_to("/etc/hostname")
    (root / "dangling.txt").symlink_to(root / "no-such-file")
    (root / "unreadable.txt").chmod(0o000)
    (root / "locked-folder").chmod(0o000)


def without_root_powers() -> list[str]:
    """A command prefix under which file permissions apply, even when we are root."""
    if os.geteuid() != 0:
        return []
    drop = "-dac_override,-dac_read_search"
    return ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}"]


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    root = tmp_path_factory.mktemp("hostile") / "source"
    build_hostile_folder(root)
    warehouse = root.parent / "wh"
    result = subprocess.run(
        [
            *without_root_powers(),
            WIREHOUSE,
            "ingest",
            str(root),
            "--warehouse",
            str(warehouse),
            "--show",
            "0",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    yield warehouse, result.stdout + result.stderr
    (root / "locked-folder").chmod(0o755)


def test_the_run_completes_and_accounts_for_every_file(hostile_run):
    warehouse, output = hostile_run
    assert "error" not in output.lower().split("rejected")[0], output
    (run,) = query(warehouse, "SELECT discovered, new, rejected, unchanged FROM runs")
    discovered, new, rejected, unchanged = run
    assert discovered == len(EXPECTED) and unchanged == 0
    assert new == sum(r is None for r in EXPECTED.values())
    assert rejected == sum(r is not None for r in EXPECTED.values())


def test_each_bad_file_has_its_reason_and_each_good_one_landed(hostile_run):
    warehouse, _ = hostile_run
    rejects = dict(query(warehouse, "SELECT source_path, reason FROM rejects"))
    ingested = {p for (p,) in query(warehouse, "SELECT source_path FROM articles")}
    assert rejects == {name: r for name, r in EXPECTED.items() if r is not None}
    assert ingested == {name for name, r in EXPECTED.items() if r is None}
    messages = query(warehouse, "SELECT count(*) FROM rejects WHERE length(message) < 10")
    assert messages == [(0,)]


def test_good_files_are_not_poisoned_by_their_batch(hostile_run):
    warehouse, _ = hostile_run
    rows = dict(
        query(
            warehouse,
            """SELECT source_path, source FROM articles
                                    WHERE source_path LIKE '00%'""",
        )
    )
    assert rows == {
        "000_ef1758e8d78d9052.txt": "tass",
        "001_c3068d83a41f7ce5.txt": None,
        "002_8dbeb891fb4c8d83.txt": None,
        "003_e72f4309ebf72042.txt": "eir",
        "004_cd3fca1b6fed57ec.txt": "interfax",
    }


def test_odd_texts_land_with_the_right_details(hostile_run):
    warehouse, _ = hostile_run
    got = {
        row[0]: row[1:]
        for row in query(
            warehouse,
            """
            SELECT source_path, encoding, decode_errors, position(chr(0) IN body) = 0,
                   date_source, published_date, language, char_count
            FROM articles""",
        )
    }
    assert got["nul-bytes.txt"][2] is True
    assert got["bad-bytes-in-utf8.txt"][:2] == ("utf_8", 2)
    assert got["utf16-no-bom.txt"][0] == "utf_16_le"
    assert got["feb-30.txt"][3:5] == ("invalid", None)
    assert got["year-0207.txt"][3:5] == ("invalid", None)
    assert got["amharic.txt"][5] is None  # a language langdetect does not know
    assert got["one-10mb-line.txt"][6] == 10 * MB - 1


def test_too_large_file_is_refused_unread(tmp_path):
    huge = tmp_path / "huge.txt"
    with open(huge, "wb") as handle:
        handle.truncate(200 * MB)
    tracemalloc.start()
    with pytest.raises(RejectError) as info:
        read_file(os.fsencode(huge), 50 * MB)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert info.value.reason == "too_large" and "not read" in info.value.message
    assert peak < MB


def test_a_file_read_whole_even_when_it_grew_after_fstat(tmp_path):
    path = tmp_path / "growing.txt"
    data = os.urandom(3 * MB + 17)
    path.write_bytes(data)
    fd = os.open(path, os.O_RDONLY)
    try:  # fstat said 10 bytes: the reader reads on to the end, and stops at the limit
        assert _read_all(fd, 10, len(data) + 1) == data
        os.lseek(fd, 0, os.SEEK_SET)
        assert _read_all(fd, 10, MB) == data[:MB]
        os.lseek(fd, 0, os.SEEK_SET)
        assert _read_all(fd, len(data), len(data) + 1) == data
    finally:
        os.close(fd)
    raw, size, _ = read_file(os.fsencode(path), 50 * MB)
    assert raw == data and size == len(data)
    with pytest.raises(RejectError) as info:
        read_file(os.fsencode(path), MB)
    assert info.value.reason == "too_large"


def test_file_vanishing_between_discovery_and_reading(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for name in ("a.txt", "b.txt", "c.txt"):
        (source / name).write_text(f"Headline {name}\n\nMOSCOW, July 28. /TASS/. Text of {name}.")
    wh = Warehouse.at(tmp_path / "wh")
    ensure_catalog(wh)
    staging, scratch = begin_run(wh, "run-1")
    write_discovery(source, ["*"], [], scratch / "discovered.parquet")
    plan = plan_run(
        scratch / "discovered.parquet",
        wh,
        str(source),
        scratch,
        force=False,
        batch_size=10,
        workers=1,
    )
    (source / "b.txt").unlink()  # gone after discovery, before its batch reads it
    context = BatchContext(
        run_id="run-1",
        source_root=str(source),
        staging_dir=str(staging),
        ingested_at=datetime.now(UTC),
        max_file_bytes=MB,
        options=EnrichOptions(latest_date=date(2026, 11, 23)),
    )
    (result,) = [process_batch(ref, context) for ref in plan.batches]
    assert dict(result.counts) == {"new": 2, "rejected": 1}
    assert result.rejects == [("b.txt", "vanished", "the file disappeared after discovery")]


def test_ten_thousand_files_in_one_folder(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for i in range(10_000):
        (source / f"{i:05d}.txt").write_text(f"Item {i}\n\nShort note {i}.")
    warehouse = tmp_path / "wh"
    result = subprocess.run(
        [WIREHOUSE, "ingest", str(source), "--warehouse", str(warehouse), "--show", "0"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr
    assert query(warehouse, "SELECT discovered, new FROM runs") == [(10_000, 10_000)]
    assert query(warehouse, "SELECT count(DISTINCT source_path) FROM articles") == [(10_000,)]
