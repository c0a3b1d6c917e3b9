"""Events as the lines a person reads on the terminal while a session runs."""

from __future__ import annotations

import math

from sensorlab.processing.gait import cadence_spm
from sensorlab.processing.pipeline import (
    CalibrationDone,
    RepAborted,
    RepFinished,
    RepStarted,
    StepDetected,
)
from sensorlab.processing.symmetry import robinson_si_pct
from sensorlab.session import SensorLost, SensorResumed, SensorStale


class EventPrinter:
    """Turns events into short lines, keeping the running per-side figures.

    Parameters
    ----------
    step_every : int
        A walk prints a running line every this many steps rather than one per step.
    """

    def __init__(self, step_every: int = 10) -> None:
        self.step_every = step_every
        self._drops: dict[str, list[float]] = {"left": [], "right": []}
        self._reps = 0
        self._steps: dict[str, list] = {"left": [], "right": []}

    def _si_so_far(self) -> str:
        means = {side: sum(v) / len(v) for side, v in self._drops.items() if v}
        if len(means) < 2:
            return "SI needs both sides"
        si = robinson_si_pct(means["left"], means["right"])
        return "SI so far n/a" if si is None else f"SI so far {si:+.0f}%"

    def line(self, event) -> str | None:
        """The line for one event, or None when it is not worth a line."""
        if isinstance(event, CalibrationDone):
            parts = []
            for placement, calibration in event.calibration.items():
                correction = calibration.mount_correction_deg
                fixed = "" if correction is None else f", strap corrected {correction:.0f} deg"
                parts.append(
                    f"{placement.replace('_', ' ')} quality {calibration.quality:.2f}{fixed}"
                )
            return f"[{event.t_s:7.1f} s] calibrated: " + "; ".join(parts)
        if isinstance(event, RepFinished):
            rep = event.rep
            self._reps += 1
            # As in the summary: a rep left out for lost data is not in the SI so far.
            if not rep.left_out:
                self._drops[rep.side].append(rep.pelvic_drop_deg)
            gap = ""
            if rep.data_gap_s > 0 or rep.left_out:
                what = "left out" if rep.left_out else "estimates"
                gap = f" (lost data {rep.data_gap_s:.1f} s: {what})"
            return (
                f"[{rep.t_end:7.1f} s] rep {self._reps}, {rep.side} lead: thigh ROM "
                f"{rep.thigh_rom_deg:.0f} deg, pelvic drop {rep.pelvic_drop_deg:.1f} deg; "
                f"{self._si_so_far()}{gap}"
            )
        if isinstance(event, RepAborted):
            return f"[{event.t_s:7.1f} s] the {event.side} leg lifted and came back down: not a rep"
        if isinstance(event, StepDetected):
            step = event.step
            self._steps[step.side].append(step)
            total = sum(len(v) for v in self._steps.values())
            if total % self.step_every:
                return None
            # As in the summary, steps left out for lost data count but give no numbers.
            kept = {side: [s for s in v if not s.left_out] for side, v in self._steps.items()}
            steps_per_min = cadence_spm([s for v in kept.values() for s in v])
            cadence = (
                f", cadence {steps_per_min:.0f} steps/min" if math.isfinite(steps_per_min) else ""
            )
            drops = {side: [s.pelvic_drop_deg for s in v] for side, v in kept.items()}
            means = {side: sum(v) / len(v) for side, v in drops.items() if v}
            drop = ""
            if len(means) == 2:
                si = robinson_si_pct(means["left"], means["right"])
                si_text = "" if si is None else f" (SI {si:+.0f}%)"
                drop = f"; pelvic drop L {means['left']:.1f} / R {means['right']:.1f} deg{si_text}"
            return (
                f"[{step.t:7.1f} s] {total} steps (L {len(self._steps['left'])} / "
                f"R {len(self._steps['right'])}){cadence}{drop}"
            )
        if isinstance(event, SensorStale):
            return f"[{event.t_s:7.1f} s] {event.placement}: no data (stale)"
        if isinstance(event, SensorLost):
            return f"[{event.t_s:7.1f} s] {event.placement}: lost"
        if isinstance(event, SensorResumed):
            return f"[{event.t_s:7.1f} s] {event.placement}: back after {event.gap_s:.1f} s"
        if isinstance(event, RepStarted):
            return None
        return None
