"""Benchmark: read a 1-hour, 3-sensor, 200 Hz recording (2.16 M rows) with read_recording.

Generates the file with random data in a temporary folder (written by write_recording, whose
time is printed too), then reads it a few times and prints rows/s and seconds. The target on
the 2-core reference machine is well under 1.5 s per read of a clean file.

Run: ``.venv/bin/python benchmarks/bench_read.py [--seconds 3600] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from sensorlab.io.recording import read_recording, write_recording
from sensorlab.records import ImuChunk, Recording, SensorInfo, SessionMeta

PLACEMENTS = ("pelvis", "left_thigh", "right_thigh")
MOUNTS = {
    "pelvis": {"x": "up", "y": "left", "z": "backward"},
    "left_thigh": {"x": "up", "y": "forward", "z": "left"},
    "right_thigh": {"x": "up", "y": "backward", "z": "right"},
}


def make_recording(duration_s: float, rate_hz: float, seed: int = 0) -> Recording:
    """Random samples (gravity plus noise, gyro noise) with ``seq`` for three sensors."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * rate_hz)
    chunks = {}
    for k, name in enumerate(PLACEMENTS):
        t_s = np.arange(n) / rate_hz + 0.0013 * k + rng.uniform(0, 2e-4, n)
        acc = rng.normal(0.0, 0.5, (n, 3)) + np.array([9.81, 0.0, 0.0])
        gyr = np.deg2rad(rng.normal(0.0, 20.0, (n, 3)))
        seq = np.arange(n, dtype=np.int64) % 65536
        chunks[name] = ImuChunk(name, t_s, acc, gyr, seq=seq)
    sensors = {p: SensorInfo(p, rate_hz=rate_hz, mount=MOUNTS[p]) for p in PLACEMENTS}
    return Recording("bench.csv", SessionMeta(activity="walk", sensors=sensors), chunks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3600.0, help="session length, s")
    parser.add_argument("--rate", type=float, default=200.0, help="per-sensor rate, Hz")
    parser.add_argument("--repeats", type=int, default=5, help="timed reads")
    args = parser.parse_args()

    recording = make_recording(args.seconds, args.rate)
    rows = sum(len(c) for c in recording.chunks.values())
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.csv"
        start = time.perf_counter()
        write_recording(recording, path)
        write_s = time.perf_counter() - start
        size_mb = path.stat().st_size / 1e6
        print(f"wrote {rows:,} rows ({size_mb:.0f} MB) in {write_s:.2f} s")
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            result = read_recording(path)
            times.append(time.perf_counter() - start)
        assert sum(len(c) for c in result.chunks.values()) == rows, "rows lost"
        assert not result.warnings, result.warnings
    best, median = min(times), statistics.median(times)
    print(
        f"read_recording: best {best:.3f} s, median {median:.3f} s over {args.repeats} reads "
        f"({rows / best / 1e6:.2f} M rows/s best, {rows / median / 1e6:.2f} M rows/s median)"
    )


if __name__ == "__main__":
    main()
