"""Running per-side figures of a live session, from its events (no Qt, no I/O).

The window shows what the summary will say, as it builds up: rep counts and means per
side with the Robinson symmetry index (:mod:`sensorlab.processing.symmetry`) graded as
the report grades it (:func:`sensorlab.summary.findings.grade`); for walks, steps per
side, cadence, step time and pelvic drop; for a standing drill, its own per-side metrics
(:func:`~sensorlab.summary.metrics.per_side_metrics_for`; a squat's reps count for both
sides, each thigh with its own depth). Reps and steps reported provisionally (before the
headings are refined) count at once; their refined values replace them by index.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sensorlab.processing.events import ProvisionalWithdrawn, RepFinished, StepDetected
from sensorlab.processing.gait import cadence_spm
from sensorlab.processing.symmetry import robinson_si_pct
from sensorlab.records import AnyRep, DrillRepResult, StepResult
from sensorlab.summary.findings import grade
from sensorlab.summary.metrics import key_metrics_for
from sensorlab.summary.summary import side_values

SIDES = ("left", "right")

REP_BARS = (
    ("pelvic_drop_deg", "pelvic drop"),
    ("thigh_rom_deg", "thigh ROM"),
    ("pelvic_tilt_range_deg", "tilt range"),
    ("thigh_adduction_excursion_deg", "adduction"),
)
"""Rep metrics shown as symmetry bars: (RepResult field, short label)."""

STEP_BARS = (("step_time_s", "step time"), ("pelvic_drop_deg", "pelvic drop"))
"""Step metrics shown as symmetry bars: (StepResult field, short label)."""

DRILL_BARS = 4
"""A standing drill shows its first this many own per-side metrics as symmetry bars."""


@dataclass(frozen=True)
class SymmetryBar:
    """One metric's per-side means and symmetry index so far.

    Attributes
    ----------
    metric, label : str
        Field name and short label.
    left, right : float or None
        Per-side means (None before that side has one).
    si_pct : float or None
        Robinson SI, percent (positive: right larger).
    level : str
        ``balanced``, ``borderline``, ``notable`` or ``unavailable`` (as in the report).
    """

    metric: str
    label: str
    left: float | None
    right: float | None
    si_pct: float | None
    level: str


@dataclass
class LiveTally:
    """Reps and steps so far, per side, each in its place in the session.

    Attributes
    ----------
    reps, steps : list
        In session order; a rep's or step's place is its event's index.
    provisional_reps, provisional_steps : set of int
        Indices of those still provisional.
    """

    reps: list[AnyRep] = field(default_factory=list)
    steps: list[StepResult] = field(default_factory=list)
    provisional_reps: set[int] = field(default_factory=set)
    provisional_steps: set[int] = field(default_factory=set)

    def add(self, event) -> bool:
        """Take an event; True if it changed the tally.

        A rep or step whose index is already held replaces it (the refined values of a
        provisional one); :class:`ProvisionalWithdrawn` removes those not confirmed.
        """
        if isinstance(event, RepFinished):
            _put(self.reps, self.provisional_reps, event.rep.index, event.rep, event.provisional)
            return True
        if isinstance(event, StepDetected):
            _put(self.steps, self.provisional_steps, event.index, event.step, event.provisional)
            return True
        if isinstance(event, ProvisionalWithdrawn):
            items, flags = (
                (self.reps, self.provisional_reps)
                if event.kind == "rep"
                else (self.steps, self.provisional_steps)
            )
            del items[event.first_index :]
            flags.intersection_update(range(len(items)))
            return True
        return False

    @property
    def provisional(self) -> bool:
        """Some of the reps (or, when walking, steps) shown are still provisional."""
        return bool(self.provisional_steps if self.walking else self.provisional_reps)

    @property
    def walking(self) -> bool:
        """More steps than reps: show the gait figures."""
        return len(self.steps) > 2 * len(self.reps) and len(self.steps) >= 4

    def count(self, side: str) -> int:
        """Reps (or, when walking, steps) of ``side`` so far (a bilateral rep counts for both)."""
        items = self.steps if self.walking else self.reps
        return sum(1 for item in items if item.side in (side, "both"))

    @property
    def drill(self) -> str | None:
        """The standing drill of the reps so far, or None (step-ups, walks, no reps)."""
        last = self.reps[-1] if self.reps else None
        return last.activity if isinstance(last, DrillRepResult) else None

    @property
    def last_rep(self) -> AnyRep | None:
        """The newest rep."""
        return self.reps[-1] if self.reps else None

    @property
    def cadence_steps_min(self) -> float | None:
        """Steps per minute so far, as the summary computes it (None before two steps)."""
        cadence = cadence_spm(self.steps)
        return None if np.isnan(cadence) else cadence

    def bars(self) -> list[SymmetryBar]:
        """The symmetry bars for the current activity."""
        if not self.walking and self.drill is not None:
            return self._drill_bars(self.drill)
        everything: list[StepResult] | list[AnyRep]
        everything, metrics = (self.steps, STEP_BARS) if self.walking else (self.reps, REP_BARS)
        # As in the summary: reps and steps left out for lost data count but give no means.
        items = [i for i in everything if not i.left_out]
        bars = []
        for metric, label in metrics:
            means: dict[str, float | None] = {}
            for side in SIDES:
                values = [getattr(i, metric) for i in items if i.side == side]
                values = [v for v in values if v is not None and np.isfinite(v)]
                means[side] = float(np.mean(values)) if values else None
            left, right = means["left"], means["right"]
            si = None if left is None or right is None else robinson_si_pct(left, right)
            bars.append(SymmetryBar(metric, label, left, right, si, grade(metric, left, right, si)))
        return bars

    def _drill_bars(self, activity: str) -> list[SymmetryBar]:
        """A drill's first per-side metrics, each side's mean as the summary takes it."""
        reps = [r for r in self.reps if r.activity == activity]
        bars = []
        for info in key_metrics_for(activity, DRILL_BARS):
            means: dict[str, float | None] = {}
            for side in SIDES:
                values = [v for v in side_values(reps, info.key, side) if np.isfinite(v)]
                means[side] = float(np.mean(values)) if values else None
            left, right = means["left"], means["right"]
            si = None if left is None or right is None else robinson_si_pct(left, right)
            level = grade(info.key, left, right, si, activity)
            bars.append(SymmetryBar(info.key, info.short, left, right, si, level))
        return bars


def _put(items: list, provisional: set[int], index: int, item, is_provisional: bool) -> None:
    """Put ``item`` at ``index`` of ``items`` (replacing what is there, or appended)."""
    if index < len(items):
        items[index] = item
    else:
        items.append(item)
    if is_provisional:
        provisional.add(index)
    else:
        provisional.discard(index)
