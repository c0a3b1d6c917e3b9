"""The whole virtual BLE path: CPU and notification-to-ring-buffer latency (issue 5).

Three virtual sensors (``sensorlab.virtual.sensors``: the device models of
``sensorlab.devices`` on bumble's in-process stack) stream a simulated step-up session at
``--rate-hz`` through the unchanged collector (:class:`~sensorlab.ble.collector.BleSource`
over bleak) into a :class:`~sensorlab.session.Session` that writes the ring buffers, records
to a CSV (recorder thread) and runs the live analysis. With ``--no-analysis`` the session is
replaced by its producer and recorder alone (rings + recorder, no analysis). Prints per model:

- CPU: process CPU time over the streaming window as % of one core, for the whole process
  (virtual peripherals and both bumble stacks, bleak, the collector, the session and its
  analysis, the recorder thread);
- latency from the notification callback's stamp (``host_t_s``) to the moment the block
  holding it is written to the session's rings, p50 / p99 / max, per notification;
- notifications and samples the sensors sent per second in that window; decode errors and
  lost samples over the whole run.

The links have a 15 ms connection interval by default (``--interval-ms``; phones and
BlueZ use 15-50 ms, 7.5 ms is the floor), so notifications arrive a few per connection
event as they do from real sensors; ``--interval-ms 0`` is bumble's ideal link, where
every notification arrives on its own (the collector's worst case).

Run: ``.venv/bin/python benchmarks/bench_ble.py [--models diy,witmotion] [--seconds 30]
[--rate-hz 200] [--no-analysis] [--interval-ms 15]``
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import numpy as np

from sensorlab.buffer import RingSet
from sensorlab.io.recorder import Recorder
from sensorlab.session import Session
from sensorlab.virtual.link import RadioConditions
from sensorlab.virtual.source import VirtualBleSource


async def run(model: str, args: argparse.Namespace, folder: Path) -> dict:
    conditions = None
    if args.interval_ms > 0:
        conditions = {
            placement: RadioConditions(connection_interval_s=args.interval_ms / 1e3, seed=seed)
            for seed, placement in enumerate(("pelvis", "left_thigh", "right_thigh"))
        }
    source = VirtualBleSource(
        "sim",
        model,
        rate_hz=args.rate_hz,
        duration_s=args.seconds + 5.0,
        stop_at_end=False,
        conditions=conditions,
    )
    setup0 = time.perf_counter()
    await source.start()
    setup_s = time.perf_counter() - setup0
    collector = source.collector
    assert collector is not None and collector.t0_s is not None
    t0 = collector.t0_s
    # Notifications that arrive while start() still sends start commands (a WitMotion's
    # pause 0.2 s) wait for the stream to be read: a start-up backlog, reported apart.
    streaming_from_s = time.perf_counter() - t0
    # (write time, receive stamps) per block; the latencies are worked out after the run,
    # so that measuring them costs the measured process next to nothing.
    writes: list[tuple[float, np.ndarray]] = []

    def timed(write):
        def write_and_time(chunk) -> None:
            write(chunk)
            if len(chunk):
                writes.append((time.perf_counter() - t0, chunk.host_t_s))

        return write_and_time

    def sent() -> tuple[int, int]:
        """Notifications and samples the virtual sensors have sent so far."""
        logs = [sensor.log for sensor in source.sensors.sensors.values()]
        return sum(log.notifications_sent for log in logs), sum(log.samples for log in logs)

    # The figures cover the streaming window, from here to the stop: not the start-up
    # backlog before it, nor the stop commands, the analysis's end and the file after it.
    window_end: list[tuple[float, float, int, int]] = []

    async def stop_later() -> None:
        await asyncio.sleep(args.seconds)
        window_end.append((time.process_time(), time.perf_counter(), *sent()))
        source.stop()

    out = folder / f"bench_{model}.csv"
    cpu0, wall0 = time.process_time(), time.perf_counter()
    notifications0, samples0 = sent()
    stopper = asyncio.get_running_loop().create_task(stop_later())
    if args.no_analysis:
        rates = {p: info.rate_hz or 100.0 for p, info in source.meta.sensors.items()}
        rings = RingSet(rates, seconds=60.0)
        reader = rings.reader("recorder")
        recorder = Recorder(out, source.meta).start()
        write = timed(rings.write)
        async for block in source.blocks():
            write(block)
            recorder.write(reader.read())
        recorder.write(reader.read())
        recorder.stop()
    else:
        session = Session(source, record_path=out)
        session.rings.write = timed(session.rings.write)
        await session.run()
    await stopper
    cpu_end, wall_end, notifications_end, samples_end = window_end[0]
    cpu_s, wall_s = cpu_end - cpu0, wall_end - wall0
    latencies, backlog = [], []
    for now_s, host_t_s in writes:
        stamps = np.unique(host_t_s)  # one per notification
        early = stamps < streaming_from_s
        latencies.append(now_s - stamps[~early])
        backlog.append(now_s - stamps[early])
    status = source.status()
    return {
        "setup_s": setup_s,
        "cpu_pct": 100.0 * cpu_s / wall_s,
        "wall_s": wall_s,
        "latency_ms": np.concatenate(latencies) * 1e3,
        "backlog_ms": np.concatenate(backlog) * 1e3,
        "notifications_per_s": (notifications_end - notifications0) / wall_s,
        "samples_per_s": (samples_end - samples0) / wall_s,
        "decode_errors": sum(s.decode_errors for s in status.values()),
        "lost": sum(s.lost_samples or 0 for s in status.values()),
        "rates": {p: i.rate_hz for p, i in source.meta.sensors.items()},
    }


async def main(args: argparse.Namespace) -> None:
    what = (
        "rings + recorder, no analysis"
        if args.no_analysis
        else "Session: rings + recorder + analysis"
    )
    link = (
        f"{args.interval_ms:g} ms connection interval"
        if args.interval_ms > 0
        else "ideal link (no connection events)"
    )
    print(
        f"3 virtual sensors, {args.rate_hz:g} Hz requested, {args.seconds:g} s each, "
        f"{link}, into {what}"
    )
    with tempfile.TemporaryDirectory() as folder:
        for model in args.models.split(","):
            result = await run(model, args, Path(folder))
            p50, p99 = np.percentile(result["latency_ms"], [50, 99])
            rate = sorted(set(result["rates"].values()))
            print(f"{model} (device rate {', '.join(f'{r:g}' for r in rate)} Hz):")
            cpu, wall = result["cpu_pct"], result["wall_s"]
            print(f"  CPU            {cpu:.1f} % of one core over {wall:.1f} s")
            print(
                f"  latency        p50 {p50:.2f} ms  p99 {p99:.2f} ms  "
                f"max {result['latency_ms'].max():.2f} ms  (callback stamp -> ring buffer)"
            )
            if result["backlog_ms"].size:
                print(
                    f"  start-up       {result['backlog_ms'].size} notifications queued while "
                    f"start() sent the start commands, read {result['backlog_ms'].max():.0f} ms "
                    "after arrival at most (not in the figures above)"
                )
            print(
                f"  sent           {result['notifications_per_s']:.0f} notifications/s, "
                f"{result['samples_per_s']:.0f} samples/s; {result['decode_errors']} decode "
                f"errors, {result['lost']} samples lost; setup {result['setup_s']:.2f} s"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="diy,movesense,witmotion")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate-hz", type=float, default=200.0)
    parser.add_argument("--no-analysis", action="store_true")
    parser.add_argument(
        "--interval-ms",
        type=float,
        default=15.0,
        help="connection interval of each link, ms (0: bumble's ideal link, every "
        "notification delivered at once, a collector wake per notification)",
    )
    asyncio.run(main(parser.parse_args()))
