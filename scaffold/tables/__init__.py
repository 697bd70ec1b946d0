"""Bring your own table: read it once (profile), infer its data spec (inference), and render around it."""
