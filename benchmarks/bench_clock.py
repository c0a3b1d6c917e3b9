"""Benchmark: clock alignment of 3 sensors at 200 Hz, fed in 20-sample blocks.

Simulates each sensor's BLE stream (device clock 50 ppm slow, packets of 2-6 samples sent
at connection events 7.5-45 ms apart, 5 ms mean extra latency, 1 % of packets lost) and
feeds the three streams block by block, in turns, as the live pipeline does: one
:meth:`ClockAligner.update` per sensor every 100 ms. Prints microseconds per sample (the
time spent in ``update`` over the samples aligned), for :class:`ClockAligner` and for the
arrival-only :class:`ArrivalDejitter`. At 200 Hz a sensor gives a sample every 5000 us.

Run: ``.venv/bin/python benchmarks/bench_clock.py [--seconds 600] [--block 20] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from sensorlab.processing.clock import ArrivalDejitter, ClockAligner

RATE_HZ = 200.0
SENSORS = 3


def simulate_stream(duration_s: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Device and receive times of one BLE sensor stream, seconds."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * RATE_HZ)
    device_t = 12.0 + np.arange(n) / RATE_HZ
    true_t = device_t * (1.0 + 50e-6) + 0.030
    ends = np.cumsum(rng.integers(2, 7, size=n))
    ends = ends[ends < n]
    packet = np.searchsorted(ends, np.arange(n), side="right")
    ready = true_t[np.append(ends, n) - 1]
    events = ready[0] + np.cumsum(rng.uniform(0.0075, 0.045, int(duration_s / 0.0075) + 10))
    received = events[np.searchsorted(events, ready)] + rng.exponential(0.005, ready.size)
    received = np.maximum.accumulate(received)
    keep = ~(rng.random(ready.size) < 0.01)[packet]
    return device_t[keep], received[packet][keep]


def run_once(streams, block: int, arrival: bool) -> tuple[float, int]:
    """Seconds spent in update() and samples aligned, feeding all sensors in turns."""
    aligners = [ArrivalDejitter(RATE_HZ) if arrival else ClockAligner() for _ in streams]
    spent = 0.0
    samples = 0
    longest = max(device.size for device, _ in streams)
    for start in range(0, longest, block):
        for aligner, (device, host) in zip(aligners, streams, strict=True):
            if start >= device.size:
                continue
            device_block = device[start : start + block]
            host_block = host[start : start + block]
            tic = time.perf_counter()
            if arrival:
                aligner.update(host_block)
            else:
                aligner.update(device_block, host_block)
            spent += time.perf_counter() - tic
            samples += device_block.size
    return spent, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="stream length, s")
    parser.add_argument("--block", type=int, default=20, help="samples per update() call")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    streams = [simulate_stream(args.seconds, seed) for seed in range(SENSORS)]
    print(
        f"{SENSORS} sensors at {RATE_HZ:.0f} Hz, {args.seconds:.0f} s each "
        f"({sum(d.size for d, _ in streams)} samples), blocks of {args.block} samples"
    )
    for arrival in (False, True):
        name = "ArrivalDejitter.update" if arrival else "ClockAligner.update"
        per_sample_us = []
        for _ in range(args.repeats):
            spent, samples = run_once(streams, args.block, arrival)
            per_sample_us.append(1e6 * spent / samples)
        best = min(per_sample_us)
        print(
            f"{name}: {best:.2f} us per sample (median of {args.repeats}: "
            f"{statistics.median(per_sample_us):.2f} us); {best * args.block:.0f} us per "
            f"{args.block}-sample block; {100 * best * RATE_HZ * SENSORS / 1e6:.3f} % of one "
            "core for the three sensors in real time"
        )


if __name__ == "__main__":
    main()
