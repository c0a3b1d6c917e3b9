"""Lunge, forward or reverse, blocked or alternating.

Step out, down, up, step back; the working side is the front leg.

Driver: each thigh's flexion. A rep rises past 45 deg, peaks at 55 deg or more, and ends
still below 15 deg, back to standing. The front leg is the thigh that drove it. The
window is a lunge's when both thighs were near vertical (within ``standing_deg``) at its
start and end (a split squat stays in its stance), and, as in the split squat, the other
(rear) thigh stayed behind the body and never flexed past ``other_thigh_max_deg``.

Per-rep metrics: as the split squat's (:mod:`.split_squat`), with the rear leg the
other one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sensorlab.processing.movements import split_squat
from sensorlab.processing.movements.base import OTHER, ExcursionSettings, RepView

SENSORS = ("left_thigh", "right_thigh")
"""The placements its reps need: the drill tells its rep by how both thighs move."""

NAME = "lunge"
TITLE = "Lunge"
"""Its name for people (titles, the report)."""
WORKING_SIDE = "front leg"
SIDE_PHRASE = split_squat.SIDE_PHRASE
SHAPES = split_squat.SHAPES
PER_SIDE_METRICS = split_squat.PER_SIDE_METRICS
METRICS = split_squat.METRICS
FINDINGS = split_squat.FINDINGS
MIN_DIFFERENCE = split_squat.MIN_DIFFERENCE
drivers = split_squat.drivers
metrics = split_squat.metrics
# Alignment: as the split squat's (a blocked set has its rear thigh only extending).
ALIGNMENT = split_squat.ALIGNMENT


@dataclass(frozen=True)
class LungeSettings:
    """Lunge thresholds.

    Attributes
    ----------
    excursion : ExcursionSettings
        The front thigh's flexion as the driver, degrees.
    standing_deg : float
        Both thighs within this of vertical at the rep's start and end, degrees.
    rear_behind_deg : float
        The rear thigh's mean over the rep is at least this far behind vertical, degrees.
    other_thigh_max_deg : float
        The rear thigh never flexes past this during the rep, degrees.
    """

    excursion: ExcursionSettings = field(
        default_factory=lambda: ExcursionSettings(start_deg=45.0, rest_deg=15.0, min_peak_deg=55.0)
    )
    standing_deg: float = 12.0
    rear_behind_deg: float = 3.0
    other_thigh_max_deg: float = 15.0


DEFAULT_SETTINGS = LungeSettings()


def judge(view: RepView, settings: LungeSettings) -> tuple[str | None, str]:
    """The front leg if the window is a lunge's rep, else None and why."""
    front, rear = view.driver, OTHER[view.driver]
    for at in (0, -1):
        if max(abs(view.sagittal_deg[s][at]) for s in (front, rear)) > settings.standing_deg:
            return None, "did not start and end standing"
    return split_squat._rear_thigh_behind(view, front, rear, settings)
