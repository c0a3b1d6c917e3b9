"""Colours shared by the report and the live view, so a side looks the same everywhere.

Left and right are a colour-blind-safe blue/orange pair (they differ in hue *and*
lightness, so they also survive greyscale printing). Asymmetry grades use pale zone
tints plus a text label, never colour alone.
"""

from __future__ import annotations

LEFT_COLOR = "#1f6fb4"
"""Left side: blue."""

RIGHT_COLOR = "#e07b00"
"""Right side: orange."""

SIDE_COLORS: dict[str, str] = {"left": LEFT_COLOR, "right": RIGHT_COLOR}

NEUTRAL_COLOR = "#5f6b76"
"""Neutral ink for things that belong to neither side (pelvis traces, means, axes)."""

OBLIQUITY_COLOR = "#1d2733"
"""Pelvic obliquity traces: near-black ink, solid."""

TILT_COLOR = "#aa4499"
"""Pelvic tilt traces (drawn dashed beside obliquity): purple from Paul Tol's
colour-blind-safe "muted" scheme. It differs from the obliquity's near-black in hue and
lightness (so also in greyscale) and from both side colours, and it is not a grade's ink
(the two greys used before could not be told apart)."""

NEUTRAL_ZONE_COLOR = "#d3eadb"
"""Background of the balanced zone (``|SI| < 10 %``)."""

BORDERLINE_ZONE_COLOR = "#f7e4ae"
"""Background of the borderline zone (``10 % <= |SI| <= 15 %``)."""

WARNING_ZONE_COLOR = "#f4d3de"
"""Background of the notable zone (``|SI| > 15 %``)."""

BORDERLINE_COLOR = "#9a6b00"
"""Ink for borderline labels (dark amber, readable on white)."""

WARNING_COLOR = "#b0285a"
"""Ink for notable asymmetries and data warnings (raspberry: distinct from the right
side's orange for common colour-vision deficiencies)."""

OK_COLOR = "#2e7d4f"
"""Ink for balanced labels and good data quality."""

LEVEL_COLORS: dict[str, str] = {
    "balanced": OK_COLOR,
    "borderline": BORDERLINE_COLOR,
    "notable": WARNING_COLOR,
    "unavailable": NEUTRAL_COLOR,
}
"""Ink per asymmetry grade (see :mod:`sensorlab.summary.findings`)."""

LEVEL_ZONE_COLORS: dict[str, str] = {
    "balanced": NEUTRAL_ZONE_COLOR,
    "borderline": BORDERLINE_ZONE_COLOR,
    "notable": WARNING_ZONE_COLOR,
    "unavailable": "#eef0f2",
}
"""Pale background per asymmetry grade."""


def side_color(side: str) -> str:
    """The colour of ``"left"`` or ``"right"`` (neutral ink for anything else)."""
    return SIDE_COLORS.get(side, NEUTRAL_COLOR)
