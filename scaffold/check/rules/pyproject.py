"""ST004: pyproject.toml parses and describes the project (ST, with the other structure rules)."""

from __future__ import annotations

from collections.abc import Iterator

from ..engine import Problem
from ..fixtures import Parsed
from .structure import Structure

PYPROJECT = "pyproject.toml"


class ST004(Structure):
    """pyproject.toml parses and has a `[project]` table with a name."""

    name = "pyproject-invalid"

    @staticmethod
    def check(pyproject: Parsed) -> Iterator[Problem]:
        """pyproject.toml is not valid TOML, or has no `[project]` table naming the project.

        uv, the build backend, ruff and pytest all read it: with a syntax error none of them runs. Fix the
        error at the line given (`uv run python -c "import tomllib; tomllib.load(open('pyproject.toml',
        'rb'))"` shows it too).
        """
        if not pyproject.exists:
            return  # ST001 reports it
        if pyproject.error:
            yield Problem(pyproject.error, PYPROJECT, pyproject.error_line)
            return
        project = pyproject.data.get("project") if isinstance(pyproject.data, dict) else None
        if not isinstance(project, dict) or not isinstance(project.get("name"), str):
            yield Problem(f"{PYPROJECT} has no `[project]` table with a `name`", PYPROJECT)
