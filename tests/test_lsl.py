"""Lab Streaming Layer outlets, read back by pylsl inlets on the loopback interface
(``tests/lsl_localhost.cfg``, set by conftest, keeps discovery and data on this machine)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from sensorlab.cli import main
from sensorlab.io.recording import read_recording
from sensorlab.processing.pipeline import KINEMATICS_COLUMNS
from sensorlab.records import Marker
from sensorlab.session import Session
from sensorlab.sinks.lsl import ANGLE_CHANNELS, IMU_CHANNELS, LslSettings, LslSink, SessionClock
from sensorlab.sources.replay import ReplaySource

pylsl = pytest.importorskip("pylsl", reason="pylsl is in the [dev] extra")

ROOT = Path(__file__).resolve().parents[1]
RECORDINGS = ROOT / "recordings"


@pytest.fixture(scope="module", autouse=True)
def loopback_works():
    """Skip (saying why) only if LSL cannot find a stream on this machine at all."""
    name = f"probe-{uuid.uuid4().hex[:8]}"
    outlet = pylsl.StreamOutlet(pylsl.StreamInfo(name, "probe", 1, 10, pylsl.cf_float32, name))
    found = pylsl.resolve_byprop("name", name, 1, 5.0)
    del outlet
    if not found:
        pytest.skip("LSL could not resolve a stream on the loopback interface here")


def _inlet(name: str, timeout_s: float = 5.0):
    found = pylsl.resolve_byprop("name", name, 1, timeout_s)
    assert found, f"stream {name} not found"
    inlet = pylsl.StreamInlet(found[0], max_buflen=600, recover=False)
    inlet.open_stream(5.0)
    return inlet


def _pull(inlet, expected: int, timeout_s: float = 10.0):
    """Pull until ``expected`` samples came, or nothing came for ``timeout_s``."""
    values, stamps = [], []
    while len(stamps) < expected:
        # A pull waits until it has max_samples or the timeout passed: ask for what is due.
        wanted = min(1024, expected - len(stamps))
        chunk, times = inlet.pull_chunk(timeout=timeout_s, max_samples=wanted)
        if not times:
            break
        values += chunk
        stamps += times
    return values, np.asarray(stamps)


def _channels(info) -> list[tuple[str, str]]:
    channel = info.desc().child("channels").child("channel")
    out = []
    while not channel.empty():
        out.append((channel.child_value("label"), channel.child_value("unit")))
        channel = channel.next_sibling()
    return out


@pytest.fixture(scope="module")
def recording():
    return read_recording(RECORDINGS / "step_up_asymmetric.csv")


def test_clock_maps_session_time_on_the_least_delayed_arrival():
    now = iter([100.0, 100.5, 101.02, 101.2])
    clock = SessionClock(lambda: next(now), time_scale=2.0)
    for newest in (0.0, 0.9, 2.0, 2.2):  # arrivals delayed by 0, 0.05, 0.02, 0.1 s
        clock.observe(newest)
    assert clock.offset_s == pytest.approx(100.0 - 0.05 + 0.05)
    assert clock.lsl_time(2.0) == pytest.approx(101.0)


def test_raw_imu_reaches_an_inlet_with_its_values_units_and_times(recording):
    prefix = f"t{uuid.uuid4().hex[:8]}"
    arrival = [0.0]  # LSL time at which the sink gets each block (a stream in real time)
    sink = LslSink(recording.meta, 100.0, "test", LslSettings(prefix), lambda: arrival[0])
    inlets = {p: _inlet(f"{prefix}_imu_{p}") for p in recording.chunks}
    info = inlets["pelvis"].info(5.0)
    assert info.type() == "IMU" and info.channel_count() == 6
    assert info.nominal_srate() == recording.meta.sensors["pelvis"].rate_hz
    assert _channels(info) == [(label, unit) for label, unit, _ in IMU_CHANNELS]
    acquisition = info.desc().child("acquisition")
    assert acquisition.child_value("placement") == "pelvis"
    assert json.loads(acquisition.child_value("mount")) == recording.meta.sensors["pelvis"].mount
    first = {p: c.take(slice(0, 400)) for p, c in recording.chunks.items()}
    delays = np.random.default_rng(3).uniform(0.012, 0.05, 40)
    delays[0] = 0.01  # the least-delayed block sets the offset
    for k, start in enumerate(range(0, 400, 10)):  # 10 samples per sensor per block
        blocks = [c.take(slice(start, start + 10)) for c in first.values()]
        arrival[0] = 1000.0 + max(float(b.t_s[-1]) for b in blocks) + delays[k]
        sink.samples(blocks)
    for placement, chunk in first.items():
        values, stamps = _pull(inlets[placement], len(chunk))
        assert len(stamps) == len(chunk)
        values = np.asarray(values)
        assert np.allclose(values[:, :3], chunk.acc_m_s2, rtol=1e-6, atol=1e-5)
        assert np.allclose(values[:, 3:], np.degrees(chunk.gyr_rad_s), rtol=1e-6, atol=1e-4)
        # Session time plus the least delay, for every sample.
        assert np.allclose(stamps, chunk.t_s + 1000.01, rtol=0, atol=1e-9)
    sink.close()


def _short_replay(recording, seconds: float):
    chunks = {p: c.take(c.t_s < seconds) for p, c in recording.chunks.items()}
    return replace(recording, chunks=chunks)


@pytest.mark.realtime
def test_a_replayed_session_publishes_samples_angles_and_rep_markers(recording):
    speed = 16.0
    part = _short_replay(recording, 40.0)
    source = ReplaySource(part, speed=speed)
    session = Session(source)
    prefix = f"t{uuid.uuid4().hex[:8]}"
    sink = LslSink(source.meta, session.analyzer.rate_hz, source.name, LslSettings(prefix, speed))
    session.sinks.append(sink)
    imu = _inlet(f"{prefix}_imu_left_thigh")
    angles = _inlet(f"{prefix}_angles")
    markers = _inlet(f"{prefix}_events")
    assert _channels(angles.info(5.0)) == [(name, "degrees") for name in ANGLE_CHANNELS]
    assert markers.info(5.0).nominal_srate() == pylsl.IRREGULAR_RATE
    before = pylsl.local_clock()
    session.mark("start")  # a mark goes out as a marker too
    asyncio.run(session.run())
    after = pylsl.local_clock()
    analysis = session.analysis

    left = part.chunks["left_thigh"]
    _, stamps = _pull(imu, len(left))
    assert len(stamps) == len(left)
    assert before <= stamps[0] and stamps[-1] <= after
    assert np.allclose((stamps - stamps[0]) * speed, left.t_s - left.t_s[0], atol=1e-6)

    texts, marker_stamps = _pull(markers, 10**6, timeout_s=0.5)
    payloads = [json.loads(text[0]) for text in texts]
    assert payloads[0] == {"event": "mark", "label": "start", "t_s": 0.0}
    # Provisional reps are replaced by index, or withdrawn; what stands is the analysis's.
    standing: dict[int, dict] = {}
    for payload in payloads:
        if payload["event"] == "rep":
            standing[payload["index"]] = payload
        elif payload["event"] == "withdrawn" and payload["kind"] == "rep":
            standing = {i: p for i, p in standing.items() if i < payload["first_index"]}
    assert len(analysis.reps) >= 4, "the part replayed has reps to publish"
    reps = [standing[i] for i in sorted(standing)]
    assert [(r["side"], r["t_start_s"], r["thigh_rom_deg"]) for r in reps] == [
        (r.side, r.t_start, r.thigh_rom_deg) for r in analysis.reps
    ]
    assert not any(r["provisional"] for r in reps)
    for payload, stamp in zip(payloads, marker_stamps, strict=True):
        if payload["event"] != "rep":
            continue
        assert stamp == pytest.approx(payload["lsl_t_end"], abs=1e-9)
        assert payload["lsl_t_end"] - payload["lsl_t_start"] == pytest.approx(
            (payload["t_end_s"] - payload["t_start_s"]) / speed, abs=1e-9
        )

    rows, angle_stamps = _pull(angles, 10**6, timeout_s=0.5)
    rows = np.asarray(rows)
    kinematics = analysis.kinematics
    assert len(rows) > 0.5 * len(kinematics.t_s), "angles flow once calibration is done"
    t_s = (angle_stamps - sink.clock.offset_s) * speed
    index = np.searchsorted(kinematics.t_s, t_s - 1e-6)
    assert np.allclose(kinematics.t_s[index], t_s, atol=1e-5)
    for column, name in enumerate(ANGLE_CHANNELS):
        expected = getattr(kinematics, name)[index]
        finite = np.isfinite(expected)
        assert np.allclose(rows[finite, column], expected[finite], atol=1e-3), name
    assert "t_s" in KINEMATICS_COLUMNS


def test_a_failing_publisher_is_dropped_and_the_session_goes_on(recording):
    class Broken:
        def samples(self, chunks):
            raise OSError("network down")

    part = _short_replay(recording, 5.0)
    session = Session(ReplaySource(part, speed=None), sinks=[Broken()])
    analysis = asyncio.run(session.run())
    assert session.sinks == []
    assert any("Broken stopped publishing (OSError: network down)" in w for w in analysis.warnings)
    assert sum(analysis.quality[p].samples for p in part.chunks) > 0


def test_lsl_wants_real_time_and_a_streaming_session(tmp_path, capsys):
    csv_path = str(RECORDINGS / "step_up_asymmetric.csv")
    out = str(tmp_path / "o")
    assert main(["replay", csv_path, "--out", out, "--speed", "max", "--lsl"]) == 2
    assert "--lsl publishes in real time" in capsys.readouterr().err
    assert main(["simulate", "--out", str(tmp_path / "s.csv"), "--lsl"]) == 2
    assert "add --live" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_a_mark_made_before_any_sample_goes_out_at_the_end_stamped_then(recording):
    prefix = f"t{uuid.uuid4().hex[:8]}"
    sink = LslSink(recording.meta, 100.0, "test", LslSettings(prefix))
    inlet = _inlet(f"{prefix}_events")
    sink.events([Marker(0.0, "start")])
    assert inlet.samples_available() == 0, "held until the clock has seen blocks arrive"
    before = pylsl.local_clock()
    sink.close()  # the session ended: what is held goes out, stamped now
    texts, stamps = _pull(inlet, 1)
    assert json.loads(texts[0][0]) == {"event": "mark", "label": "start", "t_s": 0.0}
    assert before <= stamps[0] <= pylsl.local_clock()


@pytest.mark.realtime
@pytest.mark.parametrize(
    "argv",
    [
        ["record", "--virtual", "sim", "--duration", "8", "--out", "{tmp}/new.csv"],
        [
            "live", "--source", f"replay:{RECORDINGS / 'step_up_asymmetric.csv'}",
            "--duration", "8", "--screenshot", "{tmp}/live.png", "--out", "{tmp}/o",
        ],
    ],
    ids=["record", "live"],
)  # fmt: skip
def test_record_and_live_publish_with_lsl(argv, tmp_path):
    prefix = f"t{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    command = "import sys; from sensorlab.cli import main; sys.exit(main(sys.argv[1:]))"
    args = [a.format(tmp=tmp_path) for a in argv] + ["--lsl", prefix]
    process = subprocess.Popen(
        [sys.executable, "-c", command, *args],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        inlet = _inlet(f"{prefix}_imu_pelvis", timeout_s=120.0)
        assert [label for label, _ in _channels(inlet.info(5.0))] == [
            label for label, _, _ in IMU_CHANNELS
        ]
        values, stamps = _pull(inlet, 300, timeout_s=60.0)
        assert len(stamps) == 300 and np.all(np.diff(stamps) >= 0)
        # 100 Hz. (Not from the first samples: the virtual collector's clock alignment
        # gives the samples queued before the session starts times within ~10 ms.)
        assert np.median(np.diff(stamps[-100:])) == pytest.approx(0.01, rel=0.2)
        # Specific force at rest or in slow movement: about g, in m/s^2.
        assert 5.0 < np.median(np.linalg.norm(np.asarray(values)[:, :3], axis=1)) < 15.0
        out, err = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert f"LSL streams: {prefix}_imu_" in out
