"""Live model catalogues: what a provider says it serves, cached in the home.

Shapes understood: OpenAI-compatible `GET {base}/models` (`{"data": [{"id"}]}`),
OpenRouter's richer form of the same (`context_length`, `pricing` in USD per
token), and ollama's `GET /api/tags` (`{"models": [{"name"}]}`).

Contract:
- `refresh()` makes at most one bounded HTTP request per provider per TTL,
  whether that request succeeded or failed: the time of the last *attempt* is
  cached, so a provider that is down is not asked again until the TTL passes.
- When the provider cannot be reached, the last good list is returned marked
  `stale` with the error, so callers can say the list comes from the cache.
- Entries with a context window or prices are remembered in the static
  catalogue (`catalog.remember`), so the usage meter and cost accounting use
  the provider's own figures.
- the HTTP client is imported on the first refresh, never at import time.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import msgspec

from agent.providers.catalog import ModelInfo, remember

DEFAULT_TTL = 600.0
DEFAULT_TIMEOUT = 3.0


class CatalogueEntry(msgspec.Struct, frozen=True):
    id: str  # provider:model
    context_window: int | None = None
    input_price_per_mtok: float | None = None
    output_price_per_mtok: float | None = None


class Catalogue(msgspec.Struct):
    provider: str
    entries: list[CatalogueEntry] = msgspec.field(default_factory=list)
    fetched_at: float = 0.0  # last successful fetch
    attempted_at: float = 0.0  # last request, successful or not
    error: str | None = None  # why the last attempt failed, if it did

    @property
    def reachable(self) -> bool:
        return self.error is None and self.attempted_at > 0

    @property
    def stale(self) -> bool:
        """The entries come from an earlier fetch, not the last attempt."""
        return self.error is not None


def listing_url(provider: str, base_url: str) -> str:
    base = base_url.rstrip("/")
    if provider == "ollama":
        # ollama's own listing lives beside its OpenAI-compatible /v1.
        return (base[: -len("/v1")] if base.endswith("/v1") else base) + "/api/tags"
    return base + "/models"


def parse_listing(provider: str, payload: object) -> list[CatalogueEntry]:
    """Entries from any of the understood shapes; unknown items are skipped."""
    if not isinstance(payload, dict):
        raise ValueError("model listing is not a JSON object")
    items = payload.get("data")
    if items is None:
        items = payload.get("models")
    if not isinstance(items, list):
        raise ValueError("model listing has neither 'data' nor 'models'")
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        name = item.get("id") or item.get("name") or item.get("model")
        if not isinstance(name, str) or not name:
            continue
        window = item.get("context_length")
        listed = item.get("pricing")
        pricing = listed if isinstance(listed, dict) else {}
        entries.append(
            CatalogueEntry(
                f"{provider}:{name}",
                window if isinstance(window, int) and window > 0 else None,
                _per_mtok(pricing.get("prompt")),
                _per_mtok(pricing.get("completion")),
            )
        )
    return entries


def _per_mtok(per_token: object) -> float | None:
    # OpenRouter quotes USD per token as a string ("0.000003").
    try:
        value = float(per_token)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return round(value * 1e6, 6) if value >= 0 else None


def cache_path(cache_dir: Path, provider: str) -> Path:
    return cache_dir / f"models-{provider}.json"


def load_cached(cache_dir: Path, provider: str) -> Catalogue | None:
    try:
        data = cache_path(cache_dir, provider).read_bytes()
        return msgspec.json.decode(data, type=Catalogue)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError):
        return None  # no cache, or an unreadable one: treated alike


def _store(cache_dir: Path, catalogue: Catalogue) -> None:
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        path = cache_path(cache_dir, catalogue.provider)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(msgspec.json.encode(catalogue))
        tmp.replace(path)
    except OSError:
        pass  # a read-only home still gets the fresh list, just not cached


async def refresh(
    provider: str,
    base_url: str,
    api_key: str | None,
    cache_dir: Path,
    *,
    ttl: float = DEFAULT_TTL,
    timeout: float = DEFAULT_TIMEOUT,
    now: float | None = None,
) -> Catalogue:
    """The provider's catalogue: from the cache while it is younger than `ttl`,
    else fetched (one request, `timeout` seconds at most)."""
    now = time.time() if now is None else now
    cached = load_cached(cache_dir, provider)
    if cached is not None and now - cached.attempted_at < ttl:
        _remember(cached)
        return cached
    catalogue = cached or Catalogue(provider)
    catalogue.attempted_at = now
    try:
        catalogue.entries = await _fetch(provider, base_url, api_key, timeout)
        catalogue.fetched_at = now
        catalogue.error = None
    except Exception as error:  # any failure leaves the cached list in place
        catalogue.error = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    _store(cache_dir, catalogue)
    _remember(catalogue)
    return catalogue


async def _fetch(
    provider: str, base_url: str, api_key: str | None, timeout: float
) -> list[CatalogueEntry]:
    httpx = _http_client_module()
    headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
    async with httpx.AsyncClient(timeout=timeout) as client:
        response = await client.get(listing_url(provider, base_url), headers=headers)
        response.raise_for_status()
        return parse_listing(provider, response.json())


def _http_client_module() -> Any:
    """The HTTP client the openai SDK itself depends on (its newer releases ship
    it as `httpx2`), loaded with the first refresh, after the session's reply."""
    try:
        import httpx2

        return httpx2
    except ImportError:
        import importlib

        return importlib.import_module("httpx")


def _remember(catalogue: Catalogue) -> None:
    remember(
        ModelInfo(
            e.id,
            e.context_window or 0,
            e.input_price_per_mtok,
            e.output_price_per_mtok,
        )
        for e in catalogue.entries
        if e.context_window or e.input_price_per_mtok is not None
    )
