"""Pandera schemas for the data at each boundary of the pipeline: raw input and the processed split.

Validation fails with the column and the offending values named, before a model ever sees bad data.
Validate a file from the shell (CI runs this on the sample) with
    python -m {{ cookiecutter.package_name }}.schemas FILE.csv [--schema processed]
exit status 0 valid, 1 invalid (every failure listed), 2 the file cannot be read as CSV.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors
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


SCHEMAS: dict[str, type[Schema]] = {"raw": RawCustomers, "processed": ProcessedCustomers}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate a CSV file against one of the project's schemas.")
    parser.add_argument("file", type=Path)
    parser.add_argument("--schema", choices=sorted(SCHEMAS), default="raw")
    args = parser.parse_args(argv)
    try:
        frame = pd.read_csv(args.file)
    except (OSError, ValueError) as error:  # missing, unreadable, empty or not CSV
        print(f"error: {args.file}: {error}", file=sys.stderr)
        return 2
    try:
        SCHEMAS[args.schema].validate(frame, lazy=True)
    except SchemaErrors as errors:
        failures = errors.failure_cases[["column", "check", "failure_case", "index"]]
        schema = SCHEMAS[args.schema].__name__
        print(f"{args.file}: {len(failures)} failure(s) against {schema}", file=sys.stderr)
        print(failures.to_string(index=False), file=sys.stderr)
        return 1
    print(f"{args.file}: {len(frame)} rows valid against {SCHEMAS[args.schema].__name__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
