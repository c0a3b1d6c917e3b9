"""One small interface for every producer of samples, chosen in one place.

A source is an async iterator of :class:`~sensorlab.records.ImuChunk` blocks (one sensor
each, in arrival order, each stamped with its host receive time) plus the session's
:class:`~sensorlab.records.SessionMeta`. Replays of recordings, the simulator and (in its
own module) Bluetooth sensors all look the same to the session, as bleak's backends look
the same to its client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Protocol, runtime_checkable

from sensorlab.errors import InputError
from sensorlab.extras import require_extra
from sensorlab.records import ImuChunk, SessionMeta


@runtime_checkable
class Source(Protocol):
    """What the session needs from a producer of samples.

    Attributes
    ----------
    meta : SessionMeta
        Sensors (placement, model, rate, mount), activity, calibration span.
    name : str
        Where the samples come from, for messages and the summary.
    """

    meta: SessionMeta
    name: str

    def blocks(self) -> AsyncIterator[ImuChunk]:
        """Blocks as they arrive, until the source ends or is stopped."""
        ...

    def stop(self) -> None:
        """Ask the source to end; ``blocks()`` then finishes soon."""
        ...


SOURCE_HELP = """\
replay:PATH.csv   a recording, played with its original timing
sim[:SCENARIO]    the simulator in real time (scenarios: see 'sensorlab simulate --help')
ble[:PATH.toml]   the Bluetooth sensors of ./sensorlab.toml (or PATH.toml; see docs/ble.md)
virtual:MOTION[@MODEL]
                  three virtual Bluetooth sensors (in this process, through the same
                  collector) playing MOTION = replay:PATH.csv or sim[:SCENARIO]; MODEL is
                  witmotion, metamotion, movesense, dot or diy (default), or one per sensor
                  separated by commas, e.g. virtual:sim@diy,witmotion,movesense"""


def make_source(
    spec: str, *, speed: float | None = 1.0, seed: int = 0, duration_s: float | None = None
) -> Source:
    """The source named by ``spec``.

    ``replay:PATH``, ``sim[:SCENARIO]``, ``ble[:PATH]`` or ``virtual:MOTION[@MODEL]``.

    Parameters
    ----------
    spec : str
        See :data:`SOURCE_HELP`.
    speed : float or None
        Playback speed relative to real time; ``None`` plays as fast as possible (virtual
        sensors then run in real time; Bluetooth sensors always do).
    seed, duration_s : int, float
        For the simulator.

    Raises
    ------
    InputError
        For an unknown kind of source or a missing file;
        :class:`~sensorlab.extras.MissingExtraError` for ``ble`` or ``virtual`` without
        its extra.
    """
    kind, _, argument = spec.partition(":")
    if kind == "replay":
        from sensorlab.sources.replay import ReplaySource

        if not argument:
            raise InputError("replay needs a recording: --source replay:SESSION.csv")
        return ReplaySource.from_path(Path(argument), speed=speed)
    if kind == "sim":
        from sensorlab.sources.simulated import SimulatedSource

        return SimulatedSource(
            argument or "step_up_asymmetric", seed=seed, duration_s=duration_s, speed=speed
        )
    if kind == "ble":
        require_extra("ble", "the ble source (Bluetooth sensors)")
        from sensorlab.ble.collector import BleSource
        from sensorlab.ble.config import find_and_load_config

        _, config = find_and_load_config(argument)
        if config is None:
            raise InputError(
                "ble needs sensorlab.toml in the current folder (or --source ble:PATH.toml) "
                "saying which sensor sits where; see docs/ble.md ('sensorlab scan' lists the "
                "sensors in range)"
            )
        return BleSource(config)
    if kind == "virtual":
        require_extra("virtual", "the virtual source (virtual Bluetooth sensors)")
        from sensorlab.virtual.source import VirtualBleSource

        motion, _, models = argument.partition("@")
        if not motion:
            raise InputError(
                "virtual needs a motion: --source virtual:sim or virtual:replay:SESSION.csv"
            )
        return VirtualBleSource(
            motion, models or "diy", speed=speed or 1.0, seed=seed, duration_s=duration_s
        )
    raise InputError(f"unknown source {spec!r}; use one of:\n{SOURCE_HELP}")
