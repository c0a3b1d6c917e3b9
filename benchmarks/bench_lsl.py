"""Lab Streaming Layer outlets (issue 10): publisher CPU and inlet latency at 3 x 200 Hz.

The simulator streams a step-up session from 3 sensors at 200 Hz in real time through the
live pipeline (:class:`~sensorlab.session.Session`: rings, analysis, events) twice in this
process: once without LSL (the baseline) and once with ``--lsl``'s sink (5 outlets: 3 raw
IMU, angles, markers). An inlet in another process, on the loopback interface
(``tests/lsl_localhost.cfg``), reads every stream and measures each sample's latency: its
receive time minus its timestamp, both on ``pylsl.local_clock()``; so the figure covers
the pipeline's wake-up, the sink and LSL's transport (the timestamp is the sample's
session time mapped to LSL's clock, about when it reached the host).

Reported: the publishing process's CPU time (``time.process_time``, all its threads) as %
of one core, with LSL and without, and their ratio; latency p50/p99/max per stream kind,
over every sample and over the live part (angles and the reps so far are published in a
burst when calibration completes); samples received against samples sent.
The simulated link delivers each sensor in blocks of 20 ms, so a raw sample waits up to
20 ms for the last sample of its block before the session sees it.

Run: ``.venv/bin/python benchmarks/bench_lsl.py [--seconds 90]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import time
import uuid
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("LSLAPICFG", str(ROOT / "tests" / "lsl_localhost.cfg"))

RATE_HZ = 200.0
SENSORS = ("pelvis", "left_thigh", "right_thigh")


def _inlet_process(prefix: str, ready, stop, results) -> None:
    """Read every stream until ``stop``; put latencies (s) per stream kind in ``results``."""
    import pylsl

    names = [f"{prefix}_imu_{s}" for s in SENSORS] + [f"{prefix}_angles", f"{prefix}_events"]
    inlets = {}
    for name in names:
        found = pylsl.resolve_byprop("name", name, 1, 10.0)
        inlet = pylsl.StreamInlet(found[0], max_buflen=60)
        inlet.open_stream(10.0)
        inlets[name] = inlet
    ready.set()
    latency: dict[str, list[tuple[float, float]]] = {"imu": [], "angles": [], "events": []}
    seen: set[tuple[str, int]] = set()
    started_cpu = time.process_time()
    while not stop.is_set():
        for name, inlet in inlets.items():
            values, stamps = inlet.pull_chunk(timeout=0.0, max_samples=4096)
            if not stamps:
                continue
            now = pylsl.local_clock()
            kind = "imu" if "_imu_" in name else name.rsplit("_", 1)[1]
            for value, stamp in zip(values, stamps, strict=True):
                if kind == "events":  # a rep's or step's first marker, not its refinement
                    payload = json.loads(value[0])
                    key = (payload["event"], payload.get("index", -1))
                    if payload["event"] not in ("rep", "step") or key in seen:
                        continue
                    seen.add(key)
                latency[kind].append((now, now - stamp))
        time.sleep(0.001)
    results.put((latency, time.process_time() - started_cpu))


def _session(seconds: float, seed: int):
    from sensorlab.session import Session
    from sensorlab.simulate.scenarios import make_scenario
    from sensorlab.sources.simulated import SimulatedSource

    simulated = make_scenario("step_up_asymmetric", seed, duration_s=seconds, rate_hz=RATE_HZ)
    source = SimulatedSource.from_session(simulated, "sim:bench", speed=1.0)
    return Session(source), simulated


def _run(session) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    asyncio.run(session.run())
    return time.perf_counter() - wall, time.process_time() - cpu


def _percentiles(pairs: list[tuple[float, float]], live_only: bool) -> str:
    """Latency figures; ``live_only``: only samples stamped after the stream's first sample
    was received (without the backlog sent when calibration completed)."""
    if live_only and pairs:
        first_received = min(received for received, _ in pairs)
        pairs = [(r, lat) for r, lat in pairs if r - lat >= first_received]
    if not pairs:
        return "none received"
    ms = np.asarray([latency for _, latency in pairs]) * 1e3
    p50, p99 = np.percentile(ms, [50, 99])
    return f"p50 {p50:8.1f} ms   p99 {p99:8.1f} ms   max {ms.max():8.1f} ms   n {ms.size}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=90.0, help="session length (real time)")
    args = parser.parse_args()
    from sensorlab.sinks.lsl import LslSettings, LslSink

    print(f"3 sensors x {RATE_HZ:g} Hz, {args.seconds:g} s in real time, loopback LSL")
    baseline, _ = _session(args.seconds, seed=1)
    wall0, cpu0 = _run(baseline)
    print(f"without LSL: CPU {cpu0:6.2f} s = {100 * cpu0 / wall0:5.1f} % of one core")

    session, simulated = _session(args.seconds, seed=1)
    prefix = f"bench{uuid.uuid4().hex[:6]}"
    sink = LslSink(session.source.meta, session.analyzer.rate_hz, "bench", LslSettings(prefix, 1.0))
    session.sinks.append(sink)
    context = multiprocessing.get_context("spawn")
    ready, stop, results = context.Event(), context.Event(), context.Queue()
    reader = context.Process(target=_inlet_process, args=(prefix, ready, stop, results))
    reader.start()
    if not ready.wait(60.0):
        raise SystemExit("the inlet process did not find the streams")
    wall1, cpu1 = _run(session)
    time.sleep(1.0)  # the last samples in flight
    stop.set()
    latency, inlet_cpu = results.get(timeout=60.0)
    reader.join(30.0)
    print(f"with LSL:    CPU {cpu1:6.2f} s = {100 * cpu1 / wall1:5.1f} % of one core")
    print(f"ratio with/without LSL: {cpu1 / cpu0:.2f}")
    print(f"inlet process CPU: {100 * inlet_cpu / wall1:.1f} % of one core (polling every 1 ms)")
    sent = sum(len(c) for c in simulated.recording.chunks.values())
    print(f"raw IMU samples: sent {sent}, received {len(latency['imu'])}")
    print("latency, every sample (angles and the reps so far go out in a burst once")
    print("calibration is done: quiet standing, then reps leading with each leg):")
    for kind in ("imu", "angles", "events"):
        print(f"  {kind:7s} {_percentiles(latency[kind], live_only=False)}")
    print("  (events: each rep's or step's first marker; refined values come again later)")
    print("latency, live part (samples stamped after the stream's first one arrived):")
    for kind in ("imu", "angles", "events"):
        print(f"  {kind:7s} {_percentiles(latency[kind], live_only=True)}")


if __name__ == "__main__":
    main()
