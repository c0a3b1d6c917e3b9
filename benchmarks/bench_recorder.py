"""Benchmark: the streaming Recorder on a 3-sensor, 200 Hz stream (with seq and device_t).

Two figures:

- throughput: ``--seconds`` of stream (600 s = 360 k rows by default) handed to
  ``Recorder.write`` in 50 ms blocks as fast as possible; rows/s from the first write until
  ``stop()`` has flushed, fsynced and closed the file, and the cost of one ``write`` call;
- real time: ``--live-seconds`` of the same stream paced by the wall clock (a block per
  sensor every 50 ms, as a Bluetooth receiver would deliver it); CPU time of the recorder's
  writing thread and of the whole process per second of stream, and how far the file lags
  behind what was handed over, against the promised bound (reorder window plus flush
  interval: what a kill -9 may lose; the tests check what reaches the file, not when).

Run: ``.venv/bin/python benchmarks/bench_recorder.py [--seconds 600] [--live-seconds 10]``
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from bench_read import make_recording

from sensorlab.io.blocks import slice_chunk
from sensorlab.io.recorder import Recorder
from sensorlab.records import ImuChunk, SessionMeta

RATE_HZ = 200.0
BLOCK_S = 0.05


def stream_blocks(duration_s: float) -> tuple[SessionMeta, list[ImuChunk]]:
    """3 x 200 Hz of swinging sensors with seq and device_t, in 50 ms blocks by arrival."""
    recording = make_recording(duration_s, RATE_HZ)
    per_block = int(round(BLOCK_S * RATE_HZ))
    blocks = []
    for chunk in recording.chunks.values():
        chunk = dataclasses.replace(chunk, device_t_s=1000.0 + chunk.t_s * 1.00002)
        for lo in range(0, len(chunk), per_block):
            blocks.append(slice_chunk(chunk, lo, lo + per_block))
    blocks.sort(key=lambda block: block.t_s[-1])
    return recording.meta, blocks


def writer_thread_cpu_s() -> float | None:
    """CPU seconds used so far by the recorder's writing thread (Linux/Unix), or None."""
    for thread in threading.enumerate():
        if thread.name == "sensorlab-recorder" and thread.ident is not None:
            try:
                return time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
            except (AttributeError, OSError):
                return None
    return None


def throughput(folder: Path, duration_s: float) -> None:
    meta, blocks = stream_blocks(duration_s)
    rows = sum(len(b) for b in blocks)
    path = folder / "throughput.csv"
    recorder = Recorder(path, meta).start()
    calls = []
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    for block in blocks:
        c0 = time.perf_counter()
        recorder.write(block)
        calls.append(time.perf_counter() - c0)
    fed = time.perf_counter() - t0
    recorder.stop()
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    assert recorder.rows_written_ == rows and recorder.error_ is None
    print(
        f"throughput: {rows} rows ({duration_s:.0f} s of 3 x {RATE_HZ:.0f} Hz, "
        f"{path.stat().st_size / 1e6:.1f} MB) in {wall:.2f} s = {rows / wall:,.0f} rows/s "
        f"({duration_s / wall:.0f}x real time); process CPU {cpu:.2f} s"
    )
    print(
        f"  write(): {len(calls)} calls, median {statistics.median(calls) * 1e6:.1f} us, "
        f"max {max(calls) * 1e6:.0f} us; feeding took {fed:.2f} s of the {wall:.2f} s"
    )


def real_time(folder: Path, duration_s: float) -> None:
    meta, blocks = stream_blocks(duration_s)
    path = folder / "live.csv"
    recorder = Recorder(path, meta).start()
    thread0 = writer_thread_cpu_s()
    cpu0 = time.process_time()
    start = time.monotonic()
    fsync_ages = []  # s since the last fsync, seen at each write
    behind = []  # rows handed over and not yet in the file, seen before each write
    handed = 0
    calls = []
    for block in blocks:
        delay = start + float(block.t_s[-1]) - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        behind.append(handed - recorder.rows_written_)  # before this block
        c0 = time.perf_counter()
        recorder.write(block)
        calls.append(time.perf_counter() - c0)
        fsync_ages.append(time.monotonic() - recorder.last_fsync_t_)
        handed += len(block)
    thread1 = writer_thread_cpu_s()
    cpu = time.process_time() - cpu0
    elapsed = time.monotonic() - start
    recorder.stop()
    stream_s = float(blocks[-1].t_s[-1])
    print(
        f"real time: {stream_s:.1f} s of 3 x {RATE_HZ:.0f} Hz paced by the clock "
        f"({elapsed:.1f} s wall), {recorder.rows_written_} rows; time since the last fsync "
        f"at most {max(fsync_ages):.2f} s"
    )
    promised_s = recorder.settings.reorder_window_s + recorder.settings.flush_interval_s
    lag_s = max(behind) / (len(meta.sensors) * RATE_HZ)
    print(
        f"  the file behind what was handed over: at most {lag_s:.2f} s of stream "
        f"({lag_s / promised_s:.2f} x the promised {promised_s:.1f} s)"
    )
    if thread0 is not None and thread1 is not None:
        per_s = (thread1 - thread0) / stream_s
        print(
            f"  writing thread CPU: {per_s * 1e3:.2f} ms per second of stream "
            f"({per_s * 100:.2f} % of one core)"
        )
    print(
        f"  write(): median {statistics.median(calls) * 1e6:.1f} us, "
        f"99th percentile {np.percentile(calls, 99) * 1e6:.1f} us, max {max(calls) * 1e6:.0f} us"
    )
    print(
        f"  whole process CPU (feeding loop included): {cpu / stream_s * 1e3:.2f} ms per "
        f"second of stream ({cpu / stream_s * 100:.2f} % of one core)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600.0, help="stream for throughput")
    parser.add_argument("--live-seconds", type=float, default=10.0, help="paced stream")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        throughput(Path(folder), args.seconds)
        real_time(Path(folder), args.live_seconds)


if __name__ == "__main__":
    main()
