"""Dead and stuck sensors are detected and named: an all-zero sensor is refused (it used
to calibrate with quality 1.00), a stuck or saturated channel and an accelerometer that
misses gravity at rest are warned about; real recordings raise nothing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from realdata import load_gaitmap_feet

from sensorlab.cli import main
from sensorlab.errors import InputError
from sensorlab.io.blocks import slice_chunk
from sensorlab.io.recording import write_recording
from sensorlab.processing.pipeline import analyze
from sensorlab.processing.sensor_health import (
    CHANNELS,
    DEFAULT_HEALTH,
    FlatSpan,
    HealthSettings,
    SensorHealthMonitor,
    health_findings,
)
from sensorlab.records import ImuChunk
from sensorlab.simulate import SCENARIOS

SHARED = Path(__file__).resolve().parents[2] / "shared"
IPOL = SHARED / "data" / "ipol-lowback-gait-dev" / "GaitData"


@pytest.fixture(scope="module")
def session():
    return SCENARIOS["step_up_asymmetric"](0)


def with_chunk(recording, placement, **arrays):
    chunks = dict(recording.chunks)
    chunks[placement] = dataclasses.replace(chunks[placement], **arrays)
    return dataclasses.replace(recording, chunks=chunks)


# calibration.static_pose divides by the zero |mean acc| of a dead sensor before the
# health check can refuse it at the end of the analysis (noted for the calibration owner).
@pytest.mark.filterwarnings("ignore:invalid value encountered in divide:RuntimeWarning")
def test_an_all_zero_sensor_is_refused_by_name(session, tmp_path, capsys):
    thigh = session.recording.chunks["left_thigh"]
    dead = with_chunk(
        session.recording,
        "left_thigh",
        acc_m_s2=np.zeros_like(thigh.acc_m_s2),
        gyr_rad_s=np.zeros_like(thigh.gyr_rad_s),
    )
    with pytest.raises(InputError, match="sensor 'left_thigh': its accelerometer and gyroscope"):
        analyze(dead)
    path = tmp_path / "dead.csv"
    write_recording(dead, path)
    assert main(["analyze", str(path), "--out", str(tmp_path / "out"), "-q"]) == 2
    error = capsys.readouterr().err
    assert "sensor 'left_thigh'" in error and "dead, disconnected or not streaming" in error
    assert "record again" in error and "Traceback" not in error
    assert not (tmp_path / "out" / "summary.json").exists()


def test_a_gyroscope_that_streams_zeros_is_a_dead_sensor(session):
    pelvis = session.recording.chunks["pelvis"]
    dead = with_chunk(session.recording, "pelvis", gyr_rad_s=np.zeros_like(pelvis.gyr_rad_s))
    with pytest.raises(InputError, match="sensor 'pelvis': its gyroscope holds one value"):
        analyze(dead)


def test_a_stuck_channel_is_named_with_its_span(session):
    thigh = session.recording.chunks["right_thigh"]
    gyr = thigh.gyr_rad_s.copy()
    stuck = (thigh.t_s >= 30.0) & (thigh.t_s < 38.0)
    gyr[stuck, 1] = np.radians(500.0)  # held at full scale, as a saturated axis reads
    analysis = analyze(with_chunk(session.recording, "right_thigh", gyr_rad_s=gyr))
    (warning,) = [w for w in analysis.warnings if "stuck channel" in w]
    first, last = thigh.t_s[stuck][[0, -1]]
    assert warning.startswith("sensor 'right_thigh': stuck channel(s): gyr_y held 500 deg/s")
    assert f"from t = {first:.1f} to {last:.1f} s ({int(stuck.sum())} samples)" in warning
    assert "unreliable" in warning


def test_an_accelerometer_that_misses_gravity_is_named(session):
    pelvis = session.recording.chunks["pelvis"]
    analysis = analyze(with_chunk(session.recording, "pelvis", acc_m_s2=pelvis.acc_m_s2 * 0.7))
    (warning,) = [w for w in analysis.warnings if "far from gravity" in w]
    assert warning.startswith("sensor 'pelvis': |acc| in its quietest second")
    shown = float(warning.split(" s on) is ")[1].split(" m/s^2")[0])
    assert shown == pytest.approx(0.7 * 9.81, rel=0.02)
    assert "calibrate-device" in warning


def test_a_working_session_raises_nothing(session):
    assert not [w for w in analyze(session.recording).warnings if "sensor '" in w]


@pytest.mark.parametrize("seed", range(4))
def test_any_split_of_the_stream_gives_the_batch_account(session, seed):
    rng = np.random.default_rng(seed)
    chunk = session.recording.chunks["pelvis"]
    acc, gyr = chunk.acc_m_s2.copy(), chunk.gyr_rad_s.copy()
    for channel in rng.choice(6, 3, replace=False):
        lo = int(rng.integers(0, len(chunk) - 1200))
        target = acc if channel < 3 else gyr
        target[lo : lo + int(rng.integers(300, 1200)), channel % 3] = rng.normal()
    chunk = dataclasses.replace(chunk, acc_m_s2=acc, gyr_rad_s=gyr)
    batch = SensorHealthMonitor()
    batch.update(chunk)
    streamed = SensorHealthMonitor()
    lo = 0
    while lo < len(chunk):
        hi = min(len(chunk), lo + int(rng.integers(1, 400)))
        streamed.update(slice_chunk(chunk, lo, hi))
        lo = hi
    want, got = batch.report(), streamed.report()
    # Sums over a time bin split across chunks differ in the last bit only.
    assert got.rest_acc_m_s2 == pytest.approx(want.rest_acc_m_s2, rel=1e-12)
    assert dataclasses.replace(got, rest_acc_m_s2=0.0) == dataclasses.replace(
        want, rest_acc_m_s2=0.0
    )
    assert len(want.flat_spans) >= 1


def _runs_listed_one_by_one(t_s, channels, settings):
    """Longest run and listed spans per channel, from every run of the whole stream."""
    longest, spans = [], []
    for name, values in zip(CHANNELS, channels, strict=True):
        starts = np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))
        counts = np.diff(starts, append=values.size)
        ends = starts + counts - 1
        long = counts >= settings.min_flat_samples
        longest.append(int(counts[long].max()) if long.any() else 0)
        listed = np.flatnonzero(long & (t_s[ends] - t_s[starts] >= settings.flat_s))
        spans += [
            FlatSpan(name, t_s[starts[k]], t_s[ends[k]], int(counts[k]), values[starts[k]])
            for k in listed[: settings.max_listed]
        ]
    return tuple(longest), tuple(spans)


@pytest.mark.parametrize("seed", range(6))
def test_runs_near_the_shortest_length_are_found_in_any_split(seed):
    # Runs of min_flat_samples - 1, min_flat_samples and + 1 at every offset from the
    # blocks the monitor checks for changes, on quantised (often repeating) channels.
    rng = np.random.default_rng(seed)
    settings = HealthSettings(min_flat_samples=int(rng.integers(2, 60)), flat_s=0.02)
    n = 20_000
    t_s = np.arange(n) / 200.0
    channels = np.round(rng.normal(0.0, 2.0, (6, n)))
    for channel in range(6):
        for lo in rng.choice(n - 100, 12, replace=False):
            length = settings.min_flat_samples + int(rng.integers(-1, 2))
            channels[channel, lo : lo + length] = rng.normal()
    acc, gyr = channels[:3].T, channels[3:].T
    want = _runs_listed_one_by_one(t_s, channels, settings)
    for block in (n, *rng.integers(1, 3 * settings.min_flat_samples, 3)):
        monitor = SensorHealthMonitor(settings)
        for lo in range(0, n, int(block)):
            hi = min(n, lo + int(block))
            monitor.update(ImuChunk("pelvis", t_s[lo:hi], acc[lo:hi], gyr[lo:hi]))
        report = monitor.report()
        assert (report.longest_flat, report.flat_spans) == want


@pytest.mark.parametrize("seed", range(3))
def test_the_quietest_second_is_the_bin_of_least_acc_variance(seed):
    rng = np.random.default_rng(seed)
    t_s = np.sort(rng.uniform(0.0, 60.0, 9000))
    acc = rng.normal(0.0, rng.uniform(0.5, 3.0, (t_s.size, 1)), (t_s.size, 3))
    acc[:, 2] += 9.81
    gyr = rng.normal(0.0, 0.1, (t_s.size, 3))
    bins = np.floor(t_s).astype(int)
    variance = {
        b: acc[bins == b].var(axis=0).sum() for b in np.unique(bins) if (bins == b).sum() >= 10
    }
    quietest = min(variance, key=variance.get)
    monitor = SensorHealthMonitor()
    monitor.update(ImuChunk("pelvis", t_s, np.asfortranarray(acc), gyr))
    report = monitor.report()
    assert report.rest_t_s == quietest
    norm = np.linalg.norm(acc[bins == quietest], axis=1)
    assert report.rest_acc_m_s2 == pytest.approx(norm.mean(), rel=1e-12)


def _real_sensor_findings(t_s, acc_m_s2, gyr_rad_s):
    monitor = SensorHealthMonitor()
    monitor.update(ImuChunk("sensor", t_s, acc_m_s2, gyr_rad_s))
    return health_findings(monitor.report(), DEFAULT_HEALTH)


@pytest.mark.parametrize("side", ["left", "right"])
def test_real_foot_sensors_raise_nothing(side):
    feet = load_gaitmap_feet()
    foot = feet[side]
    found = _real_sensor_findings(feet.t_s, foot.acc_m_s2.copy(), np.radians(foot.gyr_dps))
    assert found == (None, [])


@pytest.mark.skipif(not IPOL.is_dir(), reason=f"shared real data not beside the repo ({IPOL})")
def test_real_lower_back_and_foot_sensors_raise_nothing():
    """All 180 files of the IPOL dev set (L5 and both feet, Xsens MTw, gyro in rad/s)."""
    files = sorted(IPOL.glob("*_*.txt"))
    assert len(files) >= 100
    for path in files:
        data = pd.read_csv(path, sep="\t", skiprows=1)
        acc = data[["Acc_X", "Acc_Y", "Acc_Z"]].to_numpy(float)
        gyr = data[["Gyr_X", "Gyr_Y", "Gyr_Z"]].to_numpy(float)
        t_s = np.arange(len(data)) / 100.0
        assert _real_sensor_findings(t_s, acc, gyr) == (None, []), path.name
