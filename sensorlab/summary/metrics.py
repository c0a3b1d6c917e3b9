"""The catalogue of per-side metrics: keys, labels, units and rounding, shared by every view.

The summary, the CSV table, the terminal text, the findings and the report all name and
round metrics from here, so a number reads the same everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType

from sensorlab.processing.movements import (
    drill,
    drill_names,
    movement,
    movement_names,
    rep_metric_keys,
)
from sensorlab.processing.movements.base import TEMPO_METRICS, MetricText


@dataclass(frozen=True)
class MetricInfo:
    """How one per-side metric is named, shown and rounded.

    Attributes
    ----------
    key : str
        Field name in ``summary.json`` and :class:`sensorlab.records.RepResult` /
        :class:`~sensorlab.records.StepResult`; the unit is its suffix.
    label : str
        Short human name ("Pelvic drop").
    unit : str
        Unit symbol for display ("°", "s", "°/s").
    decimals : int
        Decimal places kept in the summary and shown in tables.
    help : str
        One-line explanation for tables and the report's legend.
    short : str
        Column heading for narrow tables ("drop").
    shown_decimals : int or None
        Decimal places shown to people when fewer than ``decimals`` make sense (rep
        durations are whole 10 ms grid steps); ``None`` shows ``decimals``.
    """

    key: str
    label: str
    unit: str
    decimals: int
    help: str
    short: str = ""
    shown_decimals: int | None = None

    @property
    def display_decimals(self) -> int:
        """Decimal places for display (tables, text, figures)."""
        return self.decimals if self.shown_decimals is None else self.shown_decimals

    def fmt(self, value: float | None, *, signed: bool = False) -> str:
        """``value`` with this metric's display decimals and unit.

        An em dash when missing.
        """
        if value is None or not math.isfinite(value):
            return "—"
        sign = "+" if signed else ""
        sep = "" if self.unit == "°" else " "
        return f"{value:{sign}.{self.display_decimals}f}{sep}{self.unit}"


ANGLE_DECIMALS = 1
TIME_DECIMALS = 3
RATE_DECIMALS = 1
PCT_DECIMALS = 1

_UNITS = {
    "_deg": ("°", ANGLE_DECIMALS),
    "_dps": ("°/s", RATE_DECIMALS),
    "_s": ("s", TIME_DECIMALS),
    "_pct": ("%", PCT_DECIMALS),
}
"""Unit symbol and decimals kept, by the key's suffix."""

SIDES: tuple[str, str] = ("left", "right")


def _catalogue(activity: str | None) -> ModuleType:
    """The movement whose words name ``activity``'s metrics: its own, else the step-up's."""
    return movement(activity if activity in movement_names() else "step_up")


def _info(key: str, text: MetricText | tuple[str, str]) -> MetricInfo:
    """The :class:`MetricInfo` of ``key`` from its :class:`MetricText` (a movement's words)."""
    words = MetricText(*text)
    unit, decimals = next(u for suffix, u in _UNITS.items() if key.endswith(suffix))
    return MetricInfo(
        key,
        words.label,
        unit,
        decimals,
        words.help,
        short=words.short or words.label.lower(),
        shown_decimals=words.shown_decimals,
    )


def movement_metric_info(activity: str, key: str) -> MetricInfo:
    """The :class:`MetricInfo` of a movement's metric (a drill's tempo included).

    Its words in :mod:`sensorlab.processing.movements`, its unit from the key's suffix.

    Raises
    ------
    KeyError
        When the movement has no such metric.
    """
    own = movement(activity).METRICS
    if key in own:
        return _info(key, own[key])
    if activity in drill_names() and key in TEMPO_METRICS:
        return _info(key, TEMPO_METRICS[key])
    raise KeyError(f"{activity} has no metric {key!r}")


STEP_UP_METRICS: tuple[MetricInfo, ...] = tuple(
    movement_metric_info("step_up", k) for k in movement("step_up").PER_SIDE_METRICS
)
"""The step-up's per-rep metrics, in the order views show them (pelvic drop first): the
columns of the v1 reps table, and the catalogue of an unknown activity's reps."""

STEP_METRICS: tuple[MetricInfo, ...] = tuple(
    movement_metric_info("walk", k) for k in movement("walk").PER_SIDE_METRICS
)
"""Per-step metrics of a walk, by the side of the foot that makes contact (stance side)."""

DRILL_TEMPO_METRICS: tuple[MetricInfo, ...] = tuple(_info(k, t) for k, t in TEMPO_METRICS.items())
"""The tempo and steadiness every standing drill's rep keeps (``docs/drills.md``)."""


def is_bilateral(activity: str | None) -> bool:
    """True for a drill whose reps work both sides at once (``squat``)."""
    return activity in drill_names() and hasattr(drill(activity), "BILATERAL")


def rep_metrics_for(activity: str | None) -> tuple[MetricInfo, ...]:
    """The per-rep metrics of ``activity``'s reps, in the order views show them.

    A standing drill's own and then the tempo; the step-up's otherwise.
    """
    if activity not in drill_names():
        return STEP_UP_METRICS
    keys = rep_metric_keys(activity)
    return (*(movement_metric_info(activity, k) for k in keys), *DRILL_TEMPO_METRICS)


def per_side_metrics_for(activity: str | None) -> tuple[MetricInfo, ...]:
    """The per-side metrics of ``activity`` (the summary's ``sides`` and ``symmetry``).

    A unilateral drill's per-rep metrics with its tempo, by working side; a bilateral
    drill's per-side ones (``depth_deg``); the step-up's or the walk's own; the step-up's
    for an unknown activity.
    """
    module = _catalogue(activity)
    infos = tuple(movement_metric_info(module.NAME, k) for k in module.PER_SIDE_METRICS)
    if activity in drill_names() and not is_bilateral(activity):
        return (*infos, *DRILL_TEMPO_METRICS)
    return infos


def key_metrics_for(activity: str | None, count: int = 4) -> tuple[MetricInfo, ...]:
    """The movement's first ``count`` own per-side metrics (not a drill's tempo).

    What the per-side charts, the terminal text and the live symmetry bars show first; the
    step-up's for an unknown activity.
    """
    own = _catalogue(activity).PER_SIDE_METRICS
    return tuple(m for m in per_side_metrics_for(activity) if m.key in own)[:count]


def drill_rep_brief(activity: str, metrics: dict[str, float], count: int = 2) -> str:
    """A drill rep's first ``count`` metrics in a few words (``depth, left 81.2°, ...``)."""
    infos = rep_metrics_for(activity)[:count]
    return ", ".join(f"{info.short} {info.fmt(metrics.get(info.key))}" for info in infos)


def metric_info(key: str, activity: str | None = None) -> MetricInfo:
    """The :class:`MetricInfo` of ``key``.

    The movement's own (``activity``) where it has one, else the step-up's, then the
    walk's.

    Raises
    ------
    KeyError
        When none has a metric ``key``.
    """
    names = (activity, "step_up", "walk") if activity in movement_names() else ("step_up", "walk")
    for name in names:
        try:
            return movement_metric_info(str(name), key)
        except KeyError:
            continue
    raise KeyError(f"unknown metric {key!r}")


def round_or_none(value: float | None, decimals: int) -> float | None:
    """``value`` rounded to ``decimals`` places as a plain float; ``None`` for None/NaN/inf."""
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        return None
    rounded = round(value, decimals)
    return 0.0 if rounded == 0 else rounded  # no "-0.0" in the JSON


def format_si(si_pct: float | None) -> str:
    """A symmetry index for tables: ``+12.3%``, or an em dash when it is undefined."""
    return "—" if si_pct is None else f"{si_pct:+.1f}%"


def format_duration(duration_s: float | None) -> str:
    """A duration for people: ``"48.2 s"``, ``"3 min 02 s"`` or ``"1 h 05 min"``."""
    if duration_s is None or not math.isfinite(duration_s):
        return "—"
    if duration_s < 60:
        return f"{duration_s:.1f} s"
    total_s = round(duration_s)
    if total_s < 3600:
        return f"{total_s // 60} min {total_s % 60:02d} s"
    return f"{total_s // 3600} h {total_s % 3600 // 60:02d} min"


def working_side(activity: str | None) -> str:
    """What names a rep's side, in words: the movement's ``WORKING_SIDE`` (the lead leg)."""
    return str(_catalogue(activity).WORKING_SIDE)


def side_phrase(activity: str | None, side: str) -> str | None:
    """A rep of ``side`` in the activity's words ("with the left leg in front").

    ``None`` for a bilateral drill, whose reps have no side.
    """
    if is_bilateral(activity):
        return None
    return str(_catalogue(activity).SIDE_PHRASE).format(side=side)


def rep_side_words(activity: str | None, side: str) -> str:
    """A rep's side in a few words: ``left lead`` (step-ups), ``left front leg``, ``both legs``."""
    if activity not in drill_names():
        return f"{side} lead"
    leg = working_side(activity)
    return leg if side == "both" else f"{side} {leg}"


def activity_name(activity: str | None) -> str:
    """Human name of an activity code (``step_up`` -> ``Step-up``): a movement's ``TITLE``."""
    if not activity:
        return "Unknown activity"
    if activity in movement_names():
        return str(movement(activity).TITLE)
    return activity.replace("_", " ").capitalize()
