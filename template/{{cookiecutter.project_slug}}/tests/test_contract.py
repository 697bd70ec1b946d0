"""model_contract.yaml loads into typed objects; every mistake names the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.contract import ContractError, load_contract


def test_the_shipped_contract_loads(project_root: Path) -> None:
    contract = load_contract(project_root / "model_contract.yaml")
    assert contract.model.name == "{{ cookiecutter.model_name }}"
    assert contract.slas.min_roc_auc == 0.8
    assert contract.promotion.metric == "roc_auc"
    assert contract.fairness.disparate_impact == (0.8, 1.25)
    assert contract.monitoring.schedule == "0 * * * *"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("min_accuracy: 0.80", "min_accuracy: high", ":13: slas.min_accuracy: 'high' is not of type"),
        ("min_accuracy: 0.80", "min_accuracy: 1.5", ":13: slas.min_accuracy: 1.5 is greater than"),
        ("p99_ms: 100", "p99_ms: -5", ":11: slas.inference_latency_p99_ms: -5 is less than"),
        ("min_roc_auc: 0.80", "min_roc_auc: 0.80\n  min_recall: 0.5", ":15: slas.min_recall: unknown key"),
        ("[0.8, 1.25]", "[1.25, 0.8]", ":23: fairness.disparate_impact: the range [1.25, 0.8] is empty"),
        ("metric: roc_auc", "metric: vibes", ":18: promotion.metric: 'vibes' is not one of"),
        ("owner: ", "team: ", ":8: model.team: unknown key"),
        ('version: "1.0"', "", ":5: model: 'version' is missing"),
        ("slas:", "slas: [", ":12: not valid YAML"),
    ],
)
def test_a_broken_contract_names_line_and_key(
    project_root: Path, tmp_path: Path, old: str, new: str, message: str
) -> None:
    text = (project_root / "model_contract.yaml").read_text()
    assert old in text
    path = tmp_path / "model_contract.yaml"
    path.write_text(text.replace(old, new, 1))
    with pytest.raises(ContractError) as raised:
        load_contract(path)
    assert str(raised.value).startswith(f"{path}{message}")


def test_a_missing_section_is_named(project_root: Path, tmp_path: Path) -> None:
    text = (project_root / "model_contract.yaml").read_text()
    path = tmp_path / "model_contract.yaml"
    path.write_text(text.split("monitoring:")[0])
    with pytest.raises(ContractError, match="'monitoring' is missing"):
        load_contract(path)


def test_a_missing_file_says_where_to_run_from(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="file not found"):
        load_contract(tmp_path / "model_contract.yaml")
