"""A model of the Bluetooth link, and the clock alignment a real collector performs.

A BLE sensor timestamps samples with its own clock (offset and drifting) and sends them
a few at a time, at connection events, with a random extra delay; the host only knows
when each packet arrived. :class:`SimulatedLink` turns samples with known true times into
what a host would see (packets with device times and receive stamps), and
:class:`LinkAligner` does what the collector does with them: per sensor, it maps device
time onto the host clock with :class:`~sensorlab.processing.clock.ClockAligner` (lower
envelope of receive minus device time), giving the ``t_s`` the rest of the pipeline uses.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from sensorlab.processing.clock import ClockAligner
from sensorlab.records import ImuChunk


@dataclass(frozen=True)
class LinkSettings:
    """The simulated link.

    Attributes
    ----------
    samples_per_packet : int
        Samples sent together, as a 200 Hz sensor packs a few per notification.
    latency_mean_s : float
        Mean of the exponential extra delay of a packet after its last sample, seconds.
    base_latency_s : float
        Fixed part of the delay (radio, stack), seconds.
    """

    samples_per_packet: int = 4
    latency_mean_s: float = 0.005
    base_latency_s: float = 0.008


DEFAULT_LINK = LinkSettings()


class SimulatedLink:
    """Receive stamps for a sensor's samples: packets, each delayed at random.

    Parameters
    ----------
    settings : LinkSettings
        Packet size and delays.
    rng : numpy.random.Generator
        Source of the random delays.
    """

    def __init__(self, settings: LinkSettings, rng: np.random.Generator) -> None:
        self.settings = settings
        self.rng = rng

    def receive_times(self, true_t_s: np.ndarray) -> np.ndarray:
        """Host receive stamp of each sample (shared within a packet), seconds."""
        n = true_t_s.size
        packet = np.arange(n) // self.settings.samples_per_packet
        last_of_packet = np.minimum((packet + 1) * self.settings.samples_per_packet, n) - 1
        delays = self.settings.base_latency_s + self.rng.exponential(
            self.settings.latency_mean_s, packet.max() + 1 if n else 0
        )
        received = true_t_s[last_of_packet] + delays[packet]
        # A link delivers in order: a packet is never received before the one before it.
        return np.maximum.accumulate(received) if n else received


class LinkAligner:
    """Session times for blocks that carry device times and receive stamps, per sensor."""

    def __init__(self) -> None:
        self._aligners: dict[str, ClockAligner] = {}

    def align(self, chunk: ImuChunk) -> ImuChunk:
        """The chunk with ``t_s`` from its device clock mapped onto the host clock."""
        if chunk.device_t_s is None or chunk.host_t_s is None:
            raise ValueError(f"{chunk.placement}: alignment needs device times and receive stamps")
        aligner = self._aligners.get(chunk.placement)
        if aligner is None:  # not setdefault: that would build an aligner on every call
            aligner = self._aligners[chunk.placement] = ClockAligner()
        return replace(chunk, t_s=aligner.update(chunk.device_t_s, chunk.host_t_s))
