"""Standing kickback (hip extension): the moving thigh extends behind vertical and returns.

The working side is the moving leg.

Driver: each thigh's extension (minus its sagittal angle). A rep rises past 10 deg,
peaks at 12 deg or more, and ends still below 5 deg. The moving leg is the thigh that
drove it. The window is a kickback's when the other (stance) thigh moved less than
``other_excursion_max_deg`` (walking and lunges move both) and the pelvis hinged less
than ``hinge_max_deg`` (a single-leg RDL's free leg also goes back).

Per-rep metrics: ``hip_extension_deg``, the moving thigh's peak angle behind vertical;
``lumbar_compensation_deg``, the anterior pelvic tilt gained over the rep's start (the
low back taking over); ``pelvic_drop_deg``, the peak drop of the moving-leg side; and the
tempo every drill keeps.
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
from sensorlab.processing.nanstats import highest, lowest

NAME = "kickback"
TITLE = "Kickback"
"""Its name for people (titles, the report)."""
WORKING_SIDE = "moving leg"
SIDE_PHRASE = "with the {side} leg moving"
"""A rep of ``side`` in words ("reps with the left leg moving")."""
PER_SIDE_METRICS = ("hip_extension_deg", "lumbar_compensation_deg", "pelvic_drop_deg")

METRICS = {
    "hip_extension_deg": ("Hip extension", "largest angle of the moving thigh behind vertical"),
    "lumbar_compensation_deg": (
        "Lumbar compensation",
        "anterior pelvic tilt gained during the rep",
    ),
    "pelvic_drop_deg": ("Pelvic drop", "largest drop of the pelvis on the moving-leg side"),
}
"""Label and one-line help of each per-side metric (by the moving leg), for every view."""

FINDINGS = {
    "hip_extension_deg": (
        "The {small} leg extends less behind the body: {sv} against {bv} on the {big} ({si}).",
        "less hip-extension range or gluteus maximus strength on the {small}",
    ),
    "lumbar_compensation_deg": (
        "Kicking back with the {big} leg tilts the pelvis forward by {bv}, against {sv} "
        "with the {small} ({si}).",
        "the low back arching to make up for hip extension on the {big}",
    ),
    "pelvic_drop_deg": (
        "Kicking back with the {big} leg lets the pelvis drop {bv} on that side, against "
        "{small_drop} ({si}).",
        "less hip-abductor (gluteus medius) control of the {small} leg, which stands then",
    ),
    # The tempo and sway every rep keeps, in a kickback's words (the step-up's speak of
    # rising, lowering and bearing the load).
    "down_duration_s": (
        "Kicking back takes {bv} with the {big} leg, against {sv} with the {small} ({si}).",
        "a slower, more careful movement of the {big} leg",
    ),
    "up_duration_s": (
        "Bringing the {big} leg back takes {bv}, against {sv} for the {small} ({si}).",
        "a slower, more controlled return of the {big} leg",
    ),
    "pelvic_rate_rms_dps": (
        "The pelvis moves more while the {big} leg kicks back: sway {bv} against {sv} "
        "with the {small} ({si}).",
        "less single-leg stability standing on the {small} leg",
    ),
}
"""Per metric: the observation and what the pattern is consistent with (observations,
never diagnoses), as ``str.format`` templates: ``big`` is the side with the larger mean
and ``bv`` its value, ``small`` and ``sv`` the other side's, ``si`` the symmetry index."""

MIN_DIFFERENCE = {"hip_extension_deg": 2.0, "lumbar_compensation_deg": 1.0}
"""Smallest left-right difference that can count as a finding, for the drill's metrics
that are not in :data:`.base.SHARED_MIN_DIFFERENCE`, degrees."""

SHAPES = (
    ShapeCurve(
        "Moving thigh extension, by moving leg",
        "extension (°)",
        "{side}_thigh_sagittal_deg",
        sign=-1.0,
    ),
    drop_curve("Pelvic drop on the moving-leg side, by moving leg", "other"),
)
"""The curves of the report's average rep: the driver and the drop (:func:`metrics`: the
moving leg's side drops, opposite the stance leg)."""

SENSORS = ("left_thigh", "right_thigh")
"""The placements its reps need: the drill tells its rep by how both thighs move."""

# Alignment: a kickback's thighs mostly extend, and the pelvis stays on the spot.
ALIGNMENT = AlignmentCues(thigh_flexion_dominates=False, pelvis_heading_from_thighs=False)


@dataclass(frozen=True)
class KickbackSettings:
    """Kickback thresholds.

    Attributes
    ----------
    excursion : ExcursionSettings
        The moving thigh's extension as the driver, degrees.
    other_excursion_max_deg : float
        The stance thigh's range over the rep stays below this, degrees.
    hinge_max_deg : float
        The pelvis's anterior tilt stays below this, degrees.
    """

    excursion: ExcursionSettings = field(
        default_factory=lambda: ExcursionSettings(start_deg=10.0, rest_deg=5.0, min_peak_deg=12.0)
    )
    other_excursion_max_deg: float = 10.0
    hinge_max_deg: float = 25.0


DEFAULT_SETTINGS = KickbackSettings()


def drivers(columns: Columns, lo: int, hi: int) -> dict[str, np.ndarray]:
    """Each thigh's extension behind vertical, rows ``lo:hi``, degrees."""
    return {side: -columns.rows(f"{side}_thigh_sagittal_deg", lo, hi) for side in SIDES}


def judge(view: RepView, settings: KickbackSettings) -> tuple[str | None, str]:
    """The moving leg if the window is a kickback's rep, else None and why."""
    stance = view.sagittal_deg[OTHER[view.driver]]
    if highest(stance) - lowest(stance) > settings.other_excursion_max_deg:
        return None, "the other thigh moved too"
    if highest(view.tilt_deg) > settings.hinge_max_deg:
        return None, "the pelvis hinged forward"
    return view.driver, ""


def metrics(view: RepView, moving: str) -> dict[str, float]:
    """Per-rep metrics (module docstring), degrees and seconds."""
    return {
        "hip_extension_deg": highest(-view.sagittal_deg[moving]),
        "lumbar_compensation_deg": float(highest(view.tilt_deg) - view.tilt_deg[0]),
        "pelvic_drop_deg": highest(SIDE_SIGN[OTHER[moving]] * view.obliquity_deg),
        **view.tempo(),
    }
