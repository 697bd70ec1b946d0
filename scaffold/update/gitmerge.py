"""The 3-way merge, done by git in the project's own repository with a throwaway commit graph.

Base = the render at the recorded version, theirs = the render at the target version (a child of base), ours =
the project's HEAD tree re-parented on base. `git merge-tree --write-tree` (git 2.38+) merges them in memory:
renames, adds, deletes and binary files as `git merge` would, conflicts as markers in the result's blobs.
Nothing touches the work tree, the index or any ref; the objects left behind are garbage git collects.
About a dozen short git processes in all.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ScaffoldError

IDENTITY = ["-c", "user.name=scaffold-update", "-c", "user.email=update@scaffold.invalid"]


def git(project: Path, *args: str, env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> str:
    result = subprocess.run(
        ["git", *IDENTITY, *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **env} if env else None,
    )
    if result.returncode not in ok:
        raise ScaffoldError(f"`git {args[0]}` failed: {result.stderr.strip()}", file=project)
    return result.stdout


def require_clean_repository(project: Path) -> None:
    """The project is the top of a git work tree with a commit and nothing uncommitted (untracked too)."""
    probe = subprocess.run(
        ["git", "rev-parse", "--show-prefix", "HEAD"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )
    lines = probe.stdout.splitlines()
    if probe.returncode != 0 and not lines:
        raise ScaffoldError(
            "not a git repository: update merges with git", file=project, hint="`git init` and commit first"
        )
    if lines and lines[0].strip():
        raise ScaffoldError("not the top of its git work tree", file=project, hint="pass --project ROOT")
    if probe.returncode != 0:
        raise ScaffoldError("the repository has no commit yet", file=project, hint="commit the project first")
    status = git(project, "status", "--porcelain", "-z", "--untracked-files=all")
    paths: set[str] = set()
    entries = iter(status.split("\0"))
    for entry in entries:
        if len(entry) > 3:
            paths.add(entry[3:])
            if "R" in entry[:2] or "C" in entry[:2]:
                next(entries, None)  # a rename's or copy's source path follows it
    dirty = sorted(paths)
    if dirty:
        shown = ", ".join(dirty[:3]) + (f" and {len(dirty) - 3} more" if len(dirty) > 3 else "")
        raise ScaffoldError(
            f"uncommitted changes ({shown}): update refuses to mix its changes with yours",
            file=project,
            hint="commit or stash them first",
        )


def tree_of(project: Path, directory: Path) -> str:
    """Hash `directory` into the project's object store as a tree (the project's ignore rules apply)."""
    with tempfile.TemporaryDirectory(prefix="scaffold-index-") as scratch:
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        git(project, f"--work-tree={directory}", "add", "--all", ".", env=env)
        return git(project, "write-tree", env=env).strip()


@dataclass(frozen=True)
class Merge:
    tree: str  # the merged tree, conflicts included as marked-up blobs
    conflicts: list[str]  # paths left conflicted, sorted
    messages: list[str]  # git's "CONFLICT (...)" lines
    labels: dict[str, str]  # commit id in the markers -> what to call it instead


def merge(project: Path, base: str, theirs: str, base_label: str, theirs_label: str) -> Merge:
    """Merge the base->theirs template change into the project's HEAD."""
    base_commit = git(project, "commit-tree", base, "-m", base_label).strip()
    theirs_commit = git(project, "commit-tree", theirs, "-p", base_commit, "-m", theirs_label).strip()
    ours_commit = git(project, "commit-tree", "HEAD^{tree}", "-p", base_commit, "-m", "project").strip()
    output = git(
        project, "merge-tree", "--write-tree", "-z", "--name-only", ours_commit, theirs_commit, ok=(0, 1)
    )
    head, _, informational = output.partition("\0\0")
    tree, *conflicts = head.split("\0")
    labels = {base_commit: base_label, theirs_commit: theirs_label, ours_commit: "your project"}
    messages = conflict_messages(informational)
    for commit, label in labels.items():
        messages = [message.replace(commit, label) for message in messages]
    return Merge(tree, sorted({path for path in conflicts if path}), messages, labels)


def conflict_messages(informational: str) -> list[str]:
    """The `CONFLICT (...)` messages of merge-tree's -z output: records of N paths, type, message."""
    fields, messages = informational.split("\0"), []
    index = 0
    while index < len(fields) and fields[index].isdigit():
        count = int(fields[index])
        message = fields[index + count + 2] if index + count + 2 < len(fields) else ""
        if message.startswith("CONFLICT"):
            messages.append(message.strip())
        index += count + 3
    return messages


@dataclass(frozen=True)
class Change:
    path: str
    mode: str | None  # "100644", "100755", "120000"; None when the file goes
    blob: str | None


def changes_between(project: Path, old: str, new: str) -> list[Change]:
    """Every file that differs between two trees (no rename pairing: a rename is a delete and an add)."""
    output = git(project, "diff-tree", "-r", "-z", "--no-renames", old, new)
    fields, found = output.split("\0"), []
    for header, path in zip(fields[0::2], fields[1::2], strict=False):
        if not header.startswith(":"):
            continue
        _, new_mode, _, new_blob, status = header[1:].split(" ")
        deleted = status == "D"
        found.append(Change(path, None if deleted else new_mode, None if deleted else new_blob))
    return found


def read_blobs(project: Path, blobs: list[str]) -> dict[str, bytes]:
    """The contents of blobs, all in one `git cat-file --batch`."""
    if not blobs:
        return {}
    result = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=project,
        input="".join(f"{blob}\n" for blob in blobs).encode(),
        capture_output=True,
        check=True,
    )
    contents, data, offset = {}, result.stdout, 0
    for blob in blobs:
        end = data.index(b"\n", offset)
        size = int(data[offset:end].split()[2])
        contents[blob] = data[end + 1 : end + 1 + size]
        offset = end + 1 + size + 1
    return contents
