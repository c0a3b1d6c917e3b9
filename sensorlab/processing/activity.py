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

    - step-up: the pelvis rises without first sinking; without a pelvis sensor, the
      other thigh stays near neutral while the lifted one peaks (one foot on the box),
      then follows it up (the trail leg swinging onto the box);
    - lunge / split squat: the pelvis sinks while the thigh flexes (the body lowers onto
      the front leg) and the other thigh is not flexed; without a pelvis sensor, the
      other thigh is extended behind at the peak;
    - squat: both thighs flexed together (or the pelvis sinking with the other thigh
      flexed too);
    - lower: the pelvis sinks, but the other thigh is not recorded (lunge or squat).

    The pelvis, where recorded, decides between rising and sinking: the thigh angles
    vary more between people than a box's or a lunge's height change.

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
from scipy.fft import next_fast_len
from scipy.signal import sosfiltfilt

from sensorlab.processing.filters import butter_sos

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
    return x is not None and x.size > 0 and bool(np.count_nonzero(np.isfinite(x)) >= 0.5 * x.size)


_FFT_BLOCK = 256
"""Windows per batch of FFTs (bounds the memory of a long session's spectra)."""


def _autocorrelations(windows: np.ndarray, max_lag: int) -> np.ndarray:
    """Unbiased autocorrelation of each row of ``windows`` for lags 0..max_lag.

    Normalised by the lag-0 value (Moe-Nilssen & Helbostad 2004); missing (NaN) samples are left out
    of every lag's products and of its count. NaN where undefined.

    Computed with FFTs (sums of products and pair counts alike), zero-padded beyond the
    longest lag so that none wraps around, in batches of :data:`_FFT_BLOCK` rows.
    """
    valid = np.isfinite(windows)
    count = valid.sum(axis=1, keepdims=True)
    total = np.where(valid, windows, 0.0).sum(axis=1, keepdims=True)
    mean = np.divide(total, count, out=np.zeros_like(total), where=count > 0)
    centred = np.where(valid, windows - mean, 0.0)
    size = next_fast_len(windows.shape[1] + max_lag + 1, real=True)
    ac = np.full((windows.shape[0], max_lag + 1), np.nan)
    # Without a missing sample the pair counts are known (the rounded FFT gives the same).
    complete = np.maximum(windows.shape[1] - np.arange(max_lag + 1), 0).astype(float)
    for lo in range(0, windows.shape[0], _FFT_BLOCK):
        rows = slice(lo, lo + _FFT_BLOCK)
        sums = _lagged_products(centred[rows], size, max_lag)
        if valid[rows].all():
            pairs = np.broadcast_to(complete, sums.shape)
        else:
            pairs = np.round(_lagged_products(valid[rows].astype(float), size, max_lag))
        np.divide(sums, pairs, out=ac[rows], where=pairs > 0)
    zero = ac[:, :1]
    return np.divide(ac, zero, out=np.full_like(ac, np.nan), where=zero > 0)


def _lagged_products(values: np.ndarray, size: int, max_lag: int) -> np.ndarray:
    """Per row, the sums of products of samples ``lag`` apart, lags 0..max_lag (FFT of ``size``)."""
    spectrum = np.fft.rfft(values, size, axis=1)
    power = (spectrum * np.conj(spectrum)).real
    return np.fft.irfft(power, size, axis=1)[:, : max_lag + 1]


def _rhythm_peaks(ac: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The highest autocorrelation peak of each row of ``ac`` within a lag range.

    Per row, at a lag index within ``lo..hi`` (per row): (value, lag index), NaN where there is
    none.

    A peak is a local maximum inside the range, after the autocorrelation has gone
    negative: a slow drift or a movement repeating every few seconds correlates well at
    any short lag, but only an oscillation comes back after a trough.
    """
    lag = np.arange(ac.shape[1])
    finite = np.where(np.isfinite(ac), ac, -np.inf)
    local = np.zeros(ac.shape, dtype=bool)
    local[:, 1:-1] = (finite[:, 1:-1] >= finite[:, :-2]) & (finite[:, 1:-1] > finite[:, 2:])
    trough = np.zeros(ac.shape, dtype=bool)
    trough[:, 1:] = np.fmin.accumulate(ac, axis=1)[:, :-1] < 0.0
    inside = (lag >= lo[:, None]) & (lag <= hi[:, None])
    candidates = local & trough & inside & np.isfinite(ac)
    best = np.argmax(np.where(candidates, ac, -np.inf), axis=1)
    found = candidates.any(axis=1)
    value = np.where(found, ac[np.arange(ac.shape[0]), best], np.nan)
    return value, np.where(found, best, np.nan)


def _windows(x: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """Rows ``x[start : start + width]`` for each start, shape (len(starts), width)."""
    return np.lib.stride_tricks.sliding_window_view(x, width)[starts]


def _window_counts(mask: np.ndarray, starts: np.ndarray, width: int) -> np.ndarray:
    """Per start, the number of True values in ``mask[start : start + width]``.

    The True rows before each window's end less those before its start, by bisection
    among them: whole numbers, exact, without gathering the overlapping windows (each
    row would be read ``width / hop`` times) or summing every row.
    """
    marked = np.flatnonzero(mask)
    return np.searchsorted(marked, starts + width) - np.searchsorted(marked, starts)


def _finite_stats(
    x: np.ndarray, starts: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per window ``x[start : start + width]``: fraction of finite samples, their SD and RMS.

    Each window's sums of the values and of their squares (NaN as zero) are numpy's sums
    over the window's row, as summing each row of the gathered windows gives; the zeroing
    and squaring are done once per sample, not once per window covering it.
    """
    valid = np.isfinite(x)
    count = _window_counts(valid, starts, width)
    n = np.maximum(count, 1)
    values = np.where(valid, x, 0.0)
    mean = _windows(values, starts, width).sum(axis=1) / n
    mean_square = _windows(values**2, starts, width).sum(axis=1) / n
    sd = np.sqrt(np.maximum(mean_square - mean**2, 0.0))
    return count / width, sd, np.sqrt(mean_square)


def _sacrum_rhythm(
    windows: np.ndarray, step_lo: int, step_hi: int, s: MovementSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Per window of the sacrum's vertical acceleration: a regular step rhythm, and its lag.

    The lag (grid rows, NaN without a rhythm) of the highest autocorrelation peak within
    ``step_lo..step_hi`` rows; regular when that peak, or the stride's (about twice the
    lag), reaches ``min_rhythm_correlation``.
    """
    m = windows.shape[0]
    ac = _autocorrelations(windows, round(2.25 * step_hi) + 1)
    step, lag = _rhythm_peaks(ac, np.full(m, step_lo), np.full(m, step_hi))
    has = np.isfinite(lag)
    stride_lo = np.where(has, np.round(1.75 * np.nan_to_num(lag)), 1)
    stride_hi = np.where(has, np.round(2.25 * np.nan_to_num(lag)), 0)
    stride, _ = _rhythm_peaks(ac, stride_lo, stride_hi)
    # An uneven gait repeats at the stride more than at the step (Moe-Nilssen &
    # Helbostad 2004), so either regularity will do once a step rhythm exists.
    return has & (np.fmax(step, stride) >= s.min_rhythm_correlation), lag


def _thigh_rhythm(
    windows: np.ndarray, step_lo: int, step_hi: int, s: MovementSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Per window of the thighs' swing: a stride rhythm, and the step lag (half the stride).

    The stride is the highest autocorrelation peak within ``2 step_lo..2 step_hi`` rows;
    rhythmic when it reaches ``min_rhythm_correlation``. Lags in grid rows, NaN without one.
    """
    m = windows.shape[0]
    ac = _autocorrelations(windows, 2 * step_hi + 1)
    corr, lag = _rhythm_peaks(ac, np.full(m, 2 * step_lo), np.full(m, 2 * step_hi))
    return np.nan_to_num(corr, nan=-1.0) >= s.min_rhythm_correlation, lag / 2


def _walking_windows(
    thighs: dict[str, np.ndarray],
    vertical_acc_m_s2: np.ndarray | None,
    n: int,
    rate_hz: float,
    s: MovementSettings,
) -> tuple[np.ndarray, list[float]]:
    """Which grid rows a window with a walking rhythm covers, and its step times.

    Per grid row (``n`` of them), whether a walking window covers it; and the step times (s) of
    those windows. ``vertical_acc_m_s2`` as recorded (it is low-passed here).
    """
    walking = np.zeros(n, dtype=bool)
    width, hop = round(s.window_s * rate_hz), max(1, round(s.hop_s * rate_hz))
    step_lo, step_hi = (round(lag * rate_hz) for lag in s.step_time_range_s)
    width = min(width, n)
    if width < 2.5 * 2 * step_hi:  # the longest lag, a stride, 2.5 times over
        return walking, []
    starts = np.arange(0, n - width + 1, hop)
    # Walking swings the thighs to about 25 deg; a window with a lift past lift_deg is a
    # drill's, whatever its rhythm. This veto comes first, and the rest is judged only
    # for the windows it leaves (a window's verdict depends on its own rows alone): in a
    # session of drills, few of them.
    for angle in thighs.values():
        starts = starts[_window_counts(angle > s.lift_deg, starts, width) == 0]
    if starts.size == 0:
        return walking, []
    m = starts.size
    swing = None
    if len(thighs) == 2:
        swing = thighs["left"] - thighs["right"]
    elif thighs:
        swing = next(iter(thighs.values()))
    # Each signal votes where it has most of the window; a window walks when some signal
    # votes and every vote is yes. The cheap vetoes come first: the rhythm (the
    # autocorrelations, most of the cost) is then found only for the windows that may
    # still walk. The thighs' swing is judged before the sacrum's acceleration, which is
    # low-passed over the whole session first: only when a window may still walk.
    votes = np.ones(m, dtype=bool)
    voted = np.zeros(m, dtype=bool)
    signals = []
    if swing is not None:
        present, sd, _ = _finite_stats(swing, starts, width)
        there = present >= 0.5
        votes &= ~there | (sd >= s.min_swing_deg)
        voted |= there
        signals.append((_thigh_rhythm, swing, there))
    acc = _smoothed(vertical_acc_m_s2, rate_hz, s) if votes.any() else None
    if acc is not None:
        present, _, rms = _finite_stats(acc, starts, width)
        there = present >= 0.5
        votes &= ~there | (rms >= s.min_vertical_rms_m_s2)
        voted |= there
        # Its rhythm first: the thighs' stride, judged last, prevails (below).
        signals.insert(0, (_sacrum_rhythm, acc, there))
    rows = np.flatnonzero(votes & voted)
    step_time = np.full(m, np.nan)
    for rhythm, x, there in signals if rows.size else ():
        rhythmic, step_rows = rhythm(_windows(x, starts[rows], width), step_lo, step_hi, s)
        votes[rows] &= ~there[rows] | rhythmic
        # The thighs' stride, last, is the surer rhythm: the sacrum may peak at two steps.
        step_time[rows] = np.where(there[rows], step_rows / rate_hz, step_time[rows])
    chosen = votes & voted
    for start in starts[chosen]:
        walking[start : start + width] = True
    return walking, step_time[chosen].tolist()


def _height_m(acc: np.ndarray, rate_hz: float) -> np.ndarray:
    """Height change from the first sample, metres.

    ``acc`` (m/s^2, no missing samples: the caller counts them as zero acceleration)
    integrated twice from rest.
    """
    velocity = np.cumsum(acc) / rate_hz
    return np.cumsum(velocity) / rate_hz


def _sinks_and_rises(
    acc: np.ndarray,
    rests: list[int],
    peaks: list[int],
    ends: list[int],
    rate_hz: float,
) -> tuple[list[float], list[float]]:
    """Per lift, how far the pelvis sank by its peak and rose by its end, metres.

    Lift ``i``'s height is :func:`_height_m` of ``acc[rests[i] : ends[i]]``: its sink the
    lowest height up to ``peaks[i]`` (positive down), its rise the highest. Lifts that
    start from the same rest row (a drill holding a thigh flexed between reps: a whole
    set) share one double integral, up to the furthest of their ends: a cumulative sum's
    leading values do not depend on where it stops, so each lift gets its own span's
    heights, bit for bit, while each row is integrated once per rest row instead of
    once per lift. The lowest and highest heights up to each row (running extremes)
    then serve every lift of the rest row without a pass over its span.
    """
    furthest: dict[int, int] = {}
    for rest, end in zip(rests, ends, strict=True):
        furthest[rest] = max(end, furthest.get(rest, end))
    lowest_yet, highest_yet = {}, {}
    for rest, end in furthest.items():
        height = _height_m(acc[rest:end], rate_hz)
        lowest_yet[rest] = np.minimum.accumulate(height)
        highest_yet[rest] = np.maximum.accumulate(height)
    sinks = [float(-lowest_yet[rest][peak - rest]) for rest, peak in zip(rests, peaks, strict=True)]
    rises = [
        float(highest_yet[rest][end - 1 - rest]) for rest, end in zip(rests, ends, strict=True)
    ]
    return sinks, rises


def _last_marked(mask: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Per row of ``rows`` (-1 or more), the last row at or before it where ``mask`` is True.

    -1 where there is none. A bisection among the marked rows: no pass over the rows
    that no lift asks about.
    """
    marked = np.concatenate(([-1], np.flatnonzero(mask)))
    return marked[np.searchsorted(marked, rows, side="right") - 1]


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
    angles = np.vstack([thighs[side] for side in sides])
    # A missing angle (NaN) is never the highest.
    flexed = np.where(np.isnan(angles), -np.inf, angles)
    most = np.max(flexed, axis=0)
    edges = np.flatnonzero(np.diff(most > s.lift_deg, prepend=False, append=False))
    if edges.size == 0:
        return []
    # Each lift's peak (its first highest row), and the thigh that flexed most there.
    peaks = np.array(
        [start + int(np.argmax(most[start:end])) for start, end in edges.reshape(-1, 2)]
    )
    which = np.argmax(flexed[:, peaks], axis=0)
    # A lift starts where its thigh was last below the rest angle before the peak, else
    # 2 s before it.
    below = np.vstack([_last_marked(~(angle >= s.rest_deg), peaks - 1) for angle in angles])
    below = below[which, np.arange(peaks.size)]
    lift_start = np.where(below >= 0, below, np.maximum(peaks - round(2 * rate_hz), 0))
    # The pelvis height is integrated from the last moment the thighs were still before
    # the lift (the body at rest there: its vertical velocity is zero), if it is within
    # height_window_s of the lift's start, to height_window_s after the peak.
    rates = np.abs(np.gradient(angles, axis=1)) * rate_hz
    resting = _last_marked(np.all(~(rates > s.still_rate_dps), axis=0), lift_start)
    window = round(s.height_window_s * rate_hz)
    rests = np.where(resting >= np.maximum(lift_start - window, 0), resting, lift_start)
    ends = np.minimum(peaks + window, most.size)
    missing = [float("nan")] * peaks.size
    sinks, rises = missing, missing
    if vertical_acc_m_s2 is not None:
        # Missing samples count as zero acceleration in the pelvis's height.
        acc = np.where(np.isfinite(vertical_acc_m_s2), vertical_acc_m_s2, 0.0)
        sinks, rises = _sinks_and_rises(acc, rests.tolist(), peaks.tolist(), ends.tolist(), rate_hz)
    # The other thigh at the peak, and its highest within follow_s after it (NaN where it
    # is missing: angles are finite or NaN).
    others_at_peak, others_follow = missing, missing
    if len(sides) == 2:
        other = 1 - which
        follow = round(s.follow_s * rate_hz)
        # NaN after the last row: a late peak's rows end there.
        padded = np.concatenate([angles, np.full((2, follow), np.nan)], axis=1)
        following = np.lib.stride_tricks.sliding_window_view(padded, follow, axis=1)
        others_at_peak = angles[other, peaks].tolist()
        others_follow = np.fmax.reduce(following[other, peaks], axis=1).tolist()
    lifts = []
    for k, (peak, row) in enumerate(zip(peaks.tolist(), which.tolist(), strict=True)):
        kind = _lift_kind(others_at_peak[k], others_follow[k], sinks[k], rises[k], s)
        lifts.append(
            Lift(
                sides[row],
                float(t_s[peak]),
                float(angles[row, peak]),
                others_at_peak[k],
                others_follow[k],
                sinks[k],
                rises[k],
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
    """What a lift was, from what the body did.

    ``squat``, ``lunge``, ``lower``, ``step_up`` or ``unclear`` (NaN inputs: that signal is
    missing).

    Where the pelvis is recorded, whether the body went up or down decides: the thigh
    angles vary more between people (a trail thigh a little behind at the lead's peak is
    still a step-up) than a box's 15-30 cm or a lunge's 20-40 cm. Without it the thighs
    decide.
    """
    both_flexed = other_at_peak_deg > s.lift_deg
    if np.isfinite(sink_m):
        if sink_m >= s.height_change_m:
            if not np.isfinite(other_at_peak_deg):
                return "lower"  # without the other thigh a lunge and a squat look alike
            return "squat" if both_flexed or other_at_peak_deg > s.neutral_deg else "lunge"
        if rise_m >= s.height_change_m and not both_flexed:
            return "step_up"
        return "squat" if both_flexed else "unclear"
    if both_flexed:
        return "squat"
    if other_at_peak_deg < -s.rear_deg:
        return "lunge"
    if abs(other_at_peak_deg) <= s.neutral_deg and other_follow_deg >= s.follow_deg:
        return "step_up"
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


def _signals(
    left_thigh_deg: np.ndarray | None,
    right_thigh_deg: np.ndarray | None,
    pelvis_vertical_acc_m_s2: np.ndarray | None,
) -> tuple[dict[str, np.ndarray], np.ndarray | None]:
    """The thighs and the sacrum's vertical acceleration that were recorded."""
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
    return thighs, acc


def _smoothed(acc: np.ndarray | None, rate_hz: float, s: MovementSettings) -> np.ndarray | None:
    """The vertical acceleration low-passed at ``vertical_cutoff_hz`` (NaN kept)."""
    if acc is None:
        return None
    # Heel-strike impacts carry no rhythm and blur it; the gait's own frequencies are
    # below 4 Hz (Moe-Nilssen & Helbostad 2004 low-pass at about that).
    sos = butter_sos(4, s.vertical_cutoff_hz, rate_hz)
    missing = ~np.isfinite(acc)
    smooth = sosfiltfilt(sos, np.where(missing, 0.0, acc)) if acc.size > 30 else acc
    return np.where(missing, np.nan, smooth)


def walking_rows(
    left_thigh_deg: np.ndarray | None,
    right_thigh_deg: np.ndarray | None,
    pelvis_vertical_acc_m_s2: np.ndarray | None,
    rate_hz: float,
    settings: MovementSettings = DEFAULT_MOVEMENT,
) -> np.ndarray:
    """Per grid row, whether one of :func:`classify_movement`'s walking windows covers it.

    Same signals and units as there; all False without any signal.
    """
    thighs, acc = _signals(left_thigh_deg, right_thigh_deg, pelvis_vertical_acc_m_s2)
    n = next((x.size for x in (*thighs.values(), acc) if x is not None), 0)
    walking, _ = _walking_windows(thighs, acc, n, rate_hz, settings)
    return walking


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
    thighs, acc = _signals(left_thigh_deg, right_thigh_deg, pelvis_vertical_acc_m_s2)
    signals = (("thighs",) if len(thighs) == 2 else ("one thigh",) if thighs else ()) + (
        ("pelvis",) if acc is not None else ()
    )
    if not signals or t.size < 2:
        return Movement("unknown", "no thigh or pelvis signal to judge the movement from")
    walking, step_times = _walking_windows(thighs, acc, t.size, rate_hz, s)
    walking_s = float(np.count_nonzero(walking)) / rate_hz
    step_time = _median(step_times)
    lifts = _lifts(t, thighs, acc, rate_hz, s)  # none inside a walking window
    kinds = {kind: [lift for lift in lifts if lift.kind == kind] for kind in LIFT_KINDS}

    def verdict(label: str, description: str) -> Movement:
        return Movement(label, description, walking_s, step_time, tuple(lifts), signals)

    walk_text = (
        f"walking: {walking_s:.0f} s of alternating rhythm, step time {step_time:.2f} s"
        if walking_s > 0
        else ""
    )
    best = max(LIFT_KINDS[:-1], key=lambda kind: len(kinds[kind]))  # "unclear" last
    if walking_s >= s.min_walking_s and walking_s >= s.lift_duration_s * len(lifts):
        return verdict("walk", walk_text)
    if len(kinds[best]) >= s.min_lifts and len(kinds[best]) > len(kinds["unclear"]):
        label = "step_up" if best == "step_up" else "other_exercise"
        text = _describe_lifts(best, kinds[best])
        return verdict(label, text)
    if len(lifts) >= s.min_lifts:
        return verdict("unknown", _describe_lifts("unclear", lifts))
    if walking_s > 0:
        return verdict("unknown", f"{walk_text} (less than {s.min_walking_s:.0f} s)")
    ranges = [np.nanmax(x) - np.nanmin(x) for x in thighs.values()]
    rms = float(np.sqrt(np.nanmean(acc**2))) if acc is not None else 0.0
    if max(ranges, default=0.0) < s.still_range_deg and rms < s.still_rms_m_s2:
        return verdict("standing", "standing still: no thigh lift and no walking rhythm")
    if not thighs:
        text = "movement without a walking rhythm (without a thigh sensor drills look alike)"
        return verdict("unknown", text)
    return verdict("unknown", "movement without a walking rhythm or thigh lifts")
