"""sensorlab: wearable-IMU pipeline for movement and rehab work.

Three sensors (pelvis, left and right thigh) -> calibrated segment angles -> repetitions
and gait steps -> pelvic drop, tilt, thigh depth, tempo, stability and left-right symmetry.
"""

__version__ = "0.1.0"
