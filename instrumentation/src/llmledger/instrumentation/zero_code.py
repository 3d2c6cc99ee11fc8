"""Zero-code setup: ``opentelemetry-instrument python app.py`` with nothing else installed.

`opentelemetry-instrument` loads a configurator (the ``opentelemetry_configurator`` entry
point), then every instrumentor (``opentelemetry_instrumentor``). llmledger registers both:
``llmledger`` -> `LLMLedgerConfigurator`, which runs `configure(instrument=False)` (OTLP/HTTP export
from the standard ``OTEL_*`` variables, attribution, user-id hashing), and the three
instrumentors ``llmledger_openai``, ``llmledger_anthropic``, ``llmledger_google_genai``, which
then patch the SDKs against that global provider. With another configurator installed as well
(e.g. ``opentelemetry-distro``), choose ours with ``OTEL_PYTHON_CONFIGURATOR=llmledger``, or
keep theirs and add `AttributionSpanProcessor` to it.
"""

from __future__ import annotations

from typing import Any

from llmledger.instrumentation.configuration import configure


class LLMLedgerConfigurator:
    """The ``opentelemetry_configurator`` entry point: `configure()` minus the patching."""

    def configure(self, **kwargs: Any) -> None:
        # `opentelemetry-instrument` patches the SDKs itself, through the instrumentor entry
        # points; patching here too would only be undone and redone.
        configure(instrument=False)
