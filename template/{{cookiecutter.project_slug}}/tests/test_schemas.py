"""The schemas accept the real data and reject bad frames with the column named."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pandera.errors import SchemaError, SchemaErrors

from {{ cookiecutter.package_name }} import schemas
from {{ cookiecutter.package_name }}.features import FEATURES, ID_COLUMN, TARGET
from {{ cookiecutter.package_name }}.schemas import ProcessedCustomers, RawCustomers

SCHEMA_ERRORS = (SchemaError, SchemaErrors)  # one failed check, or several (a type that cannot be coerced)


def test_the_sample_is_valid_raw_data(raw_customers: pd.DataFrame) -> None:
    validated = RawCustomers.validate(raw_customers)
    assert len(validated) == len(raw_customers)


def test_schemas_cover_exactly_the_feature_spec() -> None:
    assert set(ProcessedCustomers.to_schema().columns) == {*FEATURES, TARGET}
    assert set(RawCustomers.to_schema().columns) == {ID_COLUMN, *FEATURES, TARGET}


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("contract", "lifetime"),
        ("gender", ""),
        ("tenure_months", -1),
        ("monthly_charges", "cheap"),
        ("churned", 2),
        ("customer_id", "not-an-id"),
    ],
)
def test_a_bad_value_is_rejected_with_its_column_named(
    raw_customers: pd.DataFrame, column: str, value: object
) -> None:
    bad = raw_customers.astype({column: object})
    bad.loc[3, column] = value
    with pytest.raises(SCHEMA_ERRORS, match=column):
        RawCustomers.validate(bad)


def test_a_missing_column_is_named(raw_customers: pd.DataFrame) -> None:
    with pytest.raises(SCHEMA_ERRORS, match="support_calls"):
        RawCustomers.validate(raw_customers.drop(columns=["support_calls"]))


def test_an_unexpected_column_is_named(raw_customers: pd.DataFrame) -> None:
    with pytest.raises(SCHEMA_ERRORS, match="favourite_colour"):
        RawCustomers.validate(raw_customers.assign(favourite_colour="blue"))


def test_duplicate_customers_are_rejected(raw_customers: pd.DataFrame) -> None:
    with pytest.raises(SCHEMA_ERRORS, match=ID_COLUMN):
        RawCustomers.validate(pd.concat([raw_customers, raw_customers.head(1)]))


def test_the_command_accepts_the_sample(sample_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert schemas.main([str(sample_csv)]) == 0
    assert "rows valid against RawCustomers" in capsys.readouterr().out


def test_the_command_lists_every_failure(
    raw_customers: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = raw_customers.astype({"contract": object, "churned": object})
    bad.loc[3, "contract"] = "lifetime"
    bad.loc[5, "churned"] = 2
    bad.to_csv(tmp_path / "bad.csv", index=False)

    assert schemas.main([str(tmp_path / "bad.csv")]) == 1
    report = capsys.readouterr().err
    assert "bad.csv: 2 failure(s) against RawCustomers" in report
    assert "lifetime" in report


def test_the_command_names_a_file_it_cannot_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.csv").write_text("")
    assert schemas.main([str(tmp_path / "empty.csv")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'empty.csv'}: ")
