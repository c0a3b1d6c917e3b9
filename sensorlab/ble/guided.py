"""The guided device calibration behind ``sensorlab calibrate-device``.

Steps: keep the sensor still (its mean angular rate is the gyroscope bias), then hold it
with each axis pointing straight up and straight down in turn (six positions; the mean
specific force of each gives the accelerometer's per-axis offset and scale, see
:mod:`sensorlab.ble.calibration`). Each step waits for the sensor to be still, in the
asked orientation, for a while, and averages that stretch; a person is prompted on the
terminal (and, unless ``yes``, asked to press Enter once in position), while a scripted
virtual sensor (:func:`sensorlab.virtual.sensors.pose_motion`) needs no one.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import numpy as np

from sensorlab.ble.calibration import (
    DEFAULT_STILLNESS,
    POSES,
    DeviceCalibration,
    StillnessSettings,
    calibrate,
    is_still,
    pose_name,
)
from sensorlab.errors import InputError
from sensorlab.records import ImuChunk
from sensorlab.sources.base import Source


@dataclass(frozen=True)
class GuidedSettings:
    """Durations of the guided calibration.

    Attributes
    ----------
    still_s : float
        Still stretch averaged for the gyroscope bias, seconds.
    hold_s : float
        Still stretch averaged in each position, seconds.
    step_timeout_s : float
        A step that finds no such stretch within this long fails, seconds.
    stillness : StillnessSettings
        What counts as still and as pointing up.
    """

    still_s: float = 2.0
    hold_s: float = 1.5
    step_timeout_s: float = 120.0
    stillness: StillnessSettings = DEFAULT_STILLNESS


DEFAULT_GUIDED = GuidedSettings()

_AXIS_HINT = {
    0: "the x arrow on the case",
    1: "the y arrow on the case",
    2: "the top face (z)",
}


def step_prompts() -> list[str]:
    """What each step asks, in order (the still step first)."""
    prompts = ["Put the sensor down on a table and keep it still."]
    for axis, sign in POSES:
        where = "straight UP (towards the ceiling)" if sign > 0 else "straight DOWN (at the floor)"
        prompts.append(
            f"Hold {_AXIS_HINT[axis]} {where}, pressed against a flat, level surface, and "
            f"keep it still ({pose_name(axis, sign)})."
        )
    return prompts


class _Recent:
    """The newest samples of one sensor, a little more than a window long."""

    def __init__(self, span_s: float) -> None:
        self.span_s = span_s
        self.chunks: list[ImuChunk] = []
        self.new = asyncio.Event()
        self.latest_t_s = float("-inf")
        self.ended = False

    def add(self, chunk: ImuChunk) -> None:
        if len(chunk) == 0:
            return
        self.chunks.append(chunk)
        self.latest_t_s = float(chunk.t_s[-1])
        while len(self.chunks) > 1 and self.chunks[1].t_s[0] < self.latest_t_s - self.span_s:
            self.chunks.pop(0)
        self.new.set()

    def window(
        self, since_t_s: float, span_s: float, rate_hz: float
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """``(acc, gyr)`` of the last ``span_s`` after ``since_t_s``, if all there.

        None unless that much is there without gaps (a dropped link or lost samples restart the
        stretch).
        """
        if not self.chunks or self.latest_t_s - since_t_s < span_s:
            return None
        t = np.concatenate([c.t_s for c in self.chunks])
        keep = t >= max(since_t_s, self.latest_t_s - span_s)
        if keep.sum() < 0.8 * span_s * rate_hz:
            return None
        if np.diff(t[keep]).max(initial=0.0) > 5.0 / rate_hz:
            return None
        acc = np.concatenate([c.acc_m_s2 for c in self.chunks])[keep]
        gyr = np.concatenate([c.gyr_rad_s for c in self.chunks])[keep]
        return acc, gyr


async def run_guided_calibration(
    source: Source,
    *,
    say: Callable[[str], None] = print,
    ask: Callable[[str], Awaitable[None]] | None = None,
    settings: GuidedSettings = DEFAULT_GUIDED,
) -> DeviceCalibration:
    """Run the steps on a source streaming one sensor (uncalibrated).

    Parameters
    ----------
    source : Source
        Streams the device (e.g. a :class:`~sensorlab.ble.collector.BleSource` with one
        sensor and ``calibration_dir=None``, started); stopped at the end. Its sensor's
        address and model (``source.meta``) are written to the calibration.
    say : callable
        Shows a line to the person.
    ask : callable, optional
        Awaited after each prompt until the person is ready (e.g. presses Enter); ``None``
        starts looking for stillness at once (``--yes``, scripted sensors).
    settings : GuidedSettings

    Raises
    ------
    InputError
        If a step finds no still stretch in the asked position within its timeout.
    """
    placement, info = next(iter(source.meta.sensors.items()))
    if info.address is None:
        raise ValueError(f"{source.name}: the sensor has no address to file its calibration under")
    rate_hz = info.rate_hz or 100.0
    recent = _Recent(span_s=max(settings.still_s, settings.hold_s) + 1.0)

    async def pump() -> None:
        try:
            async for chunk in source.blocks():
                if chunk.placement == placement:
                    recent.add(chunk)
        finally:
            recent.ended = True
            recent.new.set()

    pump_task = asyncio.get_running_loop().create_task(pump())
    try:
        steps: list[tuple[int, float] | None] = [None, *POSES]
        still_gyr: np.ndarray | None = None
        means: dict[tuple[int, float], np.ndarray] = {}
        for number, (pose, prompt) in enumerate(zip(steps, step_prompts(), strict=True)):
            say(f"step {number + 1}/{len(steps)}: {prompt}")
            if ask is not None:
                await ask("press Enter when it is in position ")
            span_s = settings.still_s if pose is None else settings.hold_s
            acc, gyr = await _wait_still(recent, pose, span_s, rate_hz, settings, pump_task)
            if pose is None:
                still_gyr = gyr
                say(f"  still: gyroscope bias {np.degrees(gyr.mean(axis=0)).round(3)} deg/s")
            else:
                means[pose] = acc.mean(axis=0)
                say(f"  {pose_name(*pose)}: {acc.mean(axis=0).round(4)} m/s^2")
        assert still_gyr is not None
        return calibrate(info.address, info.model, still_gyr, means)
    finally:
        source.stop()
        with contextlib.suppress(asyncio.CancelledError):
            await pump_task


async def _wait_still(
    recent: _Recent,
    pose: tuple[int, float] | None,
    span_s: float,
    rate_hz: float,
    settings: GuidedSettings,
    pump_task: asyncio.Task,
) -> tuple[np.ndarray, np.ndarray]:
    """Wait for a still stretch of ``span_s`` (in ``pose``) that begins after now."""
    since_t_s = recent.latest_t_s
    first_t_s: float | None = None
    while True:
        recent.new.clear()
        if recent.ended:
            failure = (
                pump_task.exception() if pump_task.done() and not pump_task.cancelled() else None
            )
            if failure is not None:
                raise failure
            raise InputError("the sensor stopped streaming during the calibration; try again")
        window = recent.window(since_t_s, span_s, rate_hz)
        if window is not None and is_still(*window, pose, settings.stillness):
            return window
        if recent.chunks:
            first_t_s = recent.latest_t_s if first_t_s is None else first_t_s
            if recent.latest_t_s - first_t_s > settings.step_timeout_s:
                what = "still" if pose is None else f"still with {pose_name(*pose)}"
                raise InputError(
                    f"the sensor was not {what} for {span_s:g} s within "
                    f"{settings.step_timeout_s:g} s; hold it steady against a table (a hand "
                    "alone shakes too much) and run 'sensorlab calibrate-device' again"
                )
        await recent.new.wait()
