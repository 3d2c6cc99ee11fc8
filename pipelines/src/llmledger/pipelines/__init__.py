"""llmledger.pipelines."""
