"""Helpers for testing rules (repo-review's `repo_review.testing` is the model): most rule tests are one line.

Not imported by `scaffold check`: it is for this repository's tests and for anyone writing a rule.
"""

from __future__ import annotations

from typing import Any

from .base import Problem
from .engine import all_rules


def compute_check(code: str, /, **fixtures: Any) -> list[Problem]:
    """Run rule `code` on fixtures given by hand, by name: every fixture its `check()` names must be given
    (fixtures that fixtures need are not computed)."""
    return list(all_rules()[code].check(**fixtures))
