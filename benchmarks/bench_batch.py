"""Batch speed: sessions per second over generated five-minute sessions, with 1 and 2
worker processes and on a local Dask cluster (2 worker processes), with the ratio to 1
worker measured in the same run.

The sessions (half step-ups, half walks, 3 sensors at 100 Hz, each its own seed) are
generated once into a cache folder (``--cache``, default the system temp folder) and reused.
Each run analyses all of them into a fresh temporary output folder (summary.json,
reps.csv, report.html per session, then cohort.csv and cohort.html), without a catalogue.

Each line also gives the CPU time per session (this process and its worker processes,
sampled with psutil, which comes with the [dask] extra) and
the machine's load: on a shared machine whose load is above its CPU count, the workers get
less than a CPU each and the wall-clock ratio understates what a free machine gives; an
unchanged CPU time per session says the parallel run does not cost more work.

Run: ``.venv/bin/python benchmarks/bench_batch.py [--sessions 200] [--minutes 5]``
(the Dask run needs ``pip install 'sensorlab[dask]'``; it is skipped without it).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

SCENARIOS = ("step_up_asymmetric", "walk_asymmetric")


def generate_one(path: Path, seed: int, minutes: float) -> None:
    from sensorlab.io.recording import write_recording
    from sensorlab.simulate.scenarios import make_scenario

    scenario = SCENARIOS[seed % len(SCENARIOS)]
    session = make_scenario(scenario, seed, duration_s=60.0 * minutes)
    write_recording(session.recording, path)


def generate(folder: Path, sessions: int, minutes: float) -> list[Path]:
    """The ``sessions`` recordings in ``folder``, generating the missing ones (in parallel)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"s{seed:03d}" / "session.csv" for seed in range(sessions)]
    # The CSV is written last (atomically, after its sidecar): it says the session is whole.
    missing = [(p, seed) for seed, p in enumerate(paths) if not p.exists()]
    if missing:
        started = time.perf_counter()
        for path, _ in missing:
            path.parent.mkdir(exist_ok=True)
        with ProcessPoolExecutor() as pool:
            list(pool.map(generate_one, *zip(*missing, strict=True), [minutes] * len(missing)))
        print(
            f"generated {len(missing)} sessions in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
    return paths


def load() -> str:
    """The machine's 1-minute load average, to read the figures by: on a shared machine a
    load above the CPU count leaves the workers less than a CPU each."""
    return f"load {os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else ""


class CpuMeter:
    """CPU seconds (user + system) of this process and all its descendants over a block.

    Worker processes may be grandchildren (the forkserver's, a Dask nanny's), which
    ``RUSAGE_CHILDREN`` does not count, so the descendants are sampled with psutil every
    0.2 s while they live, keeping each one's last reading.
    """

    def __enter__(self) -> CpuMeter:
        import psutil

        self._me = psutil.Process()
        self._seen: dict[int, float] = {}
        self._start = self._total(self._me.cpu_times())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    @staticmethod
    def _total(times) -> float:
        return times.user + times.system

    def _poll(self) -> None:
        import psutil

        while not self._stop.wait(0.2):
            for child in self._me.children(recursive=True):
                try:
                    self._seen[child.pid] = self._total(child.cpu_times())
                except psutil.Error:  # it just ended
                    continue

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.seconds = self._total(self._me.cpu_times()) - self._start + sum(self._seen.values())


def line(label: str, seconds: float, n: int, cpu: float, baseline_s: float | None) -> str:
    """One figure: wall time, sessions/s, ratio to the baseline, CPU per session, load."""
    ratio = "(baseline)" if baseline_s is None else f"x{baseline_s / seconds:.2f} vs 1 worker"
    return (
        f"{label:16s}{seconds:7.1f} s  {n / seconds:5.2f} sessions/s  {ratio:20s}"
        f"  CPU {cpu / n:4.2f} s/session  {load()}"
    )


def timed_batch(root: Path, **how) -> tuple[float, int]:
    """Seconds for one batch of ``root`` (analysis, cohort table and report), and the
    number of sessions analysed."""
    from sensorlab.batch.cohort import write_cohort_tables
    from sensorlab.batch.cohort_report import write_cohort_report
    from sensorlab.batch.run import run_batch

    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        run = run_batch(root, Path(out) / "cohort", progress=False, **how)
        write_cohort_tables(run)
        write_cohort_report(run)
        elapsed = time.perf_counter() - started
    if run.failed:
        raise SystemExit(f"{len(run.failed)} sessions failed, e.g. {run.failed[0].error}")
    return elapsed, len(run.analysed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200, help="how many sessions (200)")
    parser.add_argument("--minutes", type=float, default=5.0, help="session length (5)")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "sensorlab-bench-batch"
    )
    args = parser.parse_args()
    root = args.cache / f"{args.minutes:g}min"
    generate(root, args.sessions, args.minutes)
    # Only the first --sessions of the cache: a folder per run holding links to them.
    with tempfile.TemporaryDirectory() as tree:
        for seed in range(args.sessions):
            for suffix in (".csv", ".json"):
                source = root / f"s{seed:03d}" / f"session{suffix}"
                target = Path(tree) / f"s{seed:03d}" / f"session{suffix}"
                target.parent.mkdir(exist_ok=True)
                os.symlink(source, target)
        print(
            f"{args.sessions} sessions of {args.minutes:g} min (3 sensors, 100 Hz), "
            f"{os.cpu_count()} CPUs"
        )
        with CpuMeter() as cpu:
            baseline_s, n = timed_batch(Path(tree), jobs=1)
        print(line("1 worker", baseline_s, n, cpu.seconds, None), flush=True)
        with CpuMeter() as cpu:
            two_s, n = timed_batch(Path(tree), jobs=2)
        print(line("2 workers", two_s, n, cpu.seconds, baseline_s), flush=True)
        try:
            from distributed import LocalCluster
        except ImportError:
            print("Dask          skipped: pip install 'sensorlab[dask]'")
            return
        with (
            CpuMeter() as cpu,
            LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
            ) as cluster,
        ):
            dask_s, n = timed_batch(Path(tree), dask_address=cluster.scheduler_address)
        # The CPU time includes starting and stopping the cluster.
        print(line("Dask, 2 workers", dask_s, n, cpu.seconds, baseline_s))


if __name__ == "__main__":
    main()
