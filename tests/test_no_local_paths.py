"""No output carries a local folder's name: a folder is often named after the patient.

A recording in ``Jane Doe/`` with a few faults (a sidecar from a newer version, a bad row)
makes warnings that name the file; the folder must appear in no summary, report, reps
table, event line or terminal message, whichever command produced it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sensorlab.cli import main

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"
FOLDER = "Jane Doe"


@pytest.fixture
def patient_recording(tmp_path) -> Path:
    folder = tmp_path / FOLDER
    folder.mkdir()
    csv = folder / "session.csv"
    lines = (RECORDINGS / "step_up_asymmetric.csv").read_text().splitlines()
    lines.insert(40, "1.0,pelvis,abc,0,0,0,0,0")  # one unreadable row: a warning
    csv.write_text("\n".join(lines) + "\n")
    sidecar = json.loads((RECORDINGS / "step_up_asymmetric.json").read_text())
    sidecar["version"] = 99  # newer than known: a warning naming the sidecar
    csv.with_suffix(".json").write_text(json.dumps(sidecar, indent=2))
    return csv


def _outputs(out: Path) -> str:
    return "\n".join(path.read_text() for path in sorted(out.iterdir()) if path.is_file())


def test_analyze_and_replay_name_the_file_but_never_its_folder(patient_recording, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["analyze", str(patient_recording), "--out", str(out)]) == 0
    terminal = capsys.readouterr()
    said = terminal.out + terminal.err + _outputs(out)
    summary = json.loads((out / "summary.json").read_text())
    # The faults were noticed and named by the file (so the check below can fail).
    assert any("session.csv" in w for w in summary["warnings"]), summary["warnings"]
    assert any("session.json" in w for w in summary["warnings"]), summary["warnings"]
    assert FOLDER not in said

    assert main(["replay", str(patient_recording), "--speed", "max", "--out", str(out)]) == 0
    terminal = capsys.readouterr()
    assert "rep" in terminal.out
    assert FOLDER not in terminal.out + terminal.err + _outputs(out)


def test_errors_name_the_file_but_never_its_folder(patient_recording, tmp_path, capsys):
    patient_recording.with_suffix(".json").write_text('{"sensors": [1,]}')
    assert main(["analyze", str(patient_recording), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert "session.json:1:" in error and "invalid JSON" in error
    assert FOLDER not in error


@pytest.mark.realtime  # the window stays up for --duration S of wall-clock time
@pytest.mark.parametrize(("kind", "seconds"), [("replay", 2), ("virtual:replay", 8)])
def test_the_live_window_names_the_file_but_never_its_folder(
    kind, seconds, patient_recording, tmp_path
):
    """On a replay and on virtual Bluetooth sensors playing the recording (these stream in
    real time: a few seconds to calibrate)."""
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable, "-m", "sensorlab.cli", "live",
            "--source", f"{kind}:{patient_recording}", "--speed", "max",
            "--duration", str(seconds), "--screenshot", str(tmp_path / "live.png"),
            "--out", str(out),
        ],
        capture_output=True, text=True, timeout=180,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["source"].endswith("session.csv")
    assert FOLDER not in result.stdout + result.stderr + _outputs(out)
