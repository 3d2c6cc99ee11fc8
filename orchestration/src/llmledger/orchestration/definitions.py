"""llmledger's Dagster code location: `dagster dev -m llmledger.orchestration.definitions`."""

from __future__ import annotations

import dagster as dg

from llmledger.orchestration.defs import warehouse

defs = dg.Definitions.merge(warehouse.defs)
