"""Errors a user can cause. Each carries one line saying what is wrong and how to fix it."""


class UserError(Exception):
    """A problem with the user's input: the CLI prints `error: <message>` and exits 2."""
