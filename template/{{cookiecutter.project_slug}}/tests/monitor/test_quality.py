"""Prediction quality: late labels join the service's log by request id and position; the contract's
metric targets hold, recomputed by the same code as evaluate and the gate."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from {{ cookiecutter.package_name }} import task
from {{ cookiecutter.package_name }}.contract import Contract
from {{ cookiecutter.package_name }}.features import CLASSES, TASK
from {{ cookiecutter.package_name }}.metrics import METRICS, score
from {{ cookiecutter.package_name }}.monitor import inputs, quality

Served = tuple[Path, pd.DataFrame]


def check(labels: pd.DataFrame | str, log: Path, tmp_path: Path, contract: Path) -> int:
    path = tmp_path / "labels.csv"
    if isinstance(labels, str):
        path.write_text(labels)
    else:
        labels.to_csv(path, index=False)
    return quality.main(
        [
            *("--labels", str(path), "--log", str(log)),
            *("--contract", str(contract)),
            *("--output-dir", str(tmp_path / "reports")),
        ]
    )


@pytest.fixture
def contract_file(project_root: Path) -> Path:
    return project_root / "model_contract.yaml"


def with_targets(tmp_path: Path, project_root: Path, targets: dict[str, dict[str, float]]) -> Path:
    document = yaml.safe_load((project_root / "model_contract.yaml").read_text())
    document["slas"]["metrics"] = targets
    path = tmp_path / "model_contract.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def report(tmp_path: Path) -> dict[str, object]:
    return json.loads((tmp_path / "reports/quality.json").read_text())


def logged(log: Path) -> pd.DataFrame:
    records = [json.loads(line) for line in log.read_text().splitlines()]
    frame = pd.DataFrame(
        {"request_id": [r["request_id"] for r in records], "output": [r["prediction"] for r in records]}
    )
    return frame.assign(position=frame.groupby("request_id").cumcount())


def wrong(labels: pd.Series) -> pd.Series:
    """Each label replaced by another class (or a far-off value): every prediction turned wrong."""
    if TASK == "regression":
        return labels.astype(float) * 10 + 1e6
    return labels.map(lambda label: CLASSES[(CLASSES.index(label) + 1) % len(CLASSES)])


def test_labels_join_by_request_and_position_and_the_metrics_are_recomputed(
    served: Served, tmp_path: Path, contract_file: Path
) -> None:
    log, truth = served
    unknown = pd.DataFrame(
        {"request_id": ["gone-1", "gone-2"], "position": [0, 0], "label": truth["label"].iloc[:2]}
    )
    labels = pd.concat([truth.iloc[20:], unknown])  # the first 20 predictions have no label yet

    status = check(labels, log, tmp_path, contract_file)

    result = report(tmp_path)
    assert (result["logged_predictions"], result["labels"], result["matched"]) == (300, 282, 280)
    assert (result["unmatched_labels"], result["unmatched_request_ids"]) == (2, ["gone-1", "gone-2"])
    assert result["unlabeled_predictions"] == 20
    expected = truth.iloc[20:].merge(logged(log), on=["request_id", "position"])
    actual = np.asarray(expected["label"].tolist(), dtype=float if TASK == "regression" else None)
    assert result["metrics"] == score(actual, task.from_outputs(expected["output"].tolist()))
    assert set(result["metrics"]) == set(METRICS)
    assert result["passed"] is all(rule["passed"] for rule in result["rules"])
    assert status == (0 if result["passed"] else 1)
    markdown = (tmp_path / "reports/quality.md").read_text()
    assert "Unmatched labels (request not in the log): 2 (gone-1, gone-2)" in markdown


def test_a_target_the_served_predictions_miss_fails_and_exits_1(
    served: Served, tmp_path: Path, project_root: Path
) -> None:
    log, truth = served
    name = next(iter(METRICS))
    labels = truth.assign(label=wrong(truth["label"]))  # every prediction wrong: far from the best score
    check(labels, log, tmp_path, project_root / "model_contract.yaml")
    metrics = report(tmp_path)["metrics"]
    assert isinstance(metrics, dict)
    measured = float(metrics[name])
    # A target just better than the served predictions reach, within the metric's range (the schema's).
    if METRICS[name].higher_is_better:
        missed = {"min": measured + abs(measured) / 2 + 0.01}
    else:
        missed = {"max": measured / 2}

    assert check(labels, log, tmp_path, with_targets(tmp_path, project_root, {name: missed})) == 1
    assert [rule["name"] for rule in report(tmp_path)["rules"] if not rule["passed"]] == [name]
    assert f"| {name} |" in (tmp_path / "reports/quality.md").read_text()


def test_wrong_predictions_score_worse_than_right_ones(
    served: Served, tmp_path: Path, contract_file: Path
) -> None:
    log, truth = served
    check(truth, log, tmp_path, contract_file)
    right = report(tmp_path)["metrics"]
    check(truth.assign(label=wrong(truth["label"])), log, tmp_path, contract_file)
    turned = report(tmp_path)["metrics"]
    for name, metric in METRICS.items():
        if name in ("roc_auc", "log_loss", "r2") and TASK != "regression":
            continue  # ranks and probabilities of rotated classes can tie
        assert metric.improves(right[name], turned[name]), name


def test_single_record_requests_need_no_position(served: Served, tmp_path: Path, contract_file: Path) -> None:
    log, truth = served
    singles = truth.groupby("request_id").filter(lambda rows: len(rows) == 1)[["request_id", "label"]]

    check(singles, log, tmp_path, contract_file)
    assert report(tmp_path)["matched"] == len(singles) == 100


BAD_LABEL = "not-a-number" if TASK == "regression" else f"not-{CLASSES[0]}"


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ("request_id,outcome\nabc,1\n", "labels.csv: missing column(s) label"),
        (
            f"request_id,label\nabc,{CLASSES[0] if CLASSES else 1}\nabd,{BAD_LABEL}\n",
            f"labels.csv:3: label '{BAD_LABEL}' is not",
        ),
        ("request_id,label,position\nabc,{0},0\nabc,{0},0\n", "labels.csv:3: a second label for the same"),
        (
            "request_id,label,position\nabc,{0},-1\n",
            "labels.csv:2: position '-1' is not a whole number from 0",
        ),
        ("request_id,label\nabc,{0}\n", "labels.csv: no label matches a logged prediction"),
        ("request_id,label\nabc,{0}\n,{0}\n", "labels.csv:3: request_id is empty"),
        ("", "labels.csv: not a readable CSV file"),
    ],
)
def test_bad_labels_exit_2_naming_the_file(
    served: Served,
    tmp_path: Path,
    contract_file: Path,
    capsys: pytest.CaptureFixture[str],
    labels: str,
    message: str,
) -> None:
    log, _ = served
    valid = CLASSES[0] if CLASSES else 1.5

    assert check(labels.replace("{0}", str(valid)), log, tmp_path, contract_file) == 2
    error = capsys.readouterr().err
    assert f"{tmp_path}/{message}" in error and error.count("\n") == 1
    assert not (tmp_path / "reports").exists()


def test_a_batch_label_without_position_is_refused(
    served: Served, tmp_path: Path, contract_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log, truth = served
    batch_request, label = truth["request_id"].iloc[-1], truth["label"].iloc[-1]

    assert check(f"request_id,label\n{batch_request},{label}\n", log, tmp_path, contract_file) == 2
    assert f"labels.csv:2: request {batch_request} predicted 20 records: add a `position` column" in (
        capsys.readouterr().err
    )


def test_a_broken_log_line_is_named(
    served: Served, tmp_path: Path, contract_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log, truth = served
    broken = tmp_path / "inference.jsonl"
    broken.write_text(log.read_text().splitlines()[0] + '\n{"request_id"\n')

    assert check(f"request_id,label\nabc,{truth['label'].iloc[0]}\n", broken, tmp_path, contract_file) == 2
    assert f"{broken}:2: not valid JSON" in capsys.readouterr().err


def test_a_logged_answer_that_is_not_the_tasks_is_named(
    served: Served, tmp_path: Path, contract_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log, truth = served
    entry = json.loads(log.read_text().splitlines()[0])
    entry["prediction"] = {"something": "else"}
    broken = tmp_path / "inference.jsonl"
    broken.write_text(json.dumps(entry) + "\n")

    assert check(f"request_id,label\nabc,{truth['label'].iloc[0]}\n", broken, tmp_path, contract_file) == 2
    assert f"{broken}:1: prediction" in capsys.readouterr().err


def test_request_ids_are_matched_as_written(served: Served, tmp_path: Path, contract_file: Path) -> None:
    log, truth = served
    ids = {truth["request_id"].iloc[0]: "1e5", truth["request_id"].iloc[1]: "0012"}  # a CSV reader's numbers
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    for entry in entries:
        entry["request_id"] = ids.get(entry["request_id"], entry["request_id"])
    renamed = tmp_path / "inference.jsonl"
    renamed.write_text("".join(json.dumps(entry) + "\n" for entry in entries))

    check(truth.assign(request_id=truth["request_id"].replace(ids)), renamed, tmp_path, contract_file)
    assert report(tmp_path)["matched"] == len(truth)


def challenger_answers(labels: list[object]) -> list[dict[str, object]]:
    """The answers of a challenger certain of `labels` (task.outputs' shape): right if they are true."""
    if TASK == "regression":
        return task.outputs(task.Predictions(np.asarray(labels, dtype=float)))
    classes = tuple(sorted(CLASSES))
    certain = np.array([[1.0 if label == known else 0.0 for known in classes] for label in labels])
    return task.outputs(task.Predictions(np.asarray(labels, dtype=object), certain, classes))


def with_challenger(log: Path, answers: list[dict[str, object]], tmp_path: Path) -> Path:
    """The served log and, after it, a challenger's entry for each of its predictions, as serve/shadow.py
    writes them (`role` shadow, the same request id, both versions, no features)."""
    champion = [json.loads(line) for line in log.read_text().splitlines()]
    shadow = [
        {
            "request_id": entry["request_id"],
            "role": "shadow",
            "model_version": "2",
            "champion_version": entry["model_version"],
            "timestamp": entry["timestamp"],
            "prediction": answer,
        }
        for entry, answer in zip(champion, answers, strict=True)
    ]
    path = tmp_path / "shadowed.jsonl"
    path.write_text("".join(json.dumps(entry) + "\n" for entry in [*champion, *shadow]))
    return path


@pytest.mark.parametrize("challenger", ["same", "right", "wrong"])
def test_the_challenger_is_held_to_the_champion_on_the_promotion_metric(
    served: Served, tmp_path: Path, project_root: Path, contract: Contract, challenger: str
) -> None:
    log, truth = served
    answers = {
        "same": logged(log)["output"].tolist(),  # the champion's own answers
        "right": challenger_answers(truth["label"].tolist()),
        "wrong": challenger_answers(wrong(truth["label"]).tolist()),
    }[challenger]
    document = yaml.safe_load((project_root / "model_contract.yaml").read_text())
    document["promotion"]["min_improvement"] = 0  # any improvement wins
    contract_file = tmp_path / "model_contract.yaml"
    contract_file.write_text(yaml.safe_dump(document))

    check(truth, with_challenger(log, answers, tmp_path), tmp_path, contract_file)

    result = report(tmp_path)
    assert (result["logged_predictions"], result["matched"]) == (300, 300)  # the champion's only
    [compared] = result["shadow"]
    assert (compared["metric"], compared["challenger_version"], compared["rows"]) == (
        contract.promotion.metric,
        "2",
        300,
    )
    metric = METRICS[contract.promotion.metric]
    if challenger == "right":  # always wins, unless the champion was right about every row too
        tied = compared["champion"] == compared["challenger"]
        assert compared["winner"] == ("champion" if tied else "challenger")
        assert not metric.improves(compared["champion"], compared["challenger"])
    else:  # a tie, or a loss: the champion stays
        assert compared["winner"] == "champion"
        if challenger == "same":
            assert compared["champion"] == compared["challenger"] == result["metrics"][metric.name]
    markdown = (tmp_path / "reports/quality.md").read_text()
    assert f"| {compared['winner']} |" in markdown.split("## Champion and challenger")[1]


def test_drift_reads_the_champions_features_only(served: Served, tmp_path: Path) -> None:
    log, _ = served
    shadowed = with_challenger(log, logged(log)["output"].tolist(), tmp_path)
    assert inputs.read_features(shadowed).equals(inputs.read_features(log))
