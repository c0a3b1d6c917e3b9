"""Typed records shared by every stage: samples in, results out.

Units are in the field names or docstrings. Inside sensorlab accelerations are m/s^2 and
angular rates rad/s (:mod:`sensorlab.units`); angles that people read are in degrees.
A whole recording is simply one :class:`ImuChunk` per sensor, so batch analysis and
streaming share the same records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

if TYPE_CHECKING:
    from sensorlab.processing.activity import Movement


@dataclass(frozen=True)
class ImuChunk:
    """A block of consecutive samples from one sensor.

    Attributes
    ----------
    placement : str
        Placement name (``pelvis``, ``left_thigh``, ``right_thigh`` or another).
    t_s : ndarray, shape (n,)
        Sample times in seconds since session start, on the host clock after alignment.
    acc_m_s2 : ndarray, shape (n, 3)
        Specific force in the sensor frame, m/s^2 (at rest the up axis reads about +9.81).
    gyr_rad_s : ndarray, shape (n, 3)
        Angular rate in the sensor frame, rad/s, right-handed.
    seq : ndarray of int64, shape (n,), optional
        Device sample or packet counter, for loss accounting.
    device_t_s : ndarray, shape (n,), optional
        The device's own clock, seconds.
    host_t_s : ndarray, shape (n,), optional
        When each sample reached the host (receive stamp, before clock alignment),
        seconds on the host's monotonic clock since session start. Samples that arrive
        in one Bluetooth packet share it.
    extra : dict of str to ndarray
        Other columns (``mag_x``, ``quat_w``, vendor fields), kept for round trips and
        ignored by the metrics.
    """

    placement: str
    t_s: np.ndarray
    acc_m_s2: np.ndarray
    gyr_rad_s: np.ndarray
    seq: np.ndarray | None = None
    device_t_s: np.ndarray | None = None
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    host_t_s: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    def take(self, index) -> ImuChunk:
        """The samples picked by ``index`` (a slice, indices or a mask).

        Every per-sample array alike.
        """

        def pick(values):
            return None if values is None else values[index]

        return ImuChunk(
            placement=self.placement,
            t_s=self.t_s[index],
            acc_m_s2=self.acc_m_s2[index],
            gyr_rad_s=self.gyr_rad_s[index],
            seq=pick(self.seq),
            device_t_s=pick(self.device_t_s),
            extra={name: values[index] for name, values in self.extra.items()},
            host_t_s=pick(self.host_t_s),
        )


@dataclass(frozen=True)
class SensorInfo:
    """What the sidecar says about one sensor.

    Attributes
    ----------
    placement : str
        Placement name.
    model, address : str or None
        Device model and Bluetooth address, where known.
    rate_hz : float or None
        Nominal sampling rate in Hz.
    mount : dict of str to str, or None
        Nominal mounting: the anatomical direction of each sensor axis in the standing
        pose (see :func:`sensorlab.frames.mount_matrix`). ``None`` when not given.
    extra : dict
        Other sidecar fields for this sensor, kept as they are.
    """

    placement: str
    model: str | None = None
    address: str | None = None
    rate_hz: float | None = None
    mount: dict[str, str] | None = None
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Marker:
    """A moment someone marked during a session (a key in the live view).

    Attributes
    ----------
    t_s : float
        Session time, seconds (the recording's ``t`` scale).
    label : str
        ``mark`` for a plain mark; ``recalibrate`` where the sensors were re-levelled
        (the analysis re-levels there too, so a re-analysis gives the same result).
    """

    t_s: float
    label: str = "mark"


@dataclass(frozen=True)
class SessionMeta:
    """The recording sidecar (``NAME.json``), or what is known without one.

    Attributes
    ----------
    activity : str or None
        ``step_up``, ``walk``, ... or ``None`` when not stated.
    sensors : dict of str to SensorInfo
        Per placement.
    calibration_span_s : tuple of float, or None
        ``(static_start_s, static_end_s)`` of the quiet-standing pose, when given.
    started_at, subject, notes : str or None
        As in the sidecar.
    date : str or None
        The session's date as the sidecar gives it (text, e.g. ``2026-11-23``), shown in
        the report and the live window; ``started_at`` is the machine-written start time.
    markers : tuple of Marker
        Moments marked during the session (the sidecar's ``events``), in time order.
    extra : dict
        Other top-level sidecar fields, kept as they are.
    """

    activity: str | None = None
    sensors: dict[str, SensorInfo] = field(default_factory=dict)
    calibration_span_s: tuple[float, float] | None = None
    started_at: str | None = None
    subject: str | None = None
    notes: str | None = None
    date: str | None = None
    markers: tuple[Marker, ...] = ()
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Recording:
    """A recording read from disk: per-sensor samples plus the sidecar.

    Attributes
    ----------
    source : str
        File name the recording came from (for messages and the summary).
    meta : SessionMeta
        Sidecar contents.
    chunks : dict of str to ImuChunk
        All samples of each sensor as one chunk, in file order.
    warnings : list of str
        Problems found while reading that left the data usable (a truncated last line,
        a unit converted), each naming the file and line.
    """

    source: str
    meta: SessionMeta
    chunks: dict[str, ImuChunk]
    warnings: list[str] = field(default_factory=list)

    @property
    def duration_s(self) -> float:
        """Time from the first to the last sample over all sensors, in seconds."""
        starts = [c.t_s[0] for c in self.chunks.values() if len(c)]
        ends = [c.t_s[-1] for c in self.chunks.values() if len(c)]
        return float(max(ends) - min(starts)) if starts else 0.0


@dataclass(frozen=True)
class SensorCalibration:
    """Result of calibrating one sensor to its segment.

    Attributes
    ----------
    placement : str
        Placement name.
    static_span_s : tuple of float
        Quiet-standing span used, seconds since session start.
    gyro_bias_dps : ndarray, shape (3,)
        Gyroscope bias removed, deg/s in the sensor frame.
    sensor_to_segment : ndarray, shape (3, 3)
        Rotation from the sensor frame to the segment frame actually used.
    mount_correction_deg : float or None
        Angle between the nominal mount and ``sensor_to_segment``, degrees; ``None``
        when there was no nominal mount.
    quality : float
        0 (unusable) to 1 (excellent): how still the standing pose was and how clearly the
        movement defined the remaining axis.
    notes : tuple of str
        Plain-language remarks (what was estimated from the data, what was assumed).
    warnings : tuple of str
        Those remarks the user should act on (e.g. check how a sensor was strapped).
    method : str
        ``standing`` (vertical and bias from quiet standing, the protocol's way); without
        quiet standing in the session, ``pauses`` (from brief pauses between movements)
        or ``movement`` (from the mean posture while moving; angles are then relative to
        that posture). Both of the latter cap ``quality`` low.
    """

    placement: str
    static_span_s: tuple[float, float]
    gyro_bias_dps: np.ndarray
    sensor_to_segment: np.ndarray
    mount_correction_deg: float | None
    quality: float
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    method: str = "standing"


@dataclass(frozen=True)
class SensorQuality:
    """Data-quality account of one sensor.

    Attributes
    ----------
    placement : str
        Placement name.
    samples : int
        Samples kept.
    lost : int
        Samples missing according to ``seq`` gaps (0 without ``seq``).
    dropped : int
        Duplicate or out-of-order samples removed.
    rate_hz : float
        Measured median sampling rate, Hz.
    nominal_rate_hz : float or None
        The sidecar's rate, Hz.
    non_finite : int
        Samples removed because an acc or gyro value was NaN or infinite.
    """

    placement: str
    samples: int
    lost: int
    dropped: int
    rate_hz: float
    nominal_rate_hz: float | None = None
    non_finite: int = 0


@dataclass(frozen=True)
class Kinematics:
    """Segment angles on the common analysis time base.

    All arrays have shape (n,) and share ``t_s``. Angles in degrees, conventions in
    :mod:`sensorlab.processing.angles`. A thigh that was not recorded has all-NaN arrays.
    """

    t_s: np.ndarray
    pelvis_tilt_deg: np.ndarray
    pelvis_obliquity_deg: np.ndarray
    pelvis_rotation_deg: np.ndarray
    left_thigh_sagittal_deg: np.ndarray
    right_thigh_sagittal_deg: np.ndarray
    left_thigh_adduction_deg: np.ndarray
    right_thigh_adduction_deg: np.ndarray

    def thigh_sagittal_deg(self, side: str) -> np.ndarray:
        """The sagittal angle of the ``"left"`` or ``"right"`` thigh."""
        return self.left_thigh_sagittal_deg if side == "left" else self.right_thigh_sagittal_deg

    def thigh_adduction_deg(self, side: str) -> np.ndarray:
        """The adduction angle of the ``"left"`` or ``"right"`` thigh."""
        return self.left_thigh_adduction_deg if side == "left" else self.right_thigh_adduction_deg


@dataclass(frozen=True)
class RepResult:
    """One repetition and its metrics (the contract's per-rep fields plus extensions).

    Attributes
    ----------
    index : int
        0-based order in the session.
    set_index : int
        0-based set: consecutive reps with the same working side and no long pause.
    side : str
        Working (lead) leg, ``"left"`` or ``"right"``.
    t_start, t_end : float
        Seconds since session start.
    thigh_rom_deg : float
        Range of the working thigh's sagittal angle during the rep.
    pelvic_drop_deg : float
        Largest drop of the pelvis on the side opposite the working leg while it bears
        the load, relative to standing (positive = Trendelenburg direction).
    pelvic_tilt_range_deg : float
        Range of pelvic tilt during the rep (low-back compensation proxy).
    peak_thigh_velocity_dps : float
        Peak sagittal angular velocity of the working thigh, deg/s.
    up_duration_s, down_duration_s : float
        Tempo: from start to standing tall on the box, and from there to the end.
    thigh_adduction_excursion_deg : float
        Largest adduction of the working thigh under load, relative to standing: a
        *dynamic valgus tendency* proxy, not a knee angle.
    pelvic_rate_rms_dps : float
        RMS of the pelvis angular rate while the working leg bears the load, deg/s
        (single-leg stability: lower is steadier).
    data_gap_s : float
        Time within the rep during which some sensor's data was lost (bridged across a
        short loss, or missing), seconds, to the analysis grid's resolution; when above
        zero the rep's metrics are partly estimates.
    left_out : bool
        Listed but left out of the per-side means, symmetry and findings: more than
        ``AnalysisSettings.max_data_gap_s`` of its data was lost, or a sensor's
        orientation had not recovered from a longer loss yet.
    """

    index: int
    set_index: int
    side: str
    t_start: float
    t_end: float
    thigh_rom_deg: float
    pelvic_drop_deg: float
    pelvic_tilt_range_deg: float
    peak_thigh_velocity_dps: float
    up_duration_s: float
    down_duration_s: float
    thigh_adduction_excursion_deg: float
    pelvic_rate_rms_dps: float
    data_gap_s: float = 0.0
    left_out: bool = False

    activity: ClassVar[str] = "step_up"

    def value(self, key: str) -> float:
        """The per-rep metric ``key`` (a field name), as for :meth:`DrillRepResult.value`."""
        return float(getattr(self, key))


@dataclass(frozen=True)
class DrillRepResult:
    """One repetition of a standing drill and its metrics.

    The drill's module (:mod:`sensorlab.processing.movements`) defines the rep, its
    working side and its metrics; ``docs/drills.md`` lists them.

    Attributes
    ----------
    index, set_index : int
        0-based order in the session, and set (as for :class:`RepResult`).
    activity : str
        The drill (``split_squat``, ``squat``...).
    side : str
        Working side, ``"left"`` or ``"right"``; ``"both"`` for a bilateral drill.
    t_start, t_end : float
        Seconds since session start.
    metrics : dict of str to float
        The drill's per-rep metrics (units in the keys: ``_deg``, ``_s``, ``_dps``,
        ``_pct``), with the tempo (``down_duration_s``, ``up_duration_s``) and
        ``pelvic_rate_rms_dps`` every rep keeps; NaN where a sensor's data are missing.
    data_gap_s, left_out : float, bool
        As for :class:`RepResult`.
    """

    index: int
    set_index: int
    activity: str
    side: str
    t_start: float
    t_end: float
    metrics: dict[str, float]
    data_gap_s: float = 0.0
    left_out: bool = False

    def value(self, key: str) -> float:
        """The per-rep metric ``key`` (NaN when the rep has none of that name)."""
        return float(self.metrics.get(key, float("nan")))


AnyRep = RepResult | DrillRepResult
"""A step-up rep or a drill's: both have ``index``, ``set_index``, ``activity``, ``side``,
``t_start``, ``t_end``, ``data_gap_s``, ``left_out`` and ``value(key)``."""


@dataclass(frozen=True)
class StepResult:
    """One gait step: an initial contact and the stance that follows.

    Attributes
    ----------
    side : str
        The foot that makes initial contact.
    t : float
        Initial-contact time, seconds since session start.
    pelvic_drop_deg : float
        Largest contralateral pelvic drop over the stance of this leg, degrees.
    step_time_s : float or None
        Interval from the previous (other foot's) initial contact, seconds; ``None`` for
        the first step of a walking bout.
    data_gap_s : float
        Time from just before this contact (``GaitSettings.min_step_s / 2``, where its
        peak was picked from) to the end of its stance window during which some
        sensor's data was lost (bridged or missing), seconds, as for reps.
    left_out : bool
        Listed but left out of the per-side means, symmetry, gait measures and findings,
        as for reps.
    """

    side: str
    t: float
    pelvic_drop_deg: float
    step_time_s: float | None = None
    data_gap_s: float = 0.0
    left_out: bool = False


@dataclass(frozen=True)
class GaitResult:
    """Session-level gait measures.

    Attributes
    ----------
    steps_per_side : dict of str to int
        Step counts.
    cadence_spm : float
        Steps per minute while walking.
    step_time_s : dict of str to float
        Mean step time per side (the step that this foot ends), seconds.
    step_regularity, stride_regularity : float
        Unbiased autocorrelation of the vertical sacrum acceleration at the step and
        stride lag (Moe-Nilssen & Helbostad 2004); 1 is perfectly regular.
    walking_s : float
        Time spent walking, seconds.
    """

    steps_per_side: dict[str, int]
    cadence_spm: float
    step_time_s: dict[str, float]
    step_regularity: float
    stride_regularity: float
    walking_s: float


@dataclass(frozen=True)
class SessionAnalysis:
    """Everything the analysis found in one session; the summary and report are views of it.

    Attributes
    ----------
    source : str
        Recording file name.
    activity : str
        Activity analysed.
    duration_s : float
        Session duration, seconds.
    kinematics : Kinematics
        Angles on the common time base.
    reps : list of RepResult or DrillRepResult
        Repetitions in time order (empty for walks): :class:`RepResult` for step-ups,
        :class:`DrillRepResult` for the standing drills.
    steps : list of StepResult
        Gait steps in time order (empty for step-ups).
    gait : GaitResult or None
        Gait measures, for walks.
    calibration : dict of str to SensorCalibration
        Per placement.
    quality : dict of str to SensorQuality
        Per placement.
    warnings : list of str
        Everything a reader should know about the data and the analysis.
    unavailable : dict of str to str
        What this session cannot measure, and why (a sensor that was not worn): e.g.
        ``{"pelvic_drop_deg": "needs the pelvis sensor"}``. Empty with all three sensors.
    movement : Movement or None
        What the movement looks like (:func:`sensorlab.processing.activity.classify_movement`).
    activity_basis : str
        Why ``activity``: ``given`` (sidecar or ``--activity``, not contradicted),
        ``detected`` (from the movement), ``guessed`` (movement not recognised; from the
        reps or steps found), ``contradicted`` (given, but the movement is something else:
        no reps or steps reported) or ``not_analysed`` (the movement is not an analysed
        activity: ``activity`` is its label, no reps or steps).
    recorded_s : float or None
        From the first to the last sample of any sensor, seconds: longer than
        ``duration_s`` when a sensor ended early (the analysis stops there). What each
        sensor's samples are counted against (``missing_pct`` in the summary).
    """

    source: str
    activity: str
    duration_s: float
    kinematics: Kinematics
    reps: list[AnyRep]
    steps: list[StepResult]
    gait: GaitResult | None
    calibration: dict[str, SensorCalibration]
    quality: dict[str, SensorQuality]
    warnings: list[str] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)
    movement: Movement | None = None
    activity_basis: str = "given"
    recorded_s: float | None = None
