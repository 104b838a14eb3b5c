"""Errors meant for the person at the keyboard: printed without a traceback."""

from __future__ import annotations


class UserError(Exception):
    exit_code = 2


def as_user_error(exc: Exception) -> UserError:
    err = UserError(str(exc))
    err.__cause__ = exc
    return err
