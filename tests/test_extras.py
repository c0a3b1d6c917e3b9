"""``pip install sensorlab`` without extras: analysis works, the rest says what to install.

Each case runs in a subprocess whose import system refuses the extras' packages (a
meta-path finder raising ModuleNotFoundError for them, as when they are not installed),
so the shared venv, which has every extra, stands in for a bare installation.
"""

from __future__ import annotations

import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import sensorlab
from sensorlab.extras import EXTRAS

ROOT = Path(__file__).resolve().parents[1]
RECORDING = ROOT / "recordings" / "step_up_asymmetric.csv"
EXTRA_PACKAGES = {"sensorlab.live": "live", "sensorlab.ble": "ble", "sensorlab.virtual": "virtual"}
"""Packages that may import an extra's modules at their top (everything else must not)."""

WITHOUT = """\
import sys


class NotInstalled:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None


sys.meta_path.insert(0, NotInstalled())
"""


def run_without(blocked: set[str], code: str, *args: str) -> subprocess.CompletedProcess:
    """Run ``code`` (argv: ``args``) in a fresh interpreter where ``blocked`` cannot import."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-c", WITHOUT.format(blocked=sorted(blocked)) + code, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
        check=False,
    )


def sensorlab_without(blocked: set[str], *argv: str) -> subprocess.CompletedProcess:
    return run_without(
        blocked, "from sensorlab.cli import main\nsys.exit(main(sys.argv[1:]))", *argv
    )


ALL_EXTRAS = {module for modules in EXTRAS.values() for module in modules}


def test_the_blocked_modules_really_cannot_be_imported():
    result = run_without(ALL_EXTRAS, "import bleak")
    assert result.returncode != 0
    assert "No module named 'bleak'" in result.stderr


def test_only_the_extra_packages_import_an_extra():
    # Listed here, with every extra installed: walking imports each package on the way.
    listed = [m.name for m in pkgutil.walk_packages(sensorlab.__path__, "sensorlab.")]
    code = (
        "import importlib\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ImportError as error:\n"
        "        print(name, error.name)\n"
    )
    names = [
        name
        for name in listed
        if not name.endswith("__main__")
        and not any(name == p or name.startswith(p + ".") for p in EXTRA_PACKAGES)
    ]
    result = run_without(ALL_EXTRAS, code, *names)
    assert result.returncode == 0, result.stderr
    assert "sensorlab.processing.pipeline" in names and "sensorlab.cli" in names
    assert result.stdout == "", f"imports an extra at its top (module, missing):\n{result.stdout}"


def test_analyze_and_replay_work_without_any_extra(tmp_path):
    analyzed = sensorlab_without(
        ALL_EXTRAS, "analyze", str(RECORDING), "--out", str(tmp_path / "a"), "-q"
    )
    assert analyzed.returncode == 0, analyzed.stderr
    assert "Reps: left" in analyzed.stdout
    assert (tmp_path / "a" / "report.html").stat().st_size > 0
    replayed = sensorlab_without(
        ALL_EXTRAS, "replay", str(RECORDING), "--speed", "max", "--out", str(tmp_path / "r")
    )
    assert replayed.returncode == 0, replayed.stderr
    assert (tmp_path / "r" / "summary.json").exists()


@pytest.mark.parametrize(
    ("blocked", "argv", "extra"),
    [
        (ALL_EXTRAS, ["live", "--source", f"replay:{RECORDING}"], "live"),
        (ALL_EXTRAS, ["scan"], "ble"),
        (ALL_EXTRAS, ["scan", "--virtual"], "virtual"),
        (ALL_EXTRAS, ["record", "--out", "{tmp}/new.csv"], "ble"),
        (ALL_EXTRAS, ["record", "--virtual", "sim", "--out", "{tmp}/new.csv"], "virtual"),
        (ALL_EXTRAS, ["calibrate-device", "C1:5E:00:00:00:01"], "ble"),
        (ALL_EXTRAS, ["calibrate-device", "C1:5E:00:00:00:09", "--virtual", "poses"], "virtual"),
        ({"bleak"}, ["live", "--source", "ble", "--out", "{tmp}/o"], "ble"),
        ({"bumble"}, ["live", "--source", "virtual:sim", "--out", "{tmp}/o"], "virtual"),
        (
            ALL_EXTRAS,
            ["convert", str(RECORDING), "--to", "parquet", "--out", "{tmp}/x.parquet"],
            "parquet",
        ),
        ({"pyarrow"}, ["analyze", "{tmp}/x.parquet", "--out", "{tmp}/o"], "parquet"),
        ({"pylsl"}, ["replay", str(RECORDING), "--out", "{tmp}/o", "--lsl"], "lsl"),
        ({"pylsl"}, ["record", "--virtual", "sim", "--out", "{tmp}/new.csv", "--lsl"], "lsl"),
        ({"pylsl"}, ["live", "--source", f"replay:{RECORDING}", "--lsl"], "lsl"),
    ],
)
def test_a_command_without_its_extra_names_it(blocked, argv, extra, tmp_path):
    (tmp_path / "x.parquet").write_bytes(b"PAR1")  # read only with pyarrow
    result = sensorlab_without(blocked, *(a.format(tmp=tmp_path) for a in argv))
    assert result.returncode == 2, result.stderr
    assert f"pip install 'sensorlab[{extra}]'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "new.csv").exists()
    assert not (tmp_path / "o").exists()
