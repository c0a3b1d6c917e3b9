"""Forward lunge, alternating front legs (the working side is the front leg).

A rep of duration ``T`` (fractions of ``T``): 0-0.15 the front thigh swings to 30 deg as
the foot steps out; 0.15-0.45 down: the front thigh flexes to ``depth_deg``, the rear
thigh extends to ``other_thigh_deg`` behind vertical, the pelvis lowers 0.35 m and
travels 0.35 m forward, drops on the rear side by ``pelvic_drop_deg``, tilts forward by
``tilt_deg`` and turns its rear side back by ``rotation_deg``, and the front thigh adducts
by ``adduction_deg``; 0.45-0.55 the bottom; 0.55-0.85 back up; 0.85-1.0 the front foot
steps back.
"""

from __future__ import annotations

from sensorlab.simulate.drills import OTHER, SIDE_SIGN, DrillSide, Frames, excursion, split_squat

WORKING = "front"
ORDER = "alternating"
REP_DURATION_S = 3.0
BOTTOM_FRACTION = 0.5
POSE_CHANGE_S = 0.0
DEFAULT_SIDE = DrillSide(
    depth_deg=80.0,
    other_thigh_deg=20.0,
    pelvic_drop_deg=2.0,
    adduction_deg=3.0,
    tilt_deg=8.0,
    rotation_deg=4.0,
)
set_pose = None
PELVIS_SHAPE = (0.15, 0.45, 0.55, 0.85)


def rep_frames(front: str, sides: dict[str, DrillSide]) -> dict[str, Frames]:
    """Keyframes of one lunge with ``front`` as the front leg."""
    a, rear = sides[front], OTHER[front]
    return {
        f"{front}_flexion": [
            (0, 0),
            (0.15, 30),
            (0.45, a.depth_deg),
            (0.55, a.depth_deg),
            (0.85, 30),
            (1.0, 0),
        ],
        f"{rear}_flexion": excursion(-a.other_thigh_deg, (0.10, 0.45, 0.55, 0.9)),
        "x": excursion(0.35, (0.05, 0.45, 0.55, 0.9)),
        "z": excursion(-0.35, PELVIS_SHAPE),
        "tilt": excursion(a.tilt_deg, PELVIS_SHAPE),
        "obliquity": excursion(SIDE_SIGN[front] * a.pelvic_drop_deg, PELVIS_SHAPE),
        "rotation": excursion(SIDE_SIGN[rear] * a.rotation_deg, PELVIS_SHAPE),
        f"{front}_adduction": excursion(a.adduction_deg, PELVIS_SHAPE),
    }


measure = split_squat.measure
"""The lunge's per-rep metrics on the true motion: the split squat's."""
