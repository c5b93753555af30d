"""Schemas shared by the commission, expenses and reports APIs. Money, rates and percentages
travel as decimal strings ("1234.50", "0.0525"), never as JSON numbers (floats)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

MONEY_PATTERN = r"^\d{1,7}(\.\d{1,2})?$"
Money = Annotated[str, Field(pattern=MONEY_PATTERN, max_length=10, description='A decimal string, e.g. "128.50".',
                             examples=["128.50"])]
Rate = Annotated[str, Field(pattern=r"^(0(\.\d{1,4})?|1(\.0{1,4})?)$", max_length=6,
                            description='A fraction from 0 to 1 with at most four decimals: "0.0525" is 5.25%.',
                            examples=["0.0500"])]
Percent = Annotated[str, Field(pattern=r"^(\d{1,2}(\.\d{1,2})?|100(\.0{1,2})?)$", max_length=6,
                               description='A percentage from 0 to 100, e.g. "25.5".', examples=["25.00"])]
Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", max_length=7, description="YYYY-MM",
                             examples=["2026-03"])]
IsoDate = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", max_length=10, description="YYYY-MM-DD",
                               examples=["2026-03-02"])]
