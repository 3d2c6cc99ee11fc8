"""Builders shared by the CLI entry points and the Dagster definitions."""
