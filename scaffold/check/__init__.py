"""`scaffold check`: conformance of a project to the template, as rules with stable codes (see engine.py)."""
