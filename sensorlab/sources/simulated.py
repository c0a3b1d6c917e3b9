"""The project's simulator as a live source: a simulated session played in real time.

The session (and its ground truth, :attr:`SimulatedSource.truth`) is computed up front,
which takes well under a second per minute of session, then streamed like a recording.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import numpy as np

from sensorlab.errors import InputError
from sensorlab.records import ImuChunk
from sensorlab.sources.link import DEFAULT_LINK, LinkAligner, LinkSettings, SimulatedLink
from sensorlab.sources.replay import ReplaySource


class SimulatedSource:
    """A named simulator scenario as a :class:`~sensorlab.sources.base.Source`.

    Parameters
    ----------
    scenario : str
        A name from :data:`sensorlab.simulate.SCENARIOS`.
    seed : int
        Random seed.
    duration_s : float, optional
        Approximate length where the scenario takes one, seconds.
    speed : float or None
        Relative to real time; ``None`` as fast as possible.
    rate_hz : float, optional
        Sensor rate, Hz.
    link : LinkSettings or None
        Stream as over Bluetooth: only device times and packet receive stamps reach the
        host, and the collector's clock alignment (:class:`LinkAligner`) recovers the
        session time. ``None`` streams the simulator's session times as they are.
    """

    def __init__(
        self,
        scenario: str = "step_up_asymmetric",
        seed: int = 0,
        duration_s: float | None = None,
        speed: float | None = 1.0,
        rate_hz: float | None = None,
        link: LinkSettings | None = DEFAULT_LINK,
    ) -> None:
        from sensorlab.simulate.scenarios import SCENARIOS, make_scenario

        if scenario not in SCENARIOS:
            raise InputError(
                f"unknown scenario {scenario!r}; choose one of {', '.join(sorted(SCENARIOS))}"
            )
        session = make_scenario(scenario, seed, duration_s=duration_s, rate_hz=rate_hz)
        self._attach(session, f"sim:{scenario}", speed, link, seed)

    @classmethod
    def from_session(
        cls,
        session,
        name: str,
        speed: float | None = 1.0,
        link: LinkSettings | None = DEFAULT_LINK,
        seed: int = 0,
    ) -> SimulatedSource:
        """Stream an already simulated session (e.g. one made with custom settings)."""
        source = cls.__new__(cls)
        source._attach(session, name, speed, link, seed)
        return source

    def _attach(self, session, name: str, speed, link, seed: int) -> None:
        self.session = session
        self.truth = session.truth
        recording = session.recording
        self._aligner = None
        if link is not None:
            rng = np.random.default_rng([seed, 0x11CC])
            chunks = {}
            for placement, chunk in recording.chunks.items():
                received = SimulatedLink(link, rng).receive_times(chunk.t_s)
                chunks[placement] = replace(chunk, host_t_s=received)
            recording = replace(recording, chunks=chunks)
            self._aligner = LinkAligner()
        self._replay = ReplaySource(recording, speed=speed)
        self.meta = recording.meta
        self.name = name

    async def blocks(self) -> AsyncIterator[ImuChunk]:
        """Blocks as a streaming sensor would deliver them.

        Times aligned as a collector aligns them, when streaming over the simulated link.
        """
        async for block in self._replay.blocks():
            yield block if self._aligner is None else self._aligner.align(block)

    def stop(self) -> None:
        """End the stream at the next block."""
        self._replay.stop()
