"""What the rules, the engine and the formats share: the Rule base class, the Problem a rule yields, and the
Finding and Report the engine makes of them. The family modules import this, never the engine, so the engine
can import the families without a circle.

Modelled on scientific-python/repo-review: a rule's class docstring is its one-line description, its
`check()` docstring is the explanation `scaffold rule CODE` prints (what is wrong, why it matters, how to fix
it), and `check()` receives the fixtures it names as parameters.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

SEVERITIES = ("error", "warning")


@dataclass(frozen=True, order=True)
class Finding:
    """One problem, where it is: sorted by path, line, column and code for deterministic output."""

    path: str
    line: int
    column: int
    code: str
    message: str
    severity: str = "error"


@dataclass(frozen=True)
class Problem:
    """What a rule yields: the rule adds its code and severity."""

    message: str
    path: str
    line: int = 1
    column: int = 1


class Rule:
    """A rule: the class name is its code; a family base class sets `family` (and `url`)."""

    family: ClassVar[str] = ""
    url: ClassVar[str] = ""
    name: ClassVar[str]
    requires: ClassVar[frozenset[str]] = frozenset()
    severity: ClassVar[str] = "error"
    check: ClassVar[Callable[..., Iterable[Problem]]]

    @classmethod
    def code(cls) -> str:
        return cls.__name__

    @classmethod
    def description(cls) -> str:
        return inspect.cleandoc(cls.__doc__ or "").splitlines()[0]

    @classmethod
    def explanation(cls) -> str:
        return inspect.cleandoc(cls.check.__doc__ or "")


@dataclass
class Report:
    root: Path
    findings: list[Finding] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # code -> reason
    passed: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.severity == "error"]
