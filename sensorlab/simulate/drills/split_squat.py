"""Bulgarian split squat, one set per side (the working side is the front leg).

Each set starts by stepping into the split stance (front thigh 25 deg, rear thigh 15 deg
behind vertical, the rear foot on a bench) and ends stepping out of it. A rep of duration
``T`` (fractions of ``T``): 0-0.4 down: the front thigh flexes to ``depth_deg``, the rear
thigh extends to ``other_thigh_deg`` behind vertical, the pelvis lowers 0.3 m, drops on
the rear side by ``pelvic_drop_deg``, tilts forward by ``tilt_deg``, turns its rear side
back by ``rotation_deg``, and the front thigh adducts by ``adduction_deg``; 0.4-0.55 the
bottom; 0.55-1.0 back up to the split stance.
"""

from __future__ import annotations

import numpy as np

from sensorlab.simulate.drills import OTHER, SIDE_SIGN, DrillSide, Frames, TrueRep, excursion

WORKING = "front"
ORDER = "blocked"
REP_DURATION_S = 2.8
BOTTOM_FRACTION = 0.475
POSE_CHANGE_S = 1.5
DEFAULT_SIDE = DrillSide(
    depth_deg=85.0,
    other_thigh_deg=30.0,
    pelvic_drop_deg=2.0,
    adduction_deg=4.0,
    tilt_deg=10.0,
    rotation_deg=4.0,
)
STANCE_DEG = (25.0, -15.0)
"""The split stance's (front, rear) thigh flexion, unless a side's ``held_deg`` says."""
SHAPE = (0.0, 0.4, 0.55, 1.0)


def set_pose(front: str, sides: dict[str, DrillSide]) -> dict[str, float]:
    """The split stance held between reps: front thigh forward, rear thigh back."""
    front_deg, rear_deg = sides[front].held_deg or STANCE_DEG
    return {
        f"{front}_flexion": front_deg,
        f"{OTHER[front]}_flexion": rear_deg,
        "x": 0.1,
        "z": -0.05,
    }


def rep_frames(front: str, sides: dict[str, DrillSide]) -> dict[str, Frames]:
    """Keyframes of one rep from the split stance with ``front`` forward."""
    a, rear = sides[front], OTHER[front]
    front_deg, rear_deg = a.held_deg or STANCE_DEG
    return {
        f"{front}_flexion": excursion(a.depth_deg, SHAPE, front_deg),
        f"{rear}_flexion": excursion(-a.other_thigh_deg, SHAPE, rear_deg),
        "z": excursion(-0.35, SHAPE, -0.05),
        "tilt": excursion(a.tilt_deg, SHAPE),
        "obliquity": excursion(SIDE_SIGN[front] * a.pelvic_drop_deg, SHAPE),
        "rotation": excursion(SIDE_SIGN[rear] * a.rotation_deg, SHAPE),
        f"{front}_adduction": excursion(a.adduction_deg, SHAPE),
    }


def measure(rep: TrueRep, front: str) -> dict[str, float]:
    """The split squat's per-rep metrics on the true motion."""
    rear = OTHER[front]
    return {
        "thigh_rom_deg": float(np.ptp(rep.sagittal_deg[front])),
        "rear_thigh_extension_deg": float(np.max(-rep.sagittal_deg[rear])),
        "pelvic_drop_deg": float(np.max(SIDE_SIGN[front] * rep.obliquity_deg)),
        "pelvic_rotation_range_deg": float(np.ptp(rep.rotation_deg)),
        "pelvic_tilt_range_deg": float(np.ptp(rep.tilt_deg)),
        "thigh_adduction_excursion_deg": float(np.ptp(rep.adduction_deg[front])),
    }
