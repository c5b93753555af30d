"""API schemas for leads: strict (JSON types as declared), unknown keys refused, text bounded.

Money travels as a decimal string ("12345.60"), never as a JSON number (a float).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Schema
from pydantic import ConfigDict, Field

from guanxi.customers.schemas import Id, Text, Unset, _choices
from guanxi.sales.models import Lead
from guanxi.sales.selectors.leads import DEFAULT_SORT, LEAD_SORTS

Money = Annotated[str, Field(pattern=r"^\d{1,12}(\.\d{1,2})?$", max_length=15,
                             description='A decimal string with at most two places, e.g. "12000.50".')]
Source = _choices(Lead.Source.choices)
Status = Literal[tuple(v for v, _l in Lead.Status.choices if v != Lead.Status.CONVERTED)]
StatusFilter = _choices(Lead.Status.choices)
Rating = Literal[("", *(v for v, _l in Lead.Rating.choices))]
RatingFilter = _choices(Lead.Rating.choices)
LeadSort = Literal[tuple(LEAD_SORTS)]


class LeadOut(Schema):
    id: int
    name: str
    company: str
    title: str
    phone: str
    email: str
    province: str
    city: str
    postcode: str
    industry: str
    source: str
    campaign: str
    status: str
    rating: str
    score: int
    estimated_amount: str | None
    notes: str
    external_id: str
    owner_id: int | None
    owner_name: str | None
    store_id: int | None
    territory_id: int | None
    territory_name: str | None
    web_form_id: int | None
    assigned_at: datetime | None
    converted_at: datetime | None
    converted_customer_id: int | None
    converted_contact_id: int | None
    converted_opportunity_id: int | None
    created_at: datetime
    updated_at: datetime


class LeadPage(Schema):
    items: list[LeadOut]
    count: int


class LeadIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Text(100, 1)
    company: Text(200) = ""
    title: Text(100) = ""
    phone: Text(40) = ""
    email: Text(254) = ""
    province: Text(50) = ""
    city: Text(50) = ""
    postcode: Text(12) = ""
    industry: Text(100) = ""
    source: Source = "api"
    campaign: Text(100) = ""
    status: Status = "new"
    rating: Rating = ""
    estimated_amount: Money | None = None
    notes: Text(5000) = ""
    external_id: Text(64) = ""
    owner_id: Id | None = Unset(description="Not sent: the caller. null: no owner (store-wide roles only).")


class LeadPatch(Schema):
    """The owner changes through /assign; a converted lead cannot be changed."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: Text(100, 1) = Unset()
    company: Text(200) = Unset()
    title: Text(100) = Unset()
    phone: Text(40) = Unset()
    email: Text(254) = Unset()
    province: Text(50) = Unset()
    city: Text(50) = Unset()
    postcode: Text(12) = Unset()
    industry: Text(100) = Unset()
    source: Source = Unset()
    campaign: Text(100) = Unset()
    status: Status = Unset()
    rating: Rating = Unset()
    estimated_amount: Money | None = Unset()
    notes: Text(5000) = Unset()
    external_id: Text(64) = Unset()


class LeadFiltersIn(Schema):
    q: Text(100) = Field("", description="Name, company, e-mail, pinyin prefix or 4+ phone digits.")
    status: StatusFilter = Unset()
    rating: RatingFilter = Unset()
    source: Source = Unset()
    owner_id: Id = Unset()
    territory_id: Id = Unset()
    unowned: bool = Field(False, description="Only leads without an owner.")
    open: bool = Field(False, description="Only leads that are neither converted nor unqualified.")


class LeadListIn(LeadFiltersIn):
    sort: LeadSort = DEFAULT_SORT
    page: int = Field(1, ge=1, description="Pages past the end are empty.")
    page_size: int = Field(25, ge=1, le=200)


class LeadExportIn(LeadFiltersIn):
    sort: LeadSort = DEFAULT_SORT
    format: Literal["csv", "xlsx"] = "csv"


class AssignIn(Schema):
    """Exactly one of: `owner_id` (by hand), `team_id` (round-robin within the team), `by_territory`."""

    model_config = ConfigDict(extra="forbid", strict=True)

    owner_id: Id | None = None
    team_id: Id | None = None
    by_territory: bool = False


class ConvertIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    customer_id: Id | None = Field(None, description="Reuse this existing customer (e.g. one of the duplicates a "
                                                     "409 listed) instead of creating one.")
    allow_duplicate: bool = Field(False, description="Create a new customer even when similar ones exist.")
    create_opportunity: bool = True
    opportunity_name: Text(200) = Field("", description="Default: the lead's name and company.")
    amount: Money | None = Field(None, description="Default: the lead's estimated amount.")
    pipeline_id: Id | None = None
    stage_id: Id | None = None
    # Ninja validates the decoded JSON (Python mode), where a strict date would refuse every string.
    expected_close: Annotated[date, Field(strict=False, description="YYYY-MM-DD")] | None = None


class ConvertOut(Schema):
    lead: LeadOut
    customer_id: int
    customer_created: bool
    contact_id: int | None
    opportunity_id: int | None
