"""Prediction quality once labels arrive: join them to the inference log and hold the served predictions
to the contract's metric targets.

    python -m {{ cookiecutter.package_name }}.monitor.quality --labels labels.csv

The labels file is a CSV with `request_id` and `label` (what really happened: a class of the feature spec,
or the true value for regression), and `position` (0-based, the record's place in its request) for requests
that predicted several records. Labels whose prediction is not in the log are counted and listed, never
dropped silently. The metrics are recomputed by the same code as evaluate and the gate (metrics.py). Writes
`reports/monitoring/quality.json` and `quality.md`; exits 1 when a target fails, 2 on bad input.

When the log also holds a challenger's predictions (a shadow model, serve/shadow.py), the labelled rows
both models predicted score each on the contract's promotion metric, and the report says which wins by the
gate's rule: the challenger when it is better by the contract's `min_improvement`, else the champion. The
comparison informs; the exit status is the champion's targets' alone.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import TypeAdapter, ValidationError

from .. import task
from ..contract import Contract, load_contract
from ..errors import reports_errors
from ..features import CLASSES, TASK
from ..gate import Rule, metric_rules
from ..metrics import METRICS, MetricUndefined, score, score_one
from ..paths import CONTRACT_FILE, INFERENCE_LOG, MONITORING_DIR
from .inputs import SHADOW, SHADOW_FIELDS, MonitorInputError, read_csv, read_inference_log, write_text

LABEL_COLUMNS = ("request_id", "label")
KEY = ["request_id", "position"]
LISTED_UNMATCHED = 20  # request ids of unmatched labels named in the reports
OUTPUT = TypeAdapter(task.Prediction)


@dataclass(frozen=True)
class Comparison:
    """Champion and challenger on the labelled rows both predicted, by the contract's promotion metric."""

    metric: str
    champion_version: str
    challenger_version: str
    rows: int
    champion: float | None  # None: the metric is undefined on these rows (see `winner`)
    challenger: float | None
    winner: str  # "champion", "challenger", or "undecided: <why>"


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
    shadow: list[Comparison] = field(default_factory=list)  # one per champion and challenger version

    @property
    def passed(self) -> bool:
        return all(rule.passed for rule in self.rules)


def predictions(
    records: list[tuple[int, dict[str, Any]]], path: Path, versions: tuple[str, ...] = ()
) -> pd.DataFrame:
    """One row per logged prediction: request id, its position in the request, the answer itself, and the
    `versions` fields asked for."""
    rows = []
    for line, record in records:
        try:
            OUTPUT.validate_python(record["prediction"])
        except ValidationError as error:
            detail = error.errors()[0]
            where = ".".join(str(part) for part in ("prediction", *detail["loc"]))
            raise MonitorInputError(f"{path}:{line}: {where}: {detail['msg']}") from None
        rows.append((record["request_id"], record["prediction"], *(record[name] for name in versions)))
    frame = pd.DataFrame(rows, columns=["request_id", "output", *versions])
    frame["position"] = frame.groupby("request_id").cumcount()
    return frame


def shadow_predictions(path: Path) -> pd.DataFrame:
    """The challenger's logged predictions, keyed like the champion's, with both models' versions."""
    return predictions(read_inference_log(path, SHADOW_FIELDS, SHADOW), path, SHADOW_FIELDS[2:])


def compare(matched: pd.DataFrame, shadowed: pd.DataFrame, contract: Contract) -> list[Comparison]:
    """For each champion and challenger pair, both scored on the labelled rows both predicted."""
    name, margin = contract.promotion.metric, contract.promotion.min_improvement
    metric = METRICS[name]
    both = matched.merge(shadowed.rename(columns={"output": "challenger_output"}), on=KEY)
    comparisons = []
    for (champion_version, challenger_version), rows in both.groupby(["champion_version", "model_version"]):
        actual = np.asarray(rows["label"].tolist(), dtype=float if TASK == "regression" else None)
        versions = (name, str(champion_version), str(challenger_version), len(rows))
        try:
            champion = score_one(name, actual, task.from_outputs(rows["output"].tolist()))
            challenger = score_one(name, actual, task.from_outputs(rows["challenger_output"].tolist()))
        except MetricUndefined as error:  # ROC AUC with one class present, say
            comparisons.append(Comparison(*versions, None, None, f"undecided: {error}"))
            continue
        winner = "challenger" if metric.improves(challenger, champion, margin) else "champion"
        comparisons.append(Comparison(*versions, champion, challenger, winner))
    return comparisons


def parse_labels(values: pd.Series, path: Path) -> pd.Series:
    """Labels as the target's values: a class of the feature spec (as written), or a number."""
    if TASK == "regression":
        numbers = pd.to_numeric(values, errors="coerce")
        bad = numbers.isna()
        expected = "a number"
    else:
        by_text = {str(label): label for label in CLASSES}
        numbers = values.map(by_text)
        bad = numbers.isna()
        expected = f"one of {', '.join(by_text)}"
    if bad.any():
        row = int(bad.to_numpy().argmax())
        raise MonitorInputError(f"{path}:{row + 2}: label '{values.iloc[row]}' is not {expected}")
    return numbers


def checked_labels(labels: pd.DataFrame, logged: pd.DataFrame, path: Path) -> pd.DataFrame:
    """`labels` with a position for each, its labels the target's values, and no prediction labelled twice."""
    empty = labels["request_id"].isna()
    if empty.any():
        raise MonitorInputError(f"{path}:{int(empty.to_numpy().argmax()) + 2}: request_id is empty")
    labels = labels.assign(label=parse_labels(labels["label"], path))
    if "position" not in labels.columns:
        sizes = logged.groupby("request_id").size()
        several = labels["request_id"].map(sizes).fillna(0) > 1
        if several.any():
            row = int(several.to_numpy().argmax())
            request = labels["request_id"].iloc[row]
            raise MonitorInputError(
                f"{path}:{row + 2}: request {request} predicted {sizes[request]} records: "
                "add a `position` column (0-based, the record's place in the request)"
            )
        labels = labels.assign(position=0)
    position = pd.to_numeric(labels["position"], errors="coerce")
    bad = ~((position >= 0) & (position % 1 == 0))  # NaN, from text, compares false
    if bad.any():
        row = int(bad.to_numpy().argmax())
        value = labels["position"].iloc[row]
        raise MonitorInputError(f"{path}:{row + 2}: position '{value}' is not a whole number from 0")
    labels = labels.assign(position=position.astype(int))
    twice = labels.duplicated(KEY)
    if twice.any():
        row = int(twice.to_numpy().argmax())
        raise MonitorInputError(f"{path}:{row + 2}: a second label for the same prediction")
    return labels


def run(
    logged: pd.DataFrame,
    labels: pd.DataFrame,
    contract: Contract,
    labels_path: Path,
    shadowed: pd.DataFrame | None = None,
) -> Quality:
    """Join `labels` to `logged` predictions and score the matched ones against the contract's targets;
    compare the champion with the challenger's `shadowed` predictions of the same rows."""
    joined = labels.merge(logged, on=KEY, how="left", indicator=True)
    matched = joined[joined["_merge"] == "both"]
    unmatched = joined.loc[joined["_merge"] == "left_only", "request_id"]
    if matched.empty:
        raise MonitorInputError(f"{labels_path}: no label matches a logged prediction")
    actual = np.asarray(matched["label"].tolist(), dtype=float if TASK == "regression" else None)
    try:
        metrics = score(actual, task.from_outputs(matched["output"].tolist()))
    except MetricUndefined as error:
        raise MonitorInputError(f"{labels_path}: the {len(matched)} matched labels: {error}") from None
    return Quality(
        logged_predictions=len(logged),
        labels=len(labels),
        matched=len(matched),
        unmatched_labels=len(unmatched),
        unmatched_request_ids=sorted(set(unmatched))[:LISTED_UNMATCHED],
        unlabeled_predictions=len(logged) - len(matched),
        metrics=metrics,
        rules=metric_rules(metrics, contract),
        shadow=[] if shadowed is None or shadowed.empty else compare(matched, shadowed, contract),
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
    if quality.shadow:
        lines += [
            "",
            "## Champion and challenger (shadow), on the labelled rows both predicted",
            "",
            "| metric | champion | challenger | rows | champion's value | challenger's value | winner |",
            "|---|---|---|---|---|---|---|",
            *(
                f"| {c.metric} | {c.champion_version} | {c.challenger_version} | {c.rows} "
                f"| {c.champion} | {c.challenger} | {c.winner} |"
                for c in quality.shadow
            ),
        ]
    return "\n".join(lines) + "\n"


def write_reports(quality: Quality, folder: Path) -> None:
    document = {"passed": quality.passed, **asdict(quality)}
    write_text(folder / "quality.json", json.dumps(document, indent=2) + "\n")
    write_text(folder / "quality.md", to_markdown(quality))


@reports_errors
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=Path, required=True, help="CSV: request_id, label[, position]")
    parser.add_argument("--log", type=Path, default=INFERENCE_LOG, help="the service's inference log")
    parser.add_argument("--contract", type=Path, default=CONTRACT_FILE)
    parser.add_argument("--output-dir", type=Path, default=MONITORING_DIR)
    args = parser.parse_args(argv)
    contract = load_contract(args.contract)
    logged = predictions(read_inference_log(args.log), args.log)
    labels = read_csv(args.labels, LABEL_COLUMNS, text=("request_id", "label"))
    labels = checked_labels(labels, logged, args.labels)
    quality = run(logged, labels, contract, args.labels, shadow_predictions(args.log))
    write_reports(quality, args.output_dir)
    print(to_markdown(quality))
    return 0 if quality.passed else 1


if __name__ == "__main__":
    sys.exit(main())
