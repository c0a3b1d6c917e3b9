"""Bilateral squat: down and up on both legs.

Both sides work, and the left-right difference in depth is what it shows.

Driver: the lesser of the two thighs' flexion. A rep rises past 30 deg, peaks at 45 deg
or more, and ends still below 15 deg. The window is a squat's when the two thighs moved
together (their angles correlate by at least ``min_correlation`` over the rep): a lunge
or split squat moves them apart.

Per-rep metrics: ``depth_left_deg`` and ``depth_right_deg``, each thigh's peak flexion;
``depth_si_pct``, their Robinson symmetry index (right minus left over their mean, %);
``pelvic_obliquity_range_deg`` and ``pelvic_rotation_range_deg`` (max - min); and the
tempo every drill keeps. The per-side block of the summary's symmetry is ``depth_deg``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sensorlab.processing.calibration import AlignmentCues
from sensorlab.processing.columns import Columns
from sensorlab.processing.movements.base import ExcursionSettings, RepView, ShapeCurve
from sensorlab.processing.nanstats import highest, lowest

NAME = "squat"
TITLE = "Squat"
"""Its name for people (titles, the report)."""
WORKING_SIDE = "both legs"
PER_SIDE_METRICS = ("depth_deg",)
REP_FIELDS = (
    "depth_left_deg",
    "depth_right_deg",
    "depth_si_pct",
    "pelvic_obliquity_range_deg",
    "pelvic_rotation_range_deg",
)
"""The per-rep metrics (a bilateral rep has no per-side metrics of its own)."""
BILATERAL = {"depth_deg": {"left": "depth_left_deg", "right": "depth_right_deg"}}
"""Per-side metric: the per-rep metric that holds each side's value."""

METRICS = {
    "depth_deg": ("Depth", "largest flexion of the thigh"),
    "depth_left_deg": ("Depth, left", "largest flexion of the left thigh"),
    "depth_right_deg": ("Depth, right", "largest flexion of the right thigh"),
    "depth_si_pct": ("Depth symmetry", "right minus left depth over their mean (Robinson SI)"),
    "pelvic_obliquity_range_deg": ("Pelvic obliquity range", "range of pelvic obliquity"),
    "pelvic_rotation_range_deg": ("Pelvic rotation range", "range of pelvic rotation"),
}
"""Label and one-line help of the per-side and per-rep metrics, for every view."""

FINDINGS = {
    "depth_deg": (
        "The {small} thigh goes less deep: {sv} against {bv} on the {big} ({si}).",
        "shifting the load toward the {big} leg",
    ),
}
"""Per metric: the observation and what the pattern is consistent with (observations,
never diagnoses), as ``str.format`` templates: ``big`` is the side with the larger mean
and ``bv`` its value, ``small`` and ``sv`` the other side's, ``si`` the symmetry index."""

SHAPES = (
    ShapeCurve("Each thigh's flexion", "thigh angle (°)", "{side}_thigh_sagittal_deg", "each"),
    ShapeCurve(
        "Pelvic obliquity (+ = right side lower)", "obliquity (°)", "pelvis_obliquity_deg", ""
    ),
)
"""The curves of the report's average rep: each thigh (the depth) and the obliquity."""

SENSORS = ("left_thigh", "right_thigh")
"""The placements its reps need: the drill tells its rep by how both thighs move."""

MIN_DIFFERENCE = {"depth_deg": 3.0}
"""Smallest left-right difference that can count as a finding, degrees."""

ALIGNMENT = AlignmentCues(thigh_flexion_dominates=True, pelvis_heading_from_thighs=True)


@dataclass(frozen=True)
class SquatSettings:
    """Squat thresholds.

    Attributes
    ----------
    excursion : ExcursionSettings
        The lesser thigh flexion as the driver, degrees.
    min_correlation : float
        The two thighs' angles over the rep correlate at least this much.
    min_range_ratio : float
        The thigh that moved less moved at least this fraction of the other's range (a
        single-leg squat's free thigh, held up, follows the stance thigh by a few
        degrees).
    """

    excursion: ExcursionSettings = field(
        default_factory=lambda: ExcursionSettings(start_deg=30.0, rest_deg=15.0, min_peak_deg=45.0)
    )
    min_correlation: float = 0.9
    min_range_ratio: float = 0.5


DEFAULT_SETTINGS = SquatSettings()


def drivers(columns: Columns, lo: int, hi: int) -> dict[str, np.ndarray]:
    """The lesser of the thighs' flexion, rows ``lo:hi``, degrees."""
    return {
        "both": np.fmin(
            columns.rows("left_thigh_sagittal_deg", lo, hi),
            columns.rows("right_thigh_sagittal_deg", lo, hi),
        )
    }


def judge(view: RepView, settings: SquatSettings) -> tuple[str | None, str]:
    """``both`` if the window is a squat's rep, else None and why."""
    left, right = view.sagittal_deg["left"], view.sagittal_deg["right"]
    valid = np.isfinite(left) & np.isfinite(right)
    if np.count_nonzero(valid) < 3:
        return None, "the thighs did not move together"
    thighs = np.array((left[valid], right[valid]))
    if np.corrcoef(thighs)[0, 1] < settings.min_correlation:
        return None, "the thighs did not move together"
    ranges = sorted((thighs.max(axis=1) - thighs.min(axis=1)).tolist())
    if ranges[0] < settings.min_range_ratio * ranges[1]:
        return None, "one thigh hardly moved"
    return "both", ""


def metrics(view: RepView, side: str) -> dict[str, float]:
    """Per-rep metrics (module docstring), degrees, % and seconds."""
    left = highest(view.sagittal_deg["left"])
    right = highest(view.sagittal_deg["right"])
    return {
        "depth_left_deg": left,
        "depth_right_deg": right,
        "depth_si_pct": 100.0 * (right - left) / (0.5 * (right + left)),
        "pelvic_obliquity_range_deg": highest(view.obliquity_deg) - lowest(view.obliquity_deg),
        "pelvic_rotation_range_deg": highest(view.rotation_deg) - lowest(view.rotation_deg),
        **view.tempo(),
    }
