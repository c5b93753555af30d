"""Export of the lead list a user is looking at (CORE-8), CSV or XLSX, formula-neutralised. Audited."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core import audit
from guanxi.core.exports import CONTENT_TYPES, to_csv, to_xlsx
from guanxi.core.permissions import require, row_filter
from guanxi.sales.permissions import LeadPerm
from guanxi.sales.selectors.leads import LeadFilters, lead_list

MAX_ROWS = 200_000
FORMATS = ("csv", "xlsx")


def _columns():
    return [
        ("id", _("ID"), lambda x: x.pk),
        ("name", _("Name"), lambda x: x.name),
        ("company", _("Company"), lambda x: x.company),
        ("title", _("Job title"), lambda x: x.title),
        ("phone", _("Phone"), lambda x: x.phone),
        ("email", _("Email"), lambda x: x.email),
        ("status", _("Status"), lambda x: x.get_status_display()),
        ("rating", _("Rating"), lambda x: x.get_rating_display()),
        ("score", _("Score"), lambda x: x.score),
        ("source", _("Source"), lambda x: x.get_source_display()),
        ("campaign", _("Campaign"), lambda x: x.campaign),
        ("owner", _("Owner"), lambda x: x.owner.username if x.owner else ""),
        ("territory", _("Territory"), lambda x: x.territory.name if x.territory else ""),
        ("estimated_amount", _("Estimated amount"), lambda x: str(x.estimated_amount) if x.estimated_amount is not None
         else ""),
        ("industry", _("Industry"), lambda x: x.industry),
        ("province", _("Province"), lambda x: x.province),
        ("city", _("City"), lambda x: x.city),
        ("postcode", _("Postcode"), lambda x: x.postcode),
        ("external_id", _("External id"), lambda x: x.external_id),
        ("notes", _("Notes"), lambda x: x.notes),
        ("created_at", _("Created"), lambda x: timezone.localtime(x.created_at).strftime("%Y-%m-%d %H:%M")),
    ]


def export_leads(*, actor, filters: LeadFilters | None = None, sort: str = "-created",
                 fmt: str = "csv") -> tuple[bytes, str, str]:
    """(content, content type, file name) of the rows the actor may both see and export."""
    require(actor, LeadPerm.EXPORT)
    if fmt not in FORMATS:
        raise ValidationError({"format": [_("Choose csv or xlsx.")]})
    qs = lead_list(actor=actor, filters=filters, sort=sort).filter(row_filter(actor, LeadPerm.EXPORT))
    columns = _columns()
    header = [label for _key, label, _get in columns]
    rows = ([get(x) for _key, _label, get in columns] for x in qs[:MAX_ROWS].iterator(chunk_size=2000))
    content = to_csv(header, rows) if fmt == "csv" else to_xlsx(header, rows, sheet=str(_("Leads")))
    count = qs[:MAX_ROWS].count()
    shown = {k: v for k, v in vars(filters or LeadFilters()).items() if v not in ("", None, False)}
    audit.record(actor=actor, action=audit.Action.EXPORT, object_type_label="sales.lead",
                 object_repr=f"{count} leads ({fmt})",
                 changes={"format": [None, fmt], "rows": [None, count], "filters": [None, shown]})
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return content, CONTENT_TYPES[fmt], f"leads-{stamp}.{fmt}"
