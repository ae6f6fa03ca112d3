"""Dagster definitions: thin wrappers that call the plain Python beneath them."""
