"""The run's stage order is enforced: a stage whose input stage did not finish fails."""

from __future__ import annotations

from datetime import date

import pytest
from prefect.logging import disable_run_logger
from wirehouse.tasks.prefect_tasks import compact_task, link_task, plan_task
from wirehouse.tasks.stages import ORDER, StageOrderError, mark, require, scratch_of
from wirehouse.warehouse.catalog import ensure_catalog
from wirehouse.warehouse.storage import Warehouse, begin_run


@pytest.fixture
def run(tmp_path):
    wh = Warehouse.at(tmp_path / "wh")
    ensure_catalog(wh)
    staging, scratch = begin_run(wh, "20261202T000000000000-abcdef")
    return wh, staging, scratch


def test_compacting_before_linking_fails_loudly(run):
    wh, staging, scratch = run
    assert scratch_of(staging) == scratch
    for stage in ORDER[:3]:  # discovered, planned, batches
        mark(scratch, stage)
    with disable_run_logger(), pytest.raises(StageOrderError, match="linked stage"):
        compact_task.fn(staging)  # swapped: compact before link-stories
    with disable_run_logger():
        link_task.fn(wh, staging, "20261202T000000000000-abcdef", date(2026, 12, 2))
        compact_task.fn(staging)
    require(scratch, "compacted", by="commit")  # now in order


def test_linking_without_batches_and_planning_without_discovery_fail(run):
    wh, staging, scratch = run
    with disable_run_logger(), pytest.raises(StageOrderError, match="batches"):
        link_task.fn(wh, staging, "20261202T000000000000-abcdef", date(2026, 12, 2))
    with disable_run_logger(), pytest.raises(StageOrderError, match="discovered"):
        plan_task.fn(scratch / "discovered.parquet", wh, str(wh.root), scratch, False, 10, 1)
    with pytest.raises(StageOrderError, match="discovered"):
        require(scratch, "batches", by="x")  # every earlier stage must have finished too
