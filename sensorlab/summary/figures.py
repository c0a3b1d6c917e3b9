"""Static figures of a session for the report, drawn with matplotlib's Agg renderer.

Figures are built on :class:`matplotlib.figure.Figure` directly (no ``pyplot``, so no global
state, no GUI backend and no ``show``), and encoded as base64 PNG data URIs by
:func:`figure_to_data_uri` so the report stays one self-contained file. Long traces are
downsampled with :func:`~sensorlab.summary.downsample.minmax_envelope` first.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sensorlab.processing.angles import pelvis_euler_deg
from sensorlab.processing.movements import drill, drill_names
from sensorlab.processing.movements.base import OTHER, SIDE_SIGN, ShapeCurve
from sensorlab.records import AnyRep, Kinematics, StepResult
from sensorlab.summary.downsample import DEFAULT_MAX_POINTS, minmax_bins
from sensorlab.summary.metrics import SIDES, MetricInfo
from sensorlab.summary.style import NEUTRAL_COLOR, OBLIQUITY_COLOR, SIDE_COLORS, TILT_COLOR
from sensorlab.summary.summary import event_value

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

FIGURE_WIDTH_IN = 10.0
"""Figure width in inches; at :data:`FIGURE_DPI` this is the report's content width x 1.5."""

FIGURE_DPI = 150
"""PNG resolution: 1.5 px per CSS px keeps text sharp on high-density screens."""

RC: dict[RcKeyType, Any] = {
    "font.size": 9.0,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 9.0,
    "axes.labelcolor": "#333b44",
    "axes.edgecolor": "#9aa5b1",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e4e8ec",
    "grid.linewidth": 0.6,
    "xtick.color": "#55606b",
    "ytick.color": "#55606b",
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "lines.linewidth": 1.1,
    "svg.fonttype": "none",
}
"""Matplotlib settings applied (locally) to every report figure."""

SPAN_ALPHA = 0.13
GAP_HATCH = "////"
"""Hatching over the shading of reps with lost data (``data_gap_s`` above zero)."""
VALUE_AXIS_HEADROOM = 0.12
"""Room above (and below) the values of a per-side chart, as a fraction of its span."""
LONG_VIEW_S = 600.0
"""Views longer than this are drawn against minutes instead of seconds."""
N_SHAPE_POINTS = 101
SPAN_COLORS: dict[str, str] = {**SIDE_COLORS, "both": NEUTRAL_COLOR}
"""Shading of a rep by its side; a bilateral drill's reps (``both``) in the neutral ink."""


def figure_to_data_uri(fig: Figure, dpi: float = FIGURE_DPI) -> str:
    """Encode ``fig`` as a ``data:image/png;base64,...`` URI (no metadata, no file)."""
    buf = io.BytesIO()
    with mpl.rc_context(RC):
        # Fast zlib level: a quarter less time for about a tenth more bytes.
        fig.savefig(
            buf,
            format="png",
            dpi=dpi,
            metadata={"Software": None},
            pil_kwargs={"compress_level": 1},
        )
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _new_figure(height_in: float) -> Figure:
    with mpl.rc_context(RC):
        return Figure(figsize=(FIGURE_WIDTH_IN, height_in))


def _grid(
    fig: Figure,
    nrows: int,
    ncols: int,
    *,
    left_in: float = 0.75,
    right_in: float = 0.15,
    top_in: float = 0.35,
    bottom_in: float = 0.5,
    hgap_in: float = 0.45,
    wgap_in: float = 0.75,
    height_ratios: Sequence[float] | None = None,
) -> dict:
    """``gridspec_kw`` with margins and gaps given in inches.

    A fixed layout instead of matplotlib's constrained layout, which draws every figure
    twice and costs about a third of the report's time.
    """
    width_in, height_in = fig.get_size_inches()
    axes_h = (height_in - top_in - bottom_in - hgap_in * (nrows - 1)) / nrows
    axes_w = (width_in - left_in - right_in - wgap_in * (ncols - 1)) / ncols
    return {
        "left": left_in / width_in,
        "right": 1.0 - right_in / width_in,
        "top": 1.0 - top_in / height_in,
        "bottom": bottom_in / height_in,
        "hspace": hgap_in / axes_h if nrows > 1 else 0.0,
        "wspace": wgap_in / axes_w if ncols > 1 else 0.0,
        "height_ratios": height_ratios,
    }


def _shade_spans(
    ax, spans: Sequence[tuple[float, float, str]], hatched: Sequence[bool] = ()
) -> None:
    """Shade ``(t0, t1, side)`` spans over the full height of ``ax`` in the side colours.

    ``side`` ``both`` (a bilateral rep) in the neutral colour. Spans whose ``hatched``
    flag is true are also hatched (reps with lost data).
    """
    flags = list(hatched) + [False] * (len(spans) - len(hatched))
    for side, color in SPAN_COLORS.items():
        mine = [
            ([(t0, 0.0), (t0, 1.0), (t1, 1.0), (t1, 0.0)], flag)
            for (t0, t1, s), flag in zip(spans, flags, strict=True)
            if s == side
        ]
        verts = [rect for rect, _ in mine]
        if verts:
            ax.add_collection(
                PolyCollection(
                    verts,
                    transform=ax.get_xaxis_transform(),
                    facecolors=color,
                    edgecolors="none",
                    alpha=SPAN_ALPHA,
                    zorder=0,
                ),
                autolim=False,
            )
        marked = [rect for rect, flag in mine if flag]
        if marked:
            ax.add_collection(
                PolyCollection(
                    marked,
                    transform=ax.get_xaxis_transform(),
                    facecolors="none",
                    edgecolors="none",
                    hatch=GAP_HATCH,
                    hatchcolors=color,
                    alpha=0.45,
                    zorder=0,
                ),
                autolim=False,
            )


def _legend(ax, **kwargs) -> None:
    """A legend only when something is labelled (an empty one warns)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**kwargs)


def _plot_trace(ax, t, y, max_points: int, band_alpha: float = 1.0, **kwargs) -> None:
    """Draw a trace; one longer than ``max_points`` as its min/max band.

    The band is over ``max_points / 2`` bins: a filled polygon renders far faster than a dense
    zigzag and looks the same.
    """
    y = np.asarray(y, dtype=float)
    if np.all(np.isnan(y)):
        return
    if y.size <= max_points:
        ax.plot(t, y, **kwargs)
        return
    t_mid, low, high = minmax_bins(t, y, max_points // 2)
    color = kwargs.get("color", NEUTRAL_COLOR)
    ax.fill_between(
        t_mid,
        low,
        high,
        facecolor=color,
        edgecolor=color,
        linewidth=0.4,
        alpha=band_alpha,
        label=kwargs.get("label"),
    )


def time_series_figure(
    kinematics: Kinematics,
    reps: Sequence[AnyRep] = (),
    steps: Sequence[StepResult] = (),
    *,
    window_s: tuple[float, float] | None = None,
    max_points: int = DEFAULT_MAX_POINTS,
) -> Figure:
    """Pelvis and thigh angles over the whole session (or a window of it).

    Top: pelvic obliquity and tilt. Middle: both thighs' sagittal angles in the side
    colours. Reps are shaded in the working side's colour; for walks a bottom strip marks
    each initial contact by side.

    Parameters
    ----------
    kinematics : Kinematics
        Angles on the common time base, degrees.
    reps, steps : sequence
        Reps to shade and steps to mark.
    window_s : (float, float), optional
        Show only this time span, seconds (a closer look); the whole session by default.
    max_points : int
        Points per trace after min/max downsampling.
    """
    t = np.asarray(kinematics.t_s, dtype=float)
    sl = slice(None)
    if window_s is not None:
        t0, t1 = window_s
        sl = slice(*np.searchsorted(t, [t0, t1]))
        reps = [r for r in reps if r.t_end > t0 and r.t_start < t1]
        steps = [s for s in steps if t0 <= s.t <= t1]
    t = t[sl]
    scale = 0.8 if window_s is not None else 1.0
    # Long views read better in minutes; every time below is divided by ``per_unit``.
    span_s = (window_s[1] - window_s[0]) if window_s is not None else (np.ptp(t) if t.size else 0)
    per_unit, unit = (60.0, "min") if span_s > LONG_VIEW_S else (1.0, "s")
    t = t / per_unit
    with mpl.rc_context(RC):
        heights = [1.0, 1.15] + ([0.28] if steps else [])
        fig = _new_figure(scale * 4.9 + (0.7 if steps else 0.0))
        axes = fig.subplots(
            len(heights),
            1,
            sharex=True,
            gridspec_kw=_grid(fig, len(heights), 1, height_ratios=heights, hgap_in=0.42),
        )
        ax_p, ax_t = axes[0], axes[1]
        spans = [(r.t_start / per_unit, r.t_end / per_unit, r.side) for r in reps]
        gaps = [_has_gap(r) for r in reps]
        _plot_trace(
            ax_p,
            t,
            kinematics.pelvis_tilt_deg[sl],
            max_points,
            color=TILT_COLOR,
            linestyle=(0, (4, 1.5)),
            label="tilt (+ = anterior)",
        )
        _plot_trace(
            ax_p,
            t,
            kinematics.pelvis_obliquity_deg[sl],
            max_points,
            color=OBLIQUITY_COLOR,
            label="obliquity (+ = right side lower)",
        )
        for side in SIDES:
            _plot_trace(
                ax_t,
                t,
                kinematics.thigh_sagittal_deg(side)[sl],
                max_points,
                band_alpha=0.65,
                color=SIDE_COLORS[side],
                label=f"{side} thigh",
            )
        for ax, ylabel, title in (
            (ax_p, "pelvis (°)", "Pelvis"),
            (ax_t, "thigh angle to vertical (°)", "Thighs (flexion +, relative to gravity)"),
        ):
            ax.axhline(0.0, color="#7b8794", linewidth=0.7, zorder=1)
            ax.set_ylabel(ylabel)
            ax.set_title(title)
            _legend(ax, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, borderaxespad=0.1)
            _shade_spans(ax, spans, gaps)
        if steps:
            ax_s = axes[2]
            ax_s.eventplot(
                [[s.t / per_unit for s in steps if s.side == side] for side in SIDES],
                lineoffsets=[1.0, 0.0],
                linelengths=0.75,
                linewidths=0.9,
                colors=[SIDE_COLORS[side] for side in SIDES],
            )
            ax_s.set_yticks([1.0, 0.0], ["left", "right"])
            ax_s.set_ylim(-0.6, 1.6)
            ax_s.grid(False)
            ax_s.set_title("Initial contacts", fontsize=8.5)
        axes[-1].set_xlabel(f"time ({unit})")
        if window_s is not None:
            axes[-1].set_xlim(window_s[0] / per_unit, window_s[1] / per_unit)
        elif t.size:
            axes[-1].set_xlim(t[0], t[-1])
    return fig


def _has_gap(event) -> bool:
    """True for a rep with lost data (``data_gap_s`` above zero); steps have none."""
    gap = getattr(event, "data_gap_s", 0.0)
    return gap is not None and np.isfinite(gap) and gap > 0.0


def _jitter(n: int, width: float = 0.13) -> np.ndarray:
    """Deterministic horizontal offsets in [-width, width] (a golden-ratio sequence)."""
    return width * (2.0 * np.mod(np.arange(n) * 0.6180339887, 1.0) - 1.0)


def per_side_figure(
    events: Sequence[AnyRep] | Sequence[StepResult], metrics: Sequence[MetricInfo]
) -> Figure:
    """One small panel per metric: every rep (or step) as a dot by side, and the side mean.

    Every value axis includes zero, so the gap between the sides is seen at its true size.

    Parameters
    ----------
    events : sequence of RepResult, DrillRepResult or StepResult
        The reps or steps; a bilateral drill's rep counts for both sides.
    metrics : sequence of MetricInfo
        The metrics to show, one panel each.
    """
    with mpl.rc_context(RC):
        n = max(len(metrics), 1)
        fig = _new_figure(2.7)
        axes = np.atleast_1d(
            fig.subplots(
                1,
                n,
                gridspec_kw=_grid(
                    fig, 1, n, left_in=0.45, top_in=0.3, bottom_in=0.32, wgap_in=0.55
                ),
            )
        )
        for ax, info in zip(axes, metrics, strict=False):
            all_values = []
            for x, side in enumerate(SIDES):
                mine = [e for e in events if e.side in (side, "both")]
                v = np.array([event_value(e, info.key, side) for e in mine], dtype=float)
                gap = np.array([_has_gap(e) for e in mine], dtype=bool)
                ok = np.isfinite(v)
                v, gap = v[ok], gap[ok]
                all_values.append(v)
                if v.size == 0:
                    continue
                alpha = 0.75 if v.size <= 60 else max(0.15, 0.75 * np.sqrt(60 / v.size))
                xs = x + _jitter(v.size)
                ax.scatter(
                    xs[~gap],
                    v[~gap],
                    s=16,
                    color=SIDE_COLORS[side],
                    alpha=alpha,
                    linewidths=0,
                    zorder=3,
                )
                if gap.any():
                    # Reps with lost data: open circles (their values are partly estimates).
                    ax.scatter(
                        xs[gap],
                        v[gap],
                        s=18,
                        facecolors="white",
                        edgecolors=SIDE_COLORS[side],
                        linewidths=1.1,
                        zorder=3,
                    )
                mean = float(v.mean())
                ax.hlines(mean, x - 0.3, x + 0.3, color="#1d232a", linewidth=1.8, zorder=4)
                ax.annotate(
                    info.fmt(mean),
                    (x + 0.32, mean),
                    va="center",
                    ha="left",
                    fontsize=8.5,
                    color="#1d232a",
                    fontweight="bold",
                )
            values = np.concatenate(all_values)
            if values.size:
                # Zero is always on the axis: a zoomed axis made 64 against 68 deg of
                # thigh range look like a large asymmetry that the table calls balanced.
                low, high = min(0.0, values.min()), max(0.0, values.max())
                if high == low:
                    high = 1.0
                room = VALUE_AXIS_HEADROOM * (high - low)
                ax.set_ylim(low - room if low < 0 else 0.0, high + room if high > 0 else 0.0)
            ax.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10]))
            ax.set_xlim(-0.55, 1.85)
            ax.set_xticks([0, 1], ["left", "right"])
            for tick, side in zip(ax.get_xticklabels(), SIDES, strict=True):
                tick.set_color(SIDE_COLORS[side])
                tick.set_fontweight("bold")
            ax.grid(axis="x", visible=False)
            ax.set_title(f"{info.label} ({info.unit})", fontsize=8.5)
    return fig


def _nanmean_sd(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column mean and SD ignoring NaN, NaN where a column has no values (no warnings)."""
    ok = np.isfinite(curves)
    count = ok.sum(axis=0)
    filled = np.where(ok, curves, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, filled.sum(axis=0) / count, np.nan)
        sq = np.where(ok, (curves - mean) ** 2, 0.0).sum(axis=0)
        sd = np.where(count > 1, np.sqrt(sq / np.maximum(count - 1, 1)), np.nan)
    return mean, sd


def event_curves(
    t_s: np.ndarray,
    signal: np.ndarray,
    windows_s: np.ndarray,
    n_points: int = N_SHAPE_POINTS,
) -> np.ndarray:
    """Time-normalise a signal over windows: one row per window, ``n_points`` from 0-100 %.

    Parameters
    ----------
    t_s : ndarray, shape (n,)
        Sample times, seconds, increasing.
    signal : ndarray, shape (n,)
        Values on ``t_s``.
    windows_s : ndarray, shape (m, 2)
        Start and end time of each window, seconds.
    n_points : int
        Samples per normalised window.

    Returns
    -------
    ndarray, shape (m, n_points)
        Linear interpolation of ``signal``; NaN where a window leaves the recorded time.
    """
    w = np.asarray(windows_s, dtype=float).reshape(-1, 2)
    frac = np.linspace(0.0, 1.0, n_points)
    tq = w[:, :1] + (w[:, 1:] - w[:, :1]) * frac
    if np.asarray(t_s).size < 2:
        return np.full(tq.shape, np.nan)
    out = np.interp(tq.ravel(), t_s, signal, left=np.nan, right=np.nan)
    return out.reshape(tq.shape)


def _shape_panel(ax, pct, curves_by_side, title, ylabel, legend_at: str = "upper right") -> None:
    """Mean and +/-1 SD of each group's curves: ``left``, ``right`` or ``both`` (the colour)."""
    for side, color in SPAN_COLORS.items():
        curves = curves_by_side.get(side)
        if curves is None or curves.shape[0] == 0:
            continue
        mean, sd = _nanmean_sd(curves)
        name = "all reps" if side == "both" else side
        ax.fill_between(pct, mean - sd, mean + sd, color=color, alpha=0.18, linewidth=0)
        ax.plot(pct, mean, color=color, linewidth=1.8, label=f"{name} (n={curves.shape[0]})")
    ax.axhline(0.0, color="#7b8794", linewidth=0.7, zorder=1)
    ax.set_xlim(0, 100)
    ax.set_title(title, fontsize=8.5)
    ax.set_ylabel(ylabel)
    _legend(ax, loc=legend_at)


def _typical(windows: np.ndarray, factor: float = 1.6) -> np.ndarray:
    """Windows no longer than ``factor`` times the median length (drops pauses and turns)."""
    if len(windows) == 0:
        return windows
    length = windows[:, 1] - windows[:, 0]
    return windows[length <= factor * np.median(length)]


def _drill_curves(
    kinematics: Kinematics, reps: Sequence[AnyRep], shape: ShapeCurve
) -> dict[str, np.ndarray]:
    """One :class:`ShapeCurve` over ``reps``, time-normalised, by working side.

    ``each`` gives each thigh over every rep (by thigh); a curve of no side over
    bilateral reps is one group, ``both``.
    """
    t = np.asarray(kinematics.t_s, dtype=float)
    out: dict[str, np.ndarray] = {}
    groups = SIDES if any(r.side in SIDES for r in reps) or shape.side == "each" else ("both",)
    for group in groups:
        mine = (
            reps
            if shape.side == "each" or group == "both"
            else [r for r in reps if r.side == group]
        )
        if not mine:
            continue
        side = {"working": group, "other": OTHER.get(group, group), "each": group}.get(
            shape.side, ""
        )
        values = _drill_column(kinematics, shape.column.format(side=side))
        sign = shape.sign * (SIDE_SIGN[side] if shape.side_signed else 1.0)
        windows = np.array([(r.t_start, r.t_end) for r in mine])
        out[group] = sign * event_curves(t, values, windows)
    return out


def _drill_column(kinematics: Kinematics, name: str) -> np.ndarray:
    """A kinematics column as the drills' metrics read it (:class:`~.base.RepView`).

    The obliquity in the rotation-obliquity-tilt order: in a deep hinge the projected
    one is several times the drop.
    """
    if name == "pelvis_obliquity_deg":
        obliquity, _ = pelvis_euler_deg(
            kinematics.pelvis_tilt_deg,
            kinematics.pelvis_obliquity_deg,
            kinematics.pelvis_rotation_deg,
        )
        return np.asarray(obliquity, dtype=float)
    return np.asarray(getattr(kinematics, name), dtype=float)


def _drill_shape_figure(kinematics: Kinematics, reps: Sequence[AnyRep], activity: str) -> Figure:
    """The drill's own average-rep curves (its ``SHAPES``), one panel each."""
    shapes = drill(activity).SHAPES
    pct = np.linspace(0.0, 100.0, N_SHAPE_POINTS)
    with mpl.rc_context(RC):
        fig = _new_figure(2.8)
        axes = np.atleast_1d(
            fig.subplots(1, len(shapes), gridspec_kw=_grid(fig, 1, len(shapes), top_in=0.3))
        )
        for ax, shape in zip(axes, shapes, strict=True):
            # A rep's curves rise from rest and come back: the bottom middle is free.
            curves = _drill_curves(kinematics, reps, shape)
            _shape_panel(ax, pct, curves, shape.title, shape.ylabel, "lower center")
            ax.set_xlabel("% of rep")
    return fig


def average_shape_figure(
    kinematics: Kinematics,
    reps: Sequence[AnyRep] = (),
    steps: Sequence[StepResult] = (),
    activity: str | None = None,
) -> Figure:
    """Average time-normalised curves by side (mean line and +/-1 SD band).

    For reps (0-100 % of the rep): the working thigh's angle, and the pelvic drop toward
    the side opposite the working leg (obliquity signed so that positive is that drop).
    For steps (0-100 % from one initial contact to the next): the same pelvic drop by
    stance side, and the stance thigh over its own stride. A standing drill's reps
    (``activity``) show the drill's own curves (its module's ``SHAPES``: its driver and
    the drop on its own side).
    """
    if reps and activity in drill_names():
        return _drill_shape_figure(kinematics, reps, activity)
    t = np.asarray(kinematics.t_s, dtype=float)
    obliquity = np.asarray(kinematics.pelvis_obliquity_deg, dtype=float)
    pct = np.linspace(0.0, 100.0, N_SHAPE_POINTS)
    thigh_curves: dict[str, np.ndarray] = {}
    drop_curves: dict[str, np.ndarray] = {}
    for side in SIDES:
        # Obliquity is + when the right side is lower: a drop opposite the left leg is +.
        drop_sign = 1.0 if side == "left" else -1.0
        thigh = kinematics.thigh_sagittal_deg(side)
        if reps:
            windows = np.array([(r.t_start, r.t_end) for r in reps if r.side == side])
            thigh_windows = windows
        else:
            # A step whose step_time_s is None starts a new walking bout: no window
            # spans the pause before it.
            idx = [
                i
                for i in range(len(steps) - 1)
                if steps[i].side == side and steps[i + 1].step_time_s is not None
            ]
            windows = np.array([(steps[i].t, steps[i + 1].t) for i in idx])
            own = np.array([s.t for s in steps if s.side == side])
            strides = np.column_stack([own[:-1], own[1:]]) if own.size > 1 else np.empty((0, 2))
            thigh_windows = _typical(strides)
        if len(windows):
            drop_curves[side] = drop_sign * event_curves(t, obliquity, windows)
        if len(thigh_windows):
            thigh_curves[side] = event_curves(t, thigh, thigh_windows)
    with mpl.rc_context(RC):
        fig = _new_figure(2.8)
        ax_thigh, ax_drop = fig.subplots(1, 2, gridspec_kw=_grid(fig, 1, 2, top_in=0.3))
        if reps:
            thigh_title, thigh_x = "Working thigh, by working leg", "% of rep"
            drop_title, drop_x = "Pelvic drop on the opposite side, by working leg", "% of rep"
        else:
            thigh_title, thigh_x = "Thigh over its stride, from its initial contact", "% of stride"
            drop_title = "Pelvic drop on the swing side, by stance leg"
            drop_x = "% of step (contact to next contact)"
        _shape_panel(ax_thigh, pct, thigh_curves, thigh_title, "thigh angle (°)")
        _shape_panel(ax_drop, pct, drop_curves, drop_title, "drop (°)")
        ax_thigh.set_xlabel(thigh_x)
        ax_drop.set_xlabel(drop_x)
    return fig
