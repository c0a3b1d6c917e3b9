"""The short terminal summary printed after ``sensorlab analyze``.

A handful of lines from ``summary.json``: counts per side, the key metrics per side with
their symmetry index, the main finding, reps with lost data and how many warnings there
are. A metric whose symmetry index looks large but whose sides differ by less than the
measurement noise is marked "within noise"; when findings are withheld
(:func:`~sensorlab.summary.findings.findings_withheld`) every metric is "not judged" and
the finding line says why. The CLI adds where the files were written.
"""

from __future__ import annotations

import textwrap

from sensorlab.processing.activity import COUNTED_BASES
from sensorlab.processing.movements import drill_names
from sensorlab.summary.findings import (
    data_gap_note,
    findings_withheld,
    main_finding,
    session_findings,
)
from sensorlab.summary.metrics import (
    activity_name,
    format_duration,
    format_si,
    is_bilateral,
    key_metrics_for,
    metric_info,
    working_side,
)
from sensorlab.summary.summary import unavailable_note

KEY_METRICS = 3
"""A movement's first this many per-side metrics are always shown; the others appear when
borderline or notable."""

KEY_STEP_METRICS = ("step_time_s", "pelvic_drop_deg")
"""A walk's metrics shown, step time first."""

WIDTH = 78


def _reps_line(summary: dict) -> str:
    """``Reps: left N, right N``; a drill's says by which leg, a bilateral one has one count."""
    activity = summary.get("activity")
    if is_bilateral(activity):
        return f"Reps: {len(summary.get('reps', []))} ({working_side(activity)})"
    sides = summary.get("sides", {})
    by = f" (by the {working_side(activity)})" if activity in drill_names() else ""
    return (
        f"Reps: left {sides.get('left', {}).get('reps', 0)}, "
        f"right {sides.get('right', {}).get('reps', 0)}{by}"
    )


def format_text_summary(summary: dict) -> str:
    """A few plain-text lines summarising the session.

    Parameters
    ----------
    summary : dict
        As built by :func:`sensorlab.summary.summary.build_summary`.

    Returns
    -------
    str
        Lines separated by newlines, at most :data:`WIDTH` characters wide, no trailing
        newline.
    """
    walk = summary.get("gait") is not None
    lines = [
        f"{activity_name(summary.get('activity'))} · {summary.get('source', '?')} · "
        f"{format_duration(summary.get('duration_s'))}"
    ]
    if summary.get("activity_basis", "given") not in COUNTED_BASES:
        lines.append("Reps and steps: not counted (see the warnings).")
    elif walk:
        gait = summary["gait"]
        cadence = gait.get("cadence_spm")
        cadence_text = "—" if cadence is None else f"{cadence:.1f} steps/min"
        lines.append(
            f"Steps: left {gait['steps'].get('left', 0)}, right {gait['steps'].get('right', 0)}"
            f"  ·  cadence {cadence_text}"
        )
    else:
        lines.append(_reps_line(summary))

    withheld = bool(findings_withheld(summary))
    graded = {f.metric: f for f in session_findings(summary)}
    activity = summary.get("activity")
    key = KEY_STEP_METRICS if walk else tuple(m.key for m in key_metrics_for(activity, KEY_METRICS))
    shown = [m for m in key if m in graded] + [
        m for m, f in graded.items() if m not in key and f.level in ("notable", "borderline")
    ]
    if shown and any(graded[m].level != "unavailable" for m in shown):
        lines.append(f"  {'':<28}{'left':>10}{'right':>10}{'SI':>9}")
        for metric in shown:
            f = graded[metric]
            info = metric_info(metric, activity)
            flag = "" if f.level in ("balanced", "unavailable") else f"  {f.level}"
            if f.within_noise:
                flag = "  within noise"
            if withheld:
                flag = "  not judged"
            lines.append(
                f"  {info.label:<28}{info.fmt(f.left):>10}{info.fmt(f.right):>10}"
                f"{format_si(f.si_pct):>9}{flag}"
            )
    lines.extend(
        textwrap.wrap(
            main_finding(summary),
            WIDTH,
            initial_indent="" if withheld else "Finding: ",
            subsequent_indent="  ",
            break_on_hyphens=False,
        )
    )
    gap_note = data_gap_note(summary)
    if gap_note:
        lines.extend(textwrap.wrap(gap_note, WIDTH, subsequent_indent="  "))
    missing_note = unavailable_note(summary)
    if missing_note:
        lines.extend(textwrap.wrap(missing_note, WIDTH, subsequent_indent="  "))
    n_warn = len(summary.get("warnings", []))
    if n_warn:
        lines.append(f"{n_warn} warning{'s' if n_warn != 1 else ''} (listed in the report).")
    else:
        lines.append("No warnings.")
    return "\n".join(lines)
