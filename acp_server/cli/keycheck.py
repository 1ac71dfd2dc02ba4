"""One cheap request that tells `setup-provider` whether a key (or a local
server) works: the provider's model listing, `GET {base}/models`, against the
base URL the agent itself would use. It costs no tokens.

Outcomes (`Probe.outcome`):
- "works": the server answered 2xx;
- "refused": 401 or 403, the key is wrong (setup stores nothing);
- "unknown": any other answer, or no answer (offline, server not started):
  the key may be fine, so setup stores it and says it could not check.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

TIMEOUT = 10.0  # seconds: the user is waiting at the prompt
_DEFAULT_BASES = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com/v1",
}


@dataclass(frozen=True)
class Probe:
    outcome: str  # "works" | "refused" | "unknown"
    url: str
    detail: str  # what happened, for the user


def base_url(provider: str, configured: str | None, env: Mapping[str, str] | None = None) -> str:
    """The base URL requests for `provider` go to, as the agent resolves it."""
    from agent.providers import BUILTIN_PROVIDERS

    env = os.environ if env is None else env
    builtin = BUILTIN_PROVIDERS.get(provider)
    url = configured or (
        env.get(builtin.base_url_env) if builtin and builtin.base_url_env else None
    )
    url = url or (builtin.base_url if builtin else None)
    if url is None:
        url = _DEFAULT_BASES["anthropic" if builtin and builtin.kind == "anthropic" else "openai"]
    elif builtin and builtin.kind == "anthropic" and not url.rstrip("/").endswith("/v1"):
        url = url.rstrip("/") + "/v1"  # the Anthropic SDK's base URL has no /v1
    return url.rstrip("/")


def probe(provider: str, base: str, key: str | None) -> Probe:
    """List the models at `base` with `key`; never raises."""
    url = f"{base}/models"
    request = urllib.request.Request(url, headers=_headers(provider, key))
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as reply:
            return Probe("works", url, f"{url} answered {reply.status}")
    except urllib.error.HTTPError as error:
        outcome = "refused" if error.code in (401, 403) else "unknown"
        return Probe(outcome, url, f"{url} answered {error.code} {error.reason}")
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return Probe("unknown", url, f"could not reach {url}: {reason}")


def _headers(provider: str, key: str | None) -> dict[str, str]:
    from agent.providers import BUILTIN_PROVIDERS

    headers = {"user-agent": "acp-server setup-provider"}
    builtin = BUILTIN_PROVIDERS.get(provider)
    if not key:
        return headers
    if builtin and builtin.kind == "anthropic":
        return {**headers, "x-api-key": key, "anthropic-version": "2023-06-01"}
    return {**headers, "authorization": f"Bearer {key}"}


__all__ = ["TIMEOUT", "Probe", "base_url", "probe"]
