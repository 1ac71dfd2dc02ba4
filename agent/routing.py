"""Which model serves a request: a cheap model for a short prompt (smart
routing), a larger window when the history would not fit (long context)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from agent.config import EngineConfig
from agent.events import Event, ModelRouted
from agent.ports import PromptPart, TextPart


def route_prompt(
    prompt: Sequence[PromptPart],
    model: str | None,
    config: EngineConfig,
    emit: Callable[[Event], None],
) -> str | None:
    """`model`, or the cheap model for a short text-only prompt."""
    cheap = config.cheap_model
    if not (config.smart_routing and cheap and cheap != model):
        return model
    text = "".join(p.text for p in prompt if isinstance(p, TextPart))
    if len(text) > config.smart_routing_max_chars or any(
        not isinstance(p, TextPart) for p in prompt
    ):
        return model
    emit(ModelRouted(model or "", cheap, f"short prompt ({len(text)} characters)"))
    return cheap


def fit_context(
    model: str,
    needed: int,
    window_of: Callable[[str], int],
    config: EngineConfig,
    emit: Callable[[Event], None],
) -> str:
    """`model`, or `long_context_model` when a history of `needed` tokens
    (already compacted as far as it goes) would not fit `model`'s window;
    raises ContextTooLong when neither fits, rather than sending a request
    rejected for length."""
    window = window_of(model)
    if needed < window:
        return model
    larger = config.long_context_model
    if larger and larger != model and needed < window_of(larger):
        reason = f"history of about {needed:,} tokens exceeds the {window:,}-token window"
        emit(ModelRouted(model, larger, reason))
        return larger
    from agent.providers.base import ContextTooLong

    error = ContextTooLong(
        f"the history (about {needed:,} tokens) exceeds the {window:,}-token window "
        f"of {model}" + (f" and of {larger}" if larger and larger != model else ""),
        provider=model.partition(":")[0],
    )
    error.model = model
    error.fix = (
        "start a new session or run /compact; set routing.long_context_model "
        "to a model with a larger window to switch to it for such requests"
    )
    raise error


__all__ = ["fit_context", "route_prompt"]
