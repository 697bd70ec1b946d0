"""DV: the DVC pipeline, dvc.yaml: its stages, their commands, tests and outputs."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..base import Problem, Rule
from ..fixtures import Parsed, entries, stages_of

OUTPUT_ROOTS = ("data/", "models/", "reports/")


class Pipeline(Rule):
    family = "DV"


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


def cached_outputs(stage: Any) -> list[tuple[str, int, str]]:
    """(key, index, path) of a stage's outs, metrics and plots that DVC caches (all but `cache: false`)."""
    found = []
    for key in ("outs", "metrics", "plots"):
        items = stage.get(key) if isinstance(stage, dict) else None
        for index, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                path, options = next(iter(item.items()), (None, None))
                if isinstance(options, dict) and options.get("cache") is False:
                    continue
            else:
                path = item
            if path:
                found.append((key, index, str(path)))
    return found


class DV104(Pipeline):
    """Git tracks no output that DVC caches."""

    name = "stage-output-in-git"
    requires = frozenset({"DV001"})

    @staticmethod
    def check(dvc_yaml: Parsed, git_files: list[str]) -> Iterator[Problem]:
        """A stage output that DVC caches is also committed to git.

        The two disagree after the next `dvc repro`, and git carries a copy of every version. Run
        `git rm -r --cached PATH` (DVC adds it to a .gitignore when the stage runs), or mark the output
        `cache: false` if it is small text meant for git.
        """
        tracked = set(git_files)
        for name, stage in stages_of(dvc_yaml).items():
            for key, index, path in cached_outputs(stage):
                prefix = path.rstrip("/") + "/"
                if path in tracked or any(file.startswith(prefix) for file in tracked):
                    yield Problem(
                        f"stage {name!r} output {path} is cached by DVC and tracked by git",
                        "dvc.yaml",
                        dvc_yaml.line("stages", name, key, index),
                    )


RULES = (DV001, DV101, DV102, DV103, DV104)
FIXTURES = ()
