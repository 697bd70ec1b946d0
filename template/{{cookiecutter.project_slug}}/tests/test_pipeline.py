"""Smoke test: the three stages, run in order on fresh sample data, give a useful model."""

from __future__ import annotations

import json
from pathlib import Path

from {{ cookiecutter.package_name }}.sample_data import write_csv
from {{ cookiecutter.package_name }}.stages import evaluate, prepare, train


def test_prepare_train_evaluate_end_to_end(workdir: Path) -> None:
    write_csv(prepare.RAW_DATA, rows=2000)

    prepare.main()
    train.main()
    evaluate.main()

    metrics = json.loads(evaluate.METRICS_FILE.read_text())
    assert metrics["roc_auc"] > 0.8
    assert metrics["accuracy"] > 0.75
