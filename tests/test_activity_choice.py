"""Choosing the reported activity (:mod:`sensorlab.processing.activity_choice`), rule by rule.

The end-to-end cases (simulated step-ups, walks and drills, given or not) are in
``tests/test_activity.py`` and ``tests/test_drill_analysis.py``; here each rule on its own.
"""

from __future__ import annotations

import pytest

from sensorlab.processing.activity import Movement
from sensorlab.processing.activity_choice import (
    MIN_DETECTED_DRILL_REPS,
    ActivityEvidence,
    choose_activity,
)

WALK = Movement("walk", "walking")
STEP_UPS = Movement("step_up", "step-ups")
OTHER = Movement("other_exercise", "another exercise")
UNKNOWN = Movement("unknown", "too little movement")


def evidence(stated=None, movement=OTHER, reps=0, steps=0, drill_reps=None):
    return ActivityEvidence(stated, "from --activity", movement, reps, steps, drill_reps or {})


def test_a_given_drill_with_reps_is_given_whatever_the_movement_looks_like():
    for movement in (WALK, STEP_UPS, OTHER, UNKNOWN):
        choice = choose_activity(evidence("split_squat", movement, reps=3))
        assert (choice.activity, choice.basis, choice.warnings) == ("split_squat", "given", ())


@pytest.mark.parametrize("movement", [WALK, STEP_UPS])
def test_a_given_drill_without_reps_on_walking_or_step_ups_is_contradicted(movement):
    choice = choose_activity(evidence("lunge", movement))
    assert choice.basis == "contradicted"
    assert f"--activity {movement.label}" in choice.warnings[0]


def test_a_given_drill_without_reps_on_another_exercise_stays_given():
    """No rep found is said by the analysis; nothing here contradicts the drill."""
    assert choose_activity(evidence("kickback", OTHER)).basis == "given"


def test_an_unknown_word_is_not_analysed_and_hints_at_the_movement():
    choice = choose_activity(evidence("pistol_squat", STEP_UPS))
    assert (choice.activity, choice.basis) == ("pistol_squat", "not_analysed")
    assert "--activity step_up" in choice.warnings[0] and "split_squat" in choice.warnings[0]


def test_the_drill_with_most_reps_is_detected_and_needs_enough():
    few = {"squat": MIN_DETECTED_DRILL_REPS - 1}
    assert choose_activity(evidence(movement=OTHER, drill_reps=few)).basis == "not_analysed"
    counts = {"squat": 5, "split_squat": 2}
    choice = choose_activity(evidence(movement=WALK, drill_reps=counts))
    assert (choice.activity, choice.basis) == ("squat", "detected")


def test_a_drill_whose_alignment_needs_the_activity_is_only_guessed():
    choice = choose_activity(evidence(movement=OTHER, drill_reps={"single_leg_rdl": 6}))
    assert (choice.activity, choice.basis) == ("single_leg_rdl", "guessed")
    assert "--activity single_leg_rdl" in choice.warnings[0]


def test_more_step_ups_than_drill_reps_on_step_ups_stay_step_ups():
    choice = choose_activity(evidence(movement=STEP_UPS, reps=8, drill_reps={"squat": 3}))
    assert (choice.activity, choice.basis) == ("step_up", "detected")


def test_an_unrecognised_movement_is_guessed_from_what_was_found_without_findings():
    assert choose_activity(evidence(movement=UNKNOWN, reps=4)).activity == "step_up"
    assert choose_activity(evidence(movement=UNKNOWN, reps=4)).basis == "guessed"
    assert choose_activity(evidence(movement=UNKNOWN, steps=10)).activity == "walk"
    assert choose_activity(evidence(movement=UNKNOWN, steps=3)).basis == "not_analysed"
