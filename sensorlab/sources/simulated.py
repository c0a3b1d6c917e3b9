"""The project's simulator as a live source: a simulated session played in real time.

The session (and its ground truth, :attr:`SimulatedSource.truth`) is computed up front,
which takes well under a second per minute of session, then streamed like a recording.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator

from sensorlab.errors import InputError
from sensorlab.records import ImuChunk
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
    """

    def __init__(
        self,
        scenario: str = "step_up_asymmetric",
        seed: int = 0,
        duration_s: float | None = None,
        speed: float | None = 1.0,
        rate_hz: float | None = None,
    ) -> None:
        from sensorlab.simulate import SCENARIOS

        if scenario not in SCENARIOS:
            raise InputError(
                f"unknown scenario {scenario!r}; choose one of {', '.join(sorted(SCENARIOS))}"
            )
        make = SCENARIOS[scenario]
        options = {"duration_s": duration_s, "rate_hz": rate_hz}
        accepted = inspect.signature(make).parameters
        session = make(
            seed, **{k: v for k, v in options.items() if k in accepted and v is not None}
        )
        self._attach(session, f"sim:{scenario}", speed)

    @classmethod
    def from_session(cls, session, name: str, speed: float | None = 1.0) -> SimulatedSource:
        """Stream an already simulated session (e.g. one made with custom settings)."""
        source = cls.__new__(cls)
        source._attach(session, name, speed)
        return source

    def _attach(self, session, name: str, speed: float | None) -> None:
        self.session = session
        self.truth = session.truth
        self._replay = ReplaySource(session.recording, speed=speed)
        self.meta = session.recording.meta
        self.name = name

    def blocks(self) -> AsyncIterator[ImuChunk]:
        """Blocks as a streaming sensor would deliver them."""
        return self._replay.blocks()

    def stop(self) -> None:
        """End the stream at the next block."""
        self._replay.stop()
