"""Bluetooth Low Energy: the bleak side of sensorlab and its hardware-free stand-ins."""
