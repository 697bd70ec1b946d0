"""The app instance servers import: `uvicorn {{ cookiecutter.package_name }}.serve.main:app`.

Kept apart from app.py so importing the factory (tests do) reads no environment and builds nothing.
"""

from .app import create_app

app = create_app()
