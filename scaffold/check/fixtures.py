"""What rules look at, parsed once per run, lazily, with line numbers; an absent file gives an empty value.

A rule never opens a file: it names a fixture as a parameter (`def check(dvc_yaml: Parsed, root: Path)`), and
`Fixtures` computes it on first use. A file that does not parse is a `Parsed` with `error` set (and the line),
so the rule that owns the file reports it as a finding instead of a traceback.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
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


@dataclass(frozen=True)
class Instruction:
    line: int
    keyword: str  # upper-case: FROM, COPY, USER...
    arguments: str


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


def parse_dockerfile(text: str) -> list[Instruction]:
    """Instructions with the line they start on; continuation lines joined, comments dropped."""
    instructions: list[Instruction] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue
        if not pending:
            start = number
        pending += " " + stripped.removesuffix("\\") if pending else stripped.removesuffix("\\")
        if not stripped.endswith("\\"):
            keyword, _, arguments = pending.strip().partition(" ")
            instructions.append(Instruction(start, keyword.upper(), arguments.strip()))
            pending = ""
    return instructions


def _toml_error(error: tomllib.TOMLDecodeError) -> tuple[str, int]:
    """The message and line of a TOML error: attributes since Python 3.14, only in the text before."""
    text = str(error)
    found = re.search(r"\s*\(at line (\d+), column \d+\)$", text)
    message = getattr(error, "msg", None) or (text[: found.start()] if found else text)
    line = getattr(error, "lineno", None) or (int(found.group(1)) if found else 1)
    return message, line


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


class Fixtures:
    def __init__(self, root: Path) -> None:
        self.root = root

    @cached_property
    def pyproject(self) -> Parsed:
        path = self.root / "pyproject.toml"
        if not path.is_file():
            return Parsed("pyproject.toml")
        try:
            return Parsed("pyproject.toml", True, tomllib.loads(path.read_text(encoding="utf-8")))
        except tomllib.TOMLDecodeError as error:
            message, line = _toml_error(error)
            return Parsed("pyproject.toml", True, error=f"not valid TOML: {message}", error_line=line)

    @cached_property
    def package(self) -> str | None:
        """The package under src/ that holds the pipeline stages."""
        packages = sorted(path.parent.parent.name for path in self.root.glob("src/*/stages/__init__.py"))
        return packages[0] if len(packages) == 1 else None

    @cached_property
    def dvc_yaml(self) -> Parsed:
        return parse_yaml(self.root, "dvc.yaml")

    @cached_property
    def params(self) -> Parsed:
        return parse_yaml(self.root, "params.yaml")

    @cached_property
    def contract(self) -> Parsed:
        return parse_yaml(self.root, "model_contract.yaml")

    @cached_property
    def contract_schema(self) -> dict[str, Any] | None:
        """The project's own JSON Schema of the contract (shipped in its package)."""
        if self.package is None:
            return None
        path = self.root / "src" / self.package / "model_contract.schema.json"
        try:
            schema = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None
        except json.JSONDecodeError:
            return None  # MC101 then says the schema is missing or broken
        return schema if isinstance(schema, dict) else None

    @cached_property
    def workflows(self) -> dict[str, Parsed]:
        folder = self.root / ".github" / "workflows"
        names = sorted(p.name for p in folder.glob("*.y*ml")) if folder.is_dir() else []
        return {
            f".github/workflows/{name}": parse_yaml(self.root, f".github/workflows/{name}") for name in names
        }

    @cached_property
    def precommit(self) -> Parsed:
        return parse_yaml(self.root, ".pre-commit-config.yaml")

    @cached_property
    def dockerfiles(self) -> dict[str, list[Instruction]]:
        return {
            path.name: parse_dockerfile(path.read_text(encoding="utf-8", errors="replace"))
            for path in sorted(self.root.glob("Dockerfile*"))
            if path.is_file()
        }

    @cached_property
    def git_files(self) -> list[str]:
        """Files git tracks (staged included); empty outside a git repository."""
        result = subprocess.run(["git", "ls-files", "-z"], cwd=self.root, capture_output=True, check=False)
        return [name for name in result.stdout.decode().split("\0") if name] if result.returncode == 0 else []

    @cached_property
    def python_files(self) -> dict[str, str]:
        """The project's own Python sources (src/ and tests/), by relative path."""
        return {
            path.relative_to(self.root).as_posix(): path.read_text(encoding="utf-8", errors="replace")
            for folder in ("src", "tests")
            for path in sorted((self.root / folder).rglob("*.py"))
        }

    # Added for the DA, TV and DV104 rules.

    @cached_property
    def answers(self) -> Parsed:
        """`.scaffold-answers.json`: the template's answers in cookiecutter's replay format."""
        return parse_json(self.root, ".scaffold-answers.json")

    @cached_property
    def dvc_files(self) -> dict[str, Parsed]:
        """Every `.dvc` file of the project (hidden folders, .venv and node_modules left out)."""
        found: list[str] = []
        for folder, subfolders, names in os.walk(self.root):
            subfolders[:] = sorted(
                name for name in subfolders if not name.startswith(".") and name != "node_modules"
            )
            base = Path(folder).relative_to(self.root)
            found += [(base / name).as_posix() for name in sorted(names) if name.endswith(".dvc")]
        return {relative: parse_yaml(self.root, relative) for relative in found}

    @cached_property
    def git_file_sizes(self) -> dict[str, int]:
        """Size in bytes of each file git tracks, as it is in the working tree (absent files left out)."""
        sizes = {}
        for name in self.git_files:
            path = self.root / name
            if path.is_file() and not path.is_symlink():
                sizes[name] = path.stat().st_size
        return sizes

    def git_ignored(self, paths: Iterable[str]) -> set[str]:
        """Which of `paths` (relative) a .gitignore rule matches, tracked or not; empty outside git.

        A method, not a property: a rule that names it as a parameter gets this function.
        """
        paths = list(paths)
        if not paths:
            return set()
        result = subprocess.run(
            ["git", "check-ignore", "--no-index", "--stdin", "-z"],
            cwd=self.root,
            input="\0".join(paths).encode(),
            capture_output=True,
            check=False,
        )
        return (
            {name for name in result.stdout.decode().split("\0") if name}
            if result.returncode in (0, 1)
            else set()
        )

    @cached_property
    def in_git(self) -> bool:
        """The project is (inside) a git work tree."""
        result = subprocess.run(
            ["git", "rev-parse", "--is-inside-work-tree"], cwd=self.root, capture_output=True, check=False
        )
        return result.returncode == 0 and result.stdout.strip() == b"true"

    @cached_property
    def template(self) -> Template | None:
        """The bundled template this scaffold installation renders: its version and its files."""
        from ..render import template_dir  # no cookiecutter import: render imports it inside render()

        try:
            directory = template_dir()
        except Exception:  # the template is missing from the installation
            return None
        config = json.loads((directory / "cookiecutter.json").read_text(encoding="utf-8"))
        project = next(directory.glob("{{*"), None)
        files = (
            sorted(
                path.relative_to(project).as_posix()
                for path in project.rglob("*")
                if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
            )
            if project is not None
            else []
        )
        return Template(str(config.get("_template_version", "")), files)

    # Added for the TV rules on what a template update leaves behind.

    @cached_property
    def git_text_files(self) -> dict[str, str]:
        """The text of each file git tracks (binary files and files over 2 MB left out)."""
        texts = {}
        for name in self.git_files:
            path = self.root / name
            if not path.is_file() or path.is_symlink() or path.stat().st_size > 2_000_000:
                continue
            data = path.read_bytes()
            if b"\0" not in data[:8192]:
                texts[name] = data.decode("utf-8", errors="replace")
        return texts

    @cached_property
    def reject_files(self) -> list[str]:
        """`*.rej` files, tracked or not (hidden folders such as .git, .venv and .dvc left out)."""
        found: list[str] = []
        for folder, subfolders, names in os.walk(self.root):
            subfolders[:] = sorted(
                name for name in subfolders if not name.startswith(".") and name != "node_modules"
            )
            base = Path(folder).relative_to(self.root)
            found += [(base / name).as_posix() for name in sorted(names) if name.endswith(".rej")]
        return found


@dataclass(frozen=True)
class Template:
    version: str
    files: list[str]  # relative to the project, with `{{cookiecutter.NAME}}` left in folder and file names
