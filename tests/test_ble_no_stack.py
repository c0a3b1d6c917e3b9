"""Bluetooth commands on a machine without a working Bluetooth stack: one message saying
what is missing and how to install or start it, exit status 2, no traceback.

bleak's BlueZ backend is made to fail the way it fails there (``bleak/backends/bluezdbus/
manager.py``): the D-Bus system bus socket is absent (``FileNotFoundError`` from the
connect), D-Bus runs but BlueZ does not (``BleakDBusError`` ``ServiceUnknown`` for
``org.bluez``), BlueZ runs without an adapter, or the adapter is off
(``BleakBluetoothNotAvailableError``)."""

from __future__ import annotations

import errno
import os

import pytest
from bleak.backends.bluezdbus import manager
from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakDBusError,
)
from dbus_fast.aio import MessageBus

from sensorlab.cli import main

ADDRESSES = ["--pelvis", "C1:5E:00:00:00:01", "--left-thigh", "C1:5E:00:00:00:02"]
ADDRESSES += ["--right-thigh", "C1:5E:00:00:00:03"]


def _commands(tmp_path) -> dict[str, list[str]]:
    return {
        "scan": ["scan", "--timeout", "0.2"],
        "record": ["record", *ADDRESSES, "--duration", "1", "--out", str(tmp_path / "r.csv")],
        "calibrate-device": [
            "calibrate-device",
            "C1:5E:00:00:00:01",
            "--yes",
            "--out-dir",
            str(tmp_path / "cal"),
        ],
    }


async def _no_system_bus(self, *args, **kwargs):
    raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT))


async def _no_bluez(self):
    raise BleakDBusError(
        "org.freedesktop.DBus.Error.ServiceUnknown",
        ["The name org.bluez was not provided by any .service files"],
    )


async def _bluez_without_adapters(self):
    """BlueZ answers, with no adapter object (what GetManagedObjects gives then)."""


def _powered_off(self):
    raise BleakBluetoothNotAvailableError(
        "No powered Bluetooth adapters found. Turn on Bluetooth and try again.",
        BleakBluetoothNotAvailableReason.POWERED_OFF,
    )


CASES = {
    "no D-Bus": (
        (MessageBus, "connect", _no_system_bus),
        ["no D-Bus system bus", "sudo apt install bluez dbus", "systemctl start dbus bluetooth"],
    ),
    "no BlueZ": (
        (manager.BlueZManager, "async_init", _no_bluez),
        ["BlueZ (bluetoothd) is not running", "sudo apt install bluez dbus", "bluetoothd"],
    ),
    "no adapter": (
        (manager.BlueZManager, "async_init", _bluez_without_adapters),
        ["no Bluetooth adapter found", "plug in", "bluetoothctl list"],
    ),
    "adapter off": (
        (manager.BlueZManager, "get_default_adapter", _powered_off),
        ["Bluetooth is switched off", "bluetoothctl power on"],
    ),
}


@pytest.mark.parametrize("command", ["scan", "record", "calibrate-device"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_missing_bluetooth_stack_is_named_with_its_fix(
    case, command, tmp_path, monkeypatch, capsys
):
    (owner, name, failure), phrases = CASES[case]
    monkeypatch.setattr(owner, name, failure)
    if case == "adapter off":
        monkeypatch.setattr(manager.BlueZManager, "async_init", _bluez_without_adapters)
    monkeypatch.chdir(tmp_path)  # no sensorlab.toml here
    assert main(_commands(tmp_path)[command]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"sensorlab {command}: error: Bluetooth is not available")
    for phrase in phrases:
        assert phrase in error, phrase
    virtual = "--virtual poses" if command == "calibrate-device" else "--virtual sim"
    assert f"add {virtual}" in error
    assert "Traceback" not in error
    assert not (tmp_path / "r.csv").exists()


def test_a_missing_file_of_our_own_is_not_blamed_on_bluetooth(tmp_path, monkeypatch):
    """Only errors raised inside bleak or its D-Bus library are read as a missing stack."""

    def broken_scan(*args, **kwargs):
        raise FileNotFoundError(errno.ENOENT, "no such file", str(tmp_path / "gone"))

    monkeypatch.setattr("sensorlab.ble.collector.scan_devices", broken_scan)
    with pytest.raises(FileNotFoundError):
        main(["scan", "--timeout", "0.2"])
