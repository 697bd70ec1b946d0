"""Only a model that meets its contract reaches @champion; rollback restores the former one.

Each test names its model after itself (see `write_contract`), so all share the session's MLflow store. The
contract's targets are set by each test relative to what its models achieve, never to the shipped values.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import mlflow.sklearn
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from {{ cookiecutter.package_name }} import audit, registry, task
from {{ cookiecutter.package_name }}.contract import Contract, load_contract
from {{ cookiecutter.package_name }}.features import CLASSES, TARGET, TASK
from {{ cookiecutter.package_name }}.metrics import METRICS
from {{ cookiecutter.package_name }}.paths import (
    GATE_JSON,
    GATE_MARKDOWN,
    MODEL_CARD_JSON,
    MODEL_CARD_MARKDOWN,
    TEST_SPLIT,
)
from {{ cookiecutter.package_name }}.stages import evaluate, prepare

Trainer = Callable[..., dict[str, str]]
ContractWriter = Callable[..., Path]

FAST = {"latency_samples": 30}
WEAK = {"max_iter": 1, "max_leaf_nodes": 2}  # one split: a model far worse than the usual one
NO_TARGETS = dict(metrics={})  # lets a deliberately weak model in


def aliases(name: str) -> dict[str, str]:
    registered = MlflowClient().get_registered_model(name)
    return {alias: str(version) for alias, version in registered.aliases.items()}


def failed_rules() -> list[str]:
    return [rule["name"] for rule in json.loads(GATE_JSON.read_text())["rules"] if not rule["passed"]]


def only(targets: dict[str, dict[str, float]]) -> dict[str, object]:
    """The contract's `slas` changes that make `targets` its only metric targets."""
    return dict(metrics=targets)


def target(metric: str, achieved: float, *, met: bool) -> dict[str, float]:
    """A contract target on `metric` that a model achieving `achieved` meets, or just misses."""
    higher = METRICS[metric].higher_is_better
    step = max(abs(achieved) * 0.01, 0.001)
    bound = achieved - step if higher == met else achieved + step
    return {"min": bound} if higher else {"max": bound}


def test_the_first_model_is_promoted_with_its_model_card(
    write_contract: ContractWriter, train_candidate: Trainer, contract: Contract
) -> None:
    """Promoted with its provenance; the model card quotes the contract and the gate and records the lineage,
    and is the version's description and an artifact of the training run."""
    path = write_contract(slas=NO_TARGETS)
    run = train_candidate()

    outcome = registry.promote(path, **FAST)

    name = f"model-{path.parent.name}"
    assert (outcome.version, outcome.promoted) == ("1", True)
    assert aliases(name) == {"champion": "1", "challenger": "1"}
    version = MlflowClient().get_model_version(name, "1")
    assert version.run_id == run["run_id"]
    assert {"git_commit", "params_sha256", "contract_version"} <= set(version.tags)
    assert version.tags["gate"] == "passed"
    report = json.loads(GATE_JSON.read_text())
    assert report["passed"] is True and report["champion"] is None
    assert set(report["metrics"]) == set(METRICS)
    assert "# Promotion gate: PASSED" in GATE_MARKDOWN.read_text()

    card, markdown = json.loads(MODEL_CARD_JSON.read_text()), MODEL_CARD_MARKDOWN.read_text()
    model = contract.model
    assert (card["intended_use"], card["limitations"]) == (model.intended_use, model.limitations)
    assert model.intended_use in markdown and model.limitations in markdown
    assert card["metrics"] == report["metrics"]
    assert {rule["name"] for rule in card["gate"]["rules"]} >= {"model.intended_use", "model size (MB)"}
    assert card["lineage"]["mlflow_run_id"] == run["run_id"]
    assert {"git_commit", "params_sha256"} <= set(card["lineage"])
    if contract.fairness is not None:
        assert card["group_metrics"] and f"## Metrics by {contract.fairness.protected_attribute}" in markdown
    assert version.description == markdown
    stored = {item.path for item in MlflowClient().list_artifacts(run["run_id"], "model_card")}
    assert stored == {"model_card/model_card.md", "model_card/model_card.json"}


def test_each_metric_target_of_the_contract_is_enforced(
    write_contract: ContractWriter, train_candidate: Trainer, split: prepare.Split
) -> None:
    train_candidate()
    achieved = evaluate.run(
        mlflow.sklearn.load_model("models/model"), split.test
    ).metrics  # as the gate scores

    for name in METRICS:  # a missed target fails the gate, naming only that metric; nothing is promoted
        missed = write_contract(slas=only({name: target(name, achieved[name], met=False)}))
        outcome = registry.promote(missed, **FAST)
        assert not outcome.promoted and failed_rules() == [name], (name, outcome.message)

    every_target_met = {name: target(name, achieved[name], met=True) for name in METRICS}
    assert registry.promote(write_contract(slas=only(every_target_met)), **FAST).promoted


def test_the_champion_is_judged_again_against_a_tightened_contract(
    write_contract: ContractWriter, train_candidate: Trainer
) -> None:
    contract = write_contract(slas=NO_TARGETS)
    train_candidate()
    first = registry.promote(contract, **FAST)
    assert first.promoted and first.result is not None
    metric = next(iter(METRICS))
    name = f"model-{contract.parent.name}"

    again = registry.promote(contract, **FAST)
    assert not again.promoted and again.result is not None and again.result.passed
    assert again.message.startswith("version 1 is already @champion (same training run) and still meets")

    tightened = write_contract(slas=only({metric: target(metric, first.result.metrics[metric], met=False)}))
    assert registry.main(["promote"]) == 1  # what `make promote` returns: CI fails
    assert failed_rules() == [metric]
    assert f"no longer meets the contract ({metric})" in registry.promote(tightened, **FAST).message
    assert aliases(name) == {"champion": "1", "challenger": "1"}  # nothing moved


def test_a_better_challenger_moves_the_champion_and_a_worse_one_cannot(
    write_contract: ContractWriter, train_candidate: Trainer
) -> None:
    """In the promotion metric's own direction: for regression's rmse, lower is better."""
    contract = write_contract(slas=NO_TARGETS)
    train_candidate(**WEAK)
    assert registry.promote(contract, **FAST).promoted
    name = f"model-{contract.parent.name}"

    train_candidate()
    better = registry.promote(contract, **FAST)
    assert better.promoted, better.message
    assert aliases(name) == {"champion": "2", "previous": "1", "challenger": "2"}

    train_candidate(**WEAK, seed=3)
    assert registry.main(["promote"]) == 1  # the exit status that stops CI
    assert aliases(name) == {"champion": "2", "previous": "1", "challenger": "3"}
    assert MlflowClient().get_model_version(name, "3").tags["gate"] == "failed"
    assert failed_rules() == [
        f"{registry.load_contract(contract).promotion.metric} improvement over champion"
    ]
    assert "**FAIL**" in GATE_MARKDOWN.read_text()


def test_a_challenger_not_better_by_the_margin_is_rejected(
    write_contract: ContractWriter, train_candidate: Trainer
) -> None:
    contract = write_contract(slas=NO_TARGETS, promotion={"min_improvement": 0.5})
    train_candidate()
    registry.promote(contract, **FAST)
    train_candidate(seed=7)  # about as good, not 50% better

    outcome = registry.promote(contract, **FAST)

    assert not outcome.promoted and outcome.result is not None
    metric = registry.load_contract(contract).promotion.metric
    assert [rule.name for rule in outcome.result.failures] == [f"{metric} improvement over champion"]
    assert "@champion stays on version 1" in outcome.message
    assert aliases(f"model-{contract.parent.name}")["champion"] == "1"


def biased(split: prepare.Split, attribute: str) -> prepare.Split:
    """The split with the target made to follow the protected attribute: a model learns the bias."""
    groups = sorted(split.train[attribute].dropna().astype(str).unique())

    def rebias(frame: pd.DataFrame) -> pd.DataFrame:
        first = frame[attribute].astype(str) == groups[0]
        if TASK == "regression":  # one group is predicted far worse: its targets, shuffled, are noise
            shuffled = frame[TARGET].sample(frac=1.0, random_state=0).to_numpy()
            target = frame[TARGET].where(~first, shuffled)
        else:  # one group always gets the last class; the others keep theirs
            target = frame[TARGET].where(~first, CLASSES[-1])
        return frame.assign(**{TARGET: target.astype(frame[TARGET].dtype)})

    return prepare.Split(train=rebias(split.train), test=rebias(split.test))


def test_a_model_trained_on_biased_data_fails_the_fairness_rule(
    write_contract: ContractWriter,
    train_candidate: Trainer,
    split: prepare.Split,
    protected: str | None,
    project_root: Path,
) -> None:
    if protected is None:
        pytest.skip("the contract has no fairness section")
    shipped = load_contract(project_root / "model_contract.yaml").fairness
    assert shipped is not None
    contract = write_contract(slas=NO_TARGETS, fairness={"disparate_impact": list(shipped.disparate_impact)})
    train_candidate(data=biased(split, protected))

    outcome = registry.promote(contract, **FAST)

    assert not outcome.promoted and outcome.result is not None
    assert [rule.name for rule in outcome.result.failures] == [f"disparate impact ({protected})"]
    assert "champion" not in aliases(f"model-{contract.parent.name}")


def test_without_a_fairness_section_the_rule_is_not_configured(
    write_contract: ContractWriter, train_candidate: Trainer
) -> None:
    contract = write_contract(slas=NO_TARGETS, without=("fairness",))
    train_candidate()

    outcome = registry.promote(contract, **FAST)

    assert outcome.promoted and outcome.result is not None
    [fairness] = [rule for rule in outcome.result.rules if rule.name == "fairness"]
    assert (fairness.passed, fairness.limit, fairness.value) == (True, "not configured", None)
    assert "| fairness | - | not configured | not configured |" in GATE_MARKDOWN.read_text()


def test_an_unstated_governance_field_fails_the_gate_naming_it(
    write_contract: ContractWriter, train_candidate: Trainer
) -> None:
    contract = write_contract(slas=NO_TARGETS, model=dict(intended_use="  ", approvers=[]))
    train_candidate()

    outcome = registry.promote(contract, **FAST)

    assert not outcome.promoted and failed_rules() == ["model.intended_use", "model.approvers"]
    assert "(model.intended_use, model.approvers)" in outcome.message
    report = GATE_MARKDOWN.read_text()
    assert "| model.intended_use | - | stated in model_contract.yaml | **FAIL** |" in report
    assert "champion" not in aliases(f"model-{contract.parent.name}")


def test_rollback_restores_the_former_champion(
    write_contract: ContractWriter, train_candidate: Trainer
) -> None:
    contract = write_contract(slas=NO_TARGETS)
    train_candidate(**WEAK)
    registry.promote(contract, **FAST)
    train_candidate()
    assert registry.promote(contract, **FAST).promoted
    name = f"model-{contract.parent.name}"
    assert aliases(name) == {"champion": "2", "previous": "1", "challenger": "2"}

    message = registry.rollback(contract)

    assert message == "@champion is back on version 1 (was version 2)"
    assert aliases(name) == {"champion": "1", "challenger": "2"}
    assert MlflowClient().get_model_version(name, "2").tags["rolled_back"] == "true"
    trail = audit.history(MlflowClient(), name)
    moves = [(entry["action"], entry["alias"], entry["from"], entry["to"]) for entry in trail]
    assert moves == [
        ("promote", "champion", None, "1"),
        ("promote", "champion", "1", "2"),
        ("rollback", "champion", "2", "1"),
    ]
    assert all(entry["who"] and entry["when"] and entry["gate"] for entry in trail)
    lines = registry.history(contract)
    assert len(lines) == 3 and "rollback" in lines[2] and "version 2 -> version 1" in lines[2]
    with pytest.raises(registry.PromotionError, match="no @previous"):
        registry.rollback(contract)


def test_promote_before_training_is_a_clear_error(write_contract: ContractWriter) -> None:
    with pytest.raises(registry.PromotionError, match="run `dvc repro` first"):
        registry.promote(write_contract(), **FAST)


def test_export_writes_the_champion_for_the_serving_image(
    write_contract: ContractWriter, train_candidate: Trainer, workdir: Path
) -> None:
    contract = write_contract(slas=NO_TARGETS)
    train_candidate()
    registry.promote(contract, **FAST)
    destination = workdir / "models" / "serving"

    message = registry.export(destination, contract_path=contract)

    assert message == f"@champion is version 1: exported to {destination}"
    assert (destination / "VERSION").read_text() == "1\n"
    assert (destination / "model_card.md").read_text().startswith("# Model card: ")
    holdout = pd.read_csv(TEST_SPLIT)
    exported = task.predict(mlflow.sklearn.load_model(str(destination)), holdout)
    trained = task.predict(mlflow.sklearn.load_model(str(workdir / "models" / "model")), holdout)
    np.testing.assert_array_equal(exported.predicted, trained.predicted)
    assert [p.name for p in destination.parent.iterdir() if p.name.startswith(".")] == []


def test_export_without_a_champion_is_a_clear_error(write_contract: ContractWriter, workdir: Path) -> None:
    with pytest.raises(registry.PromotionError, match="has no @champion version to export"):
        registry.export(workdir / "models" / "serving", contract_path=write_contract())
    assert not (workdir / "models" / "serving").exists()


@pytest.mark.parametrize("command", ["promote", "rollback", "export"])
def test_an_unreachable_tracking_server_is_one_line_and_exit_2(
    write_contract: ContractWriter,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    write_contract()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:9")  # the discard port: nothing listens

    started = time.monotonic()
    assert registry.main([command]) == 2

    error = capsys.readouterr().err
    assert error.count("\n") == 1 and error.startswith(
        "error: the MLflow tracking server at http://127.0.0.1:9"
    )
    assert "Traceback" not in error and time.monotonic() - started < 30
