"""The sidecar's optional ``subject`` and ``date``: kept, and shown in every output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sensorlab.cli import main
from sensorlab.errors import InputError
from sensorlab.io.recording import read_recording
from sensorlab.io.sidecar import parse_sidecar, sidecar_dict
from sensorlab.live.window import window_title
from sensorlab.records import SessionMeta

RECORDINGS = Path(__file__).resolve().parents[1] / "recordings"


def test_subject_and_date_round_trip_through_the_sidecar():
    meta, warnings = parse_sidecar({"subject": "P-017", "date": "2026-11-23"}, Path("s.json"))
    assert (meta.subject, meta.date, warnings) == ("P-017", "2026-11-23", [])
    assert "date" not in meta.extra
    again, _ = parse_sidecar(sidecar_dict(meta), Path("s.json"))
    assert again == meta


def test_a_date_that_is_not_text_is_named(tmp_path):
    with pytest.raises(InputError) as error:
        parse_sidecar({"date": 20261123}, tmp_path / "s.json", '{"date": 20261123}')
    assert "s.json:1 (date)" in str(error.value) and "must be text" in str(error.value)


def test_the_report_summary_and_title_show_subject_and_date(tmp_path, capsys):
    csv = tmp_path / "session.csv"
    shutil.copy(RECORDINGS / "step_up_asymmetric.csv", csv)
    sidecar = json.loads((RECORDINGS / "step_up_asymmetric.json").read_text())
    sidecar.update(subject="P-017", date="23 Nov 2026")
    csv.with_suffix(".json").write_text(json.dumps(sidecar))
    out = tmp_path / "out"
    assert main(["analyze", str(csv), "--out", str(out), "-q"]) == 0
    capsys.readouterr()
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["subject"], summary["date"]) == ("P-017", "23 Nov 2026")
    header = (out / "report.html").read_text().split("</header>")[0]
    assert "<dt>Subject</dt><dd>P-017</dd>" in header
    assert "<dt>Date</dt><dd>23 Nov 2026</dd>" in header
    meta = read_recording(csv).meta
    assert window_title("session.csv", meta) == "sensorlab live — P-017 — 23 Nov 2026 — session.csv"


def test_without_them_nothing_is_invented():
    assert window_title("sim", SessionMeta()) == "sensorlab live — sim"
    started = SessionMeta(started_at="2026-11-23T10:15:00+01:00")
    assert window_title("sim", started) == "sensorlab live — 2026-11-23 — sim"
