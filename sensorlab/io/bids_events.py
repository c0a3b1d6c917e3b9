"""The events of a Motion-BIDS export.

The analysis's reps and gait steps, and the moments marked in the session, as the rows of
``_events.tsv``, with the ``_events.json`` that says what each column means.
"""

from __future__ import annotations

import pandas as pd

from sensorlab.io.bids_motion import LATENCY_DECIMALS
from sensorlab.records import Recording, SessionAnalysis


def events_table(
    analysis: SessionAnalysis, recording: Recording, onset_s: float
) -> tuple[pd.DataFrame, dict]:
    """Return the rows of ``_events.tsv`` and the ``_events.json`` description of them.

    Rows: reps, steps and marks, onsets in s from ``onset_s``.
    """
    rows = []
    for rep in analysis.reps:
        rows.append(
            {
                "onset": rep.t_start - onset_s,
                "duration": rep.t_end - rep.t_start,
                "trial_type": f"rep_{rep.side}",
                "side": rep.side,
                # A drill's rep has those of these metrics its drill measures (NaN: none).
                **{key: rep.value(key) for key in _REP_EXTRAS},
                "left_out": rep.left_out,
            }
        )
    for step in analysis.steps:
        rows.append(
            {
                "onset": step.t - onset_s,
                "duration": 0.0,
                "trial_type": f"step_{step.side}",
                "side": step.side,
                "pelvic_drop_deg": step.pelvic_drop_deg,
                "step_time_s": step.step_time_s,
                "left_out": step.left_out,
            }
        )
    for marker in recording.meta.markers:
        rows.append({"onset": marker.t_s - onset_s, "duration": 0.0, "trial_type": marker.label})
    columns = ["onset", "duration", "trial_type", "side", *_EVENT_EXTRAS]
    frame = pd.DataFrame(rows, columns=columns).sort_values("onset", kind="stable")
    frame = frame[[c for c in columns if c in _EVENTS_ALWAYS or frame[c].notna().any()]]
    for name in ("onset", "duration"):
        frame[name] = frame[name].round(LATENCY_DECIMALS)
    for name in ("thigh_rom_deg", "pelvic_drop_deg", "pelvic_tilt_range_deg",
                 "peak_thigh_velocity_dps", "step_time_s"):  # fmt: skip
        if name in frame:
            frame[name] = pd.to_numeric(frame[name]).round(3)
    if "left_out" in frame:
        frame["left_out"] = frame["left_out"].map({True: "true", False: "false"})
    return frame, {k: v for k, v in EVENTS_DESCRIPTION.items() if k in frame}


_EVENTS_ALWAYS = ("onset", "duration", "trial_type")
_REP_EXTRAS = (
    "thigh_rom_deg",
    "pelvic_drop_deg",
    "pelvic_tilt_range_deg",
    "peak_thigh_velocity_dps",
)
_EVENT_EXTRAS = (
    "thigh_rom_deg",
    "pelvic_drop_deg",
    "pelvic_tilt_range_deg",
    "peak_thigh_velocity_dps",
    "step_time_s",
    "left_out",
)
EVENTS_DESCRIPTION = {
    "onset": {"Description": "Start of the event, from the tracking system's onset.", "Units": "s"},
    "duration": {"Description": "Length of the event (0 for an instant).", "Units": "s"},
    "trial_type": {
        "Description": "What happened.",
        "Levels": {
            "rep_left": "A repetition with the left leg working (for a step-up, leading).",
            "rep_right": "A repetition with the right leg working.",
            "step_left": "Initial contact of the left foot (a gait step).",
            "step_right": "Initial contact of the right foot.",
            "mark": "A moment marked by the operator during the session.",
            "recalibrate": "The subject stood still to have the sensors re-levelled.",
        },
    },
    "side": {
        "Description": "The working leg of a rep, or the foot of a step.",
        "Levels": {"left": "left", "right": "right"},
    },
    "thigh_rom_deg": {
        "Description": "Range of the working thigh's sagittal angle in the rep.",
        "Units": "deg",
    },
    "pelvic_drop_deg": {
        "Description": (
            "Largest drop of the pelvis on the side opposite the working (stance) leg, "
            "relative to standing; positive in the Trendelenburg direction."
        ),
        "Units": "deg",
    },
    "pelvic_tilt_range_deg": {"Description": "Range of pelvic tilt in the rep.", "Units": "deg"},
    "peak_thigh_velocity_dps": {
        "Description": "Peak sagittal angular velocity of the working thigh.",
        "Units": "deg/s",
    },
    "step_time_s": {
        "Description": "Time from the other foot's previous initial contact.",
        "Units": "s",
    },
    "left_out": {
        "Description": (
            "true when too much of the event's data was lost: listed, but left out of "
            "sensorlab's per-side means and symmetry."
        ),
        "Levels": {"true": "left out", "false": "kept"},
    },
}
