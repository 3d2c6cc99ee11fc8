"""Reading an SDK object's field whether the SDK built it or it is still the JSON dict.

Dicts show up where an SDK could not validate an event against its types (say, an output item
type newer than the SDK: it then leaves nested objects as plain dicts) and where we read an event
before the SDK builds it (the usage event we hide from a chat stream).
"""

from __future__ import annotations

from typing import Any


def field(obj: Any, name: str) -> Any:
    """`obj.name`, or `obj[name]` for a dict; None when absent."""
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)
