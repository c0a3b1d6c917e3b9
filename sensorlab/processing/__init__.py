"""Pure computation on arrays: no file, Bluetooth, GUI or event-loop code in here."""
