"""Bluetooth Low Energy: the bleak side of sensorlab (collector, configuration, calibration).

Its hardware-free stand-in, the virtual radio, is :mod:`sensorlab.virtual`.
"""
