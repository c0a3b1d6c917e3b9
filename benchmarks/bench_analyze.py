"""End-to-end analysis speed: a 1-hour step-up session, 3 sensors at 200 Hz.

Target (issue 2): at least 500x real time (under 7.2 s for the hour) and peak memory under
1.5 GB on the project's 2-core machine. Prints the time of each stage.

The session is generated once by the simulator and cached (``--cache DIR``, default the
system temp folder); the analysis then runs in a fresh child process so that its peak
memory is its own.

Run: ``.venv/bin/python benchmarks/bench_analyze.py [--minutes 60] [--rate 200]``
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def generate(path: Path, minutes: float, rate_hz: float) -> None:
    from sensorlab.io.recording import write_recording
    from sensorlab.simulate import step_up_asymmetric

    started = time.perf_counter()
    session = step_up_asymmetric(0, duration_s=60.0 * minutes, rate_hz=rate_hz)
    write_recording(session.recording, path)
    print(
        f"generated {path.name}: {len(session.truth.reps)} reps "
        f"in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )


def peak_rss_mb() -> float:
    """This process's peak resident memory, MB.

    ``VmHWM`` belongs to the address space, so it starts afresh at exec; ``ru_maxrss``
    would carry over the parent's peak (Linux keeps it across fork and exec).
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run(path: Path, out_dir: Path) -> dict:
    """Analyse ``path`` as ``sensorlab analyze`` does; returns the figures."""
    from sensorlab.io.blocks import iter_time_blocks
    from sensorlab.io.recording import read_recording
    from sensorlab.processing.pipeline import SessionAnalyzer
    from sensorlab.summary.outputs import write_outputs

    stages: dict[str, float] = {}
    started = time.perf_counter()
    recording = read_recording(path)
    stages["read"] = time.perf_counter() - started
    analyzer = SessionAnalyzer(recording.meta, source=recording.source, provisional=False)
    for _, chunks in iter_time_blocks(recording, block_s=60.0):
        analyzer.update(chunks)
    analysis = analyzer.finish()
    stages.update(analyzer.timings_s)
    report_started = time.perf_counter()
    write_outputs(analysis, out_dir)
    stages["summary+report"] = time.perf_counter() - report_started
    total = time.perf_counter() - started
    samples = sum(len(c) for c in recording.chunks.values())
    return {
        "duration_s": recording.duration_s,
        "samples": samples,
        "reps": len(analysis.reps),
        "total_s": total,
        "stages_s": stages,
        "peak_rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="session length (60)")
    parser.add_argument("--rate", type=float, default=200.0, help="sensor rate, Hz (200)")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "sensorlab-bench"
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory() as out:
            print(json.dumps(run(args.child, Path(out))))
        return

    args.cache.mkdir(parents=True, exist_ok=True)
    path = args.cache / f"step_up_{args.minutes:g}min_{args.rate:g}hz.csv"
    if not path.exists():
        generate(path, args.minutes, args.rate)
    child = subprocess.run(
        [sys.executable, __file__, "--child", str(path)], capture_output=True, text=True, check=True
    )
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    speed = figures["duration_s"] / figures["total_s"]
    print(
        f"session        {figures['duration_s'] / 60:.1f} min, {figures['samples']:,} samples, "
        f"{figures['reps']} reps"
    )
    for stage, seconds in figures["stages_s"].items():
        print(f"  {stage:22s} {seconds:6.2f} s")
    print(f"total          {figures['total_s']:.2f} s  =  {speed:.0f}x real time (target >= 500x)")
    print(f"peak memory    {figures['peak_rss_mb']:.0f} MB (target < 1536 MB)")


if __name__ == "__main__":
    main()
