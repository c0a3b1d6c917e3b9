"""Tell from the data whether a recording's accelerometer is in g and its gyroscope in rad/s.

The contract stores m/s^2 and deg/s, but exports from other tools often hold g or rad/s.
Both can be recognised from the physics, without trusting any label:

- At rest an accelerometer reads gravity, so the median ``|acc|`` over the quietest second
  is about 9.81 in m/s^2 and about 1 in g.
- While a sensor turns, the direction of gravity (up) seen in the sensor frame turns with
  it: ``d(u)/dt = u x omega``, with ``omega`` in rad/s. Over stretches of ``lag_s`` seconds
  in which ``u`` (from the block-averaged acc) turns clearly, the reading ``u`` at the start
  is carried forward by integrating the gyro, once read as deg/s and once as rad/s (and,
  for sensors whose gyro sign is inverted, with the sign flipped), and compared with ``u``
  at the end. The right unit reproduces the turn to within the disturbance from linear
  acceleration; the wrong one either barely turns (rad/s read as deg/s, 57 times too
  slow) or spins (deg/s read as rad/s). Rotation about the vertical does not move ``u``
  and is not used. At rest, or when linear accelerations swamp the turning (brisk walking),
  no unit explains the data clearly and no answer is given.

A pure-derivative fit (``|u x gyr| / |du/dt|``) was tried first; it is biased low by the
noise that linear accelerations add to ``du/dt`` and gave no answer on simulated step-ups.

Pure functions on arrays; the reader decides what to do with the answers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class UnitCheckSettings:
    """Settings of the unit checks.

    Attributes
    ----------
    quiet_window_s : float
        Length of the quietest window whose median ``|acc|`` is taken, seconds.
    block_s : float
        Block-average length applied to acc and gyro before the gyro check, seconds.
    lag_s : float
        Length of the stretches over which the gyro is integrated, seconds.
    stride_s : float
        Spacing of the stretches' starts, seconds.
    min_turn_deg : float
        Turn of gravity's direction (from acc) over a stretch, degrees, for it to be used.
    max_linear_acc_fraction : float
        Largest ``| |acc| / |acc|_rest - 1 |`` at both ends of a stretch for it to be used.
    min_stretches : int
        Fewest stretches that must qualify before any answer is given.
    max_stretches : int
        Most stretches evaluated (evenly chosen among those that qualify), for speed.
    decisive_ratio : float
        A unit is chosen only when its median error is below this fraction both of the
        other unit's error and of the median turn itself.
    """

    quiet_window_s: float = 1.0
    block_s: float = 0.02
    lag_s: float = 0.8
    stride_s: float = 0.1
    min_turn_deg: float = 10.0
    max_linear_acc_fraction: float = 0.15
    min_stretches: int = 20
    max_stretches: int = 200
    decisive_ratio: float = 0.6


DEFAULT_UNIT_CHECK = UnitCheckSettings()

G_BAND = (0.7, 1.35)
"""Range of the median ``|acc|`` at rest that means the accelerometer is in g."""
M_S2_BAND = (7.0, 13.0)
"""Range of the median ``|acc|`` at rest that is plausible for m/s^2."""


@dataclass(frozen=True)
class QuietAcc:
    """The quietest window of a sensor.

    Attributes
    ----------
    magnitude : float
        Median ``|acc|`` in that window, in the file's unit.
    t_start_s, t_end_s : float
        The window, seconds.
    """

    magnitude: float
    t_start_s: float
    t_end_s: float


@dataclass(frozen=True)
class GyroEvidence:
    """How well each gyro unit explains the turning of gravity's direction.

    Attributes
    ----------
    error_deg_s_rad, error_rad_s_rad : float
        Median angle, radians, between gravity's direction at the end of a stretch and the
        one predicted by integrating the gyro read as deg/s or as rad/s (the better of the
        two signs); NaN without stretches.
    turn_rad : float
        Median turn of gravity's direction over the stretches used, radians.
    stretches : int
        Number of stretches used.
    """

    error_deg_s_rad: float
    error_rad_s_rad: float
    turn_rad: float
    stretches: int


@dataclass(frozen=True)
class _Samples:
    """One sensor's samples in time order, as the checks take them.

    Vectors are component-major, shape ``(3, n)``: numpy then runs each operation over
    long contiguous rows (over ``(n, 3)`` rows of three values it runs up to six times
    slower). ``period_s`` is the median interval of ``t_s``.
    """

    t_s: np.ndarray
    acc: np.ndarray
    gyr: np.ndarray | None
    period_s: float


def _in_time_order(
    t_s: np.ndarray, acc: np.ndarray, gyr: np.ndarray | None, period_s: float | None = None
) -> _Samples:
    """Sort by time and drop repeated or non-finite times (for derivatives).

    ``period_s``, the median of ``np.diff(t_s)`` if the caller has it, is used when the
    samples are already in time order (the usual case).
    """
    steps = np.diff(t_s)
    if np.all(steps > 0) and np.isfinite(t_s[:1]).all() and np.isfinite(t_s[-1:]).all():
        if period_s is None:
            period_s = float(np.median(steps)) if steps.size else float("nan")
    else:
        order = np.argsort(t_s, kind="stable")
        t_sorted = t_s[order]
        keep = np.isfinite(t_sorted)
        keep[1:] &= np.diff(t_sorted) > 0
        index = order[keep]
        t_s, acc = t_s[index], acc[index]
        gyr = None if gyr is None else gyr[index]
        period_s = _median_period_s(t_s)
    return _Samples(
        t_s,
        np.ascontiguousarray(acc.T),
        None if gyr is None else np.ascontiguousarray(gyr.T),
        period_s,
    )


def _median_period_s(t_s: np.ndarray) -> float:
    return float(np.median(np.diff(t_s))) if t_s.size > 1 else float("nan")


SHORT_BLOCK = 8
"""Longest block whose values after the first ``numpy.add.reduceat`` adds left to right
(longer runs it sums pairwise)."""


def _block_means(block: int, *arrays: np.ndarray) -> tuple[np.ndarray, ...]:
    """Means over consecutive blocks of ``block`` samples along the last axis.

    A remainder is dropped. ``numpy.add.reduceat`` sums each block as its first value
    plus the sum of the others, which it adds left to right when they are fewer than
    :data:`SHORT_BLOCK` (else pairwise). Short blocks are summed here in that order with
    one operation per position in the block over all blocks at once, instead of one per
    block: the same means, to the last bit, in about half the time.
    """
    size = arrays[0].shape[-1]
    block = max(1, min(block, size))
    n = (size // block) * block
    if block > SHORT_BLOCK:
        starts = np.arange(0, n, block)
        return tuple(np.add.reduceat(a[..., :n], starts, axis=-1) / block for a in arrays)
    means = []
    for a in arrays:
        if block == 1:
            total = a[..., :n].copy()
        elif block == 2:
            total = a[..., 0:n:2] + a[..., 1:n:2]
        else:
            rest = a[..., 1:n:block] + a[..., 2:n:block]
            for k in range(3, block):
                rest += a[..., k:n:block]
            total = a[..., 0:n:block] + rest
        total /= block
        means.append(total)
    return tuple(means)


def _norm(vectors: np.ndarray) -> np.ndarray:
    """Lengths of component-major vectors, summed in ``numpy.linalg.norm``'s order."""
    x, y, z = vectors
    return np.sqrt((x * x + y * y) + z * z)


def quiet_acc(
    t_s: np.ndarray,
    acc: np.ndarray,
    settings: UnitCheckSettings = DEFAULT_UNIT_CHECK,
    period_s: float | None = None,
) -> QuietAcc | None:
    """The median ``|acc|`` over the quietest window (least variance of the acc vector).

    Parameters
    ----------
    t_s : ndarray, shape (n,)
        Sample times, seconds (any order).
    acc : ndarray, shape (n, 3)
        Accelerometer samples in the file's unit.
    settings : UnitCheckSettings
        ``quiet_window_s`` is used.
    period_s : float, optional
        The median of ``np.diff(t_s)``, seconds, if the caller has it (used when ``t_s``
        is in time order, and computed otherwise).

    Returns
    -------
    QuietAcc or None
        ``None`` when there are fewer than 10 samples.
    """
    return _quiet_acc(_in_time_order(t_s, acc, None, period_s), settings)


def _quiet_acc(samples: _Samples, settings: UnitCheckSettings) -> QuietAcc | None:
    """:func:`quiet_acc` of samples in time order."""
    t_s, acc = samples.t_s, samples.acc
    if t_s.size < 10:
        return None
    window = int(np.clip(round(settings.quiet_window_s / samples.period_s), 5, t_s.size))
    # Variance per window from block sums: blocks of ~1/20 window keep this cheap.
    block = max(1, window // 20)
    means, squares = _block_means(block, acc, acc * acc)
    blocks = max(1, min(window // block, means.shape[1]))
    csum = np.cumsum(np.hstack([np.zeros((3, 1)), means]), axis=1)
    csum2 = np.cumsum(np.hstack([np.zeros((3, 1)), squares]), axis=1)
    mean = (csum[:, blocks:] - csum[:, :-blocks]) / blocks
    spread = (csum2[:, blocks:] - csum2[:, :-blocks]) / blocks - mean**2
    variance = (spread[0] + spread[1]) + spread[2]
    start = int(np.argmin(variance)) * block
    stop = min(start + blocks * block, t_s.size)
    magnitude = float(np.median(_norm(acc[:, start:stop])))
    return QuietAcc(magnitude, float(t_s[start]), float(t_s[stop - 1]))


def acc_unit(quiet: QuietAcc | None) -> str | None:
    """``"g"``, ``"m/s^2"`` or ``None`` (unknown) from the quietest window's ``|acc|``."""
    if quiet is None:
        return None
    if G_BAND[0] <= quiet.magnitude <= G_BAND[1]:
        return "g"
    if M_S2_BAND[0] <= quiet.magnitude <= M_S2_BAND[1]:
        return "m/s^2"
    return None


def _rotation_steps(
    rate_rad_s: np.ndarray, dt_s: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Unit axes, cosines, sines and versines (1 - cos) of steps of body rotation.

    At ``rate`` for ``dt_s``, for :func:`_rotate`; ``rate_rad_s`` of shape
    ``(steps, 5, n)``, components x, y, z, x, y on the middle axis (all steps at once);
    the axes come in the same shape.
    """
    x, y, z = rate_rad_s[:, 0], rate_rad_s[:, 1], rate_rad_s[:, 2]
    speed = np.sqrt((x * x + y * y) + z * z)
    axis = rate_rad_s / np.where(speed > 0, speed, 1.0)[:, None]
    angle = -(speed * dt_s)
    cos = np.cos(angle)
    return axis, cos, np.sin(angle), 1.0 - cos


def _rotate(
    vectors: np.ndarray,
    out: np.ndarray,
    axis: np.ndarray,
    cos: np.ndarray,
    sin: np.ndarray,
    versine: np.ndarray,
) -> None:
    """Carry ``vectors`` fixed in the world through one step of body rotation, into ``out``.

    Solves ``d(u)/dt = u x omega`` exactly for a constant ``omega`` (Rodrigues' formula
    for a turn of ``-|omega| dt`` about ``omega``), the step given by
    :func:`_rotation_steps`: ``v cos + (axis x v) sin + axis (axis . v) (1 - cos)``,
    the terms summed in that order. ``vectors``, ``out`` and ``axis`` hold the components
    x, y, z, x, y on their first axis, so that rows 1:4 and 2:5 are the components taken
    one and two places on (y, z, x and z, x, y), as the cross product pairs them: it then
    takes three operations on whole arrays. Every operation runs over long rows.
    """
    v = vectors[:3]
    term = axis[1:4] * vectors[2:5]
    term -= axis[2:5] * vectors[1:4]
    term *= sin
    rotated = out[:3]
    np.multiply(v, cos, out=rotated)
    rotated += term
    products = axis[:3] * v
    along = products[0] + products[1]
    along += products[2]
    np.multiply(axis[:3], along, out=term)
    term *= versine
    rotated += term
    out[3:] = rotated[:2]


def _angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angles between the unit vectors of shape ``(3, ...)`` ``a`` and ``b``, radians."""
    return np.arccos(np.clip((a[0] * b[0] + a[1] * b[1]) + a[2] * b[2], -1.0, 1.0))


def _directions(acc: np.ndarray, norm: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Unit vectors of the component-major ``acc`` at ``index`` (NaN where ``|acc|`` is 0)."""
    length = norm[index]
    return acc[:, index] / np.where(length > 0, length, np.nan)


def gyro_evidence(
    t_s: np.ndarray,
    acc: np.ndarray,
    gyr: np.ndarray,
    settings: UnitCheckSettings = DEFAULT_UNIT_CHECK,
    period_s: float | None = None,
) -> GyroEvidence:
    """Integrate the gyro under each unit and compare with the turning of gravity.

    Parameters
    ----------
    t_s : ndarray, shape (n,)
        Sample times, seconds (any order).
    acc : ndarray, shape (n, 3)
        Accelerometer samples, any unit (only directions and ratios are used).
    gyr : ndarray, shape (n, 3)
        Gyroscope samples in the file's (unknown) unit.
    settings : UnitCheckSettings
        Block length, stretch length and the thresholds for a stretch to count.
    period_s : float, optional
        As in :func:`quiet_acc`.

    Returns
    -------
    GyroEvidence
    """
    return _gyro_evidence(_in_time_order(t_s, acc, gyr, period_s), settings)


def _gyro_evidence(samples: _Samples, settings: UnitCheckSettings) -> GyroEvidence:
    """:func:`gyro_evidence` of samples in time order."""
    nothing = GyroEvidence(float("nan"), float("nan"), float("nan"), 0)
    if samples.t_s.size < 10 or samples.gyr is None:
        return nothing
    block = max(1, round(settings.block_s / samples.period_s))
    t_s, acc, gyr = _block_means(block, samples.t_s, samples.acc, samples.gyr)
    if t_s.size < 3:
        return nothing
    dt = _median_period_s(t_s)
    norm = _norm(acc)
    rest = float(np.median(norm))
    if not (np.isfinite(dt) and dt > 0 and rest > 0):
        return nothing
    lag = max(1, round(settings.lag_s / dt))
    starts = np.arange(0, t_s.size - lag, max(1, round(settings.stride_s / dt)))
    ends = starts + lag
    up_start, up_end = _directions(acc, norm, starts), _directions(acc, norm, ends)
    turn = _angle(up_start, up_end)
    usable = (
        (turn > np.radians(settings.min_turn_deg))
        & (np.abs(norm[starts] / rest - 1.0) < settings.max_linear_acc_fraction)
        & (np.abs(norm[ends] / rest - 1.0) < settings.max_linear_acc_fraction)
        & (np.abs(t_s[ends] - t_s[starts] - lag * dt) < 0.5 * lag * dt)  # no gap inside
    )
    starts = starts[usable]
    if starts.size < settings.min_stretches:
        return GyroEvidence(float("nan"), float("nan"), float("nan"), int(starts.size))
    chosen = np.flatnonzero(usable)
    if starts.size > settings.max_stretches:
        keep = np.linspace(0, starts.size - 1, settings.max_stretches).round().astype(int)
        starts, chosen = starts[keep], chosen[keep]
    turn, up_start, up_end = turn[chosen], up_start[:, chosen], up_end[:, chosen]
    count = starts.size
    # The four readings (deg/s or rad/s, either sign) carried together, component-major:
    # [component, unit, sign, stretch].
    names = ("deg", "-deg", "rad", "-rad")
    steps = gyr[:, starts + np.arange(lag)[:, None]].transpose(1, 0, 2)
    rates = np.empty((lag, 5, 2, count))  # components x, y, z, x, y: see _rotate
    np.multiply(steps[:, :, None], np.array([np.pi / 180, 1.0])[:, None], out=rates[:, :3])
    rates[:, 3:] = rates[:, :2]
    axis, cos, sin, versine = _rotation_steps(rates.reshape(lag, 5, -1), dt)
    axis = axis.reshape(lag, 5, 2, 1, count)
    cos, versine = cos.reshape(lag, 2, 1, count), versine.reshape(lag, 2, 1, count)
    # A reading of the other sign turns by the same angle about the opposite axis, which
    # is the same step with the sine negated (negation is exact, so the same numbers).
    sin = sin.reshape(lag, 2, 1, count)
    sin = np.concatenate([sin, -sin], axis=2)
    carried = np.empty((5, 2, 2, count))
    carried[:3] = up_start[:, None, None]
    carried[3:] = carried[:2]
    spare = np.empty_like(carried)
    for k in range(lag):
        _rotate(carried, spare, axis[k], cos[k], sin[k], versine[k])
        carried, spare = spare, carried
    angles = _angle(carried[:3], up_end[:, None, None]).reshape(len(names), -1)
    errors = {name: float(np.median(a)) for name, a in zip(names, angles, strict=True)}
    return GyroEvidence(
        error_deg_s_rad=min(errors["deg"], errors["-deg"]),
        error_rad_s_rad=min(errors["rad"], errors["-rad"]),
        turn_rad=float(np.median(turn)),
        stretches=int(count),
    )


def gyro_unit(
    evidence: GyroEvidence, settings: UnitCheckSettings = DEFAULT_UNIT_CHECK
) -> str | None:
    """``"deg/s"``, ``"rad/s"`` or ``None`` (evidence too weak or unclear)."""
    if evidence.stretches < settings.min_stretches:
        return None
    ratio = settings.decisive_ratio
    deg, rad, turn = evidence.error_deg_s_rad, evidence.error_rad_s_rad, evidence.turn_rad
    if deg < ratio * rad and deg < ratio * turn:
        return "deg/s"
    if rad < ratio * deg and rad < ratio * turn:
        return "rad/s"
    return None


@dataclass(frozen=True)
class UnitDecision:
    """One unit for a whole file, decided from the evidence of all its sensors.

    Attributes
    ----------
    unit : str or None
        The unit the file is in (``"g"``/``"m/s^2"`` or ``"deg/s"``/``"rad/s"``); ``None``
        when no sensor gives clear evidence (the contract's unit is kept).
    deciders : tuple of str
        Sensors whose own evidence agrees with ``unit``.
    dissenters : tuple of str
        Sensors whose own clear evidence points to the other unit (they are read in
        ``unit`` all the same: one file has one unit).
    """

    unit: str | None
    deciders: tuple[str, ...] = ()
    dissenters: tuple[str, ...] = ()


def _decide(votes: dict[str, tuple[str, float]]) -> UnitDecision:
    """The unit with the larger summed confidence among sensors with a clear answer."""
    if not votes:
        return UnitDecision(None)
    totals: dict[str, float] = {}
    for unit, confidence in votes.values():
        totals[unit] = totals.get(unit, 0.0) + confidence
    unit = max(totals, key=lambda name: totals[name])
    return UnitDecision(
        unit,
        tuple(name for name, (said, _) in votes.items() if said == unit),
        tuple(name for name, (said, _) in votes.items() if said != unit),
    )


def decide_acc_unit(quiet: dict[str, QuietAcc | None]) -> UnitDecision:
    """The file's accelerometer unit from every sensor's quietest window.

    Each sensor with a clear answer (:func:`acc_unit`) votes with its confidence, how
    much closer (in log ratio) its resting ``|acc|`` is to the chosen unit's gravity
    (1 or 9.81) than to the other's; the larger sum wins.

    Parameters
    ----------
    quiet : dict of str to QuietAcc or None
        Per sensor, from :func:`quiet_acc`.

    Returns
    -------
    UnitDecision
    """
    votes = {}
    for name, window in quiet.items():
        unit = acc_unit(window)
        if unit is None or window is None:
            continue
        to_g = abs(np.log(window.magnitude))
        to_m_s2 = abs(np.log(window.magnitude / 9.81))
        votes[name] = (unit, float(abs(to_g - to_m_s2)))
    return _decide(votes)


def decide_gyro_unit(
    evidence: dict[str, GyroEvidence], settings: UnitCheckSettings = DEFAULT_UNIT_CHECK
) -> UnitDecision:
    """The file's gyroscope unit from every sensor's evidence.

    Each sensor with a clear answer (:func:`gyro_unit`) votes with its confidence, the log
    ratio of the other unit's error to its unit's error; the larger sum wins. A sensor
    that turns too little or too briskly to tell alone (often the pelvis) is read in the
    unit the others decide.

    Parameters
    ----------
    evidence : dict of str to GyroEvidence
        Per sensor, from :func:`gyro_evidence`.
    settings : UnitCheckSettings
        Thresholds of :func:`gyro_unit`.

    Returns
    -------
    UnitDecision
    """
    votes = {}
    for name, seen in evidence.items():
        unit = gyro_unit(seen, settings)
        if unit is None:
            continue
        mine, other = seen.error_deg_s_rad, seen.error_rad_s_rad
        if unit == "rad/s":
            mine, other = other, mine
        votes[name] = (unit, float(np.log(other / max(mine, 1e-12))))
    return _decide(votes)
