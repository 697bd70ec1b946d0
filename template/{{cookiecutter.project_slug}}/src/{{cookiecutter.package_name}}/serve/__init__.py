"""The prediction service: a FastAPI app that serves the @champion model (see app.py)."""
