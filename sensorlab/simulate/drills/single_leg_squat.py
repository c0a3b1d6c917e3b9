"""Single-leg squat (or a step-down from a box), one set per side.

The working side is the stance leg.

Each set starts by lifting the free foot (free thigh 20 deg forward, knee bent, unless
``held_deg`` says otherwise) and ends
putting it down. A rep of duration ``T`` (fractions of ``T``): 0-0.45 down: the stance
thigh flexes to ``depth_deg``, the free thigh comes 6 deg further forward as a
counterweight, the pelvis lowers 0.2 m and moves 0.08 m back, drops on the free side by
``pelvic_drop_deg``, tilts forward by ``tilt_deg`` and turns its free side back by
``rotation_deg``, and the stance thigh adducts by ``adduction_deg``; 0.45-0.55 the bottom;
0.55-1.0 back up.
"""

from __future__ import annotations

import numpy as np

from sensorlab.simulate.drills import OTHER, SIDE_SIGN, DrillSide, Frames, TrueRep, excursion

WORKING = "stance"
ORDER = "blocked"
REP_DURATION_S = 2.6
BOTTOM_FRACTION = 0.5
POSE_CHANGE_S = 1.0
DEFAULT_SIDE = DrillSide(
    depth_deg=55.0,
    other_thigh_deg=0.0,
    pelvic_drop_deg=3.0,
    adduction_deg=6.0,
    tilt_deg=12.0,
    rotation_deg=2.0,
)
HELD_DEG = (0.0, 20.0)
"""The (stance, free) thigh flexion standing on one leg, unless a side's ``held_deg`` says."""
SHAPE = (0.0, 0.45, 0.55, 1.0)


def set_pose(stance: str, sides: dict[str, DrillSide]) -> dict[str, float]:
    """Standing on ``stance``: the free foot lifted, its thigh a little forward."""
    return {f"{OTHER[stance]}_flexion": (sides[stance].held_deg or HELD_DEG)[1]}


def rep_frames(stance: str, sides: dict[str, DrillSide]) -> dict[str, Frames]:
    """Keyframes of one single-leg squat on ``stance``."""
    a, free = sides[stance], OTHER[stance]
    free_deg = (a.held_deg or HELD_DEG)[1]
    return {
        f"{stance}_flexion": excursion(a.depth_deg, SHAPE),
        f"{free}_flexion": excursion(free_deg + 6.0, SHAPE, free_deg),
        "x": excursion(-0.08, SHAPE),
        "z": excursion(-0.2, SHAPE),
        "tilt": excursion(a.tilt_deg, SHAPE),
        "obliquity": excursion(SIDE_SIGN[stance] * a.pelvic_drop_deg, SHAPE),
        "rotation": excursion(SIDE_SIGN[free] * a.rotation_deg, SHAPE),
        f"{stance}_adduction": excursion(a.adduction_deg, SHAPE),
    }


def measure(rep: TrueRep, stance: str) -> dict[str, float]:
    """The single-leg squat's per-rep metrics on the true motion."""
    return {
        "thigh_rom_deg": float(np.ptp(rep.sagittal_deg[stance])),
        "pelvic_drop_deg": float(np.max(SIDE_SIGN[stance] * rep.obliquity_deg)),
        "pelvic_tilt_range_deg": float(np.ptp(rep.tilt_deg)),
        "thigh_adduction_excursion_deg": float(np.ptp(rep.adduction_deg[stance])),
    }
