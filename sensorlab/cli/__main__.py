"""``python -m sensorlab.cli``: the ``sensorlab`` command."""

import sys

from sensorlab.cli import main

sys.exit(main())
