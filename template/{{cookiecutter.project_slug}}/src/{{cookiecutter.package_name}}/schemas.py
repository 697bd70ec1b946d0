"""Pandera schemas for the data at each boundary of the pipeline: the raw table and the processed splits.

Validation fails with the column and the offending values named, before a model ever sees bad data.
`SCHEMAS` is how the rest of the project (and code `scaffold add-stage` writes) finds them, by boundary.
Validate a file from the shell (CI runs this on the raw data) with
    python -m {{ cookiecutter.package_name }}.schemas FILE [--schema processed]
exit status 0 valid, 1 invalid (every failure listed), 2 the file cannot be read (CSV, or Parquet).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pandera.pandas as pa
from pandera.errors import SchemaErrors
from pandera.typing import DataFrame, Series

{%- set categories = not cookiecutter._data_spec or cookiecutter._data_spec.columns | selectattr("role", "equalto", "categorical") | list %}
{%- set names = (["CATEGORIES"] if categories else []) + (["CLASSES"] if cookiecutter.task != "regression" else []) %}

{% if names %}from .features import {{ names | join(", ") }}
{% endif %}from .frames import read_table


class Schema(pa.DataFrameModel):
    """Base for every schema: coerce types read from CSV; reject unexpected columns."""

    class Config:
        coerce = True
        strict = True


{% if cookiecutter._data_spec %}{% include "inferred/schema.py" %}{% else %}{% include "examples/" ~ cookiecutter.task ~ "/schema.py" %}{% endif %}

RawFrame = DataFrame[RawData]
ProcessedFrame = DataFrame[ProcessedData]

SCHEMAS: dict[str, type[Schema]] = {"raw": RawData, "processed": ProcessedData}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate a table against one of the project's schemas.")
    parser.add_argument("file", type=Path)
    parser.add_argument("--schema", choices=sorted(SCHEMAS), default="raw")
    args = parser.parse_args(argv)
    try:
        frame = read_table(args.file)
    except (OSError, ValueError, ImportError) as error:  # missing, unreadable, empty, not CSV or Parquet
        print(f"error: {args.file}: {error}", file=sys.stderr)
        return 2
    schema = SCHEMAS[args.schema]
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as errors:
        failures = errors.failure_cases[["column", "check", "failure_case", "index"]]
        print(f"{args.file}: {len(failures)} failure(s) against {schema.__name__}", file=sys.stderr)
        print(failures.to_string(index=False), file=sys.stderr)
        return 1
    print(f"{args.file}: {len(frame)} rows valid against {schema.__name__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
