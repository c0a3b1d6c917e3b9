"""One module per drill: what one rep is, which side works, the per-rep metrics.

Each standing-drill module here holds ``NAME``, ``TITLE``, ``WORKING_SIDE`` (in words),
``PER_SIDE_METRICS`` with their ``METRICS`` (label, help), ``FINDINGS`` (plain-language
templates) and ``MIN_DIFFERENCE``, ``SENSORS`` (the placements its reps need),
``ALIGNMENT`` (the :class:`~sensorlab.processing.calibration.AlignmentCues` its movement
makes valid), a settings dataclass with an ``excursion``
(:class:`~.base.ExcursionSettings`) and ``DEFAULT_SETTINGS``, ``drivers(columns, lo,
hi)``, ``judge(view, settings)`` and ``metrics(view, side)``; :mod:`.base` holds what
they share and the streaming :class:`~.base.ExcursionSegmenter`. A bilateral drill also
has ``REP_FIELDS`` (its per-rep metrics, when they are not the per-side ones) and
``BILATERAL`` (which per-rep metric holds each side's value of a per-side one); a
unilateral one ``SIDE_PHRASE`` (a rep of a side in words, for the views). ``SHAPES``
(:class:`~.base.ShapeCurve`) are the curves the report averages over its reps. Drills
are found by module name: adding one is adding its module (and its simulator profile in
:mod:`sensorlab.simulate.drills`, and its tests).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from types import ModuleType

from sensorlab.processing.calibration import DEFAULT_CUES, AlignmentCues

_SHARED = {"base"}


@functools.cache
def drill_names() -> tuple[str, ...]:
    """Names of the standing drills with a module here."""
    return tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in _SHARED))


def drill(name: str) -> ModuleType:
    """The module of drill ``name``.

    Raises
    ------
    ValueError
        When no module is named so.
    """
    if name not in drill_names():
        raise ValueError(f"no drill {name!r}; drills: {', '.join(drill_names())}")
    return importlib.import_module(f"{__name__}.{name}")


def alignment_cues(activity: str | None) -> AlignmentCues:
    """The movement cues the alignment may use for ``activity``.

    A drill's ``ALIGNMENT``; step-ups, walks and an unknown activity use every cue.
    """
    if activity in drill_names():
        return drill(activity).ALIGNMENT
    return DEFAULT_CUES


def rep_metric_keys(name: str) -> tuple[str, ...]:
    """The per-rep metrics of drill ``name`` (besides the tempo every rep keeps)."""
    module = drill(name)
    return tuple(getattr(module, "REP_FIELDS", module.PER_SIDE_METRICS))


def side_value(name: str, metrics: dict[str, float], key: str, rep_side: str, side: str) -> float:
    """The value a rep of drill ``name`` gives the per-side metric ``key`` of ``side``.

    A unilateral rep (``rep_side`` ``left`` or ``right``) gives its own side its metric and
    the other side nothing (NaN); a bilateral one (``both``) gives each side its own value
    (``BILATERAL``).
    """
    if rep_side == "both":
        return float(metrics.get(drill(name).BILATERAL[key][side], float("nan")))
    return float(metrics.get(key, float("nan"))) if rep_side == side else float("nan")
