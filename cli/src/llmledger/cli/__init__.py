"""llmledger.cli."""
