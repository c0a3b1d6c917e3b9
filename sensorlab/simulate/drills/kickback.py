"""Standing kickback (hip extension), one set per side; the working side is the moving leg.

A rep of duration ``T`` (fractions of ``T``): 0-0.45 the moving thigh extends to
``other_thigh_deg`` behind vertical, the pelvis tilts forward by ``tilt_deg`` (the low back
taking over), drops on the moving side by ``pelvic_drop_deg`` and turns that side back by
``rotation_deg``; 0.45-0.55 held; 0.55-1.0 back to standing.
"""

from __future__ import annotations

import numpy as np

from sensorlab.simulate.drills import OTHER, SIDE_SIGN, DrillSide, Frames, TrueRep, excursion

WORKING = "moving"
ORDER = "blocked"
REP_DURATION_S = 2.0
BOTTOM_FRACTION = 0.5
POSE_CHANGE_S = 0.0
DEFAULT_SIDE = DrillSide(
    depth_deg=0.0,
    other_thigh_deg=25.0,
    pelvic_drop_deg=1.5,
    adduction_deg=0.0,
    tilt_deg=5.0,
    rotation_deg=2.0,
)
set_pose = None
SHAPE = (0.0, 0.45, 0.55, 1.0)


def rep_frames(moving: str, sides: dict[str, DrillSide]) -> dict[str, Frames]:
    """Keyframes of one kickback of ``moving``."""
    a, stance = sides[moving], OTHER[moving]
    return {
        f"{moving}_flexion": excursion(-a.other_thigh_deg, SHAPE),
        "tilt": excursion(a.tilt_deg, SHAPE),
        "obliquity": excursion(SIDE_SIGN[stance] * a.pelvic_drop_deg, SHAPE),
        "rotation": excursion(SIDE_SIGN[moving] * a.rotation_deg, SHAPE),
    }


def measure(rep: TrueRep, moving: str) -> dict[str, float]:
    """The kickback's per-rep metrics on the true motion."""
    return {
        "hip_extension_deg": float(np.max(-rep.sagittal_deg[moving])),
        "lumbar_compensation_deg": float(np.max(rep.tilt_deg) - rep.tilt_deg[0]),
        "pelvic_drop_deg": float(np.max(SIDE_SIGN[OTHER[moving]] * rep.obliquity_deg)),
    }
