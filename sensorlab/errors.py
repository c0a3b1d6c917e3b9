"""Errors that are the user's to fix, as opposed to bugs."""

from __future__ import annotations


class InputError(Exception):
    """A mistake in the user's input (a file, a column, a setting).

    The message is complete and actionable: it says what is wrong, where (``file:line``,
    a column or a sensor) and how to fix it. The command line prints it without a
    traceback and exits with status 2.
    """
