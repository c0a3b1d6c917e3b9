"""The live pipeline's figures (issue 3): event latency, CPU, replay speed, memory.

- latency: from the arrival of the block that completes a rep to its event, p50 and p99,
  with the simulator streaming 3 sensors at 200 Hz in real time (targets < 5 ms, < 20 ms);
- CPU: process CPU time over that real-time run and over its steady state (after
  calibration), as % of one core (target < 10 %); ``--scenario DRILL_asymmetric`` runs a
  standing drill's preset instead, simulated at 200 Hz first and replayed at 1x (the
  simulator's own cost is then not in the figure);
- replay at max speed, as x real time (target >= 100x);
- memory over a 1-hour replay at max speed: RSS after calibration and at the end.

Run: ``.venv/bin/python benchmarks/bench_stream.py [--realtime-s 150] [--hour-minutes 60]
[--scenario split_squat_asymmetric --realtime-only]``
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from sensorlab.processing.events import CalibrationDone, RepFinished
from sensorlab.session import Session
from sensorlab.simulate.scenarios import make_scenario
from sensorlab.sources.replay import ReplaySource
from sensorlab.sources.simulated import SimulatedSource


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def realtime(seconds: float, scenario: str = "step_up_asymmetric") -> None:
    if scenario.startswith(("step_up", "walk")):
        source = SimulatedSource(scenario, duration_s=seconds, rate_hz=200.0, speed=1.0)
    else:  # a drill's preset has its own length: simulated first, then replayed at 1x
        recording = make_scenario(scenario, 0, rate_hz=200.0).recording
        source = ReplaySource(recording, speed=1.0)
    session = Session(source)
    latencies: list[float] = []
    calibrated_at_s = float("inf")
    calibrated_clocks: tuple[float, float] | None = None  # process and wall clock then

    async def run() -> None:
        nonlocal calibrated_at_s, calibrated_clocks
        async for event in session.events():
            if isinstance(event, CalibrationDone):
                calibrated_at_s = event.t_s
                calibrated_clocks = (time.process_time(), time.perf_counter())
            # Reps that ended before calibration completed come out provisional (each
            # computing its own calibration), then again, refined, together when it
            # completes; the target is about the steady state after it.
            if isinstance(event, RepFinished) and event.rep.t_end > calibrated_at_s:
                latencies.append(session.stats.event_latency_s[-1])

    cpu0, wall0 = time.process_time(), time.perf_counter()
    asyncio.run(run())
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    ms = np.array(latencies) * 1e3
    print(
        f"real time, {scenario}, 3 x 200 Hz, {wall:.0f} s, {len(ms)} reps finished after "
        "calibration"
    )
    p50, p99 = np.percentile(ms, 50), np.percentile(ms, 99)
    print(f"  rep event latency   p50 {p50:.2f} ms  p99 {p99:.2f} ms  max {ms.max():.2f} ms")
    print("                      (targets: p50 < 5 ms, p99 < 20 ms)")
    print(f"  CPU                 {100 * cpu / wall:.1f} % of one core, whole run (target < 10 %)")
    if calibrated_clocks is None:
        print("                      (no calibration in the run: no steady-state figure)")
        return
    steady_cpu, steady_wall = cpu0 + cpu - calibrated_clocks[0], wall0 + wall - calibrated_clocks[1]
    print(
        f"                      {100 * steady_cpu / steady_wall:.1f} % after calibration "
        f"({steady_wall:.0f} s: the steady state, every stage running)"
    )


def max_speed(path: Path, label: str) -> None:
    source = ReplaySource.from_path(path, speed=None)
    duration = source.recording.duration_s
    session = Session(source)
    rss = {}

    async def run() -> None:
        async for event in session.events():
            if isinstance(event, CalibrationDone):
                rss["after calibration"] = rss_mb()

    started = time.perf_counter()
    asyncio.run(run())
    elapsed = time.perf_counter() - started
    rss["end"] = rss_mb()
    speed = duration / elapsed
    print(f"replay at max speed, {label}: {duration / 60:.1f} min in {elapsed:.1f} s")
    print(f"  {speed:.0f}x real time (target >= 100x)")
    print(
        "  RSS "
        + ", ".join(f"{k} {v:.0f} MB" for k, v in rss.items())
        + f"; {len(session.analysis.reps)} reps"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realtime-s", type=float, default=150.0)
    parser.add_argument("--hour-minutes", type=float, default=60.0)
    parser.add_argument("--scenario", default="step_up_asymmetric", help="the real-time run's")
    parser.add_argument("--realtime-only", action="store_true", help="skip the replays")
    args = parser.parse_args()
    realtime(args.realtime_s, args.scenario)
    if args.realtime_only:
        return
    bundled = Path(__file__).resolve().parents[1] / "recordings" / "step_up_asymmetric.csv"
    max_speed(bundled, "bundled step-up")
    name = f"step_up_{args.hour_minutes:g}min_200hz.csv"
    cache = Path(tempfile.gettempdir()) / "sensorlab-bench" / name
    if not cache.exists():
        hint = f"benchmarks/bench_analyze.py --minutes {args.hour_minutes:g}"
        print(f"(generate {cache.name} first: {hint})", file=sys.stderr)
        return
    max_speed(cache, f"{args.hour_minutes:g} min at 200 Hz")


if __name__ == "__main__":
    main()
