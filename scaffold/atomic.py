"""Write several files all or nothing: every new content goes to a temporary file beside its target, and
the targets are replaced only when all are written; a failure while replacing restores what was replaced.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def _replace(source: Path, target: Path) -> None:
    os.replace(source, target)


def write_all(contents: Mapping[Path, str]) -> None:
    """Give every path in `contents` its new text, or change none of them."""
    originals = {path: path.read_bytes() if path.exists() else None for path in contents}
    staged: dict[Path, Path] = {}
    replaced: list[Path] = []
    try:
        for path, text in contents.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.scaffold-tmp")
            temporary.write_text(text, encoding="utf-8")
            staged[path] = temporary
        for path, temporary in staged.items():
            _replace(temporary, path)
            replaced.append(path)
    except BaseException:
        for path in replaced:
            original = originals[path]
            if original is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(original)
        for temporary in staged.values():
            temporary.unlink(missing_ok=True)
        raise
