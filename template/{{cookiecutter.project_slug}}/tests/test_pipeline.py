"""The stages, run in order as `dvc repro` does on rows drawn from the schema, give a model that learnt."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pandas as pd
import yaml

from {{ cookiecutter.package_name }}.contract import Contract
from {{ cookiecutter.package_name }}.frames import write_table
from {{ cookiecutter.package_name }}.metrics import METRICS
from {{ cookiecutter.package_name }}.paths import METRICS_FILE, RAW_DATA, model_frames
from {{ cookiecutter.package_name }}.stages import evaluate, prepare, train


def test_prepare_train_evaluate_end_to_end(
    workdir: Path, raw_frame: pd.DataFrame, contract: Contract, quick_params: train.TrainParams
) -> None:
    RAW_DATA.parent.mkdir(parents=True)
    write_table(raw_frame, RAW_DATA)  # in the raw data's own format
    params = yaml.safe_load(Path("params.yaml").read_text())
    params["train"]["max_iter"] = quick_params.max_iter
    Path("params.yaml").write_text(yaml.safe_dump(params))

    assert prepare.main([]) == 0
    assert train.main([]) == 0
    assert evaluate.main([]) == 0

    metrics = json.loads(METRICS_FILE.read_text())
    assert set(metrics) == set(METRICS)
    # Better than a model that learnt nothing, on the metric that decides promotions.
    frames = model_frames()
    weak = train.run(pd.read_csv(frames.train), replace(quick_params, max_iter=1, max_leaf_nodes=2))
    guessed = evaluate.run(weak, pd.read_csv(frames.test)).metrics
    name = contract.promotion.metric
    assert METRICS[name].improves(metrics[name], guessed[name])
