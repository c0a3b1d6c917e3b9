"""Session outputs after the analysis.

``summary.json``, ``reps.csv``, the terminal text and ``report.html``.

Modules: :mod:`.summary` (the contract dict and JSON), :mod:`.table` (CSV),
:mod:`.text` (terminal lines), :mod:`.findings` (plain-language observations),
:mod:`.report` (the HTML page; imports matplotlib), :mod:`.outputs` (all three files at
once), :mod:`.style` (shared colours). Nothing is imported here, so importing the package
stays cheap.
"""
