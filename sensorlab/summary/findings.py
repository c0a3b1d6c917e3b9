"""Plain-language findings from a session summary: observations, never diagnoses.

Each per-side metric of ``summary["symmetry"]`` is graded by its Robinson symmetry index
(positive = right larger):

- ``balanced``: ``|SI| < 10 %``, or the two sides differ by less than the metric's
  smallest meaningful difference (:func:`min_difference`, about the measurement noise:
  a 0.6 deg gap between 0.8 deg and 1.4 deg of drop is not a finding, whatever its SI);
- ``borderline``: ``10 % <= |SI| <= 15 %``;
- ``notable``: ``|SI| > 15 %``;
- ``unavailable``: a side has no value.

A finding is one observation sentence with the numbers, then one sentence on what the
pattern is *consistent with*. Only borderline and notable metrics are stated; when every
compared metric is balanced a single overall line says so.

No finding is stated at all (:func:`findings_withheld` says why, and the summary lists it
among the warnings) when the data cannot support one:

- a recorded sensor misses more than :data:`MAX_MISSING_PCT` of its samples
  (``missing_pct`` of ``summary["quality"]``: samples lost by its counter, or short of
  the recording's length at its rate, whichever is more; a sensor without any sample is
  a smaller sensor set, not a loss);
- a sensor's calibration quality is below :data:`MIN_CALIBRATION_QUALITY`;
- the activity is not what the movement looks like (``activity_basis`` ``contradicted``),
  was guessed from the reps or steps of an unrecognised movement (``guessed``), or is
  not analysed (``not_analysed``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from sensorlab.processing.movements import drill_names, movement, movement_names
from sensorlab.processing.movements.base import SHARED_MIN_DIFFERENCE, TEMPO_FINDINGS
from sensorlab.summary.metrics import (
    STEP_METRICS,
    MetricInfo,
    metric_info,
    per_side_metrics_for,
    side_phrase,
)

NEUTRAL_SI_PCT = 10.0
"""Below this ``|SI|`` (percent) a metric is balanced."""

NOTABLE_SI_PCT = 15.0
"""Above this ``|SI|`` (percent) a metric is notable; in between it is borderline."""

LEVELS = ("notable", "borderline", "balanced", "unavailable")

MAX_MISSING_PCT = 20.0
"""A sensor missing more than this share of its samples (percent) withholds every finding:
a fifth of the data gone leaves reps and steps partly reconstructed or missing, so their
means may stand for only some of the session."""

MIN_CALIBRATION_QUALITY = 0.4
"""A sensor calibrated below this quality (0..1, :attr:`SensorCalibration.quality`)
withholds every finding: below it the standing pose's specific force varied by more than
60 % of what counts as not quiet at all (0.09 of 0.15 m/s^2 SD), or the movement barely
defined the sensor's heading (axis quality under 0.4, just above the 0.3 at which the
nominal heading is kept), so angles may carry errors of the size of the asymmetries
reported. The report calls 0.4-0.5 "poor" but still states findings there."""

_BASIS_REASONS = {
    "contradicted": "the movement is not the activity analysed (see the warnings)",
    "guessed": "the movement was not recognised, so the activity is a guess",
    "not_analysed": "the movement is not an analysed activity",
}

_SENTENCE_DECIMALS = {"°": 1, "s": 2, "°/s": 1}


@dataclass(frozen=True)
class Finding:
    """One graded left-right comparison.

    Attributes
    ----------
    metric : str
        Metric key (``pelvic_drop_deg``...).
    level : str
        ``notable``, ``borderline``, ``balanced`` or ``unavailable``.
    left, right : float or None
        Per-side means, in the metric's unit.
    si_pct : float or None
        Robinson symmetry index, percent, positive = right larger.
    observation : str
        What was measured, with the numbers ("When the right leg works, ...").
    interpretation : str
        What the pattern is consistent with; empty for balanced or unavailable.
    """

    metric: str
    level: str
    left: float | None
    right: float | None
    si_pct: float | None
    observation: str
    interpretation: str = ""

    @property
    def text(self) -> str:
        """Observation and interpretation as one paragraph."""
        return f"{self.observation} {self.interpretation}".strip()

    @property
    def within_noise(self) -> bool:
        """Balanced only because the difference is below :func:`min_difference`.

        The symmetry index alone would count as borderline or notable.
        """
        return self.level == "balanced" and classify_si(self.si_pct) in ("borderline", "notable")


def classify_si(
    si_pct: float | None,
    *,
    neutral_si_pct: float = NEUTRAL_SI_PCT,
    notable_si_pct: float = NOTABLE_SI_PCT,
) -> str:
    """Grade a symmetry index: ``balanced``, ``borderline``, ``notable`` or ``unavailable``.

    Parameters
    ----------
    si_pct : float or None
        Robinson symmetry index in percent.
    neutral_si_pct, notable_si_pct : float
        ``|SI| < neutral`` is balanced, ``|SI| > notable`` notable, borderline between.
    """
    if si_pct is None or not math.isfinite(si_pct):
        return "unavailable"
    size = abs(si_pct)
    if size < neutral_si_pct:
        return "balanced"
    if size <= notable_si_pct:
        return "borderline"
    return "notable"


def min_difference(metric: str, activity: str | None = None) -> float:
    """The smallest left-right difference of ``metric`` that can count, in its unit.

    The movement's (``activity``) ``MIN_DIFFERENCE``; a standing drill's shared metrics'
    from :data:`~sensorlab.processing.movements.base.SHARED_MIN_DIFFERENCE`; for an
    unknown activity, the step-up's or the walk's. 0 when none has one.
    """
    if activity in drill_names():
        tables = [movement(str(activity)).MIN_DIFFERENCE, SHARED_MIN_DIFFERENCE]
    elif activity in movement_names():
        tables = [movement(str(activity)).MIN_DIFFERENCE]
    else:
        tables = [movement("step_up").MIN_DIFFERENCE, movement("walk").MIN_DIFFERENCE]
    return float(next((t[metric] for t in tables if metric in t), 0.0))


def _movement(activity: str | None, walk: bool) -> ModuleType:
    """The movement whose words state ``activity``'s findings.

    A standing drill's own; else a walk's for a session of steps (``walk``); else the
    step-up's.
    """
    if activity in drill_names():
        return movement(str(activity))
    return movement("walk" if walk else "step_up")


def grade(
    metric: str,
    left: float | None,
    right: float | None,
    si_pct: float | None,
    activity: str | None = None,
) -> str:
    """Level of one metric's asymmetry, with the smallest meaningful difference applied.

    Parameters
    ----------
    metric : str
        Metric key, for :func:`min_difference`.
    left, right : float or None
        Per-side means.
    si_pct : float or None
        Their Robinson symmetry index, percent.
    activity : str, optional
        The session's activity: its movement's smallest differences apply.
    """
    if left is None or right is None:
        return "unavailable"
    diff = abs(right - left)
    floor = min_difference(metric, activity)
    if diff < floor or diff == 0:
        return "balanced"
    if si_pct is None:
        # Values of opposite sign that nearly cancel: the SI is undefined, the gap is not.
        return "notable" if diff >= 2 * floor else "borderline"
    return classify_si(si_pct)


def _v(info: MetricInfo, value: float) -> str:
    decimals = _SENTENCE_DECIMALS.get(info.unit, 1)
    sep = "" if info.unit == "°" else " "
    return f"{value:.{decimals}f}{sep}{info.unit}"


def _si(si_pct: float | None) -> str:
    return "SI not defined: values of opposite sign" if si_pct is None else f"SI {si_pct:+.0f}%"


_GENERIC_TEMPLATES = (
    "{label} is larger on the {big}: {bv} against {sv} on the {small} ({si}).",
    "a left-right difference in this measure",
)
"""For a metric without templates of its own in the session's kind."""


def _fields(
    info: MetricInfo,
    left: float,
    right: float,
    si_pct: float | None,
    activity: str | None,
    walk: bool,
) -> dict[str, str]:
    """What the templates may name, with ``big`` the side with the larger mean."""
    big, small = ("right", "left") if right > left else ("left", "right")
    big_value, small_value = (right, left) if big == "right" else (left, right)
    sv = _v(info, small_value)
    where = f"during {small} stance" if walk else "the other way"
    return {
        "big": big,
        "small": small,
        "bv": _v(info, big_value),
        "sv": sv,
        "si": _si(si_pct),
        "label": info.label,
        # Pelvic drop: a smaller side at or below zero did not drop at all.
        "small_drop": f"no drop {where} ({sv})" if small_value <= 0 else f"{sv} {where}",
        # A rep of each side in the drill's words ("with the right leg in front").
        "big_phrase": side_phrase(activity, big) or "",
        "small_phrase": side_phrase(activity, small) or "",
    }


def _templates(activity: str | None, walk: bool) -> dict[str, tuple[str, str]]:
    """The finding templates of the session's movement.

    A standing drill's own, after the tempo's
    (:data:`~sensorlab.processing.movements.base.TEMPO_FINDINGS`); the step-up's or the
    walk's.
    """
    own = _movement(activity, walk).FINDINGS
    return {**TEMPO_FINDINGS, **own} if activity in drill_names() else dict(own)


def _finding(metric: str, entry: dict[str, Any], activity: str | None, walk: bool) -> Finding:
    left, right, si_pct = entry.get("left"), entry.get("right"), entry.get("si_pct")
    level = grade(metric, left, right, si_pct, activity)
    if left is None or right is None:  # graded "unavailable"
        return Finding(metric, level, left, right, si_pct, "")
    info = metric_info(metric, activity)
    if level == "balanced":
        obs = (
            f"{info.label}: balanced ({_v(info, left)} left, {_v(info, right)} right, "
            f"{_si(si_pct)})."
        )
        return Finding(metric, level, left, right, si_pct, obs)
    templates = _templates(activity, walk).get(metric, _GENERIC_TEMPLATES)
    fields = _fields(info, left, right, si_pct, activity, walk)
    observation, hint = (template.format(**fields) for template in templates)
    if level == "notable":
        interpretation = f"This is consistent with {hint}."
    else:
        interpretation = (
            f"A borderline difference; if it persists it would be consistent with {hint}."
        )
    return Finding(metric, level, left, right, si_pct, observation, interpretation)


def findings_withheld(summary: dict) -> list[str]:
    """Why no finding may be stated for ``summary``, or ``[]`` when findings stand.

    Parameters
    ----------
    summary : dict
        As built by :func:`sensorlab.summary.summary.build_summary`.

    Returns
    -------
    list of str
        One plain reason per problem (activity, each sensor's missing data, each
        sensor's calibration), with the numbers and the threshold.
    """
    reasons = []
    basis = summary.get("activity_basis")
    if basis in _BASIS_REASONS:
        reasons.append(_BASIS_REASONS[basis])
    for placement, quality in (summary.get("quality") or {}).items():
        if quality.get("samples") == 0:
            continue  # not recorded at all: a smaller sensor set, not a lossy one
        missing = quality.get("missing_pct")
        if missing is None:
            missing = quality.get("lost_pct")
        if missing is not None and missing > MAX_MISSING_PCT:
            reasons.append(
                f"{placement} misses {missing:.0f}% of its samples "
                f"(more than {MAX_MISSING_PCT:.0f}%)"
            )
        calibration = quality.get("calibration_quality")
        if calibration is not None and calibration < MIN_CALIBRATION_QUALITY:
            reasons.append(
                f"{placement} calibration quality {calibration:.2f} "
                f"(below {MIN_CALIBRATION_QUALITY:.2f})"
            )
    return reasons


def withheld_sentence(reasons: list[str]) -> str:
    """The line stated instead of findings.

    E.g. "No finding is stated: pelvis misses 30% of its samples (more than 20%).".
    """
    return f"No finding is stated: {'; '.join(reasons)}."


def session_findings(summary: dict) -> list[Finding]:
    """Grade every per-side metric of ``summary["symmetry"]``.

    Parameters
    ----------
    summary : dict
        As built by :func:`sensorlab.summary.summary.build_summary`.

    Returns
    -------
    list of Finding
        Notable first, then borderline, balanced and unavailable; within a level in the
        catalogue's order (pelvic drop first).
    """
    walk = summary.get("gait") is not None or summary.get("activity") == "walk"
    order = [
        m.key for m in (STEP_METRICS if walk else per_side_metrics_for(summary.get("activity")))
    ]
    symmetry = summary.get("symmetry") or {}
    keys = [k for k in order if k in symmetry] + [k for k in symmetry if k not in order]
    found = [
        _finding(key, symmetry[key], summary.get("activity"), walk)
        for key in keys
        if isinstance(symmetry[key], dict)
    ]
    return sorted(found, key=lambda f: LEVELS.index(f.level))


def finding_sentences(summary: dict) -> list[str]:
    """The findings to show: each borderline or notable one, or one overall line.

    Parameters
    ----------
    summary : dict
        As built by :func:`sensorlab.summary.summary.build_summary`.

    Returns
    -------
    list of str
        Plain-language paragraphs, most notable first. When nothing is borderline or
        notable, a single line saying the sides are balanced (or could not be compared);
        when findings are withheld (:func:`findings_withheld`), a single line saying why.
    """
    withheld = findings_withheld(summary)
    if withheld:
        return [withheld_sentence(withheld)]
    graded = session_findings(summary)
    flagged = [f.text for f in graded if f.level in ("notable", "borderline")]
    if flagged:
        return flagged
    unit = "steps" if summary.get("gait") is not None else "reps"
    if any(f.level == "balanced" for f in graded):
        return [
            "Left and right are balanced on every measure compared "
            f"(all |SI| below {NEUTRAL_SI_PCT:.0f}% or differences within measurement noise)."
        ]
    return [f"Left and right could not be compared: that needs {unit} on both sides."]


def main_finding(summary: dict) -> str:
    """The single most important finding sentence (the first of :func:`finding_sentences`)."""
    return finding_sentences(summary)[0]


def _number_ranges(numbers: list[int]) -> str:
    """``[3, 4, 5, 6, 9]`` -> ``"3–6, 9"`` (en dash between the ends of a run)."""
    parts: list[str] = []
    run_start = previous = None
    for n in [*sorted(numbers), None]:
        if previous is not None and n == previous + 1:
            previous = n
            continue
        if run_start is not None:
            parts.append(str(run_start) if run_start == previous else f"{run_start}–{previous}")
        run_start = previous = n
    return ", ".join(parts)


MAX_LISTED_RANGES = 6
"""A data-gap note names the affected reps when they fit in this many runs."""


def data_gap_reps(summary: dict) -> list[dict]:
    """The reps of ``summary`` with lost data (``data_gap_s`` above zero), in order."""
    return [r for r in summary.get("reps", []) if (r.get("data_gap_s") or 0.0) > 0.0]


def _data_gap_items(summary: dict) -> tuple[str, list[dict], list[int]]:
    """``("rep" or "step", items with lost data, their 1-based numbers)``."""
    if summary.get("reps"):
        gaps = data_gap_reps(summary)
        return "rep", gaps, [int(r["index"]) + 1 for r in gaps]
    steps = summary.get("steps", [])
    numbered = [(i + 1, s) for i, s in enumerate(steps) if (s.get("data_gap_s") or 0.0) > 0.0]
    return "step", [s for _, s in numbered], [n for n, _ in numbered]


def _seconds(value: float) -> str:
    return f"{value:.1f}" if value >= 0.095 else f"{value:.2f}"


def data_gap_note(summary: dict) -> str | None:
    """One sentence on reps (or steps) whose data were partly lost.

    ``None`` when there are none.

    A rep's or step's ``data_gap_s`` counts the time within it when some sensor's data
    were lost (bridged or missing); above zero, its metrics are partly estimates. Those
    marked ``left_out`` (too much lost) are named as left out of the means. E.g. "2 reps
    contain lost data (reps 3 and 5, 0.3–1.5 s each); their metrics are estimates; 1 of
    them is left out of the means, symmetry and findings."
    """
    unit, gaps, numbers = _data_gap_items(summary)
    if not gaps:
        return None
    n = len(gaps)
    ranges = _number_ranges(numbers)
    if n == 2 and "–" not in ranges:
        ranges = ranges.replace(", ", " and ")
    details = []
    if ranges.count(",") < MAX_LISTED_RANGES:
        details.append(f"{unit if n == 1 else unit + 's'} {ranges}")
    low, high = (
        _seconds(min(r["data_gap_s"] for r in gaps)),
        _seconds(max(r["data_gap_s"] for r in gaps)),
    )
    n_out = sum(bool(r.get("left_out")) for r in gaps)
    left_out = ""
    if n_out:
        left_out = (
            f"; {n_out} of them {'is' if n_out == 1 else 'are'} left out of the means, "
            "symmetry and findings"
            if n > 1
            else "; it is left out of the means, symmetry and findings"
        )
    if n == 1:
        details.append(f"{low} s")
        return (
            f"1 {unit} contains lost data ({', '.join(details)}); its metrics are "
            f"estimates{left_out}."
        )
    details.append(f"{low} s each" if low == high else f"{low}–{high} s each")
    return (
        f"{n} {unit}s contain lost data ({', '.join(details)}); their metrics are "
        f"estimates{left_out}."
    )
