"""Which of a package's modules a module imports, transitively: what a dvc.yaml stage must list as deps.

DVC reruns a stage when one of its deps changes, so a stage's deps must name every module of the project's
package its code runs: its own module, the modules that one imports, the modules those import, and so on.
`add-stage` writes the list and `scaffold check` (DV105) holds it complete; both ask `ImportGraph`.

Read with `ast`, never imported: relative imports (`from ..schemas import SCHEMAS`) and absolute ones of the
package (`import pkg.paths`, `from pkg import paths`), wherever they are in the module (a function's lazy
import runs too), except under `if TYPE_CHECKING:`. A package's `__init__.py` counts when code imports a
name defined there, not because a submodule of it is imported (a parent package's `__init__.py` is the
template's docstring). Imports of other packages, and of modules that do not exist, are left out.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

Reader = Callable[[str], "str | None"]  # relative path -> the module's text, None if there is no such file


class ImportGraph:
    """The package `package` under `src/`, its modules read through `read` and parsed once each."""

    def __init__(self, package: str, read: Reader) -> None:
        self.package = package
        self._reader = read
        self._texts: dict[str, str | None] = {}
        self._imports: dict[str, frozenset[str]] = {}

    def _read(self, path: str) -> str | None:
        if path not in self._texts:
            self._texts[path] = self._reader(path)
        return self._texts[path]

    def module_file(self, dotted: str) -> str | None:
        """The file of module `dotted` (`pkg.stages.prepare`): `src/pkg/stages/prepare.py`, or the
        package's `__init__.py`; None when it is not a module of the package."""
        if dotted != self.package and not dotted.startswith(self.package + "."):
            return None
        base = "src/" + dotted.replace(".", "/")
        for path in (base + ".py", base + "/__init__.py"):
            if self._read(path) is not None:
                return path
        return None

    def closure(self, *paths: str) -> list[str]:
        """`paths` and every module of the package they import, directly or not, sorted."""
        seen: set[str] = set()
        pending = [path for path in paths if self._read(path) is not None]
        while pending:
            path = pending.pop()
            if path not in seen:
                seen.add(path)
                pending += self.imports(path) - seen
        return sorted(seen)

    def imports(self, path: str) -> frozenset[str]:
        """The files of the package's modules that the module at `path` imports directly."""
        if path not in self._imports:
            self._imports[path] = frozenset(self._direct_imports(path))
        return self._imports[path]

    def _direct_imports(self, path: str) -> Iterator[str]:
        text = self._read(path)
        try:
            tree = ast.parse(text or "", filename=path)
        except (SyntaxError, ValueError):  # ruff reports it; the module imports nothing we can see
            return
        # The package relative imports start from: the folder's, for a module and for an __init__.py alike.
        package = path.removeprefix("src/").split("/")[:-1]
        for node in _import_nodes(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    found = self.module_file(alias.name)
                    if found is not None:
                        yield found
                continue
            if node.level:
                if node.level > len(package):
                    continue  # beyond the top of the package: an ImportError when it runs
                parent = package[: len(package) - node.level + 1]
                origin = ".".join([*parent, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            yield from self._from_import(origin, [alias.name for alias in node.names])

    def _from_import(self, origin: str, names: list[str]) -> Iterator[str]:
        """`from origin import names`: each name a submodule, or else defined in origin's own file."""
        origin_file = self.module_file(origin)
        if origin_file is None:
            return
        if not origin_file.endswith("/__init__.py"):
            yield origin_file
            return
        for name in names:
            submodule = self.module_file(f"{origin}.{name}") if name != "*" else None
            yield submodule if submodule is not None else origin_file


def _import_nodes(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement of the module, at any depth of its statements (an import is a statement, so
    expressions are not searched), but those only a type checker runs (`if TYPE_CHECKING:`)."""
    pending: list[ast.stmt] = list(reversed(tree.body))
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
            continue
        blocks: list[list[ast.stmt]]
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            blocks = [node.orelse]
        else:
            blocks = [getattr(node, field, []) for field in _BLOCKS]
            blocks += [handler.body for handler in getattr(node, "handlers", ())]
            blocks += [case.body for case in getattr(node, "cases", ())]
        for block in blocks:
            pending += reversed(block)


_BLOCKS = ("body", "orelse", "finalbody")  # the statement lists of def, class, if, for, while, with, try


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )
