"""The hooks also run under plain cookiecutter on a machine without DVC or uv: they say what to do instead."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT


def test_missing_dvc_and_uv_are_notes_not_failures(tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    (blocked / "dvc").mkdir(parents=True)
    (blocked / "dvc/__init__.py").write_text("raise ImportError('DVC is not installed in this test')\n")
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "git").symlink_to(shutil.which("git") or "git")
    output = tmp_path / "out"
    environment = {**os.environ, "PYTHONPATH": str(blocked), "PATH": str(tools)}

    result = subprocess.run(
        [sys.executable, "-m", "cookiecutter", "--no-input", "-o", str(output), str(REPO_ROOT / "template")],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "note: DVC is not installed here" in result.stdout
    assert "uv run dvc add data/raw/churn.csv" in result.stdout
    assert "note: uv is not installed" in result.stdout
    project = output / "customer-churn"
    assert (project / ".git").is_dir() and (project / "data/raw/churn.csv").is_file()
    assert not (project / ".dvc").exists() and not (project / "uv.lock").exists()
