"""The catalogue of per-side metrics: keys, labels, units and rounding, shared by every view.

The summary, the CSV table, the terminal text, the findings and the report all name and
round metrics from here, so a number reads the same everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sensorlab.processing.movements import drill, drill_names, rep_metric_keys


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

REP_METRICS: tuple[MetricInfo, ...] = (
    MetricInfo(
        "pelvic_drop_deg",
        "Pelvic drop",
        "°",
        ANGLE_DECIMALS,
        "largest drop of the pelvis on the side opposite the working leg, vs standing",
        short="pelvic drop",
    ),
    MetricInfo(
        "thigh_rom_deg",
        "Thigh range (depth)",
        "°",
        ANGLE_DECIMALS,
        "range of the working thigh's sagittal angle during the rep",
        short="thigh range",
    ),
    MetricInfo(
        "pelvic_tilt_range_deg",
        "Pelvic tilt excursion",
        "°",
        ANGLE_DECIMALS,
        "range of pelvic tilt during the rep (low-back compensation proxy)",
        short="tilt excursion",
    ),
    MetricInfo(
        "thigh_adduction_excursion_deg",
        "Thigh adduction under load",
        "°",
        ANGLE_DECIMALS,
        "largest move of the working thigh toward the midline under load "
        "(dynamic valgus proxy, not a knee angle)",
        short="adduction",
    ),
    MetricInfo(
        "up_duration_s",
        "Time up",
        "s",
        TIME_DECIMALS,
        "from the start of the rep to standing tall on the box",
        short="time up",
        shown_decimals=2,
    ),
    MetricInfo(
        "down_duration_s",
        "Time down",
        "s",
        TIME_DECIMALS,
        "from standing tall on the box to the end of the rep",
        short="time down",
        shown_decimals=2,
    ),
    MetricInfo(
        "peak_thigh_velocity_dps",
        "Peak thigh speed",
        "°/s",
        RATE_DECIMALS,
        "peak sagittal angular velocity of the working thigh",
        short="peak speed",
    ),
    MetricInfo(
        "pelvic_rate_rms_dps",
        "Pelvic sway (RMS rate)",
        "°/s",
        RATE_DECIMALS,
        "RMS pelvis angular rate while the working leg bears the load (lower = steadier)",
        short="sway",
    ),
)
"""Per-rep metrics, in the order the report shows them (pelvic drop first)."""

STEP_METRICS: tuple[MetricInfo, ...] = (
    MetricInfo(
        "pelvic_drop_deg",
        "Pelvic drop",
        "°",
        ANGLE_DECIMALS,
        "largest drop of the pelvis on the swing side during this leg's stance",
        short="pelvic drop",
    ),
    MetricInfo(
        "step_time_s",
        "Step time",
        "s",
        TIME_DECIMALS,
        "from the other foot's initial contact to this foot's initial contact",
        short="step time",
    ),
)
"""Per-step metrics of a walk, by the side of the foot that makes contact (stance side)."""

SIDES: tuple[str, str] = ("left", "right")


_UNITS = {"_deg": ("°", ANGLE_DECIMALS), "_s": ("s", TIME_DECIMALS), "_pct": ("%", PCT_DECIMALS)}


def drill_metric_info(activity: str, key: str) -> MetricInfo:
    """The :class:`MetricInfo` of a standing drill's metric, from the drill's module.

    Its label and help in :mod:`sensorlab.processing.movements`, its unit from the key's suffix.
    """
    label, help_text = drill(activity).METRICS[key]
    unit, decimals = next(u for suffix, u in _UNITS.items() if key.endswith(suffix))
    return MetricInfo(key, label, unit, decimals, help_text, short=label.lower())


DRILL_TEMPO_METRICS: tuple[MetricInfo, ...] = (
    MetricInfo(
        "down_duration_s",
        "Time down",
        "s",
        TIME_DECIMALS,
        "from the start of the rep to the middle of its bottom",
        short="time down",
        shown_decimals=2,
    ),
    MetricInfo(
        "up_duration_s",
        "Time up",
        "s",
        TIME_DECIMALS,
        "from the middle of the bottom to the end of the rep",
        short="time up",
        shown_decimals=2,
    ),
    MetricInfo(
        "pelvic_rate_rms_dps",
        "Pelvic sway (RMS rate)",
        "°/s",
        RATE_DECIMALS,
        "RMS pelvis angular rate over the rep (lower = steadier)",
        short="sway",
    ),
)
"""The tempo and steadiness every standing drill's rep keeps (``docs/drills.md``)."""


def is_bilateral(activity: str | None) -> bool:
    """True for a drill whose reps work both sides at once (``squat``)."""
    return activity in drill_names() and hasattr(drill(activity), "BILATERAL")


def rep_metrics_for(activity: str | None) -> tuple[MetricInfo, ...]:
    """The per-rep metrics of ``activity``'s reps, in the order views show them.

    A standing drill's own and then the tempo; the step-up's otherwise.
    """
    if activity not in drill_names():
        return REP_METRICS
    keys = rep_metric_keys(activity)
    return (*(drill_metric_info(activity, k) for k in keys), *DRILL_TEMPO_METRICS)


def per_side_metrics_for(activity: str | None) -> tuple[MetricInfo, ...]:
    """The per-side metrics of ``activity`` (the summary's ``sides`` and ``symmetry``).

    A unilateral drill's per-rep metrics with its tempo, by working side; a bilateral
    drill's per-side ones (``depth_deg``); a walk's per-step metrics; the step-up's.
    """
    if activity == "walk":
        return STEP_METRICS
    if activity not in drill_names():
        return REP_METRICS
    keys = drill(activity).PER_SIDE_METRICS
    infos = tuple(drill_metric_info(activity, k) for k in keys)
    return infos if is_bilateral(activity) else (*infos, *DRILL_TEMPO_METRICS)


def key_metrics_for(activity: str, count: int = 4) -> tuple[MetricInfo, ...]:
    """A drill's first ``count`` own per-side metrics (not the tempo every rep keeps).

    What the per-side charts and the live symmetry bars show.
    """
    own = drill(activity).PER_SIDE_METRICS
    return tuple(m for m in per_side_metrics_for(activity) if m.key in own)[:count]


def drill_rep_brief(activity: str, metrics: dict[str, float], count: int = 2) -> str:
    """A drill rep's first ``count`` metrics in a few words (``depth, left 81.2°, ...``)."""
    infos = rep_metrics_for(activity)[:count]
    return ", ".join(f"{info.short} {info.fmt(metrics.get(info.key))}" for info in infos)


def metric_info(key: str, activity: str | None = None) -> MetricInfo:
    """The :class:`MetricInfo` of ``key``.

    A standing drill's own (``activity``) where it has one, else the rep metrics', then the step
    metrics'.
    """
    if activity in drill_names():
        try:
            return drill_metric_info(activity, key)
        except KeyError:
            for info in DRILL_TEMPO_METRICS:
                if info.key == key:
                    return info
    for info in (*REP_METRICS, *STEP_METRICS):
        if info.key == key:
            return info
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


ACTIVITY_NAMES: dict[str, str] = {"step_up": "Step-up", "walk": "Walk"}
"""Names for people of the activities that are not standing drills (a drill's is its
module's ``TITLE``)."""


STEP_UP_SIDE_PHRASE = "led by the {side} leg"
"""A step-up rep of ``side`` in words (the drills' own are their ``SIDE_PHRASE``)."""


def working_side(activity: str | None) -> str:
    """What names a rep's side, in words: a drill's ``WORKING_SIDE``, else the lead leg."""
    return drill(activity).WORKING_SIDE if activity in drill_names() else "lead leg"


def side_phrase(activity: str | None, side: str) -> str | None:
    """A rep of ``side`` in the activity's words ("with the left leg in front").

    ``None`` for a bilateral drill, whose reps have no side.
    """
    if is_bilateral(activity):
        return None
    phrase = drill(activity).SIDE_PHRASE if activity in drill_names() else STEP_UP_SIDE_PHRASE
    return phrase.format(side=side)


def rep_side_words(activity: str | None, side: str) -> str:
    """A rep's side in a few words: ``left lead`` (step-ups), ``left front leg``, ``both legs``."""
    if activity not in drill_names():
        return f"{side} lead"
    leg = working_side(activity)
    return leg if side == "both" else f"{side} {leg}"


def activity_name(activity: str | None) -> str:
    """Human name of an activity code (``step_up`` -> ``Step-up``)."""
    if not activity:
        return "Unknown activity"
    if activity in drill_names():
        return str(drill(activity).TITLE)
    return ACTIVITY_NAMES.get(activity, activity.replace("_", " ").capitalize())
