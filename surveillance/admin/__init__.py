"""Administering users and API tokens from the machine, whether or not the service is running.

:mod:`~surveillance.admin.operations` holds the operations (add, disable, enable, reset a password,
change a role or region, list; create, list and revoke tokens) as functions from and to plain values.
:func:`perform` runs one on the database file directly when nobody holds it, and otherwise asks the
running service to run it through its control channel (:mod:`~surveillance.admin.channel`): the service
owns the DuckDB file, so its own process makes the change, and live sessions see it at once.
"""

from .operations import Operator, perform, run

__all__ = ["Operator", "perform", "run"]
