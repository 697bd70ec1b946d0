"""The import analysis add-stage and DV105 share: which of the package's modules a module runs."""

from __future__ import annotations

from scaffold.imports import ImportGraph

PACKAGE = {
    "src/pkg/__init__.py": '"""The package."""\nVERSION = "1"\n',
    "src/pkg/stages/__init__.py": '"""Stages."""\n',
    "src/pkg/stages/a.py": (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "import pandas as pd\n"
        "from ..schemas import SCHEMAS\n"
        "import pkg.paths\n"
        "from pkg import task\n"
        "from .. import VERSION\n"
        "if TYPE_CHECKING:\n"
        "    from ..typing_only import Hint\n"
        "def run():\n"
        "    from ..lazy import helper\n"
    ),
    "src/pkg/schemas.py": "from .features import TARGET\nfrom . import missing_module\n",
    "src/pkg/features.py": "TARGET = 'y'\n",
    "src/pkg/paths.py": "import os\n",
    "src/pkg/task.py": "from .features import *\n",
    "src/pkg/typing_only.py": "from .unused import x\n",
    "src/pkg/unused.py": "",
    "src/pkg/lazy.py": "from .serve import app\n",
    "src/pkg/serve/__init__.py": "",
    "src/pkg/serve/app.py": "from ... import beyond_the_top\n",
    "src/pkg/broken.py": "from .features import (\n",
}


def graph(files: dict[str, str] = PACKAGE) -> ImportGraph:
    return ImportGraph("pkg", files.get)


def test_relative_absolute_lazy_and_transitive_imports_count() -> None:
    assert graph().closure("src/pkg/stages/a.py") == [
        "src/pkg/__init__.py",  # VERSION is defined there
        "src/pkg/features.py",  # through schemas.py and task.py's star import
        "src/pkg/lazy.py",  # a function's import runs when the function does
        "src/pkg/paths.py",
        "src/pkg/schemas.py",
        "src/pkg/serve/app.py",  # a submodule, not the package's __init__.py
        "src/pkg/stages/a.py",
        "src/pkg/task.py",
    ]


def test_what_only_a_type_checker_imports_does_not_count() -> None:
    assert "src/pkg/typing_only.py" not in graph().closure("src/pkg/stages/a.py")


def test_a_module_that_does_not_parse_imports_nothing_visible() -> None:
    assert graph().closure("src/pkg/broken.py") == ["src/pkg/broken.py"]
    assert graph().closure("src/pkg/nosuch.py") == []


def test_module_files() -> None:
    assert graph().module_file("pkg.stages.a") == "src/pkg/stages/a.py"
    assert graph().module_file("pkg.serve") == "src/pkg/serve/__init__.py"
    assert graph().module_file("pkg.nosuch") is None
    assert graph().module_file("pkgx.stages.a") is None


def test_each_file_is_read_once() -> None:
    reads: list[str] = []

    def read(path: str) -> str | None:
        reads.append(path)
        return PACKAGE.get(path)

    imports = ImportGraph("pkg", read)
    first = imports.closure("src/pkg/stages/a.py")
    assert imports.closure("src/pkg/stages/a.py", "src/pkg/task.py") == first
    assert sorted(reads) == sorted(set(reads))
