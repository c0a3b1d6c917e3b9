"""Butterworth filter designs (second-order sections), each made once per parameter set.

A design costs a fraction of a millisecond, as much as filtering a session; a batch
analysis asks for the same few designs again and again (every sensor, every stage).
"""

from __future__ import annotations

import functools
from typing import Literal

import numpy as np
from scipy import signal


def butter_sos(
    order: int,
    cutoff_hz: float | tuple[float, float],
    rate_hz: float,
    btype: Literal["lowpass", "bandpass"] = "lowpass",
) -> np.ndarray:
    """``scipy.signal.butter(order, cutoff_hz, btype, fs=rate_hz, output="sos")``.

    ``cutoff_hz``: one frequency, or the band's edges for ``btype="bandpass"``, Hz. A
    copy of the design made once (scipy's filters want an array they may write).
    """
    return _design(order, cutoff_hz, rate_hz, btype).copy()


@functools.lru_cache(maxsize=64)
def _design(
    order: int,
    cutoff_hz: float | tuple[float, float],
    rate_hz: float,
    btype: Literal["lowpass", "bandpass"],
) -> np.ndarray:
    return signal.butter(order, cutoff_hz, btype=btype, fs=rate_hz, output="sos")
