"""Reading large values_list querysets fast (W2's set-based selectors)."""

from __future__ import annotations

from typing import Any

from django.db import connection


def fetch_rows(qs: Any) -> list[tuple[Any, ...]]:
    """The rows of a values_list queryset. On PostgreSQL the same SQL runs on a cursor with psycopg's
    C timestamptz loader (Django's per-value Python loader costs ~10× more on 100k+ timestamps); the
    values are the same aware UTC datetimes."""
    if connection.vendor != "postgresql":
        return list(qs)
    from psycopg.types.datetime import TimestamptzLoader

    sql, params = qs.query.sql_with_params()
    connection.ensure_connection()
    with connection.connection.cursor() as cur:
        cur.adapters.register_loader("timestamptz", TimestamptzLoader)
        cur.execute(sql, params)
        return cur.fetchall()
