"""Bluetooth trouble (no stack, no adapter, switched off, not allowed) as one clear message."""

from __future__ import annotations

import contextlib
import traceback

from sensorlab.errors import InputError

NO_STACK_FIX = (
    "sensorlab talks to Bluetooth through BlueZ over the D-Bus system bus. On Debian or "
    "Ubuntu: 'sudo apt install bluez dbus', then 'sudo systemctl start dbus bluetooth' (in "
    "a container without systemd: start 'dbus-daemon --system' and 'bluetoothd'); check "
    "with 'bluetoothctl show'"
)


@contextlib.contextmanager
def bluetooth_errors(virtual: str = "--virtual sim"):
    """Bluetooth trouble that reaches the command as an InputError.

    No Bluetooth stack (no D-Bus system bus, BlueZ not running), no adapter, Bluetooth off or not
    allowed; link problems with single sensors are handled below it. ``virtual`` is the option that
    tries the command without sensors, suggested in every message.
    """
    from bleak.exc import BleakBluetoothNotAvailableError, BleakDBusError, BleakError

    try:
        yield
    except BleakBluetoothNotAvailableError as exc:
        raise InputError(_not_available_message(exc, virtual)) from exc
    except BleakDBusError as exc:
        if exc.dbus_error in (
            "org.freedesktop.DBus.Error.ServiceUnknown",
            "org.freedesktop.DBus.Error.NameHasNoOwner",
        ):
            raise InputError(
                f"Bluetooth is not available: BlueZ (bluetoothd) is not running ({exc}). "
                f"{NO_STACK_FIX}. To try sensorlab without sensors, add {virtual}"
            ) from exc
        raise InputError(_bleak_failed(exc, virtual)) from exc
    except BleakError as exc:
        raise InputError(_bleak_failed(exc, virtual)) from exc
    except (FileNotFoundError, ConnectionRefusedError, PermissionError) as exc:
        if not _raised_by_bluetooth_stack(exc):
            raise
        if isinstance(exc, PermissionError):
            raise InputError(
                f"Bluetooth is not available: the D-Bus system bus refused the connection "
                f"({exc.strerror}). Allow this user to use Bluetooth (on most systems: "
                f"'sudo usermod -aG bluetooth $USER', then log in again), or add {virtual} to "
                "try without sensors"
            ) from exc
        raise InputError(
            f"Bluetooth is not available: no D-Bus system bus to reach BlueZ ({exc.strerror}: "
            "nothing listens at the system bus socket, usually /run/dbus/system_bus_socket). "
            f"{NO_STACK_FIX}. To try sensorlab without sensors, add {virtual}"
        ) from exc


def _bleak_failed(exc: Exception, virtual: str) -> str:
    return (
        f"Bluetooth failed: {exc}. Check that Bluetooth is switched on and the adapter "
        "is plugged in (on Linux: 'bluetoothctl show'); to try sensorlab without "
        f"sensors, add {virtual}"
    )


def _not_available_message(exc, virtual: str) -> str:
    """What is missing, and the fix, for bleak's BleakBluetoothNotAvailableError."""
    from bleak.exc import BleakBluetoothNotAvailableReason as Reason

    fixes = {
        Reason.NO_BLUETOOTH: (
            "no Bluetooth adapter found: plug in a Bluetooth 4.0+ (BLE) adapter or enable "
            "the built-in one ('rfkill unblock bluetooth'); 'bluetoothctl list' shows them"
        ),
        Reason.NO_BLE_CENTRAL_ROLE: (
            "the Bluetooth adapter cannot act as a BLE central (a classic-only adapter): use "
            "a Bluetooth 4.0+ (BLE) adapter"
        ),
        Reason.POWERED_OFF: (
            "Bluetooth is switched off: switch it on ('bluetoothctl power on', or the "
            "system's Bluetooth settings)"
        ),
    }
    fix = fixes.get(
        exc.reason,
        "this user may not use Bluetooth: allow it (on most Linux systems: 'sudo usermod "
        "-aG bluetooth $USER', then log in again)",
    )
    return (
        f"Bluetooth is not available ({exc.args[0]}): {fix}; to try without sensors, add {virtual}"
    )


def _raised_by_bluetooth_stack(exc: BaseException) -> bool:
    """Whether ``exc`` came from bleak or its D-Bus library (not from, e.g., a file of ours)."""
    frames = traceback.extract_tb(exc.__traceback__)
    return any(
        part in frame.filename.replace("\\", "/")
        for frame in frames
        for part in ("/bleak/", "/dbus_fast/", "/dbus_next/")
    )
