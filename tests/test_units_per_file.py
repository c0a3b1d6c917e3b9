"""One file has one unit: decided from all sensors together, applied to every sensor.

On a simulated step-up session written with the gyroscope in rad/s and the accelerometer
in g, the thighs show the gyroscope unit clearly and the pelvis alone does not (it turns
too little): the pelvis must be read in rad/s like the thighs, so the analysis equals the
one of the same session written in the contract's units (it used to read the pelvis as
deg/s: pelvic drop 57 times too small)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sensorlab.io.recording import read_recording
from sensorlab.io.unit_check import gyro_evidence, gyro_unit
from sensorlab.io.writer import sidecar_text
from sensorlab.processing.pipeline import analyze
from sensorlab.simulate import SCENARIOS
from sensorlab.units import STANDARD_GRAVITY_M_S2


def write_csv(recording, path, acc_per_m_s2: float, gyr_per_rad_s: float) -> None:
    """The recording as contract CSV (plus sidecar) with acc and gyro in chosen units,
    with enough decimals that the units are the only difference between files."""
    rows = ["t,sensor,acc_x,acc_y,acc_z,gyr_x,gyr_y,gyr_z"]
    for chunk in recording.chunks.values():
        acc = chunk.acc_m_s2 * acc_per_m_s2
        gyr = chunk.gyr_rad_s * gyr_per_rad_s
        for t, a, g in zip(chunk.t_s, acc, gyr, strict=True):
            rows.append(
                f"{t:.6f},{chunk.placement},{a[0]:.9g},{a[1]:.9g},{a[2]:.9g},"
                f"{g[0]:.9g},{g[1]:.9g},{g[2]:.9g}"
            )
    path.write_text("\n".join(rows) + "\n")
    path.with_suffix(".json").write_text(sidecar_text(recording.meta))


@pytest.fixture(scope="module")
def session():
    return SCENARIOS["step_up_asymmetric"](0)


def test_a_pelvis_in_rad_s_is_read_like_the_thighs(session, tmp_path):
    right = tmp_path / "contract.csv"
    wrong = tmp_path / "rad_and_g.csv"
    write_csv(session.recording, right, 1.0, np.degrees(1.0))
    write_csv(session.recording, wrong, 1 / STANDARD_GRAVITY_M_S2, 1.0)
    expected = read_recording(right)
    got = read_recording(wrong)
    assert expected.warnings == []

    # The pelvis alone cannot tell (it does not turn enough), the thighs can.
    raw = got.chunks["pelvis"]
    assert gyro_unit(gyro_evidence(raw.t_s, raw.acc_m_s2, raw.gyr_rad_s)) is None
    gyro_warning = [w for w in got.warnings if "look like rad/s" in w]
    assert len(gyro_warning) == 1
    assert "left_thigh: over" in gyro_warning[0] and "right_thigh: over" in gyro_warning[0]
    assert "pelvis: no clear evidence alone, read the same way" in gyro_warning[0]
    acc_warning = [w for w in got.warnings if "look like g" in w]
    assert len(acc_warning) == 1 and "converted to m/s^2" in acc_warning[0]
    assert len(got.warnings) == 2
    for name, chunk in expected.chunks.items():
        np.testing.assert_allclose(got.chunks[name].gyr_rad_s, chunk.gyr_rad_s, atol=1e-6)
        np.testing.assert_allclose(got.chunks[name].acc_m_s2, chunk.acc_m_s2, atol=1e-5)

    want = analyze(expected, "step_up")
    have = analyze(dataclasses.replace(got, warnings=[]), "step_up")
    assert len(have.reps) == len(want.reps) == len(session.truth.reps)
    for a, b in zip(have.reps, want.reps, strict=True):
        assert a.side == b.side
        assert a.pelvic_drop_deg == pytest.approx(b.pelvic_drop_deg, abs=1e-3)
        assert a.thigh_rom_deg == pytest.approx(b.thigh_rom_deg, abs=1e-3)
        assert a.pelvic_tilt_range_deg == pytest.approx(b.pelvic_tilt_range_deg, abs=1e-3)


def test_a_sensor_that_contradicts_the_file_unit_is_named(session, tmp_path):
    """The right thigh exported in deg/s, the rest in rad/s: the thighs disagree (the
    pelvis cannot tell). Whichever is surer sets the file's unit; the other is read in it
    too, and a warning names it as likely wrong."""
    path = tmp_path / "mixed.csv"
    chunks = dict(session.recording.chunks)
    thigh = chunks["right_thigh"]
    chunks["right_thigh"] = dataclasses.replace(thigh, gyr_rad_s=np.degrees(thigh.gyr_rad_s))
    write_csv(dataclasses.replace(session.recording, chunks=chunks), path, 1.0, 1.0)
    got = read_recording(path)
    dissent = [w for w in got.warnings if "its own gyroscope looks like" in w]
    assert len(dissent) == 1, got.warnings
    named = "left_thigh" if "sensor 'left_thigh'" in dissent[0] else "right_thigh"
    other = {"left_thigh": "right_thigh", "right_thigh": "left_thigh"}[named]
    own, file_unit = ("rad/s", "deg/s") if named == "left_thigh" else ("deg/s", "rad/s")
    assert f"sensor {named!r}: its own gyroscope looks like {own}" in dissent[0]
    assert f"unlike {other} ({file_unit})" in dissent[0]
    assert "its angles are likely wrong" in dissent[0]
    # The named sensor is read in the file's unit like every other.
    scale = 1.0 if file_unit == "rad/s" else np.radians(1.0)
    np.testing.assert_allclose(
        got.chunks[named].gyr_rad_s, chunks[named].gyr_rad_s * scale, rtol=1e-6, atol=1e-9
    )
