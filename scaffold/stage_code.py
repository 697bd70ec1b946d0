"""The source of a stage module and its test, as `scaffold add-stage` writes them, from template files.

A project's own `templates/stage/` comes first (a team's house style, as Kedro's `pipeline create` looks
in the project's `templates/pipeline`), then the files shipped in `scaffold/templates/stage/`; each file is
looked up on its own. A template is the file's text with `$name` placeholders (`string.Template`: `$$` is
a dollar) and whole-line `#if FLAG`, `#if not FLAG`, `#else` and `#endif` (ruff's `# ` comments cannot be
mistaken for them), nothing more: importing jinja2 would cost add-stage a third of its time budget.

Placeholders: `$name` (the stage), `$package`, `$params_class`, `$params_fields` (one `    key: type` line
per parameter), `$stage_imports` (the stage modules a test imports). Flags: `params`, `metrics`, `plots`.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ScaffoldError

SHIPPED = Path(__file__).resolve().parent / "templates" / "stage"
PROJECT_TEMPLATES = Path("templates/stage")  # in the project: files there replace the shipped ones
MODULE_TEMPLATE = "stage.py.tmpl"
TEST_TEMPLATE = "test_stage.py.tmpl"
FLAGS = ("params", "metrics", "plots")


@dataclass(frozen=True)
class StageCode:
    """What the templates are filled with."""

    name: str
    package: str
    params: dict[str, Any]
    metrics: bool
    plots: bool

    def values(self) -> dict[str, str]:
        return {
            "name": self.name,
            "package": self.package,
            "params_class": params_class(self.name),
            "params_fields": "\n".join(f"    {key}: {type(v).__name__}" for key, v in self.params.items()),
            "stage_imports": ", ".join(sorted({"prepare", self.name})),
        }

    def flags(self) -> dict[str, bool]:
        return {"params": bool(self.params), "metrics": self.metrics, "plots": self.plots}


def module_source(root: Path, code: StageCode) -> str:
    """The stage module: `run()` on one validated frame, `main(argv) -> int` wiring files to it."""
    return render(template_path(root, MODULE_TEMPLATE), code)


def test_source(root: Path, code: StageCode) -> str:
    """The stage's test, on the project's fixtures (`split`, `workdir`)."""
    return render(template_path(root, TEST_TEMPLATE), code)


def template_path(root: Path, filename: str) -> Path:
    """The project's own template `filename` if it has one, else the shipped one."""
    own = root / PROJECT_TEMPLATES / filename
    return own if own.is_file() else SHIPPED / filename


def render(path: Path, code: StageCode) -> str:
    """The template at `path`, its `#if` blocks decided by `code`'s flags, its placeholders filled."""
    return _filled(path, _kept_lines(path, code.flags()), code.values())


def _kept_lines(path: Path, flags: dict[str, bool]) -> list[tuple[int, str]]:
    """(number, text) of the template's lines that its `#if`/`#else`/`#endif` blocks keep."""
    kept: list[tuple[int, str]] = []
    blocks: list[tuple[int, bool]] = []  # (line, whether its lines are kept) of each open #if, innermost last
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for number, line in enumerate(lines, 1):
        words = line.split()
        directive = words[0] if words and words[0] in ("#if", "#else", "#endif") else None
        if directive == "#if":
            negated = len(words) == 3 and words[1] == "not"
            if len(words) != 2 + negated or words[-1] not in flags:
                raise ScaffoldError(
                    f"expected `#if FLAG` or `#if not FLAG`, FLAG one of {', '.join(FLAGS)}",
                    file=path,
                    line=number,
                )
            blocks.append((number, flags[words[-1]] != negated))
        elif directive in ("#else", "#endif") and not blocks:
            raise ScaffoldError(f"{directive} without #if", file=path, line=number)
        elif directive == "#else":
            blocks[-1] = (blocks[-1][0], not blocks[-1][1])
        elif directive == "#endif":
            blocks.pop()
        elif all(keep for _, keep in blocks):
            kept.append((number, line))
    if blocks:
        raise ScaffoldError("#if without #endif", file=path, line=blocks[-1][0])
    return kept


def _filled(path: Path, kept: list[tuple[int, str]], values: dict[str, str]) -> str:
    """The kept lines with their placeholders filled; a bad one is named with its line of the template."""
    for number, line in kept:  # a placeholder is on one line: check each, to name the line
        for match in string.Template.pattern.finditer(line):
            name = match.group("named") or match.group("braced")
            if match.group("invalid") is not None:
                raise ScaffoldError(
                    "`$` not followed by a name", file=path, line=number, hint="write a dollar sign as $$"
                )
            if name is not None and name not in values:
                known = ", ".join(values)
                raise ScaffoldError(
                    f"unknown placeholder ${name}", file=path, line=number, hint=f"known: {known}"
                )
    return string.Template("".join(line for _, line in kept)).substitute(values)


def params_class(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) + "Params"
