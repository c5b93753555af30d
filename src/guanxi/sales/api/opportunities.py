"""Opportunities, pipelines, territories and the forecast over JSON (SAL-2…SAL-5).

Thin handlers over sales.selectors and sales.services (the board's drag-and-drop and
POST /opportunities/{id}/move call the same `opportunity_move`). 404 for missing or invisible
rows, 403 for visible rows the caller may not change; service errors are re-keyed to the API's
field names (customer → customer_id, …).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from guanxi.core.permissions import require
from guanxi.customers.api import READ_ERRORS, WRITE_ERRORS, _page, api_field_names
from guanxi.sales.api.deals_schemas import (
    ForecastIn,
    ForecastOut,
    HistoryOut,
    MoveIn,
    OpportunityIn,
    OpportunityListIn,
    OpportunityOut,
    OpportunityPage,
    OpportunityPatch,
    PipelineList,
    PipelineListIn,
    TerritoryList,
    TerritoryTree,
)
from guanxi.sales.models import Opportunity, Stage
from guanxi.sales.permissions import OpportunityPerm
from guanxi.sales.selectors import forecast as forecast_selectors
from guanxi.sales.selectors import opportunities as selectors
from guanxi.sales.selectors import territories as territory_selectors
from guanxi.sales.services import opportunities as services
from guanxi.sales.services.territories import _lines

opportunities_router = Router(tags=["opportunities"])
pipelines_router = Router(tags=["pipelines"])
territories_router = Router(tags=["territories"])
forecast_router = Router(tags=["forecast"])

API_NAMES = {"customer": "customer_id", "contact": "contact_id", "pipeline": "pipeline_id", "stage": "stage_id",
             "owner": "owner_id"}


def _known_query(request, schema) -> None:
    """Unknown query parameters are refused: a misspelt filter must not silently list everything."""
    known = {field.alias or name for name, field in schema.model_fields.items()}
    unknown = sorted(set(request.GET) - known)
    if unknown:
        raise ValidationError({name[:50]: [_("Unknown query parameter.")] for name in unknown[:10]})


def _no_query(request) -> None:
    if request.GET:
        raise ValidationError({name[:50]: [_("Unknown query parameter.")] for name in sorted(request.GET)[:10]})


def _status(stage: Stage) -> str:
    return "won" if stage.is_won else "lost" if stage.is_lost else "open"


def opportunity_out(o: Opportunity) -> dict:
    return {
        "id": o.pk, "name": o.name, "customer_id": o.customer_id, "customer_name": o.customer.name,
        "contact_id": o.contact_id, "pipeline_id": o.pipeline_id, "stage_id": o.stage_id, "stage_name": o.stage.name,
        "status": _status(o.stage), "amount": str(o.amount), "weighted_amount": str(o.weighted_amount),
        "currency": o.currency, "probability": o.probability, "probability_overridden": o.probability_overridden,
        "expected_close": o.expected_close, "next_step": o.next_step, "competitors": o.competitors,
        "lost_reason": o.lost_reason, "owner_id": o.owner_id, "owner_name": o.owner.display_name if o.owner_id else None,
        "store_id": o.store_id, "territory_id": o.territory_id, "source": o.source, "campaign": o.campaign,
        "description": o.description, "stage_entered_at": o.stage_entered_at, "closed_at": o.closed_at,
        "created_at": o.created_at, "updated_at": o.updated_at,
    }


def _data(payload: dict) -> dict:
    """API names → service names."""
    data = dict(payload)
    for name, api_name in API_NAMES.items():
        if api_name in data:
            data[name] = data.pop(api_name)
    return data


# --- opportunities ------------------------------------------------------------------------------------

@opportunities_router.get("", response={200: OpportunityPage, **READ_ERRORS}, summary="List opportunities",
                          operation_id="opportunities_list")
def opportunities_list(request, params: Query[OpportunityListIn]):
    """The opportunities the caller may see (incl. through their territories), filtered, sorted, paginated."""
    _known_query(request, OpportunityListIn)
    require(request.auth, OpportunityPerm.VIEW)
    filters = selectors.OpportunityFilters(
        q=params.q.strip(), pipeline_id=params.pipeline_id, stage_id=params.stage_id, owner_id=params.owner_id,
        team_id=params.team_id, territory_id=params.territory_id, customer_id=params.customer_id,
        close_month=params.close_month or "", status=params.status or "",
    )
    qs = selectors.opportunity_list(actor=request.auth, filters=filters, sort=params.sort)
    return _page(qs, params.page, params.page_size, opportunity_out)


@opportunities_router.post("", response={201: OpportunityOut, **WRITE_ERRORS}, summary="Create an opportunity",
                           operation_id="opportunities_create")
def opportunities_create(request, payload: OpportunityIn):
    """The customer must be one the caller can see; the contact one of that customer's."""
    data = payload.model_dump()
    for name in ("contact_id", "pipeline_id", "stage_id", "probability", "expected_close"):
        if data.get(name) is None:
            data.pop(name)
    if "owner_id" not in payload.model_fields_set:
        data.pop("owner_id")
    with api_field_names(API_NAMES):
        opp = services.opportunity_create(actor=request.auth, data=_data(data))
    return Status(201, opportunity_out(selectors.access_opportunity(request.auth, opp.pk)))


@opportunities_router.get("/{opportunity_id}", response={200: OpportunityOut, **READ_ERRORS},
                          summary="Get an opportunity", operation_id="opportunities_get")
def opportunities_get(request, opportunity_id: int):
    return opportunity_out(selectors.access_opportunity(request.auth, opportunity_id))


@opportunities_router.patch("/{opportunity_id}", response={200: OpportunityOut, **WRITE_ERRORS},
                            summary="Change an opportunity", operation_id="opportunities_update")
def opportunities_update(request, opportunity_id: int, payload: OpportunityPatch):
    """Only the fields sent change. A new stage_id moves it (history row, probability) like /move."""
    opp = selectors.access_opportunity(request.auth, opportunity_id, OpportunityPerm.CHANGE)
    with api_field_names(API_NAMES):
        services.opportunity_update(actor=request.auth, opportunity=opp,
                                    data=_data(payload.model_dump(exclude_unset=True)))
    return opportunity_out(selectors.access_opportunity(request.auth, opp.pk))


@opportunities_router.delete("/{opportunity_id}", response={204: None, **READ_ERRORS},
                             summary="Delete an opportunity", operation_id="opportunities_delete")
def opportunities_delete(request, opportunity_id: int):
    """Refused (422) when quotes or orders refer to it: mark it lost instead."""
    opp = selectors.access_opportunity(request.auth, opportunity_id, OpportunityPerm.DELETE)
    services.opportunity_delete(actor=request.auth, opportunity=opp)
    return Status(204, None)


@opportunities_router.post("/{opportunity_id}/move", response={200: OpportunityOut, **WRITE_ERRORS},
                           summary="Move to a stage (the board's drag and drop)", operation_id="opportunities_move")
def opportunities_move(request, opportunity_id: int, payload: MoveIn):
    """Into `stage_id` of the same pipeline, above `before_id` or at the end of the column. A stage
    change appends a history row; moving into a lost stage needs a lost reason (422 otherwise)."""
    opp = selectors.access_opportunity(request.auth, opportunity_id, OpportunityPerm.CHANGE, related=())
    with api_field_names(API_NAMES):
        services.opportunity_move(actor=request.auth, opportunity=opp, stage=payload.stage_id,
                                  before_id=payload.before_id, lost_reason=payload.lost_reason)
    return opportunity_out(selectors.access_opportunity(request.auth, opp.pk))


@opportunities_router.get("/{opportunity_id}/history", response={200: HistoryOut, **READ_ERRORS},
                          summary="Stage history with time in stage", operation_id="opportunities_history")
def opportunities_history(request, opportunity_id: int):
    opp = selectors.access_opportunity(request.auth, opportunity_id)
    return {"items": [{
        "id": row.change.pk, "from_stage_id": row.change.from_stage_id, "to_stage_id": row.change.to_stage_id,
        "to_stage_name": row.stage.name, "actor_id": row.change.actor_id, "at": row.entered_at,
        "left_at": row.left_at, "seconds_in_stage": row.seconds, "current": row.current,
        "amount": str(row.change.amount), "probability": row.change.probability,
    } for row in selectors.stage_history(opportunity=opp)]}


# --- pipelines ------------------------------------------------------------------------------------------

@pipelines_router.get("", response={200: PipelineList, **READ_ERRORS}, summary="Pipelines with their stages",
                      operation_id="pipelines_list")
def pipelines_list(request, params: Query[PipelineListIn]):
    _known_query(request, PipelineListIn)
    require(request.auth, OpportunityPerm.VIEW)
    pipelines = list(selectors.pipeline_list(actor=request.auth, include_inactive=params.include_inactive))
    stages: dict[int, list] = {}
    for s in Stage.objects.filter(organization_id=request.auth.organization_id,
                                  pipeline_id__in=[p.pk for p in pipelines]).order_by("position", "id"):
        stages.setdefault(s.pipeline_id, []).append({"id": s.pk, "name": s.name, "position": s.position,
                                                     "probability": s.probability, "is_won": s.is_won,
                                                     "is_lost": s.is_lost})
    return {"items": [{"id": p.pk, "name": p.name, "is_default": p.is_default, "is_active": p.is_active,
                       "stages": stages.get(p.pk, [])} for p in pipelines]}


# --- territories ------------------------------------------------------------------------------------------

def _territory_out(node) -> dict:
    t = node.territory
    return {
        "id": t.pk, "name": t.name, "code": t.code, "parent_id": t.parent_id, "depth": t.depth,
        "priority": t.priority, "provinces": _lines(t.provinces), "cities": _lines(t.cities),
        "postcode_prefixes": _lines(t.postcode_prefixes), "industries": _lines(t.industries),
        "is_active": t.is_active, "customers": node.customers, "open_opportunities": node.open_opportunities,
        "members": [{"user_id": m.user_id, "username": m.user.username, "role": m.role} for m in node.members],
    }


def _tree_out(node) -> dict:
    return {**_territory_out(node), "children": [_tree_out(child) for child in node.children]}


@territories_router.get("", response={200: TerritoryList, **READ_ERRORS}, summary="Territories (flat, tree order)",
                        operation_id="territories_list")
def territories_list(request):
    _no_query(request)
    roots = territory_selectors.territory_tree(actor=request.auth)
    return {"items": [_territory_out(node) for _depth, node in territory_selectors.flatten(roots)]}


@territories_router.get("/tree", response={200: TerritoryTree, **READ_ERRORS}, summary="The territory tree",
                        operation_id="territories_tree")
def territories_tree(request):
    _no_query(request)
    return {"items": [_tree_out(node) for node in territory_selectors.territory_tree(actor=request.auth)]}


# --- forecast ------------------------------------------------------------------------------------------------

def _row_out(row) -> dict:
    return {"key": None if row.key == "total" else row.key, "label": row.label, "open_count": row.open.count,
            "open_amount": str(row.open.amount), "weighted_amount": str(row.open.weighted),
            "won_amount": str(row.won), "quota": None if row.quota is None else str(row.quota),
            "attainment_percent": None if row.attainment is None else str(row.attainment)}


@forecast_router.get("", response={200: ForecastOut, **READ_ERRORS}, summary="Weighted pipeline, won, quota",
                     operation_id="forecast")
def forecast(request, params: Query[ForecastIn]):
    """Open deals expected to close in the months asked for, weighted by probability, grouped by
    rep, team, territory or month; won amounts by month of closing; quotas and attainment
    (rep/team/month). What the caller sees follows OpportunityPerm.VIEW_FORECAST."""
    _known_query(request, ForecastIn)
    require(request.auth, OpportunityPerm.VIEW_FORECAST)
    first, last = forecast_selectors.default_months()
    first, last = params.from_month or first, params.to_month or last
    months = forecast_selectors.months_between(first, last)
    if months is None:
        raise ValidationError({"to": [_("Choose a last month on or after the first, at most 36 months later.")]})
    filters = forecast_selectors.ForecastFilters(pipeline_id=params.pipeline_id, owner_id=params.owner_id,
                                                 team_id=params.team_id, territory_id=params.territory_id)
    result = forecast_selectors.forecast(actor=request.auth, group_by=params.group_by, start=months[0],
                                         end=months[1], filters=filters)
    return {"group_by": result.group_by, "from_month": first, "to_month": last,
            "rows": [_row_out(r) for r in result.rows], "total": _row_out(result.total)}
