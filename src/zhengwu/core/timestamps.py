"""PostgreSQL timestamps parsed by the driver's C loader (ADR 0019, eighth pass).

Django registers its own timestamptz loader on every connection: a Python subclass of psycopg's pure-Python loader
that parses the text and then replaces the tzinfo with the connection's time zone. With USE_TZ the session runs
in UTC and psycopg's C loader (psycopg[binary]) already returns datetimes in `datetime.timezone.utc`, so on such
a connection the C loader does the same work (about 3 % of a case's lifecycle CPU was Django's loader). The
loader registered here keeps the `timezone` attribute Django's `create_cursor` compares and hands `load` to a C
loader. Elsewhere (another time zone, no C implementation, another database) nothing changes.
"""

from __future__ import annotations

import datetime
from typing import Any

__all__ = ["connection_created_receiver"]


def connection_created_receiver(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor != "postgresql" or connection.timezone is not datetime.UTC:
        return
    loader = _utc_loader()
    raw = connection.connection
    if loader is not None and raw.info.parameter_status("TimeZone") == "UTC":
        raw.adapters.register_loader("timestamptz", loader)


_LOADER: list[Any] = []


def _utc_loader() -> Any:
    """The loader class, or None without psycopg's C implementation."""
    if not _LOADER:
        import psycopg
        from psycopg import postgres
        from psycopg.adapt import Loader
        from psycopg.pq import Format

        implementation = psycopg.adapters.get_loader(postgres.types["timestamptz"].oid, Format.TEXT)
        if psycopg.pq.__impl__ not in ("c", "binary") or implementation is None:
            _LOADER.append(None)
        else:

            class UtcTimestamptzLoader(Loader):
                """psycopg's C timestamptz loader, with the `timezone` Django's cursors compare."""

                timezone = datetime.UTC

                def __init__(self, oid: int, context: Any = None):
                    super().__init__(oid, context)
                    self.load = implementation(oid, context).load  # the C method, called directly

                def load(self, data: Any) -> datetime.datetime:  # (shadowed by the instance's; Loader wants it)
                    raise NotImplementedError

            _LOADER.append(UtcTimestamptzLoader)
    return _LOADER[0]
