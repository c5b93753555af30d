"""API schemas for customers, contacts and the timeline.

Input schemas refuse unknown keys (`extra="forbid"`), so `organization`, `id`, `created_by` and the
like are a 422 naming the field instead of being silently dropped or, worse, applied; and they are
strict (JSON types as declared: 0 is not false, "5" is not 5). Text is limited to the model's
length and may not contain NUL (PostgreSQL cannot store it) or lone surrogates (not encodable as
UTF-8). PATCH fields accept null only where the column does (owner, store, reports-to);
`exclude_unset` passes on exactly the keys the client sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field

from guanxi.core.api import ErrorOut
from guanxi.customers.models import Contact, Customer
from guanxi.customers.selectors import CONTACT_SORTS, CUSTOMER_SORTS, DEFAULT_SORT

MAX_ID = 2**63 - 1


def _clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("Null characters are not allowed.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Text must be valid Unicode (no lone surrogates).") from None
    return value


def Text(max_length: int, min_length: int = 0):  # noqa: N802 - a type factory, read like a type
    return Annotated[
        str,
        Field(max_length=max_length, min_length=min_length, description=f"At most {max_length} characters, no NUL."),
        AfterValidator(_clean_text),
    ]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def _no_default(schema: dict) -> None:
    # These fields default to "not sent", which is not a value a client could send: hide it.
    schema.pop("default", None)


def Unset(**kwargs):  # noqa: N802
    """An optional field that, when sent, must be a real value (null only if the type allows it)."""
    return Field(None, json_schema_extra=_no_default, **kwargs)


def _choices(choices) -> Any:
    return Literal[tuple(value for value, _label in choices)]


Kind = _choices(Customer.Kind.choices)
Stage = _choices(Customer.Stage.choices)
Source = _choices(Customer.Source.choices)
ContactRole = _choices(Contact.Role.choices)
CustomerSort = Literal[tuple(CUSTOMER_SORTS)]
ContactSort = Literal[tuple(CONTACT_SORTS)]
Tags = Annotated[list[Text(50, 1)], Field(max_length=30, description="Tag names; unknown tags are created.")]


# --- errors ------------------------------------------------------------------------

class DuplicateItem(Schema):
    id: int
    name: str
    phone: str
    email: str


class DuplicateOut(ErrorOut):
    """A 409: similar customers exist (listed, or counted when hidden), or the external id is taken."""

    duplicates: list[DuplicateItem] = []
    hidden_duplicates: int = Field(0, description="Matching customers the caller may not see.")


# --- customers -----------------------------------------------------------------------

class CustomerOut(Schema):
    id: int
    name: str
    name_pinyin: str
    kind: str
    phone: str
    phone2: str
    email: str
    owner_id: int | None
    owner_name: str | None
    store_id: int | None
    tags: list[str]
    source: str
    industry: str
    province: str
    city: str
    address: str
    website: str
    stage: str
    notes: str
    external_id: str
    created_at: datetime
    updated_at: datetime


class CustomerPage(Schema):
    items: list[CustomerOut]
    count: int


class CustomerIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Text(200, 1)
    kind: Kind = "company"
    phone: Text(40) = ""
    phone2: Text(40) = ""
    email: Text(254) = ""
    owner_id: Id | None = Unset(description="Not sent: the caller. null: the shared pool (store-wide roles only).")
    store_id: Id | None = None
    tags: Tags = []
    source: Source = "api"
    industry: Text(100) = ""
    province: Text(50) = ""
    city: Text(50) = ""
    address: Text(300) = ""
    website: Text(200) = ""
    stage: Stage = "lead"
    notes: Text(5000) = ""
    external_id: Text(64) = ""
    allow_duplicate: bool = Field(False, description="Create even when customers with the same name, phone or "
                                                     "e-mail exist (otherwise 409).")


class CustomerPatch(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Text(200, 1) = Unset()
    kind: Kind = Unset()
    phone: Text(40) = Unset()
    phone2: Text(40) = Unset()
    email: Text(254) = Unset()
    owner_id: Id | None = Unset()
    store_id: Id | None = Unset()
    tags: Tags = Unset()
    source: Source = Unset()
    industry: Text(100) = Unset()
    province: Text(50) = Unset()
    city: Text(50) = Unset()
    address: Text(300) = Unset()
    website: Text(200) = Unset()
    stage: Stage = Unset()
    notes: Text(5000) = Unset()
    external_id: Text(64) = Unset()


class MergeIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    source_id: Id = Field(description="The customer merged into this one; it is deleted.")


class CustomerFiltersIn(Schema):
    q: Text(100) = Field("", description="Name, pinyin, initials, phone digits or e-mail (also of contacts).")
    kind: Kind = Unset()
    stage: Stage = Unset()
    source: Source = Unset()
    owner_id: Id = Unset()
    store_id: Id = Unset()
    tag: Text(50) = ""
    province: Text(50) = ""
    city: Text(50) = ""
    industry: Text(100) = ""
    unowned: bool = Field(False, description="Only customers in the shared pool (no owner).")


class CustomerListIn(CustomerFiltersIn):
    sort: CustomerSort = DEFAULT_SORT
    page: int = Field(1, ge=1, description="Pages past the end are empty.")
    page_size: int = Field(25, ge=1, le=200)


class CustomerExportIn(CustomerFiltersIn):
    sort: CustomerSort = DEFAULT_SORT
    format: Literal["csv", "xlsx"] = "csv"


# --- timeline ------------------------------------------------------------------------

class TimelineEventOut(Schema):
    id: int
    kind: str
    summary: str
    body: str
    actor_id: int | None
    actor_name: str | None
    data: dict[str, Any]
    at: datetime


class TimelineOut(Schema):
    items: list[TimelineEventOut]


class TimelineIn(Schema):
    limit: int = Field(100, ge=1, le=500)


class NoteIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    body: Text(10000, 1)


# --- contacts ------------------------------------------------------------------------

class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    title: str
    role: str
    department: str
    reports_to_id: int | None
    phone: str
    email: str
    notes: str
    external_id: str
    created_at: datetime
    updated_at: datetime


class ContactPage(Schema):
    items: list[ContactOut]
    count: int


class ContactIn(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    customer_id: Id
    name: Text(100, 1)
    title: Text(100) = ""
    role: ContactRole = "other"
    department: Text(100) = ""
    reports_to_id: Id | None = None
    phone: Text(40) = ""
    email: Text(254) = ""
    notes: Text(2000) = ""
    external_id: Text(64) = ""


class ContactPatch(Schema):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: Text(100, 1) = Unset()
    title: Text(100) = Unset()
    role: ContactRole = Unset()
    department: Text(100) = Unset()
    reports_to_id: Id | None = Unset()
    phone: Text(40) = Unset()
    email: Text(254) = Unset()
    notes: Text(2000) = Unset()
    external_id: Text(64) = Unset()


class ContactListIn(Schema):
    customer_id: Id = Unset()
    q: Text(100) = ""
    sort: ContactSort = "name"
    page: int = Field(1, ge=1, description="Pages past the end are empty.")
    page_size: int = Field(25, ge=1, le=200)
