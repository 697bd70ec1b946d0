"""evaluate scores the model on the test set with the task's metrics and writes DVC's metrics and plots."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import yaml

from {{ cookiecutter.package_name }}.contract import Contract
from {{ cookiecutter.package_name }}.metrics import METRICS
from {{ cookiecutter.package_name }}.paths import (
    METRICS_FILE,
    PLOTS_DIR,
    RUN_FILE,
    TEST_SPLIT,
    TRAIN_SPLIT,
)
from {{ cookiecutter.package_name }}.stages import evaluate, prepare, train


def dvc_plots(project_root: Path) -> dict[str, dict[str, Any]]:
    """The plots dvc.yaml's evaluate stage declares: file -> its options (x, y, template)."""
    stage = yaml.safe_load((project_root / "dvc.yaml").read_text())["stages"]["evaluate"]
    return {name: options for entry in stage["plots"] for name, options in entry.items()}


def test_every_metric_of_the_task_is_scored(model: Any, split: prepare.Split) -> None:
    result = evaluate.run(model, split.test)
    assert set(result.metrics) == set(METRICS)
    assert all(isinstance(value, float) for value in result.metrics.values())


def test_a_model_that_learnt_beats_one_that_did_not_on_the_promotion_metric(
    model: Any, split: prepare.Split, quick_params: train.TrainParams, contract: Contract
) -> None:
    weak = train.run(split.train, replace(quick_params, max_iter=1, max_leaf_nodes=2))
    name = contract.promotion.metric
    learnt, guessed = (
        evaluate.run(model, split.test).metrics[name],
        evaluate.run(weak, split.test).metrics[name],
    )
    assert METRICS[name].improves(learnt, guessed), (name, learnt, guessed)


def test_plot_data_is_what_dvc_yaml_plots(model: Any, split: prepare.Split, project_root: Path) -> None:
    result = evaluate.run(model, split.test)
    declared = dvc_plots(project_root)
    assert {f"{PLOTS_DIR.as_posix()}/{name}.csv" for name in result.plots} == set(declared)
    for name, frame in result.plots.items():
        options = declared[f"{PLOTS_DIR.as_posix()}/{name}.csv"]
        assert {options["x"], options["y"]} <= set(frame.columns)
        assert len(frame) > 0


def test_main_writes_reports_and_adds_metrics_to_the_training_run(
    workdir: Path, split: prepare.Split
) -> None:
    TRAIN_SPLIT.parent.mkdir(parents=True)
    split.train.to_csv(TRAIN_SPLIT, index=False)
    split.test.to_csv(TEST_SPLIT, index=False)
    assert train.main([]) == 0

    assert evaluate.main([]) == 0

    metrics = json.loads(METRICS_FILE.read_text())
    assert set(metrics) == set(METRICS)
    for path in dvc_plots(workdir):
        assert len(pd.read_csv(path)) > 0
    run_id = json.loads(RUN_FILE.read_text())["run_id"]
    logged = mlflow.get_run(run_id).data.metrics
    assert {name: logged[f"test_{name}"] for name in metrics} == metrics
