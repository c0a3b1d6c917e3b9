"""One module per movement: what one rep (or step) is, which side works, its metrics.

Every movement module here holds ``NAME``, ``TITLE``, ``WORKING_SIDE`` (in words),
``PER_SIDE_METRICS`` with their ``METRICS`` (:class:`~.base.MetricText`: label, help),
``FINDINGS`` (plain-language templates) and ``MIN_DIFFERENCE``, ``SENSORS`` (the
placements its reps need), ``ALIGNMENT`` (the
:class:`~sensorlab.processing.calibration.AlignmentCues` its movement makes valid) and
its settings (``DEFAULT_SETTINGS``). A unilateral one has ``SIDE_PHRASE`` (a rep of a
side in words, for the views).

**The step-up and the walk** (:mod:`.step_up`, :mod:`.walk`) have segmenters of their own
(``Segmenter``: :mod:`sensorlab.processing.reps`, :mod:`sensorlab.processing.gait`) and
their own records (:class:`~sensorlab.records.RepResult`,
:class:`~sensorlab.records.StepResult`).

**The standing drills** share the streaming :class:`~.base.ExcursionSegmenter` and
:class:`~sensorlab.records.DrillRepResult`; each has a settings dataclass with an
``excursion`` (:class:`~.base.ExcursionSettings`), ``drivers(columns, lo, hi)``,
``judge(view, settings)`` and ``metrics(view, side)``, and keeps the tempo of
:data:`~.base.TEMPO_METRICS`. A bilateral drill also has ``REP_FIELDS`` (its per-rep
metrics, when they are not the per-side ones) and ``BILATERAL`` (which per-rep metric
holds each side's value of a per-side one). ``SHAPES`` (:class:`~.base.ShapeCurve`) are
the curves the report averages over its reps.

Movements are found by module name: adding a drill is adding its module (and its
simulator profile in :mod:`sensorlab.simulate.drills`, and its tests).
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
from types import ModuleType

from sensorlab.processing.calibration import DEFAULT_CUES, AlignmentCues

_SHARED = {"base"}


@functools.cache
def movement_names() -> tuple[str, ...]:
    """Names of the movements with a module here: the step-up, the walk and the drills."""
    return tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name not in _SHARED))


def movement(name: str) -> ModuleType:
    """The module of movement ``name``.

    Raises
    ------
    ValueError
        When no module is named so.
    """
    if name not in movement_names():
        raise ValueError(f"no movement {name!r}; movements: {', '.join(movement_names())}")
    return importlib.import_module(f"{__name__}.{name}")


@functools.cache
def drill_names() -> tuple[str, ...]:
    """Names of the standing drills: the movements the excursion segmenter finds (``judge``)."""
    return tuple(name for name in movement_names() if hasattr(movement(name), "judge"))


def drill(name: str) -> ModuleType:
    """The module of standing drill ``name``.

    Raises
    ------
    ValueError
        When no drill is named so.
    """
    if name not in drill_names():
        raise ValueError(f"no drill {name!r}; drills: {', '.join(drill_names())}")
    return movement(name)


def alignment_cues(activity: str | None) -> AlignmentCues:
    """The movement cues the alignment may use for ``activity``.

    A movement's ``ALIGNMENT``; an unknown activity uses every cue.
    """
    if activity in movement_names():
        return movement(activity).ALIGNMENT
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
