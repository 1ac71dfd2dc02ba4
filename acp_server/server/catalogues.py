"""Which providers' live catalogues a server refreshes, and what they offer.

The session/new reply never waits for this: it offers the static (or last
cached) list, and a session calls `refresh_offered` after its reply and sends
a `config_option_update` when the offer changed. Providers asked: the built-in
ones that have a key, local servers the config names, and providers with a
configured base URL. State is per process: every session sees the newest list.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from acp_server.config import Config
    from agent.providers.live_catalog import Catalogue

_LIVE: dict[str, Catalogue] = {}
_LIVE_IDS: tuple[str, ...] | None = None  # their model ids, worked out once per refresh
# The last config and its listed providers: the answer depends only on the
# config (immutable; a reload makes a new one) and the environment, and every
# session asks after its reply.
_LISTED: tuple[Config, list[tuple[str, str, str | None]]] | None = None


def live_models() -> tuple[str, ...]:
    """Model ids from the catalogues fetched (or loaded from cache) so far:
    the same tuple until a refresh changes them, so callers may key on it."""
    global _LIVE_IDS
    if _LIVE_IDS is None:
        _LIVE_IDS = tuple(e.id for c in _LIVE.values() for e in c.entries)
    return _LIVE_IDS


def catalogues() -> dict[str, Catalogue]:
    return dict(_LIVE)


def listed_providers(config: Config) -> list[tuple[str, str, str | None]]:
    """(provider, base URL, key) for each provider whose catalogue we fetch."""
    global _LISTED
    if _LISTED is None or _LISTED[0] is not config:
        _LISTED = (config, _listed(config))
    return list(_LISTED[1])


def _listed(config: Config) -> list[tuple[str, str, str | None]]:
    from acp_server.config.engine import provider_configs
    from agent.providers import BUILTIN_PROVIDERS, ModelNotConfigured, resolve
    from agent.providers.facts import LOCAL_PROVIDERS

    providers = provider_configs(config)
    named = {m.partition(":")[0] for m in (config.model, *config.fallback_providers) if m}
    wanted = []
    for provider in sorted(set(BUILTIN_PROVIDERS) | set(config.providers)):
        builtin = BUILTIN_PROVIDERS.get(provider)
        if builtin is not None and builtin.kind != "openai":
            continue  # Anthropic-style routes have no listing we read
        if (
            provider in LOCAL_PROVIDERS
            and provider not in named
            and provider not in config.providers
        ):
            continue  # never probe a local port the user has not mentioned
        try:
            resolved = resolve(f"{provider}:probe", providers)
        except ModelNotConfigured:
            continue  # no key: nothing the user could run there
        if resolved.base_url is None and provider == "openai":
            base = os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1"
        else:
            base = resolved.base_url or ""
        if base:
            key = None if resolved.api_key == "not-needed" else resolved.api_key
            wanted.append((provider, base, key))
    return wanted


async def refresh_offered(config: Config, home: str | os.PathLike[str] | None) -> bool:
    """Refresh every listed provider's catalogue at once; True when the set of
    offered models changed."""
    if home is None:
        return False
    targets = listed_providers(config)
    if not targets:
        return False
    from pathlib import Path  # here: sessions run after their reply, pathlib not before it

    from agent.providers import live_catalog

    before = live_models()
    results = await asyncio.gather(
        *(live_catalog.refresh(p, base, key, Path(home, "cache")) for p, base, key in targets)
    )
    global _LIVE_IDS
    for catalogue in results:
        _LIVE[catalogue.provider] = catalogue
    _LIVE_IDS = None
    return live_models() != before


async def refresh_offered_safely(config: Config, home: str | os.PathLike[str] | None) -> bool:
    """`refresh_offered`, False when it fails: a catalogue is a convenience,
    never a session's failure."""
    try:
        return await refresh_offered(config, home)
    except Exception:
        logging.getLogger("acp_server.session").warning(
            "model catalogue refresh failed", exc_info=True
        )
        return False
