"""Speed of the standing drills' analysis (issue 14, item 7): live CPU, offline vs a floor.

**Live.** Per drill, its asymmetric preset (10 steps of walking, 12 reps) with 3 sensors
at 200 Hz is streamed through ``SessionAnalyzer(meta, source=..., provisional=True)`` as
a live session feeds it: each sensor delivers blocks of ``--block-ms`` (20 ms: 4 samples)
in time order, and the analysis is updated, with all blocks that arrived since, whenever
the sensor that lags behind delivers (as ``sensorlab.session.Session`` wakes it; blocks
of the others just wait). Reported: the process CPU time (``time.process_time``) of all
updates as % of one core over the session's duration (target < 10 %), and each update's
wall time p50/p99/max, ms. Run once with the drill given (``--activity DRILL``) and once
without (neither given nor in the sidecar: every drill's segmenter runs, and the
activity is decided at the end).

**Offline.** Per drill, a ``--minutes`` session of its reps (the preset's sides and
amplitudes) with 3 sensors at 200 Hz is written as a recording CSV (cached, like
``bench_analyze.py``), then, each in a fresh child process (peak memory its own):

- ``analyze``: ``read_recording`` + ``analyze(recording, drill)`` (batch);
- ``floor``: what any analysis of the file must do, measured in the same run: pandas
  reads the CSV (as ``read_recording`` parses it), every sensor is resampled onto the
  100 Hz grid (``GridResampler``, as the pipeline), and Fusion (``imufusion.Ahrs`` with
  its ``Bias`` tracker and the pipeline's settings) runs over every grid row of every
  sensor, fed float32 rows cast once and its quaternions joined into one array (the
  cheapest way known: a floor must not be slower than what it bounds);
- ``as sensorlab analyze``: ``bench_analyze.run``, the CLI's way (60 s blocks, the
  provisional analysis off, summary and report written), for comparison.

Each is repeated ``--repeats`` times, interleaved; the fastest of each is kept. Printed:
wall and CPU time of each, the ratio analyze / floor (target <= 1.5x; the ratio is the
figure, since this machine's speed varies 2x between days) and peak memory. Two ratios:
of the fastest runs, and the median over the repeats of each repeat's own ratio (its
analysis over the floor run just before it): on a machine whose speed drifts within
seconds, the paired one compares runs made in the same conditions. ``--profile`` prints
where ``analyze`` spends its time (cProfile, cumulative) for each drill.

Run: ``.venv/bin/python benchmarks/bench_drills_speed.py [--minutes 5] [--repeats 3]
[--drills lunge squat] [--no-live] [--no-offline] [--profile]``
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import math
import pstats
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
from bench_analyze import peak_rss_mb, run
from drills import preset_settings

from sensorlab.processing.movements import drill_names

LIVE_RATE_HZ = 200.0
LIVE_CPU_TARGET_PCT = 10.0
OFFLINE_RATIO_TARGET = 1.5


def live_blocks(recording, block_s: float):
    """Each sensor's samples cut into ``block_s`` blocks, in the order they complete."""
    from sensorlab.io.blocks import slice_chunk

    blocks = []
    for chunk in recording.chunks.values():
        edges = np.flatnonzero(np.diff(np.floor(chunk.t_s / block_s))) + 1
        bounds = [0, *edges.tolist(), len(chunk)]
        for lo, hi in itertools.pairwise(bounds):
            blocks.append((float(chunk.t_s[hi - 1]), chunk.placement, lo, hi))
    blocks.sort()
    return [slice_chunk(recording.chunks[placement], lo, hi) for _, placement, lo, hi in blocks]


def live(name: str, activity: str | None, block_s: float) -> dict:
    """Stream the drill's preset through a live analyzer; CPU and update times."""
    from sensorlab.processing.pipeline import SessionAnalyzer
    from sensorlab.simulate.scenarios import make_scenario

    recording = make_scenario(f"{name}_asymmetric", 0, rate_hz=LIVE_RATE_HZ).recording
    blocks = live_blocks(recording, block_s)
    # Without an activity the sidecar's would be taken: it is cleared, as in a live
    # session of a source that does not name one.
    meta = replace(recording.meta, activity=activity)
    analyzer = SessionAnalyzer(meta, activity, source=recording.source, provisional=True)
    newest = dict.fromkeys(recording.chunks, -math.inf)
    pending = []
    update_s = []
    cpu0 = time.process_time()
    for block in blocks:
        pending.append(block)
        laggard = min(newest.values())
        newest[block.placement] = float(block.t_s[-1])
        if min(newest.values()) <= laggard and laggard != -math.inf:
            continue  # the laggard did not advance: no new grid row, the block waits
        started = time.perf_counter()
        analyzer.update(pending, now_t_s=max(newest.values()))
        update_s.append(time.perf_counter() - started)
        pending = []
    cpu_s = time.process_time() - cpu0
    finish0 = time.perf_counter()
    analysis = analyzer.finish()
    duration_s = max(float(c.t_s[-1] - c.t_s[0]) for c in recording.chunks.values())
    ms = 1e3 * np.array(update_s)
    return {
        "duration_s": duration_s,
        "cpu_pct": 100.0 * cpu_s / duration_s,
        "updates": len(update_s),
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "max_ms": float(ms.max()),
        "finish_s": time.perf_counter() - finish0,
        "reps": len(analysis.reps),
        "activity": analysis.activity,
    }


def offline_session(name: str, minutes: float, rate_hz: float, seed: int = 0):
    """About ``minutes`` of the drill's preset reps (its sides and amplitudes)."""
    from sensorlab.simulate.drills import profile, simulate_drill
    from sensorlab.simulate.imu import DEFAULT_SENSOR_SETTINGS
    from sensorlab.simulate.scenarios import PRESET_MOUNT_ERROR_DEG

    settings = preset_settings(name)
    rep_s = (settings.rep_duration_s or profile(name).REP_DURATION_S) + 0.5 * sum(
        settings.pause_range_s
    )
    reps = max(2, round(60.0 * minutes / rep_s))
    sensor_settings = replace(
        DEFAULT_SENSOR_SETTINGS,
        rate_hz=rate_hz,
        mount_error_deg=PRESET_MOUNT_ERROR_DEG,
        mount_error_uniform=True,
    )
    return simulate_drill(replace(settings, reps=reps), sensor_settings, seed)


def cached_recording(cache: Path, name: str, minutes: float, rate_hz: float) -> Path:
    from sensorlab.io.recording import write_recording

    path = cache / f"{name}_{minutes:g}min_{rate_hz:g}hz.csv"
    if not path.exists():
        started = time.perf_counter()
        session = offline_session(name, minutes, rate_hz)
        write_recording(session.recording, path)
        print(
            f"generated {path.name}: {len(session.truth.drill_reps)} reps, "
            f"{session.truth.duration_s / 60:.1f} min in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
    return path


def run_analyze(path: Path, name: str) -> dict:
    from sensorlab.io.recording import read_recording
    from sensorlab.processing.pipeline import analyze

    wall0, cpu0 = time.perf_counter(), time.process_time()
    recording = read_recording(path)
    read_s = time.perf_counter() - wall0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        analysis = analyze(recording, name)
    return {
        "wall_s": time.perf_counter() - wall0,
        "cpu_s": time.process_time() - cpu0,
        "read_s": read_s,
        "reps": len(analysis.reps),
        "peak_rss_mb": peak_rss_mb(),
    }


def run_cli(path: Path, name: str) -> dict:
    """As ``sensorlab analyze`` does it (``bench_analyze.run``), with its CPU time."""
    cpu0 = time.process_time()
    with tempfile.TemporaryDirectory() as out, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        figures = run(path, Path(out))
    return {
        "wall_s": figures["total_s"],
        "cpu_s": time.process_time() - cpu0,
        "read_s": figures["stages_s"]["read"],
        "peak_rss_mb": figures["peak_rss_mb"],
    }


def run_floor(path: Path) -> dict:
    """pandas read + the 100 Hz grid per sensor + Fusion over every grid row."""
    import pandas as pd

    from sensorlab.processing.orientation import DEFAULT_ORIENTATION, fusion_filters
    from sensorlab.processing.timebase import DEFAULT_TIMEBASE, GridResampler
    from sensorlab.units import GRAVITY_M_S2

    numeric = ["t", "acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z", "seq", "device_t"]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    frame = pd.read_csv(
        path,
        dtype={**dict.fromkeys(numeric, "float64"), "sensor": "category"},
        encoding="utf-8-sig",
    )
    read_s = time.perf_counter() - wall0
    grid_hz = DEFAULT_TIMEBASE.rate_hz
    rows = 0
    for _, sensor in frame.groupby("sensor", observed=True):
        t = sensor["t"].to_numpy()
        values = sensor[numeric[1:7]].to_numpy()
        rate_hz = 1.0 / float(np.median(np.diff(t)))
        resampler = GridResampler(
            DEFAULT_TIMEBASE,
            averaging=GridResampler.averaging_for(rate_hz),
            sample_rate_hz=rate_hz,
            match_columns=(3, 4, 5),
        )
        grid = np.vstack([resampler.update(t, values).values, resampler.flush().values])
        ahrs, bias = fusion_filters(grid_hz, DEFAULT_ORIENTATION)
        ahrs.set_sample_period(1.0 / grid_hz)
        update, quaternion, unbias = ahrs.update_no_magnetometer, ahrs.get_quaternion, bias.update
        quaternions = []
        # Fusion computes in float32: rows cast once, as the pipeline does, not by Fusion
        # row by row (a third of the loop).
        accs = (grid[:, 0:3] / GRAVITY_M_S2).astype(np.float32)
        gyrs = grid[:, 3:6].astype(np.float32)
        for acc, gyr in zip(accs, gyrs, strict=True):
            update(unbias(gyr), acc)  # the CSV's gyro is deg/s, as Fusion takes it
            quaternions.append(quaternion())
        # The quaternions as one array, by joining their bytes (the cheapest way known;
        # the analysis does the same before widening them to float64).
        rows += len(np.frombuffer(b"".join(quaternions), dtype=np.float32).reshape(-1, 4))
    return {
        "wall_s": time.perf_counter() - wall0,
        "cpu_s": time.process_time() - cpu0,
        "read_s": read_s,
        "grid_rows": rows,
        "peak_rss_mb": peak_rss_mb(),
    }


def child(kind: str, path: Path, name: str) -> dict:
    command = [sys.executable, __file__, "--child", kind, str(path), name]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def profile_analyze(path: Path, name: str, lines: int) -> None:
    from sensorlab.io.recording import read_recording
    from sensorlab.processing.pipeline import analyze

    profiler = cProfile.Profile()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        profiler.runcall(lambda: analyze(read_recording(path), name))
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(lines)
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drills", nargs="+", default=drill_names(), choices=drill_names())
    parser.add_argument("--block-ms", type=float, default=20.0, help="live block per sensor (20)")
    parser.add_argument("--minutes", type=float, default=5.0, help="offline session length (5)")
    parser.add_argument("--rate", type=float, default=200.0, help="offline sensor rate, Hz")
    parser.add_argument("--repeats", type=int, default=3, help="offline runs of each (3)")
    parser.add_argument("--no-live", action="store_true")
    parser.add_argument("--no-offline", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile analyze per drill")
    parser.add_argument(
        "--cache", type=Path, default=Path(tempfile.gettempdir()) / "sensorlab-bench"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, path, name = args.child
        figures = run_floor(Path(path)) if kind == "floor" else RUNS[kind](Path(path), name)
        print(json.dumps(figures))
        return

    if not args.no_live:
        print(
            f"live: 3 sensors x {LIVE_RATE_HZ:g} Hz, {args.block_ms:g} ms blocks per sensor, "
            f"provisional reps; CPU % of one core over the session (target < "
            f"{LIVE_CPU_TARGET_PCT:g} %), update wall time ms"
        )
        print(
            f"  {'drill':17s} {'activity':9s} {'session':>8s} {'updates':>8s} {'CPU':>7s} "
            f"{'p50':>6s} {'p99':>6s} {'max':>7s} {'reps':>5s}"
        )
        for name in args.drills:
            for activity in (name, None):
                f = live(name, activity, args.block_ms / 1e3)
                print(
                    f"  {name:17s} {'given' if activity else 'detected':9s} "
                    f"{f['duration_s']:6.0f} s {f['updates']:8d} {f['cpu_pct']:5.1f} % "
                    f"{f['p50_ms']:6.2f} {f['p99_ms']:6.2f} {f['max_ms']:7.1f} {f['reps']:5d}"
                    + ("" if f["activity"] == name else f"  (analysed as {f['activity']})"),
                    flush=True,
                )

    if not args.no_offline:
        offline(args)


RUNS = {"analyze": run_analyze, "cli": run_cli}

KINDS = {
    "floor": "floor",
    "analyze": "read + analyze()",
    "cli": "as sensorlab analyze",
}
"""The offline runs: the floor, the batch analysis, and the CLI's way (``bench_analyze``)."""


def offline(args: argparse.Namespace) -> None:
    args.cache.mkdir(parents=True, exist_ok=True)
    print(
        f"\noffline: {args.minutes:g} min sessions, 3 sensors x {args.rate:g} Hz, fastest of "
        f"{args.repeats} runs, each in a fresh process; ratio to the floor (target <= "
        f"{OFFLINE_RATIO_TARGET:g}x)\n  floor: pandas read + 100 Hz grid + Fusion per grid row; "
        "as sensorlab analyze: read, 60 s blocks, provisional (the CLI's default), summary "
        "and report written (bench_analyze.run)"
    )
    table = []
    for name in args.drills:
        path = cached_recording(args.cache, name, args.minutes, args.rate)
        runs: dict[str, list[dict]] = {kind: [] for kind in KINDS}
        for _ in range(args.repeats):
            for kind in KINDS:
                runs[kind].append(child(kind, path, name))
        best = {
            kind: {m: min(r[m] for r in rs) for m in ("wall_s", "cpu_s", "read_s")}
            for kind, rs in runs.items()
        }
        peak = {kind: max(r["peak_rss_mb"] for r in rs) for kind, rs in runs.items()}
        floor = best["floor"]
        paired = {
            kind: {
                m: float(np.median([r[m] / f[m] for r, f in zip(rs, runs["floor"], strict=True)]))
                for m in ("wall_s", "cpu_s")
            }
            for kind, rs in runs.items()
        }
        print(
            f"  {name}: {runs['floor'][0]['grid_rows']:,} grid rows, "
            f"{runs['analyze'][0]['reps']} reps"
        )
        for kind, label in KINDS.items():
            b = best[kind]
            ratio = (
                ""
                if kind == "floor"
                else f"  ratio wall {b['wall_s'] / floor['wall_s']:4.2f}x "
                f"CPU {b['cpu_s'] / floor['cpu_s']:4.2f}x (paired: wall "
                f"{paired[kind]['wall_s']:4.2f}x CPU {paired[kind]['cpu_s']:4.2f}x)"
            )
            print(
                f"    {label:21s} wall {b['wall_s']:6.2f} s  CPU {b['cpu_s']:6.2f} s  "
                f"(read {b['read_s']:5.2f} s)  peak {peak[kind]:5.0f} MB{ratio}",
                flush=True,
            )
        table.append((name, best, paired, peak))
        if args.profile:
            profile_analyze(path, name, 30)
    print(
        "\n| drill | analyze / floor, fastest runs: wall | CPU | paired median: wall | CPU "
        "| as sensorlab analyze, CPU | peak MB |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, best, paired, peak in table:
        floor, batch, cli = best["floor"], best["analyze"], best["cli"]
        print(
            f"| {name} | {batch['wall_s'] / floor['wall_s']:.2f}x "
            f"| {batch['cpu_s'] / floor['cpu_s']:.2f}x | {paired['analyze']['wall_s']:.2f}x "
            f"| {paired['analyze']['cpu_s']:.2f}x | {cli['cpu_s'] / floor['cpu_s']:.2f}x "
            f"| {peak['analyze']:.0f} |"
        )


if __name__ == "__main__":
    main()
