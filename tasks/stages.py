"""The order of a run's stages, kept in state instead of in comments.

Each stage records in the run's scratch folder that it finished (`stages/<name>`), and a
stage whose input stage has not finished fails with a message naming both, instead of
quietly producing nothing (linking after compaction finds no batch parts: no stories).
The markers live in scratch, never in the committed run.
"""

from __future__ import annotations

from pathlib import Path

ORDER = ("discovered", "planned", "batches", "linked", "compacted")


class StageOrderError(RuntimeError):
    """A stage ran before the stage whose output it reads."""


def scratch_of(staging: Path) -> Path:
    """The scratch folder beside a run's staging folder (warehouse/storage.begin_run)."""
    return staging.parent / f"{staging.name}.scratch"


def mark(scratch: Path, stage: str) -> None:
    """Record that `stage` finished."""
    if stage not in ORDER:
        raise ValueError(f"unknown stage {stage!r}")
    folder = scratch / "stages"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / stage).touch()


def require(scratch: Path, stage: str, by: str) -> None:
    """Fail unless `stage` (and every stage before it) finished before `by` runs."""
    missing = [s for s in ORDER[: ORDER.index(stage) + 1] if not (scratch / "stages" / s).exists()]
    if missing:
        raise StageOrderError(
            f"{by} needs the run's {missing[0]} stage to have finished first; the flow "
            f"runs {' -> '.join(ORDER)} -> commit"
        )
