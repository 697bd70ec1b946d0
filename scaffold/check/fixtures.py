"""What rules look at, parsed once per run, lazily, with line numbers; an absent file gives an empty value.

A fixture is a function whose parameters name the fixtures it needs (`def dvc_yaml(root: Path) -> Parsed`);
a rule names fixtures the same way (`def check(dvc_yaml: Parsed, root: Path)`), and the engine computes each
one on first use, once per run. A rule never opens a file. A file that does not parse is a `Parsed` with
`error` set (and the line), so the rule that owns the file reports it as a finding instead of a traceback.

This module holds the parsers and the fixtures several families use; a fixture only one family uses lives in
that family's module (as sp-repo-review's `workflows` lives in `checks/github.py`), listed in its `FIXTURES`.
"""

from __future__ import annotations

import json
import os
import posixpath
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Parsed:
    """A parsed file: `data` (None if absent or broken), `lines` of each key path, and the parse error."""

    path: str
    exists: bool = False
    data: Any = None
    lines: dict[KeyPath, int] = field(default_factory=dict)
    error: str | None = None
    error_line: int = 1

    def line(self, *key: str | int) -> int:
        """The line of `key` (or of its closest parent that has one), 1 when unknown."""
        for end in range(len(key), 0, -1):
            if key[:end] in self.lines:
                return self.lines[key[:end]]
        return 1


LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser when PyYAML has it: 5x faster


def parse_yaml(root: Path, relative: str) -> Parsed:
    path = root / relative
    if not path.is_file():
        return Parsed(relative)
    text = path.read_text(encoding="utf-8", errors="replace")
    loader = LOADER(text)
    try:  # one pass: the node tree gives the lines, the same tree gives the data
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        return Parsed(
            relative, True, error=f"not valid YAML: {problem}", error_line=mark.line + 1 if mark else 1
        )
    finally:
        loader.dispose()
    return Parsed(relative, True, data, _key_lines(node))


def _key_lines(node: yaml.Node | None, prefix: KeyPath = ()) -> dict[KeyPath, int]:
    lines: dict[KeyPath, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = (*prefix, key_node.value)
            lines[path] = key_node.start_mark.line + 1
            lines.update(_key_lines(value_node, path))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = (*prefix, index)
            lines[path] = item.start_mark.line + 1
            if isinstance(item, yaml.MappingNode) and len(item.value) == 1:
                # `- data/x.csv: {cache: false}`: also index the entry by its path, like a plain string entry
                lines[path] = item.value[0][0].start_mark.line + 1
            lines.update(_key_lines(item, path))
    return lines


def parse_json(root: Path, relative: str) -> Parsed:
    """A JSON file, with the line of each key (JSON is YAML, so `yaml.compose` marks them)."""
    path = root / relative
    if not path.is_file():
        return Parsed(relative)
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return Parsed(relative, True, error=f"not valid JSON: {error.msg}", error_line=error.lineno)
    try:
        lines = _key_lines(yaml.compose(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:  # valid JSON that YAML 1.1 rejects (tabs, say): no lines, still the data
        lines = {}
    return Parsed(relative, True, data, lines)


def files_ending(root: Path, suffix: str) -> list[str]:
    """Relative paths of the project's files named `*suffix`, tracked or not (hidden folders such as .git,
    .venv and .dvc, and node_modules, left out)."""
    found: list[str] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(
            name for name in subfolders if not name.startswith(".") and name != "node_modules"
        )
        base = Path(folder).relative_to(root)
        found += [(base / name).as_posix() for name in sorted(names) if name.endswith(suffix)]
    return found


def stages_of(dvc_yaml: Parsed) -> dict[str, Any]:
    """The `stages` mapping of dvc.yaml; empty when it is absent or not a mapping."""
    stages = dvc_yaml.data.get("stages") if isinstance(dvc_yaml.data, dict) else None
    return stages if isinstance(stages, dict) else {}


def entries(stage: Any, key: str) -> list[tuple[int, str]]:
    """(index, path) of a stage's deps/outs/metrics/plots, whose items are strings or one-key mappings."""
    items = stage.get(key) if isinstance(stage, dict) else None
    return [
        (index, str(next(iter(item))) if isinstance(item, dict) else str(item))
        for index, item in enumerate(items if isinstance(items, list) else [])
        if not isinstance(item, dict) or item
    ]


def stage_path(stage: Any, path: str) -> str:
    """A dvc.yaml path relative to the project: the stage's `wdir` applied, `./` and `..` resolved."""
    wdir = stage.get("wdir") if isinstance(stage, dict) else None
    return posixpath.normpath(posixpath.join(str(wdir or "."), path))


def within(path: str, folder: str) -> bool:
    """`path` is `folder` or inside it."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


# The fixtures several families use.


def package(root: Path) -> str | None:
    """The package under src/ that holds the pipeline stages."""
    packages = sorted(path.parent.parent.name for path in root.glob("src/*/stages/__init__.py"))
    return packages[0] if len(packages) == 1 else None


def dvc_yaml(root: Path) -> Parsed:
    return parse_yaml(root, "dvc.yaml")


def git_files(root: Path) -> list[str]:
    """Files git tracks (staged included); empty outside a git repository."""
    result = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True, check=False)
    return [name for name in result.stdout.decode().split("\0") if name] if result.returncode == 0 else []


def python_files(root: Path) -> dict[str, str]:
    """The project's own Python sources (src/ and tests/), by relative path."""
    return {
        path.relative_to(root).as_posix(): path.read_text(encoding="utf-8", errors="replace")
        for folder in ("src", "tests")
        for path in sorted((root / folder).rglob("*.py"))
    }


FIXTURES: tuple[Callable[..., Any], ...] = (package, dvc_yaml, git_files, python_files)
