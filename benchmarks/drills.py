"""The standing drills through the sensors: reps, sides and metric errors per drill.

Each drill is simulated (sensor noise, bias, strap errors, quantisation), its recording
goes through ``analyze`` for the kinematics (calibration, alignment, orientation), and
every drill module's segmenter reads those kinematics. Per drill it prints whether the
rep counts and sides are exact, the median and 95th percentile |error| of each angle
metric against the simulator's truth, which other drills found reps in it (they should
find none), and what the alignment stage said (a warning that a mount was turned is the
blind alignment misreading the drill). ``--truth`` reads the true kinematics instead:
the segmenters and metrics alone.

Each session starts with ``--walk`` steps of walking (the README's protocol: walking
shows the headings that standing drills hide); ``--walk 0`` shows what the drills alone
give.

Run: ``.venv/bin/python benchmarks/drills.py [--seeds 3] [--rate 100] [--walk 10] [--truth]``
"""

from __future__ import annotations

import argparse
import warnings
from collections import defaultdict
from dataclasses import replace

import numpy as np

from sensorlab.processing.columns import Columns
from sensorlab.processing.movements import drill, drill_names
from sensorlab.processing.movements.base import (
    ExcursionSegmenter,
    RepFound,
    RepView,
    kinematics_columns,
)
from sensorlab.processing.pipeline import analyze
from sensorlab.simulate.body import pelvis_pose
from sensorlab.simulate.drills import DrillSettings, simulate_drill
from sensorlab.simulate.imu import DEFAULT_SENSOR_SETTINGS
from sensorlab.simulate.truth import KINEMATICS_RATE_HZ


def session_columns(session, use_truth: bool) -> tuple[Columns, float, list[str]]:
    """Columns of the session's kinematics, their rate and the analysis's warnings."""
    if use_truth:
        kin, rate_hz, said = session.truth.kinematics, KINEMATICS_RATE_HZ, []
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            analysis = analyze(session.recording, None)
        kin = analysis.kinematics
        rate_hz = 1.0 / float(np.median(np.diff(kin.t_s)))
        said = [w for w in analysis.warnings if "mount" in w or "heading" in w]
    rate = np.degrees(np.linalg.norm(pelvis_pose(session.motion, kin.t_s).body_rate(), axis=1))
    return kinematics_columns(kin, rate), rate_hz, said


def reps(name: str, columns: Columns, rate_hz: float) -> list[tuple[RepFound, dict]]:
    module = drill(name)
    segmenter = ExcursionSegmenter(module, rate_hz, module.DEFAULT_SETTINGS)
    found = [e for e in segmenter.update(columns) if isinstance(e, RepFound)]
    return [(e, module.metrics(RepView.of(columns, e.window), e.side)) for e in found]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=100.0, help="sensor rate, Hz")
    parser.add_argument("--truth", action="store_true", help="read the true kinematics")
    parser.add_argument(
        "--walk", type=int, default=10, help="steps walked before the first set (0: none)"
    )
    args = parser.parse_args()
    sensors = replace(DEFAULT_SENSOR_SETTINGS, rate_hz=args.rate)
    print(
        f"{'true kinematics' if args.truth else 'through the sensors and analyze'}, "
        f"{args.rate:g} Hz, seeds 0-{args.seeds - 1}, {args.walk} steps of walking, then 8 "
        "reps each"
    )
    for name in drill_names():
        exact, errors, crossed, said = 0, defaultdict(list), defaultdict(int), set()
        for seed in range(args.seeds):
            settings = DrillSettings(kind=name, reps=8, calibration_walk_steps=args.walk)
            session = simulate_drill(settings, sensors, seed)
            columns, rate_hz, warned = session_columns(session, args.truth)
            said.update(w.split(":")[0] + ": " + w.split(":")[1][:60] for w in warned)
            found = reps(name, columns, rate_hz)
            truth = session.truth.drill_reps
            if [e.side for e, _ in found] == [r.side for r in truth]:
                exact += 1
                for (_, measured), true in zip(found, truth, strict=True):
                    for metric, value in true.metrics.items():
                        if metric.endswith("_deg"):
                            errors[metric].append(abs(measured[metric] - value))
            for other in drill_names():
                if other != name:
                    crossed[other] += len(reps(other, columns, rate_hz))
        print(f"\n{name}: counts and sides exact {exact}/{args.seeds}")
        for metric, values in errors.items():
            print(
                f"  {metric:34s} median {np.median(values):6.2f}  p95 "
                f"{np.percentile(values, 95):6.2f} deg"
            )
        others = {k: v for k, v in crossed.items() if v}
        print(f"  reps other drills found in it: {others or 'none'}")
        for line in sorted(said):
            print(f"  alignment said: {line}...")


if __name__ == "__main__":
    main()
