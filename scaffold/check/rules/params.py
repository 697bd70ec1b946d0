"""PA: params.yaml, the parameters the stages read and DVC tracks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..base import Problem, Rule
from ..fixtures import Parsed, parse_yaml, stages_of


class Params(Rule):
    family = "PA"


def params(root: Path) -> Parsed:
    return parse_yaml(root, "params.yaml")


class PA001(Params):
    """params.yaml exists and parses as a mapping."""

    name = "params-yaml-invalid"

    @staticmethod
    def check(params: Parsed) -> Iterator[Problem]:
        """params.yaml is missing, is not valid YAML, or is not a mapping of sections.

        Stages read their parameters from it, and DVC tracks them to know what to rerun. Fix the syntax
        error at the line given.
        """
        if not params.exists:
            yield Problem("params.yaml is missing", "params.yaml")
        elif params.error:
            yield Problem(params.error, "params.yaml", params.error_line)
        elif not isinstance(params.data, dict):
            yield Problem("params.yaml is not a mapping of sections", "params.yaml")


class PA101(Params):
    """Every parameter a stage declares exists in params.yaml."""

    name = "stage-param-missing"
    requires = frozenset({"DV001", "PA001"})

    @staticmethod
    def check(dvc_yaml: Parsed, params: Parsed) -> Iterator[Problem]:
        """A stage declares a parameter (`params: [section]` or `section.key`) that params.yaml lacks.

        DVC fails on it, and the stage would fail reading its section. Add the key to params.yaml or remove
        it from the stage.
        """
        for name, stage in stages_of(dvc_yaml).items():
            for index, item in enumerate(stage.get("params") or [] if isinstance(stage, dict) else []):
                if not isinstance(item, str):
                    continue  # `params.yaml: [...]` or another file's parameters
                value: Any = params.data
                for part in item.split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                if value is None:
                    yield Problem(
                        f"stage {name!r} reads parameter {item!r}, which params.yaml lacks",
                        "dvc.yaml",
                        dvc_yaml.line("stages", name, "params", index),
                    )


RULES = (PA001, PA101)
FIXTURES = (params,)
