"""Pandera schemas for the data at each boundary of the pipeline: raw input and the processed split.

Validation fails with the column and the offending values named, before a model ever sees bad data.
"""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import DataFrame, Series

from .features import CATEGORIES


class Schema(pa.DataFrameModel):
    """Base for every schema: coerce types read from CSV; reject unexpected columns."""

    class Config:
        coerce = True
        strict = True


class ProcessedCustomers(Schema):
    """One row per customer: the model's features and the churn label."""

    senior_citizen: Series[int] = pa.Field(isin=[0, 1])
    tenure_months: Series[int] = pa.Field(ge=0, le=120)
    monthly_charges: Series[float] = pa.Field(ge=0)
    total_charges: Series[float] = pa.Field(ge=0)
    support_calls: Series[int] = pa.Field(ge=0)
    gender: Series[str] = pa.Field(isin=CATEGORIES["gender"])
    contract: Series[str] = pa.Field(isin=CATEGORIES["contract"])
    internet_service: Series[str] = pa.Field(isin=CATEGORIES["internet_service"])
    payment_method: Series[str] = pa.Field(isin=CATEGORIES["payment_method"])
    churned: Series[int] = pa.Field(isin=[0, 1])


class RawCustomers(ProcessedCustomers):
    """The raw extract: the processed columns plus a unique customer id."""

    customer_id: Series[str] = pa.Field(unique=True, str_matches=r"^C\d+$")


RawFrame = DataFrame[RawCustomers]
ProcessedFrame = DataFrame[ProcessedCustomers]
