"""Hot reads compiled once: type-ahead runs the same few query shapes on every keystroke.

Building and compiling a QuerySet costs Python time (0.3–2 ms on the 2-core test machines), several
times what SQLite needs to answer an indexed query. A `Prepared` query keeps the SQL Django
compiled for a `values_list` QuerySet built with slot values (`Slots`); a run puts the real values
in place of the slots' parameters and returns the rows. Several prepared queries can be sent as
one statement (`union_all`), one round trip to the database for all of them.

What may be cached is decided by `fingerprint`: a filter (a row rule from `row_filter`) whose
values are plain numbers and strings, or subqueries of such (compiled alone, which is cheap),
compiles to the same SQL whenever it is equal, so it can key the cache; a filter holding an
expression cannot, and is compiled each time.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import connections
from django.db.models import Q, QuerySet

_PLAIN = (str, int, float, bool, type(None))


class Slots:
    """Values to build a QuerySet with, each found in the compiled parameters and nowhere else:
    text slots hold a NUL (no input reaches a query with one: PostgreSQL refuses it), number
    slots are far below any id."""

    def __init__(self, *, text: Iterable[str] = (), number: Iterable[str] = ()):
        self.values: dict[str, object] = {name: f"\x00slot:{name}\x00" for name in text}
        self.values |= {name: -(2**62) - i for i, name in enumerate(number)}

    def __getitem__(self, name: str):
        return self.values[name]


class Prepared:
    """The SQL and parameters of a `values_list` QuerySet, with the positions of its slots."""

    def __init__(self, queryset: QuerySet | None, slots: Slots | None = None):
        if queryset is None:  # union_all fills it in
            return
        self.db = queryset.db
        compiler = queryset.query.get_compiler(using=self.db)
        sql, params = compiler.as_sql()
        columns = [s[0] for s in compiler.select[: compiler.col_count]]
        if compiler.get_converters(columns):
            raise ValueError("prepare a values_list() of columns the database returns as they are (text, integers)")
        names = {value: name for name, value in slots.values.items()}
        self.positions = [(i, names[p]) for i, p in enumerate(params) if type(p) in (str, int) and p in names]
        if {name for _i, name in self.positions} != set(slots.values) or any(str(v) in sql for v in slots.values.values()):
            raise ValueError("a slot value did not end up as a query parameter")
        self.sql, self.params = sql, list(params)

    @classmethod
    def union_all(cls, parts: list[Prepared]) -> Prepared:
        """One statement returning the rows of every part (each keeps its own ORDER BY and LIMIT)."""
        whole = cls(None)
        whole.db = parts[0].db
        whole.sql = " UNION ALL ".join(f"SELECT * FROM ({p.sql}) AS part{n}" for n, p in enumerate(parts))
        whole.params, whole.positions = [], []
        for part in parts:
            whole.positions += [(len(whole.params) + i, name) for i, name in part.positions]
            whole.params += part.params
        return whole

    def run(self, **values) -> list[tuple]:
        params = list(self.params)
        for i, name in self.positions:
            params[i] = values[name]  # every slot needs its value: a KeyError here is the caller's bug
        with _cursor(connections[self.db]) as cursor:
            cursor.execute(self.sql, params)
            return cursor.fetchall()


def _cursor(connection):
    """A cursor that, on PostgreSQL, prepares its statements on the server.

    Planning a join of four tables took PostgreSQL 0.4–0.5 ms, more than running it. Django binds
    parameters on the client and never prepares (for connection poolers); this cursor binds them
    on the server and prepares the statement once per connection (psycopg keeps the names), so
    the plan is reused. Poolers must pass protocol-level prepared statements (PgBouncer ≥ 1.21
    with max_prepared_statements); GUANXI_PREPARED_STATEMENTS = False turns this off.
    """
    if connection.vendor != "postgresql" or not getattr(settings, "GUANXI_PREPARED_STATEMENTS", True):
        return connection.cursor()
    import psycopg

    class PreparingCursor(psycopg.Cursor):
        def execute(self, query, params=None, **kwargs):
            return super().execute(query, params, prepare=True)

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:  # Django's "never"; only prepare=True prepares below this threshold
        raw.prepare_threshold = 2**31 - 1
    cursor = PreparingCursor(raw)
    return connection.make_debug_cursor(cursor) if connection.queries_logged else connection.make_cursor(cursor)


def fingerprint(q: Q):
    """A hashable stand-in for `q` when equal fingerprints mean equal SQL, else None."""
    parts = [type(q).__name__, q.connector, q.negated]
    for child in q.children:
        if isinstance(child, Q):
            sub = fingerprint(child)
            if sub is None:
                return None
            parts.append(sub)
            continue
        lookup, value = child
        if isinstance(value, QuerySet):  # a subquery (the territory rule): its own SQL, compiled alone
            sql, params = value.query.sql_with_params()
            if not all(isinstance(v, _PLAIN) for v in params):
                return None
            value = ("QuerySet", value.db, sql, *((type(v).__name__, v) for v in params))
        elif isinstance(value, list | tuple):
            if not all(isinstance(v, _PLAIN) for v in value):
                return None
            value = (type(value).__name__, *((type(v).__name__, v) for v in value))
        elif isinstance(value, _PLAIN):
            value = (type(value).__name__, value)
        else:
            return None
        parts.append((lookup, value))
    return tuple(parts)


class PreparedCache:
    """A bounded, thread-safe map from a query's shape to its Prepared form."""

    def __init__(self, size: int = 512):
        self.size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, build: Callable[[], Prepared]) -> Prepared:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        found = build()
        with self._lock:
            self._items[key] = found
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return found

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
