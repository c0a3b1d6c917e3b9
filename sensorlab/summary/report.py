"""``report.html``: the one-page session report a physiotherapist reads in a minute.

One self-contained file: inline CSS, figures as base64 PNG (matplotlib Agg) and small
inline SVG gauges; no external assets, no JavaScript. Top to bottom: header, at a glance
(counts, findings, left-right comparison with symmetry-index gauges), the session over
time, the rep (or step) table, per-side charts, data quality, and how to read it.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import datetime
from itertools import pairwise
from pathlib import Path

from sensorlab import __version__
from sensorlab.io.writer import write_atomically
from sensorlab.processing.movements import drill, drill_names
from sensorlab.records import SessionAnalysis
from sensorlab.summary.figures import (
    average_shape_figure,
    figure_to_data_uri,
    per_side_figure,
    time_series_figure,
)
from sensorlab.summary.findings import (
    MAX_MISSING_PCT,
    MIN_CALIBRATION_QUALITY,
    NEUTRAL_SI_PCT,
    NOTABLE_SI_PCT,
    Finding,
    data_gap_note,
    data_gap_reps,
    finding_sentences,
    findings_withheld,
    min_difference,
    session_findings,
)
from sensorlab.summary.metrics import (
    SIDES,
    STEP_METRICS,
    activity_name,
    format_duration,
    format_si,
    is_bilateral,
    key_metrics_for,
    metric_info,
    per_side_metrics_for,
    rep_metrics_for,
    side_phrase,
    working_side,
)
from sensorlab.summary.report_css import report_css
from sensorlab.summary.summary import is_gait_session, unavailable_note
from sensorlab.summary.svg import SI_BAR_LIMIT_PCT, si_bar_svg

TABLE_OPEN_MAX_ROWS = 40
"""Tables longer than this are collapsed into a ``<details>`` element."""

TABLE_MAX_ROWS = 2000
"""Rows written into the HTML at most; the full table is in ``reps.csv``."""

CALIBRATION_GOOD = 0.8
CALIBRATION_FAIR = 0.5
LOST_PCT_WARN = 2.0

GAP_MARK = "†"
"""Marks a rep with lost data in the rep table (explained under the table)."""

STRIP_METRICS = 4
"""Rep metrics drawn as per-side dot charts: the movement's first this many."""

_E = html.escape


def _fmt(value: float | None, decimals: int, unit: str = "") -> str:
    if value is None or not math.isfinite(value):
        return "—"
    sep = "" if unit in ("", "°", "%") else " "
    return f"{value:.{decimals}f}{sep}{unit}"


def _side_tag(side: str) -> str:
    return f'<span class="side"><span class="dot {_E(side)}"></span>{_E(side)}</span>'


def _pretty_date(started_at: str | None) -> str | None:
    if not started_at:
        return None
    try:
        when = datetime.fromisoformat(started_at)
    except ValueError:
        return started_at
    return when.strftime("%d %b %Y, %H:%M")


# --------------------------------------------------------------------------- header


def _header(summary: dict, gait_session: bool) -> str:
    meta = []
    if summary.get("subject"):
        meta.append(("Subject", summary["subject"]))
    date = summary.get("date") or _pretty_date(summary.get("started_at"))
    if date:
        meta.append(("Date", date))
    meta.append(("Duration", format_duration(summary.get("duration_s"))))
    sensors = [p.replace("_", " ") for p in summary.get("quality", {})]
    if sensors:
        meta.append(("Sensors", ", ".join(sensors)))
    items = "".join(f"<div><dt>{_E(k)}</dt><dd>{_E(v)}</dd></div>" for k, v in meta)
    kind = "Walk" if gait_session else activity_name(summary.get("activity"))
    return (
        '<header class="top"><div class="kicker">sensorlab · session report</div>'
        f'<h1>{_E(kind)} <span class="src">· {_E(str(summary.get("source", "")))}</span></h1>'
        f'<dl class="meta">{items}</dl></header>'
    )


# --------------------------------------------------------------------- at a glance


def _card(value: str, label: str, cls: str = "") -> str:
    return (
        f'<div class="card {cls}"><div class="value">{value}</div>'
        f'<div class="label">{_E(label)}</div></div>'
    )


def is_alternating(reps: Sequence[dict]) -> bool:
    """True when the lead leg changes with every rep (at least two reps).

    The analysis starts a new set whenever the working side changes, so alternating
    step-ups come out as one-rep sets; the report then speaks of alternating legs instead.
    """
    return len(reps) >= 2 and all(a["side"] != b["side"] for a, b in pairwise(reps))


def _cards(summary: dict, gait_session: bool) -> str:
    sides = summary.get("sides", {})
    if gait_session:
        gait = summary.get("gait") or {}
        steps = gait.get("steps", {})
        walking = gait.get("walking_s")
        regularity = gait.get("stride_regularity")
        cards = [
            _card(str(steps.get("left", 0)), "left steps", "left"),
            _card(str(steps.get("right", 0)), "right steps", "right"),
            _card(_fmt(gait.get("cadence_spm"), 1), "cadence (steps/min)"),
            _card(_E(format_duration(walking)), "walking time"),
            _card(
                f"{_fmt(gait.get('step_regularity'), 2)} / {_fmt(regularity, 2)}",
                "step / stride regularity (1 = perfectly regular)",
            ),
        ]
    else:
        reps = summary.get("reps", [])
        activity = summary.get("activity")
        n_sets = len({r.get("set") for r in reps})
        if is_bilateral(activity):
            cards = [_card(str(len(reps)), f"reps ({working_side(activity)})")]
        else:
            cards = [
                _card(
                    str(sides.get(side, {}).get("reps", 0)),
                    f"reps {side_phrase(activity, side)}",
                    side,
                )
                for side in SIDES
            ]
        cards.append(
            _card("alternating", f"{working_side(activity)}, changing every rep")
            if is_alternating(reps)
            else _card(str(n_sets), "set" if n_sets == 1 else "sets")
        )
        n_gaps = len(data_gap_reps(summary))
        if n_gaps:
            cards.append(
                _card(
                    f"{n_gaps} <small>of {len(reps)}</small>",
                    "reps with lost data (see Data quality)",
                    "gap",
                )
            )
    return f'<div class="cards">{"".join(cards)}</div>'


def _badge(level: str) -> str:
    return f'<span class="badge {level}">{level}</span>'


def _findings_list(summary: dict, graded: Sequence[Finding]) -> str:
    flagged = [f for f in graded if f.level in ("notable", "borderline")]
    if findings_withheld(summary):
        text = finding_sentences(summary)[0]
        items = [f'<li class="unavailable">{_badge("withheld")}<p>{_E(text)}</p></li>']
    elif flagged:
        items = [
            f'<li class="{f.level}">{_badge(f.level)}'
            f'<p><span class="obs">{_E(f.observation)}</span> {_E(f.interpretation)}</p></li>'
            for f in flagged
        ]
    else:
        level = "balanced" if any(f.level == "balanced" for f in graded) else "unavailable"
        text = finding_sentences(summary)[0]
        items = [f'<li class="{level}">{_badge(level)}<p>{_E(text)}</p></li>']
    return f'<ul class="findings">{"".join(items)}</ul>'


def _compare_table(summary: dict, graded: Sequence[Finding], gait_session: bool) -> str:
    by_metric = {f.metric: f for f in graded}
    catalogue = STEP_METRICS if gait_session else per_side_metrics_for(summary.get("activity"))
    sides = summary.get("sides", {})
    withheld = bool(findings_withheld(summary))
    rows = []
    for info in catalogue:
        f = by_metric.get(info.key)
        if f is None:
            continue
        cells = []
        for side, cls in (("left", "l"), ("right", "r")):
            stats = sides.get(side, {}).get(info.key, {})
            sd = stats.get("sd")
            sd_text = (
                f" <small>± {_fmt(sd, info.display_decimals)}</small>" if sd is not None else ""
            )
            cells.append(f'<td class="num {cls}">{_E(info.fmt(stats.get("mean")))}{sd_text}</td>')
        badge = _badge(f.level)
        if withheld:
            badge = _badge("withheld")
        elif f.within_noise:
            floor = min_difference(info.key, summary.get("activity"))
            badge += (
                f'<span class="noise">within noise (gap under '
                f"{_E(_floor_text(floor, info.unit))})</span>"
            )
        rows.append(
            f'<tr><td class="metric">{_E(info.label)} <small>({_E(info.unit)})</small>'
            f'<span class="help">{_E(info.help)}</span></td>{"".join(cells)}'
            f'<td class="num si">{format_si(f.si_pct)}</td>'
            f'<td class="bar">{si_bar_svg(f.si_pct, f.level)}</td><td>{badge}</td></tr>'
        )
    head = (
        '<tr><th>Measure</th><th class="num l">Left<br><small>mean ± SD</small></th>'
        '<th class="num r">Right<br><small>mean ± SD</small></th><th class="num">SI</th>'
        '<th class="bar"><span class="lside">◀ left larger</span>'
        '<span class="rside">right larger ▶</span></th><th></th></tr>'
    )
    return (
        '<div class="table-wrap"><table class="compare">'
        f"<thead>{head}</thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _floor_text(value: float, unit: str) -> str:
    return f"{value:g}{'' if unit == '°' else ' '}{unit}"


def _glance(summary: dict, gait_session: bool) -> str:
    graded = session_findings(summary)
    activity = summary.get("activity")
    if gait_session:
        sides_named = "Sides are named by the stance leg. "
    elif is_bilateral(activity):
        sides_named = f"Each rep works {working_side(activity)}; each side is its own thigh. "
    elif activity not in drill_names():
        sides_named = "Sides are named by the working (lead) leg. "
    else:
        sides_named = f"Sides are named by the working leg, the {working_side(activity)}. "
    return (
        '<section id="glance"><h2>At a glance</h2>'
        f'<p class="lede">{sides_named}'
        f"SI: Robinson symmetry index, positive when the right side is larger; "
        f"|SI| under {NEUTRAL_SI_PCT:.0f}% is balanced (green band), "
        f"{NEUTRAL_SI_PCT:.0f}–{NOTABLE_SI_PCT:.0f}% borderline, "
        f"above {NOTABLE_SI_PCT:.0f}% notable. The gauges span ±{SI_BAR_LIMIT_PCT:.0f}%; "
        "an arrow means the value lies beyond.</p>"
        f"{_cards(summary, gait_session)}"
        f"<h3>What stands out</h3>{_findings_list(summary, graded)}"
        f"<h3>Left–right comparison</h3>{_compare_table(summary, graded, gait_session)}"
        "</section>"
    )


# ------------------------------------------------------------------------- figures


def _figure(uri: str, alt: str, caption: str) -> str:
    return (
        f'<figure><img src="{uri}" alt="{_E(alt)}"><figcaption>{_E(caption)}</figcaption></figure>'
    )


ZOOM_WALK_S = 8.0
"""Length of the closer look at a walk, seconds."""

ZOOM_REPS_AFTER_S = 180.0
"""Rep sessions longer than this also get a closer look at their first set."""

ZOOM_MAX_S = 60.0


def zoom_window(analysis: SessionAnalysis) -> tuple[float, float] | None:
    """The span worth a closer look, seconds, or ``None`` when the whole view suffices.

    For walks: :data:`ZOOM_WALK_S` around the middle step. For rep sessions longer
    than :data:`ZOOM_REPS_AFTER_S`: the first set (at most :data:`ZOOM_MAX_S`).
    """
    if is_gait_session(analysis):
        if len(analysis.steps) < 4:
            return None
        mid = analysis.steps[len(analysis.steps) // 2].t
        return (mid - ZOOM_WALK_S / 2, mid + ZOOM_WALK_S / 2)
    if not analysis.reps or analysis.duration_s <= ZOOM_REPS_AFTER_S:
        return None
    first_set = [r for r in analysis.reps if r.set_index == analysis.reps[0].set_index]
    t0 = first_set[0].t_start - 2.0
    t1 = min(first_set[-1].t_end + 2.0, t0 + ZOOM_MAX_S)
    return (t0, t1)


def _time_section(analysis: SessionAnalysis, gait_session: bool) -> str:
    fig = time_series_figure(analysis.kinematics, analysis.reps, analysis.steps)
    caption = (
        "Pelvic obliquity (+ = right side lower) and tilt (+ = anterior); both thighs' "
        "angle to vertical (flexion +). "
    )
    if gait_session:
        caption += "The bottom strip marks each initial contact by foot."
    else:
        caption += (
            f"Grey shading marks each rep ({working_side(analysis.activity)})."
            if is_bilateral(analysis.activity)
            else f"Shading marks each rep in the colour of its {_working_leg(analysis.activity)}."
        )
        if any(r.data_gap_s > 0 for r in analysis.reps):
            caption += " Hatched reps contain lost data."
    parts = [
        '<section id="time"><h2>The session over time</h2>',
        _figure(figure_to_data_uri(fig), "Pelvis and thigh angles over time", caption),
    ]
    window = zoom_window(analysis)
    if window is not None:
        zoom = time_series_figure(
            analysis.kinematics, analysis.reps, analysis.steps, window_s=window
        )
        what = "in the middle of the walk" if gait_session else "of the first set"
        parts += [
            f"<h3>A closer look: {window[1] - window[0]:.0f} s {what}</h3>",
            _figure(
                figure_to_data_uri(zoom),
                f"Pelvis and thigh angles, {window[0]:.0f}–{window[1]:.0f} s",
                f"{window[0]:.1f}–{window[1]:.1f} s; same traces and colours as above.",
            ),
        ]
    parts.append("</section>")
    return "".join(parts)


def _working_leg(activity: str | None) -> str:
    """The words "working leg" for ``activity`` ("working leg (front leg)": a split squat)."""
    if activity in drill_names():
        return f"working leg ({working_side(activity)})"
    return "working leg"


def _shape_caption(activity: str | None) -> str:
    """What the average-rep figure of ``activity``'s reps shows."""
    if activity not in drill_names():
        return (
            "Mean ± 1 SD over the reps of each working leg, time-normalised from start to end "
            "of the rep. Right: pelvic obliquity signed so that + is a drop on the side "
            "opposite the working leg (the Trendelenburg direction)."
        )
    if is_bilateral(activity):
        return (
            "Mean ± 1 SD over every rep, time-normalised from start to end of the rep: each "
            "thigh in its side's colour, and the pelvis in grey."
        )
    titles = "; ".join(shape.title.split(",")[0].lower() for shape in drill(activity).SHAPES)
    return (
        f"Mean ± 1 SD over the reps of each {working_side(activity)}, time-normalised from "
        f"start to end of the rep: {titles}. A pelvic drop is + when that side is lower "
        "than in the standing pose."
    )


def _per_side_section(analysis: SessionAnalysis, gait_session: bool) -> str:
    if gait_session:
        events: Sequence = analysis.steps
        metrics = [metric_info("pelvic_drop_deg"), metric_info("step_time_s")]
        unit = "step"
        shape_caption = (
            "Mean ± 1 SD, time-normalised. Left: each thigh over its stride, from its own "
            "initial contact. Right: pelvic drop toward the swing side (+) from a foot's "
            "contact to the next contact, by stance leg."
        )
    else:
        events = analysis.reps
        metrics = list(key_metrics_for(analysis.activity, STRIP_METRICS))
        unit = "rep"
        shape_caption = _shape_caption(analysis.activity)
    if not events:
        return (
            '<section id="sides"><h2>By side</h2>'
            f'<p class="empty">No {unit}s to compare.</p></section>'
        )
    strip = per_side_figure(events, metrics)
    strip_caption = (
        f"Every {unit} as a dot in its side's colour; the black bar and the number are the "
        "side's mean."
    )
    if not gait_session and any(r.data_gap_s > 0 for r in analysis.reps):
        strip_caption += " Open circles: reps with lost data (their values are estimates)."
    shape = average_shape_figure(
        analysis.kinematics, analysis.reps, analysis.steps, analysis.activity
    )
    return (
        '<section id="sides"><h2>By side</h2>'
        + _figure(
            figure_to_data_uri(strip),
            f"Per-{unit} values by side",
            strip_caption,
        )
        + f"<h3>Average {unit}, by side</h3>"
        + _figure(figure_to_data_uri(shape), f"Average {unit} by side", shape_caption)
        + "</section>"
    )


# -------------------------------------------------------------------------- tables


def _collapsible(table: str, n_rows: int, what: str, n_total: int) -> str:
    note = ""
    if n_total > n_rows:
        note = (
            f'<p class="note">Showing the first {n_rows} of {n_total} {what}; '
            "all of them are in reps.csv.</p>"
        )
    if n_total <= TABLE_OPEN_MAX_ROWS:
        return f'<div class="table-wrap">{table}</div>{note}'
    return (
        f"<details><summary>Show all {n_total} {what}</summary>"
        f'<div class="table-wrap">{table}</div>{note}</details>'
    )


def _rep_table(summary: dict) -> str:
    reps = summary.get("reps", [])
    if not reps:
        return '<p class="empty">No repetitions were detected.</p>'
    alternating = is_alternating(reps)
    metrics = rep_metrics_for(summary.get("activity"))
    cols = [
        ("#", "", True),
        *([] if alternating else [("set", "", True)]),
        ("side", "", False),
        ("start", "s", True),
        *((m.short or m.label, m.unit, True) for m in metrics),
    ]
    head = "".join(
        f'<th class="{"num" if num else ""}">{_E(label)}'
        + (f"<br><small>({_E(unit)})</small>" if unit else "")
        + "</th>"
        for label, unit, num in cols
    )
    body = []
    previous_set = None
    for rep in reps[:TABLE_MAX_ROWS]:
        classes = []
        if not alternating and previous_set is not None and rep["set"] != previous_set:
            classes.append("set-start")
        previous_set = rep["set"]
        gap = (rep.get("data_gap_s") or 0.0) > 0.0
        mark = ""
        if gap:
            classes.append("gap")
            mark = f'<span class="gap-mark">{GAP_MARK}</span>'
        left_out = " (left out)" if rep.get("left_out") else ""
        cls = f' class="{" ".join(classes)}"' if classes else ""
        cells = [
            f'<td class="num">{mark}{rep["index"] + 1}{left_out}</td>',
            *([] if alternating else [f'<td class="num">{rep["set"] + 1}</td>']),
            f"<td>{_side_tag(rep['side'])}</td>",
            f'<td class="num">{_fmt(rep.get("t_start"), 1)}</td>',
            *(
                f'<td class="num">{_fmt(rep.get(m.key), min(m.display_decimals, 2))}</td>'
                for m in metrics
            ),
        ]
        body.append(f"<tr{cls}>{''.join(cells)}</tr>")
    table = (
        f'<table class="data"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )
    legend = ""
    gaps = data_gap_reps(summary)
    if gaps:
        legend = (
            f'<p class="gap-legend"><span class="gap-mark">{GAP_MARK}</span> '
            "Some sensor data were lost during this rep (for up to "
            f"{max(r['data_gap_s'] for r in gaps):.1f} s), so its numbers are partly "
            "estimated and less certain; those marked (left out) lost more than 0.3 s, or "
            "their orientation was not yet re-levelled, and are left out of the means, "
            "symmetry and findings. The lost time per rep is in reps.csv (data_gap_s).</p>"
        )
    return _collapsible(table, min(len(reps), TABLE_MAX_ROWS), "reps", len(reps)) + legend


def _step_tables(summary: dict) -> str:
    steps = summary.get("steps", [])
    if not steps:
        return '<p class="empty">No steps were detected.</p>'
    sides = summary.get("sides", {})
    rows = []
    for info in STEP_METRICS:
        cells = []
        for side in SIDES:
            s = sides.get(side, {}).get(info.key, {})
            cells.append(
                f'<td class="num">{s.get("n", 0)}</td>'
                f'<td class="num">{_E(info.fmt(s.get("mean")))}</td>'
                f'<td class="num">{_E(info.fmt(s.get("sd")))}</td>'
                f'<td class="num">{_fmt(s.get("cv_pct"), 1, "%")}</td>'
            )
        rows.append(f"<tr><td>{_E(info.label)}</td>{''.join(cells)}</tr>")
    side_head = "".join(
        f'<th class="num {side[0]}">{side} n</th><th class="num {side[0]}">mean</th>'
        f'<th class="num {side[0]}">SD</th><th class="num {side[0]}">CV</th>'
        for side in SIDES
    )
    per_side = (
        '<div class="table-wrap"><table class="data"><thead><tr><th>Measure '
        f"(by stance side)</th>{side_head}</tr></thead><tbody>{''.join(rows)}</tbody>"
        "</table></div>"
    )
    body = []
    for i, s in enumerate(steps[:TABLE_MAX_ROWS]):
        gap = (s.get("data_gap_s") or 0.0) > 0.0
        mark = f'<span class="gap-mark">{GAP_MARK}</span>' if gap else ""
        lost = _fmt(s.get("data_gap_s"), 2) + (" (left out)" if s.get("left_out") else "")
        cls = ' class="gap"' if gap else ""
        body.append(
            f'<tr{cls}><td class="num">{mark}{i + 1}</td>'
            f"<td>{_side_tag(s['side'])}</td>"
            f'<td class="num">{_fmt(s.get("t"), 2)}</td>'
            f'<td class="num">{_fmt(s.get("step_time_s"), 3)}</td>'
            f'<td class="num">{_fmt(s.get("pelvic_drop_deg"), 1)}</td>'
            f'<td class="num">{lost if gap else ""}</td></tr>'
        )
    table = (
        '<table class="data"><thead><tr><th class="num">#</th><th>foot</th>'
        '<th class="num">contact (s)</th><th class="num">step time (s)</th>'
        '<th class="num">pelvic drop (°)</th><th class="num">lost data (s)</th></tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )
    return per_side + _collapsible(table, min(len(steps), TABLE_MAX_ROWS), "steps", len(steps))


def _table_section(summary: dict, gait_session: bool) -> str:
    if gait_session:
        return f'<section id="table"><h2>Steps</h2>{_step_tables(summary)}</section>'
    if is_alternating(summary.get("reps", [])):
        leg = working_side(summary.get("activity"))
        lede = f"One row per rep; the {leg} changed with every rep."
    else:
        lede = "One row per rep; a thicker line starts a new set."
    return (
        '<section id="table"><h2>Repetitions</h2>'
        f'<p class="lede">{lede} The same table is in reps.csv.</p>'
        f"{_rep_table(summary)}</section>"
    )


# ----------------------------------------------------------------------- quality


def _quality_cell(q: float | None) -> str:
    if q is None:
        return "—"
    cls, word, colour = (
        ("q-good", "good", "var(--ok)")
        if q >= CALIBRATION_GOOD
        else ("q-fair", "fair", "var(--border)")
        if q >= CALIBRATION_FAIR
        else ("q-poor", "poor", "var(--warn)")
    )
    return (
        f'<span class="qbar"><i style="width:{max(0.0, min(1.0, q)) * 100:.0f}%;'
        f'background:{colour}"></i></span><span class="{cls}">{q:.2f} {word}</span>'
    )


def _sentence(text: str) -> str:
    """Capitalised and ending in a full stop (notes come in as lower-case fragments)."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def _grouped_notes(notes: Sequence[tuple[str, str]]) -> list[tuple[list[str], str]]:
    """Calibration notes with the sensors that share each one, in first-seen order."""
    grouped: dict[str, list[str]] = {}
    for placement, note in notes:
        grouped.setdefault(note, []).append(placement)
    return [(placements, note) for note, placements in grouped.items()]


def _names(placements: Sequence[str]) -> str:
    words = [p.replace("_", " ") for p in placements]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _quality_section(summary: dict) -> str:
    rows = []
    notes: list[tuple[str, str]] = []
    for placement, q in summary.get("quality", {}).items():
        lost_pct = q.get("lost_pct")
        lost_cls = ' class="num q-poor"' if (lost_pct or 0) > LOST_PCT_WARN else ' class="num"'
        lost = "—" if q.get("lost") is None else f"{q['lost']:,} ({_fmt(lost_pct, 2, '%')})"
        rate = _fmt(q.get("rate_hz"), 1)
        if q.get("nominal_rate_hz") is not None:
            rate += f" / {_fmt(q.get('nominal_rate_hz'), 0)}"
        missing_pct = q.get("missing_pct")
        missing_cls = (
            ' class="num q-poor"' if (missing_pct or 0) > MAX_MISSING_PCT else ' class="num"'
        )
        samples = "—" if q.get("samples") is None else f"{q['samples']:,}"
        notes.extend((placement, n) for n in q.get("notes", []))
        rows.append(
            f"<tr><td><b>{_E(placement.replace('_', ' '))}</b></td>"
            f"<td>{_quality_cell(q.get('calibration_quality'))}</td>"
            f'<td class="num">{_fmt(q.get("mount_correction_deg"), 1, "°")}</td>'
            f'<td class="num">{samples}</td><td{lost_cls}>{lost}</td>'
            f"<td{missing_cls}>{_fmt(missing_pct, 1, '%')}</td>"
            f'<td class="num">{q.get("dropped", "—")}</td><td class="num">{rate}</td></tr>'
        )
    table = (
        '<div class="table-wrap"><table class="data"><thead><tr><th>Sensor</th>'
        "<th>Calibration<br><small>quality, 0–1</small></th>"
        '<th class="num">Mount correction<br><small>(°)</small></th>'
        '<th class="num">Samples</th><th class="num">Lost<br><small>count (%)</small></th>'
        '<th class="num">Missing<br><small>of expected</small></th>'
        '<th class="num">Dropped<br><small>duplicates</small></th>'
        '<th class="num">Rate<br><small>measured / nominal (Hz)</small></th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
        if rows
        else '<p class="empty">No data-quality information.</p>'
    )
    if notes:
        table += (
            '<ul class="cal-notes">'
            + "".join(
                f"<li><b>{_E(_names(placements).capitalize())}:</b> {_E(_sentence(note))}</li>"
                for placements, note in _grouped_notes(notes)
            )
            + "</ul>"
        )
    gap_note = data_gap_note(summary)
    if summary.get("reps") and not gap_note:
        table = '<p class="note">No data were lost within any rep.</p>' + table
    if gap_note:
        where = (
            f"They are marked {GAP_MARK} in the rep table and drawn as open circles in the "
            "per-side charts."
            if summary.get("reps")
            else f"They are marked {GAP_MARK} in the step table, with the time lost."
        )
        table = (
            f'<p class="gap-note"><span class="gap-mark">{GAP_MARK}</span> {_E(gap_note)} '
            f"{where}</p>" + table
        )
    missing_note = unavailable_note(summary)
    if missing_note:
        table = f'<p class="note">{_E(missing_note)}</p>' + table
    warnings = summary.get("warnings", [])
    warn_html = (
        f'<h3>Warnings ({len(warnings)})</h3><ul class="warnings">'
        + "".join(f"<li>{_E(w)}</li>" for w in warnings)
        + "</ul>"
        if warnings
        else '<h3>Warnings</h3><p class="note">None.</p>'
    )
    return (
        '<section id="quality"><h2>Data quality</h2>'
        '<p class="lede">Calibration quality: how still the standing pose was and how '
        f"clearly the movement defined each sensor's axes (good ≥ {CALIBRATION_GOOD}, "
        f"poor &lt; {CALIBRATION_FAIR}; below {MIN_CALIBRATION_QUALITY} no finding is "
        "stated). Mount correction: the angle "
        "between the strap position stated in the recording and the one found in the data. "
        "Lost: samples missing from the device counter. Missing: samples short of what the "
        f"session's length at the sensor's rate needs, or lost, whichever is more (above "
        f"{MAX_MISSING_PCT:.0f}%: no finding is stated).</p>"
        f"{table}{warn_html}</section>"
    )


# ------------------------------------------------------------------------ footer


def _drill_side_definition(activity: str) -> str:
    """What a rep's side is in a standing drill, in its words."""
    leg = working_side(activity)
    if is_bilateral(activity):
        return f"{leg} work in every rep; each thigh's values count for its own side"
    return (
        f"the working leg, the {leg}: a rep {side_phrase(activity, 'left')} counts for the "
        "left side, and all its metrics (the pelvis's and the other leg's too) are the "
        "left side's"
    )


def _drill_legend(activity: str) -> list[tuple[str, str]]:
    """The drill's metrics with their help, then what its angles are relative to."""
    metrics = {m.key: m for m in (*per_side_metrics_for(activity), *rep_metrics_for(activity))}
    return [
        *((m.label, f"{m.help} ({m.unit}).") for m in metrics.values()),
        (
            "Angles",
            "relative to the standing calibration pose"
            + (
                "; a pelvic drop is positive when the side named is lower than when standing."
                if "pelvic_drop_deg" in metrics
                else "."
            ),
        ),
    ]


def _footer(gait_session: bool, activity: str | None) -> str:
    catalogue = STEP_METRICS if gait_session else per_side_metrics_for(activity)
    floors = ", ".join(
        f"{m.label[0].lower()}{m.label[1:]} {_floor_text(min_difference(m.key, activity), m.unit)}"
        for m in catalogue
        if min_difference(m.key, activity) > 0
    )
    drill_session = not gait_session and activity in drill_names()
    side_def = (
        "the stance leg: each step is named by the foot that makes initial contact, and its "
        "pelvic drop is measured over that foot's stance"
        if gait_session
        else "the working leg: the lead leg that steps onto the box and drives the body up"
        if activity == "step_up"
        else _drill_side_definition(activity)
        if drill_session and activity is not None
        else "the working leg: the standing leg that carries the load"
    )
    drop_item = (
        "Pelvic drop",
        "largest drop of the pelvis on the side opposite the working (stance) leg, "
        "relative to the standing calibration pose; positive = that side is lower "
        "(the Trendelenburg direction).",
    )
    items = [
        ("Side", side_def + "."),
        *(_drill_legend(activity) if drill_session and activity is not None else [drop_item]),
        ("Pelvic obliquity", "positive when the right side of the pelvis is lower."),
        (
            "Pelvic tilt",
            "anterior tilt positive."
            if gait_session
            else "anterior tilt positive; the excursion is its range within a rep.",
        ),
        (
            "Thigh angle",
            "the thigh's angle to vertical in its sagittal plane, flexion (knee forward) "
            "positive: a segment angle relative to gravity, not hip flexion.",
        ),
        (
            "Symmetry index",
            "Robinson SI = 100 × (right − left) / (0.5 × (right + left)), from the side "
            "means; positive = right larger. "
            f"|SI| < {NEUTRAL_SI_PCT:.0f}% balanced, {NEUTRAL_SI_PCT:.0f}–"
            f"{NOTABLE_SI_PCT:.0f}% borderline, > {NOTABLE_SI_PCT:.0f}% notable; differences "
            f"smaller than {floors} are treated as balanced (measurement noise).",
        ),
        ("Units", "angles in degrees (°), times in seconds (s), angular rates in °/s."),
    ]
    if not gait_session and not drill_session:
        items.insert(
            5,
            (
                "Thigh adduction",
                "movement of the thigh toward the midline under load, relative to standing: "
                "a dynamic valgus proxy, not a knee angle.",
            ),
        )
    dl = "".join(f"<dt>{_E(k)}</dt><dd>{_E(v)}</dd>" for k, v in items)
    return (
        f"<footer><h2>How to read this report</h2><dl>{dl}</dl>"
        '<p class="disclaimer">The findings are observations from body-worn sensors, not '
        "diagnoses: they describe how this session's movement differed between sides and "
        "are meant to be read alongside a clinical examination.</p>"
        f"<p>Made by sensorlab {_E(__version__)}.</p></footer>"
    )


# -------------------------------------------------------------------------- page


def render_report(analysis: SessionAnalysis, summary: dict) -> str:
    """The report as one HTML document (a string).

    Parameters
    ----------
    analysis : SessionAnalysis
        The analysed session (kinematics for the figures).
    summary : dict
        Its summary, from :func:`sensorlab.summary.summary.build_summary`; every number
        in the report's text and tables comes from here.
    """
    gait_session = is_gait_session(analysis)
    title = f"{activity_name(summary.get('activity'))} · {summary.get('source', '')}"
    body = "".join(
        [
            _header(summary, gait_session),
            _glance(summary, gait_session),
            _time_section(analysis, gait_session),
            _table_section(summary, gait_session),
            _per_side_section(analysis, gait_session),
            _quality_section(summary),
        ]
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_E(title)} — sensorlab report</title>"
        f"<style>{report_css()}</style></head>"
        f"<body><main>{body}{_footer(gait_session, summary.get('activity'))}</main></body></html>\n"
    )


def write_report(analysis: SessionAnalysis, summary: dict, path: str | Path) -> Path:
    """Write the self-contained HTML report and return its path.

    Parameters
    ----------
    analysis : SessionAnalysis
        The analysed session.
    summary : dict
        Its summary, from :func:`sensorlab.summary.summary.build_summary`.
    path : str or Path
        Output file (usually ``report.html``); parent folders are created. Written
        atomically (:func:`~sensorlab.io.writer.write_atomically`): a failed write leaves
        any earlier file as it was, never a truncated one.
    """
    path = Path(path)
    text = render_report(analysis, summary)
    write_atomically(path, lambda handle: handle.write(text))
    return path
