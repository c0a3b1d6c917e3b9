"""Smooth (C2) time profiles with exact first and second derivatives.

A profile is any callable ``profile(t_s) -> Trace``: the value of one degree of freedom
(an angle in rad or a coordinate in m) together with its first and second time derivatives
at the times ``t_s`` (seconds). Everything the simulator differentiates is built from the
pieces here, so accelerations and angular rates are analytic, never finite differences.

Building blocks:

- :class:`MinJerkPath`: keyframes joined by minimum-jerk quintics (zero velocity and
  acceleration at each keyframe), with an exact running integral.
- :func:`beta_bump`: a compact bump ``u^p (1-u)^q`` on ``[0, 1]``, C2 at both ends when
  ``p, q >= 3``.
- :func:`gaussian`, :func:`sin`, :func:`cos`, and the :class:`Trace` algebra (sum, product
  rule, chain rule) to combine them; :func:`switched` to play one profile after another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Trace:
    """Samples of a scalar function of time and its first two derivatives.

    Attributes
    ----------
    x : ndarray, shape (n,)
        Value (unit of the quantity, e.g. rad or m).
    dx : ndarray, shape (n,)
        First time derivative (unit/s).
    ddx : ndarray, shape (n,)
        Second time derivative (unit/s^2).
    """

    x: np.ndarray
    dx: np.ndarray
    ddx: np.ndarray

    __array_ufunc__ = None  # numpy scalars and arrays defer to the methods below

    def __add__(self, other: Trace | float) -> Trace:
        if isinstance(other, Trace):
            return Trace(self.x + other.x, self.dx + other.dx, self.ddx + other.ddx)
        return Trace(self.x + other, self.dx, self.ddx)

    __radd__ = __add__

    def __neg__(self) -> Trace:
        return Trace(-self.x, -self.dx, -self.ddx)

    def __sub__(self, other: Trace | float) -> Trace:
        return self + (-other)

    def __rsub__(self, other: float) -> Trace:
        return (-self) + other

    def __mul__(self, other: Trace | float) -> Trace:
        """Product; with another trace by the product rule."""
        if isinstance(other, Trace):
            return Trace(
                self.x * other.x,
                self.dx * other.x + self.x * other.dx,
                self.ddx * other.x + 2.0 * self.dx * other.dx + self.x * other.ddx,
            )
        return Trace(self.x * other, self.dx * other, self.ddx * other)

    __rmul__ = __mul__


Profile = Callable[[np.ndarray], Trace]
"""A time profile: seconds in, :class:`Trace` out."""


def compose(f: np.ndarray, df: np.ndarray, ddf: np.ndarray, inner: Trace) -> Trace:
    """Chain rule: the trace of ``F(inner(t))`` from ``F``, ``F'``, ``F''`` at ``inner.x``."""
    return Trace(f, df * inner.dx, ddf * inner.dx**2 + df * inner.ddx)


def sin(inner: Trace) -> Trace:
    """``sin`` of a trace (argument in rad)."""
    s, c = np.sin(inner.x), np.cos(inner.x)
    return compose(s, c, -s, inner)


def cos(inner: Trace) -> Trace:
    """``cos`` of a trace (argument in rad)."""
    s, c = np.sin(inner.x), np.cos(inner.x)
    return compose(c, -s, -c, inner)


def linear(t_s: np.ndarray, rate: float, t0_s: float = 0.0, value0: float = 0.0) -> Trace:
    """``value0 + rate * (t - t0)``: a straight line in time (unit, unit/s)."""
    t = np.asarray(t_s, dtype=float)
    return Trace(value0 + rate * (t - t0_s), np.full_like(t, rate), np.zeros_like(t))


def constant(value: float) -> Profile:
    """A profile that stays at ``value`` (unit of the quantity) with zero derivatives."""

    def profile(t_s: np.ndarray) -> Trace:
        t = np.asarray(t_s, dtype=float)
        return Trace(np.full_like(t, value), np.zeros_like(t), np.zeros_like(t))

    return profile


def switched(first: Profile, second: Profile, at_s: float, offset: float = 0.0) -> Profile:
    """``first`` before ``at_s`` and ``second + offset`` from then on.

    C2 only where both are at rest together at ``at_s`` (equal values after the offset,
    zero first and second derivatives): the caller picks such a moment, e.g. standing
    between a walk and a drill.
    """

    def profile(t_s: np.ndarray) -> Trace:
        t = np.asarray(t_s, dtype=float)
        early = t < at_s
        a, b = first(t), second(t)
        return Trace(
            np.where(early, a.x, b.x + offset),
            np.where(early, a.dx, b.dx),
            np.where(early, a.ddx, b.ddx),
        )

    return profile


def beta_bump(u: Trace, p: int = 3, q: int = 12) -> Trace:
    """A unit-height bump ``c * u^p * (1 - u)^q`` on ``0 <= u <= 1``, zero elsewhere.

    Parameters
    ----------
    u : Trace
        The bump's argument as a function of time (dimensionless).
    p, q : int
        Exponents, both at least 3 so the bump is C2 where it meets zero. The peak is at
        ``u = p / (p + q)`` and has height 1.

    Returns
    -------
    Trace
        The bump and its time derivatives.
    """
    if p < 3 or q < 3:
        raise ValueError(f"beta_bump needs p, q >= 3 for C2 continuity, got p={p}, q={q}")
    peak = p / (p + q)
    scale = 1.0 / (peak**p * (1.0 - peak) ** q)
    inside = (u.x > 0.0) & (u.x < 1.0)
    a = np.where(inside, u.x, 0.0)
    b = 1.0 - a
    f = a**p * b**q
    df = p * a ** (p - 1) * b**q - q * a**p * b ** (q - 1)
    ddf = (
        p * (p - 1) * a ** (p - 2) * b**q
        - 2 * p * q * a ** (p - 1) * b ** (q - 1)
        + q * (q - 1) * a**p * b ** (q - 2)
    )
    f, df, ddf = (scale * np.where(inside, g, 0.0) for g in (f, df, ddf))
    return compose(f, df, ddf, inner=u)


def gaussian(t_s: np.ndarray, center_s: np.ndarray | float, sigma_s: float) -> Trace:
    """``exp(-(t - c)^2 / (2 sigma^2))`` with its derivatives (1/s, 1/s^2).

    ``center_s`` broadcasts against ``t_s`` (one centre per sample).
    """
    tau = np.asarray(t_s, dtype=float) - center_s
    g = np.exp(-0.5 * (tau / sigma_s) ** 2)
    return Trace(g, -tau / sigma_s**2 * g, (tau**2 / sigma_s**4 - 1.0 / sigma_s**2) * g)


class MinJerkPath:
    """Keyframes joined by minimum-jerk quintics: a C2 profile that rests at every keyframe.

    Between keyframes ``(t_k, v_k)`` and ``(t_k+1, v_k+1)`` the value follows
    ``v_k + (v_k+1 - v_k) * s(u)``, ``s(u) = 10u^3 - 15u^4 + 6u^5``, ``u`` the fraction of
    the interval; velocity and acceleration are zero at every keyframe, so joints are C2.
    Before the first and after the last keyframe the value is constant.

    Parameters
    ----------
    times_s : array_like, shape (k,)
        Strictly increasing keyframe times, seconds.
    values : array_like, shape (k,)
        Values at the keyframes (unit of the quantity).
    """

    def __init__(self, times_s, values) -> None:
        self.times_s = np.asarray(times_s, dtype=float)
        self.values = np.asarray(values, dtype=float)
        if self.times_s.ndim != 1 or self.times_s.shape != self.values.shape:
            raise ValueError("times_s and values must be 1-D arrays of the same length")
        if self.times_s.size == 0:
            raise ValueError("a MinJerkPath needs at least one keyframe")
        if np.any(np.diff(self.times_s) <= 0):
            raise ValueError("keyframe times must be strictly increasing")
        spans = np.diff(self.times_s)
        # Integral of each segment: v0*T + (v1 - v0)*T/2, since s(u) integrates to 1/2.
        self._area_before = np.concatenate(
            ([0.0], np.cumsum(0.5 * spans * (self.values[:-1] + self.values[1:])))
        )

    def _segment(self, t_s: np.ndarray):
        t = np.asarray(t_s, dtype=float)
        if self.times_s.size == 1:
            zeros = np.zeros_like(t)
            return t, zeros.astype(int), zeros, np.ones_like(t), zeros + self.values[0], zeros
        k = np.clip(np.searchsorted(self.times_s, t, side="right") - 1, 0, self.times_s.size - 2)
        t0 = self.times_s[k]
        span = self.times_s[k + 1] - t0
        u = np.clip((t - t0) / span, 0.0, 1.0)
        v0 = self.values[k]
        return t, k, u, span, v0, self.values[k + 1] - v0

    def __call__(self, t_s: np.ndarray) -> Trace:
        """Value and derivatives at ``t_s`` (seconds)."""
        _, _, u, span, v0, dv = self._segment(t_s)
        s = u**3 * (10.0 - 15.0 * u + 6.0 * u**2)
        ds = 30.0 * u**2 * (1.0 - u) ** 2
        dds = 60.0 * u * (1.0 - u) * (1.0 - 2.0 * u)
        return Trace(v0 + dv * s, dv * ds / span, dv * dds / span**2)

    def integral(self, t_s: np.ndarray) -> Trace:
        """Running integral from the first keyframe: ``(int v dt, v, dv/dt)``.

        Before the first keyframe the integral is negative (``v_0 * (t - t_0)``); after the
        last it grows linearly at the last value. Unit: unit of the quantity times seconds.
        """
        t, k, u, span, v0, dv = self._segment(t_s)
        inside = v0 * u * span + dv * span * u**4 * (2.5 - 3.0 * u + u**2)
        area = self._area_before[k] + inside
        before = t < self.times_s[0]
        after = t > self.times_s[-1]
        area = np.where(before, self.values[0] * (t - self.times_s[0]), area)
        area = np.where(
            after, self._area_before[-1] + self.values[-1] * (t - self.times_s[-1]), area
        )
        value = self(t)
        return Trace(area, value.x, value.dx)


class KeyframeTrack:
    """Collects keyframes in time order for one degree of freedom, then builds the path.

    Events (reps, fidgets) append their keyframes one after another; a keyframe that
    repeats the previous one exactly is skipped, and going back in time is an error.

    Parameters
    ----------
    rest_value : float
        Value before the first keyframe (the standing pose), unit of the quantity.
    """

    def __init__(self, rest_value: float = 0.0) -> None:
        self._times: list[float] = []
        self._values: list[float] = []
        self.rest_value = rest_value

    def add(self, t_s: float, value: float) -> None:
        """Append keyframe ``(t_s, value)``; ``t_s`` must not precede the last one."""
        if self._times:
            if t_s == self._times[-1] and value == self._values[-1]:
                return
            if t_s <= self._times[-1]:
                raise ValueError(
                    f"keyframe at {t_s:.6f} s does not follow the last one at "
                    f"{self._times[-1]:.6f} s"
                )
        self._times.append(float(t_s))
        self._values.append(float(value))

    def path(self, scale: float = 1.0, offset: float = 0.0) -> MinJerkPath:
        """The finished profile of ``offset + scale * value`` (e.g. degrees -> rad).

        Constant at the rest value when no keyframe was added.
        """
        if not self._times:
            return MinJerkPath([0.0], [offset + scale * self.rest_value])
        return MinJerkPath(self._times, offset + scale * np.asarray(self._values))
