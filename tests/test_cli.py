"""The CLI: light to start, strict about its arguments, and never leaves half a project behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from scaffold import __version__
from scaffold.cli import cli

HEAVY_MODULES = ("mlflow", "dvc", "pandas", "cookiecutter", "sklearn", "jinja2")


def scaffold(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "scaffold", *args], capture_output=True, text=True, check=False, cwd=cwd
    )


def test_help_imports_none_of_the_heavy_libraries() -> None:
    probe = (
        "import sys\n"
        "from scaffold.cli import main\n"
        "sys.argv = ['scaffold', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        f"print(sorted({{name.split('.')[0] for name in sys.modules}} & {set(HEAVY_MODULES)!r}))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "Usage: scaffold" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_version() -> None:
    assert CliRunner().invoke(cli, ["--version"]).output.strip() == f"scaffold, version {__version__}"


@pytest.mark.parametrize("command", sorted(cli.commands))
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: cli {command} ")
    summary = cli.commands[command].get_short_help_str(limit=200)
    assert summary and summary in " ".join(result.output.split()), "the command's docstring is its help"


def test_new_prints_where_the_project_is_and_what_to_do_next(tmp_path: Path) -> None:
    result = scaffold("new", "--no-input", "-o", str(tmp_path), "project_name=Next Steps")
    assert result.returncode == 0, result.stderr
    assert f"Project ready at {tmp_path / 'next-steps'}" in result.stdout
    assert "make repro" in result.stdout and "cd next-steps" in result.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == ["next-steps"]


def test_extra_context_must_be_key_value(tmp_path: Path) -> None:
    result = scaffold("new", "--no-input", "-o", str(tmp_path), "project_name")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: expected KEY=VALUE, got 'project_name'"
    assert list(tmp_path.iterdir()) == []


def test_an_existing_project_is_never_overwritten(tmp_path: Path) -> None:
    existing = tmp_path / "customer-churn"
    existing.mkdir()
    (existing / "notes.txt").write_text("mine")

    result = scaffold("new", "--no-input", "-o", str(tmp_path))

    assert result.returncode == 2
    assert "customer-churn already exists" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["customer-churn"]
    assert [path.name for path in existing.iterdir()] == ["notes.txt"]


@pytest.mark.parametrize(
    ("command", "complaint"),
    [(["new", "--bogus"], "No such option '--bogus'"), (["nonsense"], "No such command 'nonsense'")],
)
def test_usage_errors_exit_2(command: list[str], complaint: str) -> None:
    result = scaffold(*command)
    assert result.returncode == 2
    assert complaint in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
