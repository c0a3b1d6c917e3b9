"""Which activity a session is reported as, and on what basis: the analysis's last step.

A clinician acts on the reps and steps reported, so the activity is checked, never just
taken: what the movement looks like (:func:`.activity.classify_movement`) and the reps
the segmenters found (:mod:`.segmentation`) either confirm the given activity or
contradict it (then nothing is counted), or, without one, pick it. The basis is
``SessionAnalysis.activity_basis``'s; the warnings say why, in words.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sensorlab.processing.activity import ANALYSED, Movement
from sensorlab.processing.calibration import DEFAULT_CUES
from sensorlab.processing.movements import alignment_cues, drill_names

ACTIVITIES = (*ANALYSED, *drill_names())
"""Activities the analysis turns into reps or steps: step-ups, walks and the standing
drills of :mod:`.movements`."""
MIN_DETECTED_DRILL_REPS = 2
"""Without a given activity, a drill is detected from at least this many of its reps."""
AMBIGUOUS_RATIO = 0.5
"""Without a given activity, a second drill with at least this fraction of the first's
reps (and at least :data:`MIN_DETECTED_DRILL_REPS`) makes the movement ambiguous: each
drill's reps are its own on the others' data (``tests/test_movements.py``), so two
drills finding many are a movement that fits both (a split squat whose rear thigh hardly
moves, a single-leg squat with the free thigh held behind)."""
MIN_GUESSED_REPS = 2
"""Without a given activity and an unrecognised movement, step-up reps that make a guess."""
MIN_GUESSED_STEPS = 6
"""Without a given activity and an unrecognised movement, gait steps that make a guess."""


@dataclass(frozen=True)
class ActivityEvidence:
    """What the end of a session knows for choosing its activity.

    Attributes
    ----------
    stated : str or None
        The activity given (``--activity``, the live toolbar or the sidecar), any word.
    origin : str
        Where it was given, for the warnings (``from --activity``...).
    movement : Movement
        What the movement looks like.
    reps : int
        Reps found of the stated activity (step-up reps without one).
    steps : int
        Gait steps found.
    drill_reps : dict of str to int
        Without a given activity, each drill's reps found.
    """

    stated: str | None
    origin: str
    movement: Movement
    reps: int
    steps: int
    drill_reps: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ActivityChoice:
    """The activity reported, its basis (as ``SessionAnalysis.activity_basis``) and why."""

    activity: str
    basis: str
    warnings: tuple[str, ...] = ()


def choose_activity(evidence: ActivityEvidence) -> ActivityChoice:
    """The activity to report and its basis.

    A given activity that the movement clearly contradicts (another analysed activity,
    or another drill) reports nothing: reps or steps counted under it are artefacts (a
    step-up's foot contacts are not gait steps). A movement that could not be recognised
    contradicts nothing. A given drill is confirmed by its reps: no other drill's,
    step-up's or walk's data gives any (``tests/test_movements.py``).
    """
    movement = evidence.movement
    looks = f"the movement looks like {movement.description}"
    stated = evidence.stated
    listed = ", ".join(ACTIVITIES)
    if stated is not None and stated not in ACTIVITIES:
        hint = (
            f"; {looks} (set --activity {movement.label} to analyse it)"
            if movement.analysed
            else ""
        )
        return ActivityChoice(
            stated,
            "not_analysed",
            (
                f"the sidecar's activity is {stated}, which sensorlab does not analyse (only "
                f"{listed}): no reps, steps or findings are reported{hint}",
            ),
        )
    if stated in drill_names():
        return _given_drill(evidence, stated, looks)
    if stated is not None:
        return _given(evidence, stated, looks)
    drill = _detected_drill(evidence)
    if drill is not None:
        return drill
    if movement.analysed:
        return ActivityChoice(
            movement.label,
            "detected",
            (
                f"activity not given: analysed as {movement.label} because {looks} "
                "(set it with --activity)",
            ),
        )
    if movement.label != "unknown":
        return ActivityChoice(
            movement.label,
            "not_analysed",
            (
                f"{looks}: sensorlab analyses only {listed}, so no reps, steps or findings "
                "are reported",
            ),
        )
    return _guessed(evidence)


def _given(evidence: ActivityEvidence, stated: str, looks: str) -> ActivityChoice:
    movement = evidence.movement
    if movement.label != stated and movement.label in (*ACTIVITIES, "other_exercise"):
        return ActivityChoice(
            stated,
            "contradicted",
            (
                f"activity {stated} ({evidence.origin}), but {looks}; no reps, steps or "
                "findings are reported (check the activity)",
            ),
        )
    if movement.label != stated:
        # Too little to judge (a sensor missing, a short bout): say so, since the check
        # that guards against a wrong activity could not be made.
        return ActivityChoice(
            stated,
            "given",
            (
                f"activity {stated} ({evidence.origin}) could not be confirmed from the "
                f"movement: {movement.description}",
            ),
        )
    return ActivityChoice(stated, "given")


def _given_drill(evidence: ActivityEvidence, drill: str, looks: str) -> ActivityChoice:
    """A given drill: confirmed by its reps.

    None found while the movement looks like walking or step-ups contradicts it.
    """
    label = evidence.movement.label
    if evidence.reps == 0 and label in ANALYSED:
        return ActivityChoice(
            drill,
            "contradicted",
            (
                f"activity {drill} ({evidence.origin}), but {looks} and no "
                f"{drill.replace('_', ' ')} repetition was found; no reps or findings are "
                f"reported (check the activity; --activity {label} analyses it as that)",
            ),
        )
    return ActivityChoice(drill, "given")


def rival_drill(counts: dict[str, int]) -> str | None:
    """The drill that makes ``counts`` (reps found by drill) ambiguous, or None.

    The runner-up, when it found at least :data:`MIN_DETECTED_DRILL_REPS` reps and
    :data:`AMBIGUOUS_RATIO` of the most.
    """
    ranked = sorted(counts, key=counts.__getitem__, reverse=True)
    if len(ranked) < 2:
        return None
    best, second = counts[ranked[0]], counts[ranked[1]]
    if second >= MIN_DETECTED_DRILL_REPS and second >= AMBIGUOUS_RATIO * best:
        return ranked[1]
    return None


def detected_warning(drill: str, reps: int) -> str:
    """What to say of a drill found without a given activity from its ``reps``."""
    return f"activity not given: analysed as {drill} because {reps} of its repetitions were found"


def ambiguity_warning(best: str, rival: str, counts: dict[str, int]) -> str:
    """What to say when the movement fits two drills."""
    return (
        f"activity not given and the movement fits two drills: {counts[best]} "
        f"{best} and {counts[rival]} {rival} repetitions; analysed as {best}, without "
        f"findings (set --activity {best} or --activity {rival})"
    )


def _detected_drill(evidence: ActivityEvidence) -> ActivityChoice | None:
    """The drill the reps found say this is; None if none.

    The drill with the most reps (at least :data:`MIN_DETECTED_DRILL_REPS`) wins, unless
    the movement looks like step-ups and more step-ups were found; with a rival
    (:func:`rival_drill`) it is ``guessed``, without findings. A drill whose alignment
    needs to be told (its ``ALIGNMENT`` cues) was measured with cues its movement does not
    support: ``guessed``, without findings (:func:`~.pipeline.analyze` re-analyses a
    recording as that drill).
    """
    counts = evidence.drill_reps
    best = max(counts, key=counts.__getitem__, default=None)
    if best is None or counts[best] < MIN_DETECTED_DRILL_REPS:
        return None
    if evidence.movement.label == "step_up" and evidence.reps >= counts[best]:
        return None
    rival = rival_drill(counts)
    if rival is not None:
        return ActivityChoice(best, "guessed", (ambiguity_warning(best, rival, counts),))
    said = detected_warning(best, counts[best])
    if alignment_cues(best) != DEFAULT_CUES:
        return ActivityChoice(
            best,
            "guessed",
            (
                f"{said}; its sensor alignment needs the activity to be given, so no findings "
                f"are reported (set --activity {best})",
            ),
        )
    return ActivityChoice(best, "detected", (f"{said} (set it with --activity)",))


def _guessed(evidence: ActivityEvidence) -> ActivityChoice:
    """An unrecognised movement (e.g. a drill seen by the pelvis alone).

    What the segmenters found decides, without findings.
    """
    unrecognised = (
        f"activity not given and the movement was not recognised ({evidence.movement.description})"
    )
    if evidence.reps >= MIN_GUESSED_REPS:
        guessed, found = "step_up", f"{evidence.reps} reps"
    elif evidence.steps >= MIN_GUESSED_STEPS:
        guessed, found = "walk", f"{evidence.steps} steps"
    else:
        return ActivityChoice(
            "unknown",
            "not_analysed",
            (f"{unrecognised}: no reps, steps or findings are reported (set it with --activity)",),
        )
    return ActivityChoice(
        guessed,
        "guessed",
        (
            f"{unrecognised}: analysed as {guessed} from the {found} found, without findings "
            "(set it with --activity)",
        ),
    )
