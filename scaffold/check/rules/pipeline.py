"""DV: the DVC pipeline, dvc.yaml: its stages, their commands, deps, tests and outputs."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...imports import ImportGraph
from ..base import Problem, Rule
from ..fixtures import Parsed, entries, stage_path, stages_of, within

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


def import_graph(package: str | None, python_files: dict[str, str]) -> ImportGraph | None:
    """The imports between the package's modules, each module parsed when a rule first asks for it; None
    without one package under src/."""
    return ImportGraph(package, python_files.get) if package is not None else None


def stage_modules(stage: Any, graph: ImportGraph) -> list[tuple[str, str]]:
    """(target, file) of each module of the package that a stage's `cmd` runs: `python -m PKG.MODULE`
    (a package runs its `__main__.py`), or `python src/PKG/....py`."""
    commands = stage.get("cmd") if isinstance(stage, dict) else None
    found = []
    for command in commands if isinstance(commands, list) else [commands]:
        try:
            tokens = shlex.split(str(command or ""))
        except ValueError:
            tokens = str(command).split()
        target = _python_target(tokens)
        if target is None:
            continue
        if target.endswith(".py"):
            path = stage_path(stage, target)
            file = path if within(path, f"src/{graph.package}") else None
        else:
            file = graph.module_file(target)
            if file is not None and file.endswith("/__init__.py"):
                file = graph.module_file(f"{target}.__main__") or file
        if file is not None:
            found.append((target, file))
    return found


class DV105(Pipeline):
    """Every stage's deps list each module of the package that its code imports, directly or not."""

    name = "stage-import-not-in-deps"
    requires = frozenset({"DV001"})

    @staticmethod
    def check(dvc_yaml: Parsed, import_graph: ImportGraph | None) -> Iterator[Problem]:
        """A stage runs a module of the project's package, and its `deps` lack that module or one it imports,
        directly or through other modules of the package.

        DVC reruns a stage only when one of its deps changes: change the missing module (a schema, the feature
        spec, a metric) and `dvc repro` keeps the outputs the old code made, while `dvc status` says the
        pipeline is up to date. Add the paths named to the stage's `deps` (a folder that holds them, such as
        `src/<package>`, counts too); `scaffold add-stage` writes the full list for the stages it adds.
        """
        if import_graph is None:
            return
        for name, stage in stages_of(dvc_yaml).items():
            deps = [stage_path(stage, path) for _, path in entries(stage, "deps")]
            for target, file in stage_modules(stage, import_graph):
                missing = [
                    module
                    for module in import_graph.closure(file)
                    if not any(within(module, dep) for dep in deps)
                ]
                if missing:
                    yield Problem(
                        f"stage {name!r} runs {target}; its deps lack {', '.join(missing)}",
                        "dvc.yaml",
                        dvc_yaml.line("stages", name),
                    )


RULES = (DV001, DV101, DV102, DV103, DV104, DV105)
FIXTURES = (import_graph,)
