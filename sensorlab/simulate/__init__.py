"""Physically exact IMU simulator: the ground truth every algorithm test relies on.

Prescribed, C2-smooth body motion (pelvis position and orientation, thigh angles) is
turned into exact specific force and angular rate of three body-worn IMUs (pelvis on the
sacrum, lateral mid-thigh left and right), then through a sensor model (strap error,
bias, noise, range, ADC, clocks, losses) into a :class:`~sensorlab.records.Recording`.
The truth (reps, steps, their metrics from the true orientations, mounts, biases, true
angles) comes with it.

Modules: ``profiles`` (smooth primitives), ``body`` (segment poses), ``imu`` (sensor
model), ``step_up`` and ``walk`` (activities), ``drills`` (lunges and squats, which
sensorlab does not analyse), ``truth``, ``session``, ``scenarios``.
"""

from sensorlab.simulate.body import BodyMotion
from sensorlab.simulate.drills import DrillSettings, simulate_drill
from sensorlab.simulate.imu import (
    DEFAULT_MOUNTS,
    DEFAULT_SENSOR_SETTINGS,
    IDEAL_SENSOR_SETTINGS,
    SensorSettings,
    SensorTruth,
)
from sensorlab.simulate.scenarios import (
    SCENARIOS,
    step_up_alternating,
    step_up_asymmetric,
    step_up_messy,
    walk_asymmetric,
    walk_symmetric,
)
from sensorlab.simulate.session import SimulatedSession, simulate_motion
from sensorlab.simulate.step_up import (
    DEFAULT_STEP_UP_SETTINGS,
    SideSettings,
    StepUpSettings,
    simulate_step_ups,
)
from sensorlab.simulate.truth import (
    AbortedAttempt,
    GaitTruth,
    RepTruth,
    SessionTruth,
    StepTruth,
    read_truth,
    write_truth,
)
from sensorlab.simulate.walk import DEFAULT_WALK_SETTINGS, WalkSettings, simulate_walk

__all__ = [
    "DEFAULT_MOUNTS",
    "DEFAULT_SENSOR_SETTINGS",
    "DEFAULT_STEP_UP_SETTINGS",
    "DEFAULT_WALK_SETTINGS",
    "IDEAL_SENSOR_SETTINGS",
    "SCENARIOS",
    "AbortedAttempt",
    "BodyMotion",
    "DrillSettings",
    "GaitTruth",
    "RepTruth",
    "SensorSettings",
    "SensorTruth",
    "SessionTruth",
    "SideSettings",
    "SimulatedSession",
    "StepTruth",
    "StepUpSettings",
    "WalkSettings",
    "read_truth",
    "simulate_drill",
    "simulate_motion",
    "simulate_step_ups",
    "simulate_walk",
    "step_up_alternating",
    "step_up_asymmetric",
    "step_up_messy",
    "walk_asymmetric",
    "walk_symmetric",
    "write_truth",
]
