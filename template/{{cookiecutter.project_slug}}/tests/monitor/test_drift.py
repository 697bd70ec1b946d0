"""The drift check: a drifted sample is caught, new customers of the same kind are not, bad input is named."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.config import load_section
from {{ cookiecutter.package_name }}.contract import load_contract
from {{ cookiecutter.package_name }}.features import FEATURES
from {{ cookiecutter.package_name }}.monitor import drift


def summary(workdir: Path) -> dict[str, object]:
    return json.loads((workdir / "reports/drift.json").read_text())


def test_the_drifted_sample_is_caught(
    check_drift: Callable[..., int], drifted_csv: Path, workdir: Path, project_root: Path
) -> None:
    assert check_drift(drifted_csv) == 1

    result = summary(workdir)
    assert result["drift_detected"] is True
    assert {"tenure_months", "monthly_charges", "contract"} <= set(result["drifted_features"])
    assert "gender" not in result["drifted_features"]  # untouched by the shift
    assert result["drift_share"] == round(len(result["drifted_features"]) / len(FEATURES), 4)
    limit = load_contract(project_root / "model_contract.yaml").slas.data_drift_threshold
    assert result["data_drift_threshold"] == limit and result["drift_share"] > limit


def test_new_customers_of_the_same_kind_are_not_drift(
    check_drift: Callable[..., int], fresh_csv: Path, workdir: Path
) -> None:
    assert check_drift(fresh_csv) == 0

    result = summary(workdir)
    assert (result["drift_detected"], result["drift_share"], result["drifted_features"]) == (False, 0.0, [])
    assert result["current_rows"] == 500 and result["reference_rows"] == 1500
    assert list(result["features"]) == list(FEATURES)
    monthly = result["features"]["monthly_charges"]
    assert set(monthly) == {"feature", "drifted", "score", "method", "threshold"}
    assert monthly["drifted"] is False and monthly["score"] <= monthly["threshold"] == 0.2
    assert monthly["method"] == "psi"  # params.yaml's monitor.drift_method
    markdown = (workdir / "reports/drift.md").read_text()
    assert markdown.startswith("# Data drift: within the contract") and "| monthly_charges | no |" in markdown


def test_the_html_report_shows_every_feature(
    check_drift: Callable[..., int], drifted_csv: Path, workdir: Path
) -> None:
    check_drift(drifted_csv)

    html = (workdir / "reports/drift.html").read_text()
    assert len(html) > 100_000  # Evidently's standalone page with its plots, not an error stub
    assert html.lstrip().lower().startswith("<!doctype html") or "<html" in html[:500]
    assert all(feature in html for feature in FEATURES)


def test_the_service_inference_log_is_current_data(
    check_drift: Callable[..., int], served: tuple[Path, object], workdir: Path
) -> None:
    log, _ = served
    assert check_drift(log) == 0
    assert summary(workdir)["current_rows"] == len(log.read_text().splitlines()) == 300


def test_a_stricter_contract_turns_a_small_shift_into_drift(
    check_drift: Callable[..., int], drifted_csv: Path, workdir: Path, project_root: Path
) -> None:
    contract = yaml.safe_load((project_root / "model_contract.yaml").read_text())
    contract["slas"]["data_drift_threshold"] = 0.9  # tolerate almost anything
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
        ("current.jsonl", '{"features": {"gender": "male"} }\nnot json\n', "current.jsonl:2: not valid JSON"),
        ("current.jsonl", '{"id": "a"}\n', "current.jsonl:1: 'features' is missing or not a JSON object"),
        ("current.jsonl", "\n\n", "current.jsonl: no records"),
        ("current.csv", "gender,contract\nmale,one-year\n", "current.csv: missing column(s) senior_citizen"),
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


def test_a_value_that_is_not_a_number_is_named_by_line(
    check_drift: Callable[..., int], fresh_csv: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = fresh_csv.read_text().splitlines()
    fields = lines[3].split(",")
    fields[lines[0].split(",").index("monthly_charges")] = "lots"  # of the third customer, on line 4
    lines[3] = ",".join(fields)
    current = write(workdir / "current.csv", "\n".join(lines) + "\n")

    assert check_drift(current) == 2
    assert f"{current}:4: monthly_charges: 'lots' is not a number" in capsys.readouterr().err


def test_a_missing_reference_says_how_to_write_it(
    check_drift: Callable[..., int], fresh_csv: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert check_drift(fresh_csv, "--reference", str(workdir / "train.csv")) == 2
    assert "train.csv: file not found (`uv run dvc repro prepare` writes it)" in capsys.readouterr().err


def test_an_unknown_drift_method_names_params_yaml(
    check_drift: Callable[..., int], fresh_csv: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    params = yaml.safe_load((workdir / "params.yaml").read_text())
    params["monitor"]["drift_method"] = "astrology"
    (workdir / "params.yaml").write_text(yaml.safe_dump(params))

    assert check_drift(fresh_csv) == 2
    assert "params.yaml: monitor.drift_method:" in capsys.readouterr().err
    assert not (workdir / "reports").exists()


def test_the_real_params_section_loads(project_root: Path) -> None:
    params = load_section("monitor", drift.MonitorParams, project_root / "params.yaml")
    assert params == drift.MonitorParams(drift_method="psi", drift_method_threshold=0.2, min_current_rows=100)


def test_too_few_current_rows_are_refused(
    check_drift: Callable[..., int], fresh_csv: Path, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    current = write(workdir / "current.csv", "\n".join(fresh_csv.read_text().splitlines()[:51]) + "\n")

    assert check_drift(current) == 2
    assert f"{current}: 50 rows, fewer than the 100 a drift test needs" in capsys.readouterr().err
