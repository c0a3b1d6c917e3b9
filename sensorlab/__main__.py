"""``python -m sensorlab``: the ``sensorlab`` command."""

import sys

from sensorlab.cli import main

sys.exit(main())
