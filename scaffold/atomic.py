"""Write several files all or nothing: every new content goes to a temporary file beside its target, and
the targets are replaced only when all are written; a failure while replacing restores what was replaced.

Every write names the project it writes into (`root`): no path outside it is touched, and a folder a
deletion empties is removed up to the project, never the project itself or anything above it.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from pathlib import Path


def _replace(source: Path, target: Path) -> None:
    os.replace(source, target)


def write_all(contents: Mapping[Path, str], *, root: Path) -> None:
    """Give every path in `contents` its new text (UTF-8), or change none of them; modes are kept."""
    executable = [path for path in contents if path.is_file() and path.stat().st_mode & 0o111]
    replace_all({path: text.encode("utf-8") for path, text in contents.items()}, executable, root=root)


def replace_all(
    contents: Mapping[Path, bytes | None], executable: Collection[Path] = (), *, root: Path
) -> None:
    """Give every path its new bytes (None deletes it; `executable` ones get the x bits), or change none.

    Every path must be inside `root` (a ValueError before anything is written otherwise). Deletions happen
    last, after every new file is in place; a folder a deletion empties is removed too, up to `root`.
    """
    root = _absolute(root)
    outside = [path for path in contents if root not in _absolute(path).parents]
    if outside:
        raise ValueError(f"{outside[0]} is not inside {root}: nothing was written")
    originals = {path: path.read_bytes() if path.is_file() else None for path in contents}
    modes = {path: path.stat().st_mode for path in contents if path.is_file()}
    staged: dict[Path, Path] = {}
    done: list[Path] = []
    try:
        for path, data in contents.items():
            if data is None:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.scaffold-tmp")
            temporary.write_bytes(data)
            mode = modes.get(path, 0o644)
            temporary.chmod(mode | 0o111 if path in executable else mode & ~0o111)
            staged[path] = temporary
        for path, temporary in staged.items():
            _replace(temporary, path)
            done.append(path)
        for path, data in contents.items():
            if data is None and path.exists():
                path.unlink()
                done.append(path)
    except BaseException:
        for path in done:
            original = originals[path]
            if original is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(original)
                path.chmod(modes[path])
        for temporary in staged.values():
            temporary.unlink(missing_ok=True)
        raise
    for path, data in contents.items():
        if data is None:
            _remove_empty_parents(path, root)


def _absolute(path: Path) -> Path:
    """Absolute, with `..` resolved by name; symlinks are not followed (the project is where it looks)."""
    return Path(os.path.abspath(path))


def _remove_empty_parents(path: Path, root: Path) -> None:
    """Remove the folders a deletion emptied, from `path`'s folder up to (not including) `root`."""
    folder = _absolute(path).parent
    while root in folder.parents and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
