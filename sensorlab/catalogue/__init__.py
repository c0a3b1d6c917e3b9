"""The session catalogue (SQLite): every analysed session, to follow subjects over time."""
