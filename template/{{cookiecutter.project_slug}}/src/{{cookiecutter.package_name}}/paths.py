"""Where the project's files live: the one place the stages, the registry, monitoring and serving read.

Paths are relative to the project root, where `dvc repro`, make and CI run. dvc.yaml names the same files
(DVC needs them literally); `model_frames()` reads from it which frames the model is fitted and judged on,
so a stage added in between (`scaffold add-stage --after prepare`) moves the gate's holdout, the drift
reference and the latency samples with it. Standard library only at import time: the post-generation hook
imports it before anything is installed.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RAW_DATA = Path("data/raw/{{ cookiecutter.__raw_data_file }}")
TRAIN_SPLIT = Path("data/processed/train.csv")
TEST_SPLIT = Path("data/processed/test.csv")
MODEL_DIR = Path("models/model")
RUN_FILE = Path("models/run.json")  # the training run's id and logged model, for evaluate and the registry
EXPORT_DIR = Path("models/serving")  # `registry export` writes @champion here for the serving image
METRICS_FILE = Path("reports/metrics.json")
PLOTS_DIR = Path("reports/plots")
GATE_JSON = Path("reports/gate.json")
GATE_MARKDOWN = Path("reports/gate.md")
MODEL_CARD_MARKDOWN = Path("reports/model_card.md")  # written by each `make promote`, with its JSON
MODEL_CARD_JSON = Path("reports/model_card.json")
MONITORING_DIR = Path("reports/monitoring")
INFERENCE_LOG = Path("logs/inference.jsonl")
PARAMS_FILE = Path("params.yaml")
CONTRACT_FILE = Path("model_contract.yaml")
PIPELINE_FILE = Path("dvc.yaml")
PROMETHEUS_DIR = Path("monitoring/prometheus")  # `make rules` writes it from the contract
GRAFANA_DASHBOARD = Path("monitoring/grafana/dashboard.json")  # `make rules` too
K8S_BASE = Path("k8s/base")  # the Kubernetes manifests every environment shares (deploy_target=kubernetes)
PACKAGE = "{{ cookiecutter.package_name }}"


@dataclass(frozen=True)
class ModelFrames:
    train: Path  # what the train stage fits: the drift reference
    test: Path  # what the evaluate stage scores: the gate's holdout, the latency samples


def model_frames(pipeline: Path = PIPELINE_FILE) -> ModelFrames:
    """The frames dvc.yaml's train and evaluate stages read (`--train-data`, `--test-data`)."""
    import yaml

    try:
        stages = yaml.safe_load(pipeline.read_text(encoding="utf-8")).get("stages", {})
    except (OSError, AttributeError, yaml.YAMLError):
        return ModelFrames(TRAIN_SPLIT, TEST_SPLIT)
    return ModelFrames(
        _argument(stages, "train", "--train-data") or TRAIN_SPLIT,
        _argument(stages, "evaluate", "--test-data") or TEST_SPLIT,
    )


def _argument(stages: Any, module: str, option: str) -> Path | None:
    """The value of `option` in the command of the stage that runs `<package>.stages.<module>`."""
    for stage in stages.values() if isinstance(stages, dict) else ():
        command = stage.get("cmd") if isinstance(stage, dict) else None
        if not isinstance(command, str):
            continue
        tokens = shlex.split(command)
        if f"{PACKAGE}.stages.{module}" in tokens and option in tokens[:-1]:
            return Path(tokens[tokens.index(option) + 1])
    return None
