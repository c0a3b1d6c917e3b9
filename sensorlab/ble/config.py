"""``sensorlab.toml``: which Bluetooth sensor sits where, set once per clinic.

A clinic's sensors rarely change, so their addresses live in a small TOML file that the
``sensorlab record``, ``calibrate-device`` and ``live --source ble`` commands read from the
current folder (or from ``--config PATH``)::

    rate_hz = 100                      # optional, default 100

    [sensors.pelvis]
    address = "C1:5E:00:00:00:01"      # as 'sensorlab scan' shows it
    model = "diy"                      # optional: otherwise recognised from its advertisement
    mount = { x = "up", y = "left", z = "backward" }   # optional, as in the recording sidecar

    [sensors.left_thigh]
    address = "C1:5E:00:00:00:02"

    [sensors.right_thigh]
    address = "C1:5E:00:00:00:03"
    rate_hz = 200                      # optional, overrides the top-level rate

    [collector]                        # optional
    scan_timeout_s = 10
    calibration_dir = "calibration"    # per-device calibration files, relative to this file

Command-line flags override the file (:func:`with_overrides`). Everything here is plain
data and validation; nothing touches Bluetooth. See ``docs/ble.md``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sensorlab.errors import InputError
from sensorlab.frames import DIRECTIONS, PLACEMENTS, MountError, mount_matrix

CONFIG_NAME = "sensorlab.toml"
"""File name searched for in the current folder."""

DEFAULT_RATE_HZ = 100.0
DEFAULT_SCAN_TIMEOUT_S = 10.0
DEFAULT_CALIBRATION_DIR = Path("calibration")

_MAC = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
_UUID = re.compile(r"^[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}$")
_EXAMPLE = (
    '[sensors.pelvis]\naddress = "C1:5E:00:00:00:01"\nmodel = "diy"   # optional\n'
    'mount = { x = "up", y = "left", z = "backward" }   # optional'
)
_SENSOR_KEYS = ("address", "model", "rate_hz", "mount")
_COLLECTOR_KEYS = ("scan_timeout_s", "calibration_dir")


@dataclass(frozen=True)
class SensorConfig:
    """One placement's sensor.

    Attributes
    ----------
    placement : str
        ``pelvis``, ``left_thigh`` or ``right_thigh`` (others are recorded but not analysed).
    address : str
        Bluetooth address (``AA:BB:CC:DD:EE:FF``; a UUID on macOS), upper case.
    model : str or None
        A key of :data:`sensorlab.devices.PROFILES`; ``None``: recognised from the scan.
    rate_hz : float or None
        Requested output rate, Hz; ``None``: the collector's rate. The device runs at the
        supported rate nearest to it.
    mount : dict of str to str, or None
        Nominal mounting, as in the recording sidecar (``{"x": "up", ...}``).
    """

    placement: str
    address: str
    model: str | None = None
    rate_hz: float | None = None
    mount: dict[str, str] | None = None


@dataclass(frozen=True)
class CollectorConfig:
    """Everything ``sensorlab.toml`` says.

    Attributes
    ----------
    sensors : dict of str to SensorConfig
        Per placement, in file order.
    rate_hz : float
        Default requested rate, Hz.
    scan_timeout_s : float
        How long to look for the sensors before giving up, seconds.
    calibration_dir : Path
        Folder of the per-device calibration files.
    path : Path or None
        The file read, for messages (``None`` when built from flags only).
    """

    sensors: dict[str, SensorConfig] = field(default_factory=dict)
    rate_hz: float = DEFAULT_RATE_HZ
    scan_timeout_s: float = DEFAULT_SCAN_TIMEOUT_S
    calibration_dir: Path = DEFAULT_CALIBRATION_DIR
    path: Path | None = None

    def sensor_list(self) -> list[SensorConfig]:
        """The sensors with their rates filled in from :attr:`rate_hz`."""
        return [
            s if s.rate_hz is not None else replace(s, rate_hz=self.rate_hz)
            for s in self.sensors.values()
        ]


def normalize_address(address: str, where: str = "address") -> str:
    """A Bluetooth address in upper case, checked.

    Raises
    ------
    InputError
        If it is neither ``AA:BB:CC:DD:EE:FF`` nor a UUID (macOS names devices by UUID).
    """
    text = str(address).strip()
    if not (_MAC.match(text) or _UUID.match(text)):
        raise InputError(
            f"{where}: {address!r} is not a Bluetooth address; write it as six pairs of hex "
            "digits separated by colons, e.g. C1:5E:00:00:00:01 (run 'sensorlab scan' to "
            "list the sensors in range with their addresses)"
        )
    return text.upper()


def calibration_file_name(address: str) -> str:
    """``C1-5E-00-00-00-01.json`` for ``C1:5E:00:00:00:01`` (colons are awkward in names)."""
    return normalize_address(address).replace(":", "-") + ".json"


def find_config(explicit: Path | None = None, folder: Path | None = None) -> Path | None:
    """The config file to read, if any.

    ``explicit`` if given (it must exist), else ``sensorlab.toml`` in ``folder`` (default: the
    current folder) if there is one.

    Raises
    ------
    InputError
        If ``explicit`` does not exist.
    """
    if explicit is not None:
        if not explicit.is_file():
            raise InputError(
                f"{explicit}: no such config file; give the path of your sensorlab.toml "
                "(see docs/ble.md for its format)"
            )
        return explicit
    candidate = (folder or Path.cwd()) / CONFIG_NAME
    return candidate if candidate.is_file() else None


def find_and_load_config(
    explicit: str | Path | None = None,
) -> tuple[Path | None, CollectorConfig | None]:
    """:func:`find_config` then :func:`load_config`: the file used and what it says.

    ``(None, None)`` when no ``explicit`` file is given and the current folder has none.
    """
    path = find_config(Path(explicit) if explicit else None)
    return path, None if path is None else load_config(path)


def load_config(path: Path) -> CollectorConfig:
    """Read and check ``sensorlab.toml``.

    Raises
    ------
    InputError
        For a TOML syntax error (with its line) or a wrong value (naming the key and
        saying what to write instead).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path.name}: cannot read the config file ({exc.strerror})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"at line (\d+)", str(exc))
        where = f"{path.name}:{line.group(1)}" if line else path.name
        raise InputError(
            f"{where}: not valid TOML ({exc}); text values need quotes, and each sensor is a "
            f"table such as\n{_EXAMPLE}"
        ) from exc
    return parse_config(data, path)


def parse_config(data: Mapping[str, Any], path: Path | None = None) -> CollectorConfig:
    """A :class:`CollectorConfig` from parsed TOML (see :func:`load_config`)."""
    where = path.name if path is not None else CONFIG_NAME
    unknown = [key for key in data if key not in ("rate_hz", "sensors", "collector")]
    if unknown:
        raise InputError(
            f"{where}: unknown setting(s) {', '.join(unknown)}; the file holds rate_hz, "
            f"[sensors.PLACEMENT] tables and an optional [collector] table, e.g.\n{_EXAMPLE}"
        )
    rate_hz = _rate(data.get("rate_hz", DEFAULT_RATE_HZ), f"{where}: rate_hz")
    sensors_data = data.get("sensors", {})
    if not isinstance(sensors_data, dict):
        raise InputError(f"{where}: 'sensors' must be tables, e.g.\n{_EXAMPLE}")
    sensors = {
        placement: _sensor(placement, entry, where) for placement, entry in sensors_data.items()
    }
    addresses: dict[str, str] = {}
    for sensor in sensors.values():
        other = addresses.setdefault(sensor.address, sensor.placement)
        if other != sensor.placement:
            raise InputError(
                f"{where}: {other} and {sensor.placement} have the same address "
                f"{sensor.address}; each placement needs its own sensor"
            )
    collector = data.get("collector", {})
    if not isinstance(collector, dict):
        raise InputError(f"{where}: [collector] must be a table (scan_timeout_s, calibration_dir)")
    unknown = [key for key in collector if key not in _COLLECTOR_KEYS]
    if unknown:
        raise InputError(
            f"{where}: [collector] has unknown key(s) {', '.join(unknown)}; it takes "
            f"{', '.join(_COLLECTOR_KEYS)}"
        )
    scan_timeout_s = _positive(
        collector.get("scan_timeout_s", DEFAULT_SCAN_TIMEOUT_S),
        f"{where}: [collector] scan_timeout_s",
        "seconds, e.g. scan_timeout_s = 10",
    )
    calibration_dir = collector.get("calibration_dir", str(DEFAULT_CALIBRATION_DIR))
    if not isinstance(calibration_dir, str) or not calibration_dir:
        raise InputError(
            f'{where}: [collector] calibration_dir must be a folder name, e.g. "calibration"'
        )
    calibration_path = Path(calibration_dir)
    if path is not None and not calibration_path.is_absolute():
        calibration_path = path.parent / calibration_path
    return CollectorConfig(sensors, rate_hz, scan_timeout_s, calibration_path, path)


def with_overrides(
    config: CollectorConfig,
    addresses: Mapping[str, str | None],
    rate_hz: float | None = None,
    models: Mapping[str, str | None] | None = None,
) -> CollectorConfig:
    """The config with command-line flags applied.

    ``addresses`` maps placements to an address from a flag (``None``: not given). A new
    address for a placement keeps its ``mount`` (which belongs to the placement) and drops
    its ``model`` (which belonged to the other device) unless ``models`` gives one.
    ``rate_hz`` replaces every sensor's rate.
    """
    sensors = dict(config.sensors)
    for placement, address in addresses.items():
        if address is None:
            continue
        address = normalize_address(address, f"--{placement.replace('_', '-')}")
        old = sensors.get(placement)
        if old is None:
            sensors[placement] = SensorConfig(placement, address)
        elif old.address != address:
            sensors[placement] = replace(old, address=address, model=None)
    for placement, model in (models or {}).items():
        if model is not None and placement in sensors:
            sensors[placement] = replace(sensors[placement], model=_model(model, "--model"))
    if rate_hz is not None:
        rate = _rate(rate_hz, "--rate")
        sensors = {p: replace(s, rate_hz=rate) for p, s in sensors.items()}
        return replace(config, sensors=sensors, rate_hz=rate)
    return replace(config, sensors=sensors)


# --------------------------------------------------------------------------------------
def _sensor(placement: str, entry: Any, where: str) -> SensorConfig:
    here = f"{where}: [sensors.{placement}]"
    if placement not in PLACEMENTS and not re.match(r"^[a-z][a-z0-9_]*$", placement):
        raise InputError(
            f"{here}: placement names are lower case words such as {', '.join(PLACEMENTS)}"
        )
    if not isinstance(entry, dict):
        raise InputError(f"{here}: must be a table with an address, e.g.\n{_EXAMPLE}")
    unknown = [key for key in entry if key not in _SENSOR_KEYS]
    if unknown:
        raise InputError(
            f"{here}: unknown key(s) {', '.join(unknown)}; a sensor takes "
            f"{', '.join(_SENSOR_KEYS)}, e.g.\n{_EXAMPLE}"
        )
    if "address" not in entry:
        raise InputError(
            f"{here}: needs an address (run 'sensorlab scan' to list the sensors in range), "
            f"e.g.\n{_EXAMPLE}"
        )
    address = normalize_address(entry["address"], f"{here} address")
    model = entry.get("model")
    if model is not None:
        model = _model(model, f"{here} model")
    rate = entry.get("rate_hz")
    if rate is not None:
        rate = _rate(rate, f"{here} rate_hz")
    mount = entry.get("mount")
    if mount is not None:
        mount = _mount(mount, f"{here} mount")
    return SensorConfig(placement, address, model, rate, mount)


def _model(model: Any, where: str) -> str:
    from sensorlab.devices import PROFILES

    if not isinstance(model, str) or model not in PROFILES:
        raise InputError(
            f"{where}: unknown model {model!r}; use one of {', '.join(PROFILES)} "
            "(or leave it out: sensorlab recognises the model from the advertisement)"
        )
    return model


def _positive(value: Any, where: str, hint: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise InputError(f"{where}: must be a positive number of {hint}, not {value!r}")
    return float(value)


def _rate(value: Any, where: str) -> float:
    return _positive(value, where, "Hz, e.g. 100")


def _mount(value: Any, where: str) -> dict[str, str]:
    fix = (
        "write the anatomical direction each sensor axis points to when standing, e.g. mount = "
        f'{{ x = "up", y = "left", z = "backward" }} (directions: {", ".join(DIRECTIONS)})'
    )
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise InputError(f"{where}: {fix}")
    try:
        mount_matrix(value)
    except MountError as exc:
        raise InputError(f"{where}: {exc}; {fix}") from exc
    return dict(value)
