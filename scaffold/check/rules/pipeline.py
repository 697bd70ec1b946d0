"""DV and PA: the DVC pipeline and its parameters."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..engine import Problem, Rule
from ..fixtures import Parsed

OUTPUT_ROOTS = ("data/", "models/", "reports/")


class Pipeline(Rule):
    family = "DV"


class Params(Rule):
    family = "PA"


def stages_of(dvc_yaml: Parsed) -> dict[str, Any]:
    stages = dvc_yaml.data.get("stages") if isinstance(dvc_yaml.data, dict) else None
    return stages if isinstance(stages, dict) else {}


def entries(stage: Any, key: str) -> list[tuple[int, str]]:
    """(index, path) of a stage's deps/outs/metrics/plots, whose items are strings or one-key mappings."""
    items = stage.get(key) if isinstance(stage, dict) else None
    return [
        (index, str(next(iter(item))) if isinstance(item, dict) else str(item))
        for index, item in enumerate(items or [])
    ]


class DV001(Pipeline):
    """dvc.yaml exists, parses and has a `stages` mapping."""

    name = "dvc-yaml-invalid"

    @staticmethod
    def check(dvc_yaml: Parsed) -> Iterator[Problem]:
        """dvc.yaml is missing, is not valid YAML, or has no `stages:` mapping.

        Every other pipeline rule reads it, and `dvc repro` cannot run without it. Fix the syntax error at the
        line given, or restore dvc.yaml from the template.
        """
        if not dvc_yaml.exists:
            yield Problem("dvc.yaml is missing", "dvc.yaml")
        elif dvc_yaml.error:
            yield Problem(dvc_yaml.error, "dvc.yaml", dvc_yaml.error_line)
        elif not stages_of(dvc_yaml):
            yield Problem("dvc.yaml has no `stages:` mapping", "dvc.yaml")


class DV101(Pipeline):
    """Every stage runs a module or script that exists."""

    name = "stage-command-missing"
    requires = frozenset({"DV001"})

    @staticmethod
    def check(dvc_yaml: Parsed, root: Path) -> Iterator[Problem]:
        """A stage's `cmd` runs a Python module or script that is not in the project.

        `dvc repro` would fail on it. Commands look like `python -m <package>.stages.NAME` or
        `python path/to/script.py`; fix the command or add the module.
        """
        for name, stage in stages_of(dvc_yaml).items():
            command = str(stage.get("cmd", "")) if isinstance(stage, dict) else ""
            try:
                tokens = shlex.split(command)
            except ValueError:
                tokens = command.split()
            target = _python_target(tokens)
            if target is not None and not _exists(root, target):
                yield Problem(
                    f"stage {name!r} runs {target}, which does not exist",
                    "dvc.yaml",
                    dvc_yaml.line("stages", name, "cmd"),
                )


def _python_target(tokens: list[str]) -> str | None:
    if not tokens or not re.fullmatch(r"python3?(\.\d+)?", Path(tokens[0]).name):
        return None
    if len(tokens) > 2 and tokens[1] == "-m":
        return tokens[2]
    return tokens[1] if len(tokens) > 1 and tokens[1].endswith(".py") else None


def _exists(root: Path, target: str) -> bool:
    if target.endswith(".py"):
        return (root / target).is_file()
    relative = Path(*target.split("."))
    return any(
        (base / relative).with_suffix(".py").is_file() or (base / relative / "__init__.py").is_file()
        for base in (root / "src", root)
    )


class DV102(Pipeline):
    """Every stage has a test."""

    name = "stage-untested"
    requires = frozenset({"DV001"})

    @staticmethod
    def check(dvc_yaml: Parsed, root: Path) -> Iterator[Problem]:
        """A stage has no `test_NAME.py` under tests/.

        A stage is code that turns data into models and reports; untested, it breaks silently. Add
        `tests/stages/test_NAME.py` (`scaffold add-stage` writes one for the stages it adds).
        """
        tests = (
            {path.name for path in (root / "tests").rglob("test_*.py")}
            if (root / "tests").is_dir()
            else set()
        )
        for name in stages_of(dvc_yaml):
            if f"test_{name}.py" not in tests:
                yield Problem(
                    f"stage {name!r} has no tests/**/test_{name}.py",
                    "dvc.yaml",
                    dvc_yaml.line("stages", name),
                )


class DV103(Pipeline):
    """Stage outputs live under data/, models/ or reports/."""

    name = "output-outside-output-folders"
    requires = frozenset({"DV001"})

    @staticmethod
    def check(dvc_yaml: Parsed) -> Iterator[Problem]:
        """A stage writes an output outside data/, models/ and reports/.

        Outputs elsewhere mix generated files with source code, where they get edited or committed by
        mistake. Write it under data/ (frames), models/ (models) or reports/ (metrics and plots).
        """
        for name, stage in stages_of(dvc_yaml).items():
            for key in ("outs", "metrics", "plots"):
                for index, path in entries(stage, key):
                    if not path.startswith(OUTPUT_ROOTS):
                        yield Problem(
                            f"stage {name!r} writes {path} outside data/, models/ and reports/",
                            "dvc.yaml",
                            dvc_yaml.line("stages", name, key, index),
                        )


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
