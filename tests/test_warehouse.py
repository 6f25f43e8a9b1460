"""Warehouse storage: atomic writes, all-or-nothing commits, the writer lock, the catalog."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import pyarrow as pa
import pytest
from wirehouse.warehouse import storage
from wirehouse.warehouse.catalog import (
    PHYSICAL_TABLES,
    VIEW_DOCS,
    connect,
    ensure_catalog,
    table_counts,
    view_sql,
)
from wirehouse.warehouse.rows import ArticleRow, FileEventRow, RejectRow, RunRow, to_table
from wirehouse.warehouse.schemas import ARTICLES_VIEW_EXTRA, HIDDEN_COLUMNS, INTERNAL_TABLES, TABLES
from wirehouse.warehouse.storage import (
    Warehouse,
    WarehouseError,
    WarehouseLockedError,
    WarehouseWriteError,
    begin_run,
    commit_run,
    new_run_id,
    write_parquet,
    writer_lock,
)


def test_every_table_has_a_view_and_every_view_a_description(tmp_path):
    assert set(PHYSICAL_TABLES) == set(TABLES)
    assert set(view_sql(Warehouse.at(tmp_path))) == set(VIEW_DOCS)
    sql = "\n".join(view_sql(Warehouse.at(tmp_path)).values())
    for table in TABLES:  # every table feeds a view, or is internal
        assert f"/{table}-*.parquet" in sql or table in INTERNAL_TABLES, table


def test_empty_warehouse_has_working_empty_views(tmp_path):
    wh = Warehouse.at(tmp_path / "wh")
    ensure_catalog(wh)
    with connect(wh) as con:
        assert {name: rows for name, rows, _ in table_counts(con)} == dict.fromkeys(VIEW_DOCS, 0)
        columns = [r[0] for r in con.execute("DESCRIBE articles").fetchall()]
    shown = [c for c in TABLES["articles"].names if c not in HIDDEN_COLUMNS["articles"]]
    assert columns == shown + list(ARTICLES_VIEW_EXTRA)


def test_failed_write_leaves_neither_file_nor_temp(tmp_path, monkeypatch):
    target = tmp_path / "part.parquet"

    def crash(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(storage.os, "replace", crash)
    with pytest.raises(WarehouseWriteError, match=r"No space left on device\. Nothing of this"):
        write_parquet(pa.table({"a": [1]}), target)
    assert list(tmp_path.iterdir()) == []


def test_staged_rows_are_invisible_until_the_commit(tmp_path):
    wh = Warehouse.at(tmp_path / "wh")
    ensure_catalog(wh)
    run_id = new_run_id()
    staging, _ = begin_run(wh, run_id)
    row = {
        "run_id": run_id,
        "source_root": "/r",
        "source_path": "a.txt",
        "reason": "empty",
        "error_type": "RejectError",
        "message": "m",
        "file_size": 0,
        "raw_sha256": None,
        "rejected_at": storage.datetime.now(storage.UTC),
    }
    write_parquet(to_table([RejectRow(**row)], "rejects"), staging / "rejects-b000001.parquet")
    with connect(wh) as con:
        assert con.execute("SELECT count(*) FROM rejects").fetchall() == [(0,)]
    commit_run(wh, run_id)
    with connect(wh) as con:
        assert con.execute("SELECT count(*) FROM rejects").fetchall() == [(1,)]
    assert not staging.exists()


def test_a_new_run_discards_dead_runs_staging(tmp_path):
    wh = Warehouse.at(tmp_path / "wh")
    ensure_catalog(wh)
    dead, _ = begin_run(wh, "dead-run")
    (dead / "articles-b000001.parquet").write_bytes(b"half a file")
    begin_run(wh, new_run_id())
    assert not dead.exists()


def test_run_id_is_drawn_once_the_lock_is_held(tmp_path):
    """A run that waited for the lock sorts after the run it waited for, though it started
    first: run ids follow commit order, which the views' snapshot relies on."""
    import threading

    wh, drawn = Warehouse.at(tmp_path / "wh"), []

    def waiting_writer() -> None:
        with writer_lock(wh, None, timeout=10) as run_id:
            drawn.append(run_id)

    with writer_lock(wh, None, timeout=1) as holder:
        waiter = threading.Thread(target=waiting_writer)
        waiter.start()
        time.sleep(0.5)  # the waiter is blocked on the lock now
        last_before_release = new_run_id()
    waiter.join()
    assert holder < last_before_release < drawn[0]


def test_run_ids_grow_even_if_the_clock_goes_back(tmp_path):
    wh = Warehouse.at(tmp_path / "wh")
    ensure_catalog(wh)
    future = new_run_id(storage.datetime(2999, 1, 1, tzinfo=storage.UTC))
    (wh.commits / future).mkdir()
    with writer_lock(wh, None, timeout=1) as run_id:
        assert run_id > future and run_id.startswith("29990101T000000000001-")


def test_second_writer_gets_a_clear_error(tmp_path):
    wh = Warehouse.at(tmp_path / "wh")
    with (
        writer_lock(wh, "first-run", timeout=1),
        pytest.raises(WarehouseLockedError, match="first-run") as info,
        writer_lock(wh, "second-run", timeout=0.3),
    ):
        pass
    assert f"pid {os.getpid()}" in str(info.value) and "--lock-timeout" in str(info.value)
    with writer_lock(wh, "third-run", timeout=0):  # released on exit
        pass


def test_lock_of_a_killed_writer_is_released(tmp_path):
    wh = Warehouse.at(tmp_path / "wh")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import time
            from wirehouse.warehouse.storage import Warehouse, writer_lock
            with writer_lock(Warehouse.at({str(wh.root)!r}), "doomed", timeout=5):
                print("locked", flush=True)
                time.sleep(60)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(WarehouseLockedError), writer_lock(wh, "waiting", timeout=0.2):
        pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    started = time.monotonic()
    with writer_lock(wh, "after-kill", timeout=5):
        assert time.monotonic() - started < 1


def test_connect_to_a_missing_warehouse_says_what_to_do(tmp_path):
    with (
        pytest.raises(WarehouseError, match="wirehouse ingest"),
        connect(Warehouse.at(tmp_path / "nothing")),
    ):
        pass


def test_catalog_follows_a_moved_warehouse(tmp_path):
    wh = Warehouse.at(tmp_path / "before")
    ensure_catalog(wh)
    moved = Warehouse.at(tmp_path / "after")
    os.rename(wh.root, moved.root)
    with connect(moved) as con:
        sql = con.execute("SELECT sql FROM duckdb_views() WHERE view_name = 'runs'").fetchall()[0][
            0
        ]
    assert str(moved.root) in sql and str(wh.root) + "/" not in sql


def test_catalog_is_read_only_for_readers(tmp_path):
    wh = Warehouse.at(tmp_path / "wh")
    ensure_catalog(wh)
    with connect(wh) as con, pytest.raises(duckdb.Error, match="read-only"):
        con.execute("CREATE TABLE x (a INT)")


def _commit_generation(wh: Warehouse, generation: int, files: int) -> None:
    """Commit a new version of every file, through the real storage functions."""
    from wirehouse.tasks.article import file_key

    run_id = new_run_id()
    staging, _ = begin_run(wh, run_id)
    now = storage.datetime.now(storage.UTC)
    articles, events = [], []
    for i in range(files):
        path, article_id = f"f{i}.txt", f"{i:06d}-{generation:06d}"
        articles.append(
            ArticleRow(
                article_id=article_id,
                source_root="/r",
                source_path=path,
                file_key=file_key("/r", path),
                row_kind="article",
                version=generation,
                body="b",
                ingested_at=now,
                run_id=run_id,
            )
        )
        events.append(
            FileEventRow(
                run_id=run_id,
                source_root="/r",
                source_path=path,
                event="changed",
                article_id=article_id,
                version=generation,
                event_at=now,
            )
        )
    write_parquet(to_table(articles, "articles"), staging / "articles-b000001.parquet")
    write_parquet(to_table(events, "file_events"), staging / "file_events-b000001.parquet")
    # Every committed run has its `runs` row; the views read their snapshot from it.
    counts = dict.fromkeys(("new", "unchanged", "rejected", "deleted", "reprocessed"), 0)
    run = {"run_id": run_id, "source_root": "/r", "parameters": "{}", "started_at": now}
    run |= counts | {"finished_at": now, "discovered": files, "changed": files}
    run |= {"ingested": files, "wirehouse_version": "test"}
    write_parquet(to_table([RunRow(**run)], "runs"), staging / "runs-run.parquet")
    commit_run(wh, run_id)


def _keep_committing(root: str, seconds: float) -> None:
    wh, generation, deadline = Warehouse.at(root), 2, time.monotonic() + seconds
    while time.monotonic() < deadline:
        _commit_generation(wh, generation, 20)
        generation += 1


def test_views_never_show_half_a_commit(tmp_path):
    """Commits land hundreds of times while a reader counts: always all 20 files, once each.

    The views bound a snapshot (the last committed run) before listing the files; this
    fails at once without it, or if the snapshot were read after the files (see catalog.py).
    """
    import multiprocessing

    wh = Warehouse.at(tmp_path / "wh")
    ensure_catalog(wh)
    _commit_generation(wh, 1, 20)
    writer = multiprocessing.get_context("spawn").Process(
        target=_keep_committing, args=(str(wh.root), 6.0)
    )
    writer.start()
    seen = set()
    with duckdb.connect(str(wh.catalog_file), read_only=True) as con:
        while writer.is_alive():
            seen.add(
                con.execute("""SELECT (SELECT count(*) FROM articles),
                                           (SELECT count(*) FROM article_versions
                                            WHERE is_current)""").fetchall()[0]
            )
    writer.join()
    assert seen == {(20, 20)}
    assert len(wh.committed_runs()) > 20  # the reader really raced many commits


def test_a_catalog_cut_short_while_being_created_is_not_left_behind(tmp_path, monkeypatch):
    """A run killed while creating the catalog must not leave a catalog file without views
    (readers would find no `articles`): it is built under another name, then renamed."""
    import wirehouse.warehouse.catalog as catalog

    wh = Warehouse.at(tmp_path / "wh")

    def killed(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(catalog, "create_views", killed)
    with pytest.raises(KeyboardInterrupt):
        ensure_catalog(wh)
    assert not wh.catalog_file.exists()
    monkeypatch.undo()
    ensure_catalog(wh)
    with connect(wh) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchall() == [(0,)]
    assert [p.name for p in wh.root.glob(".*.tmp*")] == []
