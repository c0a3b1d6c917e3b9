"""Sensor-to-segment calibration: gyroscope bias, vertical, and heading of each segment.

Method, per sensor (functional calibration in the spirit of Seel, Raisch & Schauer 2014,
"IMU-based joint angle measurement for gait analysis", and of the static-plus-functional
protocols reviewed by Picerno 2017):

1. **Quiet standing** gives the gyroscope bias (mean rate) and the segment's vertical: the
   mean specific force points up in the sensor frame. This fixes two of the three
   mounting angles, whatever the nominal mount says.
2. **Movement** gives the third (the heading of the segment about the vertical):
   - a thigh's medio-lateral axis is the dominant rotation axis of its gyroscope
     (flexion-extension dominates step-ups and walking), made orthogonal to the vertical;
   - the pelvis's medio-lateral axis is the thighs' flexion axis carried over into the
     pelvis sensor's frame. Without a magnetometer each sensor's heading is its own, but
     the pelvis and thigh sensors share the body's translation (they ride on either side
     of the hip), so the rotation that best maps a thigh's horizontal acceleration onto
     the pelvis's (a 2-D Procrustes fit) relates the two headings. The pelvis's own
     motion alone is a biased cue: in step-ups the pelvis shifts a few centimetres toward
     the lead leg as it travels forward, which turns the direction of travel by ~7 deg.
     Only when the thighs say nothing does the dominant direction of the pelvis's
     horizontal acceleration, at the movement's own frequency, stand in.
3. The nominal ``mount`` picks the signs (which end of an axis is left or forward) and is
   the fallback when the movement says too little; without a mount, signs come from the
   data (a thigh flexes further than it extends; the pelvis rises as it travels forward
   in a step-up).

The result is ``sensor_to_segment``, a rotation with ``v_segment = R @ v_sensor``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from sensorlab.processing.filters import butter_sos
from sensorlab.records import SensorCalibration


@dataclass(frozen=True)
class StaticPose:
    """What quiet standing says about one sensor.

    Attributes
    ----------
    span_s : tuple of float
        The quiet span used, seconds.
    gyro_bias_rad_s : ndarray, shape (3,)
        Mean angular rate during the span, rad/s, sensor frame.
    up_sensor : ndarray, shape (3,)
        Unit vector pointing up, in the sensor frame.
    acc_norm_std_m_s2 : float
        Standard deviation of the specific-force norm during the span, m/s^2.
    gravity_m_s2 : float
        The sensor's reading of gravity: norm of the mean specific force, m/s^2.
    method : str
        ``standing`` (from quiet standing), or ``pauses`` or ``movement`` (see
        :func:`movement_pose`).
    consistency : float
        For ``movement``: norm of the mean specific force over the mean of its norm, 0-1:
        1 when the sensor's tilt hardly varied, lower the more it swung.
    """

    span_s: tuple[float, float]
    gyro_bias_rad_s: np.ndarray
    up_sensor: np.ndarray
    acc_norm_std_m_s2: float
    gravity_m_s2: float = 9.81
    method: str = "standing"
    consistency: float = 1.0


def static_pose(
    t_s: np.ndarray, acc_m_s2: np.ndarray, gyr_rad_s: np.ndarray, span_s: tuple[float, float]
) -> StaticPose:
    """Gyroscope bias and vertical from the samples inside a quiet span.

    Parameters
    ----------
    t_s : ndarray, shape (n,)
        Sample times, seconds.
    acc_m_s2 : ndarray, shape (n, 3)
        Specific force, m/s^2, sensor frame.
    gyr_rad_s : ndarray, shape (n, 3)
        Angular rate, rad/s, sensor frame.
    span_s : tuple of float
        Quiet span ``(start, end)``, seconds.

    Raises
    ------
    ValueError
        If the span holds fewer than 10 samples.
    """
    inside = (t_s >= span_s[0]) & (t_s <= span_s[1])
    if np.count_nonzero(inside) < 10:
        raise ValueError(f"only {np.count_nonzero(inside)} samples in the quiet span {span_s}")
    mean_acc = acc_m_s2[inside].mean(axis=0)
    return StaticPose(
        span_s=(float(span_s[0]), float(span_s[1])),
        gyro_bias_rad_s=gyr_rad_s[inside].mean(axis=0),
        up_sensor=mean_acc / np.linalg.norm(mean_acc),
        acc_norm_std_m_s2=float(np.linalg.norm(acc_m_s2[inside], axis=1).std()),
        gravity_m_s2=float(np.linalg.norm(mean_acc)),
    )


def movement_pose(
    t_s: np.ndarray,
    acc_m_s2: np.ndarray,
    gyr_rad_s: np.ndarray,
    paused: np.ndarray | None = None,
    min_paused: int = 50,
) -> StaticPose:
    """A stand-in for quiet standing when a session has none.

    Brief pauses, else the mean posture.

    Repetitions are often separated by pauses too short to count as quiet standing
    (under a second of standing between step-ups); when the sensors were still
    together for at least ``min_paused`` samples in all, their mean specific force and
    rate give the vertical and the bias, as standing would.

    Over whole cycles of a movement the body's accelerations average out and the mean
    specific force points along gravity as seen in the sensor's *mean* orientation (a
    functional calibration; cf. Picerno 2017). The segment angles are then relative to
    the average posture of the movement, not to standing: a walking thigh's average is
    a few degrees flexed. The gyroscope bias about the horizontal axes is the mean rate
    about them: a segment that keeps returning to its posture (walking, repetitions)
    makes no net rotation about them. Its net turning about the vertical (a U-turn) is
    unknown, so that component is taken as zero; Fusion's bias tracker refines the bias
    whenever the sensor rests.

    Parameters
    ----------
    t_s : ndarray, shape (n,)
        Sample times, seconds.
    acc_m_s2 : ndarray, shape (n, 3)
        Specific force while moving, m/s^2, sensor frame.
    gyr_rad_s : ndarray, shape (n, 3)
        Angular rate while moving, rad/s, sensor frame.
    paused : ndarray of bool, shape (n,), optional
        Samples during which every sensor was briefly still.
    min_paused : int
        Fewest paused samples that replace the mean posture.

    Raises
    ------
    ValueError
        With fewer than 10 samples.
    """
    if acc_m_s2.shape[0] < 10:
        raise ValueError(f"only {acc_m_s2.shape[0]} samples")
    method = "movement"
    if paused is not None and np.count_nonzero(paused) >= min_paused:
        acc_m_s2, gyr_rad_s = acc_m_s2[paused], gyr_rad_s[paused]
        method = "pauses"
    mean_acc = acc_m_s2.mean(axis=0)
    up = mean_acc / np.linalg.norm(mean_acc)
    norms = np.linalg.norm(acc_m_s2, axis=1)
    return StaticPose(
        span_s=(float(t_s[0]), float(t_s[-1])),
        gyro_bias_rad_s=(
            gyr_rad_s.mean(axis=0)
            if method == "pauses"
            else _horizontal(gyr_rad_s.mean(axis=0), up)
        ),
        up_sensor=up,
        acc_norm_std_m_s2=float(norms.std()),
        gravity_m_s2=float(np.median(norms)),
        method=method,
        consistency=float(np.linalg.norm(mean_acc) / norms.mean()),
    )


@dataclass(frozen=True)
class AlignmentSettings:
    """Settings of the movement-based heading refinement.

    Attributes
    ----------
    moving_rate_dps : float
        Thigh samples faster than this take part in the rotation-axis fit, deg/s.
    max_correction_deg : float
        A data-driven heading further than this from the nominal mount is distrusted:
        the nominal heading is kept and a note says so.
    min_axis_quality : float
        Below this axis quality (0..1) the nominal heading is kept.
    static_noise_m_s2 : float
        Specific-force norm SD at which the standing pose counts as not quiet at all.
    movement_quality_cap : float
        Highest quality of a calibration from movement alone (no quiet standing): its
        vertical is the mean posture, not the standing pose, so it never grades "good".
    """

    moving_rate_dps: float = 30.0
    max_correction_deg: float = 40.0
    min_axis_quality: float = 0.3
    static_noise_m_s2: float = 0.15
    movement_quality_cap: float = 0.5


DEFAULT_ALIGNMENT = AlignmentSettings()


@dataclass(frozen=True)
class AlignmentCues:
    """Which movement cues may decide an axis's sign and the pelvis's heading.

    The activity says (each drill in :mod:`sensorlab.processing.movements` declares its own).

    Attributes
    ----------
    thigh_flexion_dominates : bool
        A thigh flexes further than it extends (step-ups, squats, lunges, walking): a
        thigh whose movement says otherwise is strapped the other way round. False where
        a thigh's main excursion is extension (kickbacks, a single-leg RDL's free leg):
        the mount's sign is kept.
    pelvis_heading_from_thighs : bool
        The pelvis and thighs translate together enough to carry the thighs' flexion
        axes over to the pelvis (:func:`_pelvis_forward_from_thighs`), or the pelvis's
        own travel shows its heading. False in drills standing on the spot, where the
        pelvis's tilt and obliquity move together and its heading is not observable:
        the mount's heading is kept.
    """

    thigh_flexion_dominates: bool = True
    pelvis_heading_from_thighs: bool = True


DEFAULT_CUES = AlignmentCues()


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _horizontal(v: np.ndarray, up: np.ndarray) -> np.ndarray:
    return v - np.outer(v @ up, up) if v.ndim == 2 else v - (v @ up) * up


def _principal_axis(samples: np.ndarray, up: np.ndarray) -> tuple[np.ndarray, float]:
    """Dominant horizontal direction of ``samples`` and its planarity-based quality."""
    flat = _horizontal(samples, up)
    eigenvalues, eigenvectors = np.linalg.eigh(flat.T @ flat)
    # The smallest eigenvalue belongs to ``up`` (projected out); compare the other two.
    second, first = eigenvalues[1], eigenvalues[2]
    if first <= 0:
        return eigenvectors[:, 2], 0.0
    dominance = first / (first + second)  # 0.5 (no preferred axis) .. 1 (one axis)
    return eigenvectors[:, 2], float(np.clip((dominance - 0.5) / 0.45, 0.0, 1.0))


def _rotation_angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    cos_angle = (np.trace(a @ b.T) - 1.0) / 2.0
    return float(np.degrees(np.arccos(np.clip(cos_angle, -1.0, 1.0))))


def _frame(forward: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Rows forward, left, up (segment axes in sensor coordinates), orthonormal."""
    up = _unit(up)
    forward = _unit(_horizontal(forward, up))
    return np.vstack([forward, np.cross(up, forward), up])


@dataclass(frozen=True)
class HeadingEvidence:
    """Movement data for the heading refinement of one sensor.

    Attributes
    ----------
    gyr_rad_s : ndarray, shape (n, 3)
        Bias-corrected angular rate during movement (thighs), rad/s.
    linear_acc_world_m_s2 : ndarray, shape (n, 3)
        Acceleration during movement in the sensor's world frame (Z up, gravity removed),
        m/s^2 (pelvis). In the world frame, unlike the sensor frame, the pelvis's own tilt
        and drop do not mix its vertical acceleration into the horizontal.
    static_world_from_sensor : ndarray, shape (3, 3)
        Sensor-to-world rotation during quiet standing: maps a world direction back to
        the sensor frame of the calibration pose.
    rate_hz : float
        Sampling rate of the arrays, Hz.
    up_sensor : ndarray, shape (n, 3), optional
        World up in the sensor frame at each sample (from the orientation): rotation
        about the vertical (the pelvis turning the thigh with it as it rotates in gait)
        is removed from the rate before the flexion axis is fitted.
    """

    gyr_rad_s: np.ndarray
    linear_acc_world_m_s2: np.ndarray
    static_world_from_sensor: np.ndarray
    rate_hz: float
    up_sensor: np.ndarray | None = None


def _thigh_forward(
    static: StaticPose, evidence: HeadingEvidence, settings: AlignmentSettings
) -> tuple[np.ndarray | None, float, str | None]:
    """Forward axis of a thigh (sensor frame) from its flexion axis, sign still open."""
    gyr = evidence.gyr_rad_s
    if evidence.up_sensor is not None:
        # The flexion axis stays horizontal as the thigh flexes; turning about the
        # vertical (with the pelvis's rotation in gait, 4-5 deg each stride) does not,
        # and correlated with flexion it tilts the fitted axis by about 2 deg.
        up = evidence.up_sensor
        gyr = gyr - np.sum(gyr * up, axis=1, keepdims=True) * up
    rate_dps = np.degrees(np.linalg.norm(gyr, axis=1))
    moving = gyr[rate_dps > settings.moving_rate_dps]
    if moving.shape[0] < 10:
        return None, 0.0, "too little thigh rotation to find its flexion axis"
    left, quality = _principal_axis(moving, static.up_sensor)
    return np.cross(left, static.up_sensor), quality, None


def _flexion_sign(static: StaticPose, forward: np.ndarray, evidence: HeadingEvidence) -> float:
    """+1 if ``forward`` makes flexion (knee forward) the larger excursion, else -1.

    Integrates the rotation about the candidate medio-lateral axis: flexion about the
    left axis is negative (right-hand rule), and a thigh flexes further than it extends.
    """
    left = np.cross(static.up_sensor, forward)
    angle = np.cumsum(evidence.gyr_rad_s @ left) / evidence.rate_hz
    flexion = -angle
    return 1.0 if flexion.max() >= -flexion.min() else -1.0


def _decisive_flexion_sign(
    static: StaticPose, forward: np.ndarray, evidence: HeadingEvidence, ratio: float = 2.0
) -> int:
    """+1 or -1 when the movement alone says which way ``forward`` flexes, else 0.

    As :func:`_flexion_sign`, with the angle's linear drift (a residual gyroscope bias)
    removed and excursions measured from its median: decisive only when one excursion is
    at least ``ratio`` times the other and 20 deg or more, as in step-ups and squats (a
    walking thigh swings about as far each way, so walks leave the mount's sign).
    """
    left = np.cross(static.up_sensor, forward)
    flexion = -np.cumsum(evidence.gyr_rad_s @ left) / evidence.rate_hz
    if flexion.size < 10:
        return 0
    flexion = np.degrees(signal.detrend(flexion))
    middle = np.median(flexion)
    above, below = float(flexion.max() - middle), float(middle - flexion.min())
    if max(above, below) < 20.0 or max(above, below) < ratio * min(above, below):
        return 0
    return 1 if above > below else -1


def _pelvis_forward(
    static: StaticPose, evidence: HeadingEvidence
) -> tuple[np.ndarray | None, float, str | None]:
    """Antero-posterior axis of the pelvis (sensor frame), sign still open."""
    acc = evidence.linear_acc_world_m_s2
    rate_hz = evidence.rate_hz
    if acc.shape[0] < int(4 * rate_hz):
        return None, 0.0, "too little pelvis movement to find its forward direction"
    vertical = acc[:, 2]
    freqs, power = signal.welch(
        vertical - vertical.mean(), fs=rate_hz, nperseg=min(acc.shape[0], int(8 * rate_hz))
    )
    band = (freqs >= 0.2) & (freqs <= 3.0)
    if not np.any(band) or power[band].max() <= 0:
        return None, 0.0, "no movement rhythm in the pelvis acceleration"
    f0 = float(freqs[band][np.argmax(power[band])])
    sos = signal.butter(
        2, [0.7 * f0, min(1.4 * f0, 0.45 * rate_hz)], btype="bandpass", fs=rate_hz, output="sos"
    )
    filtered = signal.sosfiltfilt(sos, acc, axis=0)
    axis_world, quality = _principal_axis(filtered, np.array([0.0, 0.0, 1.0]))
    return evidence.static_world_from_sensor.T @ axis_world, quality, None


def _bandpassed_horizontals(accs_world: list[np.ndarray], rate_hz: float) -> list[np.ndarray]:
    """World-horizontal accelerations in the band of human movement (0.2-3 Hz), (n, 2) each.

    ``accs_world``: sensors' world-frame accelerations over the same samples, (n, 3) each.
    Filtered in one call: the filter treats each column on its own, so each result is
    the one its sensor's columns would give alone, bit for bit.
    """
    sos = butter_sos(2, (0.2, min(3.0, 0.45 * rate_hz)), rate_hz, "bandpass")
    filtered = signal.sosfiltfilt(sos, np.hstack([acc[:, :2] for acc in accs_world]), axis=0)
    return [filtered[:, 2 * i : 2 * i + 2] for i in range(len(accs_world))]


@dataclass(frozen=True)
class ThighReference:
    """A calibrated thigh, as evidence for the pelvis heading.

    Attributes
    ----------
    evidence : HeadingEvidence
        The thigh's movement data, over the same samples as the pelvis's.
    left_sensor : ndarray, shape (3,)
        The thigh's medio-lateral (left) axis in its sensor frame.
    """

    evidence: HeadingEvidence
    left_sensor: np.ndarray


def _pelvis_forward_from_thighs(
    pelvis: HeadingEvidence, thighs: list[ThighReference]
) -> tuple[np.ndarray | None, float, str | None]:
    """Pelvis forward axis (sensor frame, signed) from the thighs' flexion axes."""
    if pelvis.linear_acc_world_m_s2.shape[0] < int(4 * pelvis.rate_hz) or not thighs:
        return None, 0.0, "too little movement to relate the thighs to the pelvis"
    pelvis_h, *thighs_h = _bandpassed_horizontals(
        [pelvis.linear_acc_world_m_s2, *(t.evidence.linear_acc_world_m_s2 for t in thighs)],
        pelvis.rate_hz,
    )
    forwards = []
    for thigh, thigh_h in zip(thighs, thighs_h, strict=True):
        u, _, vt = np.linalg.svd(pelvis_h.T @ thigh_h)
        if np.linalg.det(u @ vt) < 0:
            u[:, -1] *= -1
        thigh_to_pelvis = u @ vt  # maps thigh-world horizontal onto pelvis-world horizontal
        left_world = (thigh.evidence.static_world_from_sensor @ thigh.left_sensor)[:2]
        left = thigh_to_pelvis @ left_world
        forwards.append(np.array([left[1], -left[0]]) / np.linalg.norm(left))
    forward = np.sum(forwards, axis=0)
    forward /= np.linalg.norm(forward)
    # Quality from how well the two thighs agree (1 within a few degrees, 0 at 30 deg).
    agreement = min(float(f @ forward) for f in forwards)
    quality = float(
        np.clip((agreement - np.cos(np.radians(30))) / (1 - np.cos(np.radians(30))), 0, 1)
    )
    forward_world = np.array([forward[0], forward[1], 0.0])
    return pelvis.static_world_from_sensor.T @ forward_world, quality, None


def _rising_forward_sign(
    static: StaticPose, forward: np.ndarray, evidence: HeadingEvidence
) -> float:
    """+1 when travel along ``forward`` goes with rising (as onto a box), else -1."""
    acc = evidence.linear_acc_world_m_s2
    forward_world = evidence.static_world_from_sensor @ forward
    return 1.0 if float(np.dot(acc @ forward_world, acc[:, 2])) >= 0 else -1.0


def calibrate_sensor(
    placement: str,
    static: StaticPose,
    evidence: HeadingEvidence | None,
    nominal_mount: np.ndarray | None,
    settings: AlignmentSettings = DEFAULT_ALIGNMENT,
    thighs: list[ThighReference] | None = None,
    cues: AlignmentCues = DEFAULT_CUES,
) -> SensorCalibration:
    """Sensor-to-segment rotation for one sensor, with its quality and notes.

    Parameters
    ----------
    placement : str
        ``pelvis``, ``left_thigh`` or ``right_thigh``.
    static : StaticPose
        From quiet standing.
    evidence : HeadingEvidence or None
        Movement data; ``None`` when there was none.
    nominal_mount : ndarray, shape (3, 3), or None
        :func:`sensorlab.frames.mount_matrix` of the sidecar's mount.
    settings : AlignmentSettings
        Refinement settings.
    thighs : list of ThighReference, optional
        For the pelvis: the calibrated thighs, whose flexion axes give its heading.
    cues : AlignmentCues
        Which movement cues the activity makes valid.

    Returns
    -------
    SensorCalibration

    Raises
    ------
    ValueError
        With a plain message when neither a mount nor the movement defines the heading.
    """
    notes: list[str] = []
    warnings: list[str] = []  # remarks the user should act on; also kept among the notes
    up = static.up_sensor
    if static.method != "standing":
        # How little the sensor's tilt varied decides how well the mean posture is known.
        static_quality = settings.movement_quality_cap * float(
            np.clip((static.consistency - 0.8) / 0.2, 0.0, 1.0)
        )
        notes.append(
            "no quiet standing: vertical from "
            + ("brief pauses" if static.method == "pauses" else "the average posture while moving")
        )
    else:
        static_quality = float(
            np.clip(1.0 - static.acc_norm_std_m_s2 / settings.static_noise_m_s2, 0.0, 1.0)
        )
    forward: np.ndarray | None = None
    axis_quality = 0.0
    problem: str | None = "no movement data"  # None when the movement gave a heading
    signed = False
    if placement == "pelvis" and not cues.pelvis_heading_from_thighs:
        if nominal_mount is None:
            raise ValueError(
                "pelvis: the sidecar gives no mount, and this drill does not show the "
                "pelvis's heading; add the sensor's 'mount' to the sidecar (which anatomical "
                "direction each axis points to), or walk a few steps before the first set"
            )
        problem = "this drill does not show the pelvis's heading"
    elif evidence is not None:
        if placement == "pelvis":
            forward, axis_quality, problem = _pelvis_forward_from_thighs(evidence, thighs or [])
            signed = forward is not None and axis_quality >= settings.min_axis_quality
            if not signed:
                forward, axis_quality, problem = _pelvis_forward(static, evidence)
        else:
            forward, axis_quality, problem = _thigh_forward(static, evidence, settings)
    if forward is not None and axis_quality < settings.min_axis_quality:
        problem = f"the movement defines the heading poorly (axis quality {axis_quality:.2f})"
        forward = None

    nominal_forward = None
    if nominal_mount is not None:
        nominal_forward = _horizontal(nominal_mount[0], up)
        if np.linalg.norm(nominal_forward) < 0.3:
            warnings.append(
                "the nominal mount's forward axis is nearly vertical in standing; check the mount"
            )
            nominal_forward = None
        else:
            nominal_forward = _unit(nominal_forward)

    if forward is not None:
        forward = _unit(_horizontal(forward, up))
        if nominal_forward is not None:
            if not signed:
                forward = forward if forward @ nominal_forward >= 0 else -forward
                if placement != "pelvis" and evidence is not None and cues.thigh_flexion_dominates:
                    # A thigh strapped the other way round reads flexion as extension.
                    decisive = _decisive_flexion_sign(static, forward, evidence)
                    forward = -forward if decisive < 0 else forward
                    signed = decisive != 0
            heading_change = float(np.degrees(np.arccos(np.clip(forward @ nominal_forward, -1, 1))))
            if heading_change > 90.0 and signed:
                warnings.append(
                    f"the movement shows the sensor turned {heading_change:.0f} deg from the "
                    "sidecar's mount (it would read the movement the other way round): used the "
                    "axes the movement shows; correct the 'mount' in the sidecar"
                )
            elif heading_change > settings.max_correction_deg:
                warnings.append(
                    f"movement suggests the heading is {heading_change:.0f} deg off the nominal "
                    "mount; kept the nominal heading (check how the sensor was strapped)"
                )
                forward, axis_quality = nominal_forward, 0.0
        elif evidence is not None:
            if not signed:
                if placement != "pelvis" and not cues.thigh_flexion_dominates:
                    raise ValueError(
                        f"{placement}: the sidecar gives no mount, and in this drill the "
                        "thigh's movement does not show which way it flexes; add the "
                        "sensor's 'mount' to the sidecar (which anatomical direction each "
                        "axis points to)"
                    )
                sign = (
                    _rising_forward_sign(static, forward, evidence)
                    if placement == "pelvis"
                    else _flexion_sign(static, forward, evidence)
                )
                forward = sign * forward
            notes.append("no mount given: axes and their signs estimated from the movement")
    elif nominal_forward is not None:
        notes.append(f"heading from the nominal mount only: {problem}")
        forward = nominal_forward
        axis_quality = 0.0
    else:
        raise ValueError(
            f"{placement}: the sidecar gives no mount and {problem}; add the sensor's "
            "'mount' to the sidecar (which anatomical direction each axis points to)"
        )

    alignment = _frame(forward, up)
    correction = None if nominal_mount is None else _rotation_angle_deg(alignment, nominal_mount)
    if nominal_mount is not None and static.method == "standing":
        notes.append(
            "vertical from quiet standing"
            + ("" if axis_quality == 0 else ", heading from movement")
        )
    quality = (
        static_quality
        if axis_quality == 0 and nominal_mount is not None
        else min(static_quality, axis_quality)
    )
    return SensorCalibration(
        placement=placement,
        static_span_s=static.span_s,
        gyro_bias_dps=np.degrees(static.gyro_bias_rad_s),
        sensor_to_segment=alignment,
        mount_correction_deg=correction,
        quality=round(float(quality), 3),
        notes=tuple(warnings + notes),
        warnings=tuple(warnings),
        method=static.method,
    )
