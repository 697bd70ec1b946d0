"""Round-trip YAML with ruamel.yaml: the one place YAML style is decided.

Files are read and written so that what a command did not change stays byte for byte as it was: comments,
key order, quoting, blank lines. The indentation matches the template's (two spaces, sequences indented).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ScaffoldError

if TYPE_CHECKING:
    from ruamel.yaml import YAML


def _yaml() -> YAML:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long `cmd:` line
    return yaml


def load_text(text: str, path: Path) -> Any:
    """Parse `text` (the contents of `path`), naming the file and line of a syntax error."""
    from ruamel.yaml.error import MarkedYAMLError

    try:
        return _yaml().load(text)
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ScaffoldError(
            f"not valid YAML: {error.problem or error.context}", file=path, line=line
        ) from None


def load(path: Path) -> Any:
    return load_text(path.read_text(encoding="utf-8"), path)


def dump(data: Any) -> str:
    buffer = io.StringIO()
    _yaml().dump(data, buffer)
    return buffer.getvalue()
