"""The Bluetooth commands (scan, record, calibrate-device), sensorlab.toml and the
``ble``/``virtual`` sources, as a user meets them; virtual sensors only, no adapter."""

from __future__ import annotations

import asyncio
import json
import math
import re
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from sensorlab.ble.collector import BleSource
from sensorlab.ble.config import CollectorConfig, SensorConfig, load_config, with_overrides
from sensorlab.cli import main
from sensorlab.errors import InputError
from sensorlab.io.recording import read_recording
from sensorlab.sources.base import make_source
from sensorlab.virtual.sensors import DEMO_ERROR
from sensorlab.virtual.source import VirtualBleSource

CONFIG = """\
rate_hz = 100

[sensors.pelvis]
address = "c1:5e:00:00:00:01"
model = "diy"
mount = { x = "up", y = "left", z = "backward" }

[sensors.left_thigh]
address = "C1:5E:00:00:00:02"

[sensors.right_thigh]
address = "C1:5E:00:00:00:03"
rate_hz = 200

[collector]
scan_timeout_s = 4
calibration_dir = "cal"
"""


@pytest.mark.realtime
def test_scan_lists_virtual_sensors_with_address_model_rssi_and_battery(capsys) -> None:
    argv = ["scan", "--virtual", "sim", "--virtual-model", "diy,witmotion,movesense"]
    assert main([*argv, "--timeout", "0.4"]) == 0
    out = capsys.readouterr().out
    rows = {line.split()[0]: line.split() for line in out.splitlines() if "C1:5E" in line}
    assert rows["sensorlab-0001"][1:] == ["C1:5E:00:00:00:01", "diy", "-50", "dBm", "100%"]
    assert rows["WT901BLE02"][1:] == ["C1:5E:00:00:00:02", "witmotion", "-50", "dBm", "-"]
    assert rows["Movesense"][2:] == ["C1:5E:00:00:00:03", "movesense", "-50", "dBm", "100%"]
    assert "3 sensor(s) sensorlab knows" in out


@pytest.mark.realtime
def test_record_virtual_sensors_of_three_models_to_a_new_recording(tmp_path, capsys) -> None:
    out = tmp_path / "session.csv"
    argv = ["record", "--virtual", "sim", "--virtual-model", "diy,witmotion,dot"]
    argv += ["--speed", "4", "--duration", "8", "--status-every", "0.5", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    recording = read_recording(out)
    sensors = recording.meta.sensors
    assert [sensors[p].model for p in ("pelvis", "left_thigh", "right_thigh")] == [
        "diy",
        "witmotion",
        "dot",
    ]
    assert [sensors[p].rate_hz for p in ("pelvis", "left_thigh", "right_thigh")] == [
        100.0,
        100.0,
        60.0,  # a DOT streams at most 60 Hz
    ]
    assert sensors["pelvis"].address == "C1:5E:00:00:00:01"
    assert sensors["pelvis"].mount == {"x": "up", "y": "left", "z": "backward"}
    # The session stops after 8 s on the host's clock, the motion ends after 8 s of
    # world time: most of it is in, never more, and nothing is missing in between.
    for placement, chunk in recording.chunks.items():
        rate = sensors[placement].rate_hz
        assert 0.5 * 8.0 * rate < len(chunk) <= 8.0 * rate + 1, placement
    pelvis, dot_thigh = recording.chunks["pelvis"], recording.chunks["right_thigh"]
    assert pelvis.seq is not None and (np.diff(pelvis.seq) == 1).all()  # DIY counts
    assert recording.chunks["left_thigh"].seq is None  # a WitMotion does not
    assert np.allclose(np.diff(dot_thigh.device_t_s), 1 / 60.0, atol=1e-5)  # a DOT stamps
    status_lines = [
        line for line in printed.splitlines() if line.startswith("[") and "samples" in line
    ]
    assert len(status_lines) >= 6 and all("connected" in line for line in status_lines)
    assert f"recorded {out}" in printed and "sensorlab analyze" in printed


STATUS_LINE = re.compile(r"\[ *[\d.]+ s\] (?P<placement>\S+) .* (?P<samples>\d+) samples")
"""A status line of ``sensorlab record``, e.g.
``[ 1.4 s] pelvis  diy  C1:..  connected  136 samples``
(the samples are the sensor's so far)."""


@pytest.mark.realtime
def test_ctrl_c_stops_the_recording_cleanly_and_keeps_the_file(tmp_path) -> None:
    out = tmp_path / "interrupted.csv"
    argv = [sys.executable, "-m", "sensorlab.cli", "record", "--virtual", "sim"]
    argv += ["--virtual-model", "diy", "--status-every", "0.5", "--out", str(out)]
    process = subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        # Ctrl-C as in a terminal, also when this suite runs where SIGINT is ignored (a
        # shell's background job): a child inherits that, and Python then leaves it so.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        # Streaming for a while: 300 samples (3 s) of each sensor, so that the file's
        # times are those of a steady stream, not of the first second's alignment (which a
        # busy machine, delaying the first arrivals, can leave tied in 2 us steps).
        received: dict[str, int] = {}
        for line in process.stdout:
            status = STATUS_LINE.match(line)
            if status:
                received[status["placement"]] = int(status["samples"])
                if len(received) == 3 and min(received.values()) >= 300:
                    break
        process.send_signal(signal.SIGINT)
        rest, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, errors
    assert "stopped (Ctrl-C)" in errors
    assert f"recorded {out}" in rest
    assert "stopped" in rest  # the final status: every sensor stopped and disconnected
    recording = read_recording(out)
    assert set(recording.chunks) == {"pelvis", "left_thigh", "right_thigh"}
    assert all(len(chunk) >= 300 for chunk in recording.chunks.values())
    assert not recording.warnings


def test_record_without_sensors_says_how_to_fix_it(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)  # no sensorlab.toml here
    assert main(["record", "--out", "x.csv"]) == 2
    error = capsys.readouterr().err
    assert "no sensorlab.toml here" in error and "--pelvis" in error and "--virtual" in error
    (tmp_path / "x.csv").write_text("")
    assert main(["record", "--pelvis", "C1:5E:00:00:00:01", "--out", "x.csv"]) == 2
    assert "never overwrites" in capsys.readouterr().err
    assert main(["record", "--pelvis", "C1:5E:00:00:00:0", "--out", "y.csv"]) == 2
    assert "--pelvis: 'C1:5E:00:00:00:0' is not a Bluetooth address" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[sensors.pelvis]\naddress = C1\n", ":2"),  # TOML syntax error: the line
        ('[sensors.pelvis]\nadress = "C1:5E:00:00:00:01"\n', "unknown key(s) adress"),
        ('[sensors.pelvis]\naddress = "C1:5E:00:00:00:01"\nmodel = "xsens"\n', "one of witmotion"),
        ('[sensors.pelvis]\naddress = "C1:5E:00:00:00:01"\nmount = { x = "up" }\n', "mount"),
        ('rate_hz = -5\n[sensors.pelvis]\naddress = "C1:5E:00:00:00:01"\n', "rate_hz"),
        (
            '[sensors.pelvis]\naddress = "C1:5E:00:00:00:01"\n'
            '[sensors.left_thigh]\naddress = "C1:5E:00:00:00:01"\n',
            "same address",
        ),
    ],
)
def test_config_mistakes_exit_2_naming_the_file_and_the_fix(
    text, expected, tmp_path, monkeypatch, capsys
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sensorlab.toml").write_text(text)
    assert main(["record", "--out", "x.csv"]) == 2
    error = capsys.readouterr().err
    assert "sensorlab.toml" in error and expected in error
    assert "Traceback" not in error


def test_config_file_and_flag_overrides(tmp_path) -> None:
    path = tmp_path / "sensorlab.toml"
    path.write_text(CONFIG)
    config = load_config(path)
    assert list(config.sensors) == ["pelvis", "left_thigh", "right_thigh"]
    pelvis = config.sensors["pelvis"]
    assert pelvis == SensorConfig(
        "pelvis", "C1:5E:00:00:00:01", "diy", None, {"x": "up", "y": "left", "z": "backward"}
    )
    assert config.calibration_dir == tmp_path / "cal" and config.scan_timeout_s == 4.0
    assert [s.rate_hz for s in config.sensor_list()] == [100.0, 100.0, 200.0]
    # A flag with a new address keeps the placement's mount and drops the old model.
    changed = with_overrides(config, {"pelvis": "C1:5E:00:00:00:09", "left_thigh": None}, 50.0)
    assert changed.sensors["pelvis"].address == "C1:5E:00:00:00:09"
    assert changed.sensors["pelvis"].model is None and changed.sensors["pelvis"].mount
    assert changed.sensors["left_thigh"] == SensorConfig(
        "left_thigh", "C1:5E:00:00:00:02", None, 50.0, None
    )
    same = with_overrides(config, {"pelvis": "c1:5e:00:00:00:01"})
    assert same.sensors["pelvis"].model == "diy"  # same device: its model stays
    added = with_overrides(CollectorConfig(), {"right_thigh": "C1:5E:00:00:00:07"})
    assert list(added.sensors) == ["right_thigh"]


def test_ble_source_reads_sensorlab_toml(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=r"sensorlab\.toml"):
        make_source("ble")
    (tmp_path / "sensorlab.toml").write_text(CONFIG)
    source = make_source("ble")
    assert isinstance(source, BleSource)
    sensors = source.meta.sensors
    assert sensors["pelvis"].model == "diy" and sensors["pelvis"].rate_hz == 100.0
    assert sensors["pelvis"].mount == {"x": "up", "y": "left", "z": "backward"}
    assert sensors["right_thigh"].model is None  # recognised when scanned
    assert sensors["right_thigh"].rate_hz == 200.0
    assert source.settings.scan_timeout_s == 4.0
    assert source.calibration_dir == tmp_path / "cal"
    other = tmp_path / "clinic.toml"
    other.write_text(CONFIG.replace('model = "diy"\n', ""))
    assert make_source(f"ble:{other}").meta.sensors["pelvis"].model is None
    with pytest.raises(InputError, match="no such config file"):
        make_source(f"ble:{tmp_path / 'missing.toml'}")


@pytest.mark.realtime
def test_virtual_source_streams_through_the_collector() -> None:
    source = make_source("virtual:sim@witmotion,diy,movesense", duration_s=3.0, speed=4.0)
    assert isinstance(source, VirtualBleSource)
    models = [source.meta.sensors[p].model for p in ("pelvis", "left_thigh", "right_thigh")]
    assert models == ["witmotion", "diy", "movesense"]

    packing = {"pelvis": 1, "left_thigh": 2, "right_thigh": 4}  # samples a notification
    source.stop_at_end = False  # stopped below once every sample is in, however late

    def everything_in() -> bool:
        status = source.status()
        return source.sensors.finished and all(
            p in status and status[p].samples > sensor.log.samples - packing[p]
            for p, sensor in source.sensors.sensors.items()
        )

    async def run() -> dict[str, int]:
        async def stop_then() -> None:
            loop = asyncio.get_running_loop()
            deadline_s = loop.time() + 60.0  # a hung-test guard only
            while not everything_in() and loop.time() < deadline_s:
                await asyncio.sleep(0.02)
            source.stop()

        stopper = asyncio.get_running_loop().create_task(stop_then())
        counts: dict[str, int] = {}
        async for chunk in source.blocks():
            counts[chunk.placement] = counts.get(chunk.placement, 0) + len(chunk)
        await stopper
        return counts

    counts = asyncio.run(run())
    rates = {p: info.rate_hz for p, info in source.meta.sensors.items()}  # 100 Hz; 104 Hz
    assert abs(counts["pelvis"] - 3.0 * rates["pelvis"]) <= 2
    assert abs(counts["right_thigh"] - 3.0 * rates["right_thigh"]) <= 4
    with pytest.raises(InputError, match="virtual model"):
        make_source("virtual:sim@xsens")
    with pytest.raises(InputError, match="needs a motion"):
        make_source("virtual:")


@pytest.mark.realtime
def test_calibrate_device_non_interactive_writes_the_calibration_file(tmp_path, capsys) -> None:
    argv = ["calibrate-device", "c1:5e:00:00:00:09", "--virtual", "poses", "--yes"]
    assert main([*argv, "--speed", "8", "--out-dir", str(tmp_path / "cal")]) == 0
    printed = capsys.readouterr().out
    path = tmp_path / "cal" / "C1-5E-00-00-00-09.json"
    data = json.loads(path.read_text())
    assert data["format"] == "sensorlab-device-calibration" and data["model"] == "diy"
    assert data["address"] == "C1:5E:00:00:00:09"
    expected_bias = [math.degrees(v) for v in DEMO_ERROR.gyro_bias_rad_s]
    assert np.allclose(data["gyro_bias_dps"], expected_bias, atol=0.03)
    assert np.allclose(data["acc_offset_m_s2"], DEMO_ERROR.acc_offset_m_s2, atol=0.01)
    assert np.allclose(data["acc_scale"], DEMO_ERROR.acc_scale, atol=0.001)
    assert len(data["residuals_m_s2"]) == 6
    assert "step 7/7" in printed and f"saved {path}" in printed
    assert "+x up: |corrected| - g" in printed


def test_help_teaches_with_examples(capsys) -> None:
    for command in ("scan", "record", "calibrate-device"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert "examples:" in text and f"sensorlab {command}" in text
    with pytest.raises(SystemExit):
        main(["record", "--help"])
    assert "sensorlab.toml" in capsys.readouterr().out


def test_docs_describe_the_config_the_code_reads(tmp_path) -> None:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "ble.md").read_text()
    block = docs.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "sensorlab.toml").write_text(block)
    config = load_config(tmp_path / "sensorlab.toml")
    assert set(config.sensors) == {"pelvis", "left_thigh", "right_thigh"}
