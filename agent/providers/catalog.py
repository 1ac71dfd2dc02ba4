"""What we know about models: context window and price (USD per million tokens).

Unknown ids get a conservative default window and no price (cost unknown),
rather than a guess that would mislead the budget.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

from agent.providers.facts import LOCAL_PROVIDERS

DEFAULT_WINDOW = 128_000


class ModelInfo(msgspec.Struct, frozen=True):
    id: str
    context_window: int = DEFAULT_WINDOW
    input_price_per_mtok: float | None = None
    output_price_per_mtok: float | None = None
    supports_thinking: bool = False
    supports_images: bool = True


# model name (without provider) -> (window, input $/Mtok, output $/Mtok, thinking)
_KNOWN: dict[str, tuple[int, float, float, bool]] = {
    "gpt-4.1": (1_047_576, 2.0, 8.0, False),
    "gpt-4.1-mini": (1_047_576, 0.4, 1.6, False),
    "gpt-4.1-nano": (1_047_576, 0.1, 0.4, False),
    "gpt-4o": (128_000, 2.5, 10.0, False),
    "gpt-4o-mini": (128_000, 0.15, 0.6, False),
    "o3": (200_000, 2.0, 8.0, True),
    "o4-mini": (200_000, 1.1, 4.4, True),
    "gpt-5": (400_000, 1.25, 10.0, True),
    "gpt-5-mini": (400_000, 0.25, 2.0, True),
    "claude-sonnet-4-5": (200_000, 3.0, 15.0, True),
    "claude-sonnet-4": (200_000, 3.0, 15.0, True),
    "claude-opus-4-1": (200_000, 15.0, 75.0, True),
    "claude-haiku-4-5": (200_000, 1.0, 5.0, True),
    "anthropic/claude-sonnet-4.5": (200_000, 3.0, 15.0, True),
    "anthropic/claude-haiku-4.5": (200_000, 1.0, 5.0, True),
    "openai/gpt-4.1": (1_047_576, 2.0, 8.0, False),
    "openai/gpt-5": (400_000, 1.25, 10.0, True),
    "google/gemini-2.5-pro": (1_048_576, 1.25, 10.0, True),
    "deepseek/deepseek-chat": (128_000, 0.27, 1.1, False),
}


# Anthropic models as the cloud routes name them (dated snapshots): Bedrock
# adds a region prefix and "-v1:0", Vertex writes the date after "@".
_SNAPSHOTS = ("claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001", "claude-opus-4-1-20250805")

# What providers' live catalogues said (see live_catalog): window and prices
# by full model id. A window of 0 means the catalogue did not give one.
_LIVE: dict[str, ModelInfo] = {}


def remember(infos: Iterable[ModelInfo]) -> None:
    """Record catalogue figures; they win over the static table below."""
    for info in infos:
        _LIVE[info.id] = info


def model_info(model_id: str, prices: Mapping[str, tuple[float, float]] | None = None) -> ModelInfo:
    static = _static_info(model_id, prices)
    live = _LIVE.get(model_id)
    if live is None:
        return static
    has_override = bool(prices) and (
        model_id in prices or model_id.partition(":")[2] in prices  # type: ignore[operator]
    )
    price_in, price_out = (
        (static.input_price_per_mtok, static.output_price_per_mtok)
        if has_override or live.input_price_per_mtok is None
        else (live.input_price_per_mtok, live.output_price_per_mtok)
    )
    return msgspec.structs.replace(
        static,
        context_window=live.context_window or static.context_window,
        input_price_per_mtok=price_in,
        output_price_per_mtok=price_out,
    )


def _static_info(model_id: str, prices: Mapping[str, tuple[float, float]] | None) -> ModelInfo:
    provider, _, name = model_id.partition(":")
    override = (prices or {}).get(model_id) or (prices or {}).get(name)
    if model_id == "scripted":
        price_in, price_out = override or (0.0, 0.0)
        return ModelInfo("scripted", 200_000, price_in, price_out, True, True)
    known = _known(name) or _known(name.rsplit("/", 1)[-1]) or _known(_cloud_family(name))
    if known:
        window, price_in, price_out, thinking = known
    else:
        window, thinking = DEFAULT_WINDOW, False
        free = provider in LOCAL_PROVIDERS
        price_in = price_out = 0.0 if free else None  # type: ignore[assignment]
    if override:
        price_in, price_out = override
    return ModelInfo(model_id, window, price_in, price_out, thinking)


def _cloud_family(name: str) -> str:
    """The Anthropic name inside a cloud route's id: Bedrock's
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0" and Vertex's
    "claude-sonnet-4-5@20250929" are both "claude-sonnet-4-5-..."."""
    name = name.partition("@")[0]
    _, found, rest = name.partition("anthropic.")
    return (rest if found else name).rsplit("-v", 1)[0]


def _known(name: str) -> tuple[int, float, float, bool] | None:
    """Exact, else the longest known name that `name` extends with a version
    suffix ("claude-sonnet-4-5-20250929", "gpt-4o-mini-2024-07-18"), so a
    pinned snapshot gets its family's real window rather than the default."""
    if name in _KNOWN:
        return _KNOWN[name]
    family = max((k for k in _KNOWN if name.startswith(k + "-")), key=len, default=None)
    return _KNOWN[family] if family else None


def cost_usd(info: ModelInfo, input_tokens: int, output_tokens: int) -> float | None:
    if info.input_price_per_mtok is None or info.output_price_per_mtok is None:
        return None
    return (
        input_tokens * info.input_price_per_mtok + output_tokens * info.output_price_per_mtok
    ) / 1e6


def known_models(provider: str) -> list[str]:
    if provider == "openai":
        return [m for m in _KNOWN if m.startswith(("gpt", "o3", "o4"))]
    if provider == "anthropic":
        return [m for m in _KNOWN if m.startswith("claude")]
    if provider == "bedrock":
        return [f"us.anthropic.{m}-v1:0" for m in _SNAPSHOTS]
    if provider == "vertex":
        return [m.replace("-2025", "@2025") for m in _SNAPSHOTS]
    if provider == "openrouter":
        return [m for m in _KNOWN if "/" in m]
    return []
