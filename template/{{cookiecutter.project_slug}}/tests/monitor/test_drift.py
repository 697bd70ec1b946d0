"""The drift check: a drifted sample is caught, new rows of the same kind are not, bad input is named."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }}.config import load_section
from {{ cookiecutter.package_name }}.contract import Contract
from {{ cookiecutter.package_name }}.features import (
    FEATURES,
    NUMERIC_FEATURES,
    PERSONAL_FEATURES,
)
from {{ cookiecutter.package_name }}.monitor import drift
from {{ cookiecutter.package_name }}.serve.inference_log import InferenceLog
from {{ cookiecutter.package_name }}.serve.personal import PersonalData
from {{ cookiecutter.package_name }}.stages import prepare


def summary(workdir: Path) -> dict[str, object]:
    return json.loads((workdir / "reports/drift.json").read_text())


def test_the_drifted_sample_is_caught(
    check_drift: Callable[..., int], drifted_csv: Path, workdir: Path, contract: Contract
) -> None:
    assert check_drift(drifted_csv) == 1

    result = summary(workdir)
    assert result["drift_detected"] is True
    # The sample shifts every feature; personal ones are not compared (the log holds them hashed or not).
    assert set(result["drifted_features"]) == set(drift.MONITORED_FEATURES)
    assert result["drift_share"] == 1.0
    limit = contract.slas.data_drift_threshold
    assert result["data_drift_threshold"] == limit and result["drift_share"] > limit


def test_new_rows_of_the_same_kind_are_not_drift(
    check_drift: Callable[..., int],
    fresh_csv: Path,
    workdir: Path,
    split: prepare.Split,
    project_root: Path,
    sample_rows: int,
) -> None:
    assert check_drift(fresh_csv) == 0

    result = summary(workdir)
    assert (result["drift_detected"], result["drift_share"], result["drifted_features"]) == (False, 0.0, [])
    assert result["current_rows"] == sample_rows and result["reference_rows"] == len(split.train)
    assert list(result["features"]) == list(drift.MONITORED_FEATURES)
    params = load_section("monitor", drift.MonitorParams, project_root / "params.yaml")
    first = result["features"][drift.MONITORED_FEATURES[0]]
    assert set(first) == {"feature", "drifted", "score", "method", "threshold"}
    if params.drift_method is not None:
        assert first["method"] == params.drift_method
    if params.drift_method_threshold is not None:
        assert first["threshold"] == params.drift_method_threshold
    markdown = (workdir / "reports/drift.md").read_text()
    row = f"| {drift.MONITORED_FEATURES[0]} | no |"
    assert markdown.startswith("# Data drift: within the contract") and row in markdown


def test_the_html_report_shows_every_feature(
    check_drift: Callable[..., int], drifted_csv: Path, workdir: Path
) -> None:
    check_drift(drifted_csv)

    html = (workdir / "reports/drift.html").read_text()
    assert len(html) > 100_000  # Evidently's standalone page with its plots, not an error stub
    assert html.lstrip().lower().startswith("<!doctype html") or "<html" in html[:500]
    assert all(feature in html for feature in drift.MONITORED_FEATURES)


def test_the_service_inference_log_is_current_data(
    check_drift: Callable[..., int], served: tuple[Path, object], workdir: Path
) -> None:
    log, _ = served
    logged = len(log.read_text().splitlines())
    if logged < load_section("monitor", drift.MonitorParams).min_current_rows:
        pytest.skip(f"the log's {logged} rows are fewer than params.yaml's monitor.min_current_rows")
    assert check_drift(log) == 0  # personal features logged as null (no hash key): left out, not drift
    assert summary(workdir)["current_rows"] == logged == 300
    assert list(summary(workdir)["features"]) == list(drift.MONITORED_FEATURES)


def test_a_log_with_hashed_personal_features_is_current_data(
    check_drift: Callable[..., int], split: prepare.Split, workdir: Path, sample_rows: int
) -> None:
    """Hashes are not compared with the training values (they would all drift): drift leaves them out."""
    rows = json.loads(split.test.head(sample_rows)[list(FEATURES)].to_json(orient="records"))
    if len(rows) < load_section("monitor", drift.MonitorParams).min_current_rows:
        pytest.skip(f"the held-out split's {len(rows)} rows are fewer than monitor.min_current_rows")
    log = InferenceLog(workdir / "inference.jsonl", personal=PersonalData(PERSONAL_FEATURES, b"k" * 32))

    async def write() -> None:
        log.start()
        log.record([{"request_id": str(n), "prediction": {}, "features": row} for n, row in enumerate(rows)])
        log.close()

    asyncio.run(write())
    assert check_drift(log.path) == 0
    result = summary(workdir)
    assert list(result["features"]) == list(drift.MONITORED_FEATURES)
    assert not set(PERSONAL_FEATURES) & set(result["features"]) and result["current_rows"] == len(rows)


def test_a_lenient_contract_tolerates_the_shift(
    check_drift: Callable[..., int], drifted_csv: Path, workdir: Path, project_root: Path
) -> None:
    contract = yaml.safe_load((project_root / "model_contract.yaml").read_text())
    contract["slas"]["data_drift_threshold"] = 1.0  # tolerate anything
    path = workdir / "model_contract.yaml"
    path.write_text(yaml.safe_dump(contract))

    assert check_drift(drifted_csv, "--contract", str(path)) == 0
    assert summary(workdir)["drift_detected"] is False and summary(workdir)["drift_share"] > 0


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("missing.csv", None, "missing.csv: file not found"),
        ("current.jsonl", '{"features": {} }\nnot json\n', "current.jsonl:2: not valid JSON"),
        ("current.jsonl", '{"id": "a"}\n', "current.jsonl:1: 'features' is missing or not a JSON object"),
        ("current.jsonl", "\n\n", "current.jsonl: no records"),
        ("current.csv", f"{FEATURES[-1]}\n1\n", f"current.csv: missing column(s) {FEATURES[0]}"),
        ("current.parquet", "", "current.parquet: expected an inference log (.jsonl) or a batch file (.csv)"),
    ],
)
def test_bad_current_data_exits_2_naming_the_file(
    check_drift: Callable[..., int],
    workdir: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    text: str | None,
    message: str,
) -> None:
    path = workdir / name if text is None else write(workdir / name, text)

    assert check_drift(path) == 2

    error = capsys.readouterr().err
    assert error.startswith("error: ") and f"{workdir}/{message}" in error and error.count("\n") == 1
    assert not (workdir / "reports").exists()  # nothing half-written


@pytest.mark.skipif(not NUMERIC_FEATURES, reason="the feature spec has no numeric feature")
def test_a_value_that_is_not_a_number_is_named_by_line(
    check_drift: Callable[..., int], fresh_csv: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = NUMERIC_FEATURES[0]
    rows = pd.read_csv(fresh_csv).astype({name: object})
    rows.loc[2, name] = "lots"  # the third row, on line 4
    current = workdir / "current.csv"
    rows.to_csv(current, index=False)

    assert check_drift(current) == 2
    assert f"{current}:4: {name}: 'lots' is not a number" in capsys.readouterr().err


def test_a_missing_reference_says_how_to_write_it(
    check_drift: Callable[..., int], fresh_csv: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check_drift(fresh_csv, "--reference", str(workdir / "train.csv")) == 2
    assert "train.csv: file not found (`uv run dvc repro` writes it)" in capsys.readouterr().err


def test_an_unknown_drift_method_names_params_yaml(
    check_drift: Callable[..., int], fresh_csv: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params = yaml.safe_load((workdir / "params.yaml").read_text())
    params["monitor"]["drift_method"] = "astrology"
    (workdir / "params.yaml").write_text(yaml.safe_dump(params))

    assert check_drift(fresh_csv) == 2
    assert "params.yaml: monitor.drift_method:" in capsys.readouterr().err
    assert not (workdir / "reports").exists()


def test_too_few_current_rows_are_refused(
    check_drift: Callable[..., int], fresh_csv: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    minimum = load_section("monitor", drift.MonitorParams).min_current_rows
    current = write(workdir / "current.csv", "\n".join(fresh_csv.read_text().splitlines()[:minimum]) + "\n")

    assert check_drift(current) == 2
    assert (
        f"{current}: {minimum - 1} rows, fewer than the {minimum} a drift test needs"
        in capsys.readouterr().err
    )
