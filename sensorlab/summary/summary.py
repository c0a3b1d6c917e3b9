"""``summary.json``: the session summary contract (``docs/formats.md``, v1).

:func:`build_summary` turns a :class:`~sensorlab.records.SessionAnalysis` into a plain,
JSON-ready dict; :func:`write_summary` writes it. Contract fields keep their names and
meanings; sensorlab's additions (extensions) are listed in :func:`build_summary`.

Rounding: angles 0.1 deg, times 0.001 s, angular rates 0.1 deg/s, percentages 0.1 %.
``si_pct`` is computed from the *rounded* per-side means written beside it, so the file
is self-consistent (as in the contract's example). Missing or undefined numbers are
``null``, never NaN.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from sensorlab.io.writer import write_atomically
from sensorlab.processing.activity import COUNTED_BASES, LIFT_KINDS, Movement
from sensorlab.processing.movements import side_value
from sensorlab.processing.symmetry import robinson_si_pct, side_stats
from sensorlab.records import AnyRep, DrillRepResult, SensorQuality, SessionAnalysis, StepResult
from sensorlab.summary.findings import findings_withheld, withheld_sentence
from sensorlab.summary.metrics import (
    ANGLE_DECIMALS,
    PCT_DECIMALS,
    SIDES,
    STEP_METRICS,
    TIME_DECIMALS,
    MetricInfo,
    is_bilateral,
    per_side_metrics_for,
    rep_metrics_for,
    round_or_none,
)

SUMMARY_FORMAT = "sensorlab-summary"
SUMMARY_VERSION = 1
PLACEMENT_ORDER = ("pelvis", "left_thigh", "right_thigh")
REGULARITY_DECIMALS = 3


def is_gait_session(analysis: SessionAnalysis) -> bool:
    """True for walks: activity ``walk``, or steps and no reps."""
    return analysis.activity == "walk" or (not analysis.reps and bool(analysis.steps))


def _rep_dict(rep: AnyRep) -> dict[str, Any]:
    out: dict[str, Any] = {
        "index": int(rep.index),
        "set": int(rep.set_index),
        "activity": rep.activity,
        "side": rep.side,
        "t_start": round_or_none(rep.t_start, TIME_DECIMALS),
        "t_end": round_or_none(rep.t_end, TIME_DECIMALS),
    }
    for info in rep_metrics_for(rep.activity):
        out[info.key] = round_or_none(rep.value(info.key), info.decimals)
    out["data_gap_s"] = round_or_none(rep.data_gap_s, TIME_DECIMALS)
    out["left_out"] = bool(rep.left_out)
    return out


def _step_dict(step: StepResult) -> dict[str, Any]:
    return {
        "side": step.side,
        "t": round_or_none(step.t, TIME_DECIMALS),
        "pelvic_drop_deg": round_or_none(step.pelvic_drop_deg, ANGLE_DECIMALS),
        "step_time_s": round_or_none(step.step_time_s, TIME_DECIMALS),
        "data_gap_s": round_or_none(step.data_gap_s, TIME_DECIMALS),
        "left_out": bool(step.left_out),
    }


def left_out_warning(items: Sequence[AnyRep | StepResult], unit: str) -> list[str]:
    """The warning naming the reps or steps left out for lost data (none when none are).

    ``unit`` is ``rep`` or ``step``; numbers are 1-based, as people count.
    """
    numbers = [i + 1 for i, item in enumerate(items) if item.left_out]
    if not numbers:
        return []
    listed = ", ".join(str(n) for n in numbers[:10]) + (", ..." if len(numbers) > 10 else "")
    plural = "s" if len(numbers) > 1 else ""
    return [
        f"{len(numbers)} {unit}{plural} of {len(items)} left out of the per-side means, "
        f"symmetry and findings for lost data ({unit}{plural} {listed}): too much of the "
        "data was lost in them, or a sensor had not recovered from a long loss yet; "
        "they are still listed, with data_gap_s"
    ]


def _stats_dict(values: Iterable[float | None], info: MetricInfo) -> dict[str, Any]:
    stats = side_stats(values)
    return {
        "mean": round_or_none(stats.mean, info.decimals),
        "sd": round_or_none(stats.sd, info.decimals),
        "cv_pct": round_or_none(stats.cv_pct, PCT_DECIMALS),
        "n": stats.n,
    }


def _symmetry_entry(left: float | None, right: float | None) -> dict[str, Any]:
    return {
        "left": left,
        "right": right,
        "si_pct": round_or_none(robinson_si_pct(left, right), PCT_DECIMALS),
    }


def event_value(event: AnyRep | StepResult, key: str, side: str) -> float:
    """What a rep or step of ``side`` (or a bilateral rep) gives ``side``'s metric ``key``.

    A bilateral drill's rep gives each side its own value; NaN where there is none (a
    bout's first step has no step time).
    """
    if isinstance(event, StepResult):
        value = getattr(event, key)
        return math.nan if value is None else float(value)
    if isinstance(event, DrillRepResult):
        return side_value(event.activity, event.metrics, key, event.side, side)
    return event.value(key)


def side_values(
    events: Sequence[AnyRep] | Sequence[StepResult], key: str, side: str
) -> list[float]:
    """The values of the per-side metric ``key`` that ``events`` give ``side``.

    A step or a unilateral rep counts for its own side (its working leg); a bilateral
    drill's rep counts for both, each with its own value (:func:`event_value`). Reps or
    steps marked ``left_out`` (lost data) do not count.
    """
    return [
        event_value(event, key, side)
        for event in events
        if not event.left_out and event.side in (side, "both")
    ]


def _per_side(
    events: Sequence[AnyRep] | Sequence[StepResult], metrics: Sequence[MetricInfo]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Per-side stats of each metric, and the symmetry entry built from their means.

    Reps or steps marked ``left_out`` (lost data) do not count.
    """
    sides: dict[str, dict[str, Any]] = {side: {} for side in SIDES}
    symmetry: dict[str, dict[str, Any]] = {}
    for info in metrics:
        for side in SIDES:
            sides[side][info.key] = _stats_dict(side_values(events, info.key, side), info)
        symmetry[info.key] = _symmetry_entry(
            sides["left"][info.key]["mean"], sides["right"][info.key]["mean"]
        )
    return sides, symmetry


def _gait_dict(analysis: SessionAnalysis, step_sides: dict[str, dict[str, Any]]) -> dict:
    gait = analysis.gait
    if gait is None:
        # A walk without gait measures (e.g. no steps found): counts from the step list.
        counts = {side: sum(s.side == side for s in analysis.steps) for side in SIDES}
        step_time = {side: step_sides[side]["step_time_s"]["mean"] for side in SIDES}
        return {
            "steps": counts,
            "cadence_spm": None,
            "step_time_s": {**step_time, "si_pct": _symmetry_entry(**step_time)["si_pct"]},
            "step_regularity": None,
            "stride_regularity": None,
            "walking_s": None,
        }
    step_time = {side: round_or_none(gait.step_time_s.get(side), TIME_DECIMALS) for side in SIDES}
    return {
        "steps": {side: int(gait.steps_per_side.get(side, 0)) for side in SIDES},
        "cadence_spm": round_or_none(gait.cadence_spm, 1),
        "step_time_s": {**step_time, "si_pct": _symmetry_entry(**step_time)["si_pct"]},
        "step_regularity": round_or_none(gait.step_regularity, REGULARITY_DECIMALS),
        "stride_regularity": round_or_none(gait.stride_regularity, REGULARITY_DECIMALS),
        "walking_s": round_or_none(gait.walking_s, TIME_DECIMALS),
    }


def _by_activity(
    analysis: SessionAnalysis,
    gait_session: bool,
    sides: dict[str, dict[str, Any]],
    symmetry: dict[str, dict[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Per activity in the session: its count, ``sides`` and ``symmetry``.

    A session analyses one activity, so this repeats the top level under its name (a
    bilateral drill's reps count for both sides); empty when nothing was counted.
    """
    items = analysis.steps if gait_session else analysis.reps
    if not items:
        return {}
    unit = "steps" if gait_session else "reps"
    return {
        analysis.activity: {
            unit: len(items),
            "bilateral": is_bilateral(analysis.activity),
            "sides": sides,
            "symmetry": symmetry,
        }
    }


def _missing_pct(q: SensorQuality, length_s: float) -> float | None:
    """Percent of a sensor's expected samples that are missing.

    Lost by its counter, or short of the recording's length (``length_s``, seconds) at its (nominal,
    else measured) rate, whichever is more.
    """
    rate_hz = q.nominal_rate_hz or q.rate_hz
    by_time = length_s * rate_hz if math.isfinite(length_s) and rate_hz else 0.0
    expected = max(q.samples + q.lost, by_time)
    if expected <= 0:
        return None
    return round_or_none(100.0 * max(expected - q.samples, 0.0) / expected, 2)


def _quality_dict(analysis: SessionAnalysis) -> dict[str, dict[str, Any]]:
    names = set(analysis.quality) | set(analysis.calibration)
    ordered = [p for p in PLACEMENT_ORDER if p in names] + sorted(names - set(PLACEMENT_ORDER))
    out: dict[str, dict[str, Any]] = {}
    for placement in ordered:
        q = analysis.quality.get(placement)
        c = analysis.calibration.get(placement)
        entry: dict[str, Any] = {
            "samples": None,
            "lost": None,
            "lost_pct": None,
            "missing_pct": None,
            "dropped": None,
            "non_finite": None,
            "rate_hz": None,
            "nominal_rate_hz": None,
        }
        if q is not None:
            expected = q.samples + q.lost
            entry.update(
                samples=int(q.samples),
                lost=int(q.lost),
                lost_pct=round_or_none(100.0 * q.lost / expected, 2) if expected else None,
                missing_pct=_missing_pct(q, max(analysis.duration_s, analysis.recorded_s or 0.0)),
                dropped=int(q.dropped),
                non_finite=int(q.non_finite),
                rate_hz=round_or_none(q.rate_hz, 2),
                nominal_rate_hz=round_or_none(q.nominal_rate_hz, 2),
            )
        entry["calibration_quality"] = round_or_none(c.quality, 2) if c is not None else None
        entry["calibration_method"] = c.method if c is not None else None
        entry["mount_correction_deg"] = (
            round_or_none(c.mount_correction_deg, ANGLE_DECIMALS) if c is not None else None
        )
        entry["notes"] = list(c.notes) if c is not None else []
        out[placement] = entry
    return out


def _count_warnings(gait_session: bool, counts: dict[str, int]) -> list[str]:
    unit = "steps" if gait_session else "repetitions"
    if not any(counts.values()):
        return [f"No {unit} were detected, so there are no metrics or symmetry to report."]
    missing = [side for side in SIDES if counts[side] == 0]
    if missing:
        return [f"No {unit} on the {missing[0]} side: left-right symmetry cannot be computed."]
    return []


def build_summary(
    analysis: SessionAnalysis,
    *,
    started_at: str | None = None,
    subject: str | None = None,
    date: str | None = None,
) -> dict:
    """The ``summary.json`` contents of one analysed session.

    Parameters
    ----------
    analysis : SessionAnalysis
        The analysis of one session.
    started_at : str, optional
        ISO 8601 start time from the recording's sidecar, if known (the analysis record
        does not carry it); written as the ``started_at`` extension.
    subject, date : str, optional
        The sidecar's ``subject`` (an anonymous id) and ``date`` (text), written as the
        ``subject`` and ``date`` extensions.

    Returns
    -------
    dict
        JSON-ready: ``format``, ``version``, ``source``, ``activity``, ``duration_s``,
        ``reps``, ``sides``, ``symmetry``, ``steps`` and ``gait`` as in the contract, plus
        these extensions:

        - ``reps[i]``: ``index``, ``set``, ``up_duration_s``, ``down_duration_s``,
          ``thigh_adduction_excursion_deg``, ``pelvic_rate_rms_dps``, ``data_gap_s``
          (seconds of the rep whose data were lost, bridged or missing: above zero, the
          rep's metrics are partly estimates; a quality flag, not a per-side metric),
          ``left_out`` (true: listed, but left out of the means, symmetry and findings
          for lost data, see ``AnalysisSettings.max_data_gap_s``);
        - ``sides[side]``: ``steps`` (walks), and per metric ``{mean, sd, cv_pct, n}``
          (sample SD; CV in percent of ``|mean|``; ``n`` counts the reps or steps kept);
        - ``left_out``: how many reps (or steps) are left out for lost data;
        - ``symmetry``: every per-side metric (step-ups: all rep metrics; walks:
          ``step_time_s`` and ``pelvic_drop_deg`` by stance side); for walks
          ``step_time_s`` repeats ``gait.step_time_s``;
        - ``steps[i].step_time_s``, ``steps[i].data_gap_s`` and ``steps[i].left_out``
          (as for reps, over the step's contact and stance); ``gait``: ``step_regularity``,
          ``stride_regularity``, ``walking_s`` (``gait`` is ``null`` for rep sessions);
        - ``quality``: per sensor ``samples``, ``lost``, ``lost_pct``, ``missing_pct``
          (lost by the counter or short of the recording's length at the sensor's rate,
          whichever is more), ``dropped``, ``non_finite``,
          ``rate_hz``, ``nominal_rate_hz``, ``calibration_quality`` (0..1),
          ``mount_correction_deg``, ``notes``;
        - ``activity_basis`` (:attr:`SessionAnalysis.activity_basis`) and ``movement``:
          what the movement looks like (``label``, ``description``, ``walking_s``,
          ``step_time_s``, ``lifts`` per kind, ``signals``);
        - ``findings_withheld``: why no finding may be stated (empty when they stand;
          :func:`sensorlab.summary.findings.findings_withheld`);
        - ``warnings``: the analysis's warnings, then the summary's own (no reps or
          steps, a side without any, findings withheld);
        - ``started_at``, ``subject`` and ``date`` when given.
    """
    gait_session = is_gait_session(analysis)
    summary: dict[str, Any] = {
        "format": SUMMARY_FORMAT,
        "version": SUMMARY_VERSION,
        "source": analysis.source,
        "activity": analysis.activity,
        "activity_basis": analysis.activity_basis,
        "duration_s": round_or_none(analysis.duration_s, TIME_DECIMALS),
    }
    for key, value in (("started_at", started_at), ("subject", subject), ("date", date)):
        if value:
            summary[key] = value

    rep_counts = {side: sum(r.side in (side, "both") for r in analysis.reps) for side in SIDES}
    step_counts = {side: sum(s.side == side for s in analysis.steps) for side in SIDES}
    if gait_session:
        metric_sides, symmetry = _per_side(analysis.steps, STEP_METRICS)
    else:
        metric_sides, symmetry = _per_side(analysis.reps, per_side_metrics_for(analysis.activity))

    items = analysis.steps if gait_session else analysis.reps
    sides: dict[str, dict[str, Any]] = {}
    for side in SIDES:
        sides[side] = {"reps": rep_counts[side]}
        if gait_session:
            sides[side]["steps"] = step_counts[side]
        sides[side].update(metric_sides[side])

    gait = _gait_dict(analysis, metric_sides) if gait_session else None
    if gait is not None:
        symmetry["step_time_s"] = {
            key: gait["step_time_s"][key] for key in ("left", "right", "si_pct")
        }

    summary.update(
        reps=[_rep_dict(r) for r in analysis.reps],
        sides=sides,
        symmetry=symmetry,
        by_activity=_by_activity(analysis, gait_session, sides, symmetry),
        steps=[_step_dict(s) for s in analysis.steps],
        left_out=sum(bool(item.left_out) for item in items),
        gait=gait,
        quality=_quality_dict(analysis),
        unavailable=dict(analysis.unavailable),
        movement=_movement_dict(analysis.movement),
        warnings=[
            *analysis.warnings,
            *left_out_warning(items, "step" if gait_session else "rep"),
        ],
    )
    if analysis.activity_basis in COUNTED_BASES:
        counts = step_counts if gait_session else rep_counts
        summary["warnings"].extend(_count_warnings(gait_session, counts))
    withheld = findings_withheld(summary)
    summary["findings_withheld"] = withheld
    if withheld:
        summary["warnings"].append(withheld_sentence(withheld))
    return summary


_MEASURE_NAMES = {
    "pelvic_drop_deg": "pelvic drop",
    "pelvic_tilt_range_deg": "pelvic tilt",
    "pelvic_rate_rms_dps": "pelvic sway",
    "pelvic_rotation": "pelvic rotation",
    "gait_steps": "gait steps",
    "step_up_reps": "step-up repetitions",
    "left_thigh_angles": "left thigh angles",
    "right_thigh_angles": "right thigh angles",
}


def unavailable_note(summary: dict) -> str | None:
    """One sentence on what the session could not measure and why.

    E.g. a sensor not worn; from the summary's ``unavailable``. None when everything could be
    measured.
    """
    by_reason: dict[str, list[str]] = {}
    for measure, reason in (summary.get("unavailable") or {}).items():
        by_reason.setdefault(reason, []).append(_MEASURE_NAMES.get(measure, measure))
    if not by_reason:
        return None
    parts = [f"{', '.join(names)} ({reason})" for reason, names in by_reason.items()]
    return "Not measured in this session: " + "; ".join(parts) + "."


def _movement_dict(movement: Movement | None) -> dict[str, Any] | None:
    if movement is None:
        return None
    return {
        "label": movement.label,
        "description": movement.description,
        "walking_s": round_or_none(movement.walking_s, 1),
        "step_time_s": round_or_none(movement.step_time_s, TIME_DECIMALS),
        "lifts": {kind: movement.count(kind) for kind in LIFT_KINDS},
        "signals": list(movement.signals),
    }


def _json_safe(value: Any) -> Any:
    """Replace non-finite floats by ``None`` and numpy scalars by Python numbers."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def summary_to_json(summary: dict) -> str:
    """``summary`` as strict JSON text (NaN and infinities become ``null``)."""
    return json.dumps(_json_safe(summary), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_summary(summary: dict, path: str | Path) -> Path:
    """Write ``summary`` to ``path`` as UTF-8 JSON and return the path.

    Parameters
    ----------
    summary : dict
        As returned by :func:`build_summary`.
    path : str or Path
        Output file (usually ``summary.json``); parent folders are created. Written
        atomically (:func:`~sensorlab.io.writer.write_atomically`): a failed write leaves
        any earlier file as it was, never a truncated one.
    """
    path = Path(path)
    text = summary_to_json(summary)
    write_atomically(path, lambda handle: handle.write(text))
    return path


__all__ = [
    "SUMMARY_FORMAT",
    "SUMMARY_VERSION",
    "build_summary",
    "is_gait_session",
    "summary_to_json",
    "write_summary",
]
