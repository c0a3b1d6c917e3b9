"""What a session's movement looks like: walking, step-ups, another standing drill, or still.

A pure function of the segment angles and the sacrum's vertical acceleration on the
analysis grid (:func:`classify_movement`); it does not rely on the reps or steps the
segmenters found, so it can check them. Any sensor may be missing (its columns all NaN):
each piece of evidence uses the signals that are there.

Walking
    Sustained rhythm at a walking pace, judged in overlapping windows: the thighs swing
    in alternation (their difference, or one thigh alone, repeats at a stride of
    2 x 0.35-0.8 s with a clear autocorrelation peak and a swing of some size), and the
    sacrum's vertical acceleration (low-passed at 4 Hz) repeats at the step or stride
    lag (the unbiased autocorrelation of Moe-Nilssen & Helbostad 2004, "Estimation of
    gait cycle characteristics by trunk accelerometry", J Biomech 37). A peak counts only
    after the autocorrelation has gone negative, so slow movements do not pass for a
    rhythm. A window walks when every available signal says so and no thigh passes
    ``lift_deg`` in it.
Lifts
    A thigh flexed past ``lift_deg`` (45 deg: walking swings stay near 25 deg). Each lift
    is judged by what the body does around it:

    - step-up: the other thigh stays near neutral while the lifted one peaks (one foot
      on the box), then follows it up (the trail leg swinging onto the box), and the
      pelvis rises rather than sinks;
    - lunge / split squat: the other thigh is extended behind at the peak, or the pelvis
      sinks while the thigh flexes (the body lowers onto the front leg);
    - squat: both thighs flexed together (or the pelvis sinking with the other thigh
      flexed too);
    - lower: the pelvis sinks, but the other thigh is not recorded (lunge or squat).

    The pelvis's height change comes from integrating its vertical acceleration twice
    from the last moment the thighs were still before the lift, where the body is at
    rest (a drift of a few centimetres at most over those seconds, against the
    decimetres of a box or a lunge).

Without thighs there are no lifts: a pelvis-only drill is ``unknown``, never a walk.

The session's label is the kind that fills most of its moving time, provided there is
enough of it (``min_walking_s`` of walking, ``min_lifts`` lifts); otherwise ``standing``
when nothing moved, else ``unknown``. The evidence is kept in plain words and numbers so
that a contradicted ``--activity`` can be explained to the user.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfiltfilt

LABELS = ("walk", "step_up", "other_exercise", "standing", "unknown")
"""Possible :attr:`Movement.label` values."""

ANALYSED = ("step_up", "walk")
"""Labels the analysis turns into reps or steps."""

COUNTED_BASES = ("given", "detected", "guessed")
"""Activity bases (:attr:`sensorlab.records.SessionAnalysis.activity_basis`) under which the
analysis reports the reps or steps it found."""

LIFT_KINDS = ("step_up", "lunge", "squat", "lower", "unclear")
"""Possible :attr:`Lift.kind` values."""


@dataclass(frozen=True)
class MovementSettings:
    """Thresholds of :func:`classify_movement`.

    Attributes
    ----------
    window_s, hop_s : float
        Length and spacing of the windows in which walking rhythm is judged, seconds.
    step_time_range_s : tuple of float
        Walking step times, seconds (a stride is two steps).
    min_rhythm_correlation : float
        Smallest autocorrelation peak of a rhythmic signal at the stride lag (and for the
        sacrum also at the step lag).
    min_swing_deg : float
        Thigh swing (standard deviation of the left-right difference, or of one thigh)
        in a walking window, degrees.
    min_vertical_rms_m_s2 : float
        RMS vertical sacrum acceleration in a walking window (after low-pass), m/s^2.
    vertical_cutoff_hz : float
        Low-pass cut-off of the vertical acceleration for the rhythm, Hz.
    min_walking_s : float
        Walking time for the session to count as a walk, seconds.
    lift_deg : float
        A thigh flexed past this makes a lift, degrees.
    rest_deg : float
        A lift starts where its thigh was last below this, degrees.
    neutral_deg : float
        The other thigh within +-this of upright at the lift's peak: one leg lifted alone.
    rear_deg : float
        The other thigh extended by more than this at the peak: a split stance, degrees.
    follow_deg, follow_s : float
        Step-up: the other thigh flexes past ``follow_deg`` within ``follow_s`` after the
        peak (the trail leg swinging up onto the box).
    height_change_m : float
        Pelvis rise (step-up) or sink (lunge, squat) that counts, metres.
    height_window_s : float
        After the peak, the rise is looked for this long; before the lift, a still
        moment to integrate the pelvis height from, seconds.
    min_lifts : int
        Lifts of one kind for the session to count as that kind.
    lift_duration_s : float
        Time a lift and its pause take, to weigh lifts against walking time, seconds.
    still_rate_dps : float
        Thighs turning slower than this are still (the body at rest), deg/s.
    still_range_deg, still_rms_m_s2 : float
        Below these (thigh range, vertical acceleration RMS) nothing moved.
    """

    window_s: float = 6.0
    hop_s: float = 1.0
    step_time_range_s: tuple[float, float] = (0.35, 0.8)
    min_rhythm_correlation: float = 0.4
    min_swing_deg: float = 5.0
    min_vertical_rms_m_s2: float = 0.4
    vertical_cutoff_hz: float = 4.0
    min_walking_s: float = 10.0
    lift_deg: float = 45.0
    rest_deg: float = 15.0
    neutral_deg: float = 15.0
    rear_deg: float = 8.0
    follow_deg: float = 20.0
    follow_s: float = 2.0
    height_change_m: float = 0.1
    height_window_s: float = 1.5
    min_lifts: int = 2
    lift_duration_s: float = 3.0
    still_rate_dps: float = 10.0
    still_range_deg: float = 10.0
    still_rms_m_s2: float = 0.3


DEFAULT_MOVEMENT = MovementSettings()


@dataclass(frozen=True)
class Lift:
    """One thigh flexed past ``lift_deg``, and how the body moved around it.

    Attributes
    ----------
    side : str
        ``left`` or ``right``: the thigh that flexed most.
    t_peak_s : float
        Time of its peak flexion, seconds.
    peak_deg : float
        Its peak sagittal angle, degrees.
    other_at_peak_deg : float
        The other thigh's sagittal angle at that moment, degrees (NaN without it).
    other_follow_deg : float
        The other thigh's largest flexion within ``follow_s`` after the peak, degrees.
    sink_m : float
        How far the pelvis went down from the lift's start to its peak, metres, positive
        down (NaN without the pelvis).
    rise_m : float
        How far the pelvis went up from the lift's start within ``height_window_s`` after
        the peak, metres (NaN without the pelvis).
    kind : str
        ``step_up``, ``lunge``, ``squat``, ``lower`` (the body sank, but without the other
        thigh a lunge and a squat look alike) or ``unclear``.
    """

    side: str
    t_peak_s: float
    peak_deg: float
    other_at_peak_deg: float
    other_follow_deg: float
    sink_m: float
    rise_m: float
    kind: str


@dataclass(frozen=True)
class Movement:
    """What a session's (or a bout's) movement looks like, with the evidence.

    Attributes
    ----------
    label : str
        One of :data:`LABELS`: ``walk``, ``step_up``, ``other_exercise`` (lunge, split
        squat, squat: large thigh flexion without a gait rhythm and not a step-up),
        ``standing`` or ``unknown``.
    description : str
        The evidence in plain words and numbers, e.g. "step-ups: 16 lifts of one thigh to
        65 deg (median) with the other following and the body rising 0.24 m".
    walking_s : float
        Time with a walking rhythm, seconds.
    step_time_s : float
        Median step time of that rhythm, seconds (NaN without walking).
    lifts : tuple of Lift
        Every lift, in time order.
    signals : tuple of str
        The signals the evidence used (``thighs``, ``one thigh``, ``pelvis``).
    """

    label: str
    description: str
    walking_s: float = 0.0
    step_time_s: float = float("nan")
    lifts: tuple[Lift, ...] = ()
    signals: tuple[str, ...] = ()

    def count(self, kind: str) -> int:
        """Number of lifts of ``kind`` (one of :data:`LIFT_KINDS`)."""
        return sum(lift.kind == kind for lift in self.lifts)

    @property
    def analysed(self) -> bool:
        """True when the label is an activity the analysis turns into reps or steps."""
        return self.label in ANALYSED


def _present(x: np.ndarray | None) -> bool:
    """A signal is there when at least half of it is finite."""
    return x is not None and x.size > 0 and np.count_nonzero(np.isfinite(x)) >= 0.5 * x.size


def _autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """Unbiased autocorrelation of ``x`` (NaN treated as missing) for lags 0..max_lag,
    normalised by the lag-0 value (Moe-Nilssen & Helbostad 2004)."""
    valid = np.isfinite(x)
    centred = np.where(valid, x - np.nanmean(x), 0.0)
    weight = valid.astype(float)
    n = x.size
    ac = np.empty(max_lag + 1)
    for lag in range(max_lag + 1):
        pairs = float(np.dot(weight[: n - lag], weight[lag:]))
        ac[lag] = np.dot(centred[: n - lag], centred[lag:]) / pairs if pairs > 0 else np.nan
    return ac / ac[0] if ac[0] > 0 else np.full(max_lag + 1, np.nan)


def _rhythm_peak(x: np.ndarray, lags: tuple[float, float], rate_hz: float) -> tuple[float, float]:
    """The highest autocorrelation peak of ``x`` at a lag within ``lags`` (s): (value,
    lag s), or (NaN, NaN) when there is none.

    A peak is a local maximum inside the range, after the autocorrelation has gone
    negative: a slow drift or a movement repeating every few seconds correlates well at
    any short lag, but only an oscillation comes back after a trough.
    """
    lo, hi = round(lags[0] * rate_hz), round(lags[1] * rate_hz)
    ac = _autocorrelation(x, hi + 1)
    inner = ac[lo : hi + 1]
    local = (inner >= ac[lo - 1 : hi]) & (inner > ac[lo + 1 : hi + 2])
    trough = np.fmin.accumulate(ac)[lo - 1 : hi] < 0.0
    candidates = np.flatnonzero(local & trough & np.isfinite(inner))
    if candidates.size == 0:
        return float("nan"), float("nan")
    k = lo + int(candidates[np.argmax(inner[candidates])])
    return float(ac[k]), k / rate_hz


def _walking_windows(
    t_s: np.ndarray,
    thighs: dict[str, np.ndarray],
    vertical_acc_m_s2: np.ndarray | None,
    rate_hz: float,
    s: MovementSettings,
) -> tuple[np.ndarray, list[float]]:
    """Per grid row, whether a window with a walking rhythm covers it; and the step
    times (s) of those windows."""
    n = t_s.size
    walking = np.zeros(n, dtype=bool)
    steps: list[float] = []
    width, hop = round(s.window_s * rate_hz), max(1, round(s.hop_s * rate_hz))
    step_lo, step_hi = s.step_time_range_s
    swing = None
    if len(thighs) == 2:
        swing = thighs["left"] - thighs["right"]
    elif thighs:
        swing = next(iter(thighs.values()))
    for lo in range(0, max(n - width, 0) + 1, hop):
        hi = min(lo + width, n)
        if hi - lo < 2.5 * 2 * step_hi * rate_hz:  # the longest lag, a stride, 2.5 times
            break
        votes, step_time = [], []
        # A signal with most of the window missing has no say in it.
        if _present(swing) and _present(swing[lo:hi]):
            x = swing[lo:hi]
            corr, lag = _rhythm_peak(x, (2 * step_lo, 2 * step_hi), rate_hz)
            votes.append(corr >= s.min_rhythm_correlation and np.nanstd(x) >= s.min_swing_deg)
            step_time.append(lag / 2)
        if _present(vertical_acc_m_s2) and _present(vertical_acc_m_s2[lo:hi]):
            x = vertical_acc_m_s2[lo:hi]
            step, lag = _rhythm_peak(x, (step_lo, step_hi), rate_hz)
            stride, _ = _rhythm_peak(x, (1.75 * lag, 2.25 * lag), rate_hz) if lag > 0 else (0, 0)
            rms = float(np.sqrt(np.nanmean(x**2)))
            # An uneven gait repeats at the stride more than at the step (Moe-Nilssen &
            # Helbostad 2004), so either regularity will do once a step rhythm exists.
            regular = np.isfinite(step) and max(step, stride) >= s.min_rhythm_correlation
            votes.append(regular and rms >= s.min_vertical_rms_m_s2)
            step_time.append(lag)
        # Walking swings the thighs to about 25 deg; a lift past lift_deg is a drill.
        lifted = any(
            (np.nan_to_num(angle[lo:hi], nan=-np.inf) > s.lift_deg).any()
            for angle in thighs.values()
        )
        if votes and all(votes) and not lifted:
            walking[lo:hi] = True
            # The thighs' stride is the surer rhythm: the sacrum may peak at two steps.
            steps.append(step_time[0])
    return walking, steps


def _height_m(acc: np.ndarray, rate_hz: float) -> np.ndarray:
    """Height change from the first sample, metres: ``acc`` (m/s^2) integrated twice from
    rest, missing samples counted as zero acceleration."""
    a = np.where(np.isfinite(acc), acc, 0.0)
    velocity = np.cumsum(a) / rate_hz
    return np.cumsum(velocity) / rate_hz


def _lifts(
    t_s: np.ndarray,
    thighs: dict[str, np.ndarray],
    vertical_acc_m_s2: np.ndarray | None,
    rate_hz: float,
    s: MovementSettings,
) -> list[Lift]:
    """Every thigh flexion past ``lift_deg``, judged as step-up, lunge, squat or unclear."""
    if not thighs:
        return []
    sides = list(thighs)
    flexed = np.vstack([np.nan_to_num(thighs[side], nan=-np.inf) for side in sides])
    most = np.max(flexed, axis=0)
    above = most > s.lift_deg
    edges = np.flatnonzero(np.diff(np.concatenate([[0], above.astype(np.int8), [0]])))
    rates = [np.abs(np.gradient(angle)) * rate_hz for angle in thighs.values()]
    still = np.all([~(rate > s.still_rate_dps) for rate in rates], axis=0)
    lifts = []
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        peak = start + int(np.argmax(most[start:end]))
        which = int(np.argmax(flexed[:, peak]))
        side = sides[which]
        angle = thighs[side]
        below = np.flatnonzero(~(angle[:peak] >= s.rest_deg))
        lift_start = int(below[-1]) if below.size else max(peak - round(2 * rate_hz), 0)
        other_side = "right" if side == "left" else "left"
        other = thighs.get(other_side)
        other_at_peak = float(other[peak]) if other is not None else float("nan")
        follow_end = min(peak + round(s.follow_s * rate_hz), angle.size)
        other_follow = (
            float(np.nanmax(other[peak:follow_end]))
            if other is not None and np.isfinite(other[peak:follow_end]).any()
            else float("nan")
        )
        sink = rise = float("nan")
        if vertical_acc_m_s2 is not None:
            # Integrate from the last moment the thighs were still before the lift: the
            # body is at rest there, so its vertical velocity is zero.
            earliest = max(lift_start - round(s.height_window_s * rate_hz), 0)
            resting = np.flatnonzero(still[earliest : lift_start + 1])
            rest = earliest + int(resting[-1]) if resting.size else lift_start
            rise_end = min(peak + round(s.height_window_s * rate_hz), angle.size)
            height = _height_m(vertical_acc_m_s2[rest:rise_end], rate_hz)
            sink = float(-height[: peak - rest + 1].min())
            rise = float(height.max())
        kind = _lift_kind(other_at_peak, other_follow, sink, rise, s)
        lifts.append(
            Lift(
                side,
                float(t_s[peak]),
                float(angle[peak]),
                other_at_peak,
                other_follow,
                sink,
                rise,
                kind,
            )
        )
    return lifts


def _lift_kind(
    other_at_peak_deg: float,
    other_follow_deg: float,
    sink_m: float,
    rise_m: float,
    s: MovementSettings,
) -> str:
    """``squat``, ``lunge``, ``lower``, ``step_up`` or ``unclear`` from what the body did
    (NaN: that signal is missing)."""
    if other_at_peak_deg > s.lift_deg:
        return "squat"
    lowered = sink_m >= s.height_change_m
    rear = other_at_peak_deg < -s.rear_deg
    if lowered and not np.isfinite(other_at_peak_deg):
        return "lower"  # without the other thigh a lunge and a squat look alike
    if lowered or rear:
        return "squat" if lowered and other_at_peak_deg > s.neutral_deg else "lunge"
    thigh_says = abs(other_at_peak_deg) <= s.neutral_deg and other_follow_deg >= s.follow_deg
    pelvis_says = rise_m >= s.height_change_m
    have_thigh, have_pelvis = np.isfinite(other_at_peak_deg), np.isfinite(rise_m)
    if (thigh_says or not have_thigh) and (pelvis_says or not have_pelvis):
        return "step_up" if have_thigh or have_pelvis else "unclear"
    return "unclear"


def _median(values) -> float:
    values = [v for v in values if np.isfinite(v)]
    return float(np.median(values)) if values else float("nan")


def _describe_lifts(kind: str, lifts: list[Lift]) -> str:
    n = len(lifts)
    peak = _median(lift.peak_deg for lift in lifts)
    parts = []
    if kind == "step_up":
        parts.append(f"step-ups: {n} lifts of one thigh to {peak:.0f} deg")
        follow = _median(lift.other_follow_deg for lift in lifts)
        if np.isfinite(follow):
            parts.append(f"the other following to {follow:.0f} deg")
        rise = _median(lift.rise_m for lift in lifts)
        if np.isfinite(rise):
            parts.append(f"the body rising {rise:.2f} m")
        return ", ".join(parts)
    if kind == "lunge":
        parts.append(f"lunges or split squats: {n} lifts of one thigh to {peak:.0f} deg")
        rear = _median(lift.other_at_peak_deg for lift in lifts)
        if np.isfinite(rear):
            parts.append(f"the other thigh at {rear:.0f} deg")
    elif kind == "squat":
        parts.append(f"squats: {n} flexions of both thighs to {peak:.0f} deg")
    elif kind == "lower":
        parts.append(f"lunges or squats: {n} lifts of a thigh to {peak:.0f} deg")
    else:
        parts.append(f"{n} thigh lifts to {peak:.0f} deg that fit no known drill")
    sink = _median(lift.sink_m for lift in lifts)
    if np.isfinite(sink):
        parts.append(f"the body lowering {sink:.2f} m")
    return ", ".join(parts)


def classify_movement(
    t_s: np.ndarray,
    left_thigh_deg: np.ndarray | None,
    right_thigh_deg: np.ndarray | None,
    pelvis_vertical_acc_m_s2: np.ndarray | None,
    rate_hz: float,
    settings: MovementSettings = DEFAULT_MOVEMENT,
) -> Movement:
    """What the movement of a session (or a bout) looks like.

    Parameters
    ----------
    t_s : ndarray, shape (n,)
        Grid times, seconds, evenly spaced at ``rate_hz``.
    left_thigh_deg, right_thigh_deg : ndarray, shape (n,), or None
        Thigh sagittal angles (flexion positive, relative to vertical), degrees; None or
        mostly NaN when that thigh was not recorded.
    pelvis_vertical_acc_m_s2 : ndarray, shape (n,), or None
        The sacrum's world-vertical acceleration (gravity removed), m/s^2; None or mostly
        NaN without a pelvis sensor.
    rate_hz : float
        Grid rate, Hz.
    settings : MovementSettings
        Thresholds.

    Returns
    -------
    Movement
        The label and its evidence.
    """
    s = settings
    t = np.asarray(t_s, dtype=float)
    thighs = {
        side: np.asarray(angle, dtype=float)
        for side, angle in (("left", left_thigh_deg), ("right", right_thigh_deg))
        if _present(angle)
    }
    acc = (
        np.asarray(pelvis_vertical_acc_m_s2, dtype=float)
        if _present(pelvis_vertical_acc_m_s2)
        else None
    )
    signals = (("thighs",) if len(thighs) == 2 else ("one thigh",) if thighs else ()) + (
        ("pelvis",) if acc is not None else ()
    )
    if not signals or t.size < 2:
        return Movement("unknown", "no thigh or pelvis signal to judge the movement from")
    smooth = None
    if acc is not None:
        # Heel-strike impacts carry no rhythm and blur it; the gait's own frequencies are
        # below 4 Hz (Moe-Nilssen & Helbostad 2004 low-pass at about that).
        sos = butter(4, s.vertical_cutoff_hz, fs=rate_hz, output="sos")
        missing = ~np.isfinite(acc)
        smooth = sosfiltfilt(sos, np.where(missing, 0.0, acc)) if acc.size > 30 else acc
        smooth = np.where(missing, np.nan, smooth)
    walking, step_times = _walking_windows(t, thighs, smooth, rate_hz, s)
    walking_s = float(np.count_nonzero(walking)) / rate_hz
    step_time = _median(step_times)
    lifts = _lifts(t, thighs, acc, rate_hz, s)  # none inside a walking window
    kinds = {kind: [lift for lift in lifts if lift.kind == kind] for kind in LIFT_KINDS}
    common = dict(walking_s=walking_s, step_time_s=step_time, lifts=tuple(lifts), signals=signals)
    walk_text = (
        f"walking: {walking_s:.0f} s of alternating rhythm, step time {step_time:.2f} s"
        if walking_s > 0
        else ""
    )
    best = max(LIFT_KINDS[:-1], key=lambda kind: len(kinds[kind]))  # "unclear" last
    if walking_s >= s.min_walking_s and walking_s >= s.lift_duration_s * len(lifts):
        return Movement("walk", walk_text, **common)
    if len(kinds[best]) >= s.min_lifts and len(kinds[best]) > len(kinds["unclear"]):
        label = "step_up" if best == "step_up" else "other_exercise"
        text = _describe_lifts(best, kinds[best])
        return Movement(label, text, **common)
    if len(lifts) >= s.min_lifts:
        return Movement("unknown", _describe_lifts("unclear", lifts), **common)
    if walking_s > 0:
        return Movement("unknown", f"{walk_text} (less than {s.min_walking_s:.0f} s)", **common)
    ranges = [np.nanmax(x) - np.nanmin(x) for x in thighs.values()]
    rms = float(np.sqrt(np.nanmean(acc**2))) if acc is not None else 0.0
    if max(ranges, default=0.0) < s.still_range_deg and rms < s.still_rms_m_s2:
        return Movement("standing", "standing still: no thigh lift and no walking rhythm", **common)
    if not thighs:
        text = "movement without a walking rhythm (without a thigh sensor drills look alike)"
        return Movement("unknown", text, **common)
    return Movement("unknown", "movement without a walking rhythm or thigh lifts", **common)
