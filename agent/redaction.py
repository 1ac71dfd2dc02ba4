"""Masking secrets in text that leaves the process (errors, logs, exports).

Three nets: the exact values we know are secret (a provider's own key), the
values of the environment variables the provider table marks secret (AWS
secret keys and session tokens have no recognisable shape), and the shapes of
common credentials (OpenAI/Anthropic/OpenRouter keys, bearer tokens, GitHub
tokens, AWS access key ids, Google access tokens), for values we never saw.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping

SECRET_SHAPES = re.compile(
    r"(sk-[A-Za-z0-9_\-]{8,}|Bearer\s+[A-Za-z0-9._\-]{8,}|gh[pousr]_[A-Za-z0-9]{16,}"
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{16}\b|\bya29\.[A-Za-z0-9._\-]{8,})"
)
REDACTED = "[redacted]"
_SHORTEST_KNOWN = 6  # shorter "secrets" (e.g. "none") would mask ordinary words


def secret_env_values(env: Mapping[str, str] | None = None) -> list[str]:
    """The values of the secret variables (per the provider table) set in `env`."""
    # Here, not at the top: the provider package must not load with the audit log.
    from agent.providers.facts import SECRET_VARIABLES

    env = os.environ if env is None else env
    return [value for name in SECRET_VARIABLES if (value := env.get(name, ""))]


def scrub(text: str, known: Iterable[str | None] = ()) -> str:
    """`text` with the `known` secret values, the secret variables' values and
    secret-shaped tokens masked."""
    for secret in (*known, *secret_env_values()):
        if secret and len(secret) >= _SHORTEST_KNOWN:
            text = text.replace(secret, REDACTED)
    return SECRET_SHAPES.sub(REDACTED, text)


__all__ = ["REDACTED", "SECRET_SHAPES", "scrub", "secret_env_values"]
