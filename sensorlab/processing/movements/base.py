"""What every standing drill shares: rep windows, the view a drill judges, the segmenter.

A drill (one module of :mod:`sensorlab.processing.movements`) names a *driver* per
candidate side, a per-row signal that rises during a rep and falls back at its end (a
thigh's flexion, its extension, the pelvis's hinge), with the thresholds it crosses. The
:class:`ExcursionSegmenter` follows the drivers row by row on the common grid: a rep
starts where its driver was last still below ``rest_deg`` before it rose past
``start_deg``; its bottom is
the middle of the time the driver spends within ``bottom_band_deg`` of its peak; it ends
where the driver is back below ``rest_deg`` and has stayed still for ``rest_s`` or, when
the next rep begins without that rest (reps back to back: it rises past ``start_deg``
again first), at its lowest row in between. The drill
then judges the window (:class:`RepView`): whether the other segments moved as this drill
moves them (a lunge's rear thigh extends; a squat's thighs move together), and which side
worked. Windows it rejects are counted, never reported. Row by row, with the cursor kept
between calls, the segmenter gives the same reps whether it sees the session whole or in
blocks.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from dataclasses import dataclass, field
from types import ModuleType
from typing import NamedTuple

import numpy as np

from sensorlab.processing import angles
from sensorlab.processing.columns import Columns
from sensorlab.processing.nanstats import highest, mean
from sensorlab.records import Kinematics

MAX_RISE_S = 10.0
"""A rep's start is the last still row at most this long before its driver rose, s."""

FOLLOW_SPAN_S = 4.0
"""The segmenter follows an active driver this long at a time at first, s (only speed:
the reps are the same with any span). The speed benchmark's drills rest 2-3.5 s after
their driver rose past the start, so most reps are followed in one span."""

REARM_DEG = 10.0
"""A driver counts as rising again once it fell this far below ``start_deg``, degrees."""

SIDES = ("left", "right")
OTHER = {"left": "right", "right": "left"}
SIDE_SIGN = {"left": 1.0, "right": -1.0}
"""``SIDE_SIGN[s] * obliquity`` is the drop of the side opposite ``s`` (obliquity is
positive when the right side is lower); ``SIDE_SIGN[s] * rotation`` is side ``s`` moving
back (rotation is positive turning left, the left side back)."""


class MetricText(NamedTuple):
    """How people read one metric of a movement: its ``METRICS`` entry.

    A plain ``(label, help)`` pair reads the same. The unit and the decimals kept come
    from the key's suffix (:mod:`sensorlab.summary.metrics`).

    Attributes
    ----------
    label : str
        Short human name ("Pelvic drop").
    help : str
        One line on what it measures, for tables and the report's legend.
    short : str or None
        Column heading for narrow tables; None: the label in lower case.
    shown_decimals : int or None
        Decimal places shown to people when fewer than the summary keeps make sense
        (durations of whole 10 ms grid steps); None: all of them.
    """

    label: str
    help: str
    short: str | None = None
    shown_decimals: int | None = None


TEMPO_METRICS = {
    "down_duration_s": MetricText(
        "Time down", "from the start of the rep to the middle of its bottom", "time down", 2
    ),
    "up_duration_s": MetricText(
        "Time up", "from the middle of the bottom to the end of the rep", "time up", 2
    ),
    "pelvic_rate_rms_dps": MetricText(
        "Pelvic sway (RMS rate)", "RMS pelvis angular rate over the rep (lower = steadier)", "sway"
    ),
}
"""The tempo and steadiness every standing drill's rep keeps (:meth:`RepView.tempo`,
``docs/drills.md``), after its own metrics."""

TEMPO_FINDINGS = {
    "down_duration_s": (
        "Lowering is quicker {small_phrase}: {sv} against {bv} {big_phrase} ({si}).",
        "less eccentric (lowering) control on the {small}",
    ),
    "up_duration_s": (
        "The rising phase takes {bv} {big_phrase}, against {sv} {small_phrase} ({si}).",
        "the rise being harder for the {big} leg (less strength or confidence on that side)",
    ),
    "pelvic_rate_rms_dps": (
        "The pelvis is less steady {big_phrase}: sway {bv} against {sv} {small_phrase} ({si}).",
        "less single-leg stability on the {big}",
    ),
}
"""The findings of the tempo metrics, each side named in the drill's words (``big_phrase``:
"with the right leg in front"); a drill's own ``FINDINGS`` replace them."""

SHARED_MIN_DIFFERENCE = {
    "pelvic_drop_deg": 1.0,
    "thigh_rom_deg": 3.0,
    "pelvic_tilt_range_deg": 1.0,
    "thigh_adduction_excursion_deg": 1.0,
    "up_duration_s": 0.1,
    "down_duration_s": 0.1,
    "pelvic_rate_rms_dps": 1.0,
}
"""Smallest left-right difference that can count as a finding, in the metric's unit, of
the metrics the step-up and the drills share: about their measurement noise. A movement's
``MIN_DIFFERENCE`` holds its own metrics'."""


@dataclass(frozen=True)
class ShapeCurve:
    """A signal the views average over a drill's reps (the report's average rep).

    The value at a row is ``sign * column``, with ``{side}`` in ``column`` naming a
    thigh (``side``), times ``SIDE_SIGN`` of that side when ``side_signed`` (the pelvic
    drop of the side opposite it, from the obliquity).

    Attributes
    ----------
    title, ylabel : str
        The panel's title and value axis.
    column : str
        A :class:`~sensorlab.records.Kinematics` field, degrees; ``pelvis_obliquity_deg``
        in the rotation-obliquity-tilt order, as :class:`RepView` gives it to the metrics.
    side : str
        Relative to each rep's working side: ``working``, ``other``, or ``each`` (each
        thigh over every rep, by thigh: a bilateral drill's); ``""``: none.
    sign : float
        +1, or -1 for an extension or a lift shown positive.
    side_signed : bool
        Multiply by ``SIDE_SIGN[side]``.
    """

    title: str
    ylabel: str
    column: str
    side: str = "working"
    sign: float = 1.0
    side_signed: bool = False


def drop_curve(title: str, side: str) -> ShapeCurve:
    """The pelvic drop of the side opposite ``side`` (``working`` or ``other``), degrees."""
    return ShapeCurve(title, "drop (°)", "pelvis_obliquity_deg", side=side, side_signed=True)


@dataclass(frozen=True)
class ExcursionSettings:
    """Thresholds of a drill's driver (its module documents what they are for it).

    Attributes
    ----------
    start_deg : float
        A driver rising past this starts a candidate rep, degrees.
    rest_deg : float
        The driver back below this, and still, ends it, degrees.
    min_peak_deg : float
        A rep's driver must reach at least this, degrees.
    still_dps : float
        A driver slower than this is still, deg/s.
    rest_s : float
        Still below ``rest_deg`` this long ends the rep, seconds.
    bottom_band_deg : float
        The bottom is the middle of the time the driver stays within this of its peak,
        degrees (a held bottom is a plateau, its peak row an accident of noise).
    """

    start_deg: float
    rest_deg: float
    min_peak_deg: float
    still_dps: float = 5.0
    rest_s: float = 0.3
    bottom_band_deg: float = 2.0


@dataclass(frozen=True)
class RepWindow:
    """Rows of one rep on the kinematics grid.

    Attributes
    ----------
    start, bottom, end : int
        First row, the middle of the bottom, last row.
    driver : str
        The candidate side whose driver made the rep (``left``, ``right`` or ``both``).
    decided : int
        The row at which the rest after it ended the rep (a live stream knows it then).
    """

    start: int
    bottom: int
    end: int
    driver: str
    decided: int


@dataclass(frozen=True)
class RepView:
    """A rep window's kinematics, as arrays over its rows (start to end inclusive).

    Attributes
    ----------
    t_s : ndarray
        Row times, s.
    bottom : int
        Index of the bottom within the arrays.
    driver : str
        The candidate side that made the rep.
    sagittal_deg, adduction_deg : dict of str to ndarray
        Each thigh's sagittal angle (flexion positive) and adduction (toward the
        midline positive), degrees.
    tilt_deg : ndarray
        Pelvic tilt, anterior positive, degrees.
    projected_obliquity_deg, forward_heading_deg : ndarray
        The kinematics' pelvis obliquity (a projection angle) and rotation (the heading
        of the pelvis's forward axis), degrees: what :attr:`obliquity_deg` and
        :attr:`rotation_deg` are computed from.
    pelvis_rate_dps : ndarray
        Magnitude of the pelvis's angular velocity, deg/s.
    """

    t_s: np.ndarray
    bottom: int
    driver: str
    sagittal_deg: dict[str, np.ndarray]
    adduction_deg: dict[str, np.ndarray]
    tilt_deg: np.ndarray
    projected_obliquity_deg: np.ndarray = field(repr=False)
    forward_heading_deg: np.ndarray = field(repr=False)
    pelvis_rate_dps: np.ndarray = field(repr=False)

    @classmethod
    def of(cls, columns: Columns, window: RepWindow) -> RepView:
        """The view of ``window`` on the kinematics ``columns``."""
        rows = (window.start, window.end + 1)

        def column(name: str) -> np.ndarray:
            return np.array(columns.rows(name, *rows))

        return cls(
            t_s=column("t_s"),
            bottom=window.bottom - window.start,
            driver=window.driver,
            sagittal_deg={s: column(f"{s}_thigh_sagittal_deg") for s in SIDES},
            adduction_deg={s: column(f"{s}_thigh_adduction_deg") for s in SIDES},
            tilt_deg=column("pelvis_tilt_deg"),
            projected_obliquity_deg=column("pelvis_obliquity_deg"),
            forward_heading_deg=column("pelvis_rotation_deg"),
            pelvis_rate_dps=column("pelvis_rate_dps"),
        )

    # The pelvis's Euler angles are computed on first use: the judges read the thighs and
    # the tilt, so a rejected window never needs them, and some drills' metrics never
    # read the rotation (a third of a view's cost).
    @functools.cached_property
    def _euler(self) -> angles.PelvisEulerObliquity:
        return angles.pelvis_euler_obliquity(self.tilt_deg, self.projected_obliquity_deg)

    @functools.cached_property
    def obliquity_deg(self) -> np.ndarray:
        """The pelvis's Euler obliquity, right side lower positive, degrees.

        In the contract's rotation-obliquity-tilt order (:func:`angles.pelvis_euler_deg`).
        """
        return np.degrees(self._euler.obliquity_rad)

    @functools.cached_property
    def rotation_deg(self) -> np.ndarray:
        """The pelvis's Euler rotation, left side back positive, from the rep's first row, degrees.

        In the rotation-obliquity-tilt order (:func:`angles.pelvis_euler_deg`), unwrapped.
        """
        rotation = angles.pelvis_euler_rotation_deg(self._euler, self.forward_heading_deg)
        rotation = np.degrees(_unwrapped(np.radians(rotation)))
        return rotation - rotation[0]

    def tempo(self) -> dict[str, float]:
        """The timing and stability metrics every drill reports.

        ``down_duration_s`` (start to bottom), ``up_duration_s`` (bottom to end) and
        ``pelvic_rate_rms_dps`` (RMS of the pelvis's rate over the rep).
        """
        t = self.t_s
        return {
            "down_duration_s": float(t[self.bottom] - t[0]),
            "up_duration_s": float(t[-1] - t[self.bottom]),
            "pelvic_rate_rms_dps": math.sqrt(mean(self.pelvis_rate_dps**2)),
        }


@dataclass(frozen=True)
class RepFound:
    """A rep the drill accepted: its window and working side (``both`` if bilateral).

    ``metrics`` are the drill's metrics of the window (:func:`drill_rep_metrics`) on
    ``columns``, the kinematics the drill judged it on, measured as it was accepted:
    its view's arrays are then fresh in the processor's cache (a session's reps are
    measured after all of them were found, when they no longer are).
    """

    window: RepWindow
    side: str
    metrics: dict[str, float] = field(repr=False, compare=False)
    columns: Columns = field(repr=False, compare=False)


@dataclass(frozen=True)
class WindowRejected:
    """A driver excursion that is not this drill's rep, and why (for the log)."""

    window: RepWindow
    reason: str


def drill_rep_metrics(drill: ModuleType, view: RepView, side: str) -> dict[str, float]:
    """The metrics of a rep of ``drill`` (its module) with working side ``side`` on ``view``.

    A segment without data over the whole rep has no value: NaN (null), silently.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return drill.metrics(view, side)


def kinematics_columns(kinematics: Kinematics, pelvis_rate_dps: np.ndarray) -> Columns:
    """The columns a drill reads, from a :class:`~sensorlab.records.Kinematics` record.

    Its angles (degrees) and the pelvis's angular-rate magnitude on the same rows (deg/s): to run
    the drills on kinematics computed elsewhere (the simulator's truth, a finished analysis).
    """
    names = [f.name for f in dataclasses.fields(Kinematics)]
    columns = Columns((*names, "pelvis_rate_dps"))
    columns.append(
        **{name: getattr(kinematics, name) for name in names}, pelvis_rate_dps=pelvis_rate_dps
    )
    return columns


@dataclass
class _Track:
    """Where the segmenter is on one driver (all rows of the grid, from row 0).

    ``active``: following an excursion that rose past ``start_deg`` (its start is
    searched back to ``search_lo``), its ``peak`` so far, the run of resting rows
    (``rest_run``), the first row back below ``rest_deg`` (``returned``) and, once the
    next excursion rose without a rest, the rep's end and that rising row (``valley``).
    ``last_end``: the end of this driver's last excursion.
    """

    active: bool = False
    search_lo: int = 0
    peak: int = 0
    rest_run: int = 0
    returned: int | None = None
    valley: tuple[int, int] | None = None
    last_end: int = 0


class ExcursionSegmenter:
    """Streaming rep segmentation for one drill (module docstring).

    Each driver is followed on its own: an excursion of one (a free thigh held up through
    a set of single-leg squats) does not hide the other's reps; the drill's judge rejects
    the windows that are not its reps.

    Parameters
    ----------
    drill : module
        The drill's module: ``drivers(columns, lo, hi)`` and ``judge(view, settings)``.
    rate_hz : float
        Grid rate, Hz.
    settings : object
        The drill's settings; its ``excursion`` attribute is an
        :class:`ExcursionSettings`.

    Attributes
    ----------
    rejected_windows_ : list of RepWindow
        Excursions judged not to be this drill's reps.
    found_windows_ : list of RepWindow
        Those judged to be.
    """

    def __init__(self, drill: ModuleType, rate_hz: float, settings) -> None:
        self.drill = drill
        self.rate_hz = float(rate_hz)
        self.settings = settings
        self.rejected_windows_: list[RepWindow] = []
        self.found_windows_: list[RepWindow] = []
        self._cursor = 0
        self._tracks: dict[str, _Track] = {}
        # How far before its rise a rep's start is searched: bounded, so a live stream
        # computes the drivers over a few seconds, not since the last rep.
        self._max_rise_rows = round(MAX_RISE_S * self.rate_hz)

    @property
    def rejected_(self) -> int:
        """Excursions judged not to be this drill's reps so far."""
        return len(self.rejected_windows_)

    def unexplained_rejections(self, after_row: int) -> int:
        """Rejected excursions starting after ``after_row`` that overlap none of the reps.

        An excursion during a rep is the other thigh's part in it (a free thigh swinging
        a little higher as the stance leg squats), not a movement of its own.
        """
        return sum(
            not any(w.start <= f.end and f.start <= w.end for f in self.found_windows_)
            for w in self.rejected_windows_
            if w.start > after_row
        )

    @property
    def needed_from(self) -> int:
        """The oldest row a later call may still read (rows before it may be forgotten)."""
        idle = max(self._cursor - 1 - self._max_rise_rows, 0)
        return min(
            [t.search_lo if t.active else max(t.last_end, idle) for t in self._tracks.values()],
            default=idle,
        )

    def update(self, columns: Columns) -> list[RepFound | WindowRejected]:
        """Advance over the rows appended since the last call; what ended, in order.

        In the order the rows decided them (then the drivers' order): the same whether
        the rows come whole or in blocks.
        """
        n = columns.size
        if self._cursor >= n:
            return []
        lo = self.needed_from
        drivers = self.drill.drivers(columns, lo, n)
        events: list[tuple[int, int, RepFound | WindowRejected]] = []
        for order, (name, values) in enumerate(drivers.items()):
            track = self._tracks.setdefault(name, _Track())
            for event in self._follow_driver(columns, name, values, track, lo, n):
                events.append((event.window.decided, order, event))
        self._cursor = n
        return [event for _, _, event in sorted(events, key=lambda e: e[:2])]

    def _follow_driver(
        self, columns: Columns, name: str, values: np.ndarray, track: _Track, lo: int, n: int
    ) -> list[RepFound | WindowRejected]:
        """The excursions of driver ``name`` (``values`` from row ``lo``) ended by row ``n``."""
        s: ExcursionSettings = self.settings.excursion
        rest_rows = max(1, round(s.rest_s * self.rate_hz))
        # The rows above start_deg, found once per call: the search for the next crossing
        # after each rep is then a bisection, not a scan of the rest of the block.
        above = np.flatnonzero(values[self._cursor - lo :] > s.start_deg) + self._cursor
        events: list[RepFound | WindowRejected] = []
        first_span = span = round(FOLLOW_SPAN_S * self.rate_hz)
        i = self._cursor
        while i < n:
            if not track.active:
                k = int(np.searchsorted(above, i))
                if k == above.size:
                    break
                i = int(above[k])
                track.active, track.peak, track.rest_run, track.returned = True, i, 0, None
                track.search_lo = max(track.last_end, i - self._max_rise_rows)
                i += 1
                continue
            # A span at a time, doubling: a rep's end is looked for near its start
            # first, so a long block is not scanned again for each of its reps.
            i = self._follow(values, track, lo, i, min(n, i + span), rest_rows)
            span *= 2
            if track.valley is not None:
                # The next rep began without a rest: this one ended at the valley, and
                # the row that rose past the start is the next one's crossing.
                (end, i), track.valley = track.valley, None
                events.append(self._finish(columns, name, values, track, lo, end, i))
                span = first_span
            elif track.rest_run >= rest_rows:
                end = i - rest_rows + 1
                events.append(self._finish(columns, name, values, track, lo, end, i))
                i += 1
                span = first_span
        return events

    def _follow(
        self, values: np.ndarray, track: _Track, lo: int, i: int, n: int, rest_rows: int
    ) -> int:
        """Follow an active driver ``values`` (from row ``lo``) over rows ``i`` to ``n - 1``.

        Updates the peak row and the run of resting rows (back below ``rest_deg`` and
        still) as a row-by-row walk would, and stops at the row where that run reaches
        ``rest_rows`` (the rep ends there); returns that row, or ``n`` if none did (the
        state then carries on to the next call from row ``n``).

        Reps done back to back never rest: a driver back below ``rest_deg`` that rises
        past ``start_deg`` again before it rested began the next rep. The rep then ends
        at the lowest row between the two (``valley``: that row and the rising one,
        which is returned).
        """
        s: ExcursionSettings = self.settings.excursion
        value = values[i - lo : n - lo]
        speed = np.abs(value - values[i - 1 - lo : n - 1 - lo]) * self.rate_hz
        low = value < s.rest_deg
        resting = low & (speed < s.still_dps)
        # The run of resting rows at each row: rows since the last row not resting,
        # continuing the run carried from the last call until the first such row.
        rows = np.arange(value.size)
        last_moving = np.maximum.accumulate(np.where(resting, -1, rows))
        run = np.where(last_moving < 0, rows + (1 + track.rest_run), rows - last_moving)
        # The first row (argmax: the first True) where the run reaches rest_rows, if any.
        rested = run >= rest_rows
        stop = int(np.argmax(rested))
        ended = bool(rested[stop])
        if not ended:
            stop = value.size - 1
        rose = self._rise_after_return(value, low, track, i, stop)
        if rose is not None:
            stop = rose - i
        # This rep's rows here: the row that rose again is the next rep's (a jump there,
        # taken for this rep's peak, would put its start after its end).
        seen = value[: stop + 1] if rose is None else value[:stop]
        if seen.size:
            # The peak moves to the first of the highest rows (NaN rows never count):
            # argmax gives that row unless a row is NaN (then it gives the first NaN row).
            highest_row = int(np.argmax(seen))
            if np.isnan(seen[highest_row]):
                if (seen > values[track.peak - lo]).any():
                    track.peak = i + int(np.nanargmax(seen))
            elif seen[highest_row] > values[track.peak - lo]:
                track.peak = i + highest_row
        if rose is not None:
            assert track.returned is not None
            between = values[track.returned - lo : rose - lo]
            track.valley = (track.returned + int(np.nanargmin(between)), rose)
            return rose
        track.rest_run = int(run[stop])
        return i + stop if ended else n

    def _rise_after_return(
        self, value: np.ndarray, low: np.ndarray, track: _Track, i: int, stop: int
    ) -> int | None:
        """Where the driver rose past ``start_deg`` again after coming back below ``rest_deg``.

        The row, of those of ``value`` (row ``i`` on; ``low``: below ``rest_deg``) up to
        ``stop``; None if it did not. Records the first row back below ``rest_deg``
        (``returned``) as it is seen. (``argmax`` of a boolean array: its first True.)
        """
        s: ExcursionSettings = self.settings.excursion
        if track.returned is None:
            below = int(np.argmax(low[: stop + 1]))
            if not low[below]:
                return None
            track.returned = i + below
        after = max(track.returned - i, 0)
        if after > stop:
            return None
        rising = value[after : stop + 1] > s.start_deg
        first = int(np.argmax(rising))
        return i + after + first if rising[first] else None

    def _finish(
        self,
        columns: Columns,
        name: str,
        values: np.ndarray,
        track: _Track,
        lo: int,
        end: int,
        decided: int,
    ) -> RepFound | WindowRejected:
        s: ExcursionSettings = self.settings.excursion
        # The start: the last still row at rest before the driver rose (since its last rep).
        # (Differences and row numbers by the array methods np.diff and np.flatnonzero
        # call: their values, without the wrappers' cost on a rep's few hundred rows.)
        rising = values[track.search_lo - lo : track.peak - lo + 1]
        speed = np.abs(rising[1:] - rising[:-1]) * self.rate_hz
        (still,) = ((speed < s.still_dps) & (rising[:-1] < s.rest_deg)).nonzero()
        start = track.search_lo + (int(still[-1]) if still.size else 0)
        rep = values[start - lo : end - lo + 1]
        peak_deg = highest(rep)
        (near_peak,) = (rep >= peak_deg - s.bottom_band_deg).nonzero()
        bottom = start + int(round(0.5 * (near_peak[0] + near_peak[-1])))
        window = RepWindow(start, bottom, end, name, decided)
        track.active, track.last_end = False, end
        if peak_deg < s.min_peak_deg:
            self._reject(window)
            return WindowRejected(window, f"the driver peaked below {s.min_peak_deg:g} deg")
        # One rep is one excursion: a driver that fell well below the start and rose past
        # it again inside the window made several (a set held in a pose above the rest
        # level, as a split stance seen by the lunge).
        if _several_excursions(rep, s.start_deg, REARM_DEG):
            self._reject(window)
            return WindowRejected(window, "several excursions without a rest between them")
        view = RepView.of(columns, window)
        side, reason = self.drill.judge(view, self.settings)
        if side is None:
            self._reject(window)
            return WindowRejected(window, reason)
        self.found_windows_.append(window)
        return RepFound(window, side, drill_rep_metrics(self.drill, view, side), columns)

    def _reject(self, window: RepWindow) -> None:
        self.rejected_windows_.append(window)


def _unwrapped(angle_rad: np.ndarray) -> np.ndarray:
    """``np.unwrap(angle_rad)``; the angle itself when no step reaches half a turn.

    A rep's pelvis rotation rarely wraps, and the check costs a fraction of the unwrap.
    """
    steps = np.abs(angle_rad[1:] - angle_rad[:-1])  # np.diff's value
    if (steps < np.pi).all():  # NaN steps fail this: np.unwrap then handles them
        return angle_rad
    return np.unwrap(angle_rad)


def _several_excursions(values: np.ndarray, start_deg: float, rearm_deg: float) -> bool:
    """Whether ``values`` rise past ``start_deg`` more than once.

    A rise counts again only after the values were below ``start_deg - rearm_deg``
    (NaN is neither). That is the case exactly when a value below that lies between the
    first and the last value above ``start_deg``: one comparison over the window, not a
    sequence of levels and their changes.
    """
    (above,) = (values > start_deg).nonzero()
    if above.size < 2:
        return False
    return bool((values[above[0] : above[-1]] < start_deg - rearm_deg).any())
