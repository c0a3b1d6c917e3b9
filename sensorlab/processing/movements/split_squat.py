"""Bulgarian split squat: from the split stance, down and up.

The working side is the front leg.

Driver: each thigh's flexion. A rep rises past 50 deg (the split stance holds the front
thigh somewhere from 5 to 40 deg, as the stance is short or long), peaks at 55 deg or
more, and ends still below 45 deg, back in the stance. The front leg is the thigh that
drove it. The window is a split squat's when it started and ended in the split stance (the
front thigh at least ``split_min_deg`` ahead of the rear one, and not both within
``standing_deg`` of vertical, as a lunge starts and ends), the other (rear) thigh stayed behind
vertical through the rep (its mean below ``-rear_behind_deg``; a lunge or squat brings it
forward), and the rear thigh never flexed past ``other_thigh_max_deg`` (a step-up's trail
leg does).

Per-rep metrics (max - min over the rep unless said): ``thigh_rom_deg`` of the front
thigh; ``rear_thigh_extension_deg``, the rear thigh's peak angle behind vertical;
``pelvic_drop_deg``, the peak drop of the rear-leg side; ``pelvic_rotation_range_deg``;
``pelvic_tilt_range_deg``; ``thigh_adduction_excursion_deg`` of the front thigh; and the
tempo every drill keeps (:meth:`~.base.RepView.tempo`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sensorlab.processing.calibration import AlignmentCues
from sensorlab.processing.columns import Columns
from sensorlab.processing.movements.base import (
    OTHER,
    SIDE_SIGN,
    SIDES,
    ExcursionSettings,
    RepView,
    ShapeCurve,
    drop_curve,
)
from sensorlab.processing.nanstats import highest, lowest, mean

NAME = "split_squat"
TITLE = "Split squat"
"""Its name for people (titles, the report)."""
WORKING_SIDE = "front leg"
SIDE_PHRASE = "with the {side} leg in front"
"""A rep of ``side`` in words ("reps with the left leg in front")."""
PER_SIDE_METRICS = (
    "thigh_rom_deg",
    "rear_thigh_extension_deg",
    "pelvic_drop_deg",
    "pelvic_rotation_range_deg",
    "pelvic_tilt_range_deg",
    "thigh_adduction_excursion_deg",
)

METRICS = {
    "thigh_rom_deg": ("Thigh range (depth)", "range of the front thigh's sagittal angle"),
    "rear_thigh_extension_deg": (
        "Rear thigh extension",
        "largest angle of the rear thigh behind vertical",
    ),
    "pelvic_drop_deg": ("Pelvic drop", "largest drop of the pelvis on the rear-leg side"),
    "pelvic_rotation_range_deg": ("Pelvic rotation range", "range of pelvic rotation"),
    "pelvic_tilt_range_deg": ("Pelvic tilt excursion", "range of pelvic tilt over the rep"),
    "thigh_adduction_excursion_deg": (
        "Thigh adduction range",
        "range of the front thigh's movement toward the midline (valgus proxy)",
    ),
}
"""Label and one-line help of each per-side metric (by the front leg), for every view."""

FINDINGS = {
    "thigh_rom_deg": (
        "With the {small} leg in front the rep goes less deep: {sv} against {bv} with the "
        "{big} in front ({si}).",
        "avoiding deep loading on the {small} leg",
    ),
    "rear_thigh_extension_deg": (
        "With the {big} leg in front the rear thigh reaches {bv} behind the body, against "
        "{sv} with the {small} in front ({si}).",
        "less hip extension (a stiffer hip front) of the leg behind when the {small} leg leads",
    ),
    "pelvic_drop_deg": (
        "With the {big} leg in front, the pelvis drops {bv} on the rear side, against "
        "{small_drop} ({si}).",
        "less hip-abductor (gluteus medius) control on the {big}",
    ),
    "pelvic_rotation_range_deg": (
        "The pelvis turns through {bv} with the {big} leg in front, against {sv} with the "
        "{small} ({si}).",
        "less rotational control of the pelvis over the {big} leg",
    ),
    "pelvic_tilt_range_deg": (
        "The pelvis tilts through {bv} with the {big} leg in front, against {sv} with the "
        "{small} ({si}).",
        "the low back taking over some of the work when the {big} leg leads",
    ),
    "thigh_adduction_excursion_deg": (
        "The {big} front thigh moves {bv} toward the midline, against {sv} on the {small} ({si}).",
        "a dynamic valgus tendency (knee drifting inward) on the {big}; this is a "
        "thigh-angle proxy, not a knee angle",
    ),
}
"""Per metric: the observation and what the pattern is consistent with (observations,
never diagnoses), as ``str.format`` templates: ``big`` is the side with the larger mean
and ``bv`` its value, ``small`` and ``sv`` the other side's, ``si`` the symmetry index."""

MIN_DIFFERENCE = {"rear_thigh_extension_deg": 2.0, "pelvic_rotation_range_deg": 1.0}
"""Smallest left-right difference that can count as a finding, for the drill's metrics
that are not in :data:`.base.SHARED_MIN_DIFFERENCE`, degrees: about the measurement's
noise (``benchmarks/drills.py``) and twice it."""

SHAPES = (
    ShapeCurve("Front thigh flexion, by front leg", "thigh angle (°)", "{side}_thigh_sagittal_deg"),
    drop_curve("Pelvic drop on the rear-leg side, by front leg", "working"),
)
"""The curves of the report's average rep: the driver and the drop (:func:`metrics`)."""

SENSORS = ("left_thigh", "right_thigh")
"""The placements its reps need: the drill tells its rep by how both thighs move."""

# Alignment: a set on one side has its rear thigh only extending.
ALIGNMENT = AlignmentCues(thigh_flexion_dominates=False, pelvis_heading_from_thighs=True)


@dataclass(frozen=True)
class SplitSquatSettings:
    """Split squat thresholds.

    Attributes
    ----------
    excursion : ExcursionSettings
        The front thigh's flexion as the driver, degrees.
    split_min_deg : float
        At the rep's start and end the front thigh is at least this far ahead of the rear
        one (the split stance), degrees.
    standing_deg : float
        ... and the two are not both within this of vertical (standing, as a lunge
        starts and ends), degrees.
    rear_behind_deg : float
        The rear thigh's mean over the rep is at least this far behind vertical, degrees.
    other_thigh_max_deg : float
        The rear thigh never flexes past this during the rep, degrees.
    """

    excursion: ExcursionSettings = field(
        default_factory=lambda: ExcursionSettings(start_deg=50.0, rest_deg=45.0, min_peak_deg=55.0)
    )
    split_min_deg: float = 15.0
    standing_deg: float = 12.0
    rear_behind_deg: float = 8.0
    other_thigh_max_deg: float = 15.0


DEFAULT_SETTINGS = SplitSquatSettings()


def drivers(columns: Columns, lo: int, hi: int) -> dict[str, np.ndarray]:
    """Each thigh's flexion, rows ``lo:hi``, degrees."""
    return {side: columns.rows(f"{side}_thigh_sagittal_deg", lo, hi) for side in SIDES}


def judge(view: RepView, settings: SplitSquatSettings) -> tuple[str | None, str]:
    """The front leg if the window is a split squat's rep, else None and why."""
    front, rear = view.driver, OTHER[view.driver]
    for at in (0, -1):
        front_at, rear_at = view.sagittal_deg[front][at], view.sagittal_deg[rear][at]
        standing = max(abs(front_at), abs(rear_at)) <= settings.standing_deg
        if front_at - rear_at < settings.split_min_deg or standing:
            return None, "did not start and end in a split stance"
    return _rear_thigh_behind(view, front, rear, settings)


def _rear_thigh_behind(view: RepView, front: str, rear: str, settings) -> tuple[str | None, str]:
    """Shared with the lunge: the rear thigh stays back and never comes forward."""
    rear_angle = view.sagittal_deg[rear]
    if highest(rear_angle) > settings.other_thigh_max_deg:
        return None, f"the other thigh flexed past {settings.other_thigh_max_deg:g} deg"
    if mean(rear_angle) > -settings.rear_behind_deg:
        return None, "the other thigh did not stay behind the body"
    return front, ""


def metrics(view: RepView, front: str) -> dict[str, float]:
    """Per-rep metrics (module docstring), degrees and seconds."""
    rear = OTHER[front]
    return {
        "thigh_rom_deg": highest(view.sagittal_deg[front]) - lowest(view.sagittal_deg[front]),
        "rear_thigh_extension_deg": highest(-view.sagittal_deg[rear]),
        "pelvic_drop_deg": highest(SIDE_SIGN[front] * view.obliquity_deg),
        "pelvic_rotation_range_deg": highest(view.rotation_deg) - lowest(view.rotation_deg),
        "pelvic_tilt_range_deg": highest(view.tilt_deg) - lowest(view.tilt_deg),
        "thigh_adduction_excursion_deg": (
            highest(view.adduction_deg[front]) - lowest(view.adduction_deg[front])
        ),
        **view.tempo(),
    }
