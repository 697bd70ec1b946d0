"""Time `scaffold update` as a user waits for it (a whole process) on a default project with one user edit
that conflicts, and count the git processes it starts. Run by hand; figures go to docs/benchmarks.md.

    uv run python bench/bench_update.py [-n 7] [--cruft /tmp/cruft-venv/bin/cruft]

Two cases, each from a fresh copy of the same committed project:
- installed: the project was made from template 0.0.9 (a tag of a local template repository: the installed
  template with two Makefile lines and a CI step as they were "before"); `scaffold update` merges it up to the
  installed template: one `git clone` (the old version) and the installed files;
- tags: the project was made from tag v1.0.0; `scaffold update --to 2.0.0` clones both versions.
With --cruft, `cruft update` of the same change (template at the repository's root, as cruft needs) for scale.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scaffold.render import render, template_dir

SCAFFOLD = [sys.executable, "-m", "scaffold"]
SLUG = "{{cookiecutter.project_slug}}"
BEFORE = {  # text in the installed template -> what "the previous version" had there
    "Makefile": [("\tuv sync\n", "\tuv sync --frozen\n"), ("\tuv run pytest\n", "\tuv run pytest -q\n")],
    ".github/workflows/ci.yml": [("      - name: Test\n        run: uv run pytest\n", "")],
}
USER_EDIT = ("\tuv run pytest -q\n", "\tuv run pytest -x\n")  # the line the template also changes


def git(cwd: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=b", "-c", "user.email=b@b", *args], cwd=cwd, check=True, capture_output=True
    )


def template_repo(root: Path, versions: dict[str, bool]) -> Path:
    """A git repository with the installed template tagged at each version (True: with BEFORE applied)."""
    repo = root / "template-repo"
    shutil.copytree(template_dir(), repo / "template", ignore=shutil.ignore_patterns("__pycache__"))
    pristine = {name: (repo / "template" / SLUG / name).read_text() for name in BEFORE}
    git(repo, "init", "--quiet")
    for version, before in versions.items():
        for name, replacements in BEFORE.items():
            text = pristine[name]
            for old, new in replacements if before else []:
                assert text.count(old) == 1, (name, old)
                text = text.replace(old, new)
            (repo / "template" / SLUG / name).write_text(text)
        config_path = repo / "template" / "cookiecutter.json"
        config = json.loads(config_path.read_text())
        config.update(_template_version=version, _template_repo=repo.as_uri())
        config_path.write_text(json.dumps(config, indent=2))
        git(repo, "add", "--all")
        git(repo, "commit", "--quiet", "-m", version)
        git(repo, "tag", f"v{version}")
    return repo


def project_from(repo: Path, version: str, root: Path) -> Path:
    git(repo, "checkout", "--quiet", f"v{version}")
    project = render(root / f"project-{version}", template=repo / "template")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "start")
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text().replace(*USER_EDIT))
    git(project, "commit", "--quiet", "-am", "mine")
    return project


def git_counter(root: Path) -> tuple[dict[str, str], Path]:
    """PATH with a `git` that logs each call, then runs the real one."""
    shim, log = root / "shim", root / "git-calls.log"
    shim.mkdir(parents=True)
    real = shutil.which("git")
    (shim / "git").write_text(f'#!/bin/sh\necho "$*" >> {log}\nexec {real} "$@"\n')
    (shim / "git").chmod(0o755)
    return {**os.environ, "PATH": f"{shim}:{os.environ['PATH']}"}, log


def subcommand(arguments: list[str]) -> str:
    """`commit-tree` for `git -c a=b -c c=d commit-tree ...`; `--work-tree=x add` gives `add`."""
    words = iter(arguments)
    for word in words:
        if word in ("-c", "-C"):
            next(words, None)
        elif not word.startswith("-"):
            return word
    return "?"


def run_case(name: str, project: Path, command: list[str], runs: int, root: Path) -> None:
    env, log = git_counter(root / f"count-{name}")
    samples, counts = [], []
    for index in range(runs):
        copy = root / f"{name}-{index}"
        shutil.copytree(project, copy, symlinks=True)
        log.unlink(missing_ok=True)
        start = time.perf_counter()
        result = subprocess.run([*command, "--project", str(copy)], env=env, capture_output=True, text=True)
        samples.append(time.perf_counter() - start)
        assert result.returncode == 1 and "conflict: Makefile" in result.stderr, result.stderr
        calls = [subcommand(line.split()) for line in log.read_text().splitlines()]
        counts.append(len(calls))
    print(
        f"{name}: median {statistics.median(samples):.3f} s (min {min(samples):.3f}, max {max(samples):.3f}, "
        f"n={runs}); {counts[0]} git processes: {', '.join(calls)}"
    )


def run_cruft(cruft: str, repo: Path, root: Path, runs: int) -> None:
    """`cruft update` of the same change on the same project (cruft's own create, --directory template)."""
    flat = root / "flat-repo"  # a clone: cruft records its URL and clones it again on update
    git(root, "clone", "--quiet", str(repo), str(flat))
    project = root / "cruft-project"
    subprocess.run(
        [
            cruft,
            "create",
            "--no-input",
            "--directory",
            "template",
            "--checkout",
            "v1.0.0",
            "--output-dir",
            str(project),
            str(flat),
        ],
        check=True,
        capture_output=True,
    )
    (project,) = project.iterdir()
    # cruft renders with the full hooks: without skipping what they make (a .git in each render among them),
    # its patch does not apply and it exits 0 having changed nothing but .cruft.json
    config = json.loads((project / ".cruft.json").read_text())
    config["skip"] = [".git", ".dvc", ".dvcignore", "uv.lock", "data"]
    (project / ".cruft.json").write_text(json.dumps(config, indent=2))
    git(project, "init", "--quiet")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "-m", "start")
    makefile = project / "Makefile"
    makefile.write_text(makefile.read_text().replace(*USER_EDIT))
    git(project, "commit", "--quiet", "-am", "mine")
    samples, codes = [], set()
    for index in range(runs):
        copy = root / f"cruft-{index}"
        shutil.copytree(project, copy, symlinks=True)
        start = time.perf_counter()
        result = subprocess.run(
            [cruft, "update", "--skip-apply-ask", "--checkout", "v2.0.0", "--project-dir", str(copy)],
            capture_output=True,
            check=False,
        )
        samples.append(time.perf_counter() - start)
        codes.add(result.returncode)
    low, high = min(samples), max(samples)
    left = "markers" if "<<<<<<<" in (copy / "Makefile").read_text() else "no markers"
    rejects = [path.name for path in copy.rglob("*.rej")]
    print(
        f"cruft update: median {statistics.median(samples):.3f} s (min {low:.3f}, max {high:.3f}); "
        f"exit codes {sorted(codes)}; Makefile: {left}; .rej files: {rejects or 'none'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=7)
    parser.add_argument(
        "--cruft", metavar="PATH", help="Time `cruft update` too, with this cruft executable."
    )
    args = parser.parse_args()
    installed = json.loads((template_dir() / "cookiecutter.json").read_text())["_template_version"]
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        os.environ["XDG_DATA_HOME"] = str(root / "xdg")
        repo = template_repo(root, {"0.0.9": True, "1.0.0": True, "2.0.0": False})
        old_to_installed = project_from(repo, "0.0.9", root)
        old_to_tag = project_from(repo, "1.0.0", root)
        load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
        print(f"installed template {installed}; load average before the runs: {load}")
        run_case("installed", old_to_installed, [*SCAFFOLD, "update", "--no-input"], args.runs, root)
        run_case("tags", old_to_tag, [*SCAFFOLD, "update", "--to", "2.0.0", "--no-input"], args.runs, root)
        run_case(
            "dry-run",
            old_to_tag,
            [*SCAFFOLD, "update", "--to", "2.0.0", "--no-input", "--dry-run"],
            args.runs,
            root,
        )
        if args.cruft:
            run_cruft(args.cruft, repo, root, args.runs)


if __name__ == "__main__":
    main()
