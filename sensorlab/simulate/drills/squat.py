"""Bilateral squat (both sides work; left-right differences are what it shows).

A rep of duration ``T`` (fractions of ``T``): 0-0.45 both thighs flex, each to its side's
``depth_deg``, while the pelvis lowers 0.35 m, moves 0.15 m back and tilts forward by the
mean ``tilt_deg``; it drops toward the side with the larger ``pelvic_drop_deg`` by their
difference, and turns by the difference of the sides' ``rotation_deg`` (right minus left,
left side back positive); each thigh adducts by its ``adduction_deg``; 0.45-0.55 the
bottom; 0.55-1.0 back up.
"""

from __future__ import annotations

import numpy as np

from sensorlab.simulate.drills import DrillSide, Frames, TrueRep, excursion

WORKING = "both"
ORDER = "alternating"
REP_DURATION_S = 3.0
BOTTOM_FRACTION = 0.5
POSE_CHANGE_S = 0.0
DEFAULT_SIDE = DrillSide(
    depth_deg=80.0,
    other_thigh_deg=0.0,
    pelvic_drop_deg=1.0,
    adduction_deg=3.0,
    tilt_deg=8.0,
    rotation_deg=1.0,
)
set_pose = None
SHAPE = (0.0, 0.45, 0.55, 1.0)
TRAVEL_SHAPE = (0.05, 0.45, 0.55, 0.95)


def rep_frames(side: str, sides: dict[str, DrillSide]) -> dict[str, Frames]:
    """Keyframes of one squat (``side`` is ``both``)."""
    left, right = sides["left"], sides["right"]
    return {
        "left_flexion": excursion(left.depth_deg, SHAPE),
        "right_flexion": excursion(right.depth_deg, SHAPE),
        "x": excursion(-0.15, TRAVEL_SHAPE),
        "z": excursion(-0.35, TRAVEL_SHAPE),
        "tilt": excursion(0.5 * (left.tilt_deg + right.tilt_deg), SHAPE),
        "obliquity": excursion(right.pelvic_drop_deg - left.pelvic_drop_deg, SHAPE),
        "rotation": excursion(right.rotation_deg - left.rotation_deg, SHAPE),
        "left_adduction": excursion(left.adduction_deg, SHAPE),
        "right_adduction": excursion(right.adduction_deg, SHAPE),
    }


def measure(rep: TrueRep, side: str) -> dict[str, float]:
    """The squat's per-rep metrics on the true motion."""
    left = float(np.max(rep.sagittal_deg["left"]))
    right = float(np.max(rep.sagittal_deg["right"]))
    return {
        "depth_left_deg": left,
        "depth_right_deg": right,
        "depth_si_pct": 100.0 * (right - left) / (0.5 * (right + left)),
        "pelvic_obliquity_range_deg": float(np.ptp(rep.obliquity_deg)),
        "pelvic_rotation_range_deg": float(np.ptp(rep.rotation_deg)),
    }
