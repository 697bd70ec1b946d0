"""Prediction quality once labels arrive: join them to the inference log and hold the served predictions
to the contract's accuracy and ROC AUC targets.

    python -m {{ cookiecutter.package_name }}.monitor.quality --labels labels.csv

The labels file is a CSV with `request_id` and `label` (1 = the customer churned), and `position` (0-based,
the record's place in its request) for requests that predicted several customers. Labels whose prediction
is not in the log are counted and listed, never dropped silently. Writes `reports/monitoring/quality.json`
and `quality.md`; exits 1 when a target fails, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..contract import CONTRACT_FILE, ContractError, Slas, load_contract
from ..gate import Rule, at_least
from ..stages.evaluate import classification_metrics
from .drift import CURRENT_DATA, REPORT_DIR
from .inputs import MonitorInputError, read_csv, read_inference_log, write_text

LABEL_COLUMNS = ("request_id", "label")
KEY = ["request_id", "position"]
LISTED_UNMATCHED = 20  # request ids of unmatched labels named in the reports


@dataclass(frozen=True)
class Quality:
    logged_predictions: int
    labels: int
    matched: int
    unmatched_labels: int  # labels whose request is not in the log
    unmatched_request_ids: list[str]  # the first of them
    unlabeled_predictions: int
    metrics: dict[str, float]
    rules: list[Rule]

    @property
    def passed(self) -> bool:
        return all(rule.passed for rule in self.rules)


def predictions(records: list[tuple[int, dict[str, Any]]], path: Path) -> pd.DataFrame:
    """One row per logged prediction: request id, its position in the request, probability and decision."""
    rows = []
    for line, record in records:
        probability, churned = (record["prediction"].get(key) for key in ("churn_probability", "churned"))
        if not isinstance(probability, int | float) or isinstance(probability, bool):
            raise MonitorInputError(f"{path}:{line}: prediction.churn_probability is not a number")
        if not isinstance(churned, bool):
            raise MonitorInputError(f"{path}:{line}: prediction.churned is not true or false")
        rows.append((record["request_id"], float(probability), int(churned)))
    frame = pd.DataFrame(rows, columns=["request_id", "probability", "predicted"])
    frame["position"] = frame.groupby("request_id").cumcount()
    return frame


def checked_labels(labels: pd.DataFrame, logged: pd.DataFrame, path: Path) -> pd.DataFrame:
    """`labels` with a position for each, its labels 0 or 1, and no prediction labelled twice."""
    empty = labels["request_id"].isna()
    if empty.any():
        raise MonitorInputError(f"{path}:{int(empty.to_numpy().argmax()) + 2}: request_id is empty")
    bad = ~pd.to_numeric(labels["label"], errors="coerce").isin([0, 1])
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise MonitorInputError(f"{path}:{row + 2}: label '{labels['label'].iloc[row]}' is not 0 or 1")
    if "position" not in labels.columns:
        sizes = logged.groupby("request_id").size()
        several = labels["request_id"].map(sizes).fillna(0) > 1
        if several.any():
            row = int(several.to_numpy().argmax())
            request = labels["request_id"].iloc[row]
            raise MonitorInputError(
                f"{path}:{row + 2}: request {request} predicted {sizes[request]} customers: "
                "add a `position` column (0-based, the record's place in the request)"
            )
        labels = labels.assign(position=0)
    position = pd.to_numeric(labels["position"], errors="coerce")
    bad = ~((position >= 0) & (position % 1 == 0))  # NaN, from text, compares false
    if bad.any():
        row = int(bad.to_numpy().argmax())
        value = labels["position"].iloc[row]
        raise MonitorInputError(f"{path}:{row + 2}: position '{value}' is not a whole number from 0")
    labels = labels.assign(position=position)
    twice = labels.duplicated(KEY)
    if twice.any():
        row = int(twice.to_numpy().argmax())
        raise MonitorInputError(f"{path}:{row + 2}: a second label for the same prediction")
    return labels.assign(label=labels["label"].astype(int), position=labels["position"].astype(int))


def run(logged: pd.DataFrame, labels: pd.DataFrame, slas: Slas, labels_path: Path) -> Quality:
    """Join `labels` to `logged` predictions and score the matched ones against the contract's `slas`."""
    joined = labels.merge(logged, on=KEY, how="left", indicator=True)
    matched = joined[joined["_merge"] == "both"]
    unmatched = joined.loc[joined["_merge"] == "left_only", "request_id"]
    if matched.empty:
        raise MonitorInputError(f"{labels_path}: no label matches a logged prediction")
    if matched["label"].nunique() < 2:
        raise MonitorInputError(
            f"{labels_path}: the {len(matched)} matched labels are all {matched['label'].iloc[0]}: "
            "ROC AUC needs both classes"
        )
    metrics = classification_metrics(
        matched["label"].to_numpy(),
        matched["probability"].to_numpy(),
        matched["predicted"].to_numpy(),
    )
    return Quality(
        logged_predictions=len(logged),
        labels=len(labels),
        matched=len(matched),
        unmatched_labels=len(unmatched),
        unmatched_request_ids=sorted(set(unmatched))[:LISTED_UNMATCHED],
        unlabeled_predictions=len(logged) - len(matched),
        metrics=metrics,
        rules=[
            at_least("accuracy", metrics["accuracy"], slas.min_accuracy),
            at_least("roc_auc", metrics["roc_auc"], slas.min_roc_auc),
        ],
    )


def to_markdown(quality: Quality) -> str:
    verdict = "PASSED" if quality.passed else "FAILED"
    unmatched = ", ".join(quality.unmatched_request_ids) or "none"
    lines = [
        f"# Prediction quality: {verdict}",
        "",
        f"- Labels: {quality.labels}, matched to a logged prediction: {quality.matched}",
        f"- Unmatched labels (request not in the log): {quality.unmatched_labels} ({unmatched})",
        f"- Logged predictions without a label yet: {quality.unlabeled_predictions}",
        "",
        "| target | value | limit | result |",
        "|---|---|---|---|",
        *(
            f"| {r.name} | {r.value} | {r.limit} | {'pass' if r.passed else '**FAIL**'} |"
            for r in quality.rules
        ),
    ]
    return "\n".join(lines) + "\n"


def write_reports(quality: Quality, folder: Path) -> None:
    document = {"passed": quality.passed, **asdict(quality)}
    write_text(folder / "quality.json", json.dumps(document, indent=2) + "\n")
    write_text(folder / "quality.md", to_markdown(quality))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, required=True, help="CSV: request_id, label[, position]")
    parser.add_argument("--log", type=Path, default=CURRENT_DATA, help="the service's inference log")
    parser.add_argument("--contract", type=Path, default=CONTRACT_FILE)
    parser.add_argument("--output-dir", type=Path, default=REPORT_DIR)
    args = parser.parse_args(argv)
    try:
        slas = load_contract(args.contract).slas
        logged = predictions(read_inference_log(args.log), args.log)
        labels = read_csv(args.labels, LABEL_COLUMNS, text=("request_id",))
        labels = checked_labels(labels, logged, args.labels)
        quality = run(logged, labels, slas, args.labels)
    except (ContractError, MonitorInputError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    write_reports(quality, args.output_dir)
    print(to_markdown(quality))
    return 0 if quality.passed else 1


if __name__ == "__main__":
    sys.exit(main())
