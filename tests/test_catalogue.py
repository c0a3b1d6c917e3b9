"""The session catalogue: every analysed session recorded once (a re-analysis updates
it), whole after a crash mid-write, versioned, no raw data; ``sensorlab history``."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from sensorlab.catalogue.entry import MetricSides, SessionOrigin, file_sha256, session_entry
from sensorlab.catalogue.location import catalogue_path
from sensorlab.catalogue.store import (
    CATALOGUE_ENV,
    CATALOGUE_NAME,
    SCHEMA_VERSION,
    known_subjects,
    open_catalogue,
    record_session,
    subject_sessions,
)
from sensorlab.cli import main
from sensorlab.errors import InputError
from tests.cohort_sessions import SESSIONS, write_session_tree

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    root = tmp_path_factory.mktemp("sessions")
    write_session_tree(root)
    return root


@pytest.fixture(scope="module")
def analysed(tree, tmp_path_factory):
    """One step-up session analysed (no catalogue): its recording and summary.json."""
    out = tmp_path_factory.mktemp("analysed") / "day1"
    recording = tree / "p01/day1/step_up.csv"
    assert main(["analyze", str(recording), "--out", str(out), "-q", "--no-catalogue"]) == 0
    return recording, out / "summary.json"


def _entry(analysed, **changes):
    recording, summary_path = analysed
    origin = SessionOrigin(subject="P01", date="2026-11-01", input_sha256=file_sha256(recording))
    return replace(session_entry(json.loads(summary_path.read_text()), origin), **changes)


def _count(catalogue: Path, table: str) -> int:
    with sqlite3.connect(catalogue) as connection:
        return connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_analyze_records_the_session_next_to_its_outputs(tree, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(CATALOGUE_ENV, raising=False)
    recording = tree / "p01/day1/step_up.csv"
    out = tmp_path / "out" / "day1"
    assert main(["analyze", str(recording), "--out", str(out), "-q"]) == 0
    catalogue = tmp_path / "out" / CATALOGUE_NAME
    assert f"catalogue {catalogue}" in capsys.readouterr().out
    connection = open_catalogue(catalogue, create=False)
    (session,) = subject_sessions(connection, "P01")
    connection.close()
    summary = json.loads((out / "summary.json").read_text())
    assert session.outputs == "day1"  # relative to the catalogue's folder
    assert session.entry.input_sha256 == file_sha256(recording)
    assert session.entry.date == SESSIONS["p01/day1/step_up.csv"][3]
    for key, pair in summary["symmetry"].items():
        stored = session.entry.metrics[key]
        assert (stored.left, stored.right, stored.si_pct) == (
            pair["left"],
            pair["right"],
            pair["si_pct"],
        )
        assert stored.left_n == summary["sides"]["left"][key]["n"]


def test_a_re_analysis_updates_its_entry_instead_of_adding_one(analysed, tmp_path):
    catalogue = tmp_path / "c.sqlite"
    first = record_session(catalogue, _entry(analysed), tmp_path / "a")
    again = record_session(catalogue, _entry(analysed, subject="P01b"), tmp_path / "b")
    assert again == first
    assert _count(catalogue, "sessions") == 1
    connection = open_catalogue(catalogue)
    assert known_subjects(connection) == [("P01b", 1)]
    (session,) = subject_sessions(connection, "P01b")
    connection.close()
    assert session.outputs == "b"
    assert _count(catalogue, "metrics") == len(session.entry.metrics)
    record_session(catalogue, _entry(analysed, input_sha256="f" * 64), tmp_path / "c")
    assert _count(catalogue, "sessions") == 2


def test_a_failure_inside_the_transaction_leaves_the_catalogue_as_it_was(analysed, tmp_path):
    catalogue = tmp_path / "c.sqlite"
    good = _entry(analysed)
    record_session(catalogue, good, tmp_path / "a")
    # The session row is written, then a metric cannot be stored: nothing of it may stay.
    unstorable = {**good.metrics, "pelvic_drop_deg": MetricSides(object(), 1.0, 0.0, 1, 1)}
    for entry in (
        replace(good, metrics=unstorable, subject="changed"),  # an update
        replace(good, metrics=unstorable, input_sha256="e" * 64),  # an insert
    ):
        with pytest.raises(InputError, match="cannot record the session"):
            record_session(catalogue, entry, tmp_path / "b")
    connection = open_catalogue(catalogue)
    (session,) = subject_sessions(connection, "P01")
    connection.close()
    assert session.entry.metrics == good.metrics and session.outputs == "a"
    assert _count(catalogue, "sessions") == 1


def test_a_writer_killed_mid_write_leaves_a_whole_catalogue(analysed, tmp_path):
    catalogue = tmp_path / "c.sqlite"
    _, summary_path = analysed
    n_metrics = len(_entry(analysed).metrics)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [
            sys.executable,
            str(REPO / "tests/catalogue_writer.py"),
            str(catalogue),
            str(summary_path),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        for _ in range(30):  # let it commit some sessions, then kill it while it writes
            assert child.stdout.readline(), "the writer stopped by itself"
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        child.stdout.close()
    with sqlite3.connect(catalogue) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        sessions = connection.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
        per_session = connection.execute(
            "SELECT COUNT(m.metric) FROM sessions s LEFT JOIN metrics m ON m.session_id = s.id "
            "GROUP BY s.id"
        ).fetchall()
    assert sessions >= 30
    assert set(per_session) == {(n_metrics,)}


def test_the_schema_is_versioned_and_a_newer_one_is_refused(tmp_path):
    catalogue = tmp_path / "c.sqlite"
    open_catalogue(catalogue).close()
    with sqlite3.connect(catalogue) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(InputError, match="newer than this sensorlab"):
        open_catalogue(catalogue)
    (tmp_path / "text.sqlite").write_text("not a database " * 100)
    with pytest.raises(InputError, match="not a sensorlab catalogue"):
        open_catalogue(tmp_path / "text.sqlite")


def test_no_raw_data_is_stored(analysed, tmp_path):
    recording, _ = analysed
    catalogue = tmp_path / "c.sqlite"
    record_session(catalogue, _entry(analysed), tmp_path / "a", recording)
    with sqlite3.connect(catalogue) as connection:
        tables = {
            r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
    assert tables == {"sessions", "metrics"}
    assert catalogue.stat().st_size < recording.stat().st_size / 20


def test_where_the_catalogue_is(tmp_path, monkeypatch):
    monkeypatch.delenv(CATALOGUE_ENV, raising=False)
    assert catalogue_path(Path("out/demo")) == Path("out") / CATALOGUE_NAME
    assert catalogue_path(Path("out/demo"), "my.sqlite") == Path("my.sqlite")
    assert catalogue_path(Path("out/demo"), disabled=True) is None
    monkeypatch.setenv(CATALOGUE_ENV, str(tmp_path / "env.sqlite"))
    assert catalogue_path(Path("out/demo")) == tmp_path / "env.sqlite"


def test_no_catalogue_records_nothing(tree, tmp_path, monkeypatch):
    monkeypatch.delenv(CATALOGUE_ENV, raising=False)
    recording = tree / "p02/walk.csv"
    assert (
        main(["analyze", str(recording), "--out", str(tmp_path / "o"), "-q", "--no-catalogue"]) == 0
    )
    assert not (tmp_path / CATALOGUE_NAME).exists()


def test_replay_and_analyze_of_one_recording_are_one_entry(tree, tmp_path):
    catalogue = tmp_path / "c.sqlite"
    recording = tree / "p02/walk.csv"
    common = ["--catalogue", str(catalogue)]
    assert main(["analyze", str(recording), "--out", str(tmp_path / "a"), "-q", *common]) == 0
    assert (
        main(["replay", str(recording), "--out", str(tmp_path / "r"), "--speed", "max", *common])
        == 0
    )
    connection = open_catalogue(catalogue)
    (session,) = subject_sessions(connection, "P02")
    connection.close()
    assert session.outputs == "r" and session.entry.activity == "walk"


def test_history_shows_a_subject_s_sessions_in_date_order(tree, tmp_path, capsys):
    catalogue = tmp_path / "c.sqlite"
    out = tmp_path / "batch"
    assert (
        main(["batch", str(tree), "--out", str(out), "--jobs", "1", "--catalogue", str(catalogue)])
        == 1
    )
    capsys.readouterr()
    # The later session analysed again on its own, with the subject given: still one entry.
    day2 = tree / "p01/day2/step_up.csv"
    assert (
        main(
            [
                "analyze",
                str(day2),
                "--out",
                str(tmp_path / "d2"),
                "-q",
                "--catalogue",
                str(catalogue),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["history", "--subject", "P01", "--catalogue", str(catalogue)]) == 0
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    assert lines[0].startswith("subject P01: 2 session(s)")
    dates = [line[:10] for line in lines[3:5]]
    assert dates == ["2026-11-01", "2026-11-15"]
    cohort = {row.split(",")[0]: row for row in (out / "cohort.csv").read_text().splitlines()[1:]}
    for line, relative in zip(
        lines[3:5], ["p01/day1/step_up.csv", "p01/day2/step_up.csv"], strict=True
    ):
        summary = json.loads((out / Path(relative).with_suffix("") / "summary.json").read_text())
        si = summary["symmetry"]["pelvic_drop_deg"]["si_pct"]
        assert f"{si:+.1f}%" in line and relative in cohort
    plot = tmp_path / "history-P01.png"
    assert f"plot     {plot}" in printed
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_history_of_an_unknown_subject_lists_the_known_ones(analysed, tmp_path, capsys):
    catalogue = tmp_path / "c.sqlite"
    record_session(catalogue, _entry(analysed), tmp_path / "a")
    record_session(
        catalogue, _entry(analysed, subject="P02", input_sha256="d" * 64), tmp_path / "b"
    )
    assert main(["history", "--subject", "P09", "--catalogue", str(catalogue)]) == 2
    err = capsys.readouterr().err
    assert "no session of subject 'P09'" in err and "P01 (1), P02 (1)" in err
    assert main(["history", "--subject", "P01", "--catalogue", str(tmp_path / "none.sqlite")]) == 2
    assert "no catalogue there" in capsys.readouterr().err
