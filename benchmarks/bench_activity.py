"""What the movement looks like: labels against the truth, per sensor set.

Simulated sessions (every scenario, a few seeds; the pipeline's own angles and sacral
acceleration, with sensors left out as NaN columns) and, when ``../shared`` is beside the
repository, the real lower-back walks of the IPOL development set (pelvis only; vertical
acceleration along the standing up vector). Prints one row per scenario and sensor set
with the labels found, and the time per hour of data.

Run: ``.venv/bin/python benchmarks/bench_activity.py [--seeds 3]``
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

import numpy as np

from sensorlab.processing.activity import classify_movement
from sensorlab.processing.pipeline import SessionAnalyzer
from sensorlab.simulate import SCENARIOS

TRUE_LABEL = {
    "step_up_asymmetric": "step_up",
    "step_up_alternating": "step_up",
    "step_up_messy": "step_up",
    "walk_symmetric": "walk",
    "walk_asymmetric": "walk",
    "lunges": "other_exercise",
    "squats": "other_exercise",
}
SENSOR_SETS = {
    "all": ("left_thigh", "right_thigh", "pelvis"),
    "thighs": ("left_thigh", "right_thigh"),
    "left+pelvis": ("left_thigh", "pelvis"),
    "pelvis": ("pelvis",),
}
IPOL = Path(__file__).resolve().parents[2] / "shared" / "data" / "ipol-lowback-gait-dev"


def grid_columns(session) -> dict[str, np.ndarray]:
    """The pipeline's grid columns (the classifier's input: every row from the first sample)."""
    activity = session.recording.meta.activity
    analyzer = SessionAnalyzer(session.recording.meta, "walk" if activity == "walk" else None)
    analyzer.update(session.recording.chunks.values())
    analyzer.finish()
    return {name: analyzer.kinematics[name].copy() for name in analyzer.kinematics.names}


def classify(columns: dict[str, np.ndarray], sensors: tuple[str, ...]):
    missing = np.full_like(columns["t_s"], np.nan)

    def column(name: str, placement: str) -> np.ndarray:
        return columns[name] if placement in sensors else missing

    return classify_movement(
        columns["t_s"],
        column("left_thigh_sagittal_deg", "left_thigh"),
        column("right_thigh_sagittal_deg", "right_thigh"),
        column("pelvis_vertical_acc_m_s2", "pelvis"),
        100.0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds per scenario (3)")
    args = parser.parse_args()
    seconds = hours = 0.0
    print(f"{'scenario':22s} {'truth':15s} {'sensors':12s} labels")
    for name, truth in TRUE_LABEL.items():
        columns = [grid_columns(SCENARIOS[name](seed)) for seed in range(args.seeds)]
        for set_name, sensors in SENSOR_SETS.items():
            labels = Counter()
            for c in columns:
                started = time.perf_counter()
                labels[classify(c, sensors).label] += 1
                seconds += time.perf_counter() - started
                hours += c["t_s"].size / 100.0 / 3600.0
            text = ", ".join(f"{label} {n}" for label, n in labels.most_common())
            print(f"{name:22s} {truth:15s} {set_name:12s} {text}")
    if IPOL.exists():
        labels = Counter()
        files = sorted((IPOL / "GaitData").glob("*_lb.txt"))
        for path in files:
            acc = np.loadtxt(path, skiprows=2)[:, 1:4]
            up = acc[:100].mean(axis=0)
            vertical = acc @ (up / np.linalg.norm(up)) - np.linalg.norm(up)
            t = np.arange(len(vertical)) / 100.0
            labels[classify_movement(t, None, None, vertical, 100.0).label] += 1
        text = ", ".join(f"{label} {n}" for label, n in labels.most_common())
        print(f"{'IPOL lower back':22s} {'walk':15s} {'pelvis':12s} {text} (of {len(files)})")
    else:
        print(f"IPOL lower-back set not found at {IPOL}: skipped")
    print(f"classification: {seconds / hours:.2f} s per hour of data")


if __name__ == "__main__":
    main()
