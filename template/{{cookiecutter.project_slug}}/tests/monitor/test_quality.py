"""Prediction quality: late labels join the service's log by request id; the contract's targets hold."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, roc_auc_score

from {{ cookiecutter.package_name }}.contract import load_contract
from {{ cookiecutter.package_name }}.monitor import quality

Served = tuple[Path, pd.DataFrame]


def check(labels: pd.DataFrame | str, log: Path, tmp_path: Path, project_root: Path) -> int:
    path = tmp_path / "labels.csv"
    if isinstance(labels, str):
        path.write_text(labels)
    else:
        labels.to_csv(path, index=False)
    return quality.main(
        [
            *("--labels", str(path), "--log", str(log)),
            *("--contract", str(project_root / "model_contract.yaml")),
            *("--output-dir", str(tmp_path / "reports")),
        ]
    )


def report(tmp_path: Path) -> dict[str, object]:
    return json.loads((tmp_path / "reports/quality.json").read_text())


def logged(log: Path) -> pd.DataFrame:
    records = [json.loads(line) for line in log.read_text().splitlines()]
    frame = pd.DataFrame(
        {
            "request_id": [r["request_id"] for r in records],
            "probability": [r["prediction"]["churn_probability"] for r in records],
            "churned": [int(r["prediction"]["churned"]) for r in records],
        }
    )
    return frame.assign(position=frame.groupby("request_id").cumcount())


def test_labels_join_by_request_and_position_and_the_metrics_are_recomputed(
    served: Served, tmp_path: Path, project_root: Path
) -> None:
    log, truth = served
    labels = pd.concat(
        [
            truth.iloc[20:],  # the first 20 predictions have no label yet
            pd.DataFrame({"request_id": ["gone-1", "gone-2"], "position": [0, 0], "label": [1, 0]}),
        ]
    )

    status = check(labels, log, tmp_path, project_root)

    result = report(tmp_path)
    assert (result["logged_predictions"], result["labels"], result["matched"]) == (300, 282, 280)
    assert (result["unmatched_labels"], result["unmatched_request_ids"]) == (2, ["gone-1", "gone-2"])
    assert result["unlabeled_predictions"] == 20
    expected = truth.iloc[20:].merge(logged(log), on=["request_id", "position"])
    assert result["metrics"]["accuracy"] == round(accuracy_score(expected["label"], expected["churned"]), 4)
    assert result["metrics"]["roc_auc"] == round(roc_auc_score(expected["label"], expected["probability"]), 4)
    slas = load_contract(project_root / "model_contract.yaml").slas
    metrics = result["metrics"]
    passed = metrics["accuracy"] >= slas.min_accuracy and metrics["roc_auc"] >= slas.min_roc_auc
    assert result["passed"] is passed and status == (0 if passed else 1)
    markdown = (tmp_path / "reports/quality.md").read_text()
    assert "Unmatched labels (request not in the log): 2 (gone-1, gone-2)" in markdown


def test_predictions_that_came_true_pass(served: Served, tmp_path: Path, project_root: Path) -> None:
    log, _ = served
    came_true = logged(log).rename(columns={"churned": "label"})[["request_id", "position", "label"]]

    assert check(came_true, log, tmp_path, project_root) == 0
    assert report(tmp_path)["metrics"]["accuracy"] == 1.0 and report(tmp_path)["passed"] is True


def test_a_failed_target_is_named_and_exits_1(served: Served, tmp_path: Path, project_root: Path) -> None:
    log, truth = served
    wrong = truth.assign(label=1 - truth["label"])  # every outcome the opposite of what happened

    assert check(wrong, log, tmp_path, project_root) == 1
    failed = [rule["name"] for rule in report(tmp_path)["rules"] if not rule["passed"]]
    assert failed == ["accuracy", "roc_auc"]
    assert "| accuracy |" in (tmp_path / "reports/quality.md").read_text()


def test_single_record_requests_need_no_position(served: Served, tmp_path: Path, project_root: Path) -> None:
    log, truth = served
    singles = truth.groupby("request_id").filter(lambda rows: len(rows) == 1)[["request_id", "label"]]

    check(singles, log, tmp_path, project_root)
    assert report(tmp_path)["matched"] == len(singles) == 100


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ("request_id,outcome\nabc,1\n", "labels.csv: missing column(s) label"),
        ("request_id,label\nabc,1\nabd,yes\n", "labels.csv:3: label 'yes' is not 0 or 1"),
        ("request_id,label,position\nabc,1,0\nabc,0,0\n", "labels.csv:3: a second label for the same"),
        ("request_id,label,position\nabc,1,-1\n", "labels.csv:2: position '-1' is not a whole number from 0"),
        ("request_id,label\nabc,1\n", "labels.csv: no label matches a logged prediction"),
        ("request_id,label\nabc,1\n,0\n", "labels.csv:3: request_id is empty"),
        ("", "labels.csv: not a readable CSV file"),
    ],
)
def test_bad_labels_exit_2_naming_the_file(
    served: Served,
    tmp_path: Path,
    project_root: Path,
    capsys: pytest.CaptureFixture[str],
    labels: str,
    message: str,
) -> None:
    log, _ = served

    assert check(labels, log, tmp_path, project_root) == 2
    assert f"{tmp_path}/{message}" in capsys.readouterr().err
    assert not (tmp_path / "reports").exists()


def test_a_batch_label_without_position_is_refused(
    served: Served, tmp_path: Path, project_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log, truth = served
    batch_request = truth["request_id"].iloc[-1]

    assert check(f"request_id,label\n{batch_request},1\n", log, tmp_path, project_root) == 2
    assert f"labels.csv:2: request {batch_request} predicted 20 customers: add a `position` column" in (
        capsys.readouterr().err
    )


def test_a_broken_log_line_is_named(
    tmp_path: Path, project_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "inference.jsonl"
    good = '{"request_id": "a", "prediction": {"churn_probability": 0.3, "churned": false} }'
    log.write_text(good + '\n{"request_id"\n')

    assert check("request_id,label\na,0\n", log, tmp_path, project_root) == 2
    assert f"{log}:2: not valid JSON" in capsys.readouterr().err


def test_request_ids_are_matched_as_written(tmp_path: Path, project_root: Path) -> None:
    log = tmp_path / "inference.jsonl"
    ids = ["1e5", "0012"]  # a CSV reader would take them for numbers
    predictions = [{"churn_probability": 0.9, "churned": True}, {"churn_probability": 0.2, "churned": False}]
    pairs = zip(ids, predictions, strict=True)
    records = [{"request_id": id_, "prediction": prediction} for id_, prediction in pairs]
    log.write_text("".join(json.dumps(record) + "\n" for record in records))

    assert check("request_id,label\n1e5,1\n0012,0\n", log, tmp_path, project_root) == 0
    assert report(tmp_path)["matched"] == 2
