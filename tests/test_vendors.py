"""Vendor exports in: readers, placements, alignment on device time, losses, derived signals.

Real exports: the Movella DOT files (``tests/data/xsens-dot-lowerlimb-realtime``), the
Xsens MT Manager files (``opensense-xsens-mtw-walking``) and the gaitmap CSV. For MetaBase,
WitMotion, Movesense, x-IMU3 and APDM no real file is in the project: their fixtures are
built from the vendors' documented layouts (``tests/vendor_fixtures.py``) out of a
simulated recording, whose values are then the reference.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import vendor_fixtures as fixtures
from realdata import data_path, load_gaitmap_feet, load_mtw, reference_cadence_spm
from scipy.spatial.transform import Rotation

from sensorlab.cli import main
from sensorlab.errors import InputError
from sensorlab.io.open_session import read_session_files
from sensorlab.io.recording import read_recording
from sensorlab.io.vendors import READERS, find_reader
from sensorlab.io.vendors.mapping import placement_from_text
from sensorlab.io.vendors.session import ImportSettings, import_session
from sensorlab.processing.device_orientation import (
    angular_rate_from_orientation,
    specific_force,
)
from sensorlab.processing.pipeline import analyze
from sensorlab.simulate.dot_export import write_dot_exports
from sensorlab.simulate.imu import ideal_readings
from sensorlab.simulate.scenarios import make_scenario
from sensorlab.units import STANDARD_GRAVITY_M_S2

DOT_DIR = "xsens-dot-lowerlimb-realtime"


def dot_files() -> list[Path]:
    return sorted(data_path(DOT_DIR, "Original_XsensDot_Data_Realtime").glob("*.csv"))


def mtw_files() -> list[Path]:
    return sorted(data_path("opensense-xsens-mtw-walking", "IMUData").glob("*.txt"))


def _sample_time_fine(path: Path) -> np.ndarray:
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("PacketCounter"))
    return np.array([int(line.split(",")[1]) for line in lines[start + 1 :] if line.strip()])


# --------------------------------------------------------------------------------------
# Real exports
# --------------------------------------------------------------------------------------


def test_dot_export_real_files_placed_aligned_and_losses_reported():
    recording = import_session(dot_files())
    assert list(recording.chunks) == [
        "pelvis",
        "left_thigh",
        "right_thigh",
        "left_shank",
        "right_shank",
    ]
    loss = [w for w in recording.warnings if "packets lost" in w]
    assert len(loss) == 1 and "LFemur" in loss[0] and "157 of 352 packets lost" in loss[0]
    assert recording.meta.extra["import"]["left_thigh"]["packets_lost"] == 157
    assert recording.meta.extra["import"]["pelvis"]["packets_lost"] == 0
    # Aligned on SampleTimeFine: each kept thigh sample sits exactly where the pelvis
    # sample with the same device time is. Row number and packet counter would both be
    # wrong: the files start one sample apart, and the thigh lost packets.
    pelvis, thigh = recording.chunks["pelvis"], recording.chunks["left_thigh"]
    files = {path.name.split("_")[0]: path for path in dot_files()}
    fine_pelvis = _sample_time_fine(files["Pelvis"])
    fine_thigh = _sample_time_fine(files["LFemur"])
    at = np.searchsorted(fine_pelvis, fine_thigh)
    assert np.array_equal(fine_pelvis[at], fine_thigh)  # synced: the same device times
    np.testing.assert_allclose(thigh.t_s, pelvis.t_s[at], atol=1e-9)
    same_counter = np.searchsorted(pelvis.seq, thigh.seq)
    assert np.abs(thigh.t_s - pelvis.t_s[same_counter]).max() > 0.01
    assert not np.allclose(thigh.t_s[:100], pelvis.t_s[:100])


def test_dot_derived_signals_are_physical_at_rest():
    recording = import_session(dot_files())
    for placement, chunk in recording.chunks.items():
        first_second = chunk.t_s < chunk.t_s[0] + 1.0  # the subject stands still
        magnitude = np.linalg.norm(chunk.acc_m_s2[first_second], axis=1)
        # gravity added back, not subtracted twice (0 or 19.6); a real DOT's free
        # acceleration is off by up to ~0.1 m/s^2 at rest (the left shank: 9.92)
        assert abs(np.median(magnitude) - 9.81) < 0.2, placement
        assert np.degrees(np.abs(chunk.gyr_rad_s[first_second]).max()) < 10.0, placement
        assert "quat_w" in chunk.extra
    derived = recording.meta.extra["import"]["pelvis"]["derived"]
    assert any("angular rate derived" in d for d in derived)
    assert any("free acceleration" in d for d in derived)


def test_dot_session_too_short_to_analyse_is_refused_cleanly(tmp_path, capsys):
    code = main(["analyze", *map(str, dot_files()), "--out", str(tmp_path / "out"), "-q"])
    error = capsys.readouterr().err
    assert code == 2
    # 6 s of walking without 2 s of standing: too little to calibrate, said as one message
    # naming the session (its first file and how many more)
    assert "Traceback" not in error
    assert "error: LFemur_20210820_202113_831.csv and 4 more:" in error


def test_mt_manager_reader_matches_the_independent_loader():
    mapping = {"00B42279": "pelvis", "00B421EE": "left_thigh", "00B4227C": "right_thigh"}
    recording = import_session(mtw_files(), ImportSettings(mapping=mapping))
    for placement, chunk in recording.chunks.items():
        reference = load_mtw(placement)
        np.testing.assert_array_equal(chunk.seq, reference.packet_counter)
        np.testing.assert_allclose(chunk.t_s, reference.t_s, atol=1e-9)
        np.testing.assert_array_equal(chunk.acc_m_s2, reference.acc_m_s2)
        quat = np.column_stack([chunk.extra[f"quat_{a}"] for a in "wxyz"])
        matrices = Rotation.from_quat(quat[:, [1, 2, 3, 0]]).as_matrix()
        np.testing.assert_allclose(matrices, reference.orientation, atol=1e-5)


def test_mt_manager_walk_analysed_from_orientation_with_opensense_mapping(tmp_path):
    xml = data_path("opensense-xsens-mtw-walking", "myIMUMappings.xml")
    recording = import_session(mtw_files(), ImportSettings(mapping_file=xml))
    assert set(recording.chunks) == {"pelvis", "left_thigh", "right_thigh"}
    analysis = analyze(recording)
    reference = reference_cadence_spm()
    assert analysis.activity == "walk"
    assert abs(len(analysis.steps) - reference.n_steps) <= 1
    assert analysis.gait.cadence_spm == pytest.approx(reference.cadence_spm, rel=0.03)
    assert any("angular rate derived from the device's orientation" in w for w in analysis.warnings)


def test_gaitmap_csv_needs_a_rate_and_then_reads_both_feet():
    path = data_path("gaitmap-example-feet", "example_data", "imu_sample.csv")
    with pytest.raises(InputError, match="--rate"):
        import_session([path])
    recording = import_session([path], ImportSettings(rate_hz=204.8))
    feet = load_gaitmap_feet()
    assert list(recording.chunks) == ["left_foot", "right_foot"]
    for side in ("left", "right"):
        chunk = recording.chunks[f"{side}_foot"]
        np.testing.assert_array_equal(chunk.acc_m_s2, feet[side].acc_m_s2)
        np.testing.assert_allclose(np.degrees(chunk.gyr_rad_s), feet[side].gyr_dps, rtol=1e-12)
        np.testing.assert_allclose(chunk.t_s, feet.t_s, atol=1e-9)


# --------------------------------------------------------------------------------------
# Derived signals against the simulator's exact ones
# --------------------------------------------------------------------------------------


def test_angular_rate_from_exact_orientation_equals_the_simulated_gyro():
    session = make_scenario("walk_symmetric", 0, duration_s=20)
    errors = {}
    for rate in (60.0, 200.0):
        t = np.arange(0.0, 20.0, 1.0 / rate)
        for placement in ("pelvis", "left_thigh"):
            mount = session.truth.sensors[placement].sensor_to_segment
            _, rotation = session.sensor_pose(placement, t)
            _, gyro = ideal_readings(session.motion, placement, mount, t)
            quat = Rotation.from_matrix(rotation).as_quat()[:, [3, 0, 1, 2]]
            derived = angular_rate_from_orientation(t, quat)
            error = np.degrees(np.sqrt(np.mean((derived - gyro)[1:-1] ** 2)))
            errors[rate, placement] = error
            signal = np.degrees(np.sqrt(np.mean(gyro**2)))
            assert error < (0.05 * signal if rate == 60.0 else 0.005 * signal), (rate, placement)
    for placement in ("pelvis", "left_thigh"):  # a second-order difference: error ~ dt^2
        assert errors[60.0, placement] / errors[200.0, placement] > 8.0


def test_specific_force_from_free_acceleration_equals_the_simulated_accelerometer():
    session = make_scenario("step_up_asymmetric", 0, duration_s=20)
    t = np.arange(1.0, 19.0, 0.01)
    step = 1e-3
    for placement in ("pelvis", "right_thigh"):
        mount = session.truth.sensors[placement].sensor_to_segment
        position, rotation = session.sensor_pose(placement, t)
        ahead, _ = session.sensor_pose(placement, t + step)
        behind, _ = session.sensor_pose(placement, t - step)
        free = (ahead - 2.0 * position + behind) / step**2  # world acceleration, gravity-free
        force, _ = ideal_readings(session.motion, placement, mount, t)
        derived = specific_force(Rotation.from_matrix(rotation).as_quat()[:, [3, 0, 1, 2]], free)
        np.testing.assert_allclose(derived, force, atol=0.02)
        # the sign and frame matter: R instead of R^T would be far off
        wrong = Rotation.from_matrix(rotation).apply(free + np.array([0.0, 0.0, 9.81]))
        assert np.abs(wrong - force).max() > 1.0


def test_simulated_dot_export_with_wrap_and_losses_gives_the_true_reps(tmp_path):
    session = make_scenario("step_up_asymmetric", 1, duration_s=60)
    rng = np.random.default_rng(3)
    n = np.arange(0.0, session.truth.duration_s, 1.0 / 60.0).size
    lost = {"left_thigh": rng.random(n) < 0.1}
    lost["left_thigh"][[0, -1]] = False  # losses inside the file: counted from its counter
    start_us = 2**32 - 20_000_000  # SampleTimeFine wraps 20 s into the session
    exports = write_dot_exports(session, tmp_path, start_us=start_us, lost=lost)
    recording = import_session([e.path for e in exports.values()])
    for placement, export in exports.items():
        np.testing.assert_allclose(recording.chunks[placement].t_s, export.t_s, atol=2e-6)
    expected = exports["left_thigh"].lost
    assert any(f"{expected} of {n} packets lost" in w for w in recording.warnings)
    analysis = analyze(recording)
    truth = session.truth.reps
    assert len(analysis.reps) == len(truth)
    for found, true in zip(analysis.reps, truth, strict=True):
        assert found.side == true.side
        assert found.thigh_rom_deg == pytest.approx(true.thigh_rom_deg, abs=2.0)
        assert found.pelvic_drop_deg == pytest.approx(true.pelvic_drop_deg, abs=1.0)


def test_orientation_only_export_says_gait_steps_are_unavailable(tmp_path):
    session = make_scenario("walk_symmetric", 0, duration_s=40)
    exports = write_dot_exports(session, tmp_path, free_acc=False)
    out = tmp_path / "out"
    code = main(["analyze", *(str(e.path) for e in exports.values()), "--out", str(out), "-q"])
    assert code == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert "gait_steps" in summary["unavailable"]
    assert "orientation only" in summary["unavailable"]["gait_steps"]
    assert summary["steps"] == []


# --------------------------------------------------------------------------------------
# Formats without a real file: fixtures from the documented layouts
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def simulated():
    return make_scenario("step_up_asymmetric", 2, duration_s=8).recording.chunks


def _check_values(
    recording, chunks, acc_tol, gyr_tol_dps, time_tol_s, shared_clock=True, epoch_s=None
):
    """Each imported sample against the simulated sample at its time. ``epoch_s``: the
    device time of simulated time 0, to compare device times (when a paired signal's late
    start drops a first sample, session time 0 moves with it)."""
    assert set(recording.chunks) == set(chunks)
    zero = min(c.t_s[0] for c in chunks.values())
    for placement, original in chunks.items():
        chunk = recording.chunks[placement]
        expected_t = original.t_s - (zero if shared_clock else original.t_s[0])
        actual_t = chunk.t_s
        if epoch_s is not None:
            expected_t, actual_t = original.t_s, chunk.device_t_s - epoch_s
        index = np.clip(np.searchsorted(expected_t, actual_t - 0.005), 0, len(original) - 1)
        assert len(chunk) >= len(original) - 1
        np.testing.assert_allclose(actual_t, expected_t[index], atol=time_tol_s)
        np.testing.assert_allclose(chunk.acc_m_s2, original.acc_m_s2[index], atol=acc_tol)
        np.testing.assert_allclose(
            np.degrees(chunk.gyr_rad_s), np.degrees(original.gyr_rad_s[index]), atol=gyr_tol_dps
        )


def test_metabase_files_paired_by_mac_and_gyro_put_on_the_acc_times(simulated, tmp_path):
    paths = fixtures.metabase_v3(simulated, tmp_path, gyro_lag_ms=3)
    assert all(find_reader(p).NAME == "MbientLab MetaBase CSV" for p in paths)
    recording = import_session(paths)
    # g to 3 decimals; stamps to 1 ms; the gyro, 3 ms late, interpolated back onto the
    # acc times (so off by what the rate changes in a few ms: a fraction of a deg/s)
    epoch_s = fixtures.EPOCH_MS / 1000
    _check_values(recording, simulated, 0.0006 * STANDARD_GRAVITY_M_S2, 10.0, 1e-3, True, epoch_s)
    pelvis = recording.chunks["pelvis"]
    index = np.searchsorted(simulated["pelvis"].t_s, pelvis.device_t_s - epoch_s - 0.005)
    rough = np.degrees(np.abs(pelvis.gyr_rad_s - simulated["pelvis"].gyr_rad_s[index]))
    assert np.median(rough) < 1.0
    assert min(chunk.t_s[0] for chunk in recording.chunks.values()) == 0.0


def test_witmotion_csv_mapped_by_device_name(simulated, tmp_path):
    files = fixtures.witmotion_csv(simulated, tmp_path)
    devices = list(files)
    mapping = dict(zip(devices, simulated, strict=True))
    with pytest.raises(InputError, match="--map"):
        import_session(list(files.values()))
    recording = import_session(list(files.values()), ImportSettings(mapping=mapping))
    _check_values(recording, simulated, 1e-4 * STANDARD_GRAVITY_M_S2, 1e-4, 1.1e-3)


def test_movesense_showcase_pairs_and_unrelated_clocks(simulated, tmp_path):
    files = fixtures.movesense_showcase(simulated, tmp_path, clock_offsets_ms=[1000, 52000, 7])
    mapping_file = fixtures.json_mapping(
        tmp_path / "map.json",
        {paths[0].stem.removesuffix("_Acc"): p for p, paths in files.items()},
    )
    paths = [path for pair in files.values() for path in pair]
    recording = import_session(paths, ImportSettings(mapping_file=mapping_file))
    assert any("aligned at their first samples" in w for w in recording.warnings)
    _check_values(recording, simulated, 1e-5, 1e-5, 1.1e-3, shared_clock=False)


def test_ximu3_folders_name_the_placement(simulated, tmp_path):
    paths = fixtures.ximu3_inertial(simulated, tmp_path)
    recording = import_session(paths)
    _check_values(recording, simulated, 1e-5, 1e-5, 2e-6, shared_clock=False)


def test_apdm_h5_labels_name_the_placement(simulated, tmp_path):
    pytest.importorskip("h5py")
    path = fixtures.apdm_h5(simulated, tmp_path / "opal.h5")
    recording = import_session([path])
    # float32 arrays as APDM stores them; microseconds since 1970 as float64 s: ~0.2 us
    _check_values(recording, simulated, 1e-5, 1e-3, 2e-6)


def test_apdm_without_h5py_names_the_package(simulated, tmp_path, monkeypatch):
    pytest.importorskip("h5py")
    path = fixtures.apdm_h5(simulated, tmp_path / "opal.h5")
    monkeypatch.setitem(sys.modules, "h5py", None)
    with pytest.raises(InputError, match=r"h5py not installed.*pip install 'sensorlab\[vendors\]'"):
        import_session([path])


# --------------------------------------------------------------------------------------
# Mapping, bad input, the command line
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "placement"),
    [
        ("LFemur_20210820_202113_831", "left_thigh"),
        ("RFemur_x", "right_thigh"),
        ("Pelvis_20210820", "pelvis"),
        ("femur_l_imu", "left_thigh"),
        ("Right Upper Leg", "right_thigh"),
        ("sacrum", "pelvis"),
        ("LTibia", "left_shank"),
        ("calcn_r_imu", "right_foot"),
        ("MT_012005D6_009-001_00B42279", None),
        ("pelvis_to_left_thigh", None),
    ],
)
def test_placement_words(name, placement):
    assert placement_from_text(name) == placement


def test_two_files_for_one_placement_are_refused_with_the_fix(tmp_path):
    for name in ("Pelvis_a.csv", "Pelvis_b.csv"):
        shutil.copy(dot_files()[2], tmp_path / name)
    with pytest.raises(InputError, match="--map FILE=PLACEMENT"):
        import_session(sorted(tmp_path.glob("*.csv")))
    recording = import_session(
        sorted(tmp_path.glob("*.csv")),
        ImportSettings(mapping={"Pelvis_b.csv": "left_thigh"}),
    )
    assert set(recording.chunks) == {"pelvis", "left_thigh"}


def test_a_map_entry_matching_nothing_is_refused():
    with pytest.raises(InputError, match="matches no file"):
        import_session(dot_files(), ImportSettings(mapping={"Pelvs.csv": "pelvis"}))


def test_malformed_dot_rows_are_named_by_file_and_line(tmp_path):
    source = dot_files()[2]
    lines = source.read_text(encoding="utf-8").splitlines()
    lines[20] = lines[20].replace(lines[20].split(",")[3], "abc", 1)  # line 21
    lines[-1] = lines[-1][: len(lines[-1]) // 3]  # cut off mid-row, as a crash leaves it
    path = tmp_path / "Pelvis_cut.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    recording = import_session([path])
    (warning,) = [w for w in recording.warnings if "dropped" in w]
    assert f"{path.name}:21:Quat_X 'abc'" in warning
    assert f"{path.name}:{len(lines)}:" in warning
    assert len(recording.chunks["pelvis"]) == len(lines) - 12 - 2


def test_unknown_format_lists_what_is_read_and_how_to_map(tmp_path, capsys):
    path = tmp_path / "export.csv"
    path.write_text("Zeit;Beschl X;Beschl Y\n0;1;2\n", encoding="utf-8")
    code = main(["analyze", str(path), "--out", str(tmp_path / "out")])
    error = capsys.readouterr().err
    assert code == 2 and "Traceback" not in error
    assert "not a format sensorlab reads" in error
    for reader in READERS:
        assert reader.DESCRIPTION in error
    assert "rename your columns to t (seconds), sensor" in error


def test_contract_csv_still_goes_to_the_contract_reader(tmp_path):
    path = tmp_path / "rec.csv"
    path.write_text("t,sensor,acc_x,acc_y,acc_z,gyr_x,gyr_y\n", encoding="utf-8")
    with pytest.raises(InputError, match="required column"):
        read_session_files([path])


def test_import_command_writes_a_contract_csv_that_reads_back(tmp_path, capsys):
    out = tmp_path / "session.csv"
    code = main(["import", *map(str, dot_files()), "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr()
    assert "157 of 352 packets lost" in printed.err
    assert "left_thigh       195 samples" in printed.out
    imported = import_session(dot_files())
    again = read_recording(out)
    assert again.meta.extra["import"]["left_thigh"]["packets_lost"] == 157
    for placement, chunk in imported.chunks.items():
        back = again.chunks[placement]
        np.testing.assert_array_equal(back.seq, chunk.seq)
        np.testing.assert_allclose(back.t_s, chunk.t_s, atol=1e-6)
        np.testing.assert_allclose(back.acc_m_s2, chunk.acc_m_s2, atol=1e-5)
        np.testing.assert_allclose(back.gyr_rad_s, chunk.gyr_rad_s, atol=np.radians(1e-4))
    assert main(["import", str(dot_files()[0]), "--out", str(out)]) == 2  # never overwrites


def test_dot_offline_export_euler_acc_gyr(tmp_path):
    """The on-sensor recording layout (Euler angles, Acc, Gyr in deg/s, a zero first row),
    built from the documented layout with the simulator's exact values."""
    session = make_scenario("step_up_asymmetric", 0, duration_s=10)
    path, t, rotation, force, rate = fixtures.dot_offline(session, "left_thigh", tmp_path)
    recording = import_session([path])
    chunk = recording.chunks["left_thigh"]
    assert any("all zero" in w and path.name in w for w in recording.warnings)
    np.testing.assert_allclose(chunk.t_s, t - t[0], atol=1e-6)  # SampleTimeFine: 1 us
    np.testing.assert_allclose(chunk.acc_m_s2, force, atol=1e-6)
    np.testing.assert_allclose(chunk.gyr_rad_s, rate, atol=np.radians(1e-6))
    quat = np.column_stack([chunk.extra[f"quat_{a}"] for a in "wxyz"])
    matrices = Rotation.from_quat(quat[:, [1, 2, 3, 0]]).as_matrix()
    np.testing.assert_allclose(matrices, rotation, atol=1e-6)


def test_mapping_files_json_and_their_errors(tmp_path):
    good = fixtures.json_mapping(
        tmp_path / "map.json",
        {"00B42279": "pelvis", "00B421EE": "Left Thigh", "00B4227C": "femur_r"},
    )
    recording = import_session(mtw_files(), ImportSettings(mapping_file=good))
    assert list(recording.chunks) == ["pelvis", "left_thigh", "right_thigh"]
    broken = tmp_path / "broken.json"
    broken.write_text('{"00B42279": "pelvis",\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"broken.json:2: not JSON"):
        import_session(mtw_files(), ImportSettings(mapping_file=broken))
    wrong = fixtures.json_mapping(tmp_path / "wrong.json", {"00B42279": "Knee #3"})
    with pytest.raises(InputError, match="is not a placement"):
        import_session(mtw_files(), ImportSettings(mapping_file=wrong))
    xml = tmp_path / "bad.xml"
    xml.write_text("<OpenSimDocument><XsensDataReaderSettings>", encoding="utf-8")
    with pytest.raises(InputError, match="not well-formed XML"):
        import_session(mtw_files(), ImportSettings(mapping_file=xml))


def test_metabase_5_layout_epoch_in_seconds(simulated, tmp_path):
    paths = fixtures.metabase_v5(simulated, tmp_path)
    recording = import_session(paths)
    epoch_s = fixtures.EPOCH_MS / 1000
    _check_values(recording, simulated, 6e-5 * STANDARD_GRAVITY_M_S2, 1e-4, 1e-3, True, epoch_s)


def test_witmotion_txt_with_every_device_in_one_file(simulated, tmp_path):
    path = tmp_path / "data.txt"
    devices = fixtures.witmotion_txt(simulated, path)
    mapping = {device: placement for placement, device in devices.items()}
    recording = import_session([path], ImportSettings(mapping=mapping))
    _check_values(recording, simulated, 6e-5 * STANDARD_GRAVITY_M_S2, 1e-4, 1e-3)


def test_analyze_command_on_mt_manager_files_with_the_opensense_mapping(tmp_path, capsys):
    xml = data_path("opensense-xsens-mtw-walking", "myIMUMappings.xml")
    out = tmp_path / "out"
    argv = ["analyze", *map(str, mtw_files()), "--mapping", str(xml), "--out", str(out), "-q"]
    assert main(argv) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["activity"] == "walk"
    assert abs(len(summary["steps"]) - reference_cadence_spm().n_steps) <= 1
    assert summary["unavailable"] == {}
    assert "angular rate derived" in capsys.readouterr().err
