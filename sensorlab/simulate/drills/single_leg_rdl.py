"""Single-leg Romanian deadlift, one set per side; the working side is the stance leg.

A rep of duration ``T`` (fractions of ``T``): 0-0.45 the hinge: the pelvis tilts forward
by ``tilt_deg`` and moves 0.12 m back and 0.06 m down, the free thigh extends to
``other_thigh_deg`` behind vertical (in line with the trunk), the stance thigh leans to
``depth_deg`` (hips back), the pelvis opens (free side back) by ``rotation_deg`` and drops
on the free side by ``pelvic_drop_deg``, the stance thigh adducts by ``adduction_deg``;
0.45-0.55 the bottom; 0.55-1.0 back to standing.
"""

from __future__ import annotations

import numpy as np

from sensorlab.simulate.drills import OTHER, SIDE_SIGN, DrillSide, Frames, TrueRep, excursion

WORKING = "stance"
ORDER = "blocked"
REP_DURATION_S = 3.2
BOTTOM_FRACTION = 0.5
POSE_CHANGE_S = 0.0
DEFAULT_SIDE = DrillSide(
    depth_deg=15.0,
    other_thigh_deg=55.0,
    pelvic_drop_deg=3.0,
    adduction_deg=3.0,
    tilt_deg=60.0,
    rotation_deg=8.0,
)
set_pose = None
SHAPE = (0.0, 0.45, 0.55, 1.0)


def rep_frames(stance: str, sides: dict[str, DrillSide]) -> dict[str, Frames]:
    """Keyframes of one single-leg RDL on ``stance``."""
    a, free = sides[stance], OTHER[stance]
    return {
        "tilt": excursion(a.tilt_deg, SHAPE),
        f"{free}_flexion": excursion(-a.other_thigh_deg, SHAPE),
        f"{stance}_flexion": excursion(a.depth_deg, SHAPE),
        "x": excursion(-0.12, SHAPE),
        "z": excursion(-0.06, SHAPE),
        "rotation": excursion(SIDE_SIGN[free] * a.rotation_deg, SHAPE),
        "obliquity": excursion(SIDE_SIGN[stance] * a.pelvic_drop_deg, SHAPE),
        f"{stance}_adduction": excursion(a.adduction_deg, SHAPE),
    }


def measure(rep: TrueRep, stance: str) -> dict[str, float]:
    """The single-leg RDL's per-rep metrics on the true motion."""
    free = OTHER[stance]
    return {
        "hinge_deg": float(np.max(rep.tilt_deg)),
        "pelvic_opening_deg": float(np.max(SIDE_SIGN[free] * rep.rotation_deg)),
        "pelvic_drop_deg": float(np.max(SIDE_SIGN[stance] * rep.obliquity_deg)),
        "free_thigh_extension_deg": float(np.max(-rep.sagittal_deg[free])),
        "thigh_rom_deg": float(np.ptp(rep.sagittal_deg[stance])),
    }
