"""Reject bad answers before cookiecutter writes a project from them.

Runs under plain `cookiecutter` as well as `scaffold new`, so it uses the standard library only. Each bad
answer gets one line saying what is wrong and what would be right; the exit status makes cookiecutter delete
the directory it created, so nothing is left behind.
"""

from __future__ import annotations

import keyword
import re
import sys

ANSWERS = {
    "project_name": {{ cookiecutter.project_name | tojson }},
    "description": {{ cookiecutter.description | tojson }},
    "author_name": {{ cookiecutter.author_name | tojson }},
    "project_slug": {{ cookiecutter.project_slug | tojson }},
    "package_name": {{ cookiecutter.package_name | tojson }},
    "model_name": {{ cookiecutter.model_name | tojson }},
    "python_version": {{ cookiecutter.python_version | tojson }},
    "author_email": {{ cookiecutter.author_email | tojson }},
    "mlflow_tracking_uri": {{ cookiecutter.mlflow_tracking_uri | tojson }},
    "dvc_remote_url": {{ cookiecutter.dvc_remote_url | tojson }},
}

SHELL_METACHARACTERS = set("$`;&|<>(){}[]*?!~'\"#\\%^=,:@+")
SLUG = re.compile(r"[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?")
PACKAGE = re.compile(r"[a-z_][a-z0-9_]*")
MODEL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
PYTHON_VERSION = re.compile(r"3\.(1[1-9]|[2-9][0-9])")
EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
URI = re.compile(r"[a-z][a-z0-9+.-]*:[^\s\"'\\]+")

# sys.stdlib_module_names leaves out the standard library's own regression-test package.
STANDARD_LIBRARY = sys.stdlib_module_names | {"test"}

# Import names a generated project depends on, or that tools treat specially: a package of the same name
# would shadow them (or be shadowed) and break imports in confusing ways.
DEPENDENCY_MODULES = {
    "dvc", "mlflow", "pandas", "pandera", "numpy", "scipy", "sklearn", "skops", "yaml", "pytest",
    "ruff", "pip", "setuptools", "hatchling", "click", "fastapi", "uvicorn", "gunicorn", "pydantic",
    "starlette", "evidently", "fairlearn", "prometheus_client", "requests", "jinja2", "sqlalchemy",
    "alembic", "flask", "joblib", "cookiecutter", "scaffold", "tests", "src", "data", "models",
}


def slug_problem(slug: str) -> str | None:
    if not slug.strip():
        return "is empty"
    if "/" in slug or "\\" in slug:
        return "contains a path separator"
    if ".." in slug:
        return "contains '..'"
    if any(character.isspace() for character in slug):
        return "contains white space"
    if bad := sorted(SHELL_METACHARACTERS.intersection(slug)):
        return f"contains the shell metacharacter {bad[0]!r}"
    if not SLUG.fullmatch(slug):
        return "must be lower-case letters, digits, '-', '_' or '.', starting and ending with a letter or digit"
    if len(slug) > 100:
        return "is longer than 100 characters"
    return None


def package_problem(package: str) -> str | None:
    if not package.strip():
        return "is empty"
    if not package.isidentifier():
        return "is not a Python identifier"
    if keyword.iskeyword(package) or keyword.issoftkeyword(package):
        return "is a Python keyword"
    if not PACKAGE.fullmatch(package):
        return "must be lower-case ASCII letters, digits and '_' (PEP 8)"
    if package in STANDARD_LIBRARY:
        return "shadows a module of the standard library"
    if package in DEPENDENCY_MODULES:
        return "shadows a module the project depends on"
    return None


def text_problem(text: str) -> str | None:
    """Free text lands inside TOML and Python strings: keep it to one line without quotes or backslashes."""
    if not text.strip():
        return "is empty"
    if any(character in text for character in '"\\\n\r'):
        return "may not contain double quotes, backslashes or line breaks"
    return None


def problems(answers: dict[str, str]) -> list[str]:
    """Return one message per bad answer, in the order cookiecutter asks for them."""
    checks = {
        "project_name": text_problem,
        "description": text_problem,
        "author_name": text_problem,
        "project_slug": slug_problem,
        "package_name": package_problem,
        "model_name": lambda value: None if MODEL_NAME.fullmatch(value) else (
            "must start with a letter or digit and contain only letters, digits, '.', '_' or '-'"
        ),
        "python_version": lambda value: None if PYTHON_VERSION.fullmatch(value) else (
            "must be a Python version from 3.11 on, such as 3.11 or 3.12"
        ),
        "author_email": lambda value: None if EMAIL.fullmatch(value) else "is not an e-mail address",
        "mlflow_tracking_uri": lambda value: None if URI.fullmatch(value) else (
            "must be a URI such as sqlite:///mlflow.db or http://127.0.0.1:5000"
        ),
        "dvc_remote_url": lambda value: "contains white space" if re.search(r"\s", value) else None,
    }
    found = []
    for name, check in checks.items():
        problem = check(answers[name])
        if problem:
            found.append(f"{name} {answers[name]!r} {problem}.")
    return found


def main() -> int:
    """Report the first bad answer only: later ones are often derived from it (slug -> package name)."""
    found = problems(ANSWERS)
    if found:
        print(f"error: {found[0]}", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
