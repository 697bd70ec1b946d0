"""model_contract.yaml loads into typed objects for this task; every mistake names the file, line and key.

The broken contracts are made from the shipped one, and the lines expected are found in it, so the tests hold
whatever values the contract states.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from {{ cookiecutter.package_name }}.contract import SCHEMA_FILE, ContractError, load_contract
from {{ cookiecutter.package_name }}.features import TASK
from {{ cookiecutter.package_name }}.metrics import BY_TASK, METRICS


def line_of(text: str, fragment: str) -> int:
    """The 1-based line of the first line of `text` that contains `fragment`."""
    return next(number for number, line in enumerate(text.splitlines(), 1) if fragment in line)


@pytest.fixture
def shipped(project_root: Path) -> str:
    return (project_root / "model_contract.yaml").read_text()


def broken(tmp_path: Path, text: str) -> str:
    path = tmp_path / "model_contract.yaml"
    path.write_text(text)
    with pytest.raises(ContractError) as raised:
        load_contract(path)
    message = str(raised.value)
    assert message.startswith(f"{path}:") and "\n" not in message
    return message.removeprefix(f"{path}:")


def test_the_shipped_contract_loads_as_written(project_root: Path, shipped: str) -> None:
    contract = load_contract(project_root / "model_contract.yaml")
    document = yaml.safe_load(shipped)
    assert contract.model.name == document["model"]["name"]
    assert {name: (t.min, t.max) for name, t in contract.slas.metrics.items()} == {
        name: (bound.get("min"), bound.get("max")) for name, bound in document["slas"]["metrics"].items()
    }
    assert contract.promotion.metric in METRICS
    if "fairness" in document:
        assert contract.fairness is not None
        assert list(contract.fairness.disparate_impact) == document["fairness"]["disparate_impact"]
    assert contract.monitoring.schedule == document["monitoring"]["schedule"]


def test_a_target_that_is_not_a_number_is_named(tmp_path: Path, shipped: str) -> None:
    name = next(iter(yaml.safe_load(shipped)["slas"]["metrics"]))
    line = next(line for line in shipped.splitlines() if line.strip().startswith(f"{name}:"))
    text = shipped.replace(line, f"    {name}: " + "{min: high}", 1)
    assert broken(tmp_path, text).startswith(
        f"{line_of(text, 'high')}: slas.metrics.{name}.min: 'high' is not of type"
    )


def test_a_target_outside_its_metrics_range_is_named(tmp_path: Path, shipped: str) -> None:
    name = next(iter(yaml.safe_load(shipped)["slas"]["metrics"]))
    definitions = json.loads(SCHEMA_FILE.read_text())
    reference = definitions["properties"]["slas"]["properties"]["metrics"]["properties"][name]["$ref"]
    bounds = definitions["$defs"][reference.rsplit("/", 1)[1]]["properties"]["min"]
    value = bounds["maximum"] + 1 if "maximum" in bounds else bounds["minimum"] - 1
    line = next(line for line in shipped.splitlines() if line.strip().startswith(f"{name}:"))
    text = shipped.replace(line, f"    {name}: " + "{min: " + str(value) + "}", 1)
    expected = f"{line_of(text, f'{name}: ')}: slas.metrics.{name}.min: {value} is"
    assert broken(tmp_path, text).startswith(expected)


def test_a_metric_of_another_task_is_named_with_its_line(tmp_path: Path, shipped: str) -> None:
    other = next(
        name for task, metrics in BY_TASK.items() if task != TASK for name in metrics if name not in METRICS
    )
    line = next(line for line in shipped.splitlines() if line.startswith("  metrics:"))
    text = shipped.replace(line, f"{line}\n    {other}: " + "{min: 0.5}", 1)
    message = broken(tmp_path, text)
    assert message.startswith(
        f"{line_of(text, other)}: slas.metrics.{other}: '{other}' is not a metric of this"
    )


def test_a_promotion_metric_of_another_task_is_named(tmp_path: Path, shipped: str) -> None:
    metric = yaml.safe_load(shipped)["promotion"]["metric"]
    other = next(
        name for task, metrics in BY_TASK.items() if task != TASK for name in metrics if name not in METRICS
    )
    text = shipped.replace(f"metric: {metric}", f"metric: {other}", 1)
    assert broken(tmp_path, text).startswith(
        f"{line_of(text, f'metric: {other}')}: promotion.metric: '{other}'"
    )


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("inference_latency_p99_ms", "-5", "slas.inference_latency_p99_ms: -5 is less than"),
        ("data_drift_threshold", "1.5", "slas.data_drift_threshold: 1.5 is greater than"),
        ("version", "", "model.version: '' should be non-empty"),
    ],
)
def test_a_bad_value_names_its_line_and_key(
    tmp_path: Path, shipped: str, key: str, value: str, expected: str
) -> None:
    line = next(line for line in shipped.splitlines() if line.strip().startswith(f"{key}:"))
    text = shipped.replace(line, f"{line.split(':')[0]}: {value or repr('')}  # changed", 1)
    assert broken(tmp_path, text).startswith(f"{line_of(text, '# changed')}: {expected}")


def test_the_shipped_contract_states_every_governance_field(project_root: Path) -> None:
    assert load_contract(project_root / "model_contract.yaml").model.unstated() == []


def test_a_missing_or_empty_governance_field_is_unstated(tmp_path: Path, shipped: str) -> None:
    document = yaml.safe_load(shipped)
    del document["model"]["limitations"]
    document["model"]["intended_use"] = " "
    path = tmp_path / "model_contract.yaml"
    path.write_text(yaml.safe_dump(document))
    assert load_contract(path).model.unstated() == ["model.intended_use", "model.limitations"]


def test_an_unknown_key_is_named(tmp_path: Path, shipped: str) -> None:
    text = shipped.replace("  owner:", "  team: data\n  owner:", 1)
    assert broken(tmp_path, text).startswith(f"{line_of(text, 'team: data')}: model.team: unknown key")


def test_an_empty_fairness_range_is_named(tmp_path: Path, shipped: str) -> None:
    if "fairness:" not in shipped:
        pytest.skip("the contract has no fairness section")
    low, high = yaml.safe_load(shipped)["fairness"]["disparate_impact"]
    text = shipped.replace(f"[{low}, {high}]", f"[{high}, {low}]", 1)
    assert broken(tmp_path, text).startswith(
        f"{line_of(text, 'disparate_impact')}: fairness.disparate_impact:"
    )


def test_without_a_fairness_section_the_contract_is_valid(tmp_path: Path, shipped: str) -> None:
    document = yaml.safe_load(shipped)
    document.pop("fairness", None)
    path = tmp_path / "model_contract.yaml"
    path.write_text(yaml.safe_dump(document))
    assert load_contract(path).fairness is None


def test_template_0_1_targets_still_load(tmp_path: Path, shipped: str) -> None:
    """`slas.min_<metric>` (template 0.1) is read as `slas.metrics.<metric>.min`."""
    document = yaml.safe_load(shipped)
    metric = next(iter(METRICS))
    document["slas"]["metrics"] = {}
    document["slas"][f"min_{metric}"] = 0.5
    path = tmp_path / "model_contract.yaml"
    path.write_text(yaml.safe_dump(document))
    assert load_contract(path).slas.metrics[metric].min == 0.5


def test_a_missing_section_is_named(tmp_path: Path, shipped: str) -> None:
    assert "'monitoring' is missing" in broken(tmp_path, shipped.split("monitoring:")[0])


def test_not_yaml_is_named_with_its_line(tmp_path: Path, shipped: str) -> None:
    text = shipped.replace("slas:", "slas: [", 1)
    line, message = broken(tmp_path, text).split(": ", 1)
    assert int(line) > line_of(text, "slas: [") and message.startswith("not valid YAML")


def test_a_missing_file_says_where_to_run_from(tmp_path: Path) -> None:
    with pytest.raises(ContractError, match="file not found"):
        load_contract(tmp_path / "model_contract.yaml")


def test_the_schema_lists_exactly_each_tasks_metrics() -> None:
    definitions = json.loads(SCHEMA_FILE.read_text())["$defs"]
    for task, metrics in BY_TASK.items():
        assert definitions[f"{task}_metric"]["enum"] == list(metrics)
    assert set(definitions["metric"]["enum"]) == {name for metrics in BY_TASK.values() for name in metrics}
