"""Virtual sensors and the unchanged collector, as one :class:`~sensorlab.sources.base.Source`.

``VirtualBleSource("sim", "witmotion")`` is what ``sensorlab record --virtual sim
--virtual-model witmotion`` and ``--source virtual:sim@witmotion`` stream: three virtual
sensors (pelvis, left and right thigh) on one in-process :class:`VirtualRadio`, feeling
the motion of a recording or of the simulator, and a
:class:`~sensorlab.ble.collector.BleSource` that scans, connects and decodes them through
bleak exactly as it would real ones (only the bleak backend differs). Everything, radio
included, lives on the event loop that iterates :meth:`VirtualBleSource.blocks`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from sensorlab.ble.collector import (
    DEFAULT_COLLECTOR,
    BleSource,
    CollectorSettings,
    SensorStatus,
    StoppedWhileStartingError,
)
from sensorlab.devices import PROFILES
from sensorlab.records import ImuChunk, SensorInfo, SessionMeta
from sensorlab.virtual.backend import client_kwargs, scanner_kwargs
from sensorlab.virtual.link import RadioConditions, VirtualRadio
from sensorlab.virtual.sensors import (
    SensorError,
    VirtualSensorSet,
    motions_from_spec,
    ordered_placements,
    parse_models,
)

VIRTUAL_SETTINGS = replace(DEFAULT_COLLECTOR, scan_timeout_s=3.0, connect_timeout_s=5.0)
"""Collector settings for virtual sensors (they advertise every 50 ms)."""

END_GRACE_S = 0.3
"""Wall time the stream goes on after the motion ended, for notifications in flight."""


class VirtualBleSource:
    """Virtual sensors replaying a motion, recorded by :class:`BleSource` over bleak.

    Parameters
    ----------
    motion : str
        ``replay:PATH.csv`` or ``sim[:SCENARIO]``.
    models : str or sequence of str
        One model for all sensors or one per placement (pelvis, left thigh, right thigh
        order), e.g. ``"diy"`` or ``"diy,witmotion,movesense"``.
    rate_hz : float
        Rate requested from the sensors, Hz.
    speed : float
        Motion and collector clock speed relative to real time.
    seed, duration_s : int, float
        For the simulator (``duration_s`` also shortens a replay).
    stop_at_end : bool
        End the stream when the motion has been played.
    settings : CollectorSettings
        For the collector.
    calibration_dir : Path or None
        Per-device calibration files for the collector (default: none).
    errors, conditions : mapping, optional
        Per placement: sample error, radio conditions (see :class:`VirtualSensorSet`).

    Attributes
    ----------
    sensors : VirtualSensorSet
        The virtual sensors (their logs say what they sent).
    meta : SessionMeta
        As the collector reports it; activity and mounts from the motion's sidecar.
    collector : BleSource or None
        Once started.
    radio : VirtualRadio or None
        Once started.
    """

    def __init__(
        self,
        motion: str,
        models: str | Sequence[str] = "diy",
        *,
        rate_hz: float = 100.0,
        speed: float = 1.0,
        seed: int = 0,
        duration_s: float | None = None,
        stop_at_end: bool = True,
        settings: CollectorSettings = VIRTUAL_SETTINGS,
        calibration_dir: Path | None = None,
        errors: Mapping[str, SensorError] | None = None,
        conditions: Mapping[str, RadioConditions] | None = None,
    ) -> None:
        model_list = parse_models(models) if isinstance(models, str) else list(models)
        motions, source_meta = motions_from_spec(motion, seed, duration_s)
        motions = ordered_placements(motions)
        self.sensors = VirtualSensorSet.build(
            motions, model_list, rate_hz=rate_hz, speed=speed, errors=errors, conditions=conditions
        )
        self.rate_hz = rate_hz
        self.settings = settings
        self.calibration_dir = calibration_dir
        self.stop_at_end = stop_at_end
        self._mounts = {p: info.mount for p, info in source_meta.sensors.items()}
        self._activity = source_meta.activity
        label = ",".join(dict.fromkeys(s.model for s in self.sensors.sensors.values()))
        kind, _, argument = motion.partition(":")
        # The file's name only: a folder's name can be a patient's.
        shown = f"{kind}:{Path(argument).name}" if kind == "replay" and argument else motion
        self.name = f"virtual {label} sensors playing {shown}"
        self.meta = SessionMeta(
            activity=self._activity,
            sensors={
                p: SensorInfo(
                    placement=p,
                    model=s.model,
                    address=s.address,
                    rate_hz=PROFILES[s.model].nearest_rate(rate_hz),
                    mount=self._mounts.get(p),
                )
                for p, s in self.sensors.sensors.items()
            },
            notes=self.name,
        )
        self.collector: BleSource | None = None
        self.radio: VirtualRadio | None = None
        self._stop_requested = False
        self._closed = False

    async def start(self) -> None:
        """Start the radio and the sensors, then the collector (scan, connect, start)."""
        if self.collector is not None:
            await self.collector.start()
            return
        self.radio = VirtualRadio()
        await self.radio.start()
        try:
            await self.sensors.attach(self.radio)
            self.collector = BleSource(
                self.sensors.sensor_configs(self._mounts),
                rate_hz=self.rate_hz,
                settings=self.settings,
                scanner_kwargs=scanner_kwargs(self.radio),
                client_kwargs=client_kwargs(self.radio),
                calibration_dir=self.calibration_dir,
                activity=self._activity,
                clock=self.sensors.world.host_clock,
                name=self.name,
            )
            if self._stop_requested:
                self.collector.stop()
            await self.collector.start()
            self.meta = replace(self.collector.meta, notes=self.name)
        except BaseException:
            await asyncio.shield(self.aclose())
            raise

    async def blocks(self) -> AsyncIterator[ImuChunk]:
        """The collector's blocks; ends at :meth:`stop` or (``stop_at_end``) after the motion."""
        watcher: asyncio.Task | None = None
        try:
            if self._stop_requested:
                return
            try:
                await self.start()
            except StoppedWhileStartingError:
                return
            assert self.collector is not None
            if self.stop_at_end:
                watcher = asyncio.get_running_loop().create_task(self._stop_at_end())
            async for chunk in self.collector.blocks():
                yield chunk
        finally:
            if watcher is not None:
                watcher.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watcher
            await asyncio.shield(self.aclose())

    async def _stop_at_end(self) -> None:
        await self.sensors.wait_finished()
        await asyncio.sleep(END_GRACE_S)
        self.stop()

    def stop(self) -> None:
        """End the stream soon."""
        self._stop_requested = True
        if self.collector is not None:
            self.collector.stop()

    def status(self) -> dict[str, SensorStatus]:
        """The collector's per-sensor status (empty before :meth:`start`)."""
        return self.collector.status() if self.collector is not None else {}

    async def aclose(self) -> None:
        """Stop the collector, the sensors and the radio (idempotent)."""
        if self._closed:
            return
        self._closed = True
        if self.collector is not None:
            await self.collector.aclose()
        await self.sensors.close()
        if self.radio is not None:
            await self.radio.close()
