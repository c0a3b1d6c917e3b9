"""A small tree of short simulated sessions (and one broken file) for the batch and
catalogue tests: two step-up sessions of subject P01 two weeks apart, one walk of P02."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from sensorlab.io.writer import write_recording
from sensorlab.simulate.scenarios import make_scenario

SESSIONS = {
    # relative path: (scenario, seed, subject, started_at)
    "p01/day1/step_up.csv": ("step_up_asymmetric", 1, "P01", "2026-11-01T10:00:00"),
    "p01/day2/step_up.csv": ("step_up_asymmetric", 2, "P01", "2026-11-15T10:00:00"),
    "p02/walk.csv": ("walk_asymmetric", 3, "P02", "2026-11-02T09:30:00"),
}
BROKEN = "p02/broken.csv"
DURATION_S = 40.0


def write_session_tree(root: Path) -> dict[str, object]:
    """Write :data:`SESSIONS` and the broken file under ``root``; return each session's
    ground truth by relative path."""
    truths = {}
    for relative, (scenario, seed, subject, started_at) in SESSIONS.items():
        session = make_scenario(scenario, seed, duration_s=DURATION_S)
        meta = replace(session.recording.meta, subject=subject, started_at=started_at)
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        write_recording(replace(session.recording, meta=meta), path)
        truths[relative] = session.truth
    (root / BROKEN).write_text("t,sensor,acc_x\n0.0,pelvis,9.8\n", encoding="utf-8")
    return truths
