"""ST: the files and folders every project made from the template has, and a pyproject.toml that parses."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

from ..base import Problem, Rule
from ..fixtures import Parsed

REQUIRED_FILES = (
    "pyproject.toml",
    "dvc.yaml",
    "params.yaml",
    "model_contract.yaml",
    "Makefile",
    "README.md",
    ".gitignore",
    ".dvc/config",
)
REQUIRED_FOLDERS = ("data/raw", "models", "reports", "tests")
PYPROJECT = "pyproject.toml"


class Structure(Rule):
    family = "ST"


def pyproject(root: Path) -> Parsed:
    path = root / PYPROJECT
    if not path.is_file():
        return Parsed(PYPROJECT)
    try:
        return Parsed(PYPROJECT, True, tomllib.loads(path.read_text(encoding="utf-8")))
    except tomllib.TOMLDecodeError as error:
        message, line = _toml_error(error)
        return Parsed(PYPROJECT, True, error=f"not valid TOML: {message}", error_line=line)


def _toml_error(error: tomllib.TOMLDecodeError) -> tuple[str, int]:
    """The message and line of a TOML error: attributes since Python 3.14, only in the text before."""
    text = str(error)
    found = re.search(r"\s*\(at line (\d+), column \d+\)$", text)
    message = getattr(error, "msg", None) or (text[: found.start()] if found else text)
    line = getattr(error, "lineno", None) or (int(found.group(1)) if found else 1)
    return message, line


class ST001(Structure):
    """The project has the template's required files."""

    name = "required-file-missing"

    @staticmethod
    def check(root: Path) -> Iterator[Problem]:
        """A required file is missing.

        The template's files are the standard every project follows: tools (DVC, the promotion gate, CI)
        and people expect them at these paths. Restore the file from a fresh render (`scaffold new`).
        """
        for name in REQUIRED_FILES:
            if not (root / name).is_file():
                yield Problem(f"required file {name} is missing", name)


class ST002(Structure):
    """The project has the template's required folders."""

    name = "required-folder-missing"

    @staticmethod
    def check(root: Path) -> Iterator[Problem]:
        """A required folder is missing.

        Stages write their outputs to data/, models/ and reports/, and the tests live in tests/. Create the
        folder (with a `.gitkeep` if it is empty).
        """
        for name in REQUIRED_FOLDERS:
            if not (root / name).is_dir():
                yield Problem(f"required folder {name}/ is missing", name)


class ST003(Structure):
    """The pipeline's code is one package under src/ with a stages/ subpackage."""

    name = "stages-package-missing"

    @staticmethod
    def check(package: str | None, root: Path) -> Iterator[Problem]:
        """There is not exactly one `src/<package>/stages/` package.

        Every dvc.yaml stage runs a module of that package (`python -m <package>.stages.NAME`), which is how
        the checks and `scaffold add-stage` find the code. Keep one package under src/ with a `stages/`
        subpackage that has an `__init__.py`.
        """
        if package is None:
            yield Problem("expected exactly one src/<package>/stages/__init__.py", "src")


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


RULES = (ST001, ST002, ST003, ST004)
FIXTURES = (pyproject,)
