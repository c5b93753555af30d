"""Export of the customer list a user is looking at (CORE-8, CUS-1). Audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.exports import CONTENT_TYPES, to_csv, to_xlsx
from guanxi.core.permissions import require
from guanxi.customers.permissions import CustomerPerm
from guanxi.customers.selectors import CustomerFilters, customer_list

MAX_ROWS = 200_000
FORMATS = ("csv", "xlsx")


def _columns():
    return [
        ("id", _("ID"), lambda c: c.pk),
        ("name", _("Name"), lambda c: c.name),
        ("kind", _("Kind"), lambda c: c.get_kind_display()),
        ("phone", _("Phone"), lambda c: c.phone),
        ("phone2", _("Second phone"), lambda c: c.phone2),
        ("email", _("Email"), lambda c: c.email),
        ("owner", _("Owner"), lambda c: c.owner.username if c.owner else ""),
        ("store", _("Store"), lambda c: c.store.code if c.store else ""),
        ("stage", _("Lifecycle stage"), lambda c: c.get_stage_display()),
        ("source", _("Source"), lambda c: c.get_source_display()),
        ("industry", _("Industry"), lambda c: c.industry),
        ("province", _("Province"), lambda c: c.province),
        ("city", _("City"), lambda c: c.city),
        ("address", _("Address"), lambda c: c.address),
        ("tags", _("Tags"), lambda c: ",".join(t.name for t in c.tags.all())),
        ("external_id", _("External id"), lambda c: c.external_id),
        ("notes", _("Notes"), lambda c: c.notes),
        ("created_at", _("Created"), lambda c: timezone.localtime(c.created_at).strftime("%Y-%m-%d %H:%M")),
    ]


def export_customers(*, actor, filters: CustomerFilters | None = None, sort: str = "-created",
                     fmt: str = "csv") -> tuple[bytes, str, str]:
    """Returns (content, content type, file name) for the actor's filtered customer list."""
    require(actor, CustomerPerm.EXPORT)
    if fmt not in FORMATS:
        raise ValidationError({"format": [_("Choose csv or xlsx.")]})
    # Export reaches the rows the actor may both see and export.
    qs: QuerySet = customer_list(actor=actor, filters=filters, sort=sort)
    from guanxi.core.permissions import row_filter

    qs = qs.filter(row_filter(actor, CustomerPerm.EXPORT))
    columns = _columns()
    header = [label for _key, label, _get in columns]
    rows = ([get(c) for _key, _label, get in columns] for c in qs[:MAX_ROWS].iterator(chunk_size=2000))
    content = to_csv(header, rows) if fmt == "csv" else to_xlsx(header, rows, sheet=str(_("Customers")))
    count = qs[:MAX_ROWS].count()
    audit.record(actor=actor, action=audit.Action.EXPORT, object_type_label="customers.customer",
                 object_repr=f"{count} customers ({fmt})",
                 changes={"format": [None, fmt], "rows": [None, count], "filters": [None, _filters_repr(filters)]})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return content, CONTENT_TYPES[fmt], f"customers-{stamp}.{fmt}"


def _filters_repr(filters: CustomerFilters | None) -> dict:
    if filters is None:
        return {}
    return {k: v for k, v in vars(filters).items() if v not in ("", None, False, {})}
