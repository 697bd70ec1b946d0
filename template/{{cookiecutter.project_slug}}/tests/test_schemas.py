"""The schemas accept valid data and reject, naming the column, a value that breaks any column's check."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pandera.errors import SchemaError, SchemaErrors

from {{ cookiecutter.package_name }} import schemas, synthetic
from {{ cookiecutter.package_name }}.features import FEATURES, ID_COLUMN, TARGET
from {{ cookiecutter.package_name }}.schemas import SCHEMAS

SCHEMA_ERRORS = (SchemaError, SchemaErrors)  # one failed check, or several (a type that cannot be coerced)
CHECKED = [
    pytest.param(name, breaking, id=f"{name}-{breaking.check}")
    for name in [*FEATURES, TARGET]
    for breaking in synthetic.breaking_values(name)
]


def test_schemas_cover_exactly_the_feature_spec() -> None:
    assert set(SCHEMAS["processed"].to_schema().columns) == {*FEATURES, TARGET}
    ids = {ID_COLUMN} if ID_COLUMN else set()
    assert set(SCHEMAS["raw"].to_schema().columns) == {*ids, *FEATURES, TARGET}


def test_rows_drawn_from_the_schema_are_valid(raw_frame: pd.DataFrame) -> None:
    assert len(SCHEMAS["raw"].validate(raw_frame)) == len(raw_frame)


@pytest.mark.parametrize(("name", "breaking"), CHECKED)
def test_a_value_breaking_a_check_is_rejected_with_its_column_named(
    raw_rows: pd.DataFrame, name: str, breaking: synthetic.Breaking
) -> None:
    bad = raw_rows.astype({name: object})
    bad.loc[3, name] = breaking.value
    with pytest.raises(SCHEMA_ERRORS, match=name) as raised:
        SCHEMAS["raw"].validate(bad)
    failing = raised.value.failure_cases if isinstance(raised.value, SchemaErrors) else None
    if failing is not None:
        assert set(failing["column"]) == {name}


def test_a_missing_column_is_named(raw_rows: pd.DataFrame) -> None:
    name = FEATURES[-1]
    with pytest.raises(SCHEMA_ERRORS, match=name):
        SCHEMAS["raw"].validate(raw_rows.drop(columns=[name]))


def test_an_unexpected_column_is_named(raw_rows: pd.DataFrame) -> None:
    with pytest.raises(SCHEMA_ERRORS, match="not_in_the_schema"):
        SCHEMAS["raw"].validate(raw_rows.assign(not_in_the_schema=1))


@pytest.mark.skipif(ID_COLUMN is None, reason="the table has no id column")
def test_duplicate_ids_are_rejected(raw_rows: pd.DataFrame) -> None:
    with pytest.raises(SCHEMA_ERRORS, match=str(ID_COLUMN)):
        SCHEMAS["raw"].validate(pd.concat([raw_rows, raw_rows.head(1)]))


def test_the_command_accepts_valid_data(raw_csv: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert schemas.main([str(raw_csv)]) == 0
    assert f"rows valid against {SCHEMAS['raw'].__name__}" in capsys.readouterr().out


def test_the_command_lists_every_failure(
    raw_rows: pd.DataFrame, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = FEATURES[0], FEATURES[-1]
    bad = raw_rows.astype({first: object, second: object})
    bad.loc[3, first] = synthetic.breaking_values(first)[0].value
    bad.loc[5, second] = synthetic.breaking_values(second)[0].value
    bad.to_csv(tmp_path / "bad.csv", index=False)

    assert schemas.main([str(tmp_path / "bad.csv")]) == 1
    report = capsys.readouterr().err
    assert f"bad.csv: 2 failure(s) against {SCHEMAS['raw'].__name__}" in report
    assert first in report and second in report


def test_the_command_names_a_file_it_cannot_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.csv").write_text("")
    assert schemas.main([str(tmp_path / "empty.csv")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'empty.csv'}: ")
