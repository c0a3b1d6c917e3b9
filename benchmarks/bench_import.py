"""Benchmark: import a 1-hour Movella DOT export against reading the same session's contract CSV.

Simulates a walk (``walk_symmetric``) for ``--seconds`` and writes it as three DOT app
exports at 60 Hz (quaternion + free acceleration, the app's "Extended (Quaternion)" mode,
:mod:`sensorlab.simulate.dot_export`; 5 % of the left thigh's packets lost and
SampleTimeFine wrapping once). Then, a few times each: ``import_session`` on the three DOT
files (parse, align on SampleTimeFine, derive angular rate and specific force from the
orientation) and ``read_recording`` on the contract CSV that the import writes. Prints both
and the ratio import / contract read (same machine, same run).

Run: ``.venv/bin/python benchmarks/bench_import.py [--seconds 3600] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from sensorlab.io.recording import read_recording, write_recording
from sensorlab.io.vendors.session import import_session
from sensorlab.simulate.dot_export import write_dot_exports
from sensorlab.simulate.scenarios import make_scenario


def timed(function, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3600.0, help="session length, s")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each")
    args = parser.parse_args()

    start = time.perf_counter()
    session = make_scenario("walk_symmetric", 0, duration_s=args.seconds)
    n = np.arange(0.0, session.truth.duration_s, 1.0 / 60.0).size
    lost = {"left_thigh": np.random.default_rng(0).random(n) < 0.05}
    with tempfile.TemporaryDirectory() as folder:
        exports = write_dot_exports(
            session, Path(folder) / "dot", start_us=2**32 - 600_000_000, lost=lost
        )
        paths = [export.path for export in exports.values()]
        size_mb = sum(p.stat().st_size for p in paths) / 1e6
        print(
            f"simulated and wrote 3 DOT exports, {session.truth.duration_s / 60:.0f} min at "
            f"60 Hz ({size_mb:.0f} MB) in {time.perf_counter() - start:.1f} s"
        )
        import_s, recording = timed(lambda: import_session(paths), args.repeats)
        rows = sum(len(c) for c in recording.chunks.values())
        contract = Path(folder) / "session.csv"
        write_recording(recording, contract)
        read_s, _ = timed(lambda: read_recording(contract), args.repeats)
        contract_mb = contract.stat().st_size / 1e6
    print(f"import of the DOT files ({rows:,} samples): {import_s:.2f} s")
    print(f"read of the contract CSV ({contract_mb:.0f} MB): {read_s:.2f} s")
    print(f"ratio import / contract read: {import_s / read_s:.2f}")


if __name__ == "__main__":
    main()
