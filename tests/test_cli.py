"""The command line, end to end: outputs, exit statuses and messages a person reads."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sensorlab.cli import main
from sensorlab.io.blocks import slice_chunk
from sensorlab.io.recording import read_recording, write_recording

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"


@pytest.fixture
def step_up_csv(tmp_path):
    for suffix in (".csv", ".json"):
        shutil.copy(RECORDINGS / f"step_up_asymmetric{suffix}", tmp_path / f"session{suffix}")
    return tmp_path / "session.csv"


def test_analyze_writes_summary_report_and_table(step_up_csv, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["analyze", str(step_up_csv), "--out", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    truth = json.loads((RECORDINGS / "step_up_asymmetric.truth.json").read_text())
    assert summary["format"] == "sensorlab-summary"
    assert len(summary["reps"]) == len(truth["reps"])
    assert summary["symmetry"]["pelvic_drop_deg"]["si_pct"] > 20  # right drops more
    html = (out / "report.html").read_text()
    assert "<html" in html.lower() and "Pelvic drop" in html
    assert len((out / "reps.csv").read_text().strip().splitlines()) == len(truth["reps"]) + 1
    assert str(out / "report.html") in printed
    assert "Reps" in printed


def test_console_script_runs_as_a_user_would(step_up_csv, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sensorlab.cli",
            "analyze",
            str(step_up_csv),
            "--out",
            str(tmp_path / "o"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "o" / "report.html").exists()


def test_help_teaches(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["analyze", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for words in ("summary.json", "quiet standing", "--activity", "examples"):
        assert words in text


def _write(recording, path):
    write_recording(recording, path)
    return path


def test_missing_column_is_a_user_error_with_exit_2_and_no_traceback(step_up_csv, tmp_path, capsys):
    lines = step_up_csv.read_text().splitlines()
    lines[0] = lines[0].replace("gyr_z", "gyro_z")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    assert main(["analyze", str(bad), "--out", str(tmp_path / "o"), "-q"]) == 2
    error = capsys.readouterr().err
    assert "bad.csv" in error and "gyr_z" in error
    assert "Traceback" not in error


def test_session_too_short_to_calibrate(step_up_csv, tmp_path, capsys):
    recording = read_recording(step_up_csv)
    short = replace(
        recording,
        meta=replace(recording.meta, calibration_span_s=None),
        chunks={
            p: slice_chunk(c, 0, int(np.searchsorted(c.t_s, 1.2)))
            for p, c in recording.chunks.items()
        },
    )
    path = _write(short, tmp_path / "short.csv")
    assert main(["analyze", str(path), "--out", str(tmp_path / "o"), "-q"]) == 2
    error = capsys.readouterr().err
    assert "quiet standing" in error and "short.csv" in error


def test_session_without_reps_gives_a_valid_summary_and_a_warning(step_up_csv, tmp_path, capsys):
    recording = read_recording(step_up_csv)
    standing_only = replace(
        recording,
        chunks={
            p: slice_chunk(c, 0, int(np.searchsorted(c.t_s, 3.9)))
            for p, c in recording.chunks.items()
        },
    )
    path = _write(standing_only, tmp_path / "standing.csv")
    assert main(["analyze", str(path), "--out", str(tmp_path / "o"), "-q"]) == 0
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["reps"] == []
    assert summary["sides"]["left"]["reps"] == 0 and summary["sides"]["right"]["reps"] == 0
    assert any("no step-up repetitions" in w for w in summary["warnings"])
    assert "warning: no step-up repetitions" in capsys.readouterr().err


def test_simulate_then_analyze_agrees_with_the_truth(tmp_path, capsys):
    csv = tmp_path / "walk.csv"
    assert (
        main(
            [
                "simulate",
                "--scenario",
                "walk_asymmetric",
                "--duration",
                "30",
                "--seed",
                "5",
                "--out",
                str(csv),
            ]
        )
        == 0
    )
    assert csv.with_suffix(".truth.json").exists()
    assert main(["analyze", str(csv), "--out", str(tmp_path / "o"), "-q"]) == 0
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    truth = json.loads(csv.with_suffix(".truth.json").read_text())
    assert summary["activity"] == "walk"
    assert abs(len(summary["steps"]) - len(truth["steps"])) <= 1
    assert summary["gait"]["cadence_spm"] == pytest.approx(truth["gait"]["cadence_spm"], rel=0.02)


BAD_INPUTS = {
    "empty file": lambda csv, sidecar: csv.write_text(""),
    "header only": lambda csv, sidecar: csv.write_text(csv.read_text().splitlines()[0] + "\n"),
    "misnamed column": lambda csv, sidecar: csv.write_text(
        csv.read_text().replace("acc_x", "accel_x", 1)
    ),
    "left-handed mount": lambda csv, sidecar: sidecar.write_text(
        sidecar.read_text().replace('"z": "backward"', '"z": "forward"', 1)
    ),
    "broken sidecar": lambda csv, sidecar: sidecar.write_text(sidecar.read_text()[:-20]),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_user_mistakes_exit_2_with_the_file_named(case, step_up_csv, tmp_path, capsys):
    BAD_INPUTS[case](step_up_csv, step_up_csv.with_suffix(".json"))
    assert main(["analyze", str(step_up_csv), "--out", str(tmp_path / "o"), "-q"]) == 2
    error = capsys.readouterr().err
    assert "session.csv" in error or "session.json" in error
    assert "Traceback" not in error
    assert not (tmp_path / "o" / "summary.json").exists()


def test_listed_sensors_without_data_are_named_and_nothing_is_claimed(
    step_up_csv, tmp_path, capsys
):
    """A step-up session whose thigh rows are missing: analysed with the pelvis alone, the
    missing sensors named, no reps and no finding (reps need both thighs)."""
    text = step_up_csv.read_text()
    step_up_csv.write_text(
        "\n".join(line for line in text.splitlines() if "thigh" not in line) + "\n"
    )
    assert main(["analyze", str(step_up_csv), "--out", str(tmp_path / "o")]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "no samples from left_thigh, right_thigh" in captured.err
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["reps"] == []
    assert summary["unavailable"]["step_up_reps"] == "needs the left thigh sensor"
    assert "Finding: Left and right could not be compared" in out


def test_a_truncated_last_line_is_dropped_with_a_warning(step_up_csv, tmp_path, capsys):
    text = step_up_csv.read_text()
    step_up_csv.write_text(text[: len(text) - 25])  # cut the last row mid-number
    assert main(["analyze", str(step_up_csv), "--out", str(tmp_path / "o"), "-q"]) == 0
    error = capsys.readouterr().err
    lines = len(text.splitlines())
    assert f"session.csv:{lines}" in error or f"line {lines}" in error
