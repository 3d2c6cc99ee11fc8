"""llmledger.infra."""
