"""Test-wide settings: Qt draws offscreen (no display on CI or here)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Lab Streaming Layer (tests/test_lsl.py): liblsl reads its configuration once, when first
# used; this one keeps stream discovery and data on the loopback interface.
os.environ["LSLAPICFG"] = os.path.join(os.path.dirname(__file__), "lsl_localhost.cfg")
