"""ST: the files and folders every project made from the template has."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..engine import Problem, Rule

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


class Structure(Rule):
    family = "ST"


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
