"""What `scaffold check` runs: the project's `[tool.scaffold.check]` merged with `--select` and `--ignore`.

A pyproject.toml that does not parse gives the defaults (a rule reports the syntax error as a finding); a
`[tool.scaffold.check]` that parses but says something invalid is the user's mistake, refused with exit 2.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ScaffoldError
from .base import SEVERITIES

KEYS = ("select", "ignore", "severity")
CLI_IGNORE_REASON = "--ignore"
HINT_RULES = "`scaffold rules` lists them"


@dataclass(frozen=True)
class CheckConfig:
    """Selectors to run, ignored selectors with their reasons, and severities by exact rule code."""

    select: tuple[str, ...] = ("ALL",)
    ignore: dict[str, str] = field(default_factory=dict)
    severity: dict[str, str] = field(default_factory=dict)


def project_root(path: Path) -> Path:
    """`path` if it is a project (it has dvc.yaml or pyproject.toml); a usage error otherwise."""
    if not path.is_dir():
        raise ScaffoldError("not a project: no such directory", file=path)
    if not (path / "dvc.yaml").is_file() and not (path / "pyproject.toml").is_file():
        raise ScaffoldError("not a project: it has neither dvc.yaml nor pyproject.toml", file=path)
    return path


def parse_selectors(value: str, codes: Iterable[str], *, option: str) -> tuple[str, ...]:
    """`DV,PA101` -> ("DV", "PA101"); each one must match a rule code by prefix, or be ALL."""
    selectors = tuple(part.strip().upper() for part in value.split(",") if part.strip())
    try:
        for selector in selectors:
            _require_known(selector, codes, where=option)
    except _Invalid as error:
        raise ScaffoldError(str(error), hint=error.hint) from None
    return selectors


def load_config(
    root: Path, codes: Iterable[str], *, select: str | None = None, ignore: str | None = None
) -> CheckConfig:
    """The project's configuration; `--select` replaces its select, `--ignore` adds to its ignore."""
    known = sorted(codes)
    config = read_pyproject(root, known)
    selected = parse_selectors(select, known, option="--select") if select is not None else config.select
    ignored = dict(config.ignore)
    if ignore is not None:
        for selector in parse_selectors(ignore, known, option="--ignore"):
            ignored.setdefault(selector, CLI_IGNORE_REASON)
    return CheckConfig(selected, ignored, config.severity)


def read_pyproject(root: Path, codes: Iterable[str]) -> CheckConfig:
    """`[tool.scaffold.check]` of `root/pyproject.toml`; the defaults when it is absent or does not parse."""
    path = root / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return CheckConfig()
    table: Any = data
    for name in ("tool", "tool.scaffold", "tool.scaffold.check"):
        table = table.get(name.rpartition(".")[2])
        if table is None:
            return CheckConfig()
        if not isinstance(table, dict):
            raise ScaffoldError(f"[{name}] must be a table", file=path)
    try:
        return _parse_table(table, sorted(codes))
    except _Invalid as error:
        raise ScaffoldError(f"[tool.scaffold.check] {error}", file=path, hint=error.hint) from None


class _Invalid(ValueError):
    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.hint = hint


def _parse_table(table: Mapping[str, Any], codes: list[str]) -> CheckConfig:
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise _Invalid(f"has an unknown key {unknown[0]!r}", hint=f"expected {', '.join(KEYS)}")
    select = table.get("select", ["ALL"])
    if not isinstance(select, list) or not all(isinstance(item, str) for item in select):
        raise _Invalid("select must be a list of rule codes or prefixes", hint='e.g. select = ["DV", "PA"]')
    for selector in select:
        _require_known(selector, codes, where="select")
    ignore = _string_table(table.get("ignore", {}), "ignore", codes)
    severity = _string_table(table.get("severity", {}), "severity", codes)
    for selector, level in severity.items():
        if level not in SEVERITIES:
            raise _Invalid(f"severity.{selector} must be one of {', '.join(SEVERITIES)}, got {level!r}")
    return CheckConfig(tuple(select), ignore, _expand(severity, codes))


def _string_table(value: Any, key: str, codes: list[str]) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(item, str) for item in value.values()):
        raise _Invalid(f'{key} must be a table of CODE = "text"', hint=f'e.g. {key} = {{DV102 = "..."}}')
    for selector in value:
        _require_known(selector, codes, where=key)
    return dict(value)


def _expand(severity: Mapping[str, str], codes: list[str]) -> dict[str, str]:
    """Severities by exact code: a longer (more specific) selector wins over a shorter one."""
    expanded: dict[str, str] = {}
    for selector in sorted(severity, key=lambda s: (s != "ALL", len(s))):
        for code in codes:
            if selector == "ALL" or code.startswith(selector):
                expanded[code] = severity[selector]
    return expanded


def _require_known(selector: str, codes: Iterable[str], *, where: str) -> None:
    if selector != "ALL" and not any(code.startswith(selector) for code in codes):
        raise _Invalid(f"{where} has an unknown rule code or prefix {selector!r}", hint=HINT_RULES)
