"""Dagster definitions, one package per domain, merged by `llmledger.orchestration.definitions`."""
