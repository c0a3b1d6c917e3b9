"""Small inline SVG graphics for the report (crisp at any zoom, no image files).

SVG is written without an ``xmlns`` attribute: HTML5 parsers place inline ``<svg>`` in
the SVG namespace themselves, and the report then holds no URL at all.
"""

from __future__ import annotations

import math

from sensorlab.summary.findings import NEUTRAL_SI_PCT, NOTABLE_SI_PCT, classify_si
from sensorlab.summary.style import (
    BORDERLINE_ZONE_COLOR,
    LEVEL_COLORS,
    NEUTRAL_ZONE_COLOR,
    WARNING_ZONE_COLOR,
)

SI_BAR_LIMIT_PCT = 50.0
"""Half-range of the SI bar: values beyond +/-50 % are drawn at the end with an arrow."""


def si_bar_svg(
    si_pct: float | None,
    level: str,
    *,
    limit_pct: float = SI_BAR_LIMIT_PCT,
    width_px: int = 220,
    height_px: int = 26,
) -> str:
    """A horizontal symmetry-index gauge: zones, a zero line and the value as a bar.

    The balanced zone (``|SI| < 10 %``) is shaded green-grey, the borderline band
    (10-15 %) amber and beyond 15 % rose; the value is a bar from zero in the ink of its
    grade (:data:`sensorlab.summary.style.LEVEL_COLORS`), ending in a dot, or an arrow
    when clipped. Left of zero the left side is larger, right of zero the right side.

    The gauge shows what the grade says: a metric graded balanced although its SI alone
    would not be (the sides differ by less than the measurement noise,
    :func:`sensorlab.summary.findings.min_difference`) is a balanced dot at zero, never a
    bar or an arrow across the zones (the SI itself is printed beside the gauge).

    Parameters
    ----------
    si_pct : float or None
        Robinson symmetry index, percent; ``None`` draws the empty gauge.
    level : str
        Grade from :func:`sensorlab.summary.findings.grade`.
    limit_pct : float
        Half-range of the gauge, percent.
    width_px, height_px : int
        Size in CSS pixels.

    Returns
    -------
    str
        An ``<svg>`` element.
    """
    within_noise = level == "balanced" and classify_si(si_pct) in ("borderline", "notable")
    pad = 7.0
    inner = width_px - 2 * pad
    mid_y = height_px / 2

    def x_of(pct: float) -> float:
        return pad + inner * (0.5 + max(-limit_pct, min(limit_pct, pct)) / (2 * limit_pct))

    y0, h = 4.0, height_px - 8.0
    parts = [
        f'<svg class="si-bar" width="{width_px}" height="{height_px}" '
        f'viewBox="0 0 {width_px} {height_px}" role="img" '
        f'aria-label="{_aria(si_pct, level, within_noise)}">',
        f'<rect x="{pad}" y="{y0}" width="{inner}" height="{h}" fill="{WARNING_ZONE_COLOR}" '
        'rx="2"/>',
        f'<rect x="{x_of(-NOTABLE_SI_PCT):.1f}" y="{y0}" '
        f'width="{x_of(NOTABLE_SI_PCT) - x_of(-NOTABLE_SI_PCT):.1f}" height="{h}" '
        f'fill="{BORDERLINE_ZONE_COLOR}"/>',
        f'<rect x="{x_of(-NEUTRAL_SI_PCT):.1f}" y="{y0}" '
        f'width="{x_of(NEUTRAL_SI_PCT) - x_of(-NEUTRAL_SI_PCT):.1f}" height="{h}" '
        f'fill="{NEUTRAL_ZONE_COLOR}"/>',
        f'<line x1="{x_of(0):.1f}" y1="1" x2="{x_of(0):.1f}" y2="{height_px - 1}" '
        'stroke="#55606b" stroke-width="1"/>',
    ]
    if within_noise:
        parts.append(
            f'<circle cx="{x_of(0):.1f}" cy="{mid_y:.1f}" r="4.5" '
            f'fill="{LEVEL_COLORS["balanced"]}" stroke="#fff" stroke-width="1.2"/>'
        )
    elif si_pct is not None and math.isfinite(si_pct):
        ink = LEVEL_COLORS.get(level, "#55606b")
        x0, x1 = x_of(0), x_of(si_pct)
        parts.append(
            f'<rect x="{min(x0, x1):.1f}" y="{mid_y - 3:.1f}" width="{abs(x1 - x0):.1f}" '
            f'height="6" fill="{ink}" rx="1"/>'
        )
        if abs(si_pct) > limit_pct:
            d = 1 if si_pct > 0 else -1
            tip = x1 + d * 6
            parts.append(
                f'<path d="M{x1:.1f},{mid_y - 6:.1f} L{tip:.1f},{mid_y:.1f} '
                f'L{x1:.1f},{mid_y + 6:.1f} Z" fill="{ink}"/>'
            )
        else:
            parts.append(
                f'<circle cx="{x1:.1f}" cy="{mid_y:.1f}" r="4.5" fill="{ink}" '
                'stroke="#fff" stroke-width="1.2"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _aria(si_pct: float | None, level: str, within_noise: bool) -> str:
    if si_pct is None or not math.isfinite(si_pct):
        return "symmetry index not available"
    grade = (
        "balanced: the sides differ by less than the measurement noise" if within_noise else level
    )
    return f"symmetry index {si_pct:+.1f} percent, {grade}"
