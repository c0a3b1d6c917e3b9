"""Internal unit convention.

Inside sensorlab, accelerations are in m/s^2 and angular rates in rad/s (SI). Angles that
people read (tilt, obliquity, thigh angle) are in degrees and say so in their names
(``tilt_deg``). The recording contract stores gyroscope data in deg/s: the reader converts
once on the way in and the writer once on the way out (``numpy.radians``/``degrees``).
"""

from __future__ import annotations

GRAVITY_M_S2 = 9.81
"""Standard gravity used by the simulator and by unit detection, in m/s^2."""

STANDARD_GRAVITY_M_S2 = 9.80665
"""One g by definition (the g of data sheets: ranges, LSB/g), in m/s^2: readings given in g
convert with it."""
