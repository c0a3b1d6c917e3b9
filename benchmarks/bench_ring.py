"""Benchmark: the ring buffer handoff for 3 sensors at 200 Hz.

Two measurements on a :class:`~sensorlab.buffer.RingSet` of pelvis, left and right thigh
at 200 Hz holding 60 s each:

1. One thread, for several chunk sizes (1 sample, 4 = one BLE notification of 20 ms,
   20 = 100 ms, 200 = 1 s): write one chunk per sensor, then two readers (recorder and
   processing) each read what is new. Prints samples/s through write + both reads and the
   p50/p99/max of a ``write`` call.
2. Threads as in a session: a producer thread writes 4-sample chunks back to back while
   a recorder and a processing thread wait for data and read it, and a GUI thread pulls
   ``view_last`` of 2000 samples per sensor every 16 ms. Prints the producer's samples/s,
   the p50/p99/max of a ``write`` call under this contention, and what each reader lost.

Real time needs 600 samples/s (3 x 200 Hz), about 150 writes/s of 4 samples.

Run: ``.venv/bin/python benchmarks/bench_ring.py [--seconds 2]``
"""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np

from sensorlab.buffer import RingSet
from sensorlab.records import ImuChunk

PLACEMENTS = ("pelvis", "left_thigh", "right_thigh")
RATE_HZ = 200.0


def make_chunks(placement: str, chunk_size: int, n_chunks: int, seed: int) -> list[ImuChunk]:
    """``n_chunks`` consecutive chunks of random samples with every optional column."""
    rng = np.random.default_rng(seed)
    chunks = []
    for i in range(n_chunks):
        k = np.arange(i * chunk_size, (i + 1) * chunk_size)
        t_s = k / RATE_HZ
        chunks.append(
            ImuChunk(
                placement,
                t_s,
                rng.normal(0.0, 1.0, (chunk_size, 3)),
                rng.normal(0.0, 0.1, (chunk_size, 3)),
                seq=k.astype(np.int64),
                device_t_s=t_s + 12.5,
                host_t_s=t_s + 0.01,
            )
        )
    return chunks


def percentiles_us(durations_ns: list[int]) -> str:
    """p50, p99 and max of durations, in microseconds."""
    d = np.asarray(durations_ns, dtype=np.float64) / 1e3
    return f"p50 {np.median(d):6.1f} us  p99 {np.percentile(d, 99):6.1f} us  max {d.max():8.1f} us"


def bench_single_thread(chunk_size: int, seconds: float) -> None:
    """Write one chunk per sensor, then read with two readers, for about ``seconds``."""
    n_chunks = 200
    pool = {p: make_chunks(p, chunk_size, n_chunks, seed=i) for i, p in enumerate(PLACEMENTS)}
    rings = RingSet(dict.fromkeys(PLACEMENTS, RATE_HZ), seconds=60.0)
    readers = [rings.reader("recorder"), rings.reader("processing")]
    write_ns: list[int] = []
    samples = 0
    lost = 0
    clock = time.perf_counter_ns
    start = time.perf_counter()
    rounds = 0
    while time.perf_counter() - start < seconds:
        for placement in PLACEMENTS:
            chunk = pool[placement][rounds % n_chunks]
            t0 = clock()
            rings.write(chunk)
            write_ns.append(clock() - t0)
            samples += chunk_size
        for reader in readers:
            got = reader.read()
            lost += reader.last_read_lost_
            if sum(len(c) for c in got) != 3 * chunk_size:
                raise AssertionError("a reader missed samples in the single-thread run")
        rounds += 1
    elapsed = time.perf_counter() - start
    print(
        f"  chunk {chunk_size:4d}: {samples / elapsed / 1e6:6.2f} M samples/s "
        f"({rounds * 3 / elapsed:6.0f} writes/s; 2 readers read all 3 rings per 3 writes), "
        f"write {percentiles_us(write_ns)}, lost {lost}"
    )


def bench_threads(seconds: float) -> None:
    """Producer thread at full speed against two reader threads and a GUI thread."""
    chunk_size = 4
    n_chunks = 500
    pool = {p: make_chunks(p, chunk_size, n_chunks, seed=i) for i, p in enumerate(PLACEMENTS)}
    rings = RingSet(dict.fromkeys(PLACEMENTS, RATE_HZ), seconds=60.0)
    recorder = rings.reader("recorder")
    processing = rings.reader("processing")
    reads = {"recorder": 0, "processing": 0, "gui": 0}
    write_ns: list[int] = []
    produced = [0]

    def produce() -> None:
        clock = time.perf_counter_ns
        end = time.perf_counter() + seconds
        i = 0
        while time.perf_counter() < end:
            for placement in PLACEMENTS:
                chunk = pool[placement][i % n_chunks]
                t0 = clock()
                rings.write(chunk)
                write_ns.append(clock() - t0)
            produced[0] += 3 * chunk_size
            i += 1
        rings.close()

    def consume(reader, name: str) -> None:
        while True:
            has_data = reader.wait_for_data(timeout=0.1)
            reader.read()
            reads[name] += 1
            if not has_data and rings.closed_:
                return

    def gui() -> None:
        while not rings.closed_:
            for ring in rings.rings.values():
                ring.view_last(2000)
            reads["gui"] += 1
            time.sleep(0.016)

    threads = [
        threading.Thread(target=consume, args=(recorder, "recorder")),
        threading.Thread(target=consume, args=(processing, "processing")),
        threading.Thread(target=gui),
        threading.Thread(target=produce),
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    print(
        f"  producer: {produced[0] / elapsed / 1e6:.2f} M samples/s in chunks of {chunk_size} "
        f"({len(write_ns) / elapsed:.0f} writes/s)"
    )
    print(f"  write under contention: {percentiles_us(write_ns)}")
    for name, reader in (("recorder", recorder), ("processing", processing)):
        print(
            f"  {name}: {reads[name]} reads, lost {reader.lost_} samples "
            f"in {reader.overruns_} overruns"
        )
    print(f"  gui: {reads['gui']} pulls of view_last(2000) x 3 sensors")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.0, help="time per measurement, s")
    args = parser.parse_args()
    print("single thread: write 1 chunk per sensor, then 2 readers read (3 sensors, 200 Hz)")
    for chunk_size in (1, 4, 20, 200):
        bench_single_thread(chunk_size, args.seconds)
    print("threads: producer + recorder + processing (wait_for_data) + GUI (view_last, 16 ms)")
    bench_threads(2.0 * args.seconds)


if __name__ == "__main__":
    main()
