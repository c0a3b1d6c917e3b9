"""How sound the frame of thigh adduction is: each thigh's heading against the pelvis's.

Thigh adduction is taken in the pelvis's heading (``angles.thigh_adduction_deg``): the
pelvis's medial-lateral axis is carried into a thigh sensor's world frame by the
difference of the two sensors' headings in the reference pose. Each 6-axis sensor's
orientation filter has its own heading, which drifts on its own (the gyroscope's bias
left after calibration, noise), so the frame holds only while the two drift together. A
heading error of the frame of ``e`` degrees reads as about ``e * sin(flexion)`` degrees of
adduction.

Per drill (simulated with the default sensor model, 10 steps of walking, then 8 reps) and
for the step-up scenario ``step_up_asymmetric`` (strap errors up to 20 deg, 8 reps a
side) this prints, for the working thighs, against the simulator's true sensor
orientations:

- the relative heading drift between thigh and pelvis sensors (the thigh's filter
  heading error minus the pelvis's, from the reference pose on): its range within each
  rep, and its largest value over the session;
- each thigh's heading error from the calibration (its estimated forward axis against
  the true one, about the segment's long axis), which adds to it as a constant.

Run: ``.venv/bin/python benchmarks/adduction_frame.py [--seeds 3]``
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from scipy.spatial.transform import Rotation

from sensorlab.processing import pipeline
from sensorlab.processing.movements import drill_names
from sensorlab.simulate import SCENARIOS
from sensorlab.simulate.drills import DrillSettings, simulate_drill

SIDES = ("left", "right")


def analysed_quaternions(recording) -> tuple[np.ndarray, dict[str, np.ndarray], dict]:
    """Grid times (s), each sensor's refined orientation quaternions, and the calibration.

    The pipeline keeps no quaternions once its kinematics are computed, so this records
    those it computes the kinematics from (grid rows from 0, the kinematics' rows; a
    re-analysis starts again from row 0).
    """
    blocks: list[dict[str, np.ndarray]] = []
    original = pipeline.SessionAnalyzer._append_kinematics

    def record(self, lo, hi, quaternions):
        if lo == 0:
            blocks.clear()
        blocks.append({p: q[: hi - lo] for p, q in quaternions.items()})
        original(self, lo, hi, quaternions)

    pipeline.SessionAnalyzer._append_kinematics = record
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            analysis = pipeline.analyze(recording)
    finally:
        pipeline.SessionAnalyzer._append_kinematics = original
    quaternions = {p: np.concatenate([block[p] for block in blocks]) for p in blocks[0]}
    return analysis.kinematics.t_s, quaternions, analysis.calibration


def filter_heading_error_deg(session, placement, t, quaternions) -> np.ndarray:
    """Heading of the filter's world frame in the true world, degrees, per grid row."""
    q = quaternions[placement]
    finite = np.isfinite(q).all(axis=1)
    heading = np.full(t.size, np.nan)
    estimated = Rotation.from_quat(q[finite][:, [1, 2, 3, 0]]).as_matrix()
    _, true = session.sensor_pose(placement, t[finite])
    world = true @ np.transpose(estimated, (0, 2, 1))  # filter world -> true world
    heading[finite] = np.arctan2(world[:, 1, 0] - world[:, 0, 1], world[:, 0, 0] + world[:, 1, 1])
    return np.degrees(heading)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    print(
        f"default sensor model, seeds 0-{args.seeds - 1}, 10 steps of walking, then 8 reps; "
        "working thighs against the pelvis, degrees"
    )
    print(
        f"{'drill':18s} {'drift in a rep':>24s} {'drift over the session':>28s} "
        f"{'thigh heading error':>24s}"
    )
    print(f"{'':18s} {'median    p95    max':>24s} {'median    max':>28s} {'median    max':>24s}")
    for name in (*drill_names(), "step_up"):
        within, session_drift, heading_errors = [], [], []
        for seed in range(args.seeds):
            if name == "step_up":
                session = SCENARIOS["step_up_asymmetric"](seed)
            else:
                settings = DrillSettings(kind=name, reps=8, calibration_walk_steps=10)
                session = simulate_drill(settings, seed=seed)
            true_reps = session.truth.drill_reps or session.truth.reps
            t, quaternions, calibration = analysed_quaternions(session.recording)
            pelvis = filter_heading_error_deg(session, "pelvis", t, quaternions)
            span = session.recording.meta.calibration_span_s or (0.0, 3.0)
            reference = (t >= span[0]) & (t <= span[1])
            working = {r.side for r in true_reps}
            for side in SIDES if "both" in working else sorted(working):
                placement = f"{side}_thigh"
                relative = filter_heading_error_deg(session, placement, t, quaternions) - pelvis
                relative = np.degrees(np.unwrap(np.radians(relative)))
                relative -= np.nanmean(relative[reference])
                session_drift.append(np.nanmax(np.abs(relative)))
                for rep in true_reps:
                    if rep.side in (side, "both"):
                        in_rep = relative[(t >= rep.t_start) & (t <= rep.t_end)]
                        within.append(np.nanmax(in_rep) - np.nanmin(in_rep))
                mount = session.truth.sensors[placement].sensor_to_segment
                turn = calibration[placement].sensor_to_segment @ mount.T
                heading_errors.append(abs(np.degrees(np.arctan2(turn[1, 0], turn[0, 0]))))
        print(
            f"{name:18s} {np.median(within):8.2f} {np.percentile(within, 95):6.2f} "
            f"{np.max(within):6.2f} {np.median(session_drift):16.2f} "
            f"{np.max(session_drift):6.2f} {np.median(heading_errors):16.2f} "
            f"{np.max(heading_errors):6.2f}"
        )


if __name__ == "__main__":
    main()
