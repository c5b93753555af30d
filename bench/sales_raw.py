"""The raw engine's side of the sales workloads: hand-written SQL through the DB-API cursor, no ORM,
no permission checks, no validation — the yardstick the services are compared with.

Each write function is one transaction doing the same writes as the service it stands for (same
rows, same columns); each read function is the best query a person would write for the same
answer, with the row rule written out by hand.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone


def tables() -> dict[str, str]:
    from django.apps import apps

    names = {"opp": "sales.Opportunity", "change": "sales.StageChange", "stage": "sales.Stage",
             "order": "sales.Order", "line": "sales.OrderLine", "payment": "sales.Payment",
             "entry": "sales.CommissionEntry", "audit": "core.AuditEntry", "timeline": "customers.TimelineEvent",
             "customer": "customers.Customer", "user": "core.User"}
    return {k: apps.get_model(v)._meta.db_table for k, v in names.items()}


T: dict[str, str] = {}


def _t(name: str) -> str:
    if not T:
        T.update(tables())
    return T[name]


def _ts(value: dt.datetime):
    return connection.ops.adapt_datetimefield_value(value)


def _date(value: dt.date):
    return connection.ops.adapt_datefield_value(value)


def _as_dt(value) -> dt.datetime | None:
    """A timestamp read back through the bare cursor (a string on SQLite, stored in UTC)."""
    if value is None:
        return None
    parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _lock() -> str:
    return " FOR UPDATE" if connection.vendor == "postgresql" else ""  # SQLite: BEGIN IMMEDIATE locks already


def _audit(c, org_id: int, actor, action: str, object_type: str, object_id, object_repr: str, changes: dict, now):
    c.execute(f'INSERT INTO "{_t("audit")}" (organization_id, actor_id, actor_name, action, object_type, object_id, '
              "object_repr, changes, ip, request_id, at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, NULL, '', %s)",
              [org_id, actor.pk, actor.username, action, object_type, str(object_id), object_repr[:200],
               json.dumps(changes, ensure_ascii=False), _ts(now)])


def _timeline(c, org_id: int, customer_id: int, kind: str, actor, summary: str, data: dict, now):
    c.execute(f'INSERT INTO "{_t("timeline")}" (organization_id, customer_id, kind, actor_id, summary, body, data, at) '
              "VALUES (%s, %s, %s, %s, %s, '', %s, %s)",
              [org_id, customer_id, kind, actor.pk, summary[:300], json.dumps(data, ensure_ascii=False), _ts(now)])


# --- workload 5: a board move --------------------------------------------------------------------

def move(org_id: int, opp_id: int, actor, target, stage_names: dict[int, str], lost_reason: str | None) -> None:
    """UPDATE the opportunity (stage, time in stage, probability, closed, position) + INSERT the stage
    change (with seconds in the previous stage), the timeline row and the audit row, in one transaction."""
    opp, change = _t("opp"), _t("change")
    with transaction.atomic(), connection.cursor() as c:
        c.execute(f'SELECT stage_id, stage_entered_at, probability, probability_overridden, customer_id, name, amount '
                  f'FROM "{opp}" WHERE id = %s{_lock()}', [opp_id])
        stage_id, entered, probability, overridden, customer_id, name, amount = c.fetchone()
        now = timezone.now()
        entered = _as_dt(entered)
        seconds = max(int((now - entered).total_seconds()), 0) if entered else 0
        new_probability = probability if overridden and not target.is_closed else target.probability
        c.execute(f'SELECT COALESCE(MAX(position), 0) + 1 FROM "{opp}" WHERE organization_id = %s AND stage_id = %s',
                  [org_id, target.pk])
        position = c.fetchone()[0]
        reason = ", lost_reason = %s" if lost_reason else ""
        c.execute(f'UPDATE "{opp}" SET stage_id = %s, stage_entered_at = %s, probability = %s, '
                  f'probability_overridden = %s, closed_at = %s, position = %s, updated_at = %s{reason} WHERE id = %s',
                  [target.pk, _ts(now), new_probability, bool(overridden and not target.is_closed),
                   _ts(now) if target.is_closed else None, position, _ts(now),
                   *([lost_reason] if lost_reason else []), opp_id])
        c.execute(f'INSERT INTO "{change}" (organization_id, opportunity_id, from_stage_id, to_stage_id, actor_id, '
                  "amount, probability, at, seconds_in_previous) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                  [org_id, opp_id, stage_id, target.pk, actor.pk, amount, new_probability, _ts(now), seconds])
        label = f"{name}: {stage_names[stage_id]} → {target.name}"
        _timeline(c, org_id, customer_id, "stage_changed", actor, f"商机推进：{label}",
                  {"name": label, "opportunity": opp_id}, now)
        _audit(c, org_id, actor, "update", "sales.opportunity", opp_id, name,
               {"stage": [stage_id, target.pk], "probability": [probability, new_probability]}, now)


# --- workload 6: a payment (and the ledger when it pays the order in full) --------------------------

def payment(org_id: int, order_id: int, actor, amount: Decimal, method: str, key: str, ledger: list[tuple],
            period: dt.date) -> bool:
    """INSERT the payment, UPDATE the order's paid amount (and status when paid in full), INSERT the two
    audit rows and the timeline row; on the payment that completes the order also the 'paid in full'
    timeline row, the commission entries `ledger` [(line_id, user_id, rule_id, basis, rate, amount)] and
    their audit row. One transaction. Returns whether the order became paid."""
    order = _t("order")
    with transaction.atomic(), connection.cursor() as c:
        c.execute(f'SELECT total, paid_amount, number, customer_id, currency FROM "{order}" WHERE id = %s{_lock()}',
                  [order_id])
        total, paid, number, customer_id, currency = c.fetchone()
        total, paid = Decimal(str(total)), Decimal(str(paid))
        now = timezone.now()
        today = timezone.localdate()
        c.execute(f'INSERT INTO "{_t("payment")}" (organization_id, order_id, amount, method, paid_on, reference, '
                  "recorded_by_id, created_at, idempotency_key) VALUES (%s, %s, %s, %s, %s, '', %s, %s, %s) RETURNING id",
                  [org_id, order_id, amount, method, _date(today), actor.pk, _ts(now), key])
        payment_id = c.fetchone()[0]
        new_paid = paid + amount
        became_paid = new_paid == total
        c.execute(f'UPDATE "{order}" SET paid_amount = %s, status = %s, paid_at = %s, updated_at = %s WHERE id = %s',
                  [new_paid, "paid" if became_paid else "confirmed", _ts(now) if became_paid else None, _ts(now),
                   order_id])
        _audit(c, org_id, actor, "create", "sales.payment", payment_id, f"{number} {amount}",
               {"order": [None, number], "amount": [None, str(amount)], "method": [None, method],
                "paid_on": [None, str(today)], "reference": [None, ""]}, now)
        changes = {"paid_amount": [str(paid), str(new_paid)]}
        if became_paid:
            changes["status"] = ["confirmed", "paid"]
        _audit(c, org_id, actor, "update", "sales.order", order_id, number, changes, now)
        _timeline(c, org_id, customer_id, "payment", actor, f"收到付款：{number} · {amount:,.2f} {currency}",
                  {"name": number, "order": order_id}, now)
        if became_paid:
            _timeline(c, org_id, customer_id, "order", actor, f"订单：{number} 已全额付款",
                      {"name": number, "order": order_id}, now)
            if ledger:
                c.executemany(
                    f'INSERT INTO "{_t("entry")}" (organization_id, user_id, order_id, order_line_id, rule_id, kind, '
                    "period, basis_amount, rate, amount, currency, created_at) "
                    "VALUES (%s, %s, %s, %s, %s, 'earned', %s, %s, %s, %s, %s, %s)",
                    [[org_id, user_id, order_id, line_id, rule_id, _date(period), basis, rate, value, currency,
                      _ts(now)] for line_id, user_id, rule_id, basis, rate, value in ledger])
                _audit(c, org_id, actor, "create", "sales.commissionentry", order_id, f"{number} (earned)",
                       {"order": [None, number], "kind": [None, "earned"], "period": [None, str(period)],
                        "entries": [None, [[e[0], e[1], str(e[5])] for e in ledger]],
                        "total": [None, str(sum((e[5] for e in ledger), Decimal("0.00")))]}, now)
    return became_paid


# --- reads: the board and the reports ------------------------------------------------------------

def visibility(user, territory_ids: list[int]) -> tuple[str, list]:
    """The row rule of OpportunityPerm.VIEW (and SalesReportPerm.VIEW) written by hand for the three
    roles the bench reads as: admin (everything), store manager (their store), rep (their team, plus
    the territories they work)."""
    role = str(user.role)
    if role in ("owner", "admin"):
        return "", []
    if role == "manager":
        return " AND o.store_id = %s", [user.store_id]
    rule = f'o.owner_id IN (SELECT id FROM "{_t("user")}" WHERE team_id = %s) OR o.owner_id = %s'
    params = [user.team_id, user.pk]
    if territory_ids:
        rule += f" OR o.territory_id IN ({', '.join(['%s'] * len(territory_ids))})"
        params += territory_ids
    return f" AND ({rule})", params


def board(org_id: int, pipeline_id: int, vis: tuple[str, list], limit: int) -> tuple[list, list]:
    """Count / sum / weighted sum per stage, and the first `limit` cards of each column (ranked on the
    opportunity table alone, then joined to the customer and owner names): the columns a card shows
    (sales/opportunities/_card.html)."""
    where, params = f"o.organization_id = %s AND o.pipeline_id = %s{vis[0]}", [org_id, pipeline_id, *vis[1]]
    with connection.cursor() as c:
        c.execute(f'SELECT o.stage_id, COUNT(*), SUM(o.amount), SUM(o.amount * o.probability) FROM "{_t("opp")}" o '
                  f"WHERE {where} GROUP BY o.stage_id", params)
        totals = c.fetchall()
        c.execute(f"SELECT r.id, r.name, r.amount, r.probability, r.expected_close, r.stage_id, cu.name, u.username, "
                  f"u.first_name, u.last_name FROM ("
                  f"SELECT o.id, o.name, o.amount, o.probability, o.expected_close, o.stage_id, o.position, "
                  f"o.customer_id, o.owner_id, "
                  f"ROW_NUMBER() OVER (PARTITION BY o.stage_id ORDER BY o.position, o.id) AS rn "
                  f'FROM "{_t("opp")}" o WHERE {where}) r '
                  f'JOIN "{_t("customer")}" cu ON cu.id = r.customer_id LEFT JOIN "{_t("user")}" u ON u.id = r.owner_id '
                  f"WHERE r.rn <= %s ORDER BY r.stage_id, r.position, r.id", [*params, limit])
        cards = c.fetchall()
    return totals, cards


def pipeline_report(org_id: int, pipeline_id: int, vis: tuple[str, list]) -> list:
    """Every stage of the pipeline with its count, amount and Σ amount × probability (grouped on the
    opportunity index first, then joined to the stages for their names and order)."""
    with connection.cursor() as c:
        c.execute(f'SELECT s.position, s.name, g.n, g.amount, g.weighted FROM "{_t("stage")}" s LEFT JOIN ('
                  f"SELECT o.stage_id, COUNT(*) AS n, SUM(o.amount) AS amount, SUM(o.amount * o.probability) AS weighted "
                  f'FROM "{_t("opp")}" o WHERE o.organization_id = %s AND o.pipeline_id = %s{vis[0]} GROUP BY o.stage_id'
                  f") g ON g.stage_id = s.id WHERE s.pipeline_id = %s ORDER BY s.position",
                  [org_id, pipeline_id, *vis[1], pipeline_id])
        return c.fetchall()


def won_lost_report(org_id: int, tz_name: str, start: dt.datetime, end: dt.datetime, vis: tuple[str, list]) -> list:
    """Closed won/lost per month of the organisation's time zone, count and amount."""
    if connection.vendor == "postgresql":
        month = "date_trunc('month', o.closed_at AT TIME ZONE %s)"
        month_params = [tz_name]
    else:  # SQLite stores UTC text; shift by the zone's offset (no DST in the bench's Asia/Shanghai)
        offset = int(start.utcoffset().total_seconds() // 60)
        month = f"strftime('%%Y-%%m', o.closed_at, '{offset:+d} minutes')"
        month_params = []
    with connection.cursor() as c:
        c.execute(f"SELECT {month} AS m, s.is_won, COUNT(*), SUM(o.amount) FROM \"{_t('opp')}\" o "
                  f"JOIN \"{_t('stage')}\" s ON s.id = o.stage_id WHERE o.organization_id = %s AND o.closed_at >= %s "
                  f"AND o.closed_at < %s AND (s.is_won OR s.is_lost){vis[0]} GROUP BY m, s.is_won ORDER BY m, s.is_won",
                  [*month_params, org_id, _ts(start), _ts(end), *vis[1]])
        return c.fetchall()
