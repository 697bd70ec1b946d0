"""The docs site builds with `mkdocs build --strict`; every page is in the nav and built."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]
PAGES = (
    "index",
    "getting-started",
    "template",
    "project",
    "your-data",
    "contract",
    "serving",
    "monitoring",
    "cli",
    "benchmarks",
)


def built_page(site: Path, page: str) -> Path:
    """Where mkdocs writes a page with directory URLs (its default)."""
    return site / "index.html" if page == "index" else site / page / "index.html"


def test_docs_build_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"

    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert (site / "index.html").is_file()
    assert [page for page in PAGES if not built_page(site, page).is_file()] == []
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["nav"]
    assert [Path(file).stem for entry in nav for file in entry.values()] == list(PAGES)
    assert sorted(path.stem for path in (ROOT / "docs").glob("*.md")) == sorted(PAGES)


README_TEST_COMMAND = "python3 -m pip install --quiet uv && uv run pytest"


def test_ci_runs_the_readmes_test_command_in_a_users_environment(tmp_path: Path) -> None:
    """`.ci/run` calls the README's command exactly, without the variables this machine sets and users'
    machines do not (the certificate and registry ones stay: CI needs them for the network)."""
    assert f"\n{README_TEST_COMMAND}\n" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert (ROOT / ".ci/run").read_text(encoding="utf-8").splitlines()[-1] == README_TEST_COMMAND
    tools = tmp_path / "bin"
    tools.mkdir()
    record = tmp_path / "record"
    for name in ("python3", "uv"):  # stand-ins that record how they were called
        script = tools / name
        script.write_text(f'#!/bin/sh\necho "{name} $*" >> "{record}"\nenv >> "{record}"\n')
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    environment = {
        **os.environ,
        "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt",
    }

    result = subprocess.run(
        ["bash", str(ROOT / ".ci/run")], env=environment, capture_output=True, text=True, check=False
    )

    assert result.returncode == 0, result.stderr
    lines = record.read_text().splitlines()
    assert [line for line in lines if line.startswith(("python3 ", "uv "))] == [
        "python3 -m pip install --quiet uv",
        "uv run pytest",
    ]
    assert not [line for line in lines if line.startswith(("PYTHONDONTWRITEBYTECODE=", "PYTHONUNBUFFERED="))]
    assert lines.count("SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt") == 2
