"""Sensor model: true motion -> what an IMU records (mounting, errors, clock, losses).

For a sensor with orientation ``R_s = R_segment @ M_true`` (sensor -> world) at world
position ``x_s``, the ideal readings in the sensor frame are

- accelerometer: specific force ``f = R_s^T (d2x_s/dt2 + g e_z)``, m/s^2, ``g = 9.81``;
- gyroscope: body angular velocity ``omega`` with ``dR_s/dt = R_s [omega]x``, rad/s.

``M_true = R_err @ M_nominal``: the nominal mount (:func:`sensorlab.frames.mount_matrix`)
turned by a strap error ``R_err`` (a fixed angle about a random axis, in the segment
frame). Then, in this order: constant bias, white noise, clipping at the range, and
quantisation to the ADC step. Each sensor has its own clock: a random start phase, drift
and offset; rows lost by random drops and bursts are removed, so ``seq`` shows the gaps.
Two burst models: a few fixed-length bursts (a stalled link), and short bursts of random
length making up a set fraction of the samples (the everyday losses of a BLE link, where a
missed connection event loses the one to ten samples it would have carried).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial.transform import Rotation

from sensorlab.frames import mount_matrix
from sensorlab.records import ImuChunk
from sensorlab.simulate.body import SENSOR_OFFSETS_M, BodyMotion, segment_pose
from sensorlab.units import GRAVITY_M_S2

DEFAULT_MOUNTS: Mapping[str, Mapping[str, str]] = {
    "pelvis": {"x": "up", "y": "left", "z": "backward"},
    "left_thigh": {"x": "up", "y": "forward", "z": "left"},
    "right_thigh": {"x": "up", "y": "backward", "z": "right"},
}
"""Nominal mounts, as in the recording contract's example sidecar."""

MAX_MOUNT_ERROR_DEG = 25.0
"""Largest strap misalignment the simulator accepts, degrees."""

_CHUNK_SAMPLES = 65536


@dataclass(frozen=True)
class SensorSettings:
    """How the three IMUs are worn and how they err; applies to every placement.

    Attributes
    ----------
    rate_hz : float
        Nominal sampling rate, Hz (on each device's own clock).
    mounts : mapping of placement to mount
        Nominal mounts (sensor axis -> anatomical direction), reported in the sidecar.
    mount_error_deg : float
        Strap misalignment angle, degrees (0 to 25), about a random axis per sensor.
    mount_error_uniform : bool
        If true, each sensor's angle is drawn uniformly in ``[0, mount_error_deg]``
        instead of being exactly ``mount_error_deg``.
    acc_noise_m_s2, gyr_noise_dps : float
        White-noise RMS per axis, m/s^2 and deg/s.
    acc_bias_max_m_s2, gyr_bias_max_dps : float
        Constant bias per sensor and axis, uniform in ``[-max, +max]``, m/s^2 and deg/s.
    acc_range_g, gyr_range_dps : float or None
        Full-scale range (clipping), in g (of 9.81 m/s^2) and deg/s; ``None``: no clipping.
    adc_bits : int or None
        Signed ADC resolution: the step is ``range / 2**(adc_bits - 1)`` (16 bits at 16 g:
        16 g/32768); ``None``: no quantisation.
    clock_drift_ppm_max : float
        Device clock rate error, uniform in ``[-max, +max]`` parts per million.
    device_clock_offset_max_s : float
        Device clock reading at session start, uniform in ``[0, max]`` s.
    host_time_error_s : float
        RMS of the residual error of the host-aligned time ``t_s``, s (white, clipped at
        0.4 sample periods so ``t_s`` stays increasing).
    drop_fraction : float
        Probability that a sample is lost on its own.
    burst_count, burst_length_samples : int
        Number of loss bursts per sensor and their length in samples.
    burst_loss_fraction : float
        Fraction of the samples lost in short bursts, each of a length uniform in
        ``1..burst_max_samples`` samples, separated by kept runs of exponentially
        distributed length (a memoryless link), so bursts never merge.
    burst_max_samples : int
        Longest of those short bursts, samples.
    calibration_span_s : tuple of float or None
        Quiet-standing span written to the sidecar metadata, s; ``None`` leaves it out.
    """

    rate_hz: float = 100.0
    mounts: Mapping[str, Mapping[str, str]] = field(
        default_factory=lambda: dict(DEFAULT_MOUNTS), hash=False
    )
    mount_error_deg: float = 10.0
    mount_error_uniform: bool = False
    acc_noise_m_s2: float = 0.03
    gyr_noise_dps: float = 0.15
    acc_bias_max_m_s2: float = 0.05
    gyr_bias_max_dps: float = 1.0
    acc_range_g: float | None = 16.0
    gyr_range_dps: float | None = 2000.0
    adc_bits: int | None = 16
    clock_drift_ppm_max: float = 50.0
    device_clock_offset_max_s: float = 1000.0
    host_time_error_s: float = 0.0
    drop_fraction: float = 0.0
    burst_count: int = 0
    burst_length_samples: int = 0
    burst_loss_fraction: float = 0.0
    burst_max_samples: int = 10
    calibration_span_s: tuple[float, float] | None = (0.0, 3.0)

    def __post_init__(self) -> None:
        if self.rate_hz <= 0:
            raise ValueError(f"rate_hz must be positive, got {self.rate_hz}")
        if not 0.0 <= self.mount_error_deg <= MAX_MOUNT_ERROR_DEG:
            raise ValueError(
                f"mount_error_deg must be within 0..{MAX_MOUNT_ERROR_DEG}, got "
                f"{self.mount_error_deg}"
            )
        if not 0.0 <= self.drop_fraction < 1.0:
            raise ValueError(f"drop_fraction must be within [0, 1), got {self.drop_fraction}")
        if self.burst_count < 0 or self.burst_length_samples < 0:
            raise ValueError("burst_count and burst_length_samples must not be negative")
        if not 0.0 <= self.burst_loss_fraction < 0.5:
            raise ValueError(
                f"burst_loss_fraction must be within [0, 0.5), got {self.burst_loss_fraction}"
            )
        if self.burst_max_samples < 1:
            raise ValueError(f"burst_max_samples must be at least 1, got {self.burst_max_samples}")
        if self.adc_bits is not None and (self.acc_range_g is None or self.gyr_range_dps is None):
            raise ValueError("quantisation (adc_bits) needs both ranges to set the step size")
        for placement, mount in self.mounts.items():
            mount_matrix(mount)  # raises MountError with a clear message
            if placement not in SENSOR_OFFSETS_M:
                raise ValueError(f"the simulator has no segment for placement {placement!r}")


DEFAULT_SENSOR_SETTINGS = SensorSettings()
"""Realistic defaults: 100 Hz, 10 deg strap error, noise, bias, 16-bit ADC, clock drift."""

IDEAL_SENSOR_SETTINGS = SensorSettings(
    mount_error_deg=0.0,
    acc_noise_m_s2=0.0,
    gyr_noise_dps=0.0,
    acc_bias_max_m_s2=0.0,
    gyr_bias_max_dps=0.0,
    acc_range_g=None,
    gyr_range_dps=None,
    adc_bits=None,
    clock_drift_ppm_max=0.0,
    device_clock_offset_max_s=0.0,
)
"""Exact readings: nominal mounts, no noise, bias, clipping, quantisation, drift or loss."""


@dataclass(frozen=True)
class SensorTruth:
    """The true state of one simulated sensor.

    Attributes
    ----------
    placement : str
        Placement name.
    sensor_to_segment : ndarray, shape (3, 3)
        ``M_true``: columns are the sensor axes in the segment frame.
    mount_error_deg : float
        Angle between ``M_true`` and the nominal mount, degrees.
    acc_bias_m_s2 : ndarray, shape (3,)
        Accelerometer bias in the sensor frame, m/s^2.
    gyr_bias_rad_s : ndarray, shape (3,)
        Gyroscope bias in the sensor frame, rad/s.
    start_phase_s : float
        True time of the first sample, s.
    clock_drift_ppm : float
        Device clock rate error, ppm: ``device_t = offset + (1 + drift*1e-6) * t_true``.
    device_clock_offset_s : float
        Device clock reading at true time 0, s.
    samples_generated, samples_lost : int
        Samples the device produced, and how many of them were removed as lost.
    """

    placement: str
    sensor_to_segment: np.ndarray
    mount_error_deg: float
    acc_bias_m_s2: np.ndarray
    gyr_bias_rad_s: np.ndarray
    start_phase_s: float
    clock_drift_ppm: float
    device_clock_offset_s: float
    samples_generated: int
    samples_lost: int


def random_mount_error(angle_deg: float, rng: np.random.Generator) -> np.ndarray:
    """A rotation of ``angle_deg`` degrees about an axis uniform on the sphere, (3, 3)."""
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    return Rotation.from_rotvec(np.radians(angle_deg) * axis).as_matrix()


def ideal_readings(
    motion: BodyMotion, placement: str, sensor_to_segment: np.ndarray, t_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Exact specific force (m/s^2) and angular rate (rad/s) in the sensor frame, (n, 3) each.

    Evaluated in blocks so memory stays bounded for long sessions.
    """
    t_all = np.asarray(t_s, dtype=float)
    acc = np.empty((t_all.size, 3))
    gyr = np.empty((t_all.size, 3))
    offset = SENSOR_OFFSETS_M[placement]
    gravity = np.array([0.0, 0.0, GRAVITY_M_S2])
    for start in range(0, t_all.size, _CHUNK_SAMPLES):
        block = slice(start, start + _CHUNK_SAMPLES)
        t = t_all[block]
        pose = segment_pose(motion, placement, t)
        _, a_world = pose.point(offset)
        f_segment = np.einsum("nji,nj->ni", pose.rot, a_world + gravity)
        acc[block] = f_segment @ sensor_to_segment  # M^T f per row
        gyr[block] = pose.body_rate() @ sensor_to_segment
    return acc, gyr


def _adc(values: np.ndarray, full_scale: float | None, bits: int | None) -> np.ndarray:
    if full_scale is None:
        return values
    if bits is None:
        return np.clip(values, -full_scale, full_scale)
    step = full_scale / 2 ** (bits - 1)
    counts = np.clip(np.round(values / step), -(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    return counts * step


def _lost_mask(n: int, settings: SensorSettings, rng: np.random.Generator) -> np.ndarray:
    lost = rng.random(n) < settings.drop_fraction
    length = settings.burst_length_samples
    if length and settings.burst_count and n > length:
        for start in rng.integers(0, n - length, size=settings.burst_count):
            lost[start : start + length] = True
    if settings.burst_loss_fraction > 0:
        lost |= short_burst_mask(n, settings.burst_loss_fraction, settings.burst_max_samples, rng)
    return lost


def short_burst_mask(
    n: int, fraction: float, max_samples: int, rng: np.random.Generator
) -> np.ndarray:
    """Loss mask of ``n`` samples, losing ``fraction`` of them on average.

    Bursts of 1..``max_samples`` samples (uniform) between kept runs of at least one sample,
    exponential in length with the mean that makes ``fraction`` of the samples lost on average.
    """
    mean_burst = (1 + max_samples) / 2
    mean_kept = mean_burst * (1 - fraction) / fraction
    # Enough burst/run pairs to cover n samples with a wide margin.
    pairs = int(3 * n / (mean_burst + mean_kept)) + 10
    bursts = rng.integers(1, max_samples + 1, size=pairs)
    kept = np.maximum(1, np.round(rng.exponential(mean_kept, size=pairs))).astype(np.int64)
    starts = np.cumsum(kept) + np.concatenate([[0], np.cumsum(bursts)[:-1]])
    lost = np.zeros(n + max_samples, dtype=bool)
    for start, length in zip(starts[starts < n].tolist(), bursts.tolist(), strict=False):
        lost[start : start + length] = True
    return lost[:n]


def simulate_sensor(
    motion: BodyMotion,
    placement: str,
    duration_s: float,
    settings: SensorSettings,
    rng: np.random.Generator,
) -> tuple[ImuChunk, SensorTruth]:
    """Record one sensor over ``[0, duration_s]`` of ``motion``.

    Parameters
    ----------
    motion : BodyMotion
        The prescribed body motion.
    placement : str
        ``pelvis``, ``left_thigh`` or ``right_thigh``.
    duration_s : float
        Session length, s.
    settings : SensorSettings
        Sensor model.
    rng : numpy.random.Generator
        Source of this sensor's randomness; it is split into independent streams for the
        mount, bias, clock, noise and loss, so turning one off leaves the others unchanged.

    Returns
    -------
    chunk : ImuChunk
        The kept samples, SI units (m/s^2, rad/s), host-aligned ``t_s``.
    truth : SensorTruth
        The true mount, biases, clock and loss count.
    """
    mount_rng, bias_rng, clock_rng, noise_rng, loss_rng = rng.spawn(5)
    angle_deg = settings.mount_error_deg
    if settings.mount_error_uniform:
        angle_deg = float(mount_rng.uniform(0.0, angle_deg))
    sensor_to_segment = random_mount_error(angle_deg, mount_rng) @ mount_matrix(
        settings.mounts[placement]
    )
    acc_bias = bias_rng.uniform(-1.0, 1.0, 3) * settings.acc_bias_max_m_s2
    gyr_bias = np.radians(bias_rng.uniform(-1.0, 1.0, 3) * settings.gyr_bias_max_dps)

    period_s = 1.0 / settings.rate_hz
    phase_s = float(clock_rng.uniform(0.0, period_s))
    drift = float(clock_rng.uniform(-1.0, 1.0)) * settings.clock_drift_ppm_max * 1e-6
    clock_offset_s = float(clock_rng.uniform(0.0, settings.device_clock_offset_max_s))
    true_period_s = period_s / (1.0 + drift)
    n = int(np.floor((duration_s - phase_s) / true_period_s)) + 1
    seq = np.arange(n, dtype=np.int64)
    t_true = phase_s + seq * true_period_s
    device_t = clock_offset_s + (1.0 + drift) * t_true
    jitter = clock_rng.normal(0.0, 1.0, n) * settings.host_time_error_s
    t_host = t_true + np.clip(jitter, -0.4 * period_s, 0.4 * period_s)

    acc, gyr = ideal_readings(motion, placement, sensor_to_segment, t_true)
    acc += acc_bias + noise_rng.normal(0.0, settings.acc_noise_m_s2, (n, 3))
    gyr += gyr_bias + noise_rng.normal(0.0, np.radians(settings.gyr_noise_dps), (n, 3))
    acc_range = None if settings.acc_range_g is None else settings.acc_range_g * GRAVITY_M_S2
    gyr_range = None if settings.gyr_range_dps is None else np.radians(settings.gyr_range_dps)
    acc = _adc(acc, acc_range, settings.adc_bits)
    gyr = _adc(gyr, gyr_range, settings.adc_bits)

    keep = ~_lost_mask(n, settings, loss_rng)
    chunk = ImuChunk(
        placement=placement,
        t_s=t_host[keep],
        acc_m_s2=acc[keep],
        gyr_rad_s=gyr[keep],
        seq=seq[keep],
        device_t_s=device_t[keep],
    )
    nominal = mount_matrix(settings.mounts[placement])
    error_deg = np.degrees(Rotation.from_matrix(sensor_to_segment @ nominal.T).magnitude())
    truth = SensorTruth(
        placement=placement,
        sensor_to_segment=sensor_to_segment,
        mount_error_deg=float(error_deg),
        acc_bias_m_s2=acc_bias,
        gyr_bias_rad_s=gyr_bias,
        start_phase_s=phase_s,
        clock_drift_ppm=drift * 1e6,
        device_clock_offset_s=clock_offset_s,
        samples_generated=n,
        samples_lost=int(n - keep.sum()),
    )
    return chunk, truth


def sensor_pose(
    motion: BodyMotion, placement: str, sensor_to_segment: np.ndarray, t_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """True position and orientation of a sensor.

    Parameters
    ----------
    motion : BodyMotion
        The prescribed body motion.
    placement : str
        ``pelvis``, ``left_thigh`` or ``right_thigh``.
    sensor_to_segment : ndarray, shape (3, 3)
        The true mount ``M_true`` (sensor -> segment).
    t_s : ndarray, shape (n,)
        True times, s.

    Returns
    -------
    position_m : ndarray, shape (n, 3)
        Sensor position in the world frame (X forward, Y left, Z up), m.
    sensor_to_world : ndarray, shape (n, 3, 3)
        ``R_s = R_segment @ M_true``: columns are the sensor axes in the world frame.
    """
    t = np.asarray(t_s, dtype=float)
    pose = segment_pose(motion, placement, t)
    position, _ = pose.point(SENSOR_OFFSETS_M[placement])
    return position, pose.rot @ sensor_to_segment
