"""Walking sessions: standing, gait initiation, steady walking, termination, standing.

The gait is driven by a stride phase ``psi(t)`` that grows linearly in time (one per
stride): left initial contacts (ICs) at integer ``psi``, right ICs at ``psi = r`` past
them, where ``r = ratio / (1 + ratio)`` makes right step time / left step time equal
``step_time_ratio``. A smooth monotone warp ``w(psi) = psi + a (1 - cos 2 pi psi) / 2 pi``
puts the right IC at ``w = 1/2``, so every pattern is written once, symmetric in ``w``,
and stays C-infinity in time even when the two step times differ. Amplitudes (and the
forward speed) are multiplied by an envelope that ramps up over the first
``initiation_steps`` steps and down over the last ``termination_steps``, both
minimum-jerk, so the whole motion is C2.

Patterns (deg, m, per stride of ``w``):

- pelvic obliquity: a bump ``u^4 (1-u)^16`` over each step (peak 20% into the step, zero
  at the next contact) of height ``SIDE_SIGN[stance] * drop[stance]``;
- thigh: ``mean + amp cos 2 pi (w - w_peak)``: +flexion just before its own IC, -extension
  half a stride later (push-off); stance-leg adduction bump like the obliquity;
- pelvis height: ``-A cos 4 pi (w - w_low)``, lowest ``vertical_low_delay_s`` after each
  IC, plus a heel-strike dip ``-A_hs exp(-(t - t_hs)^2 / 2 sigma^2)`` at every IC
  (initiation and termination included, not scaled by the envelope) with
  ``A_hs = heel_strike_acc_m_s2 * sigma^2``: the dip's own upward acceleration at its
  centre ``t_hs = t_ic + heel_strike_delay_s``;
- forward: ``speed * integral(envelope)`` plus a fluctuation of ``speed_fluctuation_m_s``
  at step frequency, slowest at the highest point, plus a surge at every IC: a Gaussian
  bump of forward velocity centred ``heel_strike_delay_s`` after it, of width
  ``heel_strike_forward_sigma_s``, whose acceleration (a Gaussian derivative) peaks at
  ``+heel_strike_forward_acc_m_s2`` one width before its centre and brakes as much one
  width after (the envelope speed is lowered by the surges' mean, so ``speed_m_s`` stays
  the mean speed of steady walking); sway toward the stance leg at stride frequency;
  rotation (IC-side hip forward) at stride frequency; tilt at step frequency.

The heel-strike signature copies what a real L5 sensor shows around foot-sensor heel
strikes (IPOL lower-back set, 60 trials, ~1900 straight-walking steps averaged; see
``tests/test_realdata_ipol.py``): the vertical specific force peaks sharply 30-50 ms after
the heel strike (median 40 ms) and the forward one peaks 10 ms before it, then brakes
to about -3 m/s^2 by 70 ms after it. Earlier versions put the vertical peak on the
contact itself, so a detector tuned on the simulator came 40 ms late on real walks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from sensorlab.simulate import profiles as pr
from sensorlab.simulate.body import STANDING_HIP_HEIGHT_M, BodyMotion
from sensorlab.simulate.imu import DEFAULT_SENSOR_SETTINGS, SensorSettings
from sensorlab.simulate.session import SimulatedSession, record_session, split_rng
from sensorlab.simulate.truth import SIDE_SIGN, measure_steps

DROP_PEAK_FRACTION = 0.2
"""Where in its step the pelvic drop peaks (of the warped step phase)."""

THIGH_PEAK_LEAD_STRIDE = 0.03
"""Thigh flexion peaks this fraction of a stride before its own initial contact."""

TILT_PEAK_FRACTION = 0.4
"""Anterior tilt peaks this far into each step (fraction of the warped step phase)."""

_BUMP_P = 4
_BUMP_Q = round(_BUMP_P * (1 - DROP_PEAK_FRACTION) / DROP_PEAK_FRACTION)  # peak at p/(p+q)


@dataclass(frozen=True)
class WalkSettings:
    """A straight walk on level ground.

    Attributes
    ----------
    duration_s : float
        Steady walking time, s (rounded to whole steps).
    cadence_spm : float
        Steps per minute.
    step_time_ratio : float
        Right step time / left step time (a side's step time ends at its own contact).
    speed_m_s : float
        Mean forward speed in steady walking, m/s.
    left_pelvic_drop_deg, right_pelvic_drop_deg : float
        Peak contralateral pelvic drop during the stance of that leg, degrees.
    thigh_flexion_deg, thigh_extension_deg : float
        Thigh sagittal angle near initial contact (+) and at push-off (-), degrees.
    stance_adduction_deg : float
        Peak adduction of the stance thigh in early stance, degrees.
    vertical_amplitude_m : float
        Pelvis vertical oscillation amplitude at step frequency, m.
    vertical_low_delay_s : float
        Lowest pelvis point after each contact, s.
    heel_strike_acc_m_s2, heel_strike_sigma_s : float
        Upward acceleration of the heel-strike dip at its centre (m/s^2) and its width (s).
    heel_strike_delay_s : float
        The dip and the forward surge are centred this long after the contact, s.
    heel_strike_forward_acc_m_s2, heel_strike_forward_sigma_s : float
        Peak forward acceleration of the surge (m/s^2, before its centre; the braking
        after it is as large) and its width (s).
    speed_fluctuation_m_s : float
        Forward speed fluctuation amplitude at step frequency, m/s.
    sway_amplitude_m : float
        Medio-lateral sway toward the stance leg at stride frequency, m.
    rotation_amplitude_deg, tilt_amplitude_deg : float
        Pelvic rotation (stride frequency) and tilt (step frequency) amplitudes, degrees.
    initiation_steps, termination_steps : int
        Steps over which the gait starts and stops.
    first_side : {"right", "left"}
        The foot of the first initial contact.
    standing_start_s, standing_end_s : float
        Quiet standing before the first and after the last movement, s.
    hip_height_m : float
        Standing height of the pelvis origin, m.
    """

    duration_s: float = 60.0
    cadence_spm: float = 108.0
    step_time_ratio: float = 1.0
    speed_m_s: float = 1.2
    left_pelvic_drop_deg: float = 4.0
    right_pelvic_drop_deg: float = 4.0
    thigh_flexion_deg: float = 25.0
    thigh_extension_deg: float = 12.0
    stance_adduction_deg: float = 2.0
    vertical_amplitude_m: float = 0.025
    vertical_low_delay_s: float = 0.05
    heel_strike_acc_m_s2: float = 4.0
    heel_strike_sigma_s: float = 0.015
    heel_strike_delay_s: float = 0.04
    heel_strike_forward_acc_m_s2: float = 2.5
    heel_strike_forward_sigma_s: float = 0.05
    speed_fluctuation_m_s: float = 0.05
    sway_amplitude_m: float = 0.02
    rotation_amplitude_deg: float = 4.0
    tilt_amplitude_deg: float = 2.0
    initiation_steps: int = 2
    termination_steps: int = 2
    first_side: str = "right"
    standing_start_s: float = 4.0
    standing_end_s: float = 2.0
    hip_height_m: float = STANDING_HIP_HEIGHT_M

    def __post_init__(self) -> None:
        r = self.right_fraction
        if not abs(2 * np.pi * (0.5 - r)) < 1.0 - np.cos(2 * np.pi * r):
            raise ValueError(
                f"step_time_ratio {self.step_time_ratio} is too far from 1 for the gait model"
            )
        if self.first_side not in SIDE_SIGN:
            raise ValueError(f"first_side must be 'left' or 'right', not {self.first_side!r}")
        if self.initiation_steps < 1 or self.termination_steps < 1:
            raise ValueError("initiation_steps and termination_steps must be at least 1")

    @property
    def stride_s(self) -> float:
        """Stride time (two steps), s."""
        return 120.0 / self.cadence_spm

    @property
    def right_fraction(self) -> float:
        """Right step time as a fraction of the stride."""
        return self.step_time_ratio / (1.0 + self.step_time_ratio)


DEFAULT_WALK_SETTINGS = WalkSettings()
"""One minute at 108 steps/min, symmetric, 4 deg drops."""


def _contacts(s: WalkSettings) -> tuple[list[str], np.ndarray, float, float]:
    """Sides and times of the initial contacts, the walk start and the end of motion."""
    step_s = {"right": s.right_fraction * s.stride_s, "left": (1 - s.right_fraction) * s.stride_s}
    n_steady = max(1, round(s.duration_s / (0.5 * s.stride_s)))
    n = s.initiation_steps + n_steady + s.termination_steps
    other = "left" if s.first_side == "right" else "right"
    sides = [(s.first_side, other)[k % 2] for k in range(n)]
    times = s.standing_start_s + np.cumsum([step_s[side] for side in sides])
    end_s = times[-1] + 0.5 * step_s[other if n % 2 else s.first_side]
    return sides, times, s.standing_start_s, end_s


def _gait_motion(s: WalkSettings, sides: list[str], contacts: np.ndarray, start_s: float, end_s):
    n_init, n_term = s.initiation_steps, s.termination_steps
    envelope = pr.MinJerkPath(
        [start_s, contacts[n_init - 1], contacts[-1 - n_term], end_s], [0.0, 1.0, 1.0, 0.0]
    )
    r = s.right_fraction
    a = 2 * np.pi * (0.5 - r) / (1 - np.cos(2 * np.pi * r))
    psi0 = contacts[0] - (r if sides[0] == "right" else 0.0) * s.stride_s  # psi = 0 here
    deg = np.pi / 180.0

    def phase(t: np.ndarray) -> pr.Trace:
        psi = pr.linear(t, 1.0 / s.stride_s, psi0)
        return psi + a / (2 * np.pi) * (1.0 - pr.cos(2 * np.pi * psi))

    def scaled(pattern):
        return lambda t: envelope(t) * pattern(phase(t))

    def cycle(w: pr.Trace, periods: float, at: float) -> pr.Trace:
        return pr.cos(2 * np.pi * periods * (w - at))

    def stance_bumps(left_height: float, right_height: float):
        def pattern(w: pr.Trace) -> pr.Trace:
            frac = pr.Trace(np.mod(w.x, 1.0), w.dx, w.ddx)
            left = pr.beta_bump(2.0 * frac, _BUMP_P, _BUMP_Q)
            right = pr.beta_bump(2.0 * (frac - 0.5), _BUMP_P, _BUMP_Q)
            return left * left_height + right * right_height

        return pattern

    mean = 0.5 * (s.thigh_flexion_deg - s.thigh_extension_deg) * deg
    amp = 0.5 * (s.thigh_flexion_deg + s.thigh_extension_deg) * deg

    def thigh(offset: float):
        return scaled(lambda w: mean + amp * cycle(w, 1, offset - THIGH_PEAK_LEAD_STRIDE))

    w_low = s.vertical_low_delay_s / s.stride_s
    dip_m = s.heel_strike_acc_m_s2 * s.heel_strike_sigma_s**2  # same impact at every IC
    vertical = scaled(lambda w: -s.vertical_amplitude_m * cycle(w, 2, w_low))

    centres = contacts + s.heel_strike_delay_s

    def pelvis_z(t: np.ndarray) -> pr.Trace:
        k = np.clip(np.searchsorted(centres, t), 1, centres.size - 1)
        dips = sum(pr.gaussian(t, centres[j], s.heel_strike_sigma_s) * -dip_m for j in (k - 1, k))
        return vertical(t) + dips + s.hip_height_m

    fluct_m = s.speed_fluctuation_m_s * s.stride_s / (4 * np.pi)
    fluctuation = scaled(lambda w: -fluct_m * pr.sin(4 * np.pi * (w - w_low - 0.25)))
    sigma = s.heel_strike_forward_sigma_s
    surge_m_s = s.heel_strike_forward_acc_m_s2 * sigma * np.exp(0.5)  # velocity bump
    surge_m = surge_m_s * sigma * np.sqrt(2 * np.pi)  # distance each surge adds

    def surges(t: np.ndarray) -> pr.Trace:
        # Contacts are >= 0.3 s apart: beyond the two on either side, a surge is either
        # over (its whole distance) or yet to come (nothing), to float precision.
        k = np.searchsorted(centres, t)
        trace = pr.Trace(surge_m * np.maximum(k - 2, 0).astype(float), 0.0 * t, 0.0 * t)
        for j in (k - 2, k - 1, k, k + 1):
            inside = (j >= 0) & (j < centres.size)
            # Outside the contacts, a time far from every surge (a Gaussian of exactly 0).
            tau = np.where(inside, t - centres[np.clip(j, 0, centres.size - 1)], 1e3)
            g = pr.gaussian(tau, 0.0, sigma)
            distance = np.where(inside, surge_m * special.ndtr(tau / sigma), 0.0)
            trace = trace + pr.Trace(distance, surge_m_s * g.x, surge_m_s * g.dx)
        return trace

    mean_speed = s.speed_m_s - surge_m / (0.5 * s.stride_s)

    def pelvis_x(t: np.ndarray) -> pr.Trace:
        return envelope.integral(t) * mean_speed + fluctuation(t) + surges(t)

    left_drop = SIDE_SIGN["left"] * s.left_pelvic_drop_deg * deg
    right_drop = SIDE_SIGN["right"] * s.right_pelvic_drop_deg * deg
    return BodyMotion(
        pelvis_x=pelvis_x,
        pelvis_y=scaled(lambda w: s.sway_amplitude_m * pr.sin(2 * np.pi * w)),
        pelvis_z=pelvis_z,
        pelvis_tilt=scaled(
            lambda w: s.tilt_amplitude_deg * deg * cycle(w, 2, 0.5 * TILT_PEAK_FRACTION)
        ),
        pelvis_obliquity=scaled(stance_bumps(left_drop, right_drop)),
        pelvis_rotation=scaled(lambda w: -s.rotation_amplitude_deg * deg * cycle(w, 1, 0.0)),
        left_flexion=thigh(0.0),
        left_adduction=scaled(stance_bumps(s.stance_adduction_deg * deg, 0.0)),
        right_flexion=thigh(0.5),
        right_adduction=scaled(stance_bumps(0.0, s.stance_adduction_deg * deg)),
    )


def gait_motion(settings: WalkSettings = DEFAULT_WALK_SETTINGS) -> tuple[BodyMotion, float]:
    """The body motion of a walk and the time its movement ends (standing after it), s."""
    sides, contacts, start_s, end_s = _contacts(settings)
    return _gait_motion(settings, sides, contacts, start_s, end_s), float(end_s)


def simulate_walk(
    activity_settings: WalkSettings = DEFAULT_WALK_SETTINGS,
    sensor_settings: SensorSettings = DEFAULT_SENSOR_SETTINGS,
    seed: int | None = 0,
) -> SimulatedSession:
    """Simulate a walk and its ground truth (steps, gait).

    Parameters
    ----------
    activity_settings : WalkSettings
        The walk. The gait itself is deterministic; the seed drives the sensors.
    sensor_settings : SensorSettings
        The sensors.
    seed : int or None
        Seed of ``numpy.random.default_rng``; the same seed gives identical output.

    Returns
    -------
    SimulatedSession
        ``recording`` (activity ``walk``) and ``truth`` (steps and gait).
    """
    s = activity_settings
    _, sensors_rng = split_rng(seed)
    sides, contacts, start_s, end_s = _contacts(s)
    motion = _gait_motion(s, sides, contacts, start_s, end_s)
    steps, gait = measure_steps(motion, sides, contacts, end_s)
    return record_session(
        motion,
        activity="walk",
        duration_s=end_s + s.standing_end_s,
        sensor_settings=sensor_settings,
        sensors_rng=sensors_rng,
        seed=seed,
        steps=steps,
        gait=gait,
        activity_settings=activity_settings,
    )
