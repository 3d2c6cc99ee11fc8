"""llmledger.demo."""
