"""Play a recording through the live pipeline as if the sensors were streaming.

Each sensor's samples are released in small blocks at the times they were recorded
(``t``), so the original timing, its jitter and its gaps come through; blocks of
different sensors interleave by time, as they would arrive. At ``speed`` 4 a minute of
recording plays in 15 s; ``speed=None`` plays as fast as the consumer takes it.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from sensorlab.io.blocks import slice_chunk
from sensorlab.records import ImuChunk, Recording


class ReplaySource:
    """A recording as a :class:`~sensorlab.sources.base.Source`.

    Parameters
    ----------
    recording : Recording
        What to play.
    speed : float or None
        Relative to real time; ``None`` as fast as possible.
    block_s : float
        Samples are released in blocks spanning this much recorded time (a Bluetooth
        sensor delivers a few samples per packet), seconds.
    clock : callable
        The host's monotonic clock, seconds (default ``time.perf_counter``).
    sleep : callable
        Waits the given seconds (default ``asyncio.sleep``). Tests pass a clock and a
        sleep that advances it, to check the pacing without waiting.
    """

    def __init__(
        self,
        recording: Recording,
        speed: float | None = 1.0,
        block_s: float = 0.02,
        *,
        clock: Callable[[], float] = time.perf_counter,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if speed is not None and speed <= 0:
            raise ValueError("speed must be positive (or None for as fast as possible)")
        self.recording = recording
        self.meta = recording.meta
        self.name = recording.source
        self.speed = speed
        self.block_s = block_s
        self._clock = clock
        self._sleep = sleep
        self._stopped = False

    @classmethod
    def from_path(cls, path: Path, speed: float | None = 1.0) -> ReplaySource:
        """Read a recording (contract CSV + sidecar) and play it."""
        from sensorlab.io.recording import read_recording

        return cls(read_recording(path), speed=speed)

    def stop(self) -> None:
        """End the replay at the next block."""
        self._stopped = True

    def _schedule(self) -> list[tuple[float, str, int, int]]:
        """Release time (recorded s), sensor and sample range of every block."""
        schedule: list[tuple[float, str, int, int]] = []
        self._chunks = {}
        for placement, chunk in self.recording.chunks.items():
            if len(chunk) == 0:
                continue
            order = np.argsort(chunk.t_s, kind="stable")
            if np.any(order != np.arange(len(chunk))):
                # Files can hold out-of-order rows; a sensor delivers in time order.
                chunk = chunk.take(order)
            self._chunks[placement] = chunk
            edges = np.flatnonzero(np.diff(np.floor(chunk.t_s / self.block_s))) + 1
            starts = np.concatenate([[0], edges])
            ends = np.concatenate([edges, [len(chunk)]])
            schedule.extend(
                (float(chunk.t_s[end - 1]), placement, int(start), int(end))
                for start, end in zip(starts, ends, strict=True)
            )
        heapq.heapify(schedule)
        return [heapq.heappop(schedule) for _ in range(len(schedule))]

    async def blocks(self) -> AsyncIterator[ImuChunk]:
        """Blocks in release order, paced by their recorded times."""
        schedule = self._schedule()
        if not schedule:
            return
        t0_recorded = schedule[0][0]
        t0_wall = self._clock()
        for count, (release_s, placement, start, end) in enumerate(schedule):
            if self._stopped:
                return
            if self.speed is not None:
                due = t0_wall + (release_s - t0_recorded) / self.speed
                delay = due - self._clock()
                if delay > 0:
                    await self._sleep(delay)
            elif count % 64 == 0:
                await asyncio.sleep(0)  # let the consumer run
            block = slice_chunk(self._chunks[placement], start, end)
            if block.host_t_s is None:
                received = self._clock() - t0_wall
                block = replace(block, host_t_s=np.full(end - start, received))
            yield block
