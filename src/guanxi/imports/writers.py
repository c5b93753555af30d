"""Bulk writes through the database cursor: executemany on SQLite, COPY on PostgreSQL.

The ORM spends most of a bulk insert compiling SQL per row (research/performance.md §0.2); these
helpers send plain tuples. Callers run them inside one transaction and pass values already
adapted (`adapt`) to what the column stores.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection


def table_columns(model, fields: Sequence[str]) -> tuple[str, list[str]]:
    return model._meta.db_table, [model._meta.get_field(f).column for f in fields]


def adapt_datetime(value):
    return connection.ops.adapt_datetimefield_value(value)


def insert_rows(model, fields: Sequence[str], rows: Iterable[Sequence]) -> None:
    table, columns = table_columns(model, fields)
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {qn(table)} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {qn(table)} ({cols}) VALUES ({marks})", list(rows))


def update_rows(model, fields: Sequence[str], rows: Iterable[Sequence]) -> None:
    """rows: (value for each field..., pk)."""
    table, columns = table_columns(model, fields)
    qn = connection.ops.quote_name
    sets = ", ".join(f"{qn(c)} = %s" for c in columns)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {qn(table)} SET {sets} WHERE {qn('id')} = %s", list(rows))


def reserve_ids(model, count: int) -> list[int]:
    """Primary keys for `count` new rows. Call inside the write transaction (SQLite then holds the
    write lock, PostgreSQL hands out sequence values that no one else will get)."""
    if count == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count])
            return [r[0] for r in cursor.fetchall()]
        cursor.execute(f'SELECT COALESCE(MAX(id), 0) FROM "{table}"')
        top = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        top = max(top, row[0] if row else 0)  # never reuse the id of a deleted row
        return list(range(top + 1, top + 1 + count))
