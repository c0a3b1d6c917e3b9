"""Alignment in the standing drills: the movement cues each drill makes valid.

A kickback's thighs mostly extend and a single-leg RDL's free thigh too: the step-up rule
"a thigh flexes further than it extends" would turn them round. On the spot the pelvis's
heading does not show. Those drills keep the mount's sign and heading; without a mount
the analysis says what to add.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sensorlab.errors import InputError
from sensorlab.processing.pipeline import analyze
from sensorlab.simulate.drills import DrillSettings, simulate_drill


@pytest.mark.parametrize("kind", ["kickback", "single_leg_rdl", "single_leg_squat"])
def test_the_drill_keeps_the_mounts_signs(kind):
    session = simulate_drill(DrillSettings(kind=kind, reps=4), seed=8)
    analysis = analyze(session.recording)
    assert not [w for w in analysis.warnings if "turned" in w], analysis.warnings
    truth = session.truth.kinematics
    for side in ("left", "right"):
        measured = analysis.kinematics.thigh_sagittal_deg(side)
        true = np.interp(analysis.kinematics.t_s, truth.t_s, truth.thigh_sagittal_deg(side))
        # Same sign and size: extension reads as extension.
        assert np.nanmax(np.abs(measured - true)) < 3.0, side
    assert "drill does not show the pelvis's heading" in " ".join(
        analysis.calibration["pelvis"].notes
    )


def test_without_a_mount_the_drill_asks_for_one():
    session = simulate_drill(DrillSettings(kind="kickback", reps=2), seed=9)
    sensors = {
        placement: dataclasses.replace(info, mount=None)
        for placement, info in session.recording.meta.sensors.items()
    }
    meta = dataclasses.replace(session.recording.meta, sensors=sensors)
    with pytest.raises(InputError, match="add the sensor's 'mount' to the sidecar"):
        analyze(dataclasses.replace(session.recording, meta=meta))
