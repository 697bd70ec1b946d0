"""The rules engine: collect the families' rules and fixtures, and run the selected rules on a project.

Each family module lists its rules (`RULES`) and the fixtures only it uses (`FIXTURES`), as sp-repo-review's
check modules do; nothing registers itself. A rule whose prerequisite failed (or was skipped) is skipped with
the reason. Selectors match codes by prefix, as ruff's do: `DV` is the family, `ALL` every rule.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from . import fixtures as shared
from .base import Finding, Problem, Report, Rule
from .rules import FAMILIES

Fixture = Callable[..., Any]


@cache
def _rules() -> dict[str, type[Rule]]:
    rules: dict[str, type[Rule]] = {}
    for family in FAMILIES:
        for rule in family.RULES:
            if rule.code() in rules:
                raise ValueError(f"rule code {rule.code()} is defined twice")
            rules[rule.code()] = rule
    return dict(sorted(rules.items()))


def all_rules() -> dict[str, type[Rule]]:
    """Every rule, by code, sorted."""
    return dict(_rules())


@cache
def _fixtures() -> dict[str, Fixture]:
    found: dict[str, Fixture] = {}
    for module in (shared, *FAMILIES):
        for fixture in module.FIXTURES:
            if fixture.__name__ in found or fixture.__name__ == "root":
                raise ValueError(f"fixture {fixture.__name__} is defined twice")
            found[fixture.__name__] = fixture
    return found


def all_fixtures() -> dict[str, Fixture]:
    """Every fixture a rule may name, by name (`root`, the project's directory, is given, not computed)."""
    return dict(_fixtures())


class Fixtures:
    """The fixtures of one project, each computed on first use with the fixtures it names as parameters."""

    def __init__(self, root: Path) -> None:
        self._values: dict[str, Any] = {"root": root}
        self._fixtures = _fixtures()

    def __getitem__(self, name: str) -> Any:
        if name not in self._values:
            self._values[name] = call(self._fixtures[name], self)
        return self._values[name]


def call(function: Callable[..., Any], fixtures: Fixtures) -> Any:
    """`function` called with the fixture each of its parameters names."""
    parameters = inspect.signature(function).parameters
    return function(**{name: fixtures[name] for name in parameters})


def matches(code: str, selectors: Iterable[str]) -> bool:
    return any(selector == "ALL" or code.startswith(selector) for selector in selectors)


def ignore_reason(code: str, ignore: dict[str, str]) -> str | None:
    """The reason of the most specific ignore selector matching `code` (`ALL` the least), None if none."""
    matching = [selector for selector in ignore if matches(code, (selector,))]
    if not matching:
        return None
    return ignore[max(matching, key=lambda selector: (selector != "ALL", len(selector)))]


def run_checks(
    root: Path,
    *,
    select: Iterable[str] = ("ALL",),
    ignore: dict[str, str] | None = None,
    severities: dict[str, str] | None = None,
) -> Report:
    """Run every selected rule on the project at `root`, prerequisites first."""
    ignore, severities = ignore or {}, severities or {}
    fixtures = Fixtures(root)
    report = Report(root)
    failed: set[str] = set()
    for code, rule in _in_dependency_order(_rules()):
        if not matches(code, select):
            continue
        reason = ignore_reason(code, ignore)
        if reason is not None:
            report.skipped[code] = f"ignored: {reason}"
            failed.add(code)
            continue
        missing = sorted(rule.requires & (failed | set(report.skipped)))
        if missing:
            report.skipped[code] = f"requires {', '.join(missing)}"
            failed.add(code)
            continue
        severity = severities.get(code, rule.severity)
        problems: list[Problem] = list(call(rule.check, fixtures))
        for problem in problems:
            finding = Finding(problem.path, problem.line, problem.column, code, problem.message, severity)
            report.findings.append(finding)
        if problems:
            failed.add(code)
        else:
            report.passed.append(code)
    report.findings.sort()
    return report


def _in_dependency_order(rules: dict[str, type[Rule]]) -> list[tuple[str, type[Rule]]]:
    ordered: list[tuple[str, type[Rule]]] = []
    seen: set[str] = set()

    def visit(code: str) -> None:
        if code in seen or code not in rules:
            return
        seen.add(code)
        for required in sorted(rules[code].requires):
            visit(required)
        ordered.append((code, rules[code]))

    for code in rules:
        visit(code)
    return ordered
