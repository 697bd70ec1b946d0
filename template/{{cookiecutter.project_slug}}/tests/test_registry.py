"""Only a model that meets its contract reaches @champion; rollback restores the former one.

Each test names its model after itself (see `write_contract`), so all share the session's MLflow store.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import mlflow.sklearn
import pandas as pd
import pytest
from mlflow import MlflowClient

from {{ cookiecutter.package_name }} import gate, registry
from {{ cookiecutter.package_name }}.features import TARGET
from {{ cookiecutter.package_name }}.stages import prepare

LENIENT = {"min_accuracy": 0.5, "min_roc_auc": 0.5}  # lets a deliberately weak first model in
FAST = {"latency_samples": 30}

Trainer = Callable[..., dict[str, str]]
ContractWriter = Callable[..., Path]


def aliases(name: str) -> dict[str, str]:
    registered = MlflowClient().get_registered_model(name)
    return {alias: str(version) for alias, version in registered.aliases.items()}


def test_the_first_model_is_promoted(write_contract: ContractWriter, train_candidate: Trainer) -> None:
    contract = write_contract()
    run = train_candidate()

    outcome = registry.promote(contract, **FAST)

    name = f"model-{contract.parent.name}"
    assert (outcome.version, outcome.promoted) == ("1", True)
    assert aliases(name) == {"champion": "1", "challenger": "1"}
    version = MlflowClient().get_model_version(name, "1")
    assert version.run_id == run["run_id"]
    assert {"git_commit", "params_sha256", "contract_version"} <= set(version.tags)
    assert version.tags["gate"] == "passed"
    report = json.loads(gate.GATE_JSON.read_text())
    assert report["passed"] is True and report["champion"] is None
    assert "| accuracy |" in gate.GATE_MARKDOWN.read_text()


def test_promoting_the_same_run_again_changes_nothing(
    write_contract: ContractWriter, train_candidate: Trainer
) -> None:
    contract = write_contract()
    train_candidate()
    registry.promote(contract, **FAST)

    again = registry.promote(contract, **FAST)

    assert not again.promoted
    assert again.message == "version 1 is already @champion (same training run): nothing to promote"
    assert aliases(f"model-{contract.parent.name}") == {"champion": "1", "challenger": "1"}


def test_a_worse_challenger_cannot_move_the_champion(
    write_contract: ContractWriter, train_candidate: Trainer
) -> None:
    contract = write_contract(slas=LENIENT)
    train_candidate()
    assert registry.promote(contract, **FAST).promoted
    train_candidate(n_estimators=1, max_depth=1)  # a stump: far worse

    assert registry.main(["promote"]) == 1  # the exit status that stops CI

    name = f"model-{contract.parent.name}"
    assert aliases(name) == {"champion": "1", "challenger": "2"}
    assert MlflowClient().get_model_version(name, "2").tags["gate"] == "failed"
    failed = [rule["name"] for rule in json.loads(gate.GATE_JSON.read_text())["rules"] if not rule["passed"]]
    assert "roc_auc improvement over champion" in failed
    assert "**FAIL**" in gate.GATE_MARKDOWN.read_text()


def test_a_challenger_not_better_by_the_margin_is_rejected(
    write_contract: ContractWriter, train_candidate: Trainer
) -> None:
    contract = write_contract(promotion={"min_improvement": 0.5})
    train_candidate()
    registry.promote(contract, **FAST)
    train_candidate(seed=7)  # as good, not 50% better

    outcome = registry.promote(contract, **FAST)

    assert not outcome.promoted
    assert outcome.result is not None
    assert [rule.name for rule in outcome.result.failures] == ["roc_auc improvement over champion"]
    assert "@champion stays on version 1" in outcome.message
    assert aliases(f"model-{contract.parent.name}")["champion"] == "1"


def test_a_model_trained_on_biased_data_fails_the_fairness_rule(
    write_contract: ContractWriter, train_candidate: Trainer, raw_customers: pd.DataFrame
) -> None:
    biased = raw_customers.assign(**{TARGET: (raw_customers["gender"] == "male").astype(int)})
    contract = write_contract(slas=LENIENT)
    train_candidate(data=prepare.run(biased, prepare.PrepareParams(test_size=0.25, seed=0)))

    outcome = registry.promote(contract, **FAST)

    assert not outcome.promoted and outcome.result is not None
    assert [rule.name for rule in outcome.result.failures] == ["disparate impact (gender)"]
    assert "champion" not in aliases(f"model-{contract.parent.name}")


def test_rollback_restores_the_former_champion(
    write_contract: ContractWriter, train_candidate: Trainer
) -> None:
    contract = write_contract(slas=LENIENT)
    train_candidate(n_estimators=3, max_depth=2)
    registry.promote(contract, **FAST)
    train_candidate()
    assert registry.promote(contract, **FAST).promoted
    name = f"model-{contract.parent.name}"
    assert aliases(name) == {"champion": "2", "previous": "1", "challenger": "2"}

    message = registry.rollback(contract)

    assert message == "@champion is back on version 1 (was version 2)"
    assert aliases(name) == {"champion": "1", "challenger": "2"}
    assert MlflowClient().get_model_version(name, "2").tags["rolled_back"] == "true"
    with pytest.raises(registry.PromotionError, match="no @previous"):
        registry.rollback(contract)


def test_promote_before_training_is_a_clear_error(write_contract: ContractWriter) -> None:
    with pytest.raises(registry.PromotionError, match="run `dvc repro` first"):
        registry.promote(write_contract(), **FAST)


def test_export_writes_the_champion_for_the_serving_image(
    write_contract: ContractWriter, train_candidate: Trainer, workdir: Path
) -> None:
    contract = write_contract(slas=LENIENT)
    train_candidate()
    registry.promote(contract, **FAST)
    destination = workdir / "models" / "serving"

    message = registry.export(destination, contract_path=contract)

    assert message == f"@champion is version 1: exported to {destination}"
    assert (destination / "VERSION").read_text() == "1\n"
    holdout = pd.read_csv(prepare.TEST_DATA).drop(columns=[TARGET])
    exported = mlflow.sklearn.load_model(str(destination)).predict_proba(holdout)
    trained = mlflow.sklearn.load_model(str(workdir / "models" / "model")).predict_proba(holdout)
    assert (exported == trained).all()
    assert [p.name for p in destination.parent.iterdir() if p.name.startswith(".")] == []


def test_export_without_a_champion_is_a_clear_error(write_contract: ContractWriter, workdir: Path) -> None:
    with pytest.raises(registry.PromotionError, match="has no @champion version to export"):
        registry.export(workdir / "models" / "serving", contract_path=write_contract())
    assert not (workdir / "models" / "serving").exists()
