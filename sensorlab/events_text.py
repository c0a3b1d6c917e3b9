"""Events as the lines a person reads on the terminal while a session runs.

Lines come in time order: each rep or step is printed once, when it is judged (marked
``provisional`` before the headings are refined); when the refinement lands, a line
says so, and a rep whose printed values the refinement changed gets a line then, stamped
with that moment, rather than being printed again at its own time. A line's time is what
it is about (a rep's end, the end of the calibration's evidence, a sensor's silence); a
walk's running line counts the steps by its time: the newest step's contact, or the time
of the line before when that is later (a step is judged a second or two after its
contact, so a calibration line can come in between).
"""

from __future__ import annotations

import math

from sensorlab.live.tally import SIDES, LiveTally
from sensorlab.processing.events import (
    CalibrationDone,
    ProvisionalWithdrawn,
    RepAborted,
    RepFinished,
    RepStarted,
    StepDetected,
)
from sensorlab.processing.gait import cadence_spm
from sensorlab.processing.symmetry import robinson_si_pct
from sensorlab.records import AnyRep, DrillRepResult
from sensorlab.session import SensorLost, SensorResumed, SensorStale
from sensorlab.summary.metrics import drill_rep_brief, rep_side_words

PROVISIONAL = " (provisional)"


class EventPrinter:
    """Turns events into short lines, keeping the running per-side figures.

    Parameters
    ----------
    step_every : int
        A walk prints a running line every this many steps rather than one per step.
    """

    def __init__(self, step_every: int = 10) -> None:
        self.step_every = step_every
        self.tally = LiveTally()
        """Reps and steps so far, refined values replacing provisional ones."""
        self._refined_at_s: float | None = None
        self._latest_s = float("-inf")
        """The latest time printed so far, s."""

    def _si_so_far(self) -> str:
        if self.tally.drill is not None:
            # A drill's first per-side metric, as the live window's first bar.
            bar = self.tally.bars()[0]
            if bar.left is None or bar.right is None:
                return "SI needs both sides"
            return f"{bar.label} SI so far " + (
                "n/a" if bar.si_pct is None else f"{bar.si_pct:+.0f}%"
            )
        # As in the summary: a rep left out for lost data is not in the SI so far.
        drops: dict[str, list[float]] = {"left": [], "right": []}
        for rep in self.tally.reps:
            if not rep.left_out:
                drops[rep.side].append(rep.value("pelvic_drop_deg"))
        means = {side: sum(v) / len(v) for side, v in drops.items() if v}
        if len(means) < 2:
            return "SI needs both sides"
        si = robinson_si_pct(means["left"], means["right"])
        return "SI so far n/a" if si is None else f"SI so far {si:+.0f}%"

    @staticmethod
    def _rep_values(rep: AnyRep) -> str:
        if isinstance(rep, DrillRepResult):
            return drill_rep_brief(rep.activity, rep.metrics)
        return f"thigh ROM {rep.thigh_rom_deg:.0f} deg, pelvic drop {rep.pelvic_drop_deg:.1f} deg"

    def line(self, event) -> str | None:
        """The line for one event, or None when it is not worth a line."""
        stamped = self._stamped(event)
        if stamped is None:
            return None
        t_s, text = stamped
        self._latest_s = max(self._latest_s, t_s)
        return f"[{t_s:7.1f} s] {text}"

    def _stamped(self, event) -> tuple[float, str] | None:
        """The time a line is about, s, and its text."""
        if isinstance(event, CalibrationDone):
            self._refined_at_s = event.t_s
            parts = []
            for placement, calibration in event.calibration.items():
                correction = calibration.mount_correction_deg
                fixed = "" if correction is None else f", strap corrected {correction:.0f} deg"
                parts.append(
                    f"{placement.replace('_', ' ')} quality {calibration.quality:.2f}{fixed}"
                )
            refining = ""
            if self.tally.provisional_reps:
                refining = (
                    f"; refining the {len(self.tally.provisional_reps)} provisional reps (a "
                    "line for each whose values change)"
                )
            elif self.tally.provisional_steps:
                refining = f"; refining the {len(self.tally.provisional_steps)} provisional steps"
            return event.t_s, "calibrated: " + "; ".join(parts) + refining
        if isinstance(event, RepFinished):
            return self._rep_line(event)
        if isinstance(event, StepDetected):
            return self._step_line(event)
        if isinstance(event, ProvisionalWithdrawn):
            self.tally.add(event)
            what = "reps" if event.kind == "rep" else "steps"
            return (
                event.t_s,
                "the refined analysis does not confirm the provisional "
                f"{what} from {event.first_index + 1} on: withdrawn",
            )
        if isinstance(event, RepAborted):
            return event.t_s, f"the {event.side} leg lifted and came back down: not a rep"
        if isinstance(event, SensorStale):
            return event.t_s, f"{event.placement}: no data (stale)"
        if isinstance(event, SensorLost):
            return event.t_s, f"{event.placement}: lost"
        if isinstance(event, SensorResumed):
            return event.t_s, f"{event.placement}: back after {event.gap_s:.1f} s"
        if isinstance(event, RepStarted):
            return None
        return None

    def _rep_line(self, event: RepFinished) -> tuple[float, str] | None:
        rep = event.rep
        number = rep.index + 1
        shown = self.tally.reps[rep.index] if rep.index < len(self.tally.reps) else None
        self.tally.add(event)
        if shown is not None:
            # A refined rep replacing a provisional one: said only if what was printed
            # changes, at the moment of the refinement.
            if self._rep_values(shown) == self._rep_values(rep) and shown.side == rep.side:
                return None
            at = rep.t_end if self._refined_at_s is None else self._refined_at_s
            return (
                at,
                f"rep {number} refined: {rep_side_words(rep.activity, rep.side)}, "
                f"{self._rep_values(rep)}; "
                f"{self._si_so_far()}",
            )
        gap = ""
        if rep.data_gap_s > 0 or rep.left_out:
            what = "left out" if rep.left_out else "estimates"
            gap = f" (lost data {rep.data_gap_s:.1f} s: {what})"
        mark = PROVISIONAL if event.provisional else ""
        return (
            rep.t_end,
            f"rep {number}, {rep_side_words(rep.activity, rep.side)}: {self._rep_values(rep)}; "
            f"{self._si_so_far()}{gap}{mark}",
        )

    def _step_line(self, event: StepDetected) -> tuple[float, str] | None:
        replacing = event.index < len(self.tally.steps)
        self.tally.add(event)
        total = len(self.tally.steps)
        if replacing or total % self.step_every:
            return None
        step = event.step
        steps = {side: [s for s in self.tally.steps if s.side == side] for side in SIDES}
        # As in the summary, steps left out for lost data count but give no numbers.
        kept = {side: [s for s in v if not s.left_out] for side, v in steps.items()}
        steps_per_min = cadence_spm([s for v in kept.values() for s in v])
        cadence = f", cadence {steps_per_min:.0f} steps/min" if math.isfinite(steps_per_min) else ""
        drops = {side: [s.pelvic_drop_deg for s in v] for side, v in kept.items()}
        means = {side: sum(v) / len(v) for side, v in drops.items() if v}
        drop = ""
        if len(means) == 2:
            si = robinson_si_pct(means["left"], means["right"])
            si_text = "" if si is None else f" (SI {si:+.0f}%)"
            drop = f"; pelvic drop L {means['left']:.1f} / R {means['right']:.1f} deg{si_text}"
        mark = PROVISIONAL if self.tally.provisional_steps else ""
        return (
            # Counted by then: a step is judged after its stance, so a calibration line
            # may have come since its contact.
            max(step.t, self._latest_s),
            f"{total} steps (L {len(steps['left'])} / "
            f"R {len(steps['right'])}){cadence}{drop}{mark}",
        )
