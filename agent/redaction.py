"""Masking secrets in text that leaves the process (errors, logs, exports).

Two nets: the exact values we know are secret (a provider's own key), and the
shapes of common credentials (OpenAI/Anthropic/OpenRouter keys, bearer tokens,
GitHub tokens), for values we never saw.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SECRET_SHAPES = re.compile(
    r"(sk-[A-Za-z0-9_\-]{8,}|Bearer\s+[A-Za-z0-9._\-]{8,}|gh[pousr]_[A-Za-z0-9]{16,})"
)
REDACTED = "[redacted]"
_SHORTEST_KNOWN = 6  # shorter "secrets" (e.g. "none") would mask ordinary words


def scrub(text: str, known: Iterable[str | None] = ()) -> str:
    """`text` with the `known` secret values and secret-shaped tokens masked."""
    for secret in known:
        if secret and len(secret) >= _SHORTEST_KNOWN:
            text = text.replace(secret, REDACTED)
    return SECRET_SHAPES.sub(REDACTED, text)


__all__ = ["REDACTED", "SECRET_SHAPES", "scrub"]
