"""A simulated session: the recording the pipeline sees plus the truth it must recover."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sensorlab.frames import PLACEMENTS
from sensorlab.records import Recording, SensorInfo, SessionMeta
from sensorlab.simulate.body import BodyMotion
from sensorlab.simulate.imu import (
    DEFAULT_SENSOR_SETTINGS,
    SensorSettings,
    sensor_pose,
    simulate_sensor,
)
from sensorlab.simulate.truth import (
    AbortedAttempt,
    DrillRepTruth,
    GaitTruth,
    RepTruth,
    SessionTruth,
    StepTruth,
    kinematics_record,
    settings_dict,
)

SIM_MODEL = "sensorlab-sim"
"""``SensorInfo.model`` of every simulated sensor."""


@dataclass(frozen=True)
class SimulatedSession:
    """A simulated recording with its ground truth.

    Attributes
    ----------
    recording : Recording
        One :class:`~sensorlab.records.ImuChunk` per placement (SI units, host-aligned
        ``t_s``) and the sidecar metadata (nominal mounts, rate, calibration span).
    truth : SessionTruth
        Reps or steps with their true metrics, true mounts and biases, true angles.
    motion : BodyMotion
        The prescribed motion, for exact poses at any time (:meth:`sensor_pose`).
    """

    recording: Recording
    truth: SessionTruth
    motion: BodyMotion

    def sensor_pose(self, placement: str, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """True position and orientation of ``placement`` at true times ``t_s`` (s).

        Position: world frame, m, shape (n, 3). Orientation ``R_s``: sensor -> world, shape (n, 3,
        3).

        See :func:`sensorlab.simulate.imu.sensor_pose`.
        """
        mount = self.truth.sensors[placement].sensor_to_segment
        return sensor_pose(self.motion, placement, mount, t_s)


def split_rng(seed: int | None) -> tuple[np.random.Generator, np.random.Generator]:
    """``(activity_rng, sensors_rng)``: independent streams of ``default_rng(seed)``."""
    activity_rng, sensors_rng = np.random.default_rng(seed).spawn(2)
    return activity_rng, sensors_rng


def record_session(
    motion: BodyMotion,
    *,
    activity: str,
    duration_s: float,
    sensor_settings: SensorSettings,
    sensors_rng: np.random.Generator,
    seed: int | None,
    reps: list[RepTruth] | None = None,
    aborted: list[AbortedAttempt] | None = None,
    steps: list[StepTruth] | None = None,
    gait: GaitTruth | None = None,
    activity_settings=None,
    drill_reps: list[DrillRepTruth] | None = None,
) -> SimulatedSession:
    """Record every placement of ``sensor_settings.mounts`` over ``motion`` and bundle the truth.

    Each placement draws from its own child of ``sensors_rng`` (by its index in
    :data:`sensorlab.frames.PLACEMENTS`), so leaving a sensor out changes no other.
    """
    streams = dict(zip(PLACEMENTS, sensors_rng.spawn(len(PLACEMENTS)), strict=True))
    chunks, sensor_truths, infos = {}, {}, {}
    for placement in PLACEMENTS:
        if placement not in sensor_settings.mounts:
            continue
        chunk, sensor_truth = simulate_sensor(
            motion, placement, duration_s, sensor_settings, streams[placement]
        )
        chunks[placement], sensor_truths[placement] = chunk, sensor_truth
        infos[placement] = SensorInfo(
            placement=placement,
            model=SIM_MODEL,
            rate_hz=sensor_settings.rate_hz,
            mount=dict(sensor_settings.mounts[placement]),
        )
    meta = SessionMeta(
        activity=activity,
        sensors=infos,
        calibration_span_s=sensor_settings.calibration_span_s,
        subject="simulated",
        notes=f"sensorlab simulator, seed {seed}",
    )
    settings = [s for s in (activity_settings, sensor_settings) if s is not None]
    truth = SessionTruth(
        activity=activity,
        duration_s=duration_s,
        seed=seed,
        reps=reps or [],
        aborted=aborted or [],
        steps=steps or [],
        gait=gait,
        sensors=sensor_truths,
        kinematics=kinematics_record(motion, duration_s),
        settings=settings_dict(*settings),
        drill_reps=drill_reps or [],
    )
    recording = Recording(source=f"simulated:{activity}:seed={seed}", meta=meta, chunks=chunks)
    return SimulatedSession(recording=recording, truth=truth, motion=motion)


def simulate_motion(
    motion: BodyMotion,
    duration_s: float,
    sensor_settings: SensorSettings = DEFAULT_SENSOR_SETTINGS,
    seed: int | None = 0,
    activity: str = "custom",
) -> SimulatedSession:
    """Simulate the three IMUs over any prescribed motion (no reps or steps in the truth).

    Parameters
    ----------
    motion : BodyMotion
        Prescribed motion, e.g. ``BodyMotion.standing()`` with some profiles replaced.
    duration_s : float
        Session length, s.
    sensor_settings : SensorSettings
        Sensor model.
    seed : int or None
        Seed of ``numpy.random.default_rng``.
    activity : str
        Written to the metadata.
    """
    _, sensors_rng = split_rng(seed)
    return record_session(
        motion,
        activity=activity,
        duration_s=duration_s,
        sensor_settings=sensor_settings,
        sensors_rng=sensors_rng,
        seed=seed,
    )
