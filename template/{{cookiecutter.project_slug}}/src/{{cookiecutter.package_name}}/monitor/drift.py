"""Data drift between the training split and current data, measured with Evidently and held to the contract.

    python -m {{ cookiecutter.package_name }}.monitor.drift --current logs/inference.jsonl

checks the service's inference log (or a batch `.csv`) and writes `reports/monitoring/drift.html` for people,
`drift.json` (each feature's drift score and verdict, and the drifted share) and `drift.md` (the summary CI
posts). It exits 1 when the share of drifted features is above the contract's `slas.data_drift_threshold`,
2 on bad input. `make drift` runs it; `make drift-demo` runs it on a drifted sample. Personal features
(features.py's PERSONAL_FEATURES) are left out: the log holds them hashed or not at all (serve/personal.py).
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
from evidently import DataDefinition, Dataset, Report
from evidently.presets import DataDriftPreset

from ..config import ConfigError, load_section
from ..contract import load_contract
from ..errors import reports_errors
from ..features import BOOLEAN_FEATURES, CATEGORICAL_FEATURES, FEATURES, NUMERIC_FEATURES, PERSONAL_FEATURES
from ..paths import CONTRACT_FILE, INFERENCE_LOG, MONITORING_DIR, PARAMS_FILE, model_frames
from .inputs import MonitorInputError, read_features, write_text

MONITORED_FEATURES = tuple(name for name in FEATURES if name not in PERSONAL_FEATURES)


@dataclass(frozen=True)
class MonitorParams:
    drift_method: str | None  # Evidently's per-feature test; None picks one by type and size
    drift_method_threshold: float | None  # that test's threshold; None is the test's default
    min_current_rows: int  # fewer rows are refused: no distribution to compare


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    drifted: bool
    score: float
    method: str
    threshold: float


@dataclass(frozen=True)
class DriftSummary:
    reference_rows: int
    current_rows: int
    features: list[FeatureDrift]
    drift_share: float  # drifted features / features
    limit: float  # the contract's data_drift_threshold: a share above it is drift

    @property
    def drifted_features(self) -> list[str]:
        return [feature.feature for feature in self.features if feature.drifted]

    @property
    def drift_detected(self) -> bool:
        return self.drift_share > self.limit


def run(
    reference: pd.DataFrame, current: pd.DataFrame, params: MonitorParams, limit: float
) -> tuple[DriftSummary, Any]:
    """Compare the features of `current` with `reference`; the summary and Evidently's snapshot."""
    if not MONITORED_FEATURES:
        raise MonitorInputError("every feature is personal (features.py: PERSONAL_FEATURES): none to compare")
    monitored = list(MONITORED_FEATURES)
    definition = DataDefinition(
        numerical_columns=[name for name in NUMERIC_FEATURES if name in monitored],
        categorical_columns=[name for name in CATEGORICAL_FEATURES + BOOLEAN_FEATURES if name in monitored],
    )
    try:
        preset = DataDriftPreset(
            columns=monitored, method=params.drift_method, threshold=params.drift_method_threshold
        )
        snapshot = Report([preset], include_tests=True).run(
            Dataset.from_pandas(current[monitored], data_definition=definition),
            Dataset.from_pandas(reference[monitored], data_definition=definition),
        )
    except ValueError as error:  # an unknown test, or one for numbers only (ks) on categories
        if params.drift_method is None:
            raise
        raise ConfigError(f"{PARAMS_FILE}: monitor.drift_method: {error}") from None
    return summarize(snapshot.dict(), len(reference), len(current), limit), snapshot


def summarize(result: dict[str, Any], reference_rows: int, current_rows: int, limit: float) -> DriftSummary:
    """Per-feature scores from Evidently's metrics, verdicts from its tests (a failed test is drift)."""
    failed = {
        test["metric_config"]["metric_id"] for test in result["tests"] if test["status"] in {"FAIL", "ERROR"}
    }
    features = [
        FeatureDrift(
            feature=metric["config"]["column"],
            drifted=metric["id"] in failed,
            score=round(float(metric["value"]), 4),
            method=str(metric["config"]["method"]),
            threshold=float(metric["config"]["threshold"]),
        )
        for metric in result["metrics"]
        if metric["config"]["type"].endswith(":ValueDrift")
    ]
    drifted = sum(feature.drifted for feature in features)
    return DriftSummary(
        reference_rows=reference_rows,
        current_rows=current_rows,
        features=features,
        drift_share=round(drifted / len(features), 4),
        limit=limit,
    )


def to_json(summary: DriftSummary) -> str:
    document = {
        "drift_detected": summary.drift_detected,
        "drift_share": summary.drift_share,
        "data_drift_threshold": summary.limit,
        "drifted_features": summary.drifted_features,
        "reference_rows": summary.reference_rows,
        "current_rows": summary.current_rows,
        "features": {feature.feature: asdict(feature) for feature in summary.features},
    }
    return json.dumps(document, indent=2) + "\n"


def to_markdown(summary: DriftSummary, reference: Path, current: Path) -> str:
    verdict = "DRIFT above the contract" if summary.drift_detected else "within the contract"
    drifted = len(summary.drifted_features)
    lines = [
        f"# Data drift: {verdict}",
        "",
        f"- Reference: `{reference}` ({summary.reference_rows} rows)",
        f"- Current: `{current}` ({summary.current_rows} rows)",
        f"- Drifted features: {drifted} of {len(summary.features)}, a share of {summary.drift_share}; "
        f"the contract's `data_drift_threshold` is {summary.limit}",
        "",
        "| feature | drift | score | test | threshold |",
        "|---|---|---|---|---|",
        *(
            f"| {f.feature} | {'**yes**' if f.drifted else 'no'} | {f.score} | {f.method} | {f.threshold} |"
            for f in summary.features
        ),
    ]
    return "\n".join(lines) + "\n"


def write_reports(summary: DriftSummary, snapshot: Any, reference: Path, current: Path, folder: Path) -> None:
    write_text(folder / "drift.html", snapshot.get_html_str(as_iframe=False))
    write_text(folder / "drift.json", to_json(summary))
    write_text(folder / "drift.md", to_markdown(summary, reference, current))


@reports_errors
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--current", type=Path, default=INFERENCE_LOG, help="inference log (.jsonl) or .csv")
    parser.add_argument(
        "--reference", type=Path, help="the frame the model was fitted on (default: dvc.yaml's)"
    )
    parser.add_argument("--contract", type=Path, default=CONTRACT_FILE)
    parser.add_argument("--output-dir", type=Path, default=MONITORING_DIR)
    args = parser.parse_args(argv)
    reference_path = args.reference or model_frames().train
    limit = load_contract(args.contract).slas.data_drift_threshold
    params = load_section("monitor", MonitorParams)
    if not reference_path.exists():
        raise MonitorInputError(f"{reference_path}: file not found (`uv run dvc repro` writes it)")
    if args.current == INFERENCE_LOG and not INFERENCE_LOG.exists():
        hint = "the service appends every prediction to it; or pass --current batch.csv"
        raise MonitorInputError(f"{INFERENCE_LOG}: file not found ({hint})")
    reference, current = read_features(reference_path), read_features(args.current)
    if len(current) < params.min_current_rows:
        raise MonitorInputError(
            f"{args.current}: {len(current)} rows, fewer than the {params.min_current_rows} a drift test "
            f"needs ({PARAMS_FILE}: monitor.min_current_rows)"
        )
    summary, snapshot = run(reference, current, params, limit)
    write_reports(summary, snapshot, reference_path, args.current, args.output_dir)
    drifted = ", ".join(summary.drifted_features) or "none"
    verdict = "DRIFT: above" if summary.drift_detected else "within"
    print(
        f"drift share {summary.drift_share} ({drifted}), {verdict} the contract's {limit}; "
        f"reports in {args.output_dir}/drift.html and drift.json"
    )
    return 1 if summary.drift_detected else 0


if __name__ == "__main__":
    sys.exit(main())
