"""Time cold `scaffold check` (a whole process, as pre-commit and CI run it) on a generated project and on a
dvc.yaml of 1,000 stages, beside repo-review (with sp-repo-review's checks) and `cruft check` on the same
project in the same run. Run by hand; figures go to docs/benchmarks.md.

    uv run python bench/bench_check.py [-n 7] [--stages 1000] [--no-compare]

The comparison installs repo-review and cruft into a scratch virtual environment with uv (PyPI, cached).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import print_timings

from scaffold.render import render

CHECK = [sys.executable, "-m", "scaffold", "check", "--exit-zero", "--format", "concise"]


def timed(command: list[str], runs: int, *, check: bool = True) -> list[float]:
    """Wall time of whole processes; `check=False` for tools that exit non-zero on findings (repo-review)."""
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=check, capture_output=True)
        samples.append(time.perf_counter() - start)
    return samples


def with_stages(base: Path, target: Path, stages: int) -> Path:
    """A copy of the project whose dvc.yaml has `stages` stages (each with a module and a test)."""
    shutil.copytree(base, target, symlinks=True)
    text = [(target / "dvc.yaml").read_text()]
    for index in range(stages - 3):
        text.append(f"\n  s{index}:\n    cmd: python -m customer_churn.stages.prepare\n")
        text.append(
            f"    deps:\n      - data/processed/train.csv\n    outs:\n      - data/chain/s{index}.csv\n"
        )
        (target / "tests" / "stages" / f"test_s{index}.py").write_text("")
    (target / "dvc.yaml").write_text("".join(text))
    return target


def tools_venv(root: Path) -> Path:
    """repo-review (with the Scientific Python checks) and cruft in an environment of their own: its bin."""
    venv = root / "tools"
    subprocess.run(["uv", "venv", "--quiet", str(venv)], check=True)
    packages = ["sp-repo-review[cli]", "cruft"]
    subprocess.run(["uv", "pip", "install", "--quiet", "--python", str(venv), *packages], check=True)
    return venv / "bin"


def as_cruft_project(project: Path, repository: Path) -> Path:
    """Give the project the `.cruft.json` cruft would have written, pointing at this checkout's template."""
    answers = json.loads((project / ".scaffold-answers.json").read_text())
    commit = subprocess.run(
        ["git", "-C", str(repository), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    cruft = {"template": str(repository), "commit": commit, "checkout": None, "directory": "template"}
    (project / ".cruft.json").write_text(json.dumps({**cruft, "context": answers}, indent=2))
    return project


def comparison_rows(base: Path, root: Path, runs: int) -> list[tuple[str, list[float], str]]:
    bin_dir = tools_venv(root)
    repository = Path(__file__).resolve().parents[1]
    project = as_cruft_project(base, repository)
    repo_review = [str(bin_dir / "repo-review"), "--format", "json", str(project)]
    cruft_check = [str(bin_dir / "cruft"), "check", "--project-dir", str(project)]
    return [
        ("cold `repo-review` (sp-repo-review), same project", timed(repo_review, runs, check=False), "-"),
        ("cold `cruft check`, same project (template: this checkout)", timed(cruft_check, runs), "-"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=7)
    parser.add_argument("--stages", type=int, default=1000)
    parser.add_argument("--no-compare", dest="compare", action="store_false", help="no repo-review, cruft")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        os.environ["XDG_DATA_HOME"] = str(root / "xdg")
        base = render(root / "base")
        big = with_stages(base, root / "big", args.stages)
        rows = [
            (
                "cold `scaffold check` on a generated project",
                timed([*CHECK, str(base)], args.runs),
                "<= 0.3 s",
            ),
            (f"cold `scaffold check` on {args.stages} stages", timed([*CHECK, str(big)], 3), "<= 2 s"),
        ]
        if args.compare:
            rows += comparison_rows(base, root, args.runs)
    print_timings(rows)


if __name__ == "__main__":
    main()
