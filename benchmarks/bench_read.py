"""Benchmark: read a 1-hour, 3-sensor, 200 Hz recording (2.16 M rows) with read_recording.

Generates the file with random, physically consistent data (sensors swinging with noise, so
the unit checks run on moving data) in a temporary folder, written by write_recording (whose
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
from scipy.spatial.transform import Rotation

from sensorlab.io.recording import read_recording, write_recording
from sensorlab.records import ImuChunk, Recording, SensorInfo, SessionMeta

PLACEMENTS = ("pelvis", "left_thigh", "right_thigh")
MOUNTS = {
    "pelvis": {"x": "up", "y": "left", "z": "backward"},
    "left_thigh": {"x": "up", "y": "forward", "z": "left"},
    "right_thigh": {"x": "up", "y": "backward", "z": "right"},
}


def make_recording(duration_s: float, rate_hz: float, seed: int = 0) -> Recording:
    """Three sensors that keep swinging about a horizontal axis, with noise and ``seq``.

    The sensor's x axis points up at rest; it turns about its y axis by a sum of two
    sinusoids with random phases (leg-swing-like, up to about 50 degrees), so acc is
    gravity's reaction rotated into the sensor frame plus noise and gyro the matching rate
    plus noise: data on which the unit checks have work to do, as in a real session.
    """
    rng = np.random.default_rng(seed)
    n = int(duration_s * rate_hz)
    chunks = {}
    axis = np.array([0.0, 1.0, 0.0])
    x_up = Rotation.from_euler("y", -90.0, degrees=True)
    for k, name in enumerate(PLACEMENTS):
        t_s = np.arange(n) / rate_hz + 0.0013 * k + rng.uniform(0, 2e-4, n)
        parts = [(0.5, 0.45, rng.uniform(0, 2 * np.pi)), (0.3, 1.3, rng.uniform(0, 2 * np.pi))]
        angle = sum(a * np.sin(2 * np.pi * f * t_s + p) for a, f, p in parts)
        rate = sum(a * 2 * np.pi * f * np.cos(2 * np.pi * f * t_s + p) for a, f, p in parts)
        turned = x_up * Rotation.from_rotvec(angle[:, None] * axis)
        acc = turned.inv().apply([0.0, 0.0, 9.81]) + rng.normal(0.0, 0.05, (n, 3))
        gyr = rate[:, None] * axis + rng.normal(0.0, np.radians(0.5), (n, 3))
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
