"""DA: data stays out of git, tracked by DVC."""

from __future__ import annotations

import posixpath
import subprocess
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath

from ..base import Problem, Rule
from ..fixtures import Parsed, entries, files_ending, parse_yaml, stage_path, stages_of, within

DATA_POINTERS = (".dvc", ".gitignore", ".gitkeep")
LARGE_FILE_BYTES = 1024 * 1024
# Serialized models, arrays and columnar data: binary artefacts that belong in DVC, not in git.
BINARY_SUFFIXES = frozenset(
    {
        ".pkl",
        ".pickle",
        ".joblib",
        ".skops",
        ".h5",
        ".hdf5",
        ".keras",
        ".onnx",
        ".pt",
        ".pth",
        ".ckpt",
        ".safetensors",
        ".npy",
        ".npz",
        ".parquet",
        ".feather",
        ".arrow",
        ".avro",
        ".orc",
        ".tfrecord",
    }
)
LOCK_FILES = frozenset({"uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock", "package-lock.json"})
STAGE_OUTPUTS = ("outs", "metrics", "plots")


class Data(Rule):
    family = "DA"


def dvc_files(root: Path) -> dict[str, Parsed]:
    """Every `.dvc` file of the project (hidden folders, .venv and node_modules left out)."""
    return {relative: parse_yaml(root, relative) for relative in files_ending(root, ".dvc")}


def git_file_sizes(root: Path, git_files: list[str]) -> dict[str, int]:
    """Size in bytes of each file git tracks, as it is in the working tree (absent files left out)."""
    sizes = {}
    for name in git_files:
        path = root / name
        if path.is_file() and not path.is_symlink():
            sizes[name] = path.stat().st_size
    return sizes


def git_ignored(root: Path) -> Callable[[Iterable[str]], set[str]]:
    """A function telling which of some relative paths a .gitignore rule matches, tracked or not (none
    outside git): rules call it with the paths they care about."""

    def ignored(paths: Iterable[str]) -> set[str]:
        paths = list(paths)
        if not paths:
            return set()
        result = subprocess.run(
            ["git", "check-ignore", "--no-index", "--stdin", "-z"],
            cwd=root,
            input="\0".join(paths).encode(),
            capture_output=True,
            check=False,
        )
        return (
            {name for name in result.stdout.decode().split("\0") if name}
            if result.returncode in (0, 1)
            else set()
        )

    return ignored


def in_git(root: Path) -> bool:
    """The project is (inside) a git work tree."""
    result = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"], cwd=root, capture_output=True, check=False
    )
    return result.returncode == 0 and result.stdout.strip() == b"true"


class DA001(Data):
    """Git tracks nothing under data/ but DVC pointer files, .gitignore and .gitkeep."""

    name = "data-in-git"

    @staticmethod
    def check(git_files: list[str]) -> Iterator[Problem]:
        """A file under data/ is committed to git.

        Data belongs in DVC: git keeps every version of it forever, slows every clone, and the pipeline's
        record of what it was trained on (the `.dvc` file's hash) is lost. Run `git rm --cached FILE`, then
        `dvc add FILE` (or make it a stage output) and commit the `.dvc` file.
        """
        for name in git_files:
            if name.startswith("data/") and not name.endswith(DATA_POINTERS):
                yield Problem(f"{name} is tracked by git: track data with DVC", name)


class DA002(Data):
    """Git tracks no large files and no serialized models or binary data."""

    name = "large-file-in-git"

    @staticmethod
    def check(git_file_sizes: dict[str, int]) -> Iterator[Problem]:
        """A file over 1 MB, or a model or binary data file (.pkl, .joblib, .onnx, .parquet...), is committed.

        Git keeps every version of a binary forever and cannot diff or merge it; the repository grows with
        each retrain. Track it with DVC (`git rm --cached FILE && dvc add FILE`), or make it a stage output.
        Lock files are exempt.
        """
        for name, size in git_file_sizes.items():
            if PurePosixPath(name).name in LOCK_FILES:
                continue
            suffix = PurePosixPath(name).suffix.lower()
            if suffix in BINARY_SUFFIXES:
                yield Problem(f"{name} is a {suffix} file tracked by git: track it with DVC", name)
            elif size > LARGE_FILE_BYTES:
                megabytes = size / LARGE_FILE_BYTES
                yield Problem(f"{name} ({megabytes:.1f} MB) is tracked by git: track it with DVC", name)


def dvc_file_outs(dvc_file: Parsed) -> list[tuple[int, str]]:
    """(index, path) of a `.dvc` file's outs, as written (relative to the `.dvc` file's folder)."""
    outs = dvc_file.data.get("outs") if isinstance(dvc_file.data, dict) else None
    return [
        (index, str(out["path"]))
        for index, out in enumerate(outs if isinstance(outs, list) else [])
        if isinstance(out, dict) and out.get("path")
    ]


class DA003(Data):
    """Every file or folder a `.dvc` file tracks is ignored by git."""

    name = "dvc-output-not-gitignored"

    @staticmethod
    def check(
        dvc_files: dict[str, Parsed], git_ignored: Callable[[Iterable[str]], set[str]], in_git: bool
    ) -> Iterator[Problem]:
        """A path a `.dvc` file tracks is not matched by a .gitignore rule.

        Without the rule, `git add .` commits the data next to its pointer. `dvc add` writes the rule into
        the .gitignore beside the data (`/NAME`); restore it there.
        """
        if not in_git:
            return
        wanted = {
            (relative, index): (PurePosixPath(relative).parent / path).as_posix()
            for relative, dvc_file in dvc_files.items()
            for index, path in dvc_file_outs(dvc_file)
        }
        ignored = git_ignored(sorted(set(wanted.values())))
        for (relative, index), path in sorted(wanted.items()):
            if path not in ignored:
                gitignore = (PurePosixPath(path).parent / ".gitignore").as_posix()
                yield Problem(
                    f"{path} is tracked by {relative} but not ignored by git: add /{PurePosixPath(path).name}"
                    f" to {gitignore}",
                    relative,
                    dvc_files[relative].line("outs", index, "path"),
                )


class DA004(Data):
    """Every `.dvc` file parses and names what it tracks."""

    name = "dvc-file-invalid"

    @staticmethod
    def check(dvc_files: dict[str, Parsed]) -> Iterator[Problem]:
        """A `.dvc` file is not valid YAML or has no `outs` entry with a `path`.

        DVC cannot pull or check out the data it points to. Fix the syntax error at the line given, or
        recreate it: `dvc add PATH`.
        """
        for relative, dvc_file in dvc_files.items():
            if dvc_file.error:
                yield Problem(dvc_file.error, relative, dvc_file.error_line)
            elif not dvc_file_outs(dvc_file):
                yield Problem(f"{relative} has no `outs:` entry with a `path`", relative)


class DA005(Data):
    """Every pipeline input under data/ is written by a stage or tracked by a `.dvc` file."""

    name = "stage-input-unversioned"
    requires = frozenset({"DV001", "DA004"})

    @staticmethod
    def check(dvc_yaml: Parsed, dvc_files: dict[str, Parsed]) -> Iterator[Problem]:
        """A stage reads a path under data/ that no stage writes and no `.dvc` file tracks.

        Nothing records which version of it the pipeline ran on: `dvc repro` takes whatever file is there,
        `dvc push` does not store it, and a fresh clone has nothing to pull, so the pipeline cannot run there
        and its metrics cannot be reproduced. Track it with `dvc add PATH` (then commit PATH.dvc and the
        .gitignore beside it), or make it the output of a stage.
        """
        stages = stages_of(dvc_yaml)
        versioned = {
            stage_path(stage, path)
            for stage in stages.values()
            for key in STAGE_OUTPUTS
            for _, path in entries(stage, key)
        }
        versioned |= {
            posixpath.normpath(posixpath.join(posixpath.dirname(relative), path))
            for relative, dvc_file in dvc_files.items()
            for _, path in dvc_file_outs(dvc_file)
        }
        for name, stage in stages.items():
            for _, dependency in entries(stage, "deps"):
                path = stage_path(stage, dependency)
                if not path.startswith("data/") or "${" in path:  # templated paths are DVC's to resolve
                    continue
                if not any(within(path, folder) for folder in versioned):
                    yield Problem(
                        f"stage {name!r} reads {path}, which no stage writes and no .dvc file tracks",
                        "dvc.yaml",
                        dvc_yaml.line("stages", name),
                    )


RULES = (DA001, DA002, DA003, DA004, DA005)
FIXTURES = (dvc_files, git_file_sizes, git_ignored, in_git)
