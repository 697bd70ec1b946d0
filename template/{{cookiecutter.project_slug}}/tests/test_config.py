"""params.yaml is read into typed sections; every mistake names the key at fault."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.config import ConfigError, load_section
from {{ cookiecutter.package_name }}.monitor.drift import MonitorParams
from {{ cookiecutter.package_name }}.stages.prepare import PrepareParams
from {{ cookiecutter.package_name }}.stages.train import TrainParams


@dataclass(frozen=True)
class Example:
    rate: float
    depth: int | None
    label: str = "default"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("section", "schema"),
    [("prepare", PrepareParams), ("train", TrainParams), ("monitor", MonitorParams)],
)
def test_every_stage_section_of_the_real_params_loads(section: str, schema: type, project_root: Path) -> None:
    assert isinstance(load_section(section, schema, project_root / "params.yaml"), schema)


def test_values_are_typed_and_defaults_fill_in(tmp_path: Path) -> None:
    path = write(tmp_path, "example:\n  rate: 1\n  depth: null\n")
    assert load_section("example", Example, path) == Example(rate=1.0, depth=None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("example:\n  depth: 3\n", "missing key 'example.rate'"),
        ("example:\n  rate: 0.1\n  depth: 3\n  colour: red\n", "unknown key 'example.colour'"),
        ("example:\n  rate: fast\n  depth: 3\n", "key 'example.rate' must be float, got 'fast'"),
        ("example:\n  rate: 0.1\n  depth: true\n", "key 'example.depth' must be int or null, got True"),
        ("other:\n  rate: 0.1\n", "missing section 'example'"),
        ("example:\n  rate: [0.1\n", "params.yaml:3: not valid YAML"),
        ("- just a list\n", "expected a mapping"),
    ],
)
def test_mistakes_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        load_section("example", Example, write(tmp_path, text))


def test_missing_file_says_where_to_run_from(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_section("example", Example, tmp_path / "params.yaml")
