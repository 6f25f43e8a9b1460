"""Throughput benchmark: Wirehouse against its peers on one synthetic corpus, side by side.

    python -m bench.throughput N [--workdir DIR] [--naive-max 10000] [--profile-sample 2000]
        [--skip bare,steps,naive,dask,profile] [--ephemeral]

Generates (or reuses) a corpus of N articles (bench.corpus), then measures, each in its own
subprocess with the peak RSS of its whole process tree sampled every 0.5 s:

1. `wirehouse ingest` with default settings: Wirehouse's local Prefect server, started by
   a warm-up ingest and reused, as by a user's every later command (`--ephemeral`: a
   temporary server per ingest, started and stopped inside its timing);
2. peers: the bare loop (charset-normalizer + langdetect, one process), Wirehouse's own
   steps in one process without Prefect, and a Prefect flow with one task per file (only
   up to --naive-max files: it gets slower than linear), and the same flow on a temporary
   2-process Dask cluster;
3. a re-ingest of the unchanged corpus;
4. DuckDB queries on the result (median of 5 runs);
5. a profile of the batch step per document (bench.profile: each step timed in this
   process on the first --profile-sample files, and on the same articles as JSON Lines).

Prints docs/s, MB/s, peak RSS and the ratios, and writes bench-results/throughput-N.json.
Prefect's database is migrated by a warm-up run first, so no contender pays that once-only
cost. Timings are wall clock on whatever else the machine is doing: compare the ratios
within one run, not figures across machines.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil
from rich.console import Console
from rich.table import Table

from bench.corpus import generate
from bench.queries import time_queries

BIN = Path(sys.executable).parent
RESULTS = Path("bench-results")
console = Console()


@dataclass
class Measured:
    name: str
    seconds: float
    peak_rss_mb: float
    returncode: int
    output: str  # the last lines
    peak_pss_mb: float = 0.0
    batch_files_per_s: float | None = None  # median of one batch task, from the flow log

    def rate(self, files: int, megabytes: float) -> dict[str, float]:
        return {"docs_per_s": files / self.seconds, "mb_per_s": megabytes / self.seconds}


def measure(name: str, command: list[str], env: dict[str, str]) -> Measured:
    """Run `command`, sampling the RSS of its process tree; fail loudly if it fails."""
    console.print(f"[bold]{name}[/bold]: {' '.join(command)}", highlight=False)
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    peak = _PeakRss(process.pid)
    peak.start()
    output, _ = process.communicate()
    seconds = time.perf_counter() - started
    peak.stop()
    if process.returncode != 0:
        raise RuntimeError(f"{name} failed ({process.returncode}):\n{output[-3000:]}")
    console.print(f"  {seconds:.1f} s, peak RSS {peak.mb:.0f} MB, peak PSS {peak.pss_mb:.0f} MB")
    return Measured(
        name,
        seconds,
        peak.mb,
        process.returncode,
        output[-2000:],
        peak.pss_mb,
        _batch_rate(output),
    )


class _PeakRss(threading.Thread):
    """Highest total RSS of a process and all its descendants, sampled every 0.5 s.

    RSS counts a page shared by several processes (libraries, and what forked workers
    share with their parent) once per process; PSS divides it among them, so the PSS
    total is the tree's real footprint. Both are reported.

    Not more often: listing a process tree scans /proc, and at 0.1 s the sampler took
    half a core from the run it measures. PSS reads each process's whole page map (~20 ms
    for the tree), so it and the tree listing are refreshed every 5 s only: the tree's
    memory is a plateau (fixed processes, one batch each), not a spike.
    """

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.mb = 0.0
        self.pss_mb = 0.0
        self._done = threading.Event()

    def run(self) -> None:
        tree: list[psutil.Process] = []
        for sample in itertools.count():
            if self._done.wait(0.5):
                return
            try:
                if sample % 10 == 0:
                    tree = [self.root, *self.root.children(recursive=True)]
                    self.pss_mb = max(self.pss_mb, sum(_pss(p) for p in tree) / 2**20)
                self.mb = max(self.mb, sum(_rss(p) for p in tree) / 2**20)
            except psutil.Error:
                continue

    def stop(self) -> None:
        self._done.set()
        self.join()


def _pss(process: psutil.Process) -> int:
    try:
        return getattr(process.memory_full_info(), "pss", 0)
    except psutil.Error:
        return 0


def _rss(process: psutil.Process) -> int:
    try:
        return process.memory_info().rss
    except psutil.Error:
        return 0


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run(
    n: int,
    workdir: Path,
    naive_max: int,
    skip: set[str],
    profile_sample: int = 2000,
    ephemeral: bool = False,
) -> dict[str, Any]:
    corpus = workdir / f"corpus-{n}"
    stats_file = corpus.with_suffix(".json")
    if not stats_file.exists():
        shutil.rmtree(corpus, ignore_errors=True)
        started = time.perf_counter()
        stats = generate(corpus, n, seed=0).as_dict()
        stats["generate_seconds"] = round(time.perf_counter() - started, 1)
        stats_file.write_text(json.dumps(stats))
    stats = json.loads(stats_file.read_text())
    files, raw_mb = stats["files"], stats["bytes"] / 1e6
    console.print(f"corpus: {files:,} files, {raw_mb:,.0f} MB in {corpus}")

    env = bench_env(workdir)
    if ephemeral:  # each contender pays for a temporary server of its own
        env["WIREHOUSE_EPHEMERAL"] = "1"
    with warmed_up(workdir, env):
        return _run(n, workdir, naive_max, skip, profile_sample, corpus, files, raw_mb, env)


def bench_env(workdir: Path) -> dict[str, str]:
    """The environment of the bench's `wirehouse` commands: a Prefect home of its own."""
    return os.environ | {
        "PREFECT_HOME": str(workdir / "prefect-home"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
    }


@contextmanager
def warmed_up(workdir: Path, env: dict[str, str]) -> Iterator[None]:
    """The warm-up ingest first (`_warm_up`); unless WIREHOUSE_EPHEMERAL, it starts the
    local server every timed ingest then reuses, as a user's second command does
    (flows/server.py), and that server is stopped when the block ends."""
    _warm_up(workdir, env)
    try:
        yield
    finally:
        subprocess.run([str(BIN / "wirehouse"), "server", "stop"], env=env, capture_output=True)


def _run(
    n: int,
    workdir: Path,
    naive_max: int,
    skip: set[str],
    profile_sample: int,
    corpus: Path,
    files: int,
    raw_mb: float,
    env: dict[str, str],
) -> dict[str, Any]:
    warehouse = workdir / f"warehouse-{n}"
    shutil.rmtree(warehouse, ignore_errors=True)
    ingest = [
        str(BIN / "wirehouse"),
        "ingest",
        str(corpus),
        "--warehouse",
        str(warehouse),
        "--show",
        "0",
    ]
    results: dict[str, Measured] = {"wirehouse": measure("wirehouse ingest", ingest, env)}
    results["reingest"] = measure("re-ingest, unchanged", ingest, env)
    for peer in ("bare", "steps", "naive"):
        if peer in skip or (peer == "naive" and files > naive_max):
            continue
        out = workdir / f"{peer}-{n}.parquet"
        command = [sys.executable, "-m", "bench.peers", peer, str(corpus), str(out)]
        results[peer] = measure(f"peer: {peer}", command, env)
        out.unlink(missing_ok=True)
    if "dask" not in skip:
        # The same flow on a temporary 2-process distributed.LocalCluster (issue: scaling out).
        on_dask = workdir / f"warehouse-dask-{n}"
        shutil.rmtree(on_dask, ignore_errors=True)
        command = [*ingest[:4], str(on_dask), *ingest[5:], "--runner", "dask"]
        results["dask"] = measure("wirehouse ingest on dask", command, env)
        shutil.rmtree(on_dask)
    profile = None if "profile" in skip else _profile(corpus, profile_sample)
    report = _report(n, files, raw_mb, results, warehouse)
    if profile is not None:
        from bench.profile import print_profile

        print_profile(profile, console)
        report["profile"] = profile
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / f"throughput-{n}.json"
    target.write_text(json.dumps(report, indent=2))
    console.print(f"figures written to {target}")
    return report


def _profile(corpus: Path, sample: int) -> dict[str, Any]:
    """Each per-document step of a batch, timed on the corpus's first `sample` files."""
    from datetime import date

    from wirehouse.tasks.article import EnrichOptions
    from wirehouse.tasks.sources import load_registry

    from bench.profile import profile_steps, sample_files

    files = sample_files(corpus, sample)
    console.print(f"[bold]profile[/bold]: the batch steps on {len(files):,} files, one process")
    started = time.perf_counter()
    result = profile_steps(
        files, load_registry(), EnrichOptions(latest_date=date.today()), root=corpus
    )
    console.print(f"  {time.perf_counter() - started:.1f} s")
    return result


def _warm_up(workdir: Path, env: dict[str, str]) -> None:
    """One tiny ingest, so Prefect's database exists before anything is timed."""
    seeds = Path(__file__).resolve().parent.parent / "seeds"
    scratch = workdir / "warm-up"
    shutil.rmtree(scratch, ignore_errors=True)
    subprocess.run(
        [str(BIN / "wirehouse"), "ingest", str(seeds), "--warehouse", str(scratch), "--show", "0"],
        env=env,
        check=True,
        capture_output=True,
    )
    shutil.rmtree(scratch)


def _report(
    n: int, files: int, raw_mb: float, results: dict[str, Measured], warehouse: Path
) -> dict[str, Any]:
    wirehouse = results["wirehouse"]
    ratios = {"reingest / wirehouse (time)": results["reingest"].seconds / wirehouse.seconds}
    for peer, label in (
        ("bare", "wirehouse / bare loop"),
        ("steps", "wirehouse / same steps"),
        ("naive", "wirehouse / one task per file"),
        ("dask", "wirehouse / same flow on dask"),
    ):
        if peer in results:
            ratios[f"{label} (throughput)"] = results[peer].seconds / wirehouse.seconds
    if "steps" in results:
        # The same per-file work spread perfectly over every core would take steps / cores;
        # whatever Wirehouse takes beyond that is orchestration, planning, linking, commit.
        ideal = results["steps"].seconds / (os.cpu_count() or 1)
        ratios["orchestration overhead (time)"] = wirehouse.seconds / ideal - 1
    batch_rates = {k: v.batch_files_per_s for k, v in results.items() if v.batch_files_per_s}
    warehouse_mb = folder_bytes(warehouse / "commits") / 1e6
    queries = time_queries(warehouse / "wirehouse.duckdb")
    table = Table(
        title=f"Throughput, N = {n:,} articles ({raw_mb:,.0f} MB), {os.cpu_count()} cores"
    )
    for column in ("run", "seconds", "docs/s", "MB/s", "peak RSS MB", "peak PSS MB"):
        table.add_column(column, justify="left" if column == "run" else "right")
    for measured in results.values():
        rate = measured.rate(files, raw_mb)
        table.add_row(
            measured.name,
            f"{measured.seconds:,.1f}",
            f"{rate['docs_per_s']:,.0f}",
            f"{rate['mb_per_s']:.2f}",
            f"{measured.peak_rss_mb:,.0f}",
            f"{measured.peak_pss_mb:,.0f}",
        )
    console.print(table)
    for label, value in ratios.items():
        console.print(
            f"{label}: {value:.2f}x" if "time" not in label else f"{label}: {100 * value:.1f} %"
        )
    console.print(
        f"warehouse on disk: {warehouse_mb:,.0f} MB = {warehouse_mb / raw_mb:.2f} x the raw corpus"
    )
    for name, rate in batch_rates.items():
        console.print(f"{name}: one batch task processes {rate:,.0f} files/s (median)")
    for name, seconds in queries.items():
        console.print(f"query '{name}': {1000 * seconds:.0f} ms (median of 5)")
    return {
        "n": n,
        "files": files,
        "raw_mb": raw_mb,
        "machine": _machine(),
        "runs": {k: asdict(v) | v.rate(files, raw_mb) for k, v in results.items()},
        "ratios": ratios,
        "warehouse_mb": warehouse_mb,
        "warehouse_over_raw": warehouse_mb / raw_mb,
        "query_seconds": queries,
        "batch_files_per_s": batch_rates,
    }


def _batch_rate(output: str) -> float | None:
    """Median files/s of one batch task, from the flow's log lines (per-worker speed)."""
    rates = [float(r) for r in re.findall(r"files in [\d.]+s \((\d+) files/s\)", output)]
    return statistics.median(rates) if rates else None


def _machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/wirehouse-bench"))
    parser.add_argument("--naive-max", type=int, default=10_000)
    parser.add_argument("--profile-sample", type=int, default=2000, help="files to profile")
    parser.add_argument("--skip", default="", help="comma-separated: bare,steps,naive,dask,profile")
    parser.add_argument(
        "--ephemeral",
        action="store_true",
        help="each ingest on a temporary Prefect server (default: the reused local server)",
    )
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    skip = set(filter(None, args.skip.split(",")))
    run(args.n, args.workdir, args.naive_max, skip, args.profile_sample, args.ephemeral)
    return 0


if __name__ == "__main__":
    sys.exit(main())
