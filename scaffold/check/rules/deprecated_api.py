"""AP: the project's code uses no API its libraries have deprecated."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from ..base import Problem, Rule

# `from pandera import X` is fine when X is a subpackage, not a pandas class re-exported at the top level.
PANDERA_SUBMODULES = frozenset(
    {
        "pandas",
        "polars",
        "pyspark",
        "ibis",
        "typing",
        "errors",
        "dtypes",
        "engines",
        "extensions",
        "api",
        "io",
    }
)


STAGE_APIS = ("transition_model_version_stage", "get_latest_versions")


class DeprecatedApi(Rule):
    family = "AP"


def nodes(python_files: dict[str, str], mentioning: tuple[str, ...]) -> Iterator[tuple[str, ast.AST]]:
    """(path, node) of every node of every file that parses (ruff reports the others) and mentions one of
    the words: a substring test is a thousand times cheaper than a parse, and most files mention none."""
    for path, text in python_files.items():
        if not any(word in text for word in mentioning):
            continue
        try:
            tree = ast.parse(text, filename=path)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            yield path, node


def position(node: ast.AST) -> tuple[int, int]:
    """1-based line and column of a node; of the attribute's name for `obj.name`, as ruff reports it."""
    if isinstance(node, ast.Attribute) and node.end_lineno is not None and node.end_col_offset is not None:
        return node.end_lineno, node.end_col_offset - len(node.attr) + 1
    return getattr(node, "lineno", 1), getattr(node, "col_offset", 0) + 1


def find(
    python_files: dict[str, str], mentioning: tuple[str, ...], match: Callable[[ast.AST], str | None]
) -> Iterator[Problem]:
    for path, node in nodes(python_files, mentioning):
        message = match(node)
        if message is not None:
            yield Problem(message, path, *position(node))


class AP001(DeprecatedApi):
    """The code moves models with registry aliases, not stages."""

    name = "mlflow-registry-stages"

    @staticmethod
    def check(python_files: dict[str, str]) -> Iterator[Problem]:
        """The code calls `transition_model_version_stage` (or reads `get_latest_versions` by stage).

        MLflow deprecated model registry stages (Staging, Production) in 2.9, and the template's gate and
        service use aliases (`@champion`, `@challenger`). Use `client.set_registered_model_alias(name, alias,
        version)` and load `models:/NAME@ALIAS`.
        """

        def match(node: ast.AST) -> str | None:
            name = (
                node.attr
                if isinstance(node, ast.Attribute)
                else node.id
                if isinstance(node, ast.Name)
                else None
            )
            if name in STAGE_APIS:
                return f"{name} uses MLflow registry stages, which are deprecated: use aliases"
            return None

        yield from find(python_files, STAGE_APIS, match)


class AP002(DeprecatedApi):
    """Pandera's pandas API is imported from `pandera.pandas`."""

    name = "pandera-top-level-import"

    @staticmethod
    def check(python_files: dict[str, str]) -> Iterator[Problem]:
        """The code imports pandas schemas from the top-level `pandera` module.

        Since pandera 0.24 that import warns (FutureWarning) and a later release removes it: the top-level
        module is becoming backend-neutral. Write `import pandera.pandas as pa` (and
        `from pandera.pandas import DataFrameModel, Field`).
        """

        def match(node: ast.AST) -> str | None:
            if isinstance(node, ast.Import) and any(alias.name == "pandera" for alias in node.names):
                return "`import pandera` for pandas schemas is deprecated: `import pandera.pandas as pa`"
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "pandera"
                and not node.level
                and any(alias.name not in PANDERA_SUBMODULES for alias in node.names)
            ):
                return (
                    "`from pandera import ...` is deprecated for pandas schemas: import from pandera.pandas"
                )
            return None

        yield from find(python_files, ("pandera",), match)


class AP003(DeprecatedApi):
    """The code does not import Evidently's legacy API."""

    name = "evidently-legacy"

    @staticmethod
    def check(python_files: dict[str, str]) -> Iterator[Problem]:
        """The code imports `evidently.legacy`.

        Evidently 0.7 moved the pre-0.7 API (Report with metric presets, test suites) to `evidently.legacy`,
        kept for migration only and removed in a later release. Use the current API: `from evidently import
        Report` with `evidently.presets` (for example `DataDriftPreset`).
        """

        def match(node: ast.AST) -> str | None:
            modules = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            if any(
                module == "evidently.legacy" or module.startswith("evidently.legacy.") for module in modules
            ):
                return "evidently.legacy is Evidently's deprecated pre-0.7 API: use the current one"
            if (
                isinstance(node, ast.ImportFrom)
                and node.module == "evidently"
                and any(alias.name == "legacy" for alias in node.names)
            ):
                return "evidently.legacy is Evidently's deprecated pre-0.7 API: use the current one"
            return None

        yield from find(python_files, ("evidently",), match)


RULES = (AP001, AP002, AP003)
FIXTURES = ()
