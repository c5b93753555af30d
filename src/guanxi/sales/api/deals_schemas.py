"""API schemas for opportunities, pipelines, territories and the forecast.

As for customers: inputs refuse unknown keys and are strict. Money travels as a decimal string
("1234.50", at most two places) so no client float ever becomes money; dates as "YYYY-MM-DD",
months as "YYYY-MM".
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field

from guanxi.customers.schemas import Id, Text, Unset
from guanxi.sales.selectors.opportunities import OPPORTUNITY_SORTS

MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


def _date(value: str) -> str:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("Enter a real date as YYYY-MM-DD.") from None
    return value


Money = Annotated[str, Field(pattern=r"^\d{1,12}(\.\d{1,2})?$", description="A decimal string, e.g. \"1234.50\".")]
DateStr = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD"), AfterValidator(_date)]
Month = Annotated[str, Field(pattern=MONTH_PATTERN, description="YYYY-MM")]
Probability = Annotated[int, Field(ge=0, le=100)]
OpportunitySort = Literal[tuple(OPPORTUNITY_SORTS)]


# --- opportunities -----------------------------------------------------------------------------

class OpportunityOut(Schema):
    id: int
    name: str
    customer_id: int
    customer_name: str
    contact_id: int | None
    pipeline_id: int
    stage_id: int
    stage_name: str
    status: Literal["open", "won", "lost"]
    amount: str
    weighted_amount: str
    currency: str
    probability: int
    probability_overridden: bool
    expected_close: dt.date | None
    next_step: str
    competitors: str
    lost_reason: str
    owner_id: int | None
    owner_name: str | None
    store_id: int | None
    territory_id: int | None
    source: str
    campaign: str
    description: str
    stage_entered_at: dt.datetime | None
    closed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime


class OpportunityPage(Schema):
    items: list[OpportunityOut]
    count: int


class OpportunityListIn(Schema):
    q: Text(100) = ""
    pipeline_id: Id = Unset()
    stage_id: Id = Unset()
    owner_id: Id = Unset()
    team_id: Id = Unset()
    territory_id: Id = Unset(description="This territory and every territory below it.")
    customer_id: Id = Unset()
    close_month: Month = Unset(description="Expected close in this month.")
    status: Literal["open", "won", "lost"] = Unset()
    sort: OpportunitySort = "-created"
    page: int = Field(1, ge=1, description="Pages past the end are empty.")
    page_size: int = Field(25, ge=1, le=200)


class OpportunityIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Text(200, 1)
    customer_id: Id
    contact_id: Id | None = None
    pipeline_id: Id | None = Field(None, description="Default: the stage's pipeline, else the default pipeline.")
    stage_id: Id | None = Field(None, description="Default: the pipeline's first open stage.")
    amount: Money = "0"
    probability: Probability | None = Field(None, description="Default: the stage's probability.")
    expected_close: DateStr | None = None
    next_step: Text(200) = ""
    competitors: Text(300) = ""
    lost_reason: Text(300) = ""
    owner_id: Id = Unset(description="Not sent: the caller.")
    source: Text(20) = ""
    campaign: Text(100) = ""
    description: Text(5000) = ""


class OpportunityPatch(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Text(200, 1) = Unset()
    customer_id: Id = Unset()
    contact_id: Id | None = Unset()
    pipeline_id: Id = Unset()
    stage_id: Id = Unset(description="A different stage is a move (history, probability), like /move.")
    amount: Money = Unset()
    probability: Probability | None = Unset(description="null: follow the stage's probability again.")
    expected_close: DateStr | None = Unset()
    next_step: Text(200) = Unset()
    competitors: Text(300) = Unset()
    lost_reason: Text(300) = Unset()
    owner_id: Id = Unset()
    source: Text(20) = Unset()
    campaign: Text(100) = Unset()
    description: Text(5000) = Unset()


class MoveIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    stage_id: Id
    before_id: Id | None = Field(None, description="Place the card above this card of the target stage; "
                                                   "default: at the end.")
    lost_reason: Text(300) | None = Field(None, description="Required when moving into a lost stage and the "
                                                            "opportunity has no reason yet.")


class StageChangeOut(Schema):
    id: int
    from_stage_id: int | None
    to_stage_id: int
    to_stage_name: str
    actor_id: int | None
    at: dt.datetime
    left_at: dt.datetime | None
    seconds_in_stage: int = Field(description="Time spent in to_stage (until now for the current stay).")
    current: bool
    amount: str
    probability: int


class HistoryOut(Schema):
    items: list[StageChangeOut]


# --- pipelines ------------------------------------------------------------------------------------

class StageOut(Schema):
    id: int
    name: str
    position: int
    probability: int
    is_won: bool
    is_lost: bool


class PipelineOut(Schema):
    id: int
    name: str
    is_default: bool
    is_active: bool
    stages: list[StageOut]


class PipelineList(Schema):
    items: list[PipelineOut]


class PipelineListIn(Schema):
    include_inactive: bool = False


# --- territories ----------------------------------------------------------------------------------

class MemberOut(Schema):
    user_id: int
    username: str
    role: str


class TerritoryOut(Schema):
    id: int
    name: str
    code: str
    parent_id: int | None
    depth: int
    priority: int
    provinces: list[str]
    cities: list[str]
    postcode_prefixes: list[str]
    industries: list[str]
    is_active: bool
    members: list[MemberOut]
    customers: int
    open_opportunities: int


class TerritoryList(Schema):
    items: list[TerritoryOut]


class TerritoryNodeOut(TerritoryOut):
    children: list[TerritoryNodeOut]


class TerritoryTree(Schema):
    items: list[TerritoryNodeOut]


# --- forecast ----------------------------------------------------------------------------------------

class ForecastIn(Schema):
    group_by: Literal["rep", "team", "territory", "month"] = "rep"
    from_month: Month = Field(None, alias="from", json_schema_extra=lambda s: s.pop("default", None),
                              description="First month (default: this month).")
    to_month: Month = Field(None, alias="to", json_schema_extra=lambda s: s.pop("default", None),
                            description="Last month, at most 36 months after the first (default: 5 months on).")
    pipeline_id: Id = Unset()
    owner_id: Id = Unset()
    team_id: Id = Unset()
    territory_id: Id = Unset()


class ForecastRowOut(Schema):
    key: int | str | None = Field(description="The rep, team or territory id, or the month (YYYY-MM); null: none.")
    label: str
    open_count: int
    open_amount: str
    weighted_amount: str = Field(description="Σ(amount × probability) / 100, rounded half-up once.")
    won_amount: str
    quota: str | None
    attainment_percent: str | None = Field(description="won ÷ quota × 100, one decimal; null without a quota.")


class ForecastOut(Schema):
    group_by: str
    from_month: str
    to_month: str
    rows: list[ForecastRowOut]
    total: ForecastRowOut
