"""Record one summary into a catalogue again and again, each time as a new recording
(another input hash), until killed. ``tests/test_catalogue.py`` kills it with SIGKILL
mid-write and checks the catalogue is whole.

Run: ``python tests/catalogue_writer.py CATALOGUE SUMMARY.json``; prints one line per
session recorded, flushed at once.
"""

from __future__ import annotations

import itertools
import json
import sys
from dataclasses import replace
from pathlib import Path

from sensorlab.catalogue.entry import SessionOrigin, session_entry
from sensorlab.catalogue.store import open_catalogue, record_session


def main() -> None:
    catalogue, summary_path = Path(sys.argv[1]), Path(sys.argv[2])
    entry = session_entry(json.loads(summary_path.read_text()), SessionOrigin(subject="K"))
    connection = open_catalogue(catalogue)
    for number in itertools.count():
        record_session(
            catalogue,
            replace(entry, input_sha256=f"{number:064x}"),
            summary_path.parent,
            connection=connection,
        )
        print(number, flush=True)


if __name__ == "__main__":
    main()
