"""scaffold: a Cookiecutter template for MLOps projects and the CLI that keeps them to the standard."""

__version__ = "0.2.0"
